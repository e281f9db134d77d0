"""HTTP layer: one blueprint per resource; views parse, call a service, dump."""

from __future__ import annotations

from flask import Flask

from marketplace.extensions import api


def register_blueprints(app: Flask) -> None:
    """Register every resource blueprint on the API."""
    from marketplace.api import (
        admin,
        auth,
        brands,
        campaigns,
        contracts,
        influencers,
        jobs,
        me,
        niches,
        notifications,
        offers,
        ops,
    )

    for module in (
        auth,
        me,
        jobs,
        admin,
        niches,
        influencers,
        brands,
        campaigns,
        offers,
        contracts,
        notifications,
    ):
        api.register_blueprint(module.blp)
    app.register_blueprint(ops.bp)
