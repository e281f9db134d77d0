"""The application factory."""

from __future__ import annotations

import re
import uuid
from dataclasses import fields
from http import HTTPStatus
from pathlib import Path
from typing import Any

from apispec import APISpec
from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin

from marketplace import dbpool, errors, jsonio, logs, metrics, rowcache, tenancy
from marketplace.config import Settings
from marketplace.extensions import (
    MUTATING_METHODS,
    api,
    cors,
    db,
    limiter,
    migrate,
    read_rate_limit_window,
    redis,
)
from marketplace.models.base import render_migration_type

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# JSON answers load nothing; the docs page runs Swagger UI, whose bootstrap script and styles are inline.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the app from the environment, with `config` overriding Settings fields."""
    settings = config if isinstance(config, Settings) else Settings.from_env()
    if isinstance(config, dict):
        names = {f.name for f in fields(Settings)}
        for key, value in config.items():
            if key not in names:
                raise KeyError(f"unknown setting {key!r}")
            setattr(settings, key, value)
    settings.validate()
    logs.configure(settings.log_level, json_lines=settings.env == "production")

    app = MarketplaceFlask(__name__, instance_path=settings.instance_dir)
    app.config.update(settings.flask_config())
    app.session_interface = _NoCookieSession()
    jsonio.init_app(app)
    # First, so that even a request the rate limiter refuses carries its request id.
    app.before_request(_assign_request_id)
    # Before anything reads the request (the tenant lookup included).
    app.before_request(_refuse_nul_characters)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    with app.app_context():
        dbpool.init_app(app, db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
    )
    redis.init_app(app)
    limiter.init_app(app)
    app.after_request(read_rate_limit_window)  # runs before the limiter's own header hook
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": settings.cors_origins}},
        expose_headers=["X-Request-ID", "Retry-After"],
        always_send=False,  # no Origin, no CORS headers (flask-cors would list every allowed origin)
    )
    _cors_only_when_asked(app)
    api.ERROR_SCHEMA = _problem_schema()
    api.init_app(app, spec_kwargs={"info": {"description": _API_DESCRIPTION}})
    errors.init_app(app)
    tenancy.init_app(app)
    rowcache.init_app(app)
    app.after_request(_response_headers)
    metrics.init_app(app)

    from marketplace import models  # noqa: F401 - register every model with the metadata
    from marketplace.api import register_blueprints
    from marketplace.cli import register_commands
    from marketplace.services import notifications  # noqa: F401 - installs the email dispatch hooks

    register_blueprints(app)
    _document_api(app)
    register_commands(app)
    return app


def _problem_schema() -> type:
    from marketplace.schemas.common import ProblemSchema

    return ProblemSchema


class MarketplaceFlask(Flask):
    """Flask that remembers `ensure_sync`'s answer per function.

    Flask asks it for every hook and the view on every request (14 times a search, each an
    `inspect.iscoroutinefunction`); the functions are the app's own, registered once.
    """

    _SYNC_CACHE_LIMIT = 4096  # a caller passing new functions each time would otherwise grow it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        """Flask's answer for `func` (itself, or an async function wrapped), computed once."""
        found = self._sync_functions.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._sync_functions) < self._SYNC_CACHE_LIMIT:
                self._sync_functions[func] = found
        return found


