"""Password policy: what a password must be before we hash it."""

from __future__ import annotations

MIN_LENGTH = 10
MAX_LENGTH = 256
_COMMON = frozenset(
    {
        "password123",
        "1234567890",
        "qwertyuiop",
        "iloveyou12",
        "letmein123",
        "password1234",
        "12345678910",
        "administrator",
        "welcome123",
        "passw0rd12",
    }
)


def password_problems(password: str, *, email: str = "", display_name: str = "") -> list[str]:
    """Return why a password is refused; an empty list means it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 2:
        problems.append("Mix at least two of: lower case, upper case, digits, symbols.")
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        problems.append("This password is too common or too repetitive.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("Do not put your email address in your password.")
    if len(display_name) >= 4 and display_name.lower() in lowered:
        problems.append("Do not put your name in your password.")
    return problems
