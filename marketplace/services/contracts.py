"""Contracts: frozen terms, the PDF document and its hash, e-signatures by both parties."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.contracts import storage as document_storage
from marketplace.contracts.render import append_signature_page, render_contract_pdf, sha256_hex
from marketplace.contracts.terms import SignatureRecord
from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import split_fee
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Brand, Campaign, Contract, InfluencerProfile, Offer, Signature, User
from marketplace.models.base import utcnow
from marketplace.services import audit
from marketplace.services.brands import brand_ids_of, member_user_ids, membership
from marketplace.services.contract_terms import build_terms, terms_snapshot
from marketplace.services.notifications import notify
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404

GENERATE_JOB = "workers.jobs.contracts.generate_contract_document"


def compensation_kind(campaign: Campaign, cash: int, has_items: bool) -> str:
    """full, symbolic, in_kind or mixed, from what was actually agreed."""
    if cash and has_items:
        return "mixed"
    if has_items:
        return "in_kind"
    return "symbolic" if campaign.compensation_kind == "symbolic" else "full"


def create_from_offer(offer: Offer, campaign: Campaign, profile: InfluencerProfile) -> Contract:
    """Freeze an accepted offer into a contract (status generating); the caller commits."""
    tenant = current_tenant()
    split = split_fee(offer.cash_minor, tenant.platform_fee_bps, tenant.fee_payer)
    contract = Contract(
        id=uuid.uuid4(),
        campaign_id=campaign.id,
        offer_id=offer.id,
        brand_id=campaign.brand_id,
        profile_id=profile.id,
        influencer_user_id=profile.user_id,
        status="generating",
        compensation_kind=compensation_kind(campaign, offer.cash_minor, bool(offer.in_kind_items)),
        currency=offer.currency,
        cash_minor=offer.cash_minor,
        platform_fee_bps=tenant.platform_fee_bps,
        fee_payer=tenant.fee_payer,
        platform_fee_minor=split.platform_fee,
        brand_pays_minor=split.brand_pays,
        influencer_net_minor=split.influencer_net,
        in_kind_items=offer.in_kind_items,
        in_kind_value_minor=offer.in_kind_value_minor,
    )
    brand = get_or_404(Brand, campaign.brand_id)
    contract.terms = terms_snapshot(contract, tenant, campaign, brand, profile, offer)
    db.session.add(contract)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("This influencer already has a contract on this campaign.") from None
    return contract


def start_generation(user: User, contract: Contract) -> Any:
    """Queue the job that renders, stores and hashes the contract document."""
    from marketplace.services.jobs import start_job

    return start_job(GENERATE_JOB, user=user, contract_id=str(contract.id))


def storage() -> document_storage.DocumentStorage:
    """Where contract documents live (STORAGE_DIR: a folder, or a URL a storage backend understands)."""
    return document_storage.storage_from_url(current_app.config["MARKETPLACE"].storage_dir)


def _key(contract: Contract, name: str) -> str:
    return f"{contract.tenant_id}/contracts/{contract.id}/{name}"


def generate_document(contract_id: uuid.UUID) -> dict[str, Any]:
    """Render the PDF, store it, record its SHA-256, open it for signatures; safe to run twice."""
    contract = get_or_404(Contract, contract_id, for_update=True)
    if contract.status != "generating":
        return {
            "contract_id": str(contract.id),
            "skipped": f"contract is {contract.status}",
            "sha256": contract.document_sha256,
        }
    pdf = render_contract_pdf(build_terms(contract.terms))
    key = storage().put(_key(contract, "contract.pdf"), pdf)
    contract.document_key, contract.document_sha256 = key, sha256_hex(pdf)
    contract.status = check_transition("contract", contract.status, "awaiting_signatures")
    for user_id in _party_user_ids(contract):
        notify(user_id, "contract_ready", "Your contract is ready to sign", contract_id=contract.id)
    db.session.commit()
    return {"contract_id": str(contract.id), "sha256": contract.document_sha256, "bytes": len(pdf)}


def _party_user_ids(contract: Contract) -> list[uuid.UUID]:
    return [contract.influencer_user_id, *member_user_ids(contract.brand_id)]


def party_of(user: User, contract: Contract) -> str | None:
    """'brand' or 'influencer' when the user is a party of the contract."""
    if user.role == "influencer" and contract.influencer_user_id == user.id:
        return "influencer"
    if user.role == "brand" and membership(contract.brand_id, user) is not None:
        return "brand"
    return None


def visible_contract(user: User, contract_id: Any, *, for_update: bool = False) -> Contract:
    """A contract its parties and admins can see; 404 for everyone else."""
    contract = get_or_404(Contract, contract_id, for_update=for_update)
    if user.role != "admin" and party_of(user, contract) is None:
        raise NotFound("No such contract.")
    return contract


def signatures_of(contract_id: uuid.UUID) -> list[Signature]:
    """A contract's signatures, in signing order."""
    return list(
        db.session.execute(
            select(Signature).where(Signature.contract_id == contract_id).order_by(Signature.signed_at)
        ).scalars()
    )


