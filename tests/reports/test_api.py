"""GET /campaigns/{id}/report: the hand-computed campaign as JSON and CSV, who may read it, tenant walls."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.models import Contract, Deliverable, DeliverableMetric, Offer
from marketplace.tenancy import tenant_scope
from tests.factories import Caller, make_brand, make_caller, make_campaign, make_influencer, make_tenant

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ZERO = dict(impressions=0, reach=0, likes=0, comments=0, shares=0, saves=0, clicks=0, conversions=0)


def _account(followers: int) -> list[dict[str, Any]]:
    return [{"platform": "instagram", "handle": f"h{uuid.uuid4().hex[:8]}", "followers": followers,
             "avg_likes": followers // 20, "avg_comments": followers // 200}]  # fmt: skip


def _metrics(**figures: int) -> dict[str, int]:
    return {**ZERO, **figures}


class CampaignBuilder:
    """Contracts, deliverables and metrics written straight through the models in one tenant."""

    def __init__(self, app: Flask, tenant_id: uuid.UUID, brand: Caller, campaign_id: str) -> None:
        self.app, self.tenant_id, self.brand = app, tenant_id, brand
        self.campaign_id = uuid.UUID(campaign_id)

    def contract(
        self, influencer: Caller, status: str, cash: int, fee_payer: str, in_kind: int = 0
    ) -> uuid.UUID:
        """A contract at 10 % fee; returns its id."""
        fee = cash // 10
        with self.app.app_context(), tenant_scope(self.tenant_id):
            offer = Offer(
                campaign_id=self.campaign_id, profile_id=uuid.UUID(influencer.profile_id),
                brand_id=uuid.UUID(self.brand.brand_id), sender_id=uuid.UUID(self.brand.user_id),
                direction="invitation", status="accepted", currency="EUR", cash_minor=cash,
                in_kind_value_minor=in_kind, expires_at=T0 + timedelta(days=14),
            )  # fmt: skip
            db.session.add(offer)
            db.session.flush()
            contract = Contract(
                campaign_id=self.campaign_id, offer_id=offer.id, brand_id=offer.brand_id,
                profile_id=offer.profile_id, influencer_user_id=uuid.UUID(influencer.user_id), status=status,
                compensation_kind="mixed" if in_kind else "full", currency="EUR", cash_minor=cash,
                platform_fee_bps=1000, fee_payer=fee_payer, platform_fee_minor=fee,
                brand_pays_minor=cash + fee if fee_payer == "brand" else cash,
                influencer_net_minor=cash if fee_payer == "brand" else cash - fee,
                in_kind_value_minor=in_kind, terms={},
            )  # fmt: skip
            db.session.add(contract)
            db.session.commit()
            return contract.id

    def deliverable(
        self, contract_id: uuid.UUID, *readings: dict[str, int], stage: str = "live", status: str = "approved"
    ) -> None:
        """A deliverable with metric readings, one hour apart in the given order (the last is the latest)."""
        with self.app.app_context(), tenant_scope(self.tenant_id):
            contract = db.session.get(Contract, (self.tenant_id, contract_id))
            item = Deliverable(
                contract_id=contract_id, submitted_by=contract.influencer_user_id, platform="instagram",
                type="post", stage=stage, url="https://instagram.example/p/1", status=status,
                review_due_at=T0 + timedelta(days=7),
            )  # fmt: skip
            db.session.add(item)
            db.session.flush()
            for hour, figures in enumerate(readings):
                db.session.add(
                    DeliverableMetric(
                        deliverable_id=item.id, reported_by=contract.influencer_user_id,
                        reported_at=T0 + timedelta(hours=hour), **figures,
                    )
                )  # fmt: skip
            db.session.commit()


@pytest.fixture
def campaign(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """The hand-computed campaign of tests/reports/test_domain.py, built through the models.

    Ana and Bea are micro (12,000 followers), Carl macro (120,000). Dana's contract is cancelled and
    Eve's awaits signatures: neither counts, whatever their metrics.
    """
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign_id = make_campaign(brand)
    people = {
        name: make_influencer(app, client, "alpha", display_name=name, social_accounts=_account(followers))
        for name, followers in (("Ana", 12_000), ("Bea", 12_000), ("Carl", 120_000), ("Dana", 12_000),
                                ("Eve", 12_000))
    }  # fmt: skip
    build = CampaignBuilder(app, tenant.id, brand, campaign_id)
    ana = build.contract(people["Ana"], "completed", 50_000, "influencer")
    build.deliverable(
        ana,
        _metrics(impressions=10_000, reach=8_000, likes=400, clicks=90),  # an older reading: superseded
        _metrics(impressions=20_000, reach=15_000, likes=900, comments=60, shares=30, saves=10, clicks=200,
                 conversions=10),
    )  # fmt: skip
    build.deliverable(
        ana, _metrics(impressions=999, reach=999, likes=99), stage="draft"
    )  # drafts never count
    bea = build.contract(people["Bea"], "delivered", 30_000, "brand", in_kind=5_000)
    first = _metrics(
        impressions=10_000,
        reach=8_000,
        likes=500,
        comments=40,
        shares=20,
        saves=40,
        clicks=100,
        conversions=5,
    )
    build.deliverable(bea, first)
    second = _metrics(impressions=6_000, reach=4_000, likes=250, comments=25, shares=15, saves=10, clicks=50)
    build.deliverable(bea, second, status="submitted")
    # A live post sent back for changes is superseded by its resubmission (the deliverable above).
    build.deliverable(bea, _metrics(impressions=7_777, reach=7_777, likes=777), status="changes_requested")
    carl = build.contract(people["Carl"], "completed", 200_000, "influencer")
    carl_post = _metrics(impressions=300_000, reach=200_000, likes=4_000, comments=300, shares=500, saves=200)
    build.deliverable(carl, {**carl_post, "clicks": 1_500, "conversions": 30})
    dana = build.contract(people["Dana"], "cancelled", 40_000, "brand")
    build.deliverable(dana, _metrics(impressions=50_000, reach=40_000, likes=2_000))
    build.contract(people["Eve"], "awaiting_signatures", 25_000, "brand")
    return {"brand": brand, "campaign_id": campaign_id, "people": people}


def test_report_json_matches_the_hand_computed_figures(campaign: dict[str, Any]) -> None:
    """Per influencer, per tier and total, the JSON carries the figures computed by hand."""
    response = campaign["brand"].get(f"/api/v1/campaigns/{campaign['campaign_id']}/report")
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["currency"] == "EUR" and body["campaign_id"] == campaign["campaign_id"]
    lines = {line["display_name"]: line for line in body["influencers"]}
    assert list(lines) == ["Ana", "Bea", "Carl"]  # micro first, then macro; Dana and Eve left out
    ana, bea, carl = lines["Ana"], lines["Bea"], lines["Carl"]
    assert ana["tier"] == "micro" and carl["tier"] == "macro"
    assert ana["profile_id"] == campaign["people"]["Ana"].profile_id
    assert (ana["impressions"], ana["reach"], ana["engagements"], ana["clicks"]) == (
        20_000,
        15_000,
        1_000,
        200,
    )
    assert ana["live_deliverables"] == 1
    assert (ana["engagement_rate"], ana["cpm_minor"], ana["cpe_minor"], ana["cpc_minor"]) == (
        0.066667, 2500.0, 50.0, 250.0)  # fmt: skip
    assert (bea["brand_pays_minor"], bea["in_kind_value_minor"], bea["total_spend_minor"]) == (
        33_000,
        5_000,
        38_000,
    )
    assert (bea["impressions"], bea["reach"], bea["engagements"], bea["live_deliverables"]) == (
        16_000,
        12_000,
        900,
        2,
    )
    assert (bea["engagement_rate"], bea["cpm_minor"], bea["cpe_minor"], bea["cpc_minor"]) == (
        0.075, 2375.0, 42.22, 253.33)  # fmt: skip
    assert bea["cost_per_conversion_minor"] == 7600.0
    assert (carl["cpm_minor"], carl["cpe_minor"], carl["cpc_minor"]) == (666.67, 40.0, 133.33)

    micro, macro = body["tiers"]
    assert (micro["tier"], micro["contracts"], micro["total_spend_minor"]) == ("micro", 2, 88_000)
    assert (micro["engagement_rate"], micro["cpm_minor"], micro["cpe_minor"], micro["cpc_minor"]) == (
        0.07037, 2444.44, 46.32, 251.43)  # fmt: skip
    assert (macro["tier"], macro["engagement_rate"]) == ("macro", 0.025)

    total = body["total"]
    assert (total["contracts"], total["cash_minor"], total["platform_fee_minor"]) == (3, 280_000, 28_000)
    assert (total["brand_pays_minor"], total["total_spend_minor"]) == (283_000, 288_000)
    assert (total["impressions"], total["reach"], total["engagements"]) == (336_000, 227_000, 6_900)
    assert (total["engagement_rate"], total["cpm_minor"], total["cpe_minor"], total["cpc_minor"]) == (
        0.030396, 857.14, 41.74, 155.68)  # fmt: skip
    assert total["cost_per_conversion_minor"] == 6400.0


def test_report_csv_by_accept_header_and_by_query(campaign: dict[str, Any]) -> None:
    """Accept: text/csv (or ?format=csv) gives the same figures as CSV rows: influencers, tiers, total."""
    path = f"/api/v1/campaigns/{campaign['campaign_id']}/report"
    response = campaign["brand"].get(path, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["level"], r["tier"], r["display_name"]) for r in rows] == [
        ("influencer", "micro", "Ana"), ("influencer", "micro", "Bea"), ("influencer", "macro", "Carl"),
        ("tier", "micro", ""), ("tier", "macro", ""), ("total", "", ""),
    ]  # fmt: skip
    bea, total = rows[1], rows[-1]
    assert (bea["currency"], bea["total_spend_minor"], bea["cpe_minor"], bea["cpc_minor"]) == (
        "EUR", "38000", "42.22", "253.33")  # fmt: skip
    assert (total["engagement_rate"], total["cpm_minor"], total["cost_per_conversion_minor"]) == (
        "0.030396", "857.14", "6400.00")  # fmt: skip
    by_query = campaign["brand"].get(path + "?format=csv")
    assert by_query.mimetype == "text/csv" and by_query.get_data() == response.get_data()
    assert campaign["brand"].get(path + "?format=json", headers={"Accept": "text/csv"}).is_json
    assert campaign["brand"].get(path + "?format=xml").status_code == 422


def test_empty_campaign_reports_zeros_and_nulls(app: Flask, client: FlaskClient) -> None:
    """A campaign without reported contracts: no lines, zero total, null ratios (no division by zero)."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    body = brand.get(f"/api/v1/campaigns/{make_campaign(brand)}/report").get_json()
    assert body["influencers"] == [] and body["tiers"] == []
    assert body["total"]["total_spend_minor"] == 0 and body["total"]["cpm_minor"] is None


