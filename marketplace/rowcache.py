"""Per-process caches of the rows every request reads (its tenant, its caller), exact across processes.

Each API request resolves X-Tenant to the `tenants` row and its bearer token to the `users` row: two
queries, a third of a search's CPU (docs/PERFORMANCE.md). Each process keeps those rows instead, every
entry tagged with a version token that lives in Redis:

- `cache:v:tenants`: one token for all tenants, replaced after every commit that wrote a tenant or
  a tenant's Stripe credentials;
- `cache:v:user:<id>`: one token per user, replaced after every commit that wrote that user
  (suspension, reinstatement, role, login, deletion).

A request reads the tokens it needs with the revocation mark of its access token (one MGET) and uses
a cached row only when the entry's token is the one it just read; otherwise it loads the row and
caches it under that token. With REDIS_TRACKING (the default) those keys are read from the process's
copy of them (keymirror.py), which Redis' invalidation messages keep exact, so a warm request makes no
Redis round trip at all. A writer replaces the token after its
commit, so the next request in any process reloads: a suspension or a settings change takes effect
at once everywhere. The token is read before the row is loaded, so a write that lands in between
leaves an entry that is already out of date. Tokens are random, not counters: a Redis that restarts
empty never makes an old entry look current. Entries also expire after ROW_CACHE_SECONDS, which
bounds what a write outside the ORM (there is none), or one whose token could not be replaced
(Redis down right after the commit), can leave stale. Without Redis (the embedded default) or with
ROW_CACHE_SECONDS=0 nothing is cached.

A cached row is handed to the request as a detached ORM object, as if loaded (`rebuild`): services
read it as before; the few that change a tenant or a user load that row themselves, under a lock.
Password hashes are never cached (only login reads one, from its own query).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_app_context, request
from redis.exceptions import RedisError
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from marketplace.errors import Unauthorized
from marketplace.extensions import db, redis
from marketplace.keymirror import KeyMirror
from marketplace.models import StripeCredentials, Tenant, User
from marketplace.services import tokens

log = logging.getLogger(__name__)

VERSION_PREFIX = "cache:v:"  # every version token's key starts so (the key mirror listens to them)
TENANTS_KEY = f"{VERSION_PREFIX}tenants"
_USER_KEY = f"{VERSION_PREFIX}user:"
VERSION_TTL_SECONDS = 7 * 24 * 3600  # a version nobody read for a week may go; it is recreated on demand
MAX_ENTRIES = 50_000  # per cache and process; past that the cache starts over
_PENDING = "marketplace_rowcache_pending"
_PREFETCH = "marketplace.auth_prefetch"  # in the WSGI environ: it belongs to one request
# Never kept in process memory: read from the database when a request needs it (login, password change).
_NOT_CACHED = {User: frozenset({"password_hash"})}


def user_key(user_id: Any) -> str:
    """The Redis key of a user's version token."""
    return f"{_USER_KEY}{user_id}"


class RowCache:
    """Rows (as column values) by key, each under the version token it was loaded with."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Any, tuple[bytes, float, Any]] = {}

    def get(self, key: Any, version: bytes | None) -> Any | None:
        """The value cached under `key` when its version is `version` and it has not expired."""
        if version is None:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != version or entry[1] < time.monotonic():
            return None
        return entry[2]

    def put(self, key: Any, version: bytes | None, value: Any) -> None:
        """Cache `value` under `key`, tagged with the version read before it was loaded."""
        if version is None or self.seconds <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}
        self._entries[key] = (version, time.monotonic() + self.seconds, value)

    def drop(self, key: Any) -> None:
        """Forget one entry."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries = {}


class RowCaches:
    """The caches of one app: tenants by slug, tenant facts by id, users by their version key, and
    (with tracking) the process's copy of the version tokens and revocation marks they are read with."""

    def __init__(self, seconds: float, tracking: bool = False) -> None:
        self.enabled = seconds > 0
        self.tenants = RowCache(seconds)
        self.tenant_facts = RowCache(seconds)
        self.users = RowCache(seconds)
        self.mirror = KeyMirror((VERSION_PREFIX, tokens.REVOCATION_PREFIX)) if tracking else None

    def forget(self, keys: set[str]) -> None:
        """Forget the rows whose versions are `keys` (this process only)."""
        for key in keys:
            if key == TENANTS_KEY:
                self.tenants.clear()
                self.tenant_facts.clear()
            else:
                self.users.drop(key)


