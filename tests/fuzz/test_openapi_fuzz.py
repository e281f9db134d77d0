"""Schemathesis over /api/openapi.json as each role: no 5xx, documented answers, errors in problem+json."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st
from redis import Redis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from marketplace.extensions import db
from marketplace.models import FraudFlag
from marketplace.services import tokens
from marketplace.tenancy import tenant_scope
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
from tests.payments.factories import make_deal, tenant_id_of
from tests.workers.test_jobs import _drain

ROLES = ("influencer", "brand", "admin")
TENANT = "fuzz"
PROBLEM = "application/problem+json"
MAX_EXAMPLES = 25


class CountingApp:
    """The app behind a WSGI wrapper that counts every request schemathesis sends."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.requests += 1
        return self.app(environ, start_response)


@dataclass
class World:
    """One tenant whose objects the fuzzing callers own or take part in, by path parameter name."""

    callers: dict[str, Caller]
    tenant_id: uuid.UUID
    ids: dict[str, list[str]] = field(default_factory=dict)


def build_world(app: Flask, client: FlaskClient) -> World:
    """Make one object of every kind the API addresses by id, with the fuzzing callers as parties."""
    make_tenant(app, TENANT)
    admin = make_caller(app, client, TENANT, role="admin")
    brand = make_brand(app, client, TENANT)
    influencer = make_influencer(app, client, TENANT)
    other = make_influencer(app, client, TENANT)
    victim = make_caller(app, client, TENANT)  # the only user the admin's suspensions may reach
    campaigns = [make_campaign(brand, publish=True) for _ in range(4)]
    draft = make_campaign(brand)
    pending = [make_offer(brand, influencer, campaigns[0]), make_offer(brand, other, campaigns[0])]
    awaiting = accept_offer(influencer, make_offer(brand, influencer, campaigns[1]))
    gift = accept_offer(influencer, make_offer(brand, influencer, campaigns[2], cash_minor=0, in_kind_items=GIFT))
    disputed = accept_offer(
        influencer, make_offer(brand, influencer, campaigns[3], cash_minor=0, in_kind_items=GIFT)
    )
    application = other.post(
        f"/api/v1/campaigns/{campaigns[1]}/applications", json={"cash_minor": 40_000, "pitch": "Me too"}
    ).get_json()
    _drain(Redis.from_url(REDIS_URL))
    sign_both(brand, influencer, gift)
    sign_both(brand, influencer, disputed)
    deliverable = influencer.post(
        f"/api/v1/contracts/{gift}/deliverables",
        json={"platform": "instagram", "type": "post", "url": "https://instagram.com/p/x", "caption": "#ad"},
    ).get_json()["deliverable"]["id"]
    dispute = influencer.post(
        f"/api/v1/contracts/{disputed}/disputes", json={"reason": "late", "description": "Late"}
    ).get_json()["id"]
    fundable = make_deal(app, client, TENANT, brand=brand, influencer=influencer).contract_id
    tenant_id = tenant_id_of(app, TENANT)
    with app.app_context(), tenant_scope(tenant_id):
        flag = FraudFlag(profile_id=uuid.UUID(influencer.profile_id), score=0.9, reasons=[], status="open")
        db.session.add(flag)
        db.session.commit()
        flag_id = str(flag.id)
    callers = {"admin": admin, "brand": brand, "influencer": influencer}
    notifications = [
        n["id"] for caller in callers.values() for n in caller.get("/api/v1/notifications").get_json()["items"]
    ]
    jobs = [caller.post("/api/v1/me/export").get_json()["job_id"] for caller in callers.values()]
    ids = {
        "job_id": jobs,
        "influencer_id": [influencer.profile_id, other.profile_id],
        "brand_id": [brand.brand_id],
        "campaign_id": [*campaigns, draft],
        "offer_id": [*pending, application.get("id", pending[0])],
        "contract_id": [awaiting, gift, disputed, fundable],
        "notification_id": notifications[:3],
        "deliverable_id": [deliverable],
        "dispute_id": [dispute],
        "user_id": [victim.user_id, other.user_id],
        "flag_id": [flag_id],
        "tenant_slug": [TENANT],
    }
    return World(callers, tenant_id, {k: v for k, v in ids.items() if v})


def problem_details(ctx: Any, response: Any, case: Any) -> None:
    """Every error answer is problem+json with at least type, title and status."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM, (
        f"{response.status_code} answered {content_type!r}, not {PROBLEM}"
    )
    body = response.json()
    assert isinstance(body, dict), body
    for key in ("type", "title", "status"):
        assert key in body, f"problem without {key}: {body}"
    assert body["status"] == response.status_code, body


def documented_status(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx answer of an operation is documented explicitly, not only by `default`."""
    if not 400 <= response.status_code < 500 or response.status_code in (405,):
        return
    documented = set(case.operation.definition.raw.get("responses", {}))
    assert str(response.status_code) in documented, (
        f"{response.status_code} is not documented for {case.operation.label}: {sorted(documented)}"
    )


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    problem_details,
    documented_status,
]
RESULTS: dict[str, tuple[int, float]] = {}
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def fuzz_schema(app: Flask, world: World, role: str) -> tuple[Any, CountingApp]:
    """The live OpenAPI document of the app, authenticated as one role of a populated tenant."""
    counting = CountingApp(app)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", counting)
    token = world.callers[role].tokens["access_token"]
    schema.config.update(headers={"X-Tenant": TENANT, "Authorization": f"Bearer {token}"})

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        # Most requests name objects that exist, so they get past the lookup to the rules behind it.
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([*world.ids.get(name, []), value])
                for name, value in path_parameters.items()
            }
        )

    return schema, counting


def fresh_token(app: Flask, world: World, role: str) -> str:
    """A new access token of the role's caller, for a logout that revokes it."""
    caller = world.callers[role]
    with app.app_context():
        return tokens.issue_pair(uuid.UUID(caller.user_id), world.tenant_id, role)["access_token"]


@pytest.mark.parametrize("role", ROLES)
def test_openapi_fuzz(app: Flask, client: FlaskClient, role: str) -> None:
    """Generated requests, valid and invalid, never fail the server nor stray from the documentation."""
    world = build_world(app, client)
    schema, counting = fuzz_schema(app, world, role)
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:

            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                headers = None
                if operation.path == "/api/v1/auth/logout":
                    headers = {"Authorization": f"Bearer {fresh_token(app, world, role)}"}
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                # Nothing to make invalid: no body, query or path parameter (X-Tenant is fixed).
                assert mode == GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    elapsed = time.monotonic() - started
    RESULTS[role] = (counting.requests, elapsed)
    print(f"\nschemathesis as {role}: {operations} operations, {counting.requests} requests in {elapsed:.1f}s")
    assert not failures, "\n\n".join(failures)
