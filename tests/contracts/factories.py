"""Contract terms and signatures for the contract document tests, and a PDF text reader."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from pypdf import PdfReader

from marketplace.contracts.terms import (
    BrandParty,
    ContractTerms,
    Deliverable,
    DisclosureRule,
    Exclusivity,
    InfluencerParty,
    InKindItem,
    SignatureRecord,
    UsageRights,
)

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_terms(**overrides: Any) -> ContractTerms:
    """Mixed cash + in-kind terms in EUR, the influencer paying a 10 % fee; any field can be overridden."""
    fields: dict[str, Any] = {
        "contract_id": "c-0001",
        "tenant_name": "Demo Agency",
        "governing_law": "Ireland",
        "currency": "EUR",
        "brand": BrandParty("Acme Sportswear Ltd", "Jane Smith", "jane@acme.example"),
        "influencer": InfluencerParty("Ines Runs", "ines@example.com", legal_name="Ines Duarte"),
        "campaign_title": "Spring running shoes",
        "deliverables": [
            Deliverable("instagram", "reel", 2, True, date(2026, 4, 1)),
            Deliverable("tiktok", "video", 1, False, date(2026, 4, 15)),
        ],
        "compensation_kind": "mixed",
        "cash_minor": 123456,
        "platform_fee_minor": 12346,
        "fee_payer": "influencer",
        "influencer_net_minor": 111110,
        "in_kind_items": [InKindItem("Running shoes, model X", 15999)],
        "usage_rights": UsageRights(["brand instagram", "brand website"], 90),
        "exclusivity": Exclusivity("sportswear", 30),
        "disclosure": [
            DisclosureRule("Instagram", "Paid partnership"),
            DisclosureRule("TikTok", "Branded content"),
        ],
        "revision_rounds": 2,
        "cancellation_terms": "Either party may cancel with 7 days notice before the first due date.",
        "kill_fee_minor": 20000,
        "review_window_days": 5,
        "dispute_process": "The parties first try to settle within 14 days; then the Platform decides.",
        "created": CREATED,
    }
    fields.update(overrides)
    return ContractTerms(**fields)


def make_signatures(document_sha256: str) -> list[SignatureRecord]:
    """The brand's and the influencer's signatures over one document."""
    return [
        SignatureRecord(
            "brand", "Jane Smith", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "203.0.113.7",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", document_sha256,
        ),
        SignatureRecord(
            "influencer", "Ines Duarte", datetime(2026, 3, 2, 10, 15, tzinfo=UTC), "2001:db8::42",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/605.1", document_sha256,
        ),
    ]  # fmt: skip


def pdf_text(pdf: bytes) -> str:
    """All pages' extracted text with whitespace collapsed, for substring checks."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())
