"""Dispute outcomes (release, refund, split), chargebacks, refunds and reversals seen through webhooks."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Contract, JobRecord, Notification, Refund
from marketplace.services.payments import disputes, settlement
from marketplace.services.payments.ledger import balances, ledger_problems
from marketplace.tenancy import tenant_scope
from tests.factories import make_caller, make_tenant
from tests.payments.factories import (
    Deal,
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
    stripe_event,
)

# cash 40_000 EUR, fee 10 % paid by the influencer: the brand paid 40_000, the influencer nets 36_000.
OUTCOMES = {
    "release": (None, {"transfer": 36_000, "fee": 4_000, "refund": 0}, "completed"),
    "refund": (None, {"transfer": 0, "fee": 0, "refund": 40_000}, "cancelled"),
    "split": (3_333, {"transfer": 11_998, "fee": 1_333, "refund": 26_669}, "completed"),
}


def _disputed_funded_deal(app: Flask, client: FlaskClient, redis_client: Redis) -> tuple[Deal, str]:
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=40_000)
    onboarded(deal, client, redis_client)
    intent = funded(app, client, redis_client, deal)
    set_status(app, deal, "disputed")
    return deal, intent["id"]


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_each_dispute_outcome_moves_the_money_once(
    app: Flask, client: FlaskClient, redis_client: Redis, outcome: str
) -> None:
    """The resolution ends the contract at once; the job refunds and/or transfers; a rerun adds nothing."""
    deal, intent_id = _disputed_funded_deal(app, client, redis_client)
    share, expected, final_status = OUTCOMES[outcome]
    with app.app_context(), tenant_scope(deal.tenant_id):
        contract = db.session.execute(select(Contract)).scalar_one()
        disputes.settle_dispute(contract, outcome, share)  # as the dispute service calls it
        assert contract.status == final_status
        db.session.commit()  # the dispute service's commit queues the settlement job
    drain(redis_client)

    transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    refunds = sdk().v1.refunds.list({"payment_intent": intent_id}).data
    assert sum(t.amount for t in transfers) == expected["transfer"]
    assert sum(r.amount for r in refunds) == expected["refund"]
    assert expected["transfer"] + expected["fee"] + expected["refund"] == 40_000
    with app.app_context(), tenant_scope(deal.tenant_id):
        [job] = (
            db.session.execute(select(JobRecord).where(JobRecord.name == settlement.SETTLE_JOB))
            .scalars()
            .all()
        )
        assert job.status == "finished", job.error
        again = settlement.settle_dispute(uuid.UUID(deal.contract_id), outcome, share)
        assert again["outcome"] == outcome
        books = balances(uuid.UUID(deal.contract_id))
        assert books.get("transfer_out", 0) == expected["transfer"]
        assert books.get("platform_fee_revenue", 0) == expected["fee"]
        assert books.get("refund", 0) == expected["refund"]
        assert books.get("platform_held", 0) == 0
        assert ledger_problems() == []
        if outcome != "release":
            other = "release" if outcome == "split" else "split"
            with pytest.raises(Conflict):
                settlement.settle_dispute(uuid.UUID(deal.contract_id), other, 5_000)
    assert len(sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data) == len(
        transfers
    )
    assert len(sdk().v1.refunds.list({"payment_intent": intent_id}).data) == len(refunds)
    assert deal.contract(app).status == final_status


def test_an_unfunded_contracts_dispute_ends_only_as_a_refund_and_a_late_payment_goes_back(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Release or split of a cash contract the brand never paid would complete it with nobody paid: 409,
    nothing changes. The refund cancels it; the brand's payment, still on its way, is refunded whole."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    deal = make_deal(app, client, "alpha", cash_minor=40_000)
    started = fund(deal, idempotency_key())  # the brand starts paying; the card is not confirmed yet
    assert started.status_code == 201, started.get_json()
    intent_id = started.get_json()["payment_intent_id"]
    opened = deal.influencer.post(
        f"/api/v1/contracts/{deal.contract_id}/disputes",
        json={"reason": "non_payment", "description": "The brand has not paid."},
    )
    assert opened.status_code == 201, opened.get_json()
    dispute_id = opened.get_json()["id"]
    resolve = f"/api/v1/admin/disputes/{dispute_id}/resolve"
    for body in ({"outcome": "release"}, {"outcome": "split", "influencer_share_bps": 5_000}):
        refused = admin.post(resolve, json={**body, "note": "Pay the influencer"})
        assert refused.status_code == 409, refused.get_json()
        assert refused.content_type == "application/problem+json"
        assert "never funded" in refused.get_json()["detail"]
    assert admin.get(f"/api/v1/disputes/{dispute_id}").get_json()["status"] == "open"
    assert deal.contract(app).status == "disputed"

    resolved = admin.post(resolve, json={"outcome": "refund", "note": "Never paid: cancelled"})
    assert resolved.status_code == 200, resolved.get_json()
    drain(redis_client)
    assert deal.contract(app).status == "cancelled"

    intent = pay(intent_id)  # the payment goes through after all
    assert intent["status"] == "succeeded", intent
    assert deliver(client, localstripe_event("payment_intent.succeeded", intent_id)).status_code == 200
    drain(redis_client)
    assert [r.amount for r in sdk().v1.refunds.list({"payment_intent": intent_id}).data] == [40_000]
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert balances(uuid.UUID(deal.contract_id)) == {"brand_funding": -40_000, "refund": 40_000}
        assert ledger_problems() == []
        [refund] = db.session.execute(select(Refund)).scalars().all()
        assert (refund.status, refund.purpose.startswith("late-payment:")) == ("succeeded", True)
        [job] = db.session.execute(select(JobRecord).where(JobRecord.name.like("%send_refund"))).scalars()
        assert job.status == "finished", job.error
        kinds = db.session.execute(select(Notification.kind)).scalars().all()
        assert "payment_on_cancelled_contract" in kinds and "refund_issued" in kinds
        assert "contract_funded" not in kinds  # nothing is held: nobody is told it is
    assert deal.contract(app).status == "cancelled"


def test_a_settlement_that_runs_after_the_late_payments_refund_refunds_nothing_more(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The dispute's settlement job is held up (Redis lost it; recover_jobs queues it later) while the
    brand's payment succeeds and is refunded as a late payment: the settlement then finds that refund
    and finishes, with one refund on Stripe."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    deal = make_deal(app, client, "alpha", cash_minor=40_000)
    intent_id = fund(deal, idempotency_key()).get_json()["payment_intent_id"]
    opened = deal.brand.post(
        f"/api/v1/contracts/{deal.contract_id}/disputes",
        json={"reason": "non_delivery", "description": "Nothing yet."},
    )
    resolve = f"/api/v1/admin/disputes/{opened.get_json()['id']}/resolve"
    assert admin.post(resolve, json={"outcome": "refund", "note": "Call it off"}).status_code == 200
    Queue("payments", connection=redis_client).empty()  # the settlement job, lost before it ran
    assert pay(intent_id)["status"] == "succeeded"
    assert deliver(client, localstripe_event("payment_intent.succeeded", intent_id)).status_code == 200
    drain(redis_client)  # the late payment's refund is sent
    with app.app_context(), tenant_scope(deal.tenant_id):
        result = settlement.settle_dispute(uuid.UUID(deal.contract_id), "refund", None)
        assert result["refund"]["status"] == "succeeded", result
        assert balances(uuid.UUID(deal.contract_id)) == {"brand_funding": -40_000, "refund": 40_000}
        assert ledger_problems() == []
    assert [r.amount for r in sdk().v1.refunds.list({"payment_intent": intent_id}).data] == [40_000]


def test_a_retried_resolution_with_its_idempotency_key_answers_the_same_and_pays_once(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    deal = make_deal(app, client, "alpha", cash_minor=40_000)
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    opened = deal.brand.post(
        f"/api/v1/contracts/{deal.contract_id}/disputes",
        json={"reason": "quality", "description": "Blurry photos."},
    )
    assert opened.status_code == 201, opened.get_json()
    resolve = f"/api/v1/admin/disputes/{opened.get_json()['id']}/resolve"
    decision = {"outcome": "release", "note": "The photos are fine."}
    first = admin.post(resolve, json=decision, headers={"Idempotency-Key": "resolve-1"})
    assert first.status_code == 200, first.get_json()
    retried = admin.post(resolve, json=decision, headers={"Idempotency-Key": "resolve-1"})
    assert retried.status_code == 200 and retried.get_json() == first.get_json()
    other = admin.post(
        resolve, json={**decision, "outcome": "refund"}, headers={"Idempotency-Key": "resolve-1"}
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    assert admin.post(resolve, json=decision, headers={"Idempotency-Key": "resolve-2"}).status_code == 409
    assert admin.post(resolve, json=decision).status_code == 409
    drain(redis_client)
    transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    assert [t.amount for t in transfers] == [36_000]
    with app.app_context(), tenant_scope(deal.tenant_id):
        jobs = db.session.execute(select(JobRecord).where(JobRecord.name == settlement.SETTLE_JOB)).scalars()
        assert [job.status for job in jobs] == ["finished"]
        assert ledger_problems() == []
    assert deal.contract(app).status == "completed"


def test_split_validation(app: Flask, client: FlaskClient) -> None:
    """A split needs a share between 0 and 10000 bps; unknown outcomes are refused."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", status="disputed")
    with app.app_context(), tenant_scope(deal.tenant_id):
        contract = db.session.execute(select(Contract)).scalar_one()
        for outcome, share in (("split", None), ("split", 10_001), ("keep", None)):
            with pytest.raises(ValidationFailed):
                disputes.settle_dispute(contract, outcome, share)


