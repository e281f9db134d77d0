"""Races on real PostgreSQL between API processes, threads and rq worker processes.

The slot race between threads of one process is
tests/api/test_contracts.py::test_fifty_concurrent_accepts_fill_three_slots; here the same race
runs across gunicorn worker processes, next to double funding, approval racing a dispute, and one
release job run by two worker processes at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Contract, Deliverable, Dispute, JobRecord, Payment, Transfer
from marketplace.services.payments import release
from marketplace.services.payments.ledger import balances, find_movement, ledger_problems
from marketplace.tenancy import tenant_scope
from tests.factories import Caller, make_brand, make_campaign, make_influencer, make_offer, make_tenant
from tests.payments.factories import (
    Deal,
    deliver,
    drain,
    funded,
    idempotency_key,
    localstripe_event,
    make_deal,
    onboarded,
    pay,
    sdk,
    set_status,
)
from tests.reliability.conftest import Spawner
from tests.reliability.processes import Answer, HeldLocks, call, wait_for
from workers.queues import PAYMENTS_QUEUE, enqueue

CONTRACT_LOCK = "%FROM contracts%FOR UPDATE%"


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads released together by a barrier; results in the calls' order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_accepts_in_separate_api_processes_fill_the_slots_once(
    app: Flask, client: FlaskClient, spawn: Spawner
) -> None:
    """10 accepts at once on a 3-slot campaign served by two gunicorn processes: 3 contracts, 7 clear 409s."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand, publish=True, slots=3)
    people = [make_influencer(app, client, "alpha") for _ in range(10)]
    offers = [make_offer(brand, person, campaign, cash_minor=10_000) for person in people]
    api = spawn.api()

    def accept(person: Caller, offer: str) -> Callable[[], Answer]:
        return lambda: call(
            "POST", f"{api.url}/api/v1/offers/{offer}/accept", person.tokens["access_token"], "alpha"
        )

    answers = _all_at_once([accept(p, o) for p, o in zip(people, offers, strict=True)])
    assert sorted(a.status for a in answers) == [201] * 3 + [409] * 7, [(a.status, a.body) for a in answers]
    assert all("slots" in a.body["detail"] for a in answers if a.status == 409)
    won = {a.body["contract_id"] for a in answers if a.status == 201}
    tenant_id = _tenant(app, brand)
    with app.app_context(), tenant_scope(tenant_id):
        stored = set(map(str, db.session.execute(select(Contract.id)).scalars()))
        generations = db.session.execute(
            select(func.count())
            .select_from(JobRecord)
            .where(JobRecord.name.like("%generate_contract_document"))
        ).scalar_one()
    assert stored == won and generations == 3


def _tenant(app: Flask, caller: Caller) -> uuid.UUID:
    from tests.payments.factories import tenant_id_of

    return tenant_id_of(app, caller.tenant_slug)


