"""The frozen terms of one contract and its signatures: plain data the service fills from the database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

# One currency table for the whole package: minor-unit exponents and formatting live in domain/money.py.
from marketplace.domain.money import format_money

__all__ = [
    "COMPENSATION_KINDS",
    "FEE_PAYERS",
    "PARTY_ROLES",
    "BrandParty",
    "CompensationKind",
    "ContractTerms",
    "Deliverable",
    "DisclosureRule",
    "Exclusivity",
    "FeePayer",
    "InKindItem",
    "InfluencerParty",
    "PartyRole",
    "SignatureRecord",
    "UsageRights",
    "format_money",
]

CompensationKind = Literal["full", "symbolic", "in_kind", "mixed"]
FeePayer = Literal["brand", "influencer"]
PartyRole = Literal["brand", "influencer"]
COMPENSATION_KINDS: frozenset[str] = frozenset({"full", "symbolic", "in_kind", "mixed"})
FEE_PAYERS: frozenset[str] = frozenset({"brand", "influencer"})
PARTY_ROLES: frozenset[str] = frozenset({"brand", "influencer"})

_CURRENCY = re.compile(r"[A-Z]{3}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BrandParty:
    """The brand side: the organisation and the person who signs for it."""

    organisation_name: str
    signatory_name: str
    email: str


@dataclass(frozen=True)
class InfluencerParty:
    """The influencer side: public display name, optional legal name, contact email."""

    display_name: str
    email: str
    legal_name: str | None = None


@dataclass(frozen=True)
class Deliverable:
    """One line of the scope: what to publish where, how many, and by when."""

    platform: str
    type: str
    quantity: int
    content_creation: bool
    due_date: date

    def __post_init__(self) -> None:
        """Refuse a deliverable of no items."""
        if self.quantity < 1:
            raise ValueError("deliverable quantity must be at least 1")


@dataclass(frozen=True)
class InKindItem:
    """A product or invitation given instead of (or besides) cash, with its declared value."""

    description: str
    declared_value_minor: int

    def __post_init__(self) -> None:
        """Refuse a negative declared value."""
        if self.declared_value_minor < 0:
            raise ValueError("in-kind declared value must be >= 0")


@dataclass(frozen=True)
class UsageRights:
    """Where the brand may reuse the content, and for how long."""

    channels: Sequence[str]
    duration_days: int

    def __post_init__(self) -> None:
        """Freeze the channel list and refuse a negative duration."""
        object.__setattr__(self, "channels", tuple(self.channels))
        if self.duration_days < 0:
            raise ValueError("usage rights duration must be >= 0 days")


@dataclass(frozen=True)
class Exclusivity:
    """The influencer promotes no competitor in this category for this many days."""

    category: str
    days: int

    def __post_init__(self) -> None:
        """Refuse an exclusivity of no duration (use None on the terms instead)."""
        if self.days < 1:
            raise ValueError("exclusivity days must be >= 1; use exclusivity=None for none")


@dataclass(frozen=True)
class DisclosureRule:
    """How sponsored content is disclosed on one platform: its paid-partnership label and hashtags."""

    platform: str
    label: str
    hashtags: Sequence[str] = ("#ad",)

    def __post_init__(self) -> None:
        """Freeze the hashtag list."""
        object.__setattr__(self, "hashtags", tuple(self.hashtags))


@dataclass(frozen=True)
class ContractTerms:
    """Everything the contract document states; amounts are integer minor units of `currency`.

    `influencer_net_minor` must equal `cash_minor` when the brand pays the fee (on top) and
    `cash_minor - platform_fee_minor` when the influencer pays it (as domain.money.split_fee computes).
    """

    contract_id: str
    tenant_name: str
    governing_law: str
    currency: str
    brand: BrandParty
    influencer: InfluencerParty
    campaign_title: str
    deliverables: Sequence[Deliverable]
    compensation_kind: CompensationKind
    cash_minor: int
    platform_fee_minor: int
    fee_payer: FeePayer
    influencer_net_minor: int
    usage_rights: UsageRights
    disclosure: Sequence[DisclosureRule]
    revision_rounds: int
    cancellation_terms: str
    kill_fee_minor: int
    review_window_days: int
    dispute_process: str
    created: datetime
    in_kind_items: Sequence[InKindItem] = field(default_factory=tuple)
    exclusivity: Exclusivity | None = None

    def __post_init__(self) -> None:
        """Freeze the lists and refuse terms that would print an inconsistent contract."""
        for name in ("deliverables", "disclosure", "in_kind_items"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be an ISO 4217 code in capitals, got {self.currency!r}")
        if self.compensation_kind not in COMPENSATION_KINDS:
            raise ValueError(f"compensation_kind must be one of {sorted(COMPENSATION_KINDS)}")
        if self.fee_payer not in FEE_PAYERS:
            raise ValueError(f"fee_payer must be one of {sorted(FEE_PAYERS)}")
        if not self.deliverables:
            raise ValueError("a contract has at least one deliverable")
        amounts = (self.cash_minor, self.platform_fee_minor, self.influencer_net_minor, self.kill_fee_minor)
        if min(amounts) < 0:
            raise ValueError("amounts must be >= 0")
        if self.revision_rounds < 0 or self.review_window_days < 0:
            raise ValueError("revision_rounds and review_window_days must be >= 0")
        expected_net = self.cash_minor - (self.platform_fee_minor if self.fee_payer == "influencer" else 0)
        if self.influencer_net_minor != expected_net:
            raise ValueError(
                f"influencer_net_minor {self.influencer_net_minor} does not match cash, fee and fee payer "
                f"(expected {expected_net})"
            )
        self._check_compensation_kind()

    def _check_compensation_kind(self) -> None:
        """Cash and in-kind items must match the declared kind of compensation."""
        kind, has_cash, has_items = self.compensation_kind, self.cash_minor > 0, bool(self.in_kind_items)
        if kind in ("full", "symbolic") and not has_cash:
            raise ValueError(f"{kind} compensation needs a cash amount")
        if kind == "in_kind" and (has_cash or not has_items):
            raise ValueError("in_kind compensation has in-kind items and no cash")
        if kind == "mixed" and not (has_cash and has_items):
            raise ValueError("mixed compensation has both cash and in-kind items")

    @property
    def brand_total_minor(self) -> int:
        """What the brand pays the platform: the cash, plus the fee when the brand carries it."""
        return self.cash_minor + (self.platform_fee_minor if self.fee_payer == "brand" else 0)

    @property
    def in_kind_total_minor(self) -> int:
        """Sum of the declared values of the in-kind items."""
        return sum(item.declared_value_minor for item in self.in_kind_items)


@dataclass(frozen=True)
class SignatureRecord:
    """One party's electronic signature, as shown on the audit-trail page."""

    party_role: PartyRole
    typed_name: str
    signed_at: datetime
    ip: str
    user_agent: str
    document_sha256: str

    def __post_init__(self) -> None:
        """Refuse an unknown role or a malformed document hash."""
        if self.party_role not in PARTY_ROLES:
            raise ValueError(f"party_role must be one of {sorted(PARTY_ROLES)}")
        if not _SHA256_HEX.fullmatch(self.document_sha256):
            raise ValueError("document_sha256 must be 64 lowercase hex digits")
