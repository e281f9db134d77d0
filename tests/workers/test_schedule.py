"""The periodic sweep, as rq's cron scheduler enqueues it, runs on a real worker for every tenant."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.models import Offer
from marketplace.models.base import utcnow
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_campaign, make_influencer, make_offer, make_tenant
from tests.workers.test_jobs import _drain
from workers.queues import DEFAULT_QUEUE
from workers.schedule import sweep_tenants


def test_sweep_expires_due_offers_in_every_tenant(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """A due offer in each of two tenants is expired by one sweep job; a fresh one stays pending."""
    offers = {}
    for slug in ("alpha", "beta"):
        tenant = make_tenant(app, slug)
        brand, influencer = make_brand(app, client, slug), make_influencer(app, client, slug)
        campaign = make_campaign(brand, publish=True)
        due, fresh = make_offer(brand, influencer, campaign), None
        with app.app_context(), tenant_scope(tenant.id):
            db.session.execute(update(Offer).values(expires_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        other = make_influencer(app, client, slug)
        fresh = make_offer(brand, other, campaign)
        offers[slug] = (brand, due, fresh)
    redis_client.flushdb()  # drop the per-offer scheduled jobs: only the sweep runs here
    Queue(DEFAULT_QUEUE, connection=redis_client).enqueue(sweep_tenants)
    _drain(redis_client)
    for brand, due, fresh in offers.values():
        assert brand.get(f"/api/v1/offers/{due}").get_json()["offer"]["status"] == "expired"
        assert brand.get(f"/api/v1/offers/{fresh}").get_json()["offer"]["status"] == "pending"


def test_cron_scheduler_enqueues_the_sweep(app: Flask, redis_client: Redis) -> None:
    """The cron scheduler the `cron` command runs enqueues the sweep and the payment reconciliation."""
    from workers.schedule import build_cron

    with app.app_context():
        scheduler = build_cron()
        enqueued = scheduler.enqueue_jobs()
    assert sorted(job.func_name for job in enqueued) == [
        "workers.jobs.payments.reconcile_all_tenants",
        "workers.schedule.sweep_tenants",
    ]
    assert len(Queue(DEFAULT_QUEUE, connection=redis_client)) == 1
    assert len(Queue("payments", connection=redis_client)) == 1
