"""What localstripe lacks for a marketplace using separate charges and transfers (see docs/localstripe.md).

localstripe is GPL-3.0 test tooling: this package lives in .ci/ with it and is never shipped.
"""

from __future__ import annotations

from aiohttp import web

from . import connect, disputes, idempotency, payment_params, transfers


def install(app: web.Application) -> None:
    """Add Connect accounts, account links, transfers, disputes, marketplace parameters, Idempotency-Key."""
    payment_params.install()
    connect.install(app)
    transfers.install(app)
    disputes.install(app)
    idempotency.install(app)
