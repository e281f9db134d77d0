"""Idempotency keys for Stripe calls, derived from our own rows' ids.

A row is committed before its Stripe call, so a retried job (or a request retried by the client)
sends the same key: Stripe replays the first result instead of charging or paying twice.
"""

from __future__ import annotations

import uuid


def payment_intent_key(payment_id: uuid.UUID) -> str:
    """Key of the PaymentIntent creation for one Payment row."""
    return f"payment-{payment_id}"


def transfer_key(transfer_id: uuid.UUID) -> str:
    """Key of the transfer of one Transfer row."""
    return f"transfer-{transfer_id}"


def refund_key(refund_id: uuid.UUID) -> str:
    """Key of the refund of one Refund row."""
    return f"refund-{refund_id}"


def account_key(payout_account_id: uuid.UUID) -> str:
    """Key of the connected account creation for one PayoutAccount row."""
    return f"account-{payout_account_id}"


def transfer_group(contract_id: uuid.UUID) -> str:
    """The transfer_group tying a contract's charge and its transfer together."""
    return f"contract_{contract_id}"
