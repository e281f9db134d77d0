"""HTTP layer: one blueprint per resource; views parse, call a service, dump."""

from __future__ import annotations

import importlib

from flask import Flask

from marketplace.extensions import api

# Each module exposes `blp`, a flask-smorest Blueprint; order is the order of the docs page.
RESOURCES = (
    "auth",
    "me",
    "jobs",
    "niches",
    "influencers",
    "brands",
    "campaigns",
    "offers",
    "contracts",
    "delivery",
    "payments",
    "payouts",
    "webhooks",
    "notifications",
    "admin",
    "tenant_settings",
    "reports",
    "imports",
)


def register_blueprints(app: Flask) -> None:
    """Register every resource blueprint on the API, and the ops routes on the app."""
    for name in RESOURCES:
        api.register_blueprint(importlib.import_module(f"marketplace.api.{name}").blp)
    app.register_blueprint(importlib.import_module("marketplace.api.ops").bp)
