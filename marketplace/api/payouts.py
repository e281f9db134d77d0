"""The influencer's payout account (a Stripe connected account)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.payments import PayoutAccountCreateSchema, PayoutAccountSchema
from marketplace.services.payments import payouts

blp = Blueprint(
    "payouts", __name__, url_prefix="/api/v1/influencers/me/payout-account", description="Payout accounts"
)


@blp.route("", methods=["POST"])
@login_required("influencer")
@blp.arguments(PayoutAccountCreateSchema)
@blp.response(200, PayoutAccountSchema)
def create_payout_account(data: dict[str, Any]) -> Any:
    """Create my payout account (once) and get a fresh onboarding link"""
    return payouts.setup_payout_account(current_user(), data["refresh_url"], data["return_url"])


@blp.route("", methods=["GET"])
@login_required("influencer")
@blp.response(200, PayoutAccountSchema)
def get_payout_account() -> Any:
    """My payout account: can it receive money yet?"""
    return payouts.Onboarding(payouts.my_payout_account(current_user()), None, None)
