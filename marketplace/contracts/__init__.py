"""Contract documents: the frozen terms, their PDF rendering and hashing, and document storage (no ORM)."""

from marketplace.contracts.render import (
    append_signature_page,
    render_contract_pdf,
    render_contract_text,
    sha256_hex,
)
from marketplace.contracts.storage import (
    DocumentNotFound,
    DocumentStorage,
    InvalidDocumentKey,
    LocalDocumentStorage,
    storage_from_url,
)
from marketplace.contracts.terms import ContractTerms, SignatureRecord, format_money

__all__ = [
    "ContractTerms",
    "DocumentNotFound",
    "DocumentStorage",
    "InvalidDocumentKey",
    "LocalDocumentStorage",
    "SignatureRecord",
    "append_signature_page",
    "format_money",
    "render_contract_pdf",
    "render_contract_text",
    "sha256_hex",
    "storage_from_url",
]