def sign(user: User, contract_id: Any, data: dict[str, Any], ip: str, user_agent: str) -> Contract:
    """Record one party's signature over the document they saw; both signed: the contract is signed."""
    contract = visible_contract(user, contract_id, for_update=True)
    party = party_of(user, contract)
    if party is None:
        raise NotFound("No such contract.")
    if contract.status != "awaiting_signatures":
        raise Conflict(f"The contract is {contract.status}; it cannot be signed now.")
    if not data["consent"]:
        raise ValidationFailed("Signing needs your explicit consent.", errors={"consent": ["Must be true."]})
    if data["document_sha256"] != contract.document_sha256:
        raise Conflict(
            "The document has changed since you read it; download it again and sign that one.",
            current_document_sha256=contract.document_sha256,
        )
    if any(s.party == party for s in signatures_of(contract.id)):
        raise Conflict(f"The {party} side has already signed.")
    db.session.add(
        Signature(
            contract_id=contract.id,
            party=party,
            user_id=user.id,
            typed_name=data["full_name"].strip(),
            consent=True,
            signed_at=utcnow(),
            ip=ip[:64],
            user_agent=user_agent[:1000],
            document_sha256=contract.document_sha256,
        )
    )
    db.session.flush()
    signatures = signatures_of(contract.id)
    if {s.party for s in signatures} == {"brand", "influencer"}:
        _complete_signing(contract, signatures)
    else:
        for user_id in _party_user_ids(contract):
            if user_id != user.id:
                notify(
                    user_id, "contract_signed_by_other", f"The {party} side signed", contract_id=contract.id
                )
    db.session.commit()
    return contract


def _complete_signing(contract: Contract, signatures: list[Signature]) -> None:
    original = storage().get(contract.document_key)
    signed = append_signature_page(
        original,
        [
            SignatureRecord(
                party_role=s.party,
                typed_name=s.typed_name,
                signed_at=s.signed_at,
                ip=s.ip,
                user_agent=s.user_agent,
                document_sha256=s.document_sha256,
            )
            for s in signatures
        ],
    )
    contract.signed_document_key = storage().put(_key(contract, "contract-signed.pdf"), signed)
    contract.status = check_transition("contract", contract.status, "signed")
    contract.signed_at = utcnow()
    next_step = "Fund the contract to start the work." if contract.has_cash else "The work can start."
    for user_id in _party_user_ids(contract):
        notify(
            user_id,
            "contract_signed",
            f"Contract signed by both parties. {next_step}",
            contract_id=contract.id,
        )


UNSIGNED = ("generating", "awaiting_signatures")


def cancel(user: User, contract_id: Any, reason: str) -> Contract:
    """A party (or an admin) calls off a contract before both parties signed it.

    Nothing binds either side yet and no money can have moved (funding needs both signatures), so
    either side may walk away: the contract ends `cancelled`, its campaign slot is free again, the
    other side is told why, and a document job still to run skips it. Once signed, a contract ends
    through a dispute (docs/payments.md). An admin's cancellation is audited.
    """
    contract = visible_contract(user, contract_id, for_update=True)  # parties and admins
    if contract.status not in UNSIGNED:
        raise Conflict(
            f"A {contract.status} contract cannot be cancelled"
            + (": both parties signed it; open a dispute instead." if contract.status != "cancelled" else ".")
        )
    contract.status = check_transition("contract", contract.status, "cancelled")
    contract.cancelled_at = utcnow()
    if user.role == "admin":
        audit.record(user, "contract.cancel", "contract", contract.id, None, {"reason": reason})
    for user_id in set(_party_user_ids(contract)) - {user.id}:
        notify(
            user_id,
            "contract_cancelled",
            "The contract was called off",
            contract_id=contract.id,
            reason=reason,
        )
    db.session.commit()
    return contract


def document(user: User, contract_id: Any) -> tuple[bytes, Contract]:
    """The current PDF (with its signature page once signed), for the parties and admins."""
    contract = visible_contract(user, contract_id)
    key = contract.signed_document_key or contract.document_key
    if key is None:
        raise Conflict("The document is still being generated; try again in a moment.")
    return storage().get(key), contract


def list_contracts(user: User, args: dict[str, Any]) -> Page:
    """Contracts the user is a party of (admins: all), newest first."""
    stmt = select(Contract)
    if user.role == "brand":
        stmt = stmt.where(Contract.brand_id.in_(brand_ids_of(user)))
    elif user.role == "influencer":
        stmt = stmt.where(Contract.influencer_user_id == user.id)
    if args.get("status"):
        stmt = stmt.where(Contract.status == args["status"])
    if args.get("campaign_id"):
        stmt = stmt.where(Contract.campaign_id == args["campaign_id"])
    return paginate(
        stmt, [(Contract.created_at, True), (Contract.id, True)], args.get("cursor"), args.get("limit")
    )


def contract_view(contract: Contract) -> dict[str, Any]:
    """A contract with its signatures, for ContractSchema."""
    return {
        **{c.key: getattr(contract, c.key) for c in Contract.__table__.columns},
        "signatures": signatures_of(contract.id),
        "document_url": f"/api/v1/contracts/{contract.id}/document" if contract.document_key else None,
    }