def _cors_only_when_asked(app: Flask) -> None:
    """Run flask-cors's response hook (the one init_app just added) only for requests with an Origin.

    With always_send off it adds nothing to a request without one (a browser sends Origin on every
    cross-origin request), yet it would still match the path and build its headers: 4 % of a search's
    CPU (docs/PERFORMANCE.md).
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    if not hooks or getattr(hooks[-1], "__name__", "") != "cors_after_request":
        raise RuntimeError("flask-cors's after_request hook was not where expected")
    cors_hook = hooks[-1]

    def cors_when_asked(response: Response) -> Response:
        return cors_hook(response) if "Origin" in request.headers else response

    hooks[-1] = cors_when_asked


def _assign_request_id() -> None:
    metrics.start_clock()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _refuse_nul_characters() -> None:
    """No text of ours may hold U+0000 (PostgreSQL cannot store or compare it): a 400, not a 500."""
    texts: list[str] = [request.path, *request.headers.values()]
    texts.extend(item for pair in request.args.items(multi=True) for item in pair)
    # A JSON text holds U+0000 only as the escape \u0000 (raw control characters are not JSON), or in
    # a UTF-16/32 body (whose every ASCII character has zero bytes): other bodies need no walk.
    if request.is_json and _may_hold_nul(request.get_data(cache=True)):
        pending = [request.get_json(silent=True)]
        while pending:
            value = pending.pop()
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, dict):
                texts.extend(value)
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
    if any("\x00" in text for text in texts):
        raise errors.BadRequest("Text may not contain the NUL character (U+0000).")


def _may_hold_nul(body: bytes) -> bool:
    return b"\\u0000" in body or b"\x00" in body


def _response_headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Request-ID"] = g.get("request_id", "")
    path = request.path
    docs_page = path == "/api/docs" or path.startswith("/api/docs/")
    wanted = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]
    if path.startswith("/api/v1/"):
        wanted.append(("Cache-Control", "no-store"))
    wanted.append(("Content-Security-Policy", DOCS_CSP if docs_page else API_CSP))
    wanted.append(("Permissions-Policy", PERMISSIONS_POLICY))
    if current_app.config["MARKETPLACE"].env == "production":
        wanted.append(("Strict-Transport-Security", HSTS))
    # Each header unless the view set its own (what Headers.setdefault does, with one scan in all).
    present = {name.lower() for name, _ in headers.items()}
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


class _NoCookieSession(SessionInterface):
    """No cookie session: the API authenticates every request by its bearer token and stores nothing in
    Flask's `session`, whose signed-cookie default builds a signer for each request all the same."""

    def open_session(self, app: Flask, request: Request) -> None:
        """None: Flask then hands out its read-only null session."""
        return None

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to save."""


_API_DESCRIPTION = (
    "Multi-tenant influencer marketplace. Every /api/v1 request names its marketplace in the "
    "`X-Tenant` header. Errors are application/problem+json (RFC 9457). Lists paginate with "
    "`cursor` and `limit`; follow `next_cursor`."
)


def _document_api(app: Flask) -> None:
    """Add what every operation shares to the OpenAPI document: X-Tenant, bearer auth, problems."""
    from marketplace.api.ops import document_probes

    spec = api.spec
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.parameter(
        "XTenant",
        "header",
        {
            "name": "X-Tenant",
            "required": True,
            "schema": {"type": "string"},
            "description": "Marketplace slug",
        },
    )
    spec.options["security"] = [{"bearerAuth": []}]
    for path, operations in spec._paths.items():  # apispec keeps paths here; no public iterator
        if not path.startswith("/api/v1/"):
            continue
        self_resolving = path.startswith(tenancy.SELF_RESOLVING_PREFIXES)
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            _document_problems(spec, method, operation, self_resolving)
            if self_resolving:
                continue
            parameters = operation.setdefault("parameters", [])
            ref = {"$ref": "#/components/parameters/XTenant"}
            if ref not in parameters:
                parameters.append(ref)
    document_probes(spec, app)


def _document_problems(spec: APISpec, method: str, operation: dict[str, Any], self_resolving: bool) -> None:
    """Document the problem responses (docs/errors.md) an /api/v1 operation can answer.

    Every operation: 400 (malformed request, no X-Tenant) and 404 (unknown tenant or id). Behind a
    token: 401 and 403 (role, suspension). Writes: 409 (duplicate, state), 422 (rules) and 429 (the
    mutation budget). Stripe's webhooks resolve their tenant themselves and are never throttled.
    Views document what is theirs alone (e.g. 401 of login) with @blp.alt_response.
    """
    statuses = {400, 404}
    if operation.get("security") != []:
        statuses |= {401, 403}
    if method.upper() in MUTATING_METHODS and not self_resolving:
        statuses |= {409, 422, 429}
    responses = operation.setdefault("responses", {})
    documented = {str(status) for status in responses}
    for status in sorted(statuses):
        if str(status) not in documented:
            responses[str(status)] = spec.components.get_ref("response", HTTPStatus(status).name)
