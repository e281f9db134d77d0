"""The niche taxonomy."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields

from marketplace.domain import niches

blp = Blueprint("niches", __name__, url_prefix="/api/v1/niches", description="Niche taxonomy")


class NicheSchema(ma.Schema):
    """A niche, its related niches and pricing category."""

    name = fields.String()
    related = fields.List(fields.String())
    category = fields.String()


@blp.route("", methods=["GET"])
@blp.response(200, NicheSchema(many=True))
@blp.doc(security=[])
def list_niches() -> Any:
    """Every niche of the taxonomy with its related niches"""
    return [
        {"name": n, "related": sorted(niches.related(n)), "category": niches.category(n)}
        for n in niches.NICHES
    ]
