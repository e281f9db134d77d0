"""Payment jobs on the payments queue: webhook processing, release, dispute settlement, reconciliation.

Each takes ids, reloads state and is safe to run twice; rq retries them with backoff
(marketplace.services.payments.release.PAYMENTS_SPEC). Stripe calls that move money carry keys
derived from our rows, so a retry after a crash replays rather than repeats them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Tenant
from marketplace.services.payments.handlers import HANDLERS
from marketplace.services.payments.reconciliation import reconcile_tenant
from marketplace.services.payments.refunds import execute_refund
from marketplace.services.payments.release import PAYMENTS_SPEC
from marketplace.services.payments.release import release_contract as release
from marketplace.services.payments.settlement import settle_dispute as settle
from marketplace.services.payments.stripe_events import drain_received, process_event
from workers.queues import enqueue
from workers.runtime import fresh_pool_after_fork, job_app, tenant_job, tracked_job

RECONCILE_JOB = "workers.jobs.payments.reconcile_payments"


@tenant_job
def process_stripe_event(*, job_id: str, event_id: str, skip_locked: bool = False) -> dict[str, Any]:
    """Run the handler of one recorded Stripe event (once, whatever the number of deliveries).

    Queued per event without Redis, for an event that failed in a drain, and run inline by the drain
    (with skip_locked: an event another run holds is left to it).
    """
    return process_event(uuid.UUID(event_id), HANDLERS, skip_locked=skip_locked)


def drain_stripe_events(*, job_id: str, retries_left: int | None = None) -> dict[str, Any]:
    """Process every Stripe event still 'received', each in its tenant and its own transaction.

    Queued by the webhook intake when it arms the drain (stripe_events.arm_drain); the loop, and why
    no event is stranded, is stripe_events.drain_received. Untracked like process_stripe_event (no
    JobRecord): each event runs through that job's own wrapper, which enters the event's tenant,
    rolls back on failure and gives the session back. A failing event becomes its own job with rq's
    retries; two drains at once are safe (row locks, skipped when held). If Redis loses this job,
    the armed key expires within a minute and the next event queues another; reconciliation
    processes whatever stays 'received' beyond that.
    """

    def run_one(event_id: uuid.UUID, tenant_id: uuid.UUID) -> dict[str, Any]:
        return process_stripe_event(
            job_id=job_id, tenant_id=str(tenant_id), event_id=str(event_id), skip_locked=True
        )

    with job_app().app_context():
        fresh_pool_after_fork()
        try:
            return drain_received(run_one).to_json()
        finally:
            db.session.remove()


@tracked_job
def release_contract(*, job_id: str, contract_id: str) -> dict[str, Any]:
    """Transfer the influencer's net of a contract, or leave it payable until they can receive it."""
    return release(uuid.UUID(contract_id))


@tracked_job
def settle_dispute(
    *, job_id: str, contract_id: str, outcome: str, influencer_share_bps: int | None = None
) -> dict[str, Any]:
    """Move a disputed contract's money as resolved: release, refund or split."""
    return settle(uuid.UUID(contract_id), outcome, influencer_share_bps)


@tracked_job
def send_refund(*, job_id: str, refund_id: str) -> dict[str, Any]:
    """Send one pending refund to Stripe (a payment that arrived on a cancelled contract)."""
    return execute_refund(uuid.UUID(refund_id))


@tenant_job
def reconcile_payments(*, job_id: str, lookback_days: int = 30) -> dict[str, Any]:
    """Compare one tenant's payments, transfers and refunds with Stripe and repair the differences."""
    return reconcile_tenant(lookback_days)


def reconcile_all_tenants(*, job_id: str | None = None, retries_left: int | None = None) -> int:
    """Queue the reconciliation of every tenant (register it with the cron, e.g. hourly); returns how many."""
    with job_app().app_context():
        tenant_ids = list(db.session.execute(select(Tenant.id)).scalars())
        for tenant_id in tenant_ids:
            enqueue(RECONCILE_JOB, f"reconcile-{uuid.uuid4()}", PAYMENTS_SPEC, tenant_id=str(tenant_id))
        db.session.remove()
    return len(tenant_ids)
