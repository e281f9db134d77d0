"""Worker processes (`python -m workers`) killed with SIGKILL in the middle of a job, then retried by rq.

A job is stopped at a known statement by a lock the test holds in PostgreSQL (a row its insert
must reference, or a table it must insert into), so "in the middle" is exact and no production code
waits for tests. rq 2.12 then does what it does in production: the worker whose horse died hands
the job to its Retry (or to the FailedJobRegistry when retries are used up); the job of a worker
that died with its horse is found by StartedJobRegistry.cleanup once its heartbeat lapses.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Campaign,
    CampaignMatch,
    Contract,
    JobRecord,
    Notification,
    StripeEvent,
    Transfer,
)
from marketplace.models.base import utcnow
from marketplace.services.jobs import STUCK_AFTER, recover_jobs, start_job
from marketplace.services.matching import MATCH_JOB
from marketplace.services.payments import release
from marketplace.services.payments.ledger import balances, ledger_problems
from marketplace.tenancy import tenant_scope
from tests.factories import accept_offer, make_brand, make_campaign, make_influencer, make_offer, make_tenant
from tests.payments.factories import (
    deliver,
    drain,
    fund,
    funded,
    idempotency_key,
    localstripe_event,
    make_deal,
    onboarded,
    pay,
    sdk,
    set_status,
    tenant_id_of,
)
from tests.reliability.conftest import Spawner
from tests.reliability.processes import HeldLocks, wait_for
from workers.queues import DEFAULT_QUEUE, PAYMENTS_QUEUE, QUEUES, JobSpec

NOTIFICATION_INSERT = "%INSERT INTO notifications%"
MATCHES_INSERT = "%INSERT INTO campaign_matches%"


def _record(app: Flask, tenant_id: uuid.UUID, job_id: str) -> JobRecord:
    with app.app_context(), tenant_scope(tenant_id):
        record = db.session.execute(select(JobRecord).where(JobRecord.id == uuid.UUID(job_id))).scalar_one()
        db.session.expunge(record)
        return record


def _count(app: Flask, tenant_id: uuid.UUID, model: Any, *where: Any) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _finished(app: Flask, tenant_id: uuid.UUID, job_id: str, timeout: float = 40) -> JobRecord:
    return wait_for(
        lambda: (r := _record(app, tenant_id, job_id)).status == "finished" and r,
        timeout,
        f"job {job_id} to finish",
    )


def _campaign_with_candidates(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> tuple[Any, str, list[Any]]:
    """A draft campaign and three influencers who match it; their own jobs (fraud checks) already ran."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    people = [make_influencer(app, client, "alpha") for _ in range(3)]
    campaign = make_campaign(brand)
    drain(redis_client)
    return brand, campaign, people


