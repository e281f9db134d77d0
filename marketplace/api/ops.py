"""Liveness and readiness probes, and the offline docs assets."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from apispec import APISpec
from flask import Blueprint, Flask, send_from_directory
from sqlalchemy import text

from marketplace import metrics
from marketplace.extensions import db, redis

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> Any:
    """The database and Redis (when configured) answer; 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = f"error: {type(exc).__name__}"
        db.session.rollback()
    if redis.client is None:
        checks["redis"] = "not configured (in-process jobs)"
    else:
        try:
            redis.client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
def prometheus_metrics() -> Any:
    """Prometheus metrics (marketplace/metrics.py)."""
    return metrics.scrape()


@bp.get("/api/docs/static/<path:filename>")
def docs_static(filename: str) -> Any:
    """Swagger UI's JavaScript and CSS from the installed package: the docs work offline."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def document_probes(spec: APISpec, app: Flask) -> None:
    """Describe the probes in the OpenAPI document (no tenant, no token) so the docs page can try them."""
    spec.tag({"name": "ops", "description": "Liveness and readiness probes; no X-Tenant, no token"})
    status = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
    readiness = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not ready"]},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["status", "checks"],
    }

    def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    spec.path(
        rule=next(app.url_map.iter_rules("ops.healthz")),
        operations={
            "get": {
                "tags": ["ops"],
                "summary": "The process is up",
                "operationId": "healthz",
                "security": [],
                "responses": {"200": answer("Up", status)},
            }
        },
    )
    spec.path(
        rule=next(app.url_map.iter_rules("ops.readyz")),
        operations={
            "get": {
                "tags": ["ops"],
                "summary": "The database and Redis (when configured) answer",
                "operationId": "readyz",
                "security": [],
                "responses": {
                    "200": answer("Ready", readiness),
                    "503": answer("A dependency does not answer", readiness),
                },
            }
        },
    )
    spec.path(
        rule=next(app.url_map.iter_rules("ops.prometheus_metrics")),
        operations={
            "get": {
                "tags": ["ops"],
                "summary": "Prometheus metrics",
                "description": "Requests and latency per route, the job queues and Redis, in Prometheus's "
                "text format (marketplace/metrics.py). When METRICS_TOKEN is set, send it as a bearer token.",
                "operationId": "metrics",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Prometheus's text format 0.0.4, or OpenMetrics when the Accept "
                        "header asks for it (as Prometheus does)",
                        "content": {
                            "text/plain": {"schema": {"type": "string"}},
                            "application/openmetrics-text": {"schema": {"type": "string"}},
                        },
                    },
                    "401": spec.components.get_ref("response", "UNAUTHORIZED"),
                },
            }
        },
    )
