"""Schemas of a tenant's settings (GET/PATCH /admin/tenant); Stripe secrets are write-only."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

FEE_PAYERS = ("brand", "influencer")


class TierThresholdsSchema(ma.Schema):
    """Lower bounds, in followers, of the micro, macro and mega tiers (below micro: nano)."""

    micro = fields.Integer(strict=True, validate=validate.Range(min=1, max=2_000_000_000))
    macro = fields.Integer(strict=True, validate=validate.Range(min=2, max=2_000_000_000))
    mega = fields.Integer(strict=True, validate=validate.Range(min=3, max=2_000_000_000))


class TenantSettingsSchema(ma.Schema):
    """A tenant's settings as its admins see them; never a secret."""

    slug = fields.String()
    name = fields.String()
    currency = fields.String()
    platform_fee_bps = fields.Integer()
    fee_payer = fields.String(metadata={"enum": list(FEE_PAYERS)})
    symbolic_ceiling_minor = fields.Integer()
    review_window_days = fields.Integer()
    offer_expiry_days = fields.Integer()
    fraud_flag_threshold = fields.Float()
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    rate_calibration_min_contracts = fields.Integer()
    match_top_k = fields.Integer()
    governing_law = fields.String()
    stripe_account = fields.String(
        metadata={"enum": ["platform", "own"], "description": "whose Stripe account the tenant's money uses"}
    )
    stripe_webhook_secret_set = fields.Boolean()


class TenantSettingsPatchSchema(ma.Schema):
    """Settings to change; fee changes apply to contracts created afterwards (contracts freeze theirs)."""

    platform_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    fee_payer = fields.String(validate=validate.OneOf(FEE_PAYERS))
    symbolic_ceiling_minor = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000_000))
    review_window_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=90))
    offer_expiry_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365))
    fraud_flag_threshold = fields.Float(validate=validate.Range(min=0, max=1))
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    rate_calibration_min_contracts = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    match_top_k = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    governing_law = fields.String(validate=validate.Length(min=2, max=120))
    stripe_secret_key = fields.String(
        load_only=True,
        allow_none=True,
        validate=validate.Regexp(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$", error="Not a Stripe secret key."),
        metadata={"description": "Write-only; null returns the tenant to the platform's account"},
    )
    stripe_webhook_secret = fields.String(
        load_only=True,
        allow_none=True,
        validate=validate.Regexp(r"^whsec_[A-Za-z0-9]{8,}$", error="Not a Stripe webhook signing secret."),
        metadata={"description": "Write-only; null falls back to the platform's secret"},
    )
