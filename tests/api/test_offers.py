"""Offers: invitations, applications, counters, who may do what, tenant rules and expiry."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.models import Offer
from marketplace.models.base import utcnow
from marketplace.tenancy import tenant_scope
from tests.factories import accept_offer, make_brand, make_campaign, make_influencer, make_offer, make_tenant
from tests.workers.test_jobs import _drain


def test_invitation_accept_creates_contract(app: Flask, client: FlaskClient) -> None:
    """The influencer accepts an invitation; the contract freezes cash, fee and net."""
    make_tenant(app, "alpha", platform_fee_bps=1_000)
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign, cash_minor=40_000)
    assert brand.post(f"/api/v1/offers/{offer}/accept").status_code == 403  # the sender cannot accept
    contract_id = accept_offer(influencer, offer)
    contract = brand.get(f"/api/v1/contracts/{contract_id}").get_json()
    assert contract["status"] == "generating"
    assert (contract["cash_minor"], contract["platform_fee_minor"], contract["influencer_net_minor"]) == (
        40_000,
        4_000,
        36_000,
    )
    assert contract["brand_pays_minor"] == 40_000 and contract["compensation_kind"] == "full"
    assert brand.get(f"/api/v1/offers/{offer}").get_json()["offer"]["status"] == "accepted"
    kinds = [n["kind"] for n in influencer.get("/api/v1/notifications").get_json()["items"]]
    assert "offer_received" in kinds
    assert "offer_accepted" in [n["kind"] for n in brand.get("/api/v1/notifications").get_json()["items"]]


def test_application_counter_history_and_who_acts(app: Flask, client: FlaskClient) -> None:
    """An application, a brand counter, an influencer counter, then the brand accepts; history reads back."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    applied = influencer.post(
        f"/api/v1/campaigns/{campaign}/applications",
        json={"proposed_cash_minor": 60_000, "pitch": "I cook with your sauces"},
    )
    assert applied.status_code == 201 and applied.get_json()["direction"] == "application"
    first = applied.get_json()["id"]
    assert influencer.post(f"/api/v1/offers/{first}/accept").status_code == 403
    assert brand.post(f"/api/v1/offers/{first}/withdraw").status_code == 403
    countered = brand.post(
        f"/api/v1/offers/{first}/counter", json={"cash_minor": 45_000, "message": "Meet us"}
    )
    assert countered.status_code == 201
    second = countered.get_json()["id"]
    assert countered.get_json()["parent_id"] == first and countered.get_json()["direction"] == "invitation"
    third = influencer.post(f"/api/v1/offers/{second}/counter", json={"cash_minor": 50_000}).get_json()["id"]
    contract = accept_offer(brand, third)
    negotiation = influencer.get(f"/api/v1/offers/{third}").get_json()
    assert [o["id"] for o in negotiation["history"]] == [first, second, third]
    assert [o["status"] for o in negotiation["history"]] == ["countered", "countered", "accepted"]
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["cash_minor"] == 50_000
    sent = influencer.get("/api/v1/offers?box=sent").get_json()["items"]
    assert {o["id"] for o in sent} == {first, third}


def test_decline_withdraw_and_closed_offers(app: Flask, client: FlaskClient) -> None:
    """Decline by the receiver, withdraw by the sender; a closed offer cannot change again (409)."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign)
    assert influencer.post(f"/api/v1/offers/{offer}/withdraw").status_code == 403
    assert influencer.post(f"/api/v1/offers/{offer}/decline").get_json()["status"] == "declined"
    assert influencer.post(f"/api/v1/offers/{offer}/accept").status_code == 409
    again = make_offer(brand, influencer, campaign)
    assert brand.post(f"/api/v1/offers/{again}/withdraw").get_json()["status"] == "withdrawn"
    assert make_offer(brand, influencer, campaign)
    duplicate = brand.post(
        f"/api/v1/campaigns/{campaign}/offers",
        json={"influencer_id": influencer.profile_id, "cash_minor": 10_000},
    )
    assert duplicate.status_code == 409


def test_no_counter_that_nobody_could_accept(app: Flask, client: FlaskClient) -> None:
    """A counter is refused like an invitation would be: closed campaign, excluded influencer (409); the
    offer it answers stays pending."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign)
    excluded = brand.patch(
        f"/api/v1/brands/{brand.brand_id}", json={"excluded_influencers": [influencer.profile_id]}
    )
    assert excluded.status_code == 200, excluded.get_json()
    refused = influencer.post(f"/api/v1/offers/{offer}/counter", json={"cash_minor": 60_000})
    assert refused.status_code == 409 and "excludes" in refused.get_json()["detail"]
    assert (
        brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"excluded_influencers": []}).status_code == 200
    )
    assert brand.post(f"/api/v1/campaigns/{campaign}/close").status_code == 200
    refused = influencer.post(f"/api/v1/offers/{offer}/counter", json={"cash_minor": 60_000})
    assert refused.status_code == 409 and "closed" in refused.get_json()["detail"]
    assert influencer.get(f"/api/v1/offers/{offer}").get_json()["offer"]["status"] == "pending"


