"""aiohttp handlers that run a resource's class method and answer its JSON export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe.server import get_post_data, json_response, unflatten_data


def action(func: Callable[..., Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler calling `func(**path parameters, **query, **body)` and exporting what it returns.

    Unlike localstripe's `api_extra`, every path parameter is passed (e.g. both `transfer` and `id`).
    """

    async def handle(request: web.Request) -> web.Response:
        data = dict(await get_post_data(request) or {})
        data.update(unflatten_data(request.query) or {})
        data.update(request.match_info)
        expand = data.pop("expand", None)
        return json_response(func(**data)._export(expand=expand))

    return handle
