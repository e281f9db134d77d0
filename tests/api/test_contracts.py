"""Contracts: generated PDF, e-signatures over the document hash, who sees what, and the slot race."""

from __future__ import annotations

import io
import threading

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from redis import Redis

from tests.factories import (
    Caller,
    accept_offer,
    make_brand,
    make_caller,
    make_campaign,
    make_influencer,
    make_offer,
    make_tenant,
)
from tests.workers.test_jobs import _drain


def _contract(
    app: Flask, client: FlaskClient, redis_client: Redis, **offer: object
) -> tuple[Caller, Caller, str]:
    brand = make_brand(app, client, "alpha")
    influencer = make_influencer(app, client, "alpha", display_name="Ines Cook")
    campaign = make_campaign(brand, publish=True)
    contract = accept_offer(influencer, make_offer(brand, influencer, campaign, **offer))
    _drain(redis_client)
    return brand, influencer, contract


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_document_generated_hashed_and_readable(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """The job renders a PDF with both parties, the amounts and the disclosure clause, and hashes it."""
    make_tenant(app, "alpha", platform_fee_bps=1_000)
    brand, influencer, contract_id = _contract(app, client, redis_client, cash_minor=40_000)
    contract = influencer.get(f"/api/v1/contracts/{contract_id}").get_json()
    assert contract["status"] == "awaiting_signatures" and len(contract["document_sha256"]) == 64
    response = brand.get(f"/api/v1/contracts/{contract_id}/document")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "Ines Cook" in text and "Acme Foods" in text
    assert "EUR 400.00" in text and "EUR 40.00" in text and "EUR 360.00" in text
    assert "#ad" in text and "Paid partnership" in text
    import hashlib

    assert hashlib.sha256(response.data).hexdigest() == contract["document_sha256"]
    assert "contract_ready" in [
        n["kind"] for n in influencer.get("/api/v1/notifications").get_json()["items"]
    ]


def test_signing_by_both_parties_appends_the_audit_trail(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Each party signs over the hash; a wrong hash or no consent is refused; both: signed + audit page."""
    make_tenant(app, "alpha")
    brand, influencer, contract_id = _contract(app, client, redis_client)
    sha = influencer.get(f"/api/v1/contracts/{contract_id}").get_json()["document_sha256"]
    path = f"/api/v1/contracts/{contract_id}/sign"
    wrong = influencer.post(
        path, json={"full_name": "Ines Cook", "consent": True, "document_sha256": "0" * 64}
    )
    assert wrong.status_code == 409 and wrong.get_json()["current_document_sha256"] == sha
    refused = influencer.post(path, json={"full_name": "Ines Cook", "consent": False, "document_sha256": sha})
    assert refused.status_code == 422
    first = influencer.post(
        path,
        json={"full_name": "Ines Cook", "consent": True, "document_sha256": sha},
        headers={"User-Agent": "pytest-browser/1.0"},
    )
    assert first.status_code == 200 and first.get_json()["status"] == "awaiting_signatures"
    assert (
        influencer.post(
            path, json={"full_name": "Ines Cook", "consent": True, "document_sha256": sha}
        ).status_code
        == 409
    )
    second = brand.post(path, json={"full_name": "Bob Brand", "consent": True, "document_sha256": sha})
    assert second.status_code == 200
    signed = second.get_json()
    assert signed["status"] == "signed" and {s["party"] for s in signed["signatures"]} == {
        "brand",
        "influencer",
    }
    pdf = brand.get(f"/api/v1/contracts/{contract_id}/document").data
    reader = PdfReader(io.BytesIO(pdf))
    audit = reader.pages[-1].extract_text()
    assert "Ines Cook" in audit and "Bob Brand" in audit and sha in audit.replace("\n", "")
    assert "pytest-browser/1.0" in audit


def test_both_parties_follow_the_document_job_and_nobody_else(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The accept answers the document job; the other party sees it too (not only who started it)."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    accepted = influencer.post(f"/api/v1/offers/{make_offer(brand, influencer, campaign)}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    body = accepted.get_json()
    assert body["status_url"] == f"/api/v1/jobs/{body['document_job_id']}"
    _drain(redis_client)
    for party in (influencer, brand):
        job = party.get(body["status_url"])
        assert job.status_code == 200 and job.get_json()["status"] == "finished", job.get_json()
    outsiders = [make_brand(app, client, "alpha", name="Other"), make_influencer(app, client, "alpha")]
    assert [outsider.get(body["status_url"]).status_code for outsider in outsiders] == [404, 404]


def test_only_parties_and_admins_see_contracts(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """Another brand, another influencer get 404 on the contract and its document; admins see both."""
    make_tenant(app, "alpha")
    _, _, contract_id = _contract(app, client, redis_client)
    outsiders = [make_brand(app, client, "alpha", name="Other"), make_influencer(app, client, "alpha")]
    for outsider in outsiders:
        assert outsider.get(f"/api/v1/contracts/{contract_id}").status_code == 404
        assert outsider.get(f"/api/v1/contracts/{contract_id}/document").status_code == 404
        assert outsider.get("/api/v1/contracts").get_json()["items"] == []
    admin = make_caller(app, client, "alpha", "admin")
    assert admin.get(f"/api/v1/contracts/{contract_id}/document").status_code == 200


def test_an_unsigned_contract_is_called_off_and_its_slot_freed(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Either party (or an admin) cancels before both signed; the other side is told; the slot is free for
    another influencer and for the same one again; a signed contract is not cancelled this way."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    influencer = make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True, slots=1)
    contract_id = accept_offer(influencer, make_offer(brand, influencer, campaign))
    other = make_influencer(app, client, "alpha")
    full = other.post(f"/api/v1/offers/{make_offer(brand, other, campaign)}/accept")
    assert full.status_code == 409  # the one slot is held by the unsigned contract

    cancel = f"/api/v1/contracts/{contract_id}/cancel"
    outsider = make_brand(app, client, "alpha", name="Other")
    assert outsider.post(cancel, json={"reason": "Not mine"}).status_code == 404
    assert influencer.post(cancel, json={"reason": ""}).status_code == 422
    cancelled = influencer.post(cancel, json={"reason": "The dates no longer work for me"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    again = brand.post(cancel, json={"reason": "Twice"})
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    told = [
        n for n in brand.get("/api/v1/notifications").get_json()["items"] if n["kind"] == "contract_cancelled"
    ]
    assert told and told[0]["payload"]["reason"] == "The dates no longer work for me"
    _drain(redis_client)  # the document job, still queued, skips a cancelled contract
    assert brand.get(f"/api/v1/contracts/{contract_id}").get_json()["status"] == "cancelled"

    # The slot is free: the same influencer can take it again, and the new contract is signed.
    contract_id = accept_offer(influencer, make_offer(brand, influencer, campaign))
    _drain(redis_client)
    sha = brand.get(f"/api/v1/contracts/{contract_id}").get_json()["document_sha256"]
    for caller, name in ((brand, "Ada Brand"), (influencer, "Ines Cook")):
        body = {"full_name": name, "consent": True, "document_sha256": sha}
        assert caller.post(f"/api/v1/contracts/{contract_id}/sign", json=body).status_code == 200
    admin = make_caller(app, client, "alpha", "admin")
    refused = admin.post(f"/api/v1/contracts/{contract_id}/cancel", json={"reason": "Too late"})
    assert refused.status_code == 409 and "dispute" in refused.get_json()["detail"]
    assert brand.get(f"/api/v1/contracts/{contract_id}").get_json()["status"] == "signed"


def test_slots_cannot_go_below_the_contracts_holding_them(app: Flask, client: FlaskClient) -> None:
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand, publish=True, slots=3)
    for _ in range(2):
        influencer = make_influencer(app, client, "alpha")
        accept_offer(influencer, make_offer(brand, influencer, campaign))
    path = f"/api/v1/campaigns/{campaign}"
    refused = brand.patch(path, json={"slots": 1})
    assert refused.status_code == 422 and "slots" in refused.get_json()["errors"]
    assert brand.get(path).get_json()["slots"] == 3
    assert brand.patch(path, json={"slots": 2}).get_json()["slots"] == 2


def test_in_kind_contract_needs_no_funding(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """An in-kind contract records the declared value; once signed, the work can start."""
    make_tenant(app, "alpha")
    gift = [{"description": "Tasting box", "value_minor": 8_000}]
    brand, _, contract_id = _contract(app, client, redis_client, cash_minor=0, in_kind_items=gift)
    contract = brand.get(f"/api/v1/contracts/{contract_id}").get_json()
    assert contract["compensation_kind"] == "in_kind" and contract["in_kind_value_minor"] == 8_000
    assert contract["cash_minor"] == contract["brand_pays_minor"] == 0
    assert "EUR 80.00" in _text(brand.get(f"/api/v1/contracts/{contract_id}/document").data)


def test_fifty_concurrent_accepts_fill_three_slots(app: Flask, client: FlaskClient) -> None:
    """50 influencers accept at once on a 3-slot campaign: exactly 3 contracts and 47 clear 409s."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand, publish=True, slots=3)
    people = [make_influencer(app, client, "alpha") for _ in range(50)]
    offers = [make_offer(brand, person, campaign, cash_minor=10_000) for person in people]
    barrier = threading.Barrier(len(people))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def accept(person: Caller, offer: str) -> None:
        own_client = app.test_client()
        barrier.wait()
        response = own_client.post(f"/api/v1/offers/{offer}/accept", headers=person.headers)
        with lock:
            results.append((response.status_code, response.get_json().get("detail", "")))

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(people, offers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(status for status, _ in results) == [201] * 3 + [409] * 47
    assert all("slots" in detail for status, detail in results if status == 409)
    assert len(brand.get(f"/api/v1/contracts?campaign_id={campaign}").get_json()["items"]) == 3
