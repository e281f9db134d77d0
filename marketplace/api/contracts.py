"""Contracts, their PDF document and signatures."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.common import page_of
from marketplace.schemas.contracts import (
    CancelInputSchema,
    ContractListArgsSchema,
    ContractSchema,
    SignInputSchema,
)
from marketplace.services import contracts

blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")


@blp.route("", methods=["GET"])
@login_required()
@blp.arguments(ContractListArgsSchema, location="query")
@blp.response(200, page_of(ContractSchema))
def list_contracts(args: dict[str, Any]) -> Any:
    """Contracts I am a party of (admins: all)"""
    page = contracts.list_contracts(current_user(), args)
    page.items = [contracts.contract_view(c) for c in page.items]
    return page


@blp.route("/<uuid:contract_id>", methods=["GET"])
@login_required()
@blp.response(200, ContractSchema)
def get_contract(contract_id: uuid.UUID) -> Any:
    """One contract, its terms and signatures"""
    return contracts.contract_view(contracts.visible_contract(current_user(), contract_id))


@blp.route("/<uuid:contract_id>/document", methods=["GET"])
@login_required()
@blp.response(200, content_type="application/pdf", description="The contract PDF")
@blp.alt_response(409, response="CONFLICT")  # the document is still being generated
def get_document(contract_id: uuid.UUID) -> Any:
    """The contract PDF (with the signature page once both parties signed)"""
    pdf, contract = contracts.document(current_user(), contract_id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="contract-{contract.id}.pdf"'
    response.headers["X-Document-SHA256"] = contract.document_sha256 or ""
    return response


@blp.route("/<uuid:contract_id>/sign", methods=["POST"])
@login_required("brand", "influencer")
@blp.arguments(SignInputSchema)
@blp.response(200, ContractSchema)
def sign(data: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Sign with my typed full name and consent, over the document hash I read"""
    contract = contracts.sign(
        current_user(), contract_id, data, request.remote_addr or "", request.headers.get("User-Agent", "")
    )
    return contracts.contract_view(contract)


@blp.route("/<uuid:contract_id>/cancel", methods=["POST"])
@login_required("brand", "influencer", "admin")
@blp.arguments(CancelInputSchema)
@blp.response(200, ContractSchema)
def cancel(data: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Call off a contract before both parties signed it (its campaign slot is freed)"""
    return contracts.contract_view(contracts.cancel(current_user(), contract_id, data["reason"]))
