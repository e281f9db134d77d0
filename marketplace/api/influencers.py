"""Influencer profiles, metrics, rate cards, discovery search and rate estimates."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.api.access import current_caller, current_user, login_required
from marketplace.api.parsing import Blueprint
from marketplace.jsonio import json_response
from marketplace.schemas.common import page_of
from marketplace.schemas.influencers import (
    MetricSnapshotInputSchema,
    MetricSnapshotSchema,
    ProfileInputSchema,
    ProfileSchema,
    ProfileSummarySchema,
    RateCardInputSchema,
    RateCardSchema,
    RateEstimateArgsSchema,
    RateEstimateSchema,
    SearchArgsSchema,
)
from marketplace.services import influencers, rate_estimates, search
from marketplace.tenancy import current_tenant

# One instance for every request: webargs would build a schema (a deep copy of ~20 fields) per call.
SEARCH_ARGS = SearchArgsSchema()
blp = Blueprint("influencers", __name__, url_prefix="/api/v1/influencers", description="Influencer profiles")


@blp.route("/me", methods=["GET"])
@login_required("influencer")
@blp.response(200, ProfileSchema)
def get_me() -> Any:
    """My influencer profile"""
    return influencers.profile_view(influencers.my_profile(current_user()))


@blp.route("/me", methods=["PUT"])
@login_required("influencer")
@blp.arguments(ProfileInputSchema)
@blp.response(200, ProfileSchema)
def put_me(data: dict[str, Any]) -> Any:
    """Create or replace my profile (accounts matched by platform and handle)"""
    return influencers.profile_view(influencers.save_my_profile(current_user(), data))


@blp.route("/me/rates", methods=["PUT"])
@login_required("influencer")
@blp.arguments(RateCardInputSchema)
@blp.response(200, RateCardSchema)
def put_rates(data: dict[str, Any]) -> Any:
    """Replace my rate card (minor units of the marketplace's currency)"""
    return {
        "currency": current_tenant().currency,
        "rates": influencers.set_rates(current_user(), data["rates"]),
    }


@blp.route("/me/metrics", methods=["POST"])
@login_required("influencer")
@blp.arguments(MetricSnapshotInputSchema)
@blp.response(201, MetricSnapshotSchema)
def post_metrics(data: dict[str, Any]) -> Any:
    """Append a metric snapshot to one of my accounts"""
    return influencers.add_metrics(current_user(), data)


@blp.route("", methods=["GET"])
@login_required("brand", "admin")
@blp.arguments(SEARCH_ARGS, location="query")
@blp.response(200, page_of(ProfileSummarySchema))
def search_influencers(args: dict[str, Any]) -> Any:
    """Search influencers with filters, sorts and cursor pagination"""
    page = search.search_influencers(current_caller(), args)
    # The items hold exactly the schema's fields in JSON's types (the id a UUID, written as its
    # string): written straight to JSON, the hottest read skips the schema's dump (docs/PERFORMANCE.md).
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@blp.route("/<uuid:influencer_id>", methods=["GET"])
@login_required()
@blp.response(200, ProfileSchema)
def get_influencer(influencer_id: uuid.UUID) -> Any:
    """One influencer's profile"""
    return influencers.profile_view(influencers.get_profile(current_user(), influencer_id))


@blp.route("/<uuid:influencer_id>/rate-estimate", methods=["GET"])
@login_required()
@blp.arguments(RateEstimateArgsSchema, location="query")
@blp.response(200, RateEstimateSchema)
def rate_estimate(args: dict[str, Any], influencer_id: uuid.UUID) -> Any:
    """A fair price range for one deliverable, with every factor shown"""
    profile = influencers.get_profile(current_user(), influencer_id)
    return rate_estimates.estimate_for(
        profile, args["platform"], args["deliverable"], args["content_creation"]
    )
