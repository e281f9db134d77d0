"""Extensions, created unbound and bound to the app in create_app."""

from __future__ import annotations

import http
import logging
from typing import Any

from flask import Flask, Response, current_app, request
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RedisHolder:
    """The Redis connection, or None on the embedded default (no REDIS_URL)."""

    def __init__(self) -> None:
        self.client: Redis | None = None

    def init_app(self, app: Flask) -> None:
        """Connect lazily to REDIS_URL when it is configured."""
        url = app.config["MARKETPLACE"].redis_url
        # RESP2, stated: redis-py 8 speaks RESP3 unless told, and the replies rq and the key mirror read
        # (keymirror.py) are RESP2's on every supported redis-py.
        self.client = (
            Redis.from_url(url, protocol=2, socket_timeout=5, socket_connect_timeout=2) if url else None
        )
        app.extensions["redis"] = self

    @property
    def enabled(self) -> bool:
        """True when a Redis server is configured."""
        return self.client is not None


def rate_limit_key() -> str:
    """Rate-limit per tenant and client address, so one tenant cannot exhaust another's budget."""
    return f"{request.headers.get('X-Tenant', '-')}:{get_remote_address()}"


MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Stripe authenticates its webhooks by signature and delivers in bursts: a rate would drop events.
_MUTATION_LIMIT_EXEMPT = ("/api/v1/webhooks/stripe",)


def mutation_rate_limit() -> str:
    """The budget of writes per tenant and client address, across every mutating endpoint."""
    return current_app.config["MARKETPLACE"].mutation_rate_limit


def not_a_mutation() -> bool:
    """True for reads, routes outside /api/v1 and Stripe's signed webhooks: no mutation budget."""
    return (
        request.method not in MUTATING_METHODS
        or not request.path.startswith("/api/v1/")
        or request.path.startswith(_MUTATION_LIMIT_EXEMPT)
    )


def read_rate_limit_window(response: Response) -> Response:
    """Read the rate-limit headers' figures before the limiter writes them, or drop the headers.

    Registered after the limiter, so it runs first among the after_request hooks. The limiter reads
    Redis again to write its headers; if Redis died since the limit was checked, that read would turn
    a request already done (and committed) into a 500. The limit itself is checked, fail-closed
    (503), before the view runs.
    """
    current = limiter.current_limit
    if current is not None:
        try:
            current.window  # noqa: B018 - reads and caches the window the limiter's headers use
        except RedisError as exc:
            log.warning("rate-limit headers left out: Redis is not answering (%s)", exc)
            limiter.context.view_rate_limit = None
    return response


def _problem_api_error_handler(api: Api, error: Any) -> Any:
    from marketplace.errors import http_exception_response

    return http_exception_response(error)


class MarketplaceApi(Api):
    """flask-smorest Api whose HTTP errors are problem+json (see errors.py), and documented so."""

    def handle_http_exception(self, error: Any) -> Any:
        """Render every HTTPException, webargs' 422 included, as problem+json."""
        return _problem_api_error_handler(self, error)

    def _register_responses(self) -> None:
        """Document the error responses as errors.py renders them: ERROR_SCHEMA in problem+json.

        flask-smorest would document them as application/json; every `422` it adds for arguments,
        the `default` of every operation and the statuses app._document_api adds refer to these.
        """
        from marketplace.errors import PROBLEM_MIMETYPE

        problem = {PROBLEM_MIMETYPE: {"schema": self.ERROR_SCHEMA}}
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = problem
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": "Default error response", "content": problem},
            lazy=True,
        )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = MarketplaceApi()


class MarketplaceLimiter(Limiter):
    """flask-limiter that does nothing at all for a request no limit of ours applies to.

    Every limit of ours is on writes (tests/security/test_rate_limits.py keeps it so): for reads and
    Stripe's webhooks (`not_a_mutation`) the limiter's own before-request check would resolve the
    view, find every limit exempt and still evaluate the empty list, on the busiest requests.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not_a_mutation():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = MarketplaceLimiter(
    key_func=rate_limit_key,
    default_limits=[],
    application_limits=[mutation_rate_limit],
    application_limits_exempt_when=not_a_mutation,
)
# Every limit of ours is on writes: the application limit exempts the rest (not_a_mutation) and the
# routes' own limits (auth) are on POST routes only (tests/security/test_rate_limits.py checks it).
# So reads skip the limiter's per-request work altogether (5 % of a search's CPU).
limiter.request_filter(not_a_mutation)
cors = CORS()
redis = RedisHolder()
