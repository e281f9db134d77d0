"""Contract PDF rendering: content, determinism, hostile and non-Latin text."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from marketplace.contracts import layout
from marketplace.contracts.render import clean_text, render_contract_pdf, render_contract_text, sha256_hex
from marketplace.contracts.terms import BrandParty, Deliverable, InfluencerParty, InKindItem
from tests.contracts.factories import make_terms, pdf_text


def test_pdf_states_parties_amounts_deliverables_and_disclosure() -> None:
    """The PDF parses and names both parties, cash, fee, net, in-kind value, deliverables and #ad."""
    pdf = render_contract_pdf(make_terms())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "Acme Sportswear Ltd",
        "Jane Smith",
        "Ines Duarte",
        "Ines Runs",
        "Cash fee: EUR 1,234.56",
        "Platform fee: EUR 123.46, paid by the Influencer",
        "Net amount to the Influencer: EUR 1,111.10",
        "Running shoes, model X: declared value EUR 159.99",
        "#ad",
        '"Paid partnership" label',
        '"Branded content" label',
        "instagram reel 2 yes 2026-04-01",
        "tiktok video 1 no 2026-04-15",
        "kill fee of EUR 200.00",
        "within 5 days",
        "governed by the laws of Ireland",
        "Contract c-0001",
    ):
        assert expected in text, expected


def test_pdf_covers_every_section_of_the_agreement() -> None:
    """Usage rights, exclusivity, revisions, payment hold, disputes, law and signatures all appear."""
    text = pdf_text(render_contract_pdf(make_terms()))
    for expected in (
        "Usage rights",
        "for 90 days",
        "brand website",
        'category "sportswear"',
        "2 round(s) of revisions",
        "The Platform holds the funds",
        "Dispute process: The parties first try to settle",
        "Cancellation terms agreed by the Parties: Either party may cancel",
        "Signatures",
    ):
        assert expected in text, expected


def test_symbolic_in_kind_and_zero_decimal_compensation_read_correctly() -> None:
    """Symbolic pay says so, in-kind-only says no cash is paid, and JPY amounts have no decimals."""
    symbolic = make_terms(compensation_kind="symbolic", in_kind_items=[], currency="JPY")
    symbolic_text = pdf_text(render_contract_pdf(symbolic))
    assert "This compensation is symbolic" in symbolic_text
    assert "Cash fee: JPY 123,456." in symbolic_text
    in_kind = make_terms(
        compensation_kind="in_kind",
        cash_minor=0,
        platform_fee_minor=0,
        influencer_net_minor=0,
        in_kind_items=[InKindItem("Hotel weekend for two", 60000)],
        exclusivity=None,
        kill_fee_minor=0,
    )
    in_kind_text = pdf_text(render_contract_pdf(in_kind))
    assert "No cash is paid under this Agreement" in in_kind_text
    assert "declared value EUR 600.00" in in_kind_text
    assert "No exclusivity applies" in in_kind_text
    assert "No kill fee applies" in in_kind_text


def test_hash_is_stable_for_identical_terms_and_changes_with_an_amount() -> None:
    """Equal terms give byte-identical PDFs (same SHA-256); a one-cent change gives another hash."""
    first = sha256_hex(render_contract_pdf(make_terms()))
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert sha256_hex(render_contract_pdf(make_terms())) == first
    changed = make_terms(cash_minor=123457, platform_fee_minor=12346, influencer_net_minor=111111)
    assert sha256_hex(render_contract_pdf(changed)) != first


def test_pdf_creation_date_is_the_contract_date() -> None:
    """The PDF's creation date comes from the terms, not the clock."""
    created = datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC)
    reader = PdfReader(io.BytesIO(render_contract_pdf(make_terms(created=created))))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == created


def test_unicode_names_render_with_the_unicode_font() -> None:
    """Names beyond Latin-1 ('Zoë Łukasz 李') render reproducibly; letters the font lacks become '?'."""
    terms = make_terms(influencer=InfluencerParty("Zoë Łukasz 李", "zoe@example.com"))
    pdf = render_contract_pdf(terms)
    assert render_contract_pdf(terms) == pdf
    text = pdf_text(pdf)
    if layout.unicode_fonts() is None:
        assert "Zoë Lukasz ?" in text
    else:
        assert "Zoë Łukasz ?" in text


def test_unicode_names_are_transliterated_without_a_unicode_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DejaVu installed, the core font is used and 'Łukasz' reads 'Lukasz'."""
    monkeypatch.setattr(layout, "unicode_fonts", lambda: None)
    brand = BrandParty("Żabka Polska \u2013 Sp. z o.o.", "Łucja Nowak", "lucja@example.pl")
    terms = make_terms(influencer=InfluencerParty("Zoë Łukasz 李", "zoe@example.com"), brand=brand)
    text = pdf_text(render_contract_pdf(terms))
    assert "Zoë Lukasz ?" in text
    assert "Zabka Polska - Sp. z o.o." in text
    assert "Lucja Nowak" in text


def test_values_cannot_inject_markup_or_control_characters() -> None:
    """Newlines, pipes, bidi overrides and control characters in values stay inside one line of text."""
    evil = "Eve\n## 99. Hidden clause\n| x | y |\u202etxt.exe\x00\x07"
    terms = make_terms(
        influencer=InfluencerParty(evil, "eve@example.com"),
        deliverables=[Deliverable("insta|gram", "post\nstory", 1, True, date(2026, 4, 1))],
    )
    markup = render_contract_text(terms)
    assert not any(line.startswith("## 99") for line in markup.splitlines())
    text = pdf_text(render_contract_pdf(terms))
    assert "Eve ## 99. Hidden clause | x | y |txt.exe" in text
    assert "insta|gram post story 1 yes" in text


def test_clean_text_keeps_letters_and_drops_invisible_characters() -> None:
    """Controls and separators become single spaces; zero-width and bidi characters are removed."""
    assert clean_text("  Zoë\t\u2028Ł\u200bu\u202ekasz \r\n ") == "Zoë Łukasz"
    assert clean_text(None) == ""


def test_long_unbroken_words_and_many_deliverables_lay_out() -> None:
    """Very long words and a long deliverables table wrap and break pages without errors."""
    long_word = "x" * 400
    terms = make_terms(
        campaign_title=long_word,
        brand=BrandParty("A" * 200, "Jane Smith", f"{'j' * 150}@example.com"),
        deliverables=[
            Deliverable(f"platform-{i}", "y" * 80, i + 1, i % 2 == 0, date(2026, 5, 1)) for i in range(60)
        ],
    )
    reader = PdfReader(io.BytesIO(render_contract_pdf(terms)))
    assert len(reader.pages) >= 3


names = st.text(min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(display_name=names, organisation=names, title=names, law=names)
def test_any_text_in_the_terms_renders(display_name: str, organisation: str, title: str, law: str) -> None:
    """Whatever text users type into names, titles and law, the contract renders to a readable PDF."""
    terms = make_terms(
        influencer=InfluencerParty(display_name, "someone@example.com"),
        brand=BrandParty(organisation, "Jane Smith", "jane@acme.example"),
        campaign_title=title,
        governing_law=law,
    )
    reader = PdfReader(io.BytesIO(render_contract_pdf(terms)))
    assert len(reader.pages) >= 1