def test_tenant_rules_on_pay(app: Flask, client: FlaskClient) -> None:
    """Symbolic ceiling, in-kind only to those who accept it, Stripe's minimum, something to give."""
    make_tenant(app, "alpha", symbolic_ceiling_minor=5_000)
    brand = make_brand(app, client, "alpha")
    no_gifts = make_influencer(app, client, "alpha", accepts_in_kind=False)
    symbolic = make_campaign(
        brand,
        publish=True,
        compensation_kind="symbolic",
        cash_per_influencer_minor=3_000,
        total_budget_minor=9_000,
    )
    too_much = brand.post(
        f"/api/v1/campaigns/{symbolic}/offers",
        json={"influencer_id": no_gifts.profile_id, "cash_minor": 6_000},
    )
    assert too_much.status_code == 422 and "cash_minor" in too_much.get_json()["errors"]
    gift = {
        "influencer_id": no_gifts.profile_id,
        "cash_minor": 0,
        "in_kind_items": [{"description": "Sauce box", "value_minor": 4_000}],
    }
    refused = brand.post(f"/api/v1/campaigns/{symbolic}/offers", json=gift)
    assert refused.status_code == 422 and "in_kind_items" in refused.get_json()["errors"]
    tiny = brand.post(
        f"/api/v1/campaigns/{symbolic}/offers", json={"influencer_id": no_gifts.profile_id, "cash_minor": 10}
    )
    assert tiny.status_code == 422
    nothing = brand.post(f"/api/v1/campaigns/{symbolic}/offers", json={"influencer_id": no_gifts.profile_id})
    assert nothing.status_code == 422
    ok = brand.post(
        f"/api/v1/campaigns/{symbolic}/offers",
        json={"influencer_id": no_gifts.profile_id, "cash_minor": 5_000},
    )
    assert ok.status_code == 201


def test_excluded_suspended_and_unpublished(app: Flask, client: FlaskClient) -> None:
    """Excluded influencers and drafts take no offers; an influencer cannot apply twice to a campaign."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    draft = make_campaign(brand)
    body = {"influencer_id": influencer.profile_id, "cash_minor": 10_000}
    assert brand.post(f"/api/v1/campaigns/{draft}/offers", json=body).status_code == 409
    published = make_campaign(brand, publish=True)
    brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"excluded_influencers": [influencer.profile_id]})
    assert brand.post(f"/api/v1/campaigns/{published}/offers", json=body).status_code == 409
    assert (
        influencer.post(
            f"/api/v1/campaigns/{published}/applications", json={"proposed_cash_minor": 10_000}
        ).status_code
        == 404
    )


def test_pending_offers_expire_on_schedule(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """Each offer's expiry is scheduled in rq; the job expires due offers and tells both sides."""
    tenant = make_tenant(app, "alpha", offer_expiry_days=3)
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign)
    expires = brand.get(f"/api/v1/offers/{offer}").get_json()["offer"]["expires_at"]
    assert expires > (utcnow() + timedelta(days=2, hours=23)).isoformat()
    scheduled = ScheduledJobRegistry("default", connection=redis_client)
    assert f"expire-{offer}" in scheduled.get_job_ids()
    with app.app_context(), tenant_scope(tenant.id):
        db.session.execute(
            update(Offer).where(Offer.id == offer).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    from rq import Queue

    job = scheduled.get_job_ids()[0]
    scheduled.remove(job)
    Queue("default", connection=redis_client).enqueue_job(
        Queue("default", connection=redis_client).fetch_job(job)
    )
    _drain(redis_client)
    assert brand.get(f"/api/v1/offers/{offer}").get_json()["offer"]["status"] == "expired"
    assert "offer_expired" in [n["kind"] for n in influencer.get("/api/v1/notifications").get_json()["items"]]
    assert influencer.post(f"/api/v1/offers/{offer}/accept").status_code == 409
