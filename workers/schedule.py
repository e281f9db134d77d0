"""Periodic work on rq's cron scheduler: offer expiry, auto-approval, lost jobs, payment reconciliation.

Each offer's expiry is also scheduled at its own deadline (rq's scheduler, `enqueue_at`); this sweep
is the safety net that catches anything a lost scheduled job left behind. On the embedded default
(no Redis) the dev server runs the same sweep on a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from sqlalchemy import select

from marketplace.extensions import db, redis
from workers.jobs.payments import reconcile_all_tenants
from workers.queues import DEFAULT_QUEUE, PAYMENTS_QUEUE, clean_abandoned_jobs
from workers.runtime import job_app

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60
RECONCILE_SECONDS = 3600


def _tenant_sweeps() -> list[tuple[str, Callable[[], Any]]]:
    from marketplace.services.deliverables import auto_approve_due
    from marketplace.services.jobs import recover_jobs
    from marketplace.services.offers import expire_due_offers

    return [
        ("offers_expired", expire_due_offers),
        ("deliverables_auto_approved", auto_approve_due),
        ("jobs_recovered", recover_jobs),
    ]


def sweep_tenants() -> dict[str, dict[str, Any]]:
    """Run every periodic sweep in every tenant; one tenant's failure does not stop the others."""
    from marketplace.models import Tenant
    from marketplace.tenancy import tenant_scope

    app = job_app()
    results: dict[str, dict[str, Any]] = {}
    with app.app_context():
        try:
            clean_abandoned_jobs()  # first, so that jobs of dead workers are retried or failed by rq
        except RedisError:
            log.exception("cleaning rq's registries of abandoned jobs failed")
        tenant_ids = list(db.session.execute(select(Tenant.id, Tenant.slug)).all())
        for tenant_id, slug in tenant_ids:
            results[slug] = {}
            for name, sweep in _tenant_sweeps():
                try:
                    with tenant_scope(tenant_id):
                        results[slug][name] = sweep()
                except Exception as exc:  # logged and retried on the next sweep
                    db.session.rollback()
                    log.exception("sweep %s failed for tenant %s", name, slug)
                    results[slug][name] = f"error: {type(exc).__name__}"
        db.session.remove()
    return results


def build_cron() -> CronScheduler:
    """rq's cron scheduler with the sweep registered every SWEEP_SECONDS."""
    if redis.client is None:
        raise SystemExit("REDIS_URL is not set: the embedded default sweeps inside the API process.")
    scheduler = CronScheduler(connection=redis.client, name="marketplace-cron")
    scheduler.register(sweep_tenants, DEFAULT_QUEUE, interval=SWEEP_SECONDS, job_timeout=300)
    # Compare funded, released and refunded contracts with Stripe; repair what a lost webhook left.
    scheduler.register(reconcile_all_tenants, PAYMENTS_QUEUE, interval=RECONCILE_SECONDS, job_timeout=1800)
    return scheduler


def run_cron(app: Flask) -> None:
    """Run the cron scheduler until stopped (flask --app wsgi cron)."""
    with app.app_context():
        build_cron().start()


def start_in_process_sweeper(app: Flask, every: int = SWEEP_SECONDS) -> threading.Event:
    """The embedded default's scheduler: a daemon thread sweeping every `every` seconds; set() stops it."""
    from workers.runtime import bind_app

    bind_app(app)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                sweep_tenants()
            except Exception:
                log.exception("in-process sweep failed")

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop
