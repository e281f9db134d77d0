"""Money: integer minor units with an ISO 4217 currency; fees in basis points; rounding written once."""

from __future__ import annotations

from dataclasses import dataclass

# Currencies whose minor unit is the unit itself (Stripe's zero-decimal list).
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
# Stripe's minimum charge amounts, in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
STRIPE_MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50,
    "EUR": 50,
    "GBP": 30,
    "CHF": 50,
    "CAD": 50,
    "AUD": 50,
    "NZD": 50,
    "SEK": 300,
    "NOK": 300,
    "DKK": 250,
    "PLN": 200,
    "CZK": 1500,
    "HUF": 17500,
    "JPY": 50,
    "SGD": 50,
    "HKD": 400,
    "MXN": 1000,
    "BRL": 50,
    "INR": 50,
    "AED": 200,
}
BPS = 10_000


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit."""
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def format_money(minor: int, currency: str) -> str:
    """Human form, e.g. 12345 EUR -> 'EUR 123.45', 500 JPY -> 'JPY 500'."""
    digits = exponent(currency)
    if digits == 0:
        return f"{currency.upper()} {minor:,}"
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10**digits)
    return f"{currency.upper()} {sign}{units:,}.{cents:0{digits}d}"


def minimum_charge(currency: str) -> int:
    """Smallest amount Stripe will charge in this currency (50 minor units when not listed)."""
    return STRIPE_MINIMUM_CHARGE.get(currency.upper(), 50)


def fee_of(amount_minor: int, fee_bps: int) -> int:
    """Platform fee on an amount, rounded half up to the minor unit (the one rounding rule)."""
    if amount_minor < 0 or not 0 <= fee_bps <= BPS:
        raise ValueError("amount must be >= 0 and fee within 0..10000 bps")
    return (amount_minor * fee_bps + BPS // 2) // BPS


@dataclass(frozen=True)
class FeeSplit:
    """How one contract's cash divides: what the brand pays, the platform keeps, the influencer gets."""

    brand_pays: int
    platform_fee: int
    influencer_net: int


def split_fee(cash_minor: int, fee_bps: int, fee_payer: str) -> FeeSplit:
    """Fee on top for the brand, or out of the influencer's amount; always balances exactly."""
    fee = fee_of(cash_minor, fee_bps)
    if fee_payer == "brand":
        return FeeSplit(brand_pays=cash_minor + fee, platform_fee=fee, influencer_net=cash_minor)
    if fee_payer == "influencer":
        return FeeSplit(brand_pays=cash_minor, platform_fee=fee, influencer_net=cash_minor - fee)
    raise ValueError("fee_payer is 'brand' or 'influencer'")


def share_of(amount_minor: int, share_bps: int) -> tuple[int, int]:
    """Split an amount by basis points into (share, rest); the rounding remainder goes to the rest."""
    if not 0 <= share_bps <= BPS:
        raise ValueError("share within 0..10000 bps")
    share = amount_minor * share_bps // BPS
    return share, amount_minor - share