def test_who_may_read_the_report(app: Flask, client: FlaskClient, campaign: dict[str, Any]) -> None:
    """The campaign's brand members and admins read it; another brand gets 404, an influencer 403."""
    path = f"/api/v1/campaigns/{campaign['campaign_id']}/report"
    admin = make_caller(app, client, "alpha", role="admin")
    assert admin.get(path).status_code == 200
    other_brand = make_brand(app, client, "alpha", name="Other Foods")
    response = other_brand.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert campaign["people"]["Ana"].get(path).status_code == 403
    assert client.get(path, headers={"X-Tenant": "alpha"}).status_code == 401
    member = make_caller(app, client, "alpha", role="brand")
    added = campaign["brand"].post(
        f"/api/v1/brands/{campaign['brand'].brand_id}/members", json={"email": member.email}
    )
    assert added.status_code in (200, 201), added.get_json()
    assert member.get(path).status_code == 200


def test_other_tenants_campaign_is_404(app: Flask, client: FlaskClient, campaign: dict[str, Any]) -> None:
    """An admin of another tenant gets the same 404 as for an unknown id, in JSON and CSV."""
    make_tenant(app, "beta")
    beta_admin = make_caller(app, client, "beta", role="admin")
    theirs = beta_admin.get(f"/api/v1/campaigns/{campaign['campaign_id']}/report")
    unknown = beta_admin.get(f"/api/v1/campaigns/{uuid.uuid4()}/report", headers={"Accept": "text/csv"})
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json()["detail"] == unknown.get_json()["detail"]
