"""Registration, login, token refresh and logout."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.domain.passwords import password_problems
from marketplace.errors import AccountSuspended, Conflict, Unauthorized, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Tenant, User
from marketplace.models.base import utcnow
from marketplace.services import tokens

log = logging.getLogger(__name__)

# argon2id with OWASP's recommended minimum (Password Storage Cheat Sheet, "Argon2id": m=19456 KiB
# (19 MiB), t=2, p=1). Every login pays one verification, so the cost per hash is what decides how many
# logins two cores can answer: these take ~21 ms of CPU here, against ~180 ms (several times more) for
# argon2-cffi's default, RFC 9106's low-memory profile (m=64 MiB, t=3, p=4), which timed logins out under
# load. 19 MiB per guess still makes GPU/ASIC guessing of a stolen hash expensive; a strong password
# policy (domain/passwords.py) does the rest. Hashes made with other parameters still verify (they
# carry their own) and are rehashed on their owner's next successful login. docs/security.md.
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    type=Type.ID,
)
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")
SELF_REGISTERED_ROLES = ("influencer", "brand")


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """The argon2id hash of a password with the app's parameters (the one hasher of the app)."""
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """True when an argon2 hash was made with other parameters than the app's."""
    return _hasher.check_needs_rehash(password_hash)


def verifies(password_hash: str, password: str) -> bool:
    """True when `password` matches the argon2 hash (False for a mismatch or a hash that is not argon2)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _rehash_if_outdated(user: User, password: str) -> None:
    """Move a hash made with other parameters to the current ones; the caller commits.

    Never fails the login: on any error the old hash stays (it still verifies) and a warning names the
    user's id only, never the password nor the hash.
    """
    try:
        if needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    except Exception as exc:  # whatever it is, the verified login goes on
        log.warning(
            "Could not rehash the password of user %s (%s); keeping the old hash.",
            user.id,
            type(exc).__name__,
        )


def create_user(tenant: Tenant, email: str, password: str, role: str, display_name: str) -> User:
    """Create a user in a tenant after the password policy; the caller commits."""
    email = normalise_email(email)
    problems = password_problems(password, email=email, display_name=display_name)
    if problems:
        raise ValidationFailed("The password does not meet the policy.", errors={"password": problems})
    exists = db.session.execute(select(func.count()).select_from(User).where(User.email == email)).scalar()
    if exists:
        raise Conflict(
            "An account with this email already exists.", errors={"email": ["Already registered."]}
        )
    user = User(
        tenant_id=tenant.id,
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip(),
    )
    db.session.add(user)
    return user


def register(tenant: Tenant, data: dict[str, Any]) -> User:
    """Self-registration of an influencer or a brand member; admins are never self-registered."""
    if data["role"] not in SELF_REGISTERED_ROLES:
        raise ValidationFailed("Choose influencer or brand.", errors={"role": ["Not a self-service role."]})
    user = create_user(tenant, data["email"], data["password"], data["role"], data["display_name"])
    try:
        db.session.commit()
    except IntegrityError:
        # Two registrations raced past the existence check; the unique constraint decides.
        db.session.rollback()
        raise Conflict("An account with this email already exists.") from None
    return user


def create_admin(
    tenant: Tenant, email: str, password: str, display_name: str, actor: User | None = None
) -> User:
    """Create an admin of a tenant (CLI, or another admin: then the action is audited)."""
    from marketplace.services import audit

    user = create_user(tenant, email, password, "admin", display_name)
    if actor is not None:
        db.session.flush()
        audit.record(actor, "admin.create", "user", user.id, None, {"email": user.email, "role": "admin"})
    db.session.commit()
    return user


def login(tenant: Tenant, email: str, password: str) -> dict[str, Any]:
    """Check credentials and issue a token pair; one vague answer for every failure."""
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        raise Unauthorized("Wrong email or password.") from None
    if user is None:
        raise Unauthorized("Wrong email or password.")
    if user.is_suspended:
        raise AccountSuspended()
    _rehash_if_outdated(user, password)
    user.last_login_at = utcnow()
    db.session.commit()
    return tokens.issue_pair(user.id, tenant.id, user.role, password_version(user))


def password_version(user: User) -> int:
    """Which password the user's sessions were opened with: the milliseconds of its last reset (0: none)."""
    changed = user.password_changed_at
    return 0 if changed is None else int(changed.timestamp() * 1000)


def refresh(tenant: Tenant, refresh_token: str) -> dict[str, Any]:
    """Rotate a refresh token: the old one is revoked, a reused one is refused."""
    claims = tokens.decode(refresh_token, kind="refresh", tenant_id=tenant.id)
    user = db.session.execute(select(User).where(User.id == uuid.UUID(claims["sub"]))).scalar_one_or_none()
    if user is None:
        raise Unauthorized("The account no longer exists.")
    if user.is_suspended:
        raise AccountSuspended()
    if claims.get("pwv", 0) != password_version(user):
        raise Unauthorized("The password was reset since this session began: log in again.")
    if not tokens.revoke_once(claims):
        raise Unauthorized("The token has been revoked.")
    return tokens.issue_pair(user.id, tenant.id, user.role, password_version(user))


def logout(tenant: Tenant, access_claims: dict[str, Any], refresh_token: str | None) -> None:
    """Revoke the access token in use and, when given, the refresh token of the session."""
    tokens.revoke(access_claims)
    if refresh_token:
        claims = tokens.decode(refresh_token, kind="refresh", tenant_id=tenant.id)
        if claims["sub"] != access_claims["sub"]:
            raise Unauthorized("The refresh token belongs to another user.")
        tokens.revoke(claims)
