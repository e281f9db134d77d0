"""Payments aggregate: payout accounts, funding attempts, transfers, refunds, the ledger, Stripe events.

Money is integer minor units plus an ISO 4217 currency. Rows that lead to a Stripe call that moves
money (Payment, Transfer, Refund) are committed before the call: their id is the idempotency key,
so a retried job replays the same Stripe request instead of paying twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import IdMixin, JSONType, TenantScoped, TimestampMixin, UTCDateTime, tenant_fk

# Mirrors Stripe's PaymentIntent statuses, plus `creating` (our row exists, the intent not yet) and
# `failed` (the last attempt was declined; the brand may retry the same intent).
PAYMENT_STATUSES = (
    "creating",
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "requires_capture",
    "failed",
    "succeeded",
    "canceled",
)
FINAL_PAYMENT_STATUSES = frozenset({"succeeded", "canceled"})
# payable: the influencer's net waits for an enabled payout account; pending: a Stripe call may
# have happened (the retry replays it); paid: Stripe holds the transfer; reversed: fully reversed.
TRANSFER_STATUSES = ("payable", "pending", "paid", "reversed")
REFUND_STATUSES = ("pending", "succeeded", "failed")
LEDGER_ACCOUNTS = (
    "brand_funding",  # what brands paid in (goes negative as money arrives)
    "platform_held",  # funds held in the platform's Stripe balance for a contract
    "influencer_payable",  # released to the influencer, not yet transferred
    "transfer_out",  # transferred to the influencer's connected account
    "platform_fee_revenue",  # the platform's fee, earned at release
    "refund",  # returned to the brand
    "chargeback",  # returned to the brand by its bank: a chargeback the platform lost
    "chargeback_loss",  # the platform's own money that paid a lost chargeback (goes negative)
    "in_kind_memo",  # memo pair: the declared value of goods given in kind, never money
    "in_kind_received",
)


class PayoutAccount(TenantScoped, db.Model):
    """An influencer's Stripe connected account (express), kept current by account.updated."""

    __tablename__ = "payout_accounts"
    __table_args__ = (
        tenant_fk("user_id", "users"),
        tenant_fk("profile_id", "influencer_profiles"),
        UniqueConstraint("tenant_id", "user_id"),
        UniqueConstraint("tenant_id", "stripe_account_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    stripe_account_id: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    details_submitted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    transfers_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    requirements_due: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)

    @property
    def can_receive(self) -> bool:
        """True when a transfer to this account would be accepted."""
        return bool(self.stripe_account_id) and self.payouts_enabled and self.transfers_active


class Payment(TenantScoped, db.Model):
    """One funding attempt of a contract: a PaymentIntent charged to the platform account.

    The client secret is never stored: it is read from Stripe when the brand needs it again.
    `idempotency_key` and `request_fingerprint` implement our own Idempotency-Key header.
    """

    __tablename__ = "payments"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        tenant_fk("created_by", "users"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("tenant_id", "created_by", "idempotency_key"),
        UniqueConstraint("tenant_id", "stripe_payment_intent_id"),
        # One live funding attempt per contract: a second /fund reuses it instead of charging twice.
        Index(
            "uq_payments_tenant_contract_live",
            "tenant_id",
            "contract_id",
            unique=True,
            postgresql_where=text("status <> 'canceled'"),
            sqlite_where=text("status <> 'canceled'"),
        ),
        Index("ix_payments_tenant_status_updated", "tenant_id", "status", "updated_at"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="creating")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A chargeback on the charge (charge.dispute.*, migration 0014): Stripe's dispute, its status as
    # last recorded (won, lost or warning_closed at its end) and the disputed amount in minor units.
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(255))
    dispute_status: Mapped[str | None] = mapped_column(String(30))
    disputed_minor: Mapped[int | None] = mapped_column(Integer)


class Transfer(TenantScoped, db.Model):
    """The influencer's net for one contract, on its way to their connected account (one per contract)."""

    __tablename__ = "transfers"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        tenant_fk("influencer_user_id", "users"),
        tenant_fk("payout_account_id", "payout_accounts"),
        CheckConstraint("amount_minor > 0 AND amount_reversed_minor >= 0", name="amounts_positive"),
        UniqueConstraint("tenant_id", "contract_id"),
        UniqueConstraint("tenant_id", "stripe_transfer_id"),
        Index("ix_transfers_tenant_user_status", "tenant_id", "influencer_user_id", "status"),
        Index("ix_transfers_tenant_status_updated", "tenant_id", "status", "updated_at"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    influencer_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    payout_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="payable")
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255))
    amount_reversed_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_notified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Refund(TenantScoped, db.Model):
    """Money returned to the brand: ours (purpose `settlement`) or found on Stripe (`stripe:<id>`)."""

    __tablename__ = "refunds"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        tenant_fk("payment_id", "payments"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("tenant_id", "contract_id", "purpose"),
        UniqueConstraint("tenant_id", "stripe_refund_id"),
        Index("ix_refunds_tenant_status_updated", "tenant_id", "status", "updated_at"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    purpose: Mapped[str] = mapped_column(String(300), nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerMovement(TenantScoped, db.Model):
    """One movement of money (or in-kind value) between two ledger accounts of a contract.

    Its two LedgerEntry rows carry -amount on `from_account` and +amount on `to_account`. `key` is
    unique per contract, so posting the same movement twice (a retried job, a duplicate event)
    is refused by the database.
    """

    __tablename__ = "ledger_movements"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("from_account <> to_account", name="two_accounts"),
        UniqueConstraint("tenant_id", "contract_id", "key"),
        Index("ix_ledger_movements_tenant_created", "tenant_id", "created_at", "id"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    from_account: Mapped[str] = mapped_column(String(30), nullable=False)
    to_account: Mapped[str] = mapped_column(String(30), nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    source_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    memo: Mapped[str] = mapped_column(String(300), nullable=False, default="")


class LedgerEntry(TenantScoped, db.Model):
    """One side of a movement: a signed amount on one account (the pair sums to zero)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        tenant_fk("movement_id", "ledger_movements", ondelete="CASCADE"),
        tenant_fk("contract_id", "contracts"),
        CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        UniqueConstraint("tenant_id", "movement_id", "account"),
        Index("ix_ledger_entries_tenant_contract_account", "tenant_id", "contract_id", "account"),
    )

    movement_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account: Mapped[str] = mapped_column(String(30), nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)


class StripeCredentials(TenantScoped, db.Model):
    """A tenant's own Stripe secret key and webhook signing secret, encrypted (MultiFernet)."""

    __tablename__ = "stripe_credentials"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    secret_key_encrypted: Mapped[str | None] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)


class StripeEvent(IdMixin, TimestampMixin, db.Model):
    """A verified Stripe event, recorded once per (scope, event id) before it is processed.

    Not tenant-scoped: the platform endpoint receives events before anyone knows their tenant.
    `scope` is "platform" or the id of the tenant whose own endpoint received it; `tenant_id` is
    resolved from the event (our metadata, or the objects it names) when it is recorded.
    """

    __tablename__ = "stripe_events"
    __table_args__ = (
        UniqueConstraint("scope", "stripe_event_id"),
        Index("ix_stripe_events_status_created", "status", "created_at"),
    )

    scope: Mapped[str] = mapped_column(String(64), nullable=False)
    stripe_event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    stripe_account: Mapped[str | None] = mapped_column(String(255))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="received")
    outcome: Mapped[str | None] = mapped_column(String(300))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
