"""CORS comes from CORS_ORIGINS: listed origins may call /api/* from a browser, others get no grant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Runs in a fresh interpreter: the app is built from the environment, as in production.
PREFLIGHTS = """
import json
from marketplace import create_app

client = create_app().test_client()
answers = {}
for origin in ("https://shop.example", "https://admin.example", "https://evil.example"):
    response = client.options(
        "/api/v1/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Tenant, Authorization",
        },
    )
    answers[origin] = {"status": response.status_code, "headers": dict(response.headers)}
for origin in ("https://shop.example", "https://evil.example", None):
    response = client.get("/api/openapi.json", headers={"Origin": origin} if origin else {})
    answers[f"GET from {origin}"] = {"status": response.status_code, "headers": dict(response.headers)}
print(json.dumps(answers))
"""


def _preflights(tmp_path: Path, cors_origins: str) -> dict[str, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "CORS_ORIGINS": cors_origins,
            "INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cors.db'}",
            "LOG_LEVEL": "WARNING",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PREFLIGHTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_preflight_grants_listed_origins_and_refuses_others(tmp_path: Path) -> None:
    """A preflight from an origin in CORS_ORIGINS is granted; one from an unlisted origin gets no grant."""
    answers = _preflights(tmp_path, "https://shop.example, https://admin.example")
    for origin in ("https://shop.example", "https://admin.example"):
        headers = answers[origin]["headers"]
        assert headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in headers["Access-Control-Allow-Methods"]
        assert "x-tenant" in headers["Access-Control-Allow-Headers"].lower()
        assert "Origin" in headers.get("Vary", "")
    refused = answers["https://evil.example"]["headers"]
    assert "Access-Control-Allow-Origin" not in refused
    assert "Access-Control-Allow-Methods" not in refused


def test_no_origin_is_granted_when_cors_origins_is_unset(tmp_path: Path) -> None:
    """Without CORS_ORIGINS (the default) no browser origin is allowed, not even a wildcard."""
    answers = _preflights(tmp_path, "")
    for answer in answers.values():
        assert "Access-Control-Allow-Origin" not in answer["headers"]


def test_simple_requests_get_cors_headers_only_when_they_send_an_allowed_origin(tmp_path: Path) -> None:
    """A GET from a listed origin is granted (and may read X-Request-ID); an unlisted origin and a
    request with no Origin at all (not a browser's cross-origin call) get no CORS header."""
    answers = _preflights(tmp_path, "https://shop.example, https://admin.example")
    granted = answers["GET from https://shop.example"]
    assert granted["status"] == 200
    assert granted["headers"]["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "X-Request-ID" in granted["headers"]["Access-Control-Expose-Headers"]
    assert "Origin" in granted["headers"].get("Vary", "")
    for name in ("GET from https://evil.example", "GET from None"):
        assert answers[name]["status"] == 200
        assert not [h for h in answers[name]["headers"] if h.lower().startswith("access-control-")], name
