"""Schemas of payments: funding, payout accounts, money movements and webhooks."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from marketplace.models.payment import LEDGER_ACCOUNTS, PAYMENT_STATUSES
from marketplace.schemas.common import PageArgsSchema


class IdempotencyHeaderSchema(ma.Schema):
    """The optional Idempotency-Key header of a mutating payment call."""

    class Meta:
        unknown = EXCLUDE  # every other header passes by

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "Same key and body: same answer; same key, other body: 422"},
    )


class FundSchema(ma.Schema):
    """Funding request; the amount comes from the contract, optionally confirmed by the client."""

    expected_amount_minor = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Refuse (422) unless the contract costs exactly this"},
    )


class FundingSchema(ma.Schema):
    """The funding attempt and what the brand's browser needs to confirm the card payment."""

    payment_id = fields.UUID(attribute="payment.id")
    contract_id = fields.UUID(attribute="payment.contract_id")
    status = fields.String(attribute="payment.status", metadata={"enum": list(PAYMENT_STATUSES)})
    amount_minor = fields.Integer(attribute="payment.amount_minor")
    currency = fields.String(attribute="payment.currency")
    payment_intent_id = fields.String(attribute="payment.stripe_payment_intent_id", allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={"description": "For Stripe.js; never logged"})
    next_action = fields.String(allow_none=True, metadata={"description": "e.g. use_stripe_sdk (3-D Secure)"})
    failure_code = fields.String(attribute="payment.failure_code", allow_none=True)
    failure_message = fields.String(attribute="payment.failure_message", allow_none=True)


class PaymentSchema(ma.Schema):
    """A contract's funding attempt as stored (no client secret)."""

    id = fields.UUID()
    contract_id = fields.UUID()
    status = fields.String(metadata={"enum": list(PAYMENT_STATUSES)})
    amount_minor = fields.Integer()
    currency = fields.String()
    stripe_payment_intent_id = fields.String(allow_none=True)
    failure_code = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True)
    created_at = fields.DateTime()
    succeeded_at = fields.DateTime(allow_none=True)
    dispute_status = fields.String(
        allow_none=True,
        metadata={"description": "Stripe's status of a chargeback on the charge (won, lost... at its end)"},
    )
    disputed_minor = fields.Integer(
        allow_none=True, metadata={"description": "The amount the chargeback disputes, in minor units"}
    )


class PayoutAccountCreateSchema(ma.Schema):
    """Where Stripe's hosted onboarding sends the influencer back."""

    return_url = fields.Url(required=True, require_tld=False, validate=validate.Length(max=2000))
    refresh_url = fields.Url(required=True, require_tld=False, validate=validate.Length(max=2000))


class PayoutAccountSchema(ma.Schema):
    """An influencer's payout account and, after POST, the link that completes its onboarding."""

    id = fields.UUID(attribute="account.id")
    stripe_account_id = fields.String(attribute="account.stripe_account_id", allow_none=True)
    details_submitted = fields.Boolean(attribute="account.details_submitted")
    payouts_enabled = fields.Boolean(attribute="account.payouts_enabled")
    transfers_active = fields.Boolean(attribute="account.transfers_active")
    requirements_due = fields.List(fields.String(), attribute="account.requirements_due")
    onboarding_url = fields.String(allow_none=True)
    onboarding_expires_at = fields.Integer(attribute="expires_at", allow_none=True)


class MovementArgsSchema(PageArgsSchema):
    """Filters of GET /payments."""

    contract_id = fields.UUID(load_default=None)


class MovementSchema(ma.Schema):
    """One movement of money (or in-kind value) between two ledger accounts of a contract."""

    id = fields.UUID()
    contract_id = fields.UUID()
    kind = fields.String()
    from_account = fields.String(metadata={"enum": list(LEDGER_ACCOUNTS)})
    to_account = fields.String(metadata={"enum": list(LEDGER_ACCOUNTS)})
    amount_minor = fields.Integer()
    currency = fields.String()
    memo = fields.String()
    created_at = fields.DateTime()


class AccountTotalSchema(ma.Schema):
    """The balance of one ledger account over the contracts shown."""

    account = fields.String(metadata={"enum": list(LEDGER_ACCOUNTS)})
    currency = fields.String()
    amount_minor = fields.Integer()


class MovementPageSchema(ma.Schema):
    """A page of movements with the totals per account (influencer_payable: money that waits)."""

    items = fields.List(fields.Nested(MovementSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    totals = fields.List(fields.Nested(AccountTotalSchema), required=True)


class WebhookAckSchema(ma.Schema):
    """Stripe only needs a 2xx; the body says whether the event was new."""

    received = fields.Boolean()
    duplicate = fields.Boolean()
    event_id = fields.String()
