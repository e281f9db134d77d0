"""Configuration: the only module that reads environment variables."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused in production  # nosec B105
# localstripe accepts any sk_ key and any webhook secret we register; both refused in production.
LOCALSTRIPE_KEY = "sk_test_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe"  # noqa: S105 - a test fixture value  # nosec B105


class ConfigError(RuntimeError):
    """Raised when the configuration cannot start the service safely."""


def sqlalchemy_url(url: str) -> str:
    """A database URL with the psycopg 3 driver named for PostgreSQL."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@dataclass
class Settings:
    """Typed view of the service configuration, loaded once per app."""

    env: str = "development"
    secret_key: str = _DEV_SECRET
    database_url: str = ""
    # The owner role's URL that migrations run with (PostgreSQL: the app's own role cannot change the
    # schema nor bypass row-level security). Empty: migrations use DATABASE_URL.
    migration_database_url: str = ""
    redis_url: str | None = None
    stripe_api_key: str = LOCALSTRIPE_KEY
    stripe_api_base: str | None = "http://127.0.0.1:8420"
    stripe_webhook_secret: str = LOCALSTRIPE_WEBHOOK_SECRET
    cors_origins: list[str] = field(default_factory=list)
    log_level: str = "INFO"
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    password_reset_seconds: int = 3600  # how long a password-reset token is valid
    auth_rate_limit: str = "10/minute"
    mutation_rate_limit: str = "120/minute"
    storage_dir: str = ""
    smtp_url: str | None = None
    # The bearer token GET /metrics asks for (marketplace/metrics.py); empty: the endpoint is open.
    metrics_token: str = ""
    mail_from: str = "marketplace@localhost"
    instance_dir: str = ""
    # Fernet keys (newest first) that encrypt secrets at rest, e.g. tenants' own Stripe keys.
    encryption_keys: list[str] = field(default_factory=list)
    # SQLAlchemy's connection pool per process (None: its defaults, 5 + 10 overflow); docs/PERFORMANCE.md.
    db_pool_size: int | None = None
    db_max_overflow: int | None = None
    # Seconds a process may keep a tenant or user row (each checked against its version in Redis on
    # every use, marketplace/rowcache.py); 0 turns the caches off. Without Redis nothing is cached.
    row_cache_seconds: float = 30.0
    # Keep the versions and revocation marks those checks read in each process, forgotten when Redis
    # says they changed (client-side caching, marketplace/keymirror.py); off: one MGET per request.
    redis_tracking: bool = True
    # A pooled connection idle longer than this is pinged before use (a dead one is replaced).
    db_ping_idle_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build the settings from environment variables (see the README's table)."""
        env = os.environ if environ is None else environ
        instance = Path(env.get("INSTANCE_DIR", Path.cwd() / "instance")).resolve()
        settings = cls(
            env=env.get("MARKETPLACE_ENV", "development"),
            secret_key=env.get("SECRET_KEY", ""),
            database_url=env.get("DATABASE_URL", f"sqlite:///{instance / 'marketplace.db'}"),
            migration_database_url=env.get("MIGRATION_DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL") or None,
            stripe_api_key=env.get("STRIPE_API_KEY", LOCALSTRIPE_KEY),
            stripe_api_base=env.get("STRIPE_API_BASE", "http://127.0.0.1:8420") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", LOCALSTRIPE_WEBHOOK_SECRET),
            cors_origins=[o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()],
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            access_token_minutes=int(env.get("ACCESS_TOKEN_MINUTES", "15")),
            refresh_token_days=int(env.get("REFRESH_TOKEN_DAYS", "14")),
            password_reset_seconds=int(env.get("PASSWORD_RESET_SECONDS", "3600")),
            auth_rate_limit=env.get("AUTH_RATE_LIMIT", "10/minute"),
            mutation_rate_limit=env.get("MUTATION_RATE_LIMIT", "120/minute"),
            storage_dir=env.get("STORAGE_DIR", str(instance / "storage")),
            smtp_url=env.get("SMTP_URL") or None,
            metrics_token=env.get("METRICS_TOKEN", ""),
            mail_from=env.get("MAIL_FROM", "marketplace@localhost"),
            instance_dir=str(instance),
            encryption_keys=[k.strip() for k in env.get("ENCRYPTION_KEYS", "").split(",") if k.strip()],
            db_pool_size=int(env["DB_POOL_SIZE"]) if env.get("DB_POOL_SIZE") else None,
            db_max_overflow=int(env["DB_MAX_OVERFLOW"]) if env.get("DB_MAX_OVERFLOW") else None,
            row_cache_seconds=float(env.get("ROW_CACHE_SECONDS", "30")),
            redis_tracking=env.get("REDIS_TRACKING", "1").strip().lower() not in ("0", "false", "no", "off"),
            db_ping_idle_seconds=float(env.get("DB_PING_IDLE_SECONDS", "5")),
        )
        return settings

    def validate(self) -> None:
        """Refuse settings that would be unsafe or meaningless."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"MARKETPLACE_ENV must be one of {ENVIRONMENTS}, not {self.env!r}")
        if self.row_cache_seconds < 0:
            raise ConfigError("ROW_CACHE_SECONDS must be 0 (off) or more")
        if self.db_ping_idle_seconds < 0:
            raise ConfigError("DB_PING_IDLE_SECONDS must be 0 (ping every checkout) or more")
        if self.env == "production":
            if not self.secret_key or self.secret_key == _DEV_SECRET or len(self.secret_key) < 32:
                raise ConfigError("SECRET_KEY (at least 32 characters) is required in production")
            stripe_defaults = (LOCALSTRIPE_KEY, LOCALSTRIPE_WEBHOOK_SECRET)
            if self.stripe_api_key in stripe_defaults or self.stripe_webhook_secret in stripe_defaults:
                raise ConfigError("STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET are required in production")
            if not self.encryption_keys:
                raise ConfigError("ENCRYPTION_KEYS (comma-separated Fernet keys) is required in production")
        elif not self.secret_key:
            # Development and tests get a per-process key: tokens do not survive a restart.
            self.secret_key = secrets.token_urlsafe(48)
        if not self.encryption_keys:
            # Development and tests only: a key derived from SECRET_KEY (production refuses above).
            digest = hashlib.sha256(b"marketplace-encryption-key:" + self.secret_key.encode()).digest()
            self.encryption_keys = [base64.urlsafe_b64encode(digest).decode()]
        for key in self.encryption_keys:
            if not _is_fernet_key(key):
                raise ConfigError(
                    "ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)"
                )

    def migrations_url(self) -> str:
        """The SQLAlchemy URL migrations run with: the owner role's, else the app's."""
        return sqlalchemy_url(self.migration_database_url or self.database_url)

    def flask_config(self) -> dict[str, Any]:
        """Translate the settings into Flask and extension config keys."""
        database_url = sqlalchemy_url(self.database_url)
        # hide_parameters: bound values (emails, hashes, secrets) stay out of error messages and logs.
        # No pre-ping on every checkout (a round trip per request): marketplace/dbpool.py pings only
        # connections idle longer than DB_PING_IDLE_SECONDS; recycling bounds a connection's age.
        engine_options: dict[str, Any] = {"pool_recycle": 1800, "hide_parameters": True}
        if self.db_pool_size is not None:
            engine_options["pool_size"] = self.db_pool_size
        if self.db_max_overflow is not None:
            engine_options["max_overflow"] = self.db_max_overflow
        if database_url.startswith("sqlite"):
            engine_options = {"connect_args": {"timeout": 30}, "hide_parameters": True}
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.env == "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "API_TITLE": "Influencer Marketplace API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "docs",
            "OPENAPI_SWAGGER_UI_URL": "/api/docs/static/",
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "RATELIMIT_STRATEGY": "fixed-window",
            "MARKETPLACE": self,
        }


def _is_fernet_key(key: str) -> bool:
    """True for 32 bytes in url-safe base64, the shape of a Fernet key."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False
