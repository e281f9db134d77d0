"""Who is calling: bearer-token authentication and role checks for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from marketplace import rowcache
from marketplace.errors import AccountSuspended, Forbidden, Unauthorized
from marketplace.models import User
from marketplace.services import tokens
from marketplace.tenancy import required_tenant_id


def bearer_token() -> str:
    """The token of the Authorization header, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send 'Authorization: Bearer <access token>'.")
    return token.strip()


def authenticate() -> User | rowcache.CachedUser:
    """Resolve the caller from their access token, in the current tenant only."""
    token = bearer_token()
    tenant_id = required_tenant_id()
    prefetch = rowcache.auth_prefetch()
    if prefetch is not None and prefetch.token == token:
        # Revocation and the user's version were read with the tenant's, in one Redis round trip.
        claims = tokens.decode(token, kind="access", tenant_id=tenant_id, revoked=prefetch.revoked)
        user = rowcache.request_user(claims["sub"], prefetch.user_version)
    else:
        claims = tokens.decode(token, kind="access", tenant_id=tenant_id)
        user = rowcache.request_user(claims["sub"], None)
    if user is None:
        raise Unauthorized("The account no longer exists.")
    if user.is_suspended:
        raise AccountSuspended()
    g.user = user
    g.token_claims = claims
    return user


def current_user() -> User:
    """The authenticated user of this request, as an ORM row (detached when it came from the cache)."""
    user = g.user
    if isinstance(user, rowcache.CachedUser):
        user = g.user = user.row()
    return user


def current_caller() -> User | rowcache.CachedUser:
    """The authenticated caller's id and role, as the hot reads need them: no ORM row made for them."""
    return g.user


def login_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a valid access token, and one of `roles` when given."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = authenticate()
            if roles and user.role not in roles:
                raise Forbidden(f"This needs the role {' or '.join(roles)}.")
            return view(*args, **kwargs)

        wrapper._required_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator
