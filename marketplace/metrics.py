"""Prometheus metrics at `GET /metrics`: requests and their latency per route, the job queues, Redis.

What a scrape shows:
- `marketplace_http_requests_total{method, route, status}` and
  `marketplace_http_request_duration_seconds{method, route}` (a histogram): every answered request,
  the route as its URL rule (`/api/v1/contracts/<uuid:contract_id>`, never the raw path, so ids do not
  make new series, and no tenant: a label per tenant would tell every scraper who the tenants are);
  `unmatched` for a path no route knows.
- `marketplace_jobs_queued{queue}`, `marketplace_jobs_failed{queue}` (rq's failed registry, retries
  spent), `marketplace_rq_workers` and `marketplace_redis_up`, read from Redis at scrape time.

Under gunicorn each worker process counts its own requests. With PROMETHEUS_MULTIPROC_DIR set
(gunicorn.conf.py sets it for the master before the workers fork, and empties it at start) each
process writes its counts to memory-mapped files there and a scrape, whichever process answers it,
adds them all up: prometheus_client's multiprocess mode. Without it (the embedded default, one
process) the process's own registry answers.

METRICS_TOKEN, when set, is the bearer token a scrape must send (401 problem+json otherwise); unset,
the endpoint is open like /healthz, and belongs on the internal network only (docs/security.md).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError

from marketplace.errors import Unauthorized

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# From the ceiling (~1 ms) to the free-text search and a login under load (~0.1-0.5 s) and beyond.
# Methods counted by name; any other (a client may send any token as a method) is counted as `other`,
# so that nobody can add series to the metrics by inventing methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter(
    "marketplace_http_requests",
    "HTTP requests answered, by method, route (its URL rule) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "marketplace_http_request_duration_seconds",
    "Seconds from the request's first hook to its answer, by method and route.",
    ["method", "route"],
    buckets=BUCKETS,
)


def init_app(app: Flask) -> None:
    """Time every request (the clock starts in the request-id hook, the first one) and count its answer."""
    app.after_request(_observe)


def start_clock() -> None:
    """Note when the request began (called by the app's first before-request hook)."""
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    rule = request.url_rule
    route = rule.rule if rule is not None else "unmatched"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
    return response


def scrape() -> Response:
    """The exposition of every metric (all processes' in multiprocess mode), after the token check.

    In the format the scraper's Accept header asks for: OpenMetrics for Prometheus, which asks for it
    first; Prometheus's text format 0.0.4 for a client that asks for nothing in particular (curl).
    """
    expected = current_app.config["MARKETPLACE"].metrics_token
    if expected:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            raise Unauthorized("GET /metrics needs the METRICS_TOKEN as a bearer token.")
    try:
        encoder, content_type = choose_encoder(request.headers.get("Accept"))
    except (TypeError, ValueError):  # e.g. `version=abc`: prometheus_client compares it with numbers
        encoder, content_type = generate_latest, CONTENT_TYPE_PLAIN_0_0_4
    return Response(encoder(_Scrape()), content_type=content_type)


class _Scrape:
    """What generate_latest reads: the request metrics, then the queues read from Redis now."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_DIR):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from _queue_metrics()


def _queue_metrics() -> Iterator[Metric]:
    from rq import Queue, Worker

    from marketplace.extensions import redis
    from workers.queues import QUEUES

    if redis.client is None:  # the embedded default runs its jobs in-process: no queues to show
        return
    up = GaugeMetricFamily("marketplace_redis_up", "1 when Redis answered this scrape, 0 when it did not.")
    queued = GaugeMetricFamily("marketplace_jobs_queued", "Jobs waiting in each rq queue.", labels=["queue"])
    failed = GaugeMetricFamily(
        "marketplace_jobs_failed",
        "Jobs in each rq queue's failed registry (retries spent).",
        labels=["queue"],
    )
    workers = GaugeMetricFamily("marketplace_rq_workers", "rq workers registered with Redis.")
    try:
        for name in QUEUES:
            queue = Queue(name, connection=redis.client)
            queued.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
        workers.add_metric([], Worker.count(connection=redis.client))
    except RedisError:
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield from (up, queued, failed, workers)
