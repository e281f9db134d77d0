"""Chargebacks from open to end: charge.dispute.created, then charge.dispute.closed won, lost or closed.

The first tests run the disputes our localstripe extension emulates (.ci/localstripe_ext/disputes.py:
a dispute opened on the real charge, ended with Stripe's test-mode evidence or closed, and the events
localstripe itself records). The others send Stripe-shaped dispute objects on the real charge, for
the states the emulation does not reach (an inquiry's warning_closed, repeats and late copies). All
are signed with Stripe's webhook scheme and processed by a real rq worker.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Dispute, Notification, Payment
from marketplace.services.payments.ledger import balances, ledger_problems
from marketplace.services.payments.reconciliation import reconcile_tenant
from marketplace.tenancy import tenant_scope
from tests.factories import make_caller, make_tenant
from tests.payments.factories import (
    Deal,
    control,
    deliver,
    drain,
    funded,
    localstripe_event,
    make_deal,
    onboarded,
    sdk,
    set_status,
    stripe_event,
)

# cash 50_000 EUR, fee 10 % out of the influencer's amount: the brand paid 50_000, the influencer nets 45_000.
PAID, NET = 50_000, 45_000


def _dispute(intent: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "id": f"dp_{intent['id'][-10:]}",
        "object": "dispute",
        "amount": PAID,
        "currency": "eur",
        "charge": intent["latest_charge"]["id"],
        "payment_intent": intent["id"],
        "reason": "fraudulent",
        "status": status,
    }


def _send(
    client: FlaskClient, redis_client: Redis, event_type: str, obj: dict[str, Any], times: int = 1
) -> None:
    """One event, delivered `times` times (Stripe retries), then the worker drains."""
    event = stripe_event(event_type, obj)
    for _ in range(times):
        assert deliver(client, event).status_code == 200
    drain(redis_client)


def _funded(app: Flask, client: FlaskClient, redis_client: Redis) -> tuple[Deal, dict[str, Any]]:
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=PAID)
    return deal, funded(app, client, redis_client, deal)


def _localstripe_dispute(client: FlaskClient, redis_client: Redis, intent: dict[str, Any]) -> dict[str, Any]:
    """The bank disputes the charge at localstripe, whose charge.dispute.created we deliver."""
    dispute = control("/_config/disputes", {"charge": intent["latest_charge"]["id"]})
    assert deliver(client, localstripe_event("charge.dispute.created", dispute["id"])).status_code == 200
    drain(redis_client)
    return dispute


def _chargeback(app: Flask, client: FlaskClient, redis_client: Redis, *, delivered: bool = False):
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=PAID)
    admin = make_caller(app, client, "alpha", role="admin")
    if delivered:
        onboarded(deal, client, redis_client)
    intent = funded(app, client, redis_client, deal)
    if delivered:  # the brand approved the last deliverable (the delivery feature, not under test here)
        set_status(app, deal, "delivered")
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))
    assert deal.contract(app).status == "disputed"
    return deal, admin, intent


def _payment(app: Flask, deal: Deal) -> Payment:
    with app.app_context(), tenant_scope(deal.tenant_id):
        payment = db.session.execute(select(Payment)).scalar_one()
        db.session.expunge(payment)
        return payment


def _books(app: Flask, deal: Deal) -> dict[str, int]:
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert ledger_problems() == []
        return balances(uuid.UUID(deal.contract_id))


def _kinds(app: Flask, deal: Deal, user_id: str) -> list[str]:
    with app.app_context(), tenant_scope(deal.tenant_id):
        return list(
            db.session.execute(
                select(Notification.kind).where(Notification.user_id == uuid.UUID(user_id))
            ).scalars()
        )


@pytest.mark.parametrize(
    ("ending", "status", "contract_status"),
    [
        ("winning_evidence", "won", "funded"),
        ("losing_evidence", "lost", "cancelled"),
        ("close", "lost", "cancelled"),
    ],
)
def test_a_localstripe_chargeback_through_its_own_events(
    app: Flask, client: FlaskClient, redis_client: Redis, ending: str, status: str, contract_status: str
) -> None:
    deal, intent = _funded(app, client, redis_client)
    dispute = _localstripe_dispute(client, redis_client, intent)
    assert (dispute["amount"], dispute["status"]) == (PAID, "needs_response")
    assert deal.contract(app).status == "disputed"

    if ending == "close":
        sdk().v1.disputes.close(dispute["id"])
    else:
        sdk().v1.disputes.update(dispute["id"], {"evidence": {"uncategorized_text": ending}})
    assert sdk().v1.disputes.retrieve(dispute["id"]).status == status
    assert deliver(client, localstripe_event("charge.dispute.closed", dispute["id"])).status_code == 200
    drain(redis_client)

    assert deal.contract(app).status == contract_status
    payment = _payment(app, deal)
    assert (payment.stripe_dispute_id, payment.dispute_status) == (dispute["id"], status)
    held = {"platform_held": PAID} if status == "won" else {"chargeback": PAID}
    assert _books(app, deal) == {"brand_funding": -PAID, **held}


def test_reconciliation_ends_a_chargeback_whose_closing_event_never_came(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    deal, intent = _funded(app, client, redis_client)
    dispute = _localstripe_dispute(client, redis_client, intent)
    sdk().v1.disputes.close(dispute["id"])  # Stripe says lost; its event is lost on the way
    with app.app_context(), tenant_scope(deal.tenant_id):
        first = reconcile_tenant()
        assert first["errors"] == []
        assert [line for line in first["repaired"] if "chargeback" in line] == [
            f"chargeback of payment {_payment(app, deal).id}: contract cancelled"
        ]
        assert reconcile_tenant() == {"repaired": [], "errors": []}
    assert deal.contract(app).status == "cancelled"
    assert _books(app, deal) == {"brand_funding": -PAID, "chargeback": PAID}


@pytest.mark.parametrize(
    ("ending", "contract_status"), [("winning_evidence", "funded"), ("close", "cancelled")]
)
def test_reconciliation_finds_a_chargeback_whose_every_event_was_lost(
    app: Flask, client: FlaskClient, redis_client: Redis, ending: str, contract_status: str
) -> None:
    """The charge says `disputed` and no event arrived: reconciliation records the dispute and its end."""
    deal, intent = _funded(app, client, redis_client)
    dispute = control("/_config/disputes", {"charge": intent["latest_charge"]["id"]})
    if ending == "close":
        sdk().v1.disputes.close(dispute["id"])
    else:
        sdk().v1.disputes.update(dispute["id"], {"evidence": {"uncategorized_text": ending}})
    with app.app_context(), tenant_scope(deal.tenant_id):
        first = reconcile_tenant()
        [line] = first["repaired"]  # what the lost events would have done, in order
        ended = "contract resumes as funded" if ending == "winning_evidence" else "contract cancelled"
        assert line.endswith(f": contract frozen as disputed; {ended}"), first
        assert first["errors"] == []
        assert reconcile_tenant() == {"repaired": [], "errors": []}
    assert deal.contract(app).status == contract_status
    status = "won" if ending == "winning_evidence" else "lost"
    payment = _payment(app, deal)
    assert (payment.stripe_dispute_id, payment.dispute_status) == (dispute["id"], status)
    held = {"platform_held": PAID} if status == "won" else {"chargeback": PAID}
    assert _books(app, deal) == {"brand_funding": -PAID, **held}


@pytest.mark.parametrize("status", ["won", "warning_closed"])
def test_a_chargeback_won_or_closed_resumes_the_contract_once_and_moves_nothing(
    app: Flask, client: FlaskClient, redis_client: Redis, status: str
) -> None:
    deal, admin, intent = _chargeback(app, client, redis_client)
    assert _payment(app, deal).dispute_status == "needs_response"
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))  # a 2nd event
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, status), times=2)
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, status))  # a second event, same end
    # A late copy of the opening event, with its own id, neither reopens the dispute nor refreezes.
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))

    contract = deal.contract(app)
    payment = _payment(app, deal)
    assert (contract.status, contract.status_before_dispute) == ("funded", None)
    assert (payment.dispute_status, payment.disputed_minor) == (status, PAID)
    assert _books(app, deal) == {"brand_funding": -PAID, "platform_held": PAID}
    assert _kinds(app, deal, admin.user_id).count("chargeback_closed") == 1
    assert _kinds(app, deal, admin.user_id).count("chargeback") == 1


def test_a_lost_chargeback_before_approval_cancels_the_contract_and_returns_the_held_money(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    deal, admin, intent = _chargeback(app, client, redis_client)
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, "lost"), times=3)
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, "lost"))

    assert deal.contract(app).status == "cancelled"
    assert _books(app, deal) == {"brand_funding": -PAID, "chargeback": PAID}  # nothing held, nothing lost
    funding = deal.brand.get(f"/api/v1/contracts/{deal.contract_id}/funding").get_json()
    assert (funding["status"], funding["dispute_status"]) == ("succeeded", "lost")
    assert funding["disputed_minor"] == PAID
    assert _kinds(app, deal, admin.user_id).count("chargeback_closed") == 1
    for party in (deal.brand, deal.influencer):
        assert _kinds(app, deal, party.user_id).count("contract_cancelled") == 1
    # The contract is over: a late opening event neither freezes it nor reopens the dispute.
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))
    assert deal.contract(app).status == "cancelled"
    assert _payment(app, deal).dispute_status == "lost"


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_partys_open_dispute_outlives_a_won_chargeback_and_ends_with_a_lost_one(
    app: Flask, client: FlaskClient, redis_client: Redis, status: str
) -> None:
    deal, intent = _funded(app, client, redis_client)
    opened = deal.brand.post(
        f"/api/v1/contracts/{deal.contract_id}/disputes",
        json={"reason": "non_delivery", "description": "Nothing was posted."},
    )
    assert opened.status_code == 201, opened.get_json()
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, status))

    contract = deal.contract(app)
    with app.app_context(), tenant_scope(deal.tenant_id):
        dispute = db.session.execute(select(Dispute)).scalar_one()
        db.session.expunge(dispute)
    if status == "won":  # the money stayed: the party's dispute still decides, an admin resolves it
        assert (contract.status, contract.status_before_dispute) == ("disputed", "funded")
        assert dispute.status == "open"
        assert _books(app, deal) == {"brand_funding": -PAID, "platform_held": PAID}
    else:  # the bank refunded the brand: that is how the party's dispute ended
        assert contract.status == "cancelled"
        assert (dispute.status, dispute.outcome) == ("resolved", "refund")
        assert "chargeback" in (dispute.resolution_note or "")
        assert _books(app, deal) == {"brand_funding": -PAID, "chargeback": PAID}


@pytest.mark.parametrize("status", ["won", "lost"])
def test_after_approval_the_influencer_is_paid_whatever_the_chargeback(
    app: Flask, client: FlaskClient, redis_client: Redis, status: str
) -> None:
    """Approval is final: a delivered contract resumes and is released; a lost chargeback is the platform's
    loss."""
    deal, _, intent = _chargeback(app, client, redis_client, delivered=True)
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, status), times=2)

    assert deal.contract(app).status == "completed"
    transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    assert [t.amount for t in transfers] == [NET]
    books = _books(app, deal)
    assert books["transfer_out"] == NET
    assert books["platform_fee_revenue"] == PAID - NET
    assert books.get("platform_held", 0) == 0
    if status == "lost":
        assert (books["chargeback"], books["chargeback_loss"]) == (PAID, -PAID)
    else:
        assert "chargeback" not in books and "chargeback_loss" not in books


def test_a_lost_chargeback_on_a_completed_contract_is_the_platforms_loss(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    deal, intent = _funded(app, client, redis_client)
    set_status(app, deal, "completed")  # released earlier; the bank's decision comes months later
    _send(client, redis_client, "charge.dispute.created", _dispute(intent, "needs_response"))
    assert deal.contract(app).status == "completed"  # nothing left to freeze
    _send(client, redis_client, "charge.dispute.closed", _dispute(intent, "lost"))
    assert deal.contract(app).status == "completed"
    with app.app_context(), tenant_scope(deal.tenant_id):
        books = balances(uuid.UUID(deal.contract_id))
    assert (books["chargeback"], books["chargeback_loss"], books["platform_held"]) == (PAID, -PAID, PAID)


def test_the_ledger_check_sees_a_lost_chargeback_the_books_lack(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    deal, _ = _funded(app, client, redis_client)
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert ledger_problems() == []
        payment = db.session.execute(select(Payment)).scalar_one()
        payment.dispute_status, payment.disputed_minor = "lost", PAID
        db.session.commit()
        [problem] = ledger_problems()
        assert f"lost chargebacks of {PAID} not matched by the ledger" in problem
