"""Campaign briefs and their lifecycle."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.api.access import current_caller, current_user, login_required
from marketplace.api.parsing import Blueprint
from marketplace.jsonio import json_response
from marketplace.schemas.campaigns import (
    CampaignCreateSchema,
    CampaignFieldsSchema,
    CampaignListArgsSchema,
    CampaignSchema,
    MatchSchema,
    PortfolioSchema,
    PublishedSchema,
)
from marketplace.schemas.common import PageArgsSchema, page_of
from marketplace.services import campaigns, matching, portfolios

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns", description="Campaigns")


@blp.route("", methods=["POST"])
@login_required("brand", "admin")
@blp.arguments(CampaignCreateSchema)
@blp.response(201, CampaignSchema)
def create_campaign(data: dict[str, Any]) -> Any:
    """Write a draft brief for one of my brands"""
    return campaigns.create_campaign(current_user(), data)


@blp.route("", methods=["GET"])
@login_required()
@blp.arguments(CampaignListArgsSchema, location="query")
@blp.response(200, page_of(CampaignSchema))
def list_campaigns(args: dict[str, Any]) -> Any:
    """Campaigns I can see: my brands' (brands), open ones (influencers), all (admins)"""
    page = campaigns.list_campaigns(current_user(), args)
    campaigns.with_brands(page.items)
    return page


@blp.route("/<uuid:campaign_id>", methods=["GET"])
@login_required()
@blp.response(200, CampaignSchema)
def get_campaign(campaign_id: uuid.UUID) -> Any:
    """One campaign, with its brand's name and rating"""
    return campaigns.with_brands([campaigns.visible_campaign(current_user(), campaign_id)])[0]


@blp.route("/<uuid:campaign_id>", methods=["PATCH"])
@login_required("brand", "admin")
@blp.arguments(CampaignFieldsSchema)
@blp.response(200, CampaignSchema)
def patch_campaign(data: dict[str, Any], campaign_id: uuid.UUID) -> Any:
    """Change a brief: drafts freely, published ones only in a few fields"""
    return campaigns.update_campaign(current_user(), campaign_id, data)


@blp.route("/<uuid:campaign_id>/publish", methods=["POST"])
@login_required("brand", "admin")
@blp.response(200, PublishedSchema)
def publish(campaign_id: uuid.UUID) -> Any:
    """Publish a draft; matching starts in the background"""
    return campaigns.publish(current_user(), campaign_id)


@blp.route("/<uuid:campaign_id>/close", methods=["POST"])
@login_required("brand", "admin")
@blp.response(200, CampaignSchema)
def close(campaign_id: uuid.UUID) -> Any:
    """Close a published campaign to new offers and applications"""
    return campaigns.transition(current_user(), campaign_id, "closed")


@blp.route("/<uuid:campaign_id>/cancel", methods=["POST"])
@login_required("brand", "admin")
@blp.response(200, CampaignSchema)
def cancel(campaign_id: uuid.UUID) -> Any:
    """Cancel a draft or published campaign"""
    return campaigns.transition(current_user(), campaign_id, "cancelled")


@blp.route("/<uuid:campaign_id>/matches", methods=["GET"])
@login_required("brand", "admin")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(MatchSchema))
def matches(args: dict[str, Any], campaign_id: uuid.UUID) -> Any:
    """Ranked matches of the campaign's latest matching run (brand members and admins)"""
    # Written straight to JSON in MatchSchema's shape (the schema documents it): docs/PERFORMANCE.md.
    return json_response(matching.match_page(current_caller(), campaign_id, args["cursor"], args["limit"]))


@blp.route("/<uuid:campaign_id>/portfolio", methods=["GET"])
@login_required("brand", "admin")
@blp.response(200, PortfolioSchema)
def portfolio(campaign_id: uuid.UUID) -> Any:
    """A set of at most `slots` complementary influencers within the budget, each pick explained"""
    return portfolios.propose(matching.require_match_viewer(current_user(), campaign_id))
