"""Release: payable until the influencer can receive, exactly-once transfers, symbolic and in-kind pay."""

from __future__ import annotations

import uuid

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import JobRecord, LedgerMovement, Payment, Transfer
from marketplace.payments import gateway, keys
from marketplace.services.payments import release
from marketplace.services.payments.access import access_for
from marketplace.services.payments.ledger import balances, ledger_problems
from marketplace.tenancy import tenant_scope
from tests.factories import make_tenant
from tests.payments.factories import (
    Deal,
    drain,
    fund,
    funded,
    make_deal,
    onboarded,
    sdk,
    set_status,
)


def _transfers_at_stripe(deal: Deal) -> list[stripe.Transfer]:
    return sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data


def _transfer(app: Flask, deal: Deal) -> Transfer:
    with app.app_context(), tenant_scope(deal.tenant_id):
        row = db.session.execute(
            select(Transfer).where(Transfer.contract_id == uuid.UUID(deal.contract_id))
        ).scalar_one()
        db.session.expunge(row)
        return row


def _queue_release(app: Flask, deal: Deal) -> str:
    with app.app_context(), tenant_scope(deal.tenant_id):
        return str(release.queue_release(uuid.UUID(deal.contract_id)).id)


def test_no_payout_account_yet_then_enabled(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """Without an enabled payout account the net waits as payable (visible); enabling it pays it."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=20_000)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")
    _queue_release(app, deal)
    drain(redis_client)

    assert _transfer(app, deal).status == "payable"
    assert _transfers_at_stripe(deal) == []
    mine = deal.influencer.get("/api/v1/payments").get_json()
    assert {"account": "influencer_payable", "currency": "EUR", "amount_minor": 18_000} in mine["totals"]
    kinds = [n["kind"] for n in deal.influencer.get("/api/v1/notifications").get_json()["items"]]
    assert "payout_waiting" in kinds

    account_id = onboarded(deal, client, redis_client)  # account.updated queues the release again
    drain(redis_client)
    paid = _transfer(app, deal)
    assert paid.status == "paid"
    assert [(t.id, t.amount, t.destination) for t in _transfers_at_stripe(deal)] == [
        (paid.stripe_transfer_id, 18_000, account_id)
    ]
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert balances(uuid.UUID(deal.contract_id))["transfer_out"] == 18_000
        assert ledger_problems() == []


def test_job_killed_after_the_stripe_call_pays_once(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release job dies after Stripe created the transfer and before our commit; the retry pays once."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=30_000)
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")

    def crash(*args: object) -> None:
        raise SystemError("worker killed before commit")

    monkeypatch.setattr(release, "_record_transfer_paid", crash)
    job_id = _queue_release(app, deal)
    drain(redis_client)
    with app.app_context(), tenant_scope(deal.tenant_id):
        job = db.session.execute(select(JobRecord).where(JobRecord.id == uuid.UUID(job_id))).scalar_one()
        assert job.status in ("retrying", "failed") and "worker killed" in job.error
    stuck = _transfer(app, deal)
    assert stuck.status == "pending" and stuck.stripe_transfer_id is None  # our commit never happened
    [at_stripe] = _transfers_at_stripe(deal)  # ...but Stripe made the transfer

    monkeypatch.undo()
    _queue_release(app, deal)  # the retry (rq would run it after its backoff)
    drain(redis_client)
    done = _transfer(app, deal)
    assert (done.status, done.stripe_transfer_id) == ("paid", at_stripe.id)
    assert [t.id for t in _transfers_at_stripe(deal)] == [at_stripe.id]  # exactly one transfer
    with app.app_context(), tenant_scope(deal.tenant_id):
        # The same key again is a replay at Stripe, never a second transfer.
        replay = gateway.create_transfer(
            access_for(deal.tenant_id),
            amount_minor=done.amount_minor,
            currency=done.currency,
            destination=at_stripe.destination,
            transfer_group=keys.transfer_group(done.contract_id),
            description=f"Contract {done.contract_id}",
            metadata={
                "tenant_id": str(done.tenant_id),
                "contract_id": str(done.contract_id),
                "transfer_id": str(done.id),
            },
            source_transaction=db.session.execute(select(Payment.stripe_charge_id)).scalar_one(),
            idempotency_key=keys.transfer_key(done.id),
        )
        assert replay["id"] == at_stripe.id
        assert balances(uuid.UUID(deal.contract_id))["transfer_out"] == 27_000
        assert ledger_problems() == []
    assert len(_transfers_at_stripe(deal)) == 1


def test_symbolic_contract_runs_the_same_path(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """A symbolic 5.00 EUR contract is funded, released and transferred like a full one."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=500, kind="symbolic")
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert release.release_contract(uuid.UUID(deal.contract_id))["status"] == "paid"
    assert [t.amount for t in _transfers_at_stripe(deal)] == [450]  # 10 % fee out of the influencer's 500


def test_in_kind_contract_never_touches_stripe(app: Flask, client: FlaskClient) -> None:
    """An in-kind-only contract cannot be funded; its release records a memo of the declared value only."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=0, in_kind_value_minor=8_000, status="completed")
    assert fund(deal).status_code == 422
    with app.app_context(), tenant_scope(deal.tenant_id):
        contract_id = uuid.UUID(deal.contract_id)
        assert release.release_contract(contract_id) == {
            "status": "in_kind_only",
            "in_kind_value_minor": 8_000,
        }
        assert release.release_contract(contract_id)["status"] == "in_kind_only"  # again: nothing new
        [memo] = db.session.execute(select(LedgerMovement)).scalars().all()
        assert (memo.kind, memo.amount_minor, memo.from_account, memo.to_account) == (
            "in_kind",
            8_000,
            "in_kind_memo",
            "in_kind_received",
        )
        assert "Tasting box" in memo.memo
        assert db.session.execute(select(Payment)).first() is None
        assert db.session.execute(select(Transfer)).first() is None
        assert ledger_problems() == []


def test_mixed_contract_pays_cash_and_records_the_goods(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Cash + in-kind: the cash goes through Stripe, the goods' value lands in the memo accounts."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=10_000, in_kind_value_minor=2_500)
    onboarded(deal, client, redis_client)
    funded(app, client, redis_client, deal)
    set_status(app, deal, "delivered")
    with app.app_context(), tenant_scope(deal.tenant_id):
        release.release_contract(uuid.UUID(deal.contract_id))
        assert balances(uuid.UUID(deal.contract_id)) == {
            "brand_funding": -10_000,
            "transfer_out": 9_000,
            "platform_fee_revenue": 1_000,
            "in_kind_memo": -2_500,
            "in_kind_received": 2_500,
        }


def test_release_refuses_unfunded_and_disputed_contracts(app: Flask, client: FlaskClient) -> None:
    """Release moves nothing for a contract not funded, or frozen by a dispute."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert release.release_contract(uuid.UUID(deal.contract_id))["status"] == "not_funded"
    set_status(app, deal, "disputed")
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert release.release_contract(uuid.UUID(deal.contract_id))["status"] == "disputed"
        assert db.session.execute(select(LedgerMovement)).first() is None
