"""Tenant walls: the X-Tenant header, tokens bound to a tenant, and a walk over every route."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from marketplace.extensions import db
from marketplace.models import FraudFlag, JobRecord, User
from marketplace.tenancy import TenantScopeMissing, tenant_scope
from tests.conftest import REDIS_URL
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

# Routes that are tenant-independent by design (Stripe's webhooks authenticate by signature and
# find their tenant in the event; tests/payments/test_webhooks.py covers them); everything else
# under /api/v1 must be walled.
NOT_TENANT_SCOPED: set[str] = {"/api/v1/webhooks/stripe", "/api/v1/webhooks/stripe/<tenant_slug>"}
# Query strings that let a GET reach its object lookup (required query arguments).
SAMPLE_QUERIES = {
    "/api/v1/influencers/<uuid:influencer_id>/rate-estimate": "?platform=instagram&deliverable=post"
}


@pytest.fixture
def two_tenants(app: Flask, client: FlaskClient) -> tuple[Caller, Caller]:
    """An admin in tenant alpha and an admin in tenant beta."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    return make_caller(app, client, "alpha", role="admin"), make_caller(app, client, "beta", role="admin")


def test_missing_and_unknown_tenant(client: FlaskClient) -> None:
    """No X-Tenant is a 400, an unknown one a 404, both problem+json."""
    missing = client.get("/api/v1/me")
    assert missing.status_code == 400 and missing.get_json()["type"].endswith("tenant-required")
    unknown = client.get("/api/v1/me", headers={"X-Tenant": "nobody"})
    assert unknown.status_code == 404 and unknown.get_json()["type"].endswith("tenant-not-found")


