"""Domain exceptions and their single problem+json (RFC 9457) rendering."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.domain.lifecycles import TransitionRefused

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)

# One stable `type` per kind of error; clients switch on these, never on titles.
HTTP_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def problem_type(slug: str) -> str:
    """Return the URI naming one kind of problem; docs/errors.md lists them."""
    return f"urn:marketplace:problem:{slug}"


class AppError(Exception):
    """Base of the domain exceptions services raise; each maps to one status and type."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra


class BadRequest(AppError):
    """The request is malformed in a way validation does not describe."""


class TenantRequired(AppError):
    """The X-Tenant header is missing."""

    slug = "tenant-required"
    title = "The X-Tenant header is required"


class Unauthorized(AppError):
    """No valid credentials."""

    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(AppError):
    """Authenticated but not allowed."""

    status = 403
    slug = "forbidden"
    title = "Not allowed"


class AccountSuspended(Forbidden):
    """The user is suspended and cannot act."""

    slug = "account-suspended"
    title = "This account is suspended"


class NotFound(AppError):
    """Unknown id, or an id that belongs to another tenant: the answer is the same."""

    status = 404
    slug = "not-found"
    title = "Not found"


class TenantNotFound(NotFound):
    """The X-Tenant header names no tenant."""

    slug = "tenant-not-found"
    title = "Unknown tenant"


class Conflict(AppError):
    """The request conflicts with the current state (a duplicate, a forbidden transition)."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class ValidationFailed(AppError):
    """Input is well-formed but breaks a rule; `errors` names the fields."""

    status = 422
    slug = "validation-error"
    title = "Validation failed"


class ServiceUnavailable(AppError):
    """A dependency (Redis, Stripe) is not answering; retry later."""

    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build the one problem+json shape every error of the API uses."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path if request else None,
        "request_id": getattr(g, "request_id", None),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_validation_messages(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location (json, query, ...); clients want them by field."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def http_exception_response(error: HTTPException) -> Response:
    """Render a werkzeug HTTPException (404, 405, webargs 422, limiter 429...) as problem+json."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = _flatten_validation_messages(data["messages"])
    headers = dict(data.get("headers") or {})
    if status == 429:
        retry_after = error.get_headers()
        headers.update({k: v for k, v in retry_after if k.lower() == "retry-after"})
    if status == 405:
        headers.update({k: v for k, v in error.get_headers() if k.lower() == "allow"})
    if status >= 500:
        detail = "An unexpected error occurred; quote the request_id when reporting it."
    elif status == 422:
        detail = "The request did not pass validation; see errors."
    else:
        detail = data.get("message") or error.description
    title = HTTP_TYPES.get(status, "error").replace("-", " ").capitalize()
    return problem_response(status, HTTP_TYPES.get(status, "error"), title, detail, errors, headers)


def _app_error(error: AppError) -> Response:
    return problem_response(error.status, error.slug, error.title, error.detail, error.errors, **error.extra)


def _redis_down(error: RedisError) -> Response:
    log.error("redis unavailable: %s", error)
    return _backing_service_down()


def _backing_service_down() -> Response:
    """503 with Retry-After: a backing service (Redis, PostgreSQL) is not answering."""
    return problem_response(
        503,
        "service-unavailable",
        "Service temporarily unavailable",
        "A backing service is not answering; retry shortly.",
        headers={"Retry-After": "5"},
    )


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_exception_response(error)
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        # The database connection died under this request (PostgreSQL restarted): the pool has been
        # invalidated and the next request gets a fresh connection (marketplace/dbpool.py).
        log.error("database connection lost: %s", type(error.orig).__name__)
        return _backing_service_down()
    log.exception("unhandled exception")
    return http_exception_response(InternalServerError())


def _transition_refused(error: TransitionRefused) -> Response:
    return problem_response(
        409,
        "invalid-transition",
        "Transition not allowed",
        str(error),
        current_state=error.current,
        allowed=sorted(error.allowed),
    )


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into problem+json."""
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(TransitionRefused, _transition_refused)
    app.register_error_handler(RedisError, _redis_down)
    app.register_error_handler(HTTPException, http_exception_response)
    app.register_error_handler(Exception, _unexpected)
