"""Deliverables, revision rounds, auto-approval, disputes, reviews and moderation through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.models import Deliverable, Tenant
from marketplace.models.base import utcnow
from marketplace.services.deliverables import auto_approve_due
from marketplace.tenancy import tenant_scope
from tests.factories import (
    GIFT,
    Caller,
    accept_offer,
    make_brand,
    make_caller,
    make_campaign,
    make_influencer,
    make_offer,
    make_tenant,
    sign_both,
)
from tests.workers.test_jobs import _drain

POST = {
    "platform": "instagram",
    "type": "post",
    "url": "https://instagram.com/p/abc",
    "caption": "Loving these sauces #ad",
    "stage": "live",
}


@pytest.fixture
def signed_gift(app: Flask, client: FlaskClient, redis_client: Redis) -> tuple[Tenant, Caller, Caller, str]:
    """An in-kind contract for 2 Instagram posts, signed by both parties."""
    tenant = make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(
        brand,
        publish=True,
        compensation_kind="in_kind",
        cash_per_influencer_minor=0,
        total_budget_minor=0,
        in_kind_description="Tasting box",
        in_kind_value_minor=8_000,
    )
    contract = accept_offer(
        influencer, make_offer(brand, influencer, campaign, cash_minor=0, in_kind_items=GIFT)
    )
    _drain(redis_client)
    sign_both(brand, influencer, contract)
    return tenant, brand, influencer, contract


def _submit(influencer: Caller, contract: str, **overrides: object) -> dict:
    response = influencer.post(f"/api/v1/contracts/{contract}/deliverables", json={**POST, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_deliveries_complete_an_in_kind_contract_then_reviews(signed_gift: tuple) -> None:
    """Two approved live posts complete the contract; each party reviews once; ratings reach the profile."""
    _, brand, influencer, contract = signed_gift
    assert brand.post(f"/api/v1/contracts/{contract}/reviews", json={"stars": 5}).status_code == 409
    first = _submit(influencer, contract)["deliverable"]
    second = _submit(influencer, contract, url="https://instagram.com/p/def")["deliverable"]
    assert first["disclosure_ok"] and first["status"] == "submitted"
    assert influencer.post(f"/api/v1/deliverables/{first['id']}/approve").status_code == 403
    assert brand.post(f"/api/v1/deliverables/{first['id']}/approve").get_json()["status"] == "approved"
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["status"] == "signed"
    brand.post(f"/api/v1/deliverables/{second['id']}/approve")
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["status"] == "completed"
    assert (
        brand.post(f"/api/v1/contracts/{contract}/reviews", json={"stars": 4, "text": "Great"}).status_code
        == 201
    )
    assert brand.post(f"/api/v1/contracts/{contract}/reviews", json={"stars": 1}).status_code == 409
    assert influencer.post(f"/api/v1/contracts/{contract}/reviews", json={"stars": 5}).status_code == 201
    assert brand.post(f"/api/v1/contracts/{contract}/reviews", json={"stars": 6}).status_code == 422
    profile = brand.get(f"/api/v1/influencers/{influencer.profile_id}").get_json()
    assert profile["rating"] == 4.0 and profile["rating_count"] == 1
    # The influencer's stars reach the brand: on its own page, and beside its campaigns for everyone.
    rated = {"id": brand.brand_id, "name": "Acme Foods", "rating": 5.0, "rating_count": 1}
    campaign = brand.get(f"/api/v1/contracts/{contract}").get_json()["campaign_id"]
    assert influencer.get(f"/api/v1/campaigns/{campaign}").get_json()["brand"] == rated
    assert [c["brand"] for c in influencer.get("/api/v1/campaigns").get_json()["items"]] == [rated]
    page = brand.get(f"/api/v1/brands/{brand.brand_id}").get_json()
    assert (page["rating"], page["rating_count"]) == (5.0, 1)


def test_disclosure_warning_and_revision_rounds(signed_gift: tuple) -> None:
    """A caption without #ad warns the brand; changes can be asked twice, then not any more."""
    _, brand, influencer, contract = signed_gift
    submitted = _submit(influencer, contract, caption="Loving these sauces", stage="draft")
    assert submitted["warnings"] and not submitted["deliverable"]["disclosure_ok"]
    warned = [
        n
        for n in brand.get("/api/v1/notifications").get_json()["items"]
        if n["kind"] == "deliverable_submitted"
    ]
    assert warned[0]["payload"]["disclosure_missing"] is True
    current = submitted["deliverable"]["id"]
    for round_number in range(2):
        asked = brand.post(f"/api/v1/deliverables/{current}/request-changes", json={"note": "Add #ad"})
        assert asked.status_code == 200 and asked.get_json()["status"] == "changes_requested"
        current = _submit(influencer, contract, stage="draft")["deliverable"]
        assert current["revision"] == round_number + 1
        current = current["id"]
    refused = brand.post(f"/api/v1/deliverables/{current}/request-changes", json={"note": "Again"})
    assert refused.status_code == 409 and "revision" in refused.get_json()["detail"]
    unknown = influencer.post(f"/api/v1/contracts/{contract}/deliverables", json={**POST, "type": "reel"})
    assert unknown.status_code == 422


