"""Funding contracts and reading money movements."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.payments import (
    FundingSchema,
    FundSchema,
    IdempotencyHeaderSchema,
    MovementArgsSchema,
    MovementPageSchema,
    PaymentSchema,
)
from marketplace.services.payments import funding, movements

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments")


@blp.route("/contracts/<uuid:contract_id>/fund", methods=["POST"])
@login_required("brand")
@blp.arguments(IdempotencyHeaderSchema, location="headers")
@blp.arguments(FundSchema)
@blp.response(201, FundingSchema)
@blp.alt_response(200, schema=FundingSchema, description="The contract's live funding attempt, reused")
def fund_contract(headers: dict[str, Any], body: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Fund a signed contract: a card PaymentIntent held by the platform (Idempotency-Key honoured)"""
    result = funding.fund_contract(current_user(), contract_id, headers["idempotency_key"], body)
    return result, 201 if result.created else 200


@blp.route("/contracts/<uuid:contract_id>/funding", methods=["GET"])
@login_required("brand", "admin")
@blp.response(200, PaymentSchema)
def get_funding(contract_id: uuid.UUID) -> Any:
    """The contract's current funding attempt: its status and, after a decline, why"""
    return funding.funding_of(current_user(), contract_id)


@blp.route("/payments", methods=["GET"])
@login_required()
@blp.arguments(MovementArgsSchema, location="query")
@blp.response(200, MovementPageSchema)
def list_payments(args: dict[str, Any]) -> Any:
    """My money movements, newest first, with totals per account (admins: the whole tenant)"""
    return movements.list_movements(current_user(), args["contract_id"], args["cursor"], args["limit"])
