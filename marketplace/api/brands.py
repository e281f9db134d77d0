"""Brand organisations and their members."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.brands import (
    BrandInputSchema,
    BrandPatchSchema,
    BrandSchema,
    MemberInputSchema,
    MemberSchema,
)
from marketplace.services import brands

blp = Blueprint("brands", __name__, url_prefix="/api/v1/brands", description="Brands")


@blp.route("", methods=["POST"])
@login_required("brand")
@blp.arguments(BrandInputSchema)
@blp.response(201, BrandSchema)
def create_brand(data: dict[str, Any]) -> Any:
    """Create a brand; I become its owner"""
    return brands.brand_view(brands.create_brand(current_user(), data))


@blp.route("/<uuid:brand_id>", methods=["GET"])
@login_required()
@blp.response(200, BrandSchema)
def get_brand(brand_id: uuid.UUID) -> Any:
    """A brand with its members and exclusion list (members and admins)"""
    return brands.brand_view(brands.visible_brand(current_user(), brand_id))


@blp.route("/<uuid:brand_id>", methods=["PATCH"])
@login_required("brand", "admin")
@blp.arguments(BrandPatchSchema)
@blp.response(200, BrandSchema)
def patch_brand(data: dict[str, Any], brand_id: uuid.UUID) -> Any:
    """Change a brand's details or exclusion list (owners and admins)"""
    return brands.brand_view(brands.update_brand(current_user(), brand_id, data))


@blp.route("/<uuid:brand_id>/members", methods=["POST"])
@login_required("brand", "admin")
@blp.arguments(MemberInputSchema)
@blp.response(201, MemberSchema)
def add_member(data: dict[str, Any], brand_id: uuid.UUID) -> Any:
    """Add a brand account of this marketplace as owner or member"""
    member = brands.add_member(current_user(), brand_id, data)
    view = brands.brand_view(brands.visible_brand(current_user(), brand_id))
    return next(m for m in view["members"] if m["user_id"] == member.user_id)