def caches() -> RowCaches | None:
    """The current app's caches, or None when caching is off (no Redis, or ROW_CACHE_SECONDS=0)."""
    found: RowCaches | None = current_app.extensions.get("marketplace.rowcache")
    if found is None or not found.enabled or redis.client is None:
        return None
    return found


def read_versions(keys: list[str], mirror: KeyMirror | None = None) -> list[bytes | None]:
    """The values of `keys` (version tokens, revocation marks), from `mirror` when it has them exactly;
    raises RedisError when Redis must be asked and does not answer."""
    if redis.client is None:
        raise RedisError("no Redis configured")
    if mirror is not None:
        return mirror.mget(redis.client, keys)
    return redis.client.mget(keys)


def ensure_version(key: str, current: bytes | None) -> bytes | None:
    """`current`, or when the key holds no token yet, a new one (unless another process set one first).

    Only on a miss; the answer is the token to tag an entry loaded after this call with.
    """
    if current is not None or redis.client is None:
        return current
    try:
        pipe = redis.client.pipeline(transaction=False)
        pipe.set(key, secrets.token_hex(8), nx=True, ex=VERSION_TTL_SECONDS)
        pipe.get(key)
        return pipe.execute()[1]
    except RedisError as exc:
        log.warning("row cache: no version for %s (%s)", key, exc)
        return None


def snapshot(obj: Any) -> dict[str, Any]:
    """The loaded column values of an ORM object (what `rebuild` needs), secrets left out."""
    state = inspect(obj)
    skip = _NOT_CACHED.get(type(obj), frozenset())
    values = state.dict
    return {
        attr.key: values[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in values and attr.key not in skip
    }


def rebuild(model: type, values: dict[str, Any]) -> Any:
    """The row as a detached ORM object, as if loaded and then let go of, without a query.

    Read like any loaded row. Not part of the request's session (adding it would cost as much as
    the query it replaces): code that changes the tenant or a user loads that row itself
    (tenant_settings.update_tenant_settings, moderation, auth.login). Mutable values are copied, so
    a request changing one in place never changes the cache.
    """
    obj = inspect(model).class_manager.new_instance()
    obj.__dict__.update(
        {name: (value.copy() if isinstance(value, dict | list) else value) for name, value in values.items()}
    )
    make_transient_to_detached(obj)
    return obj


def bump(keys: set[str]) -> None:
    """Replace the version tokens of `keys`: every process reloads those rows on their next use."""
    if not keys or redis.client is None:
        return
    try:
        pipe = redis.client.pipeline(transaction=False)
        for key in sorted(keys):
            pipe.set(key, secrets.token_hex(8), ex=VERSION_TTL_SECONDS)
        pipe.execute()
    except RedisError as exc:
        # The commit stands; other processes may serve the old row until ROW_CACHE_SECONDS pass.
        log.warning("row cache: versions of %s not replaced (%s)", sorted(keys), exc)


def _note_writes(session: Session, flush_context: Any) -> None:
    """after_flush: remember which cached kinds of rows this transaction wrote."""
    keys: set[str] | None = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User):
            user_id = obj.__dict__.get("id")
            key = user_key(user_id) if user_id is not None else None
        elif isinstance(obj, Tenant | StripeCredentials):
            key = TENANTS_KEY
        else:
            continue
        if keys is None:
            keys = session.info.setdefault(_PENDING, set())
        if key is not None:
            keys.add(key)


def _publish(session: Session) -> None:
    """after_commit: replace the versions of what the transaction wrote, and forget it here at once."""
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    if has_app_context():
        found = current_app.extensions.get("marketplace.rowcache")
        if found is not None:
            found.forget(keys)
    bump(keys)


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_PENDING, None)


def auth_prefetch() -> AuthPrefetch | None:
    """What `request_tenant` read for this request's bearer token, if it did."""
    return request.environ.get(_PREFETCH)