def test_matching_killed_mid_write_is_retried_and_writes_all_or_nothing(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """The horse dies inside the matches insert: nothing is stored; rq retries in 5 s; the run completes."""
    brand, campaign, people = _campaign_with_candidates(app, client, redis_client)
    tenant_id = tenant_id_of(app, "alpha")
    worker = spawn.worker()
    worker.wait_ready(redis_client)
    # The insert of the matches must check its foreign key on this profile: it waits for our lock.
    locks.hold("SELECT 1 FROM influencer_profiles WHERE id = %s FOR UPDATE", (people[0].profile_id,))
    published = brand.post(f"/api/v1/campaigns/{campaign}/publish")
    assert published.status_code == 200, published.get_json()
    job_id = published.get_json()["matching_job_id"]
    locks.wait_until_waiting(MATCHES_INSERT)

    worker.kill_horse()
    assert _record(app, tenant_id, job_id).status == "started"
    wait_for(lambda: Job.fetch(job_id, connection=redis_client).get_status() == "scheduled", 10, "rq's retry")
    assert Job.fetch(job_id, connection=redis_client).retries_left == 2  # Retry(max=3): one used
    locks.release()  # the dead horse's session notices its client is gone and rolls back
    assert _count(app, tenant_id, CampaignMatch) == 0

    done = _finished(app, tenant_id, job_id)
    assert done.attempts == 2 and done.result["matches"] == 3
    with app.app_context(), tenant_scope(tenant_id):
        rows = db.session.execute(select(CampaignMatch.rank, CampaignMatch.run_id)).all()
    assert sorted(rank for rank, _ in rows) == [1, 2, 3] and len({run for _, run in rows}) == 1
    assert worker.popen.poll() is None  # the worker itself lived on


def test_job_killed_on_every_attempt_ends_in_rqs_failed_registry_and_its_record_says_so(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """Killed on its first try and on its one retry: rq keeps it as failed; the sweep closes the JobRecord."""
    _, campaign, people = _campaign_with_candidates(app, client, redis_client)
    tenant_id = tenant_id_of(app, "alpha")
    with app.app_context(), tenant_scope(tenant_id):
        draft = db.session.execute(select(Campaign)).scalar_one()
        draft.status = "published"
        db.session.commit()
    worker = spawn.worker()
    worker.wait_ready(redis_client)
    locks.hold("SELECT 1 FROM influencer_profiles WHERE id = %s FOR UPDATE", (people[0].profile_id,))
    with app.app_context(), tenant_scope(tenant_id):
        job_id = str(
            start_job(MATCH_JOB, user=None, spec=JobSpec(retry_intervals=(1,)), campaign_id=campaign).id
        )
    locks.wait_until_waiting(MATCHES_INSERT)
    worker.kill_horse()
    # The dead horse's session still waits (holding the campaign row); the retry, 1 s later, waits behind it.
    locks.wait_until_waiting("%FROM campaigns%FOR UPDATE%")
    worker.kill_horse()
    rq_job = wait_for(
        lambda: (j := Job.fetch(job_id, connection=redis_client)).get_status() == "failed" and j,
        10,
        "rq to give up",
    )
    assert rq_job.retries_left == 0
    assert job_id in FailedJobRegistry(DEFAULT_QUEUE, connection=redis_client).get_job_ids()
    assert "Work-horse terminated unexpectedly" in rq_job.latest_result().exc_string
    assert (_record(app, tenant_id, job_id).status, _record(app, tenant_id, job_id).attempts) == (
        "started",
        2,
    )
    locks.release()

    with app.app_context(), tenant_scope(tenant_id):
        assert recover_jobs() == {"requeued": 0, "failed": 0}  # too recent to judge
        assert recover_jobs(utcnow() + STUCK_AFTER + timedelta(seconds=1)) == {"requeued": 0, "failed": 1}
    closed = _record(app, tenant_id, job_id)
    assert closed.status == "failed" and "Work-horse terminated unexpectedly" in closed.error
    assert _count(app, tenant_id, CampaignMatch) == 0  # nothing half-written


def test_contract_generation_survives_its_worker_dying_with_the_horse(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """Worker, scheduler and horse SIGKILLed after the PDF is stored: restarted, rq retries; done once."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign)
    drain(redis_client)  # the setup's own jobs (fraud checks, matching): only the generation is left
    contract_id = accept_offer(influencer, offer)
    tenant_id = tenant_id_of(app, "alpha")
    with app.app_context(), tenant_scope(tenant_id):
        job_id = str(
            db.session.execute(
                select(JobRecord.id).where(JobRecord.name.like("%generate_contract_document"))
            ).scalar_one()
        )
    # The job renders and stores the PDF, then waits to insert its "contract ready" notifications.
    locks.hold("LOCK TABLE notifications IN EXCLUSIVE MODE")
    worker = spawn.worker()
    locks.wait_until_waiting(NOTIFICATION_INSERT)
    stored = (
        Path(app.config["MARKETPLACE"].storage_dir)
        / str(tenant_id)
        / "contracts"
        / contract_id
        / "contract.pdf"
    )
    assert stored.exists()

    worker.crash()
    started = StartedJobRegistry(DEFAULT_QUEUE, connection=redis_client)
    assert job_id in started.get_job_ids(cleanup=False)  # nobody knows yet that its worker is gone
    locks.release()
    with app.app_context(), tenant_scope(tenant_id):
        contract = db.session.execute(select(Contract)).scalar_one()
        assert (contract.status, contract.document_sha256, contract.document_key) == (
            "generating",
            None,
            None,
        )
    assert _count(app, tenant_id, Notification, Notification.kind == "contract_ready") == 0

    # rq's clocks, moved forward instead of waited for: the execution's heartbeat lapses after at most
    # 90 s (job_monitoring_interval 30 + 60), and the dead scheduler's lock after 61 s.
    started.cleanup()
    assert job_id in started.get_job_ids(cleanup=False)  # within the heartbeat: still "running"
    started.cleanup(timestamp=time.time() + 91)
    rq_job = Job.fetch(job_id, connection=redis_client)
    assert (rq_job.get_status(), rq_job.retries_left) == ("scheduled", 2)
    assert job_id in ScheduledJobRegistry(DEFAULT_QUEUE, connection=redis_client).get_job_ids()
    for name in QUEUES:
        assert redis_client.ttl(f"rq:scheduler-lock:{name}") <= 61
        redis_client.delete(f"rq:scheduler-lock:{name}")

    restarted = spawn.worker()
    done = _finished(app, tenant_id, job_id)
    assert done.attempts == 2, restarted.log()
    with app.app_context(), tenant_scope(tenant_id):
        contract = db.session.execute(select(Contract)).scalar_one()
        assert contract.status == "awaiting_signatures"
        assert contract.document_sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert (
        _count(app, tenant_id, Notification, Notification.kind == "contract_ready") == 2
    )  # each party, once
    assert list(stored.parent.glob(".*.tmp")) == []


def test_transfer_killed_after_the_stripe_call_pays_once(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """The horse dies after Stripe made the transfer, before our commit; the retry replays: one transfer."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=30_000)
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")
    group = {"transfer_group": f"contract_{deal.contract_id}"}
    # After the Stripe call the job posts the ledger movement, then waits to insert "payout sent".
    locks.hold("LOCK TABLE notifications IN EXCLUSIVE MODE")
    worker = spawn.worker()
    with app.app_context(), tenant_scope(deal.tenant_id):
        job_id = str(release.queue_release(uuid.UUID(deal.contract_id)).id)
    locks.wait_until_waiting(NOTIFICATION_INSERT)
    [at_stripe] = sdk().v1.transfers.list(group).data  # the money has moved at Stripe

    worker.kill_horse()
    locks.release()
    with app.app_context(), tenant_scope(deal.tenant_id):
        stuck = db.session.execute(select(Transfer)).scalar_one()
        assert (stuck.status, stuck.stripe_transfer_id) == ("pending", None)  # our commit never happened
        assert "transfer_out" not in balances(uuid.UUID(deal.contract_id))
        assert ledger_problems() == []
    assert Job.fetch(job_id, connection=redis_client).get_status() == "scheduled"  # PAYMENTS_SPEC: in 10 s

    done = _finished(app, deal.tenant_id, job_id, timeout=40)
    assert done.attempts == 2 and done.result["stripe_transfer_id"] == at_stripe.id
    assert [t.id for t in sdk().v1.transfers.list(group).data] == [at_stripe.id]
    with app.app_context(), tenant_scope(deal.tenant_id):
        paid = db.session.execute(select(Transfer)).scalar_one()
        assert (paid.status, paid.stripe_transfer_id) == ("paid", at_stripe.id)
        assert balances(uuid.UUID(deal.contract_id))["transfer_out"] == 27_000
        assert ledger_problems() == []
    assert _count(app, deal.tenant_id, Notification, Notification.kind == "payout_sent") == 1
    assert worker.popen.poll() is None


def _event_statuses(app: Flask) -> dict[str, str]:
    """Each recorded Stripe event's status, by the id of the object it is about."""
    with app.app_context():
        rows = db.session.execute(select(StripeEvent.payload, StripeEvent.status)).all()
    return {payload["data"]["object"]["id"]: status for payload, status in rows}


def test_a_drain_killed_inside_an_event_leaves_it_whole_and_its_retry_funds_once(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """Two payment_intent.succeeded events wait for one drain; its horse dies while the second event's
    transaction waits on the payment row: the first stays processed, the second stays 'received' with
    nothing of it written; rq retries the drain (PAYMENTS_SPEC, 10 s) and it funds the second once."""
    make_tenant(app, "alpha")
    deals = [make_deal(app, client, "alpha", cash_minor=30_000) for _ in range(2)]
    intents = []
    for deal in deals:
        response = fund(deal, idempotency_key())
        assert response.status_code == 201, response.get_json()
        intents.append(pay(response.get_json()["payment_intent_id"]))
        assert intents[-1]["status"] == "succeeded"
    drain(redis_client)  # the setup's own jobs; no event is recorded yet
    before = deals[1].contract(app).status
    for intent in intents:
        event = localstripe_event("payment_intent.succeeded", intent["id"])
        assert deliver(client, event).status_code == 200
    queued = Queue(PAYMENTS_QUEUE, connection=redis_client).job_ids
    [drain_id] = [job_id for job_id in queued if job_id.startswith("stripe-drain-")]
    # The second event's handler locks its payment row first (FOR UPDATE): it waits for ours.
    locks.hold("SELECT 1 FROM payments WHERE stripe_payment_intent_id = %s FOR UPDATE", (intents[1]["id"],))
    worker = spawn.worker()
    locks.wait_until_waiting("%FROM payments%FOR UPDATE%")
    assert _event_statuses(app) == {intents[0]["id"]: "processed", intents[1]["id"]: "received"}

    worker.kill_horse()
    locks.release()  # the dead horse's session finds its client gone and rolls back
    assert _event_statuses(app)[intents[1]["id"]] == "received"
    assert deals[0].contract(app).status == "funded"
    assert deals[1].contract(app).status == before
    with app.app_context(), tenant_scope(deals[1].tenant_id):
        assert balances(uuid.UUID(deals[1].contract_id)) == {}  # nothing of the second event written
        assert ledger_problems() == []
    rq_job = Job.fetch(drain_id, connection=redis_client)
    assert rq_job.get_status() == "scheduled" and rq_job.retries_left == 3  # PAYMENTS_SPEC: in 10 s

    wait_for(lambda: set(_event_statuses(app).values()) == {"processed"}, 40, "the retried drain")
    assert [deal.contract(app).status for deal in deals] == ["funded", "funded"]
    with app.app_context(), tenant_scope(deals[1].tenant_id):
        assert ledger_problems() == []
        # The same funding, posted once each: the second contract's accounts equal the first's.
        funded_once = balances(uuid.UUID(deals[0].contract_id))
        assert funded_once and balances(uuid.UUID(deals[1].contract_id)) == funded_once
    assert Job.fetch(drain_id, connection=redis_client).get_status() == "finished"
    assert worker.popen.poll() is None
