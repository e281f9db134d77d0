"""Contract terms: money formatting and the consistency checks that keep a contract printable."""

from __future__ import annotations

import pytest

from marketplace.contracts.terms import InKindItem, SignatureRecord, UsageRights, format_money
from tests.contracts.factories import CREATED, make_terms


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (12345, "EUR", "EUR 123.45"),
        (5, "EUR", "EUR 0.05"),
        (0, "EUR", "EUR 0.00"),
        (123456789, "USD", "USD 1,234,567.89"),
        (100, "USD", "USD 1.00"),
        (-2550, "USD", "USD -25.50"),
        (500, "JPY", "JPY 500"),
        (1500000, "JPY", "JPY 1,500,000"),
        (990, "KRW", "KRW 990"),
    ],
)
def test_format_money_two_and_zero_decimal_currencies(minor: int, currency: str, expected: str) -> None:
    """Two-decimal currencies show cents; zero-decimal ones (JPY, KRW) show whole units only."""
    assert format_money(minor, currency) == expected


def test_terms_freeze_their_lists_and_compute_totals() -> None:
    """Lists become tuples; the brand's total adds the fee only when the brand pays it."""
    terms = make_terms()
    assert isinstance(terms.deliverables, tuple)
    assert isinstance(terms.usage_rights.channels, tuple)
    assert terms.brand_total_minor == 123456
    assert terms.in_kind_total_minor == 15999
    on_top = make_terms(fee_payer="brand", influencer_net_minor=123456)
    assert on_top.brand_total_minor == 123456 + 12346


def test_terms_refuse_a_net_that_does_not_match_cash_fee_and_payer() -> None:
    """A net amount inconsistent with cash, fee and fee payer is refused."""
    with pytest.raises(ValueError, match="influencer_net_minor"):
        make_terms(influencer_net_minor=123456)
    with pytest.raises(ValueError, match="influencer_net_minor"):
        make_terms(fee_payer="brand")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "eur"}, "ISO 4217"),
        ({"compensation_kind": "barter"}, "compensation_kind"),
        ({"fee_payer": "platform"}, "fee_payer"),
        ({"deliverables": []}, "deliverable"),
        ({"kill_fee_minor": -1}, ">= 0"),
        ({"compensation_kind": "in_kind"}, "in_kind"),
        ({"in_kind_items": []}, "mixed"),
        (
            {
                "compensation_kind": "full",
                "cash_minor": 0,
                "platform_fee_minor": 0,
                "influencer_net_minor": 0,
            },
            "needs a cash amount",
        ),
    ],
)
def test_terms_refuse_inconsistent_values(overrides: dict[str, object], message: str) -> None:
    """Unknown codes, no deliverables, negative amounts and a kind contradicting the pay are refused."""
    with pytest.raises(ValueError, match=message):
        make_terms(**overrides)


def test_in_kind_only_terms_have_no_cash() -> None:
    """In-kind compensation is valid with items and no cash at all."""
    terms = make_terms(
        compensation_kind="in_kind",
        cash_minor=0,
        platform_fee_minor=0,
        influencer_net_minor=0,
        in_kind_items=[InKindItem("Hotel weekend for two", 60000)],
    )
    assert terms.brand_total_minor == 0


def test_parts_refuse_negative_values() -> None:
    """Negative declared values and durations are refused."""
    with pytest.raises(ValueError):
        InKindItem("Shoes", -1)
    with pytest.raises(ValueError):
        UsageRights(["web"], -5)


def test_signature_record_refuses_a_malformed_hash_or_role() -> None:
    """A signature needs a known party role and a 64-hex-digit document hash."""
    with pytest.raises(ValueError, match="document_sha256"):
        SignatureRecord("brand", "Jane", CREATED, "203.0.113.7", "ua", "not-a-hash")
    with pytest.raises(ValueError, match="party_role"):
        SignatureRecord("platform", "Jane", CREATED, "203.0.113.7", "ua", "a" * 64)  # type: ignore[arg-type]