def test_concurrent_funding_makes_one_payment_intent_and_one_charge(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner
) -> None:
    """Eight /fund at once (same key, other keys, no key), two API processes: one payment, intent, charge."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=25_000)
    api = spawn.api()
    shared = idempotency_key()
    keys = [shared, shared, idempotency_key(), idempotency_key(), None, None, idempotency_key(), None]
    url = f"{api.url}/api/v1/contracts/{deal.contract_id}/fund"
    token = deal.brand.tokens["access_token"]

    def fund(key: str | None) -> Callable[[], Answer]:
        return lambda: call("POST", url, token, "alpha", {}, {"Idempotency-Key": key} if key else {})

    answers = _all_at_once([fund(k) for k in keys])
    # A request that met another one still talking to Stripe under the same key may be told to retry
    # (503, "retry with the same Idempotency-Key"): a client does, and gets the same payment.
    for index, answer in enumerate(answers):
        if answer.status == 503:
            assert answer.body["type"] == "urn:marketplace:problem:service-unavailable"
            answers[index] = fund(keys[index])()
    assert {a.status for a in answers} <= {200, 201}, [(a.status, a.body) for a in answers]
    assert len({a.body["payment_intent_id"] for a in answers}) == 1
    assert len({a.body["payment_id"] for a in answers}) == 1
    intent_id = answers[0].body["payment_intent_id"]
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
    intents = [i.to_dict() for i in sdk().v1.payment_intents.list({"limit": 100}).auto_paging_iter()]
    ours = [i["id"] for i in intents if (i.get("metadata") or {}).get("contract_id") == deal.contract_id]
    assert ours == [intent_id]

    assert pay(intent_id)["status"] == "succeeded"
    event = localstripe_event("payment_intent.succeeded", intent_id)
    assert [deliver(client, event).status_code for _ in range(2)] == [200, 200]
    drain(redis_client)
    charges = [c.to_dict() for c in sdk().v1.charges.list({"limit": 100}).auto_paging_iter()]
    charges = [c for c in charges if _intent_of(c) == intent_id]
    assert len(charges) == 1
    assert deal.contract(app).status == "funded"
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert balances(uuid.UUID(deal.contract_id)) == {"brand_funding": -25_000, "platform_held": 25_000}
        assert ledger_problems() == []


def _row(model: Any, row_id: str) -> Any:
    """A row of the current tenant by id (primary keys are (tenant_id, id))."""
    return db.session.execute(select(model).where(model.id == uuid.UUID(row_id))).scalar_one()


def _intent_of(charge: dict[str, Any]) -> str | None:
    intent = charge.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def _ready_for_last_approval(
    app: Flask, client: FlaskClient, redis_client: Redis, brand: Caller, influencer: Caller
) -> tuple[Deal, str]:
    """A funded contract whose one required deliverable (a live Instagram post) waits for the brand."""
    deal = make_deal(app, client, "alpha", cash_minor=30_000, brand=brand, influencer=influencer)
    funded(app, client, redis_client, deal)
    submitted = influencer.post(
        f"/api/v1/contracts/{deal.contract_id}/deliverables",
        json={
            "platform": "instagram",
            "type": "post",
            "stage": "live",
            "url": "https://instagram.com/p/x",
            "caption": "So good #ad",
        },
    )
    assert submitted.status_code == 201, submitted.get_json()
    return deal, submitted.get_json()["deliverable"]["id"]


def _approve(app: Flask, deal: Deal, deliverable_id: str) -> Callable[[], Any]:
    def run() -> Any:
        return app.test_client().post(
            f"/api/v1/deliverables/{deliverable_id}/approve", headers=deal.brand.headers
        )

    return run


def _dispute(app: Flask, deal: Deal) -> Callable[[], Any]:
    def run() -> Any:
        return app.test_client().post(
            f"/api/v1/contracts/{deal.contract_id}/disputes",
            json={"reason": "late", "description": "Opened while the brand approves"},
            headers=deal.influencer.headers,
        )

    return run


def _in_order(locks: HeldLocks, deal: Deal, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Queue `first` then `second` behind a lock on the contract row, then let them go in that order."""
    results: list[Any] = [None, None]

    def run(index: int, request: Callable[[], Any]) -> None:
        results[index] = request()

    locks.hold("SELECT 1 FROM contracts WHERE id = %s FOR UPDATE", (deal.contract_id,))
    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate((first, second))]
    threads[0].start()
    locks.wait_until_waiting(CONTRACT_LOCK, 1)
    threads[1].start()
    locks.wait_until_waiting(CONTRACT_LOCK, 2)
    locks.release()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_approval_racing_a_dispute_never_both_and_no_money_while_disputed(
    app: Flask, client: FlaskClient, redis_client: Redis, locks: HeldLocks
) -> None:
    """The last approval and a dispute at once: exactly one wins; a disputed contract releases nothing."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    first = make_deal(app, client, "alpha", cash_minor=30_000, brand=brand, influencer=influencer)
    onboarded(first, client, redis_client)
    outcomes: dict[str, str] = {}

    for order in ("approval first", "dispute first", "race 1", "race 2", "race 3"):
        deal, deliverable_id = _ready_for_last_approval(app, client, redis_client, brand, influencer)
        approve, dispute = _approve(app, deal, deliverable_id), _dispute(app, deal)
        if order == "approval first":
            approved, disputed = _in_order(locks, deal, approve, dispute)
        elif order == "dispute first":
            disputed, approved = _in_order(locks, deal, dispute, approve)
        else:
            approved, disputed = _all_at_once([approve, dispute])
        pair = (approved.status_code, disputed.status_code)
        assert pair in ((200, 409), (409, 201)), (order, pair, approved.get_json(), disputed.get_json())
        outcomes[deal.contract_id] = "approved" if pair == (200, 409) else "disputed"
        drain(redis_client)  # the release queued by a winning approval runs now
    assert list(outcomes.values())[:2] == ["approved", "disputed"]

    for contract_id, outcome in outcomes.items():
        transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{contract_id}"}).data
        with app.app_context(), tenant_scope(first.tenant_id):
            contract = _row(Contract, contract_id)
            disputes = (
                db.session.execute(select(Dispute).where(Dispute.contract_id == contract.id)).scalars().all()
            )
            deliverable = db.session.execute(
                select(Deliverable).where(Deliverable.contract_id == contract.id)
            ).scalar_one()
            money = balances(contract.id)
            if outcome == "approved":
                assert (contract.status, deliverable.status, disputes) == ("completed", "approved", [])
                assert money["transfer_out"] == 27_000 and len(transfers) == 1
            else:
                assert (contract.status, contract.status_before_dispute) == ("disputed", "funded")
                assert deliverable.status == "submitted" and len(disputes) == 1
                assert find_movement(contract.id, "release") is None and transfers == []
                assert money == {"brand_funding": -30_000, "platform_held": 30_000}
    with app.app_context(), tenant_scope(first.tenant_id):
        assert ledger_problems() == []


def test_two_worker_processes_running_one_release_job_pay_once(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner, locks: HeldLocks
) -> None:
    """The same release job queued twice (a repeated enqueue) runs in two workers at once: one transfer."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=40_000)
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")
    locks.hold("SELECT 1 FROM contracts WHERE id = %s FOR UPDATE", (deal.contract_id,))
    with app.app_context(), tenant_scope(deal.tenant_id):
        job_id = str(release.queue_release(uuid.UUID(deal.contract_id)).id)
        enqueue(
            release.RELEASE_JOB,
            job_id,
            release.PAYMENTS_SPEC,
            tenant_id=str(deal.tenant_id),
            contract_id=deal.contract_id,
        )
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).get_job_ids() == [job_id, job_id]

    workers = [spawn.worker(), spawn.worker()]
    locks.wait_until_waiting(CONTRACT_LOCK, 2)  # both executions wait on the contract row, at the same point
    assert all(w.horse() for w in workers)
    locks.release()

    def finished() -> bool:
        with app.app_context(), tenant_scope(deal.tenant_id):
            record = _row(JobRecord, job_id)
            return (
                record.status == "finished" and record.attempts == 2 and not any(w.horse() for w in workers)
            )

    wait_for(finished, 60, "both executions to finish")
    transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    with app.app_context(), tenant_scope(deal.tenant_id):
        rows = db.session.execute(select(Transfer)).scalars().all()
        assert [(t.status, t.stripe_transfer_id) for t in rows] == [("paid", transfers[0].id)]
        assert len(transfers) == 1 and transfers[0].amount == 36_000
        assert balances(uuid.UUID(deal.contract_id))["transfer_out"] == 36_000
        assert ledger_problems() == []
    assert deal.contract(app).status == "completed"
