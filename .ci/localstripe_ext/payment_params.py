"""Parameters a marketplace sends that localstripe answers with 400 "Unexpected ...".

PaymentIntents (create and update) and charges take `transfer_group` and `description`, and a
PaymentIntent's charge inherits both, as on Stripe; refunds take `reason`. localstripe's classes
are patched in place because its routes are bound to them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from localstripe.resources import Charge, PaymentIntent, Refund

from .params import invalid_request, optional_string

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
CHARGE_STRINGS = ("transfer_group",)  # localstripe's Charge already takes `description`
PAYMENT_INTENT_STRINGS = ("description", "transfer_group")


def _accept_strings(init: Callable[..., None], names: tuple[str, ...]) -> Callable[..., None]:
    """Wrap a localstripe `__init__` so it also takes the optional string parameters `names`."""

    @functools.wraps(init)
    def __init__(self: Any, **params: Any) -> None:
        values = {name: optional_string(params, name) for name in names}
        init(self, **params)
        for name, value in values.items():
            setattr(self, name, value)

    return __init__


def _accept_reason(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap Refund.__init__ so it takes Stripe's `reason`."""

    @functools.wraps(init)
    def __init__(self: Any, **params: Any) -> None:
        reason = params.pop("reason", None)
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_request(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        init(self, **params)
        self.reason = reason

    return __init__


def _charge_inherits(create_charge: Callable[..., None]) -> Callable[..., None]:
    """Wrap PaymentIntent._create_charge so the charge carries the intent's description and group."""

    @functools.wraps(create_charge)
    def _create_charge(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            create_charge(self, *args, **kwargs)
        finally:  # a declined charge raises after it was created: it inherits too
            if self.latest_charge is not None:
                self.latest_charge.description = self.description
                self.latest_charge.transfer_group = self.transfer_group

    return _create_charge


def install() -> None:
    """Patch localstripe's PaymentIntent, Charge and Refund (once per process)."""
    if getattr(PaymentIntent, "_marketplace_params", False):
        return
    PaymentIntent.__init__ = _accept_strings(PaymentIntent.__init__, PAYMENT_INTENT_STRINGS)
    PaymentIntent._create_charge = _charge_inherits(PaymentIntent._create_charge)
    Charge.__init__ = _accept_strings(Charge.__init__, CHARGE_STRINGS)
    Refund.__init__ = _accept_reason(Refund.__init__)
    PaymentIntent._marketplace_params = True
