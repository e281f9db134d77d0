"""The signature audit-trail page appended to a rendered contract."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from marketplace.contracts.render import append_signature_page, render_contract_pdf, sha256_hex
from tests.contracts.factories import make_signatures, make_terms, pdf_text


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    """One rendered contract shared by the tests of this module."""
    return render_contract_pdf(make_terms())


def test_signature_page_is_appended_with_each_signature(contract_pdf: bytes) -> None:
    """The signed PDF has one more page listing both typed names, IPs, times, agents and the hash."""
    document_hash = sha256_hex(contract_pdf)
    signed = append_signature_page(contract_pdf, make_signatures(document_hash))
    original_pages = len(PdfReader(io.BytesIO(contract_pdf)).pages)
    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == original_pages + 1
    audit = " ".join(reader.pages[-1].extract_text().split())
    for expected in (
        "Signature audit trail",
        "Typed full name: Jane Smith",
        "Typed full name: Ines Duarte",
        "IP address: 203.0.113.7",
        "IP address: 2001:db8::42",
        "Signed at (UTC): 2026-03-02T09:30:00+00:00",
        "Party role: influencer",
        "Firefox/140.0",
        f"Document SHA-256: {document_hash}",
    ):
        assert expected in audit, expected
    assert audit.count(document_hash) == 3
    assert "Cash fee: EUR 1,234.56" in pdf_text(signed)


def test_signed_pdf_keeps_the_original_bytes_as_its_prefix(contract_pdf: bytes) -> None:
    """The audit page is an incremental update: the signed bytes start with the exact document signed."""
    document_hash = sha256_hex(contract_pdf)
    signed = append_signature_page(contract_pdf, make_signatures(document_hash))
    assert signed[: len(contract_pdf)] == contract_pdf
    assert sha256_hex(signed[: len(contract_pdf)]) == document_hash
    assert append_signature_page(contract_pdf, make_signatures(document_hash)) == signed


def test_signatures_over_another_document_are_refused(contract_pdf: bytes) -> None:
    """A signature whose hash is not this document's is refused, and so is an empty list."""
    with pytest.raises(ValueError, match="another document"):
        append_signature_page(contract_pdf, make_signatures("0" * 64))
    with pytest.raises(ValueError, match="at least one"):
        append_signature_page(contract_pdf, [])