def test_chargeback_freezes_the_contract_and_alerts_admins(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """charge.dispute.created (signed by us: localstripe has no disputes) freezes the contract once."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    intent = funded(app, client, redis_client, deal)
    charge = intent["latest_charge"]["id"]
    dispute = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 50_000,
        "currency": "eur",
        "charge": charge,
        "payment_intent": intent["id"],
        "reason": "fraudulent",
        "status": "needs_response",
    }
    event = stripe_event("charge.dispute.created", dispute)
    for _ in range(2):
        assert deliver(client, event).status_code == 200
    drain(redis_client)
    contract = deal.contract(app)
    assert (contract.status, contract.status_before_dispute) == ("disputed", "funded")
    alerts = [n for n in admin.get("/api/v1/notifications").get_json()["items"] if n["kind"] == "chargeback"]
    assert len(alerts) == 1


def test_refund_webhooks_record_external_refunds_once(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """charge.refunded (signed by us) records a dashboard refund once, and our own refunds never twice."""
    deal, intent_id = _disputed_funded_deal(app, client, redis_client)
    admin = make_caller(app, client, "alpha", role="admin")
    with app.app_context(), tenant_scope(deal.tenant_id):
        settlement.settle_dispute(uuid.UUID(deal.contract_id), "split", 5_000)  # refunds 20_000 itself
    dashboard = sdk().v1.refunds.create({"payment_intent": intent_id, "amount": 1_000})
    charge = (
        sdk().v1.charges.retrieve(sdk().v1.payment_intents.retrieve(intent_id).latest_charge.id).to_dict()
    )
    charge["amount_refunded"] = 21_000  # localstripe does not track it; Stripe does
    event = stripe_event("charge.refunded", charge)
    for _ in range(3):
        deliver(client, event)
    deliver(client, stripe_event("charge.refunded", charge))  # a second, distinct event
    drain(redis_client)
    with app.app_context(), tenant_scope(deal.tenant_id):
        rows = db.session.execute(select(Refund.purpose, Refund.amount_minor, Refund.status)).all()
        assert sorted(rows) == [
            ("settlement", 20_000, "succeeded"),
            (f"stripe:{dashboard.id}", 1_000, "succeeded"),
        ]
        alerts = db.session.execute(
            select(Notification).where(
                Notification.kind == "external_refund", Notification.user_id == uuid.UUID(admin.user_id)
            )
        ).scalars()
        assert len(list(alerts)) == 1
        assert balances(uuid.UUID(deal.contract_id))["refund"] == 21_000
        # platform_held went below zero: the dashboard refund came out of money already paid out.
        assert any("platform_held is negative" in p for p in ledger_problems())


def test_transfer_reversal_comes_back_to_the_platform(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """localstripe's transfer.reversed moves the reversed amount from transfer_out back to platform_held."""
    deal, _ = _disputed_funded_deal(app, client, redis_client)
    admin = make_caller(app, client, "alpha", role="admin")
    with app.app_context(), tenant_scope(deal.tenant_id):
        result = settlement.settle_dispute(uuid.UUID(deal.contract_id), "release")
    transfer_id = result["transfer"]["stripe_transfer_id"]
    sdk().v1.transfers.reversals.create(transfer_id, {"amount": 6_000})
    event = localstripe_event("transfer.reversed", transfer_id)
    for _ in range(3):
        deliver(client, event)
    drain(redis_client)
    with app.app_context(), tenant_scope(deal.tenant_id):
        books = balances(uuid.UUID(deal.contract_id))
        assert (books["transfer_out"], books["platform_held"]) == (30_000, 6_000)
        assert ledger_problems() == []
        count = db.session.execute(
            select(func.count()).select_from(Notification).where(Notification.kind == "transfer_reversed")
        ).scalar_one()
        assert count == 1
    assert admin.get("/api/v1/notifications").get_json()["items"][0]["kind"] == "transfer_reversed"
