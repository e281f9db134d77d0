"""Serve localstripe (the stateful fake Stripe, GPL, test tooling only) on 127.0.0.1.

localstripe's own CLI binds every interface and pickles its store to /tmp after each write;
this runs the same aiohttp app on loopback with the disk dump turned off.
Usage: python .ci/localstripe_server.py [PORT]
"""

import sys

from aiohttp import web
from localstripe import server
from localstripe.resources import store

store.dump_to_disk = lambda: None  # state lives in memory only: fast, and nothing left behind
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
web.run_app(server.app, host="127.0.0.1", port=port, print=None)