def test_auto_approval_after_review_window_unless_disputed(app: Flask, signed_gift: tuple) -> None:
    """Past the window an unreviewed deliverable is approved by the sweep; under dispute it waits."""
    tenant, brand, influencer, contract = signed_gift
    first = _submit(influencer, contract)["deliverable"]["id"]
    with app.app_context(), tenant_scope(tenant.id):
        db.session.execute(update(Deliverable).values(review_due_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    opened = brand.post(
        f"/api/v1/contracts/{contract}/disputes", json={"reason": "quality", "description": "Blurry"}
    )
    assert opened.status_code == 201
    with app.app_context(), tenant_scope(tenant.id):
        auto_approve_due()
    assert brand.get(f"/api/v1/deliverables/{first}").get_json()["status"] == "submitted"
    assert brand.post(f"/api/v1/deliverables/{first}/approve").status_code == 409
    assert brand.post(f"/api/v1/disputes/{opened.get_json()['id']}/withdraw").status_code == 200
    with app.app_context(), tenant_scope(tenant.id):
        assert auto_approve_due() == 1
    approved = brand.get(f"/api/v1/deliverables/{first}").get_json()
    assert approved["status"] == "approved" and approved["auto_approved"] is True


def test_a_cancelled_contracts_deliverables_are_no_longer_approved(
    app: Flask, client: FlaskClient, signed_gift: tuple
) -> None:
    """A dispute resolved as a refund cancels the contract: neither the brand nor the sweep approves what
    was submitted before (the influencer would be told their work was approved)."""
    tenant, brand, influencer, contract = signed_gift
    first = _submit(influencer, contract)["deliverable"]["id"]
    opened = brand.post(
        f"/api/v1/contracts/{contract}/disputes", json={"reason": "quality", "description": "Off"}
    )
    admin = make_caller(app, client, "alpha", "admin")
    resolved = admin.post(
        f"/api/v1/admin/disputes/{opened.get_json()['id']}/resolve",
        json={"outcome": "refund", "note": "Cancelled"},
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["status"] == "cancelled"
    with app.app_context(), tenant_scope(tenant.id):
        db.session.execute(update(Deliverable).values(review_due_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert auto_approve_due() == 0
    refused = brand.post(f"/api/v1/deliverables/{first}/approve")
    assert refused.status_code == 409 and "cancelled" in refused.get_json()["detail"]
    assert brand.get(f"/api/v1/deliverables/{first}").get_json()["status"] == "submitted"
    kinds = [n["kind"] for n in influencer.get("/api/v1/notifications").get_json()["items"]]
    assert "deliverable_approved" not in kinds


def test_dispute_flow_with_messages_and_admin_resolution(
    app: Flask, client: FlaskClient, signed_gift: tuple
) -> None:
    """A party opens, both sides post evidence, an admin reviews and resolves; it is audited."""
    _, brand, influencer, contract = signed_gift
    admin = make_caller(app, client, "alpha", "admin")
    outsider = make_brand(app, client, "alpha", name="Nosy")
    opened = influencer.post(
        f"/api/v1/contracts/{contract}/disputes",
        json={"reason": "non_payment", "description": "No box received"},
    )
    dispute = opened.get_json()["id"]
    again = brand.post(f"/api/v1/contracts/{contract}/disputes", json={"reason": "late", "description": "x"})
    assert again.status_code == 409
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["status"] == "disputed"
    message = {"body": "Tracking says delivered", "evidence_links": ["https://post.example/track/1"]}
    assert brand.post(f"/api/v1/disputes/{dispute}/messages", json=message).status_code == 201
    assert outsider.get(f"/api/v1/disputes/{dispute}").status_code == 404
    queue = admin.get("/api/v1/admin/disputes").get_json()["items"]
    assert [d["id"] for d in queue] == [dispute] and queue[0]["age_hours"] >= 0
    assert admin.post(f"/api/v1/admin/disputes/{dispute}/review").get_json()["status"] == "under_review"
    bad = admin.post(f"/api/v1/admin/disputes/{dispute}/resolve", json={"outcome": "split", "note": "half"})
    assert bad.status_code == 422
    resolved = admin.post(
        f"/api/v1/admin/disputes/{dispute}/resolve", json={"outcome": "release", "note": "Delivered"}
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["status"] == "resolved" and len(resolved.get_json()["messages"]) == 1
    assert brand.get(f"/api/v1/contracts/{contract}").get_json()["status"] == "completed"
    assert "dispute_resolved" in [
        n["kind"] for n in influencer.get("/api/v1/notifications").get_json()["items"]
    ]
    actions = [e["action"] for e in admin.get("/api/v1/admin/audit-log").get_json()["items"]]
    assert actions[:2] == ["dispute.resolve", "dispute.review"]


def test_moderation_is_audited_and_suspension_withdraws_offers(app: Flask, client: FlaskClient) -> None:
    """Suspend withdraws pending offers and blocks the user; verify and reinstate are audited."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", "admin")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    offer = make_offer(brand, influencer, make_campaign(brand, publish=True))
    user_id = influencer.user_id
    assert brand.post(f"/api/v1/admin/users/{user_id}/suspend", json={"reason": "x"}).status_code == 403
    suspended = admin.post(f"/api/v1/admin/users/{user_id}/suspend", json={"reason": "Scandal"})
    assert suspended.status_code == 200 and suspended.get_json()["is_suspended"]
    assert influencer.get("/api/v1/me").status_code == 403
    assert brand.get(f"/api/v1/offers/{offer}").get_json()["offer"]["status"] == "withdrawn"
    assert brand.get("/api/v1/influencers").get_json()["items"] == []
    assert (
        admin.post(f"/api/v1/admin/users/{user_id}/reinstate", json={"reason": "Cleared"}).status_code == 200
    )
    assert influencer.get("/api/v1/me").status_code == 200
    assert [p["id"] for p in brand.get("/api/v1/influencers").get_json()["items"]] == [influencer.profile_id]
    verified = admin.post(
        f"/api/v1/admin/influencers/{influencer.profile_id}/verify", json={"verified": True}
    )
    assert verified.get_json()["verified"] is True
    log = admin.get("/api/v1/admin/audit-log").get_json()["items"]
    assert [e["action"] for e in log] == ["influencer.verify", "user.reinstate", "user.suspend"]
    suspend_entry = log[2]
    assert suspend_entry["before"]["suspended_at"] is None and suspend_entry["after"]["suspended_at"]
    assert suspend_entry["after"]["withdrawn_offers"] == [offer] and suspend_entry["request_id"]
    only_suspends = admin.get(f"/api/v1/admin/audit-log?action=user.suspend&target_id={user_id}").get_json()
    assert len(only_suspends["items"]) == 1
