"""Amounts at the Stripe boundary: our minor units <-> Stripe's `amount` integers.

Our minor unit has `money.exponent(currency)` decimals (0 for zero-decimal currencies, else 2).
Stripe counts zero-decimal currencies in whole units (same as ours), most currencies in
hundredths (same as ours) and the three-decimal ones in thousandths whose last digit must be 0:
for those we multiply by 10 on the way out, and refuse amounts that do not divide back exactly.
"""

from __future__ import annotations

from marketplace.domain.money import ZERO_DECIMAL, exponent

# Stripe's three-decimal currencies (https://docs.stripe.com/currencies#three-decimal).
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_exponent(currency: str) -> int:
    """Decimals of the unit Stripe counts `amount` in for this currency."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in STRIPE_THREE_DECIMAL else 2


def _factor(currency: str) -> int:
    shift = stripe_exponent(currency) - exponent(currency)
    if shift < 0:
        raise ValueError(f"{currency}: Stripe counts fewer decimals than our minor unit")
    return 10**shift


def to_stripe_amount(minor: int, currency: str) -> int:
    """Our minor units as Stripe's `amount` (an int >= 0)."""
    if isinstance(minor, bool) or not isinstance(minor, int) or minor < 0:
        raise ValueError("amounts are non-negative integers in minor units")
    return minor * _factor(currency)


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's `amount` back in our minor units; refuses a value our unit cannot hold exactly."""
    factor = _factor(currency)
    if amount % factor:
        raise ValueError(f"{amount} {currency} (Stripe units) is not a whole number of our minor units")
    return amount // factor


def stripe_currency(currency: str) -> str:
    """Stripe wants lowercase ISO codes."""
    return currency.lower()