def test_token_of_one_tenant_refused_by_another(two_tenants: tuple[Caller, Caller]) -> None:
    """A token issued by alpha means nothing to beta."""
    alpha, _ = two_tenants
    response = alpha.get("/api/v1/me", headers={"X-Tenant": "beta"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_other_tenants_objects_are_404(two_tenants: tuple[Caller, Caller]) -> None:
    """A job of beta is unknown to alpha's admin, exactly like an id that does not exist."""
    alpha, beta = two_tenants
    started = beta.post("/api/v1/me/export")
    assert started.status_code == 202
    beta_job = started.get_json()["job_id"]
    assert beta.get(f"/api/v1/jobs/{beta_job}").status_code == 200
    theirs = alpha.get(f"/api/v1/jobs/{beta_job}")
    nobody = alpha.get(f"/api/v1/jobs/{uuid.uuid4()}")
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.get_json()["detail"] == nobody.get_json()["detail"]
    assert beta_job not in alpha.get("/api/v1/jobs").get_data(as_text=True)


def test_query_without_tenant_raises(app: Flask) -> None:
    """A tenant-scoped query outside any tenant is a programming error, never every tenant's rows."""
    with app.app_context(), pytest.raises(TenantScopeMissing):
        db.session.execute(db.select(User)).all()


def test_write_into_another_tenant_refused(app: Flask) -> None:
    """Inside tenant alpha, a row for tenant beta cannot be written."""
    alpha = make_tenant(app, "alpha")
    beta = make_tenant(app, "beta")
    with app.app_context(), tenant_scope(alpha.id):
        db.session.add(JobRecord(tenant_id=beta.id, name="x"))
        with pytest.raises(TenantScopeMissing):
            db.session.flush()
        db.session.rollback()


def _objects_of(app: Flask, owner: Caller) -> dict[str, Callable[[], str]]:
    """Make one object of each kind the API addresses by id, owned by `owner`'s tenant.

    Every path parameter of every /api/v1 route must appear here; a new route with a new
    parameter fails the walk until someone says how to make an object for it.
    """
    job = owner.post("/api/v1/me/export").get_json()["job_id"]
    influencer = make_influencer(app, owner.client, owner.tenant_slug)
    brand = make_brand(app, owner.client, owner.tenant_slug)
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign)
    # A second influencer accepts, so the first keeps a pending offer to walk.
    second = make_influencer(app, owner.client, owner.tenant_slug)
    contract = accept_offer(second, make_offer(brand, second, campaign))
    notification = influencer.get("/api/v1/notifications").get_json()["items"][0]["id"]
    # A signed in-kind contract with a deliverable, and a disputed one.
    third = make_influencer(app, owner.client, owner.tenant_slug)
    gift = accept_offer(third, make_offer(brand, third, campaign, cash_minor=0, in_kind_items=GIFT))
    fourth = make_influencer(app, owner.client, owner.tenant_slug)
    disputed = accept_offer(fourth, make_offer(brand, fourth, campaign, cash_minor=0, in_kind_items=GIFT))
    _drain(Redis.from_url(REDIS_URL))
    sign_both(brand, third, gift)
    sign_both(brand, fourth, disputed)
    deliverable = third.post(
        f"/api/v1/contracts/{gift}/deliverables",
        json={"platform": "instagram", "type": "post", "url": "https://instagram.com/p/x", "caption": "#ad"},
    ).get_json()["deliverable"]["id"]
    dispute = fourth.post(
        f"/api/v1/contracts/{disputed}/disputes", json={"reason": "late", "description": "Late"}
    ).get_json()["id"]
    with app.app_context(), tenant_scope(_tenant_id(owner)):
        flag = FraudFlag(profile_id=uuid.UUID(influencer.profile_id), score=0.9, reasons=[], status="open")
        db.session.add(flag)
        db.session.commit()
        flag_id = str(flag.id)
    return {
        "job_id": lambda: job,
        "influencer_id": lambda: influencer.profile_id,
        "brand_id": lambda: brand.brand_id,
        "campaign_id": lambda: campaign,
        "offer_id": lambda: offer,
        "contract_id": lambda: contract,
        "notification_id": lambda: notification,
        "deliverable_id": lambda: deliverable,
        "dispute_id": lambda: dispute,
        "user_id": lambda: influencer.user_id,
        "flag_id": lambda: flag_id,
    }


def _tenant_id(caller: Caller) -> uuid.UUID:
    from marketplace.services.tenants import tenant_by_slug

    with caller.client.application.app_context():
        return tenant_by_slug(caller.tenant_slug).id


def test_every_route_is_tenant_scoped(app: Flask, two_tenants: tuple[Caller, Caller]) -> None:
    """Walk the URL map: every /api/v1 route needs X-Tenant and never shows another tenant's data."""
    alpha, beta = two_tenants
    beta_by_role = {
        "brand": make_brand(app, beta.client, "beta"),
        "influencer": make_influencer(app, beta.client, "beta"),
    }
    factories = _objects_of(app, alpha)
    alpha_ids = {name: make() for name, make in factories.items()}
    # Logout revokes the caller's token, so it is walked last.
    rules = sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if r.rule.startswith("/api/v1/") and r.rule not in NOT_TENANT_SCOPED
        ),
        key=lambda r: (r.rule.endswith("/logout"), r.rule),
    )
    assert len(rules) >= 8, "the walk found too few routes to be meaningful"
    walked = 0
    for rule in rules:
        if rule.rule in NOT_TENANT_SCOPED:
            continue
        missing = set(rule.arguments) - set(alpha_ids)
        assert not missing, f"{rule.rule}: add a factory for {missing} to _objects_of"
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(alpha_ids[name]), path)
        path += SAMPLE_QUERIES.get(rule.rule, "")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            walked += 1
            no_tenant = alpha.client.open(path, method=method, json={})
            assert no_tenant.status_code == 400, f"{method} {rule.rule} answered without X-Tenant"
            # Views behind login_required carry _required_roles; the others are public by design.
            public = not hasattr(app.view_functions[rule.endpoint], "_required_roles")
            foreign_token = alpha.client.open(
                path, method=method, json={}, headers={**alpha.headers, "X-Tenant": "beta"}
            )
            assert public or foreign_token.status_code == 401, (
                f"{method} {rule.rule} accepted alpha's token in beta: {foreign_token.status_code}"
            )
            # Call as a beta user whose role the route admits, so the request reaches the lookup.
            roles = getattr(app.view_functions[rule.endpoint], "_required_roles", ())
            caller = beta if not roles or "admin" in roles else beta_by_role[roles[0]]
            as_beta = caller.client.open(path, method=method, json={}, headers=caller.headers)
            body = as_beta.get_data(as_text=True)
            for value in alpha_ids.values():
                assert str(value) not in body or rule.arguments, f"{method} {rule.rule} leaked {value}"
            if rule.arguments:
                assert as_beta.status_code in (404, 422), f"{method} {rule.rule} found alpha's object"
                if method == "GET":
                    assert as_beta.status_code == 404
    assert walked >= len(rules)
