"""Schemathesis over /api/openapi.json as each role: no 5xx, documented answers, errors in problem+json.

One test per role on a freshly populated tenant. Every operation of the document is called, as that
role, with generated valid (positive) and invalid (negative) requests; then each operation's
coverage cases (boundary values, wrong types, missing fields), sampled, are sent as a role the
operation admits, so they reach validation instead of a 403. Path parameters mostly name objects
that exist, so requests get past the lookup to the rules behind it. docs/RELIABILITY.md has the
figures and the command that reproduces them.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from redis import Redis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from marketplace.errors import PROBLEM_MIMETYPE
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
# Generated requests per operation, role and mode (positive, negative), for the roles the operation
# admits and for those it refuses (a 403 whatever the input: a few show it is documented); the run
# must stay within about four minutes of CI (docs/RELIABILITY.md).
MAX_EXAMPLES = 20
REFUSED_EXAMPLES = 3
# Coverage cases per operation, a deterministic sample of the 4 to 327 schemathesis derives.
COVERAGE_CASES = 15
# Share of the requests naming an existing object that must get past the lookup (not a 404).
MIN_FOUND_SHARE = 0.5
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run
    database=None,
    phases=(Phase.explicit, Phase.generate),  # report the first failure as found, no shrinking
    suppress_health_check=list(HealthCheck),
)
TOTALS: dict[str, float] = {}


@dataclass
class World:
    """One tenant whose objects the fuzzing callers own or take part in, by path parameter name."""

    callers: dict[str, Caller]
    tenant_id: uuid.UUID
    ids: dict[str, list[str]] = field(default_factory=dict)


def build_world(app: Flask, client: FlaskClient) -> World:
    """Make objects of every kind the API addresses by id, with the fuzzing callers as their parties."""
    make_tenant(app, TENANT)
    admin = make_caller(app, client, TENANT, role="admin")
    brand = make_brand(app, client, TENANT)
    influencer = make_influencer(app, client, TENANT)
    other = make_influencer(app, client, TENANT)
    # Suspensions only ever reach these two: never one of the fuzzing callers.
    bystanders = [make_caller(app, client, TENANT).user_id, other.user_id]
    campaigns = [make_campaign(brand, publish=True) for _ in range(4)]
    draft = make_campaign(brand)
    pending = [make_offer(brand, influencer, campaigns[0]), make_offer(brand, other, campaigns[0])]
    awaiting = accept_offer(influencer, make_offer(brand, influencer, campaigns[1]))
    gift = accept_offer(
        influencer, make_offer(brand, influencer, campaigns[2], cash_minor=0, in_kind_items=GIFT)
    )
    disputed = accept_offer(
        influencer, make_offer(brand, influencer, campaigns[3], cash_minor=0, in_kind_items=GIFT)
    )
    application = other.post(
        f"/api/v1/campaigns/{campaigns[1]}/applications",
        json={"proposed_cash_minor": 40_000, "pitch": "Me too"},
    )
    assert application.status_code == 201, application.get_json()
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
        n["id"] for c in callers.values() for n in c.get("/api/v1/notifications").get_json()["items"][:2]
    ]
    ids = {
        "job_id": [c.post("/api/v1/me/export").get_json()["job_id"] for c in callers.values()],
        "influencer_id": [influencer.profile_id, other.profile_id],
        "brand_id": [brand.brand_id],
        "campaign_id": [*campaigns, draft],
        "offer_id": [*pending, application.get_json()["id"]],
        "contract_id": [awaiting, gift, disputed, fundable],
        "notification_id": notifications,
        "deliverable_id": [deliverable],
        "dispute_id": [dispute],
        "user_id": bystanders,
        "flag_id": [flag_id],
        "tenant_slug": [TENANT],
    }
    return World(callers, tenant_id, ids)


class CountingApp:
    """The app behind a WSGI wrapper counting the requests it serves, and those that found their object."""

    def __init__(self, app: Flask, known_ids: Iterable[str]) -> None:
        self.app = app
        self.known_ids = [i for i in known_ids if i != TENANT]
        self.requests = 0
        self.addressed = 0  # requests whose path names an existing object
        self.found = 0  # ... and that got past the lookup (anything but 404)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve one request, counting it."""
        self.requests += 1
        addressed = any(i in environ.get("PATH_INFO", "") for i in self.known_ids)

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if addressed:
                self.addressed += 1
                self.found += not status.startswith("404")
            return start_response(status, headers, exc_info)

        return self.app(environ, recording)


def problem_details(ctx: Any, response: Any, case: Any) -> None:
    """Every error answer is problem+json with at least type, title and its own status."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_MIMETYPE, (
        f"{response.status_code} answered {content_type!r}, not {PROBLEM_MIMETYPE}"
    )
    body = response.json()
    assert isinstance(body, dict), body
    missing = {"type", "title", "status"} - set(body)
    assert not missing, f"problem without {sorted(missing)}: {body}"
    assert body["status"] == response.status_code, body


def documented_status(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx answer is documented by the operation itself, not only by its `default`.

    405 is the answer to a method the document does not list for the path (coverage cases try
    them): no operation to document it on.
    """
    if not 400 <= response.status_code < 500 or response.status_code == 405:
        return
    documented = {str(status) for status in case.operation.definition.raw.get("responses", {})}
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


