"""Payout accounts through the API, and a dispute resolved through the dispute API moving the money."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.factories import make_caller, make_tenant
from tests.payments.factories import drain, funded, make_deal, onboarded, sdk

URLS = {
    "return_url": "http://localhost:3000/payouts/done",
    "refresh_url": "http://localhost:3000/payouts/again",
}


def test_payout_account_is_created_once_with_fresh_links(app: Flask, client: FlaskClient) -> None:
    """POST creates one express account and a new onboarding link each time; GET shows its state."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    assert deal.influencer.get("/api/v1/influencers/me/payout-account").status_code == 404
    first = deal.influencer.post("/api/v1/influencers/me/payout-account", json=URLS).get_json()
    second = deal.influencer.post("/api/v1/influencers/me/payout-account", json=URLS).get_json()
    assert first["stripe_account_id"] == second["stripe_account_id"]
    assert first["onboarding_url"] != second["onboarding_url"]
    assert first["payouts_enabled"] is False and "external_account" in first["requirements_due"]
    account = sdk().v1.accounts.retrieve(first["stripe_account_id"])
    assert (account.type, account.country) == ("express", "FR")
    assert account.metadata["user_id"] == deal.influencer.user_id
    shown = deal.influencer.get("/api/v1/influencers/me/payout-account").get_json()
    assert shown["id"] == first["id"] and shown["onboarding_url"] is None


def test_payout_account_refusals(app: Flask, client: FlaskClient) -> None:
    """Only influencers have payout accounts; the return URLs are required."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    assert deal.brand.post("/api/v1/influencers/me/payout-account", json=URLS).status_code == 403
    missing = deal.influencer.post("/api/v1/influencers/me/payout-account", json={"return_url": "x"})
    assert missing.status_code == 422 and set(missing.get_json()["errors"]) == {"return_url", "refresh_url"}


def test_dispute_resolved_through_the_api_splits_the_money(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """An admin resolves a dispute with a split: the brand is refunded the rest and the influencer paid."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    deal = make_deal(app, client, "alpha", cash_minor=10_000)
    onboarded(deal, client, redis_client)
    intent = funded(app, client, redis_client, deal)
    opened = deal.influencer.post(
        f"/api/v1/contracts/{deal.contract_id}/disputes", json={"reason": "quality", "description": "x"}
    )
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()["id"]
    assert admin.post(f"/api/v1/admin/disputes/{dispute}/review").status_code == 200
    resolved = admin.post(
        f"/api/v1/admin/disputes/{dispute}/resolve",
        json={"outcome": "split", "influencer_share_bps": 5_000, "note": "Half was delivered"},
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert deal.contract(app).status == "completed"
    drain(redis_client)
    assert [
        t.amount for t in sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    ] == [4_500]
    assert [r.amount for r in sdk().v1.refunds.list({"payment_intent": intent["id"]}).data] == [5_000]
