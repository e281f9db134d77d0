"""GET /metrics: Prometheus's text format, requests counted and timed per route, job queues, the token."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from tests.factories import make_caller, make_tenant

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient, token: str | None = None) -> Samples:
    """Every sample of one scrape, by name and labels."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    return parse(answer.get_data(as_text=True))


def parse(text: str) -> Samples:
    """Prometheus's own parser: a scrape that does not parse fails here."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(samples: Samples, route: str, status: str, method: str = "GET") -> float:
    return samples.get(
        ("marketplace_http_requests_total", (("method", method), ("route", route), ("status", status))), 0.0
    )


def timed(samples: Samples, route: str, method: str = "GET") -> float:
    return samples.get(
        ("marketplace_http_request_duration_seconds_count", (("method", method), ("route", route))), 0.0
    )


def test_requests_are_counted_and_timed_by_route_not_by_path(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    search, profile = "/api/v1/influencers", "/api/v1/influencers/<uuid:influencer_id>"
    before = scrape(client)
    for _ in range(3):
        assert brand.get("/api/v1/influencers?niche=food").status_code == 200
    for _ in range(2):  # two unknown ids: one series for the route, not one per id
        missing = brand.get("/api/v1/influencers/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404
    assert client.get("/no/such/path").status_code == 404
    Queue("default", connection=redis_client).enqueue("os.getpid")  # no worker runs in this test
    after = scrape(client)

    assert requests_of(after, search, "200") - requests_of(before, search, "200") == 3
    assert timed(after, search) - timed(before, search) == 3
    assert requests_of(after, profile, "404") - requests_of(before, profile, "404") == 2
    assert requests_of(after, "unmatched", "404") - requests_of(before, "unmatched", "404") == 1
    assert not [key for key in after if "00000000-0000" in str(key)]  # no raw path became a label
    assert not [key for key in after if "alpha" in str(key)]  # nor a tenant
    slowest = after[
        (
            "marketplace_http_request_duration_seconds_bucket",
            (("le", "+Inf"), ("method", "GET"), ("route", search)),
        )
    ]
    assert slowest == timed(after, search)
    assert after[("marketplace_redis_up", ())] == 1
    assert after[("marketplace_jobs_queued", (("queue", "default"),))] == 1
    assert after[("marketplace_jobs_failed", (("queue", "payments"),))] == 0


def test_invented_methods_and_a_bad_accept_header_add_nothing_and_break_nothing(client: FlaskClient) -> None:
    for method in ("ABCD", "EFGH"):
        assert client.open("/no/such/path", method=method).status_code in (404, 405)
    families = scrape(client)
    methods = {dict(labels).get("method") for name, labels in families if name.startswith("marketplace_http")}
    assert "ABCD" not in methods and "EFGH" not in methods and "other" in methods
    odd = client.get("/metrics", headers={"Accept": "text/plain; version=abc"})
    assert odd.status_code == 200 and odd.content_type.startswith("text/plain; version=0.0.4")
    asked = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert asked.status_code == 200 and asked.content_type.startswith("application/openmetrics-text")


def test_with_a_token_set_a_scrape_must_send_it(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.config["MARKETPLACE"], "metrics_token", "scrape-secret-1")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-secret-1"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.content_type == "application/problem+json"
    assert requests_of(scrape(client, "scrape-secret-1"), "/metrics", "401") >= 3


def test_the_metrics_operation_is_documented(client: FlaskClient) -> None:
    operation = client.get("/api/openapi.json").get_json()["paths"]["/metrics"]["get"]
    assert operation["security"] == [] and "text/plain" in operation["responses"]["200"]["content"]
