"""Disputes (chargebacks) on charges, opened by a test-only route and closed as Stripe's test mode does.

Routes: GET /v1/disputes (filters `charge`, `payment_intent`), GET and POST /v1/disputes/{id}
(evidence, metadata, submit), POST /v1/disputes/{id}/close (accept the loss), and the test-only
POST /_config/disputes (`charge`, optional `amount` and `reason`): what a cardholder's bank does, which
Stripe's test mode does for the card 4000 0000 0000 0259. Stripe allows one dispute per charge.
Events: charge.dispute.created, charge.dispute.updated, charge.dispute.closed.
As in Stripe's test mode, evidence whose `uncategorized_text` is `winning_evidence` wins the dispute
and `losing_evidence` loses it (at once here: Stripe passes through `under_review` for a while).
No balances are emulated, so no funds_withdrawn/funds_reinstated events or balance transactions.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe.resources import List, StripeObject, store
from localstripe.server import api_list_all, api_retrieve, api_update

from .events import emit
from .handlers import action
from .objects import EmulatedObject
from .params import invalid_request, metadata_param, no_such, optional_string, reject_unknown, require
from .transfers import _positive_amount

REASONS = (
    "bank_cannot_process",
    "check_returned",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
ENDED = ("won", "lost", "warning_closed")
TEST_OUTCOMES = {"winning_evidence": "won", "losing_evidence": "lost"}


class Dispute(EmulatedObject, StripeObject):
    """A chargeback on a succeeded charge."""

    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, **params: Any) -> None:
        charge_id = str(require(params, "charge"))
        amount = params.pop("amount", None)
        reason = optional_string(params, "reason") or "fraudulent"
        reject_unknown(params)
        charge = store.get(f"charge:{charge_id}")
        if charge is None:
            raise no_such("charge", charge_id, param="charge")
        if charge.status != "succeeded":
            raise invalid_request(f"Charge {charge_id} has not succeeded.", param="charge")
        if any(key.startswith("dispute:") and d.charge == charge_id for key, d in store.items()):
            raise invalid_request(f"Charge {charge_id} has already been disputed.", param="charge")
        amount = charge.amount if amount is None else _positive_amount(amount)
        if amount > charge.amount:
            raise invalid_request(f"A dispute cannot exceed the charge ({charge.amount}).", param="amount")
        if reason not in REASONS:
            raise invalid_request(f"Invalid reason: {reason}", param="reason")
        super().__init__()
        charge.disputed = True  # Stripe's flag on the charge, which reconciliation reads
        self.amount = amount
        self.currency = charge.currency.lower()
        self.charge = charge_id
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"
        self.evidence = {"uncategorized_text": None}
        self.is_charge_refundable = False
        self.metadata: dict[str, str] = {}
        self.balance_transactions: list[Any] = []  # no balances are emulated
        emit("charge.dispute.created", self)

    def _end(self, status: str, before: dict[str, Any]) -> None:
        self.status = status
        self._emit_changes("charge.dispute.updated", before)
        emit("charge.dispute.closed", self)

    @classmethod
    def _open(cls, id: str) -> Dispute:
        dispute = cls._get(id)
        if dispute.status in ENDED:
            raise invalid_request(f"This dispute is already closed ({dispute.status}).")
        return dispute

    @classmethod
    def _api_update(cls, id: str, **params: Any) -> Dispute:
        """POST /v1/disputes/{id}: evidence (test mode's winning or losing evidence ends it), metadata."""
        dispute = cls._open(id)
        evidence = params.pop("evidence", None) or {}
        submit = str(params.pop("submit", "true")).lower() != "false"
        metadata = metadata_param(params, dispute.metadata)
        reject_unknown(params)
        if not isinstance(evidence, dict):
            raise invalid_request("Invalid evidence: must be an object", param="evidence")
        before = dispute._export()
        dispute.evidence = {**dispute.evidence, **evidence}
        dispute.metadata = metadata
        outcome = TEST_OUTCOMES.get(str(dispute.evidence.get("uncategorized_text")))
        if submit and outcome is not None:
            dispute._end(outcome, before)
        else:
            if submit:
                dispute.status = "under_review"
            dispute._emit_changes("charge.dispute.updated", before)
        return dispute

    @classmethod
    def _api_close(cls, id: str, **params: Any) -> Dispute:
        """POST /v1/disputes/{id}/close: no evidence will come, the dispute is lost."""
        reject_unknown(params)
        dispute = cls._open(id)
        dispute._end("lost", dispute._export())
        return dispute

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        limit: Any = None,
        starting_after: Any = None,
        charge: str | None = None,
        payment_intent: str | None = None,
        **params: Any,
    ) -> List:
        """GET /v1/disputes, newest first, filtered by charge and payment_intent."""
        reject_unknown(params)
        return cls._newest_first_where(
            url, limit, starting_after, charge=charge, payment_intent=payment_intent
        )


def open_dispute(**params: Any) -> Dispute:
    """POST /_config/disputes: the cardholder's bank disputes a charge."""
    return Dispute(**params)


def install(app: web.Application) -> None:
    """Add the dispute routes to localstripe's app."""
    url = "/v1/disputes"
    app.router.add_get(url, api_list_all(Dispute, url))
    app.router.add_get(url + "/{id}", api_retrieve(Dispute, url))
    app.router.add_post(url + "/{id}", api_update(Dispute, url))
    app.router.add_post(url + "/{id}/close", action(Dispute._api_close))
    app.router.add_post("/_config/disputes", action(open_dispute))
