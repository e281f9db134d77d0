"""Render contract terms to a PDF, hash it, and append the signature audit-trail page."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path

import jinja2
from pypdf import PdfReader, PdfWriter

from marketplace.contracts.layout import as_utc, layout_markup
from marketplace.contracts.terms import ContractTerms, SignatureRecord, format_money

TEMPLATES = Path(__file__).parent / "templates"
CONTRACT_TEMPLATE = "contract.md.j2"
USER_AGENT_MAX = 300
# Line and paragraph separators would let a value start a new line of markup: they become spaces.
_SPACE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Zs"})
# Format characters (bidi overrides, zero-width), surrogates, private use and unassigned are dropped.
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})


def clean_text(value: object) -> str:
    """One line of printable text: controls and separators become single spaces, invisible marks go."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _SPACE_CATEGORIES:
            out.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            out.append(ch)
    return " ".join("".join(out).split())


def _finalize(value: object) -> str:
    """Every interpolated value: cleaned to one line, with the markup's escape characters escaped."""
    return clean_text(value).replace("\\", "\\\\").replace("|", "\\|")


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, minor: int) -> str:
    """Format minor units in the contract's currency."""
    return format_money(minor, context["terms"].currency)


def _day(value: date | datetime) -> str:
    """ISO date, e.g. 2026-03-01 (datetimes are taken in UTC)."""
    return (as_utc(value).date() if isinstance(value, datetime) else value).isoformat()


@cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment: plain text output (not HTML), strict about undefined names."""
    env = jinja2.Environment(  # PDF text, not HTML: see autoescape  # nosec B701
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 - PDF text, not HTML: values are cleaned by finalize instead
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(money=_money, day=_day, yesno=lambda flag: "yes" if flag else "no")
    return env


def render_contract_text(terms: ContractTerms) -> str:
    """The agreement as markup text (the input of the PDF layout, readable on its own)."""
    return _environment().get_template(CONTRACT_TEMPLATE).render(terms=terms)


def render_contract_pdf(terms: ContractTerms) -> bytes:
    """The agreement as PDF bytes; identical terms give identical bytes on the same installation."""
    reference = f"Contract {clean_text(terms.contract_id)}"
    return layout_markup(
        render_contract_text(terms),
        footer_text=f"{reference} - {clean_text(terms.tenant_name)}",
        created=terms.created,
        title=f"Influencer marketing agreement - {reference}",
    )


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


def append_signature_page(pdf: bytes, signatures: Sequence[SignatureRecord]) -> bytes:
    """The signed document: the original bytes untouched, plus an incremental update adding the audit page.

    Every signature must be over this exact document (its hash), so the first len(pdf) bytes of the
    result still hash to the value each party signed.
    """
    if not signatures:
        raise ValueError("append_signature_page needs at least one signature")
    document_hash = sha256_hex(pdf)
    for signature in signatures:
        if signature.document_sha256 != document_hash:
            raise ValueError(f"the {signature.party_role}'s signature is over another document")
    original = PdfReader(io.BytesIO(pdf))
    title = clean_text(original.metadata.title if original.metadata else "") or "Contract"
    audit = PdfReader(io.BytesIO(_audit_trail_pdf(title, document_hash, len(original.pages), signatures)))
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    for page in audit.pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def audit_trail_text(
    title: str, document_hash: str, pages: int, signatures: Sequence[SignatureRecord]
) -> str:
    """The audit-trail page as markup: the document's hash, then each signature with its evidence."""
    lines = [
        "# Signature audit trail",
        "",
        f"{_finalize(title)}. The {pages}-page document above was signed electronically by the parties "
        "below. Its SHA-256 fingerprint is computed over the document as generated, without this page.",
        "",
        f"Document SHA-256: {document_hash}",
    ]
    for number, signature in enumerate(signatures, start=1):
        user_agent = clean_text(signature.user_agent)
        if len(user_agent) > USER_AGENT_MAX:
            user_agent = user_agent[: USER_AGENT_MAX - 3] + "..."
        lines += ["", f"## Signature {number}: {signature.party_role.title()}", ""]
        lines += [
            f"- {label}: {_finalize(value)}"
            for label, value in (
                ("Party role", signature.party_role),
                ("Typed full name", signature.typed_name),
                ("Signed at (UTC)", as_utc(signature.signed_at).isoformat(timespec="seconds")),
                ("IP address", signature.ip),
                ("User agent", user_agent),
                ("Signed document SHA-256", signature.document_sha256),
            )
        ]
    return "\n".join(lines) + "\n"


def _audit_trail_pdf(
    title: str, document_hash: str, pages: int, signatures: Sequence[SignatureRecord]
) -> bytes:
    """The audit-trail page as its own PDF, dated by the last signature so its bytes are reproducible."""
    return layout_markup(
        audit_trail_text(title, document_hash, pages, signatures),
        footer_text=f"{title} - signature audit trail",
        created=max(as_utc(s.signed_at) for s in signatures),
        title=f"{title} - signature audit trail",
        page_numbers=False,
    )
