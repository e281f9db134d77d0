"""Idempotency-Key on POST /v1/*: a repeat replays the first response, as Stripe does.

A key is remembered with its method, path and parameters. The same key again with the same request
answers the stored status and body with `Idempotent-Replayed: true`; with another endpoint or other
parameters it answers 400 `idempotency_error`; while the first request runs, 409. Like Stripe, a
request refused before it did anything (parameter errors, unknown ids: 400, 404) is not stored, so
it may be retried with its key; successes and card declines (402) are. Keys are forgotten after 24
hours, beyond the newest MAX_KEYS, and on DELETE /_config/data.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.server import get_post_data

from .params import invalid_request

KEY_LIFETIME_SECONDS = 24 * 3600
MAX_KEYS = 20_000  # the SDK puts a fresh key on every POST: bound the memory of a long dev session
MAX_KEY_LENGTH = 255
STORED_STATUSES = frozenset({*range(200, 300), 402})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class SavedResponse:
    """The first response given under a key, with what identifies its request."""

    method: str
    path: str
    params: Any
    status: int
    body: bytes
    content_type: str  # the whole header, charset included
    saved_at: float


class IdempotencyKeys:
    """Saved responses by key, oldest first, plus the keys whose first request is still running."""

    def __init__(self) -> None:
        self._saved: OrderedDict[str, SavedResponse] = OrderedDict()
        self.running: set[str] = set()

    def get(self, key: str) -> SavedResponse | None:
        """The response saved under `key`, once expired keys are dropped."""
        horizon = time.time() - KEY_LIFETIME_SECONDS
        while self._saved and next(iter(self._saved.values())).saved_at < horizon:
            self._saved.popitem(last=False)
        return self._saved.get(key)

    def save(self, key: str, saved: SavedResponse) -> None:
        """Remember a response, forgetting the oldest beyond MAX_KEYS."""
        self._saved[key] = saved
        while len(self._saved) > MAX_KEYS:
            self._saved.popitem(last=False)

    def clear(self) -> None:
        """Forget every key."""
        self._saved.clear()


def _idempotency_error(message: str, status: int = 400) -> UserError:
    error = invalid_request(message, status=status)
    error.body["error"]["type"] = "idempotency_error"
    return error


def _replay(key: str, saved: SavedResponse, method: str, path: str, params: Any) -> web.Response:
    """The saved response, or Stripe's idempotency_error when the request is not the same one."""
    if (saved.method, saved.path) != (method, path):
        raise _idempotency_error(
            "Keys for idempotent requests can only be used for the same endpoint they were first used for "
            f"('{saved.method} {saved.path}' vs '{method} {path}'). "
            f"Try using a key other than '{key}' if you meant to execute a different request."
        )
    if saved.params != params:
        raise _idempotency_error(
            "Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request."
        )
    response = web.Response(
        status=saved.status, body=saved.body, headers={"Content-Type": saved.content_type}
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def middleware(keys: IdempotencyKeys) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware (innermost: after localstripe's authentication) keeping `keys`."""

    @web.middleware
    async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "DELETE" and request.path == "/_config/data":
            keys.clear()
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not request.path.startswith("/v1/") or not key:
            return await handler(request)
        if len(key) > MAX_KEY_LENGTH:
            raise _idempotency_error(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long.")
        params = dict(await get_post_data(request, remove_auth=False) or {})
        saved = keys.get(key)
        if saved is not None:
            response = _replay(key, saved, request.method, request.path, params)
        elif key in keys.running:
            raise _idempotency_error(
                "There is currently another in-progress request using this Idempotent Key (that probably "
                f"means you submitted twice, and the other request is still going through): {key}. "
                "Please try again later.",
                status=409,
            )
        else:
            keys.running.add(key)
            try:
                response = await handler(request)
            except UserError as error:
                response = error.to_response()
            finally:
                keys.running.discard(key)
            if isinstance(response, web.Response) and response.status in STORED_STATUSES:
                body = response.body if isinstance(response.body, bytes) else b""
                keys.save(
                    key,
                    SavedResponse(
                        request.method,
                        request.path,
                        params,
                        response.status,
                        body,
                        response.headers.get("Content-Type", "application/json"),
                        time.time(),
                    ),
                )
        response.headers["Idempotency-Key"] = key
        return response

    return idempotency


def install(app: web.Application) -> IdempotencyKeys:
    """Append the middleware to localstripe's app; returns its key store."""
    keys = IdempotencyKeys()
    app.middlewares.append(middleware(keys))
    return keys
