"""Every kind of error is problem+json with the right status and a stable type."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.services import jobs
from tests.factories import make_caller, make_tenant

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == f"urn:marketplace:problem:{slug}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_404_405_422_401_403(app: Flask, client: FlaskClient) -> None:
    """Routing, validation and auth errors share one shape."""
    make_tenant(app, "alpha")
    influencer = make_caller(app, client, "alpha")
    _assert_problem(client.get("/api/v1/nowhere", headers={"X-Tenant": "alpha"}), 404, "not-found")
    _assert_problem(client.get("/nowhere"), 404, "not-found")
    body = _assert_problem(
        influencer.client.delete("/api/v1/me", headers=influencer.headers), 405, "method-not-allowed"
    )
    assert body["instance"] == "/api/v1/me"
    body = _assert_problem(
        client.post(
            "/api/v1/auth/register", json={"email": "nope", "extra": 1}, headers={"X-Tenant": "alpha"}
        ),
        422,
        "validation-error",
    )
    assert set(body["errors"]) >= {"email", "password", "role", "display_name", "extra"}
    _assert_problem(client.get("/api/v1/me", headers={"X-Tenant": "alpha"}), 401, "unauthorized")
    _assert_problem(
        client.get("/api/v1/me", headers={"X-Tenant": "alpha", "Authorization": "Bearer junk"}),
        401,
        "unauthorized",
    )
    _assert_problem(influencer.post("/api/v1/admin/admins", json={}), 403, "forbidden")
    _assert_problem(influencer.get("/api/v1/jobs?limit=0"), 422, "validation-error")
    _assert_problem(influencer.get("/api/v1/jobs?cursor=@@@"), 422, "validation-error")


def test_409_conflict(app: Flask, client: FlaskClient) -> None:
    """A duplicate registration is a 409 problem."""
    make_tenant(app, "alpha")
    make_caller(app, client, "alpha", email="dup@example.com")
    response = client.post(
        "/api/v1/auth/register",
        headers={"X-Tenant": "alpha"},
        json={
            "email": "dup@example.com",
            "password": "Correct-Horse-9",
            "role": "brand",
            "display_name": "Dup",
        },
    )
    _assert_problem(response, 409, "conflict")


def test_500_hides_internals(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception becomes a 500 problem with no traceback or message leaked."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(jobs, "list_jobs", explode)
    response = caller.get("/api/v1/jobs")
    body = _assert_problem(response, 500, "internal-error")
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in body["detail"]


def test_request_id_is_echoed(app: Flask, client: FlaskClient) -> None:
    """A well-formed X-Request-ID from the client is kept in the response and error body."""
    response = client.get("/api/v1/me", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.get_json()["request_id"] == "abc-123"


def test_openapi_and_offline_docs(client: FlaskClient) -> None:
    """The OpenAPI document and the docs page with its assets are served locally."""
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]
    assert spec["components"]["parameters"]["XTenant"]["in"] == "header"
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/static/swagger-ui.css").status_code == 200


def test_health_and_readiness(client: FlaskClient) -> None:
    """healthz answers, readyz checks the database and Redis."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["checks"] == {"database": "ok", "redis": "ok"}
