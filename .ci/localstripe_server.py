"""Serve localstripe (the stateful fake Stripe, GPL, test tooling only) on 127.0.0.1.

localstripe's own CLI binds every interface and pickles its store to /tmp after each write;
this runs the same aiohttp app on loopback with the disk dump turned off, extended by
`localstripe_ext` with Connect accounts, account links, transfers, Idempotency-Key replay and the
PaymentIntent and refund parameters a marketplace sends (docs/localstripe.md).
Usage: python .ci/localstripe_server.py [PORT]  (LOCALSTRIPE_HOST=0.0.0.0 inside a container)
"""

import os
import sys

from aiohttp import web
from localstripe import server
from localstripe.resources import store
from localstripe_ext import install


def main() -> None:
    """Run the extended localstripe on 127.0.0.1:PORT (8420 by default) until interrupted."""
    store.dump_to_disk = lambda: None  # state lives in memory only: fast, and nothing left behind
    install(server.app)
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
    # Loopback by default; docker-compose sets LOCALSTRIPE_HOST so the other containers reach it.
    web.run_app(server.app, host=os.environ.get("LOCALSTRIPE_HOST", "127.0.0.1"), port=port, print=None)


if __name__ == "__main__":
    main()