def loaded_schema(app: CountingApp, world: World, role: str) -> Any:
    """The app's live OpenAPI document, sending X-Tenant and the role's token, naming known objects."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    token = world.callers[role].tokens["access_token"]
    schema.config.update(headers={"X-Tenant": TENANT, "Authorization": f"Bearer {token}"})

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        # Each path parameter is one of the existing objects' ids or the generated value, each as likely.
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([*world.ids.get(name, []), value])
                for name, value in path_parameters.items()
            }
        )

    return schema


def admitted_roles(app: Flask) -> dict[str, tuple[str, ...]]:
    """The roles each operation (`METHOD /path/{param}`) admits; () for any caller."""
    roles = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            roles[f"{method} {path}"] = getattr(app.view_functions[rule.endpoint], "_required_roles", ())
    return roles


def covered_by(roles: tuple[str, ...], index: int) -> str:
    """The role whose run sends an operation's coverage cases: one it admits, else in turn."""
    return roles[0] if roles else ROLES[index % len(ROLES)]


def send(case: Any, app: Flask, world: World, role: str, headers: dict[str, str] | None = None) -> None:
    """Call the app with a case and run every check on the answer."""
    if case.operation.path == "/api/v1/auth/logout":
        # Logout revokes the token it is called with: each call gets a token of its own.
        caller = world.callers[role]
        with app.app_context():
            pair = tokens.issue_pair(uuid.UUID(caller.user_id), world.tenant_id, role)
        headers = {**(headers or {}), "Authorization": f"Bearer {pair['access_token']}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


def fuzz(operation: Any, app: Flask, world: World, role: str, examples: int) -> Iterator[str]:
    """Generated positive and negative requests; yields the first failure of each mode."""
    for mode in MODES:

        @settings(FUZZ_SETTINGS, max_examples=examples)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            send(case, app, world, role)

        try:
            call()
        except Unsatisfiable:
            # Nothing to make invalid: no body, query or path parameter (X-Tenant is fixed).
            assert mode == GenerationMode.NEGATIVE, operation.label
        except (Exception, FailureGroup) as exc:
            yield f"{operation.label} [fuzzing, {mode.value}]: {type(exc).__name__}: {exc}"


def cover(operation: Any, schema: Any, app: Flask, world: World, role: str) -> Iterator[str]:
    """A deterministic sample of the operation's coverage cases; yields the first failure."""
    cases = list(
        schema.iter_coverage_cases(
            operation,
            generation_modes=list(MODES),
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        )
    )
    headers = {"X-Tenant": TENANT, "Authorization": f"Bearer {world.callers[role].tokens['access_token']}"}
    for index, case in enumerate(cases[:: max(1, math.ceil(len(cases) / COVERAGE_CASES))]):
        for name, value in (case.path_parameters or {}).items():
            if name in world.ids and _is_uuid(value):
                case.path_parameters[name] = world.ids[name][index % len(world.ids[name])]
        try:
            send(case, app, world, role, headers)
        except (Exception, FailureGroup) as exc:
            yield f"{operation.label} [coverage]: {type(exc).__name__}: {exc}"
            return


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module", autouse=True)
def report_totals() -> Iterator[None]:
    """Print the figures of the whole run once its roles are done (docs/RELIABILITY.md quotes them)."""
    yield
    if TOTALS:
        print(
            f"\nschemathesis total: {TOTALS['requests']} requests ({TOTALS['fuzzing']} generated, "
            f"{TOTALS['coverage']} coverage) over {TOTALS['operations']} operations x {len(ROLES)} roles "
            f"in {TOTALS['seconds']:.0f} s; {TOTALS['found']} of {TOTALS['addressed']} requests naming "
            "an existing object got past the lookup"
        )


@pytest.mark.parametrize("role", ROLES)
def test_openapi_fuzz(app: Flask, client: FlaskClient, role: str) -> None:
    """Generated requests, valid and invalid, never fail the server nor stray from the documentation."""
    world = build_world(app, client)
    counting = CountingApp(app, [i for ids in world.ids.values() for i in ids])
    schema = loaded_schema(counting, world, role)
    roles = admitted_roles(app)
    started = time.monotonic()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        admitted = roles.get(operation.label, ())
        examples = MAX_EXAMPLES if not admitted or role in admitted else REFUSED_EXAMPLES
        failures.extend(fuzz(operation, app, world, role, examples))
    generated = counting.requests
    for index, operation in enumerate(operations):
        if covered_by(roles.get(operation.label, ()), index) == role:
            failures.extend(cover(operation, schema, app, world, role))
    seconds = time.monotonic() - started
    figures = {
        "requests": counting.requests,
        "fuzzing": generated,
        "coverage": counting.requests - generated,
        "operations": len(operations),
        "seconds": seconds,
        "addressed": counting.addressed,
        "found": counting.found,
    }
    for key, value in figures.items():
        TOTALS[key] = TOTALS.get(key, 0) + value if key != "operations" else value
    print(
        f"\nschemathesis as {role}: {len(operations)} operations, {counting.requests} requests "
        f"({generated} generated, {counting.requests - generated} coverage) in {seconds:.0f} s; "
        f"{counting.found}/{counting.addressed} naming an existing object got past the lookup"
    )
    undocumented = {label for label in roles if " /api/v1/" in label} - {op.label for op in operations}
    assert not undocumented, f"routes missing from the document, so never fuzzed: {sorted(undocumented)}"
    assert not failures, "\n\n".join(failures)
    assert counting.found >= MIN_FOUND_SHARE * counting.addressed, "most requests should reach real objects"
