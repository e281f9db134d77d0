"""The password policy."""

from marketplace.domain.passwords import password_problems


def test_policy_accepts_a_reasonable_password() -> None:
    """A long mixed password passes."""
    assert password_problems("Correct-Horse-9", email="ann@example.com") == []


def test_policy_refuses_short_uniform_common_and_personal() -> None:
    """Short, single-class, common and personal passwords are refused with reasons."""
    assert any("at least" in p for p in password_problems("Ab1!"))
    assert any("Mix" in p for p in password_problems("abcdefghijkl"))
    assert password_problems("password123")
    assert any("email" in p for p in password_problems("Xx-annabelle-9", email="annabelle@example.com"))
