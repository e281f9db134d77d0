"""Start an rq worker (with rq's scheduler) on every queue: python -m workers."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from flask import Flask
from rq import Worker

from marketplace.extensions import redis
from workers.queues import QUEUES
from workers.runtime import bind_app


def run_worker(app: Flask, *, burst: bool = False, queues: Sequence[str] = ()) -> bool:
    """Run a worker on `queues` (default: all, in priority order) inside the app's context.

    Jobs reuse this app. Returns rq's result.
    """
    if redis.client is None:
        sys.exit("REDIS_URL is not set: without Redis, jobs run inside the API process.")
    bind_app(app)
    with app.app_context():
        worker = Worker(list(queues or QUEUES), connection=redis.client)
        return worker.work(with_scheduler=True, burst=burst)


if __name__ == "__main__":
    from marketplace import create_app

    run_worker(create_app(), burst="--burst" in sys.argv)
