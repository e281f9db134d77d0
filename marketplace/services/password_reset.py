"""Password reset: how a user who forgot a password, or an influencer imported from a roster (whose
account starts with no usable password, services/imports.py), sets one.

A reset token is signed with SECRET_KEY (itsdangerous, salt `password-reset`) and names the user, the
tenant and a fingerprint of the user's current password hash. Nothing is stored: the token is valid
for PASSWORD_RESET_SECONDS (1 hour) and only while the password is the one it was made for, so it
works once (setting the password changes the hash) and dies with any other password change.

Two ways to get one:
- `POST /auth/password-reset` with an email: always answered 202, whether or not the account exists
  (no account enumeration); every request queues one job, which, for an existing, unsuspended
  account, makes the token and emails the link (needs SMTP_URL; without it nothing is queued or
  sent, and the log says so).
- `POST /admin/users/{id}/password-reset`: an admin gets the token to hand over (the claim link of an
  imported influencer, or help when email does not reach the user); audited; not for another admin.

Setting the password applies the password policy and stamps `users.password_changed_at`: refresh
tokens carry that stamp (services/auth.password_version), so those opened before the reset are
refused and a stolen session ends with it. Access tokens live out their 15 minutes.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from marketplace.domain.passwords import password_problems
from marketplace.errors import BadRequest, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.models import User
from marketplace.models.base import utcnow
from marketplace.services import audit
from marketplace.services.auth import hash_password, normalise_email
from marketplace.tenancy import current_tenant_id, get_or_404

log = logging.getLogger(__name__)
SALT = "password-reset"  # itsdangerous's namespace for these tokens, not a secret
RESET_JOB = "workers.jobs.email.send_password_reset"
INVALID = "The reset link is invalid, used or expired: ask for a new one."


def lifetime_seconds() -> int:
    """How long a reset token is valid (PASSWORD_RESET_SECONDS)."""
    return current_app.config["MARKETPLACE"].password_reset_seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["MARKETPLACE"].secret_key, salt=SALT)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    """A reset token for the user's current password."""
    claims = {"u": str(user.id), "t": str(user.tenant_id), "h": _fingerprint(user.password_hash)}
    return str(_serializer().dumps(claims))


def request_reset(email: str) -> None:
    """Queue the reset email of the account with this email in the current tenant.

    One job is queued for every request, whether the account exists or not: the answer then takes
    the same work either way (a lookup and a queued job), so its timing does not tell who has an
    account. The job sends nothing for an absent or suspended account.
    """
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if not current_app.config["MARKETPLACE"].smtp_url:  # the same for every request of this server
        log.info("password reset asked: not sent, SMTP_URL is not set")
        return
    from workers.queues import enqueue

    user_id = str(user.id) if user is not None and not user.is_suspended else None
    enqueue(RESET_JOB, f"password-reset-{uuid.uuid4()}", tenant_id=str(current_tenant_id()), user_id=user_id)


def admin_token(admin: User, user_id: uuid.UUID) -> dict[str, Any]:
    """An admin's reset token for a user of the tenant (audited; the token itself is not recorded)."""
    user = get_or_404(User, user_id)
    if user.role == "admin":  # one admin taking over another's account: each resets their own by email
        raise Forbidden("An admin's password is reset by its owner, by email.")
    token = make_token(user)
    audit.record(admin, "user.password_reset_link", "user", user.id, None, {"email": user.email})
    db.session.commit()
    return {"token": token, "expires_in": lifetime_seconds()}


def confirm_reset(token: str, password: str) -> User:
    """Set the password named by a valid token; every failure of the token is the same 400."""
    try:
        claims = _serializer().loads(token, max_age=lifetime_seconds())
        user_id, tenant_id, fingerprint = uuid.UUID(claims["u"]), uuid.UUID(claims["t"]), claims["h"]
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        raise BadRequest(INVALID) from None
    if tenant_id != current_tenant_id():
        raise BadRequest(INVALID)
    user = db.session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
    if user is None or user.is_suspended or _fingerprint(user.password_hash) != fingerprint:
        raise BadRequest(INVALID)
    problems = password_problems(password, email=user.email, display_name=user.display_name)
    if problems:
        raise ValidationFailed("The password does not meet the policy.", errors={"password": problems})
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    db.session.commit()
    return user