@dataclass(frozen=True)
class AuthPrefetch:
    """What the request's bearer token needs from Redis, read with the tenant's version (one MGET)."""

    token: str
    claims: dict[str, Any]
    revoked: bool
    user_version: bytes | None


def _bearer_claims() -> tuple[str, dict[str, Any]] | None:
    """The request's bearer token and its verified claims, or None (authentication reports why)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return token, tokens.verified_claims(token)
    except Unauthorized:
        return None


@dataclass(frozen=True)
class CachedTenant:
    """A tenant from this process's cache, made a detached ORM row only when a request asks for it
    (tenancy.current_tenant): most requests need nothing of it but its id."""

    id: uuid.UUID
    values: dict[str, Any]

    def row(self) -> Tenant:
        """The tenant as a detached ORM row (`rebuild`)."""
        return rebuild(Tenant, self.values)


def _load_tenant(slug: str) -> Tenant | None:
    return db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()


def request_tenant(slug: str) -> Tenant | CachedTenant | None:
    """The tenant named by X-Tenant, from the cache when its version is current, else from the database.

    In the same Redis round trip, it reads what authentication will need for the request's bearer
    token (its revocation, its user's version): `auth_prefetch`.
    """
    found = caches()
    if found is None:
        return _load_tenant(slug)
    bearer = _bearer_claims()
    keys = [TENANTS_KEY]
    if bearer is not None:
        keys += [tokens.revocation_key(bearer[1]["jti"]), user_key(bearer[1]["sub"])]
    try:
        versions = read_versions(keys, found.mirror)
    except RedisError:
        # Not cached this time; authentication meets the outage itself (a 503) where it needs Redis.
        return _load_tenant(slug)
    if bearer is not None:
        request.environ[_PREFETCH] = AuthPrefetch(bearer[0], bearer[1], versions[1] is not None, versions[2])
    version = versions[0]
    values = found.tenants.get(slug, version)
    if values is not None:
        return CachedTenant(values["id"], values)
    version = ensure_version(TENANTS_KEY, version)
    tenant = _load_tenant(slug)
    if tenant is not None:
        found.tenants.put(slug, version, snapshot(tenant))
    return tenant


@dataclass(frozen=True)
class CachedUser:
    """The caller from this process's cache: what authentication and the hot reads use (id, role,
    suspension) at hand, made a detached ORM row only when a view asks for one (access.current_user)."""

    id: uuid.UUID
    role: str
    is_suspended: bool
    values: dict[str, Any]

    def row(self) -> User:
        """The user as a detached ORM row (`rebuild`)."""
        return rebuild(User, self.values)


def request_user(user_id: str, version: bytes | None) -> User | CachedUser | None:
    """The caller's user (in the current tenant), from the cache when its version is current."""
    found = caches()
    key = user_key(user_id)
    values = found.users.get(key, version) if found is not None else None
    if values is not None and values["tenant_id"] == g.get("tenant_id"):
        return CachedUser(values["id"], values["role"], values["suspended_at"] is not None, values)
    if found is not None:
        version = ensure_version(key, version)
    user = db.session.execute(select(User).where(User.id == uuid.UUID(user_id))).scalar_one_or_none()
    if user is not None and found is not None:
        found.users.put(key, version, snapshot(user))
    return user


def tenant_facts(tenant_id: uuid.UUID, load: Callable[[], tuple[bool, bool]]) -> tuple[bool, bool]:
    """(exists, runs on its own Stripe account) of a tenant, cached under the tenants' version."""
    found = caches()
    if found is None:
        return load()
    try:
        version = read_versions([TENANTS_KEY], found.mirror)[0]
    except RedisError:
        return load()
    facts = found.tenant_facts.get(tenant_id, version)
    if facts is not None:
        return facts
    version = ensure_version(TENANTS_KEY, version)
    facts = load()
    found.tenant_facts.put(tenant_id, version, facts)
    return facts


_listening = False


def init_app(app: Flask) -> None:
    """Give the app its caches and install the invalidation hooks (once per process)."""
    global _listening
    settings = app.config["MARKETPLACE"]
    app.extensions["marketplace.rowcache"] = RowCaches(settings.row_cache_seconds, settings.redis_tracking)
    if not _listening:
        event.listen(Session, "after_flush", _note_writes)
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_rollback", _forget)
        _listening = True
