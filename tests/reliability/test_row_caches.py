"""The per-process row caches (marketplace/rowcache.py) stay exact across processes.

The test's own app and a gunicorn API (two worker processes) share PostgreSQL and Redis; each
process caches tenants and users. A change made through one process counts at once in the other,
however long their caches may keep a row (ROW_CACHE_SECONDS=600 here): tenant settings and Stripe
credentials, a suspension, a reinstatement, a revoked token.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from marketplace.extensions import db
from marketplace.models import StripeEvent
from tests.factories import make_caller, make_tenant
from tests.payments.factories import WEBHOOK, signature, stripe_event, tenant_id_of
from tests.reliability.conftest import Spawner
from tests.reliability.processes import Answer, call

# More calls than the API has worker processes, so that every process has answered (and cached).
ROUNDS = 6


def _every_time(request: Callable[[], Answer]) -> list[Answer]:
    return [request() for _ in range(ROUNDS)]


def test_changes_in_one_process_count_at_once_in_the_other(
    app: Flask, client: FlaskClient, spawn: Spawner
) -> None:
    """Settings, suspension, reinstatement and logout made in either process are seen by the other at once."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    brand = make_caller(app, client, "alpha", role="brand")
    leaving = make_caller(app, client, "alpha", role="brand")
    api = spawn.api(ROW_CACHE_SECONDS="600")
    base = f"{api.url}/api/v1"
    admin_token, brand_token = admin.tokens["access_token"], brand.tokens["access_token"]

    def settings() -> Answer:
        return call("GET", f"{base}/admin/tenant", admin_token, "alpha")

    def me(token: str) -> Callable[[], Answer]:
        return lambda: call("GET", f"{base}/me", token, "alpha")

    # Warm every cache of the API's processes: the tenant, the admin, both brands.
    assert {a.body["platform_fee_bps"] for a in _every_time(settings)} == {1000}
    assert {a.status for a in _every_time(me(brand_token))} == {200}
    assert {a.status for a in _every_time(me(leaving.tokens["access_token"]))} == {200}
    assert client.get("/api/v1/admin/tenant", headers=admin.headers).get_json()["platform_fee_bps"] == 1000

    # A settings change through the test's process: the API's processes see it on their next request.
    assert admin.patch("/api/v1/admin/tenant", json={"platform_fee_bps": 1234}).status_code == 200
    assert {a.body["platform_fee_bps"] for a in _every_time(settings)} == {1234}
    # ... and the other way round.
    changed = call("PATCH", f"{base}/admin/tenant", admin_token, "alpha", {"platform_fee_bps": 777})
    assert changed.status == 200, changed.body
    assert admin.get("/api/v1/admin/tenant").get_json()["platform_fee_bps"] == 777

    # A suspension through the test's process: refused at once by the API's processes.
    suspended = admin.post(f"/api/v1/admin/users/{brand.user_id}/suspend", json={"reason": "fraud"})
    assert suspended.status_code == 200, suspended.get_json()
    refused = _every_time(me(brand_token))
    assert {a.status for a in refused} == {403}
    assert {a.body["type"] for a in refused} == {"urn:marketplace:problem:account-suspended"}
    # Reinstated through the API's process: the test's process lets the user in again at once.
    assert brand.get("/api/v1/me").status_code == 403
    reinstate = f"{base}/admin/users/{brand.user_id}/reinstate"
    back = call("POST", reinstate, admin_token, "alpha", {"reason": "ok"})
    assert back.status == 200, back.body
    assert brand.get("/api/v1/me").status_code == 200
    assert {a.status for a in _every_time(me(brand_token))} == {200}

    # A logout through the test's process revokes the token for every process.
    assert leaving.post("/api/v1/auth/logout", json={}).status_code == 204
    revoked = _every_time(me(leaving.tokens["access_token"]))
    assert {a.status for a in revoked} == {401}


def test_a_tenant_moving_to_its_own_stripe_account_is_seen_by_every_webhook_intake(
    app: Flask, client: FlaskClient, spawn: Spawner
) -> None:
    """The platform endpoint caches which tenants run on their own Stripe account; a change counts at once."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    tenant_id = str(tenant_id_of(app, "alpha"))
    api = spawn.api(ROW_CACHE_SECONDS="600")

    def deliver_remote() -> Answer:
        event = stripe_event(
            "payment_intent.succeeded",
            {"id": "pi_cached", "object": "payment_intent", "metadata": {"tenant_id": tenant_id}},
        )
        payload = json.dumps(event)
        return call(
            "POST",
            f"{api.url}{WEBHOOK}",
            headers={"Stripe-Signature": signature(payload)},
            body=event,
        )

    def statuses() -> set[str]:
        with app.app_context():
            return set(db.session.execute(select(StripeEvent.status)).scalars())

    assert {a.status for a in _every_time(deliver_remote)} == {200}
    assert statuses() == {"received"}  # on the platform's account: accepted, queued for processing
    keys = {"stripe_secret_key": "sk_test_alphaOwnAccount1", "stripe_webhook_secret": "whsec_alphaOwn1"}
    assert admin.patch("/api/v1/admin/tenant", json=keys).get_json()["stripe_account"] == "own"
    with app.app_context():
        db.session.execute(delete(StripeEvent))
        db.session.commit()
    assert {a.status for a in _every_time(deliver_remote)} == {200}
    assert statuses() == {"ignored"}  # its own account now: only its own endpoint takes its events
