"""Transfers to connected accounts and their reversals ("separate charges and transfers").

Routes: POST/GET /v1/transfers, GET/POST /v1/transfers/{id}, POST/GET /v1/transfers/{id}/reversals,
GET/POST /v1/transfers/{transfer}/reversals/{id}. Events: transfer.created, transfer.updated,
transfer.reversed (on every reversal, partial or full, as Stripe sends it).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe.resources import List, StripeObject, random_id, store, try_convert_to_int
from localstripe.server import api_create, api_list_all, api_retrieve, api_update

from .events import emit
from .handlers import action
from .objects import EmulatedObject
from .params import invalid_request, metadata_param, no_such, optional_string, reject_unknown, require

SOURCE_TYPES = ("bank_account", "card", "fpx")


def _positive_amount(value: Any) -> int:
    """An amount in minor units, at least 1, as Stripe demands of transfers and reversals."""
    amount = try_convert_to_int(value)
    if not isinstance(amount, int):
        raise invalid_request(f"Invalid integer: {value}", param="amount", code="parameter_invalid_integer")
    if amount < 1:
        raise invalid_request(
            "This value must be greater than or equal to 1.", param="amount", code="parameter_invalid_integer"
        )
    return amount


def _check_destination(account_id: str) -> None:
    """The destination exists and can receive transfers (onboarded, `transfers` capability active)."""
    account = store.get(f"account:{account_id}")
    if account is None:
        raise no_such("destination", account_id, param="destination")
    if not account.payouts_enabled or account.capabilities.get("transfers") != "active":
        raise invalid_request(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            param="destination",
            code="insufficient_capabilities_for_transfer",
        )


def _check_source_transaction(charge_id: str, amount: int, currency: str) -> None:
    """A succeeded, captured charge in the same currency, not transferred beyond its amount."""
    charge = store.get(f"charge:{charge_id}")
    if charge is None:
        raise no_such("charge", charge_id, param="source_transaction")
    if charge.status != "succeeded" or not charge.captured:
        raise invalid_request(
            f"The charge '{charge_id}' has not succeeded and cannot fund a transfer.",
            param="source_transaction",
        )
    if charge.currency.lower() != currency:
        raise invalid_request(
            f"The currency of source_transaction ({charge.currency}) must be the transfer currency "
            f"({currency}).",
            param="currency",
        )
    transferred = sum(
        transfer.amount - transfer.amount_reversed
        for key, transfer in store.items()
        if key.startswith("transfer:") and transfer.source_transaction == charge_id
    )
    if transferred + amount > charge.amount:
        raise invalid_request(
            f"Transfers from source_transaction '{charge_id}' would total {transferred + amount}, "
            f"more than its amount ({charge.amount}).",
            param="amount",
        )


class Transfer(EmulatedObject, StripeObject):
    """Money moved from the platform to a connected account; no balance is checked or kept."""

    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, **params: Any) -> None:
        amount = _positive_amount(require(params, "amount"))
        currency = str(require(params, "currency")).lower()
        destination = str(require(params, "destination"))
        description = optional_string(params, "description")
        transfer_group = optional_string(params, "transfer_group")
        source_transaction = optional_string(params, "source_transaction")
        source_type = optional_string(params, "source_type") or "card"
        metadata = metadata_param(params)
        reject_unknown(params)
        if source_type not in SOURCE_TYPES:
            raise invalid_request(
                "Invalid source_type: must be one of bank_account, card or fpx", param="source_type"
            )
        _check_destination(destination)
        if source_transaction is not None:
            _check_source_transaction(source_transaction, amount, currency)
        # All refusals happen above: StripeObject.__init__ stores the object.
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.description = description
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group
        self.balance_transaction = None  # no balances are emulated
        self._reversals: list[TransferReversal] = []
        emit("transfer.created", self)

    @property
    def amount_reversed(self) -> int:
        """The sum of the reversals so far."""
        return sum(reversal.amount for reversal in self._reversals)

    @property
    def reversed(self) -> bool:
        """True once the whole amount is reversed (Stripe leaves it false after a partial reversal)."""
        return self.amount_reversed >= self.amount

    @property
    def reversals(self) -> List:
        """The embedded list of reversals, newest first."""
        page = List(f"/v1/transfers/{self.id}/reversals")
        page._list = list(reversed(self._reversals))
        return page

    @classmethod
    def _api_update(cls, id: str, **params: Any) -> Transfer:
        """POST /v1/transfers/{id}: description and metadata only, as on Stripe."""
        transfer = cls._get(id)
        metadata = metadata_param(params, transfer.metadata)
        description = (
            optional_string(params, "description") if "description" in params else transfer.description
        )
        reject_unknown(params)
        before = transfer._export()
        transfer.metadata = metadata
        transfer.description = description or None
        transfer._emit_changes("transfer.updated", before)
        return transfer

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        limit: Any = None,
        starting_after: Any = None,
        destination: str | None = None,
        transfer_group: str | None = None,
        **params: Any,
    ) -> List:
        """GET /v1/transfers, newest first, filtered by destination and transfer_group."""
        reject_unknown(params)
        return cls._newest_first_where(
            url, limit, starting_after, destination=destination, transfer_group=transfer_group
        )

    @classmethod
    def _api_create_reversal(cls, id: str, **params: Any) -> TransferReversal:
        """POST /v1/transfers/{id}/reversals: `amount` (default: all that remains) up to what remains."""
        transfer = cls._get(id)
        amount = params.pop("amount", None)
        metadata = metadata_param(params)
        params.pop("refund_application_fee", None)  # accepted; application fees are not emulated
        optional_string(params, "description")  # accepted like Stripe, which does not return it either
        reject_unknown(params)
        remaining = transfer.amount - transfer.amount_reversed
        if remaining == 0:
            raise invalid_request(f"Transfer {transfer.id} has already been fully reversed.", param="amount")
        amount = remaining if amount is None else _positive_amount(amount)
        if amount > remaining:
            raise invalid_request(
                f"Reversal amount ({amount}) is greater than the amount left to reverse on "
                f"transfer {transfer.id} ({remaining}).",
                param="amount",
            )
        reversal = TransferReversal(transfer, amount, metadata)
        transfer._reversals.append(reversal)
        emit("transfer.reversed", transfer)
        return reversal

    @classmethod
    def _api_list_reversals(
        cls,
        id: str,
        limit: Any = None,
        starting_after: Any = None,
        **params: Any,
    ) -> List:
        """GET /v1/transfers/{id}/reversals, newest first."""
        reject_unknown(params)
        transfer = cls._get(id)
        page = List(f"/v1/transfers/{id}/reversals", limit=limit, starting_after=starting_after)
        page._list = list(reversed(transfer._reversals))
        return page


class TransferReversal(EmulatedObject, StripeObject):
    """A (partial) reversal of a transfer; created only through its transfer."""

    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, amount: int, metadata: dict[str, str]) -> None:
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.metadata = metadata
        self.balance_transaction = None  # no balances are emulated
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.source_refund = None

    @classmethod
    def _of_transfer(cls, transfer: str, id: str) -> TransferReversal:
        """The reversal `id` of `transfer`, or Stripe's 404."""
        reversal = cls._get(id)
        if reversal.transfer != Transfer._get(transfer).id:
            raise no_such("transfer reversal", id)
        return reversal

    @classmethod
    def _api_retrieve_of(cls, transfer: str, id: str, **params: Any) -> TransferReversal:
        """GET /v1/transfers/{transfer}/reversals/{id}."""
        reject_unknown(params)
        return cls._of_transfer(transfer, id)

    @classmethod
    def _api_update_of(cls, transfer: str, id: str, **params: Any) -> TransferReversal:
        """POST /v1/transfers/{transfer}/reversals/{id}: metadata only."""
        reversal = cls._of_transfer(transfer, id)
        metadata = metadata_param(params, reversal.metadata)
        reject_unknown(params)
        reversal.metadata = metadata
        return reversal


def install(app: web.Application) -> None:
    """Add the transfer and reversal routes to localstripe's app."""
    url = "/v1/transfers"
    app.router.add_post(url, api_create(Transfer, url))
    app.router.add_get(url, api_list_all(Transfer, url))
    app.router.add_get(url + "/{id}", api_retrieve(Transfer, url))
    app.router.add_post(url + "/{id}", api_update(Transfer, url))
    app.router.add_post(url + "/{id}/reversals", action(Transfer._api_create_reversal))
    app.router.add_get(url + "/{id}/reversals", action(Transfer._api_list_reversals))
    app.router.add_get(url + "/{transfer}/reversals/{id}", action(TransferReversal._api_retrieve_of))
    app.router.add_post(url + "/{transfer}/reversals/{id}", action(TransferReversal._api_update_of))
