"""Security headers: a strict CSP for the API, a relaxed one for the docs page only, HSTS in production."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_caller, make_tenant


def _csp(header: str) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: sources}."""
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in directives}


def test_api_answers_carry_a_locked_down_policy(app: Flask, client: FlaskClient) -> None:
    """JSON answers, errors included, forbid every source, framing and sensors, and are not sniffed."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    for response in (
        caller.get("/api/v1/me"),
        client.get("/api/v1/me", headers={"X-Tenant": "alpha"}),
        client.get("/healthz"),
        client.get("/api/openapi.json"),
    ):
        csp = _csp(response.headers["Content-Security-Policy"])
        assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'", response.request.path
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "geolocation=()" in response.headers["Permissions-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in response.headers, "HSTS is for production only"
    assert caller.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_only_the_docs_page_may_run_inline_script_and_only_from_itself(client: FlaskClient) -> None:
    """/api/docs allows inline script and style (Swagger UI) but still loads and connects to itself only."""
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    csp = _csp(docs.headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self' 'unsafe-inline'"
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["default-src"] == csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "http" not in docs.headers["Content-Security-Policy"], "no remote origin is allowed"
    asset = client.get("/api/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_production_adds_strict_transport_security(app: Flask, client: FlaskClient) -> None:
    """In production every answer tells browsers to use HTTPS for a year, subdomains included."""
    settings = app.config["MARKETPLACE"]
    previous, settings.env = settings.env, "production"
    try:
        response = client.get("/healthz")
        docs = client.get("/api/docs")
    finally:
        settings.env = previous
    for answer in (response, docs):
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
