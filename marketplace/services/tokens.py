"""Access and refresh tokens (JWT, HS256) and their revocation list."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import current_app

from marketplace.errors import Unauthorized
from marketplace.extensions import redis

ALGORITHM = "HS256"
ISSUER = "marketplace"
_VERIFIED = "marketplace.verified_tokens"
MAX_VERIFIED = 10_000  # tokens remembered as verified per process; past that the memory starts over


class _MemoryRevocations:
    """Revoked token ids for the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, jti: str, ttl_seconds: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._expiry = {k: v for k, v in self._expiry.items() if v > now}
            self._expiry[jti] = now + ttl_seconds

    def contains(self, jti: str) -> bool:
        with self._lock:
            expires = self._expiry.get(jti)
        return expires is not None and expires > time.monotonic()


_memory = _MemoryRevocations()


def _settings() -> Any:
    return current_app.config["MARKETPLACE"]


def issue_pair(
    user_id: uuid.UUID, tenant_id: uuid.UUID, role: str, password_version: int = 0
) -> dict[str, Any]:
    """Issue a fresh access token and refresh token for a user of a tenant.

    The refresh token carries `password_version` (`pwv`, services/auth.password_version): a refresh
    after the password was reset finds another version and is refused.
    """
    settings = _settings()
    return {
        "access_token": _encode(
            user_id, tenant_id, role, "access", timedelta(minutes=settings.access_token_minutes)
        ),
        "refresh_token": _encode(
            user_id,
            tenant_id,
            role,
            "refresh",
            timedelta(days=settings.refresh_token_days),
            password_version=password_version,
        ),
        "token_type": "Bearer",  # the OAuth token type, not a secret  # nosec
        "expires_in": settings.access_token_minutes * 60,
    }


def _encode(
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    role: str,
    kind: str,
    lifetime: timedelta,
    password_version: int | None = None,
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "tid": str(tenant_id),
        "role": role,
        "typ": kind,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime,
    }
    if password_version is not None:
        claims["pwv"] = password_version
    return jwt.encode(claims, _settings().secret_key, algorithm=ALGORITHM)


def verified_claims(token: str) -> dict[str, Any]:
    """A token's claims once its signature, issuer, required claims and expiry check out.

    A token that verified once is remembered by the process (its exact text, for the app's key), so
    each further use costs an expiry check instead of parsing and HMAC: clients send the same access
    token with every request of its 15 minutes.
    """
    verified: dict[str, dict[str, Any]] = current_app.extensions.setdefault(_VERIFIED, {})
    claims = verified.get(token)
    if claims is None:
        try:
            claims = jwt.decode(
                token,
                _settings().secret_key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "tid", "jti", "typ"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("The token is not valid.") from None
        if len(verified) >= MAX_VERIFIED:
            verified.clear()
        verified[token] = claims
    if claims["exp"] <= time.time():  # PyJWT's own rule (no leeway)
        verified.pop(token, None)
        raise Unauthorized("The token has expired.")
    return dict(claims)


def decode(token: str, *, kind: str, tenant_id: uuid.UUID, revoked: bool | None = None) -> dict[str, Any]:
    """Verify a token's signature, expiry, kind, tenant and revocation; return its claims.

    `revoked`: the revocation list's answer when the caller already asked it (in the same Redis round
    trip as other questions, see marketplace/rowcache.py); None asks it here.
    """
    claims = verified_claims(token)
    if claims["typ"] != kind:
        raise Unauthorized(f"An {kind} token is required here.")
    if claims["tid"] != str(tenant_id):
        # A token of tenant A means nothing in tenant B.
        raise Unauthorized("The token was not issued by this marketplace.")
    if is_revoked(claims["jti"]) if revoked is None else revoked:
        raise Unauthorized("The token has been revoked.")
    return claims


REVOCATION_PREFIX = "revoked:"


def revocation_key(jti: str) -> str:
    """The Redis key that marks a token id revoked."""
    return f"{REVOCATION_PREFIX}{jti}"


def revoke(claims: dict[str, Any]) -> None:
    """Revoke a token until its natural expiry."""
    ttl = max(1, int(claims["exp"] - time.time()) + 1)
    if redis.client is not None:
        redis.client.set(revocation_key(claims["jti"]), 1, ex=ttl)
    else:
        _memory.add(claims["jti"], ttl)


def revoke_once(claims: dict[str, Any]) -> bool:
    """Revoke a token and say whether this call was the one that revoked it (refresh rotation)."""
    ttl = max(1, int(claims["exp"] - time.time()) + 1)
    if redis.client is not None:
        return bool(redis.client.set(revocation_key(claims["jti"]), 1, ex=ttl, nx=True))
    if _memory.contains(claims["jti"]):
        return False
    _memory.add(claims["jti"], ttl)
    return True


def is_revoked(jti: str) -> bool:
    """True when the token id is on the revocation list."""
    if redis.client is not None:
        return bool(redis.client.exists(revocation_key(jti)))
    return _memory.contains(jti)
