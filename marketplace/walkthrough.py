"""The whole flow, end to end, against a running server (`make run`, then `make demo`).

register -> profile -> campaign -> matches -> offer -> contract -> signatures -> funding ->
delivery -> release -> report. Card payment and payout onboarding, which happen in Stripe.js and
on Stripe's pages in real life, are completed here against localstripe, the way a browser would.
Only the standard library is used, so the script also documents the raw HTTP calls.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PASSWORD = "Walk-Through-2026"  # noqa: S105  # nosec B105


class Api:
    """A tiny JSON client for one tenant."""

    def __init__(self, base: str, tenant: str) -> None:
        self.base, self.tenant = base.rstrip("/"), tenant

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one request; raise with the problem document on an error status."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)  # noqa: S310
        request.add_header("X-Tenant", self.tenant)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path} -> {error.code}: {error.read().decode()}") from None
        if raw:
            return payload
        return json.loads(payload) if payload else None


def stripe_call(base: str, path: str, form: dict[str, str]) -> dict[str, Any]:
    """A form POST to localstripe with a test secret key (what Stripe.js or Stripe's pages would do)."""
    request = urllib.request.Request(  # noqa: S310 - loopback localstripe
        f"{base}{path}",
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
        headers={"Authorization": "Bearer sk_test_walkthrough"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
        return json.loads(response.read() or b"{}")


def wait_for(what: str, check: Any, timeout: float = 60) -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def step(title: str) -> None:
    """Print a step heading."""
    print(f"\n== {title}", flush=True)


def walk(base: str, stripe_base: str, tenant: str) -> dict[str, Any]:
    """Run the whole flow; returns the ids it created."""
    api = Api(base, tenant)
    suffix = secrets.token_hex(3)

    step("register a brand member and an influencer, log both in")
    people = {}
    for role, name in (("brand", "Bea Brand"), ("influencer", "Ines Cook")):
        email = f"{role}-{suffix}@walk.example"
        api.call(
            "POST",
            "/auth/register",
            {"email": email, "password": PASSWORD, "role": role, "display_name": name},
        )
        people[role] = api.call("POST", "/auth/login", {"email": email, "password": PASSWORD})["access_token"]
    brand, influencer = people["brand"], people["influencer"]

    step("the influencer fills in a profile and a rate card")
    profile = api.call(
        "PUT",
        "/influencers/me",
        {
            "display_name": f"Ines Cook {suffix}",
            "bio": "Street food from Lyon",
            "country": "FR",
            "languages": ["fr"],
            "niches": ["food"],
            "accepts_in_kind": True,
            "social_accounts": [
                {
                    "platform": "instagram",
                    "handle": f"ines.{suffix}",
                    "followers": 18_000,
                    "following": 350,
                    "avg_likes": 900,
                    "avg_comments": 70,
                }
            ],
            "audience": {"countries": {"FR": 0.8, "BE": 0.1}},
        },
        influencer,
    )
    print(f"profile {profile['id']}: tier {profile['tier']}, engagement {profile['engagement_rate']:.3f}")
    api.call(
        "PUT",
        "/influencers/me/rates",
        {
            "rates": [
                {
                    "platform": "instagram",
                    "deliverable": "post",
                    "content_creation": True,
                    "price_minor": 30_000,
                }
            ]
        },
        influencer,
    )

    step("the influencer opens a payout account and completes onboarding")
    payout = api.call(
        "POST",
        "/influencers/me/payout-account",
        {"return_url": f"{base}/onboarded", "refresh_url": f"{base}/onboarding-expired"},
        influencer,
    )
    stripe_call(stripe_base, f"/_config/accounts/{payout['stripe_account_id']}/enable", {})
    wait_for(
        "payouts enabled",
        lambda: api.call("GET", "/influencers/me/payout-account", token=influencer)["payouts_enabled"],
    )

    step("the brand creates its organisation and a campaign, and publishes it")
    brand_id = api.call(
        "POST", "/brands", {"name": f"Sauce Co {suffix}", "industry": "food", "country": "FR"}, brand
    )["id"]
    campaign = api.call(
        "POST",
        "/campaigns",
        {
            "brand_id": brand_id,
            "title": "Summer street food",
            "niches": ["food"],
            "target_countries": ["FR"],
            "languages": ["fr"],
            "deliverables": [{"platform": "instagram", "type": "post", "quantity": 1}],
            "compensation_kind": "full",
            "cash_per_influencer_minor": 30_000,
            "total_budget_minor": 90_000,
            "slots": 3,
            "wanted_tiers": ["micro"],
        },
        brand,
    )["id"]
    published = api.call("POST", f"/campaigns/{campaign}/publish", token=brand)
    wait_for(
        "matching",
        lambda: (
            api.call("GET", published["status_url"].removeprefix("/api/v1"), token=brand)["status"]
            == "finished"
        ),
    )

    step("ranked matches")
    matches = api.call("GET", f"/campaigns/{campaign}/matches?limit=5", token=brand)["items"]
    for match in matches:
        who = match["influencer"]["display_name"]
        print(f"#{match['rank']} {who}: {match['score']:.3f} - {match['sentence']}")

    step("the brand sends an offer; the influencer accepts it")
    offer = api.call(
        "POST",
        f"/campaigns/{campaign}/offers",
        {"influencer_id": profile["id"], "cash_minor": 30_000, "message": "Join us!"},
        brand,
    )["id"]
    contract = api.call("POST", f"/offers/{offer}/accept", token=influencer)["contract_id"]

    step("the contract PDF is generated; both parties sign it")
    sha = wait_for(
        "the contract document",
        lambda: api.call("GET", f"/contracts/{contract}", token=brand)["document_sha256"],
    )
    pdf = api.call("GET", f"/contracts/{contract}/document", token=influencer, raw=True)
    print(f"document: {len(pdf)} bytes, sha256 {sha}")
    for token, name in ((influencer, "Ines Cook"), (brand, "Bea Brand")):
        signed = api.call(
            "POST",
            f"/contracts/{contract}/sign",
            {"full_name": name, "consent": True, "document_sha256": sha},
            token,
        )
    print(
        f"contract {signed['status']}; brand pays {signed['brand_pays_minor']}, "
        f"influencer nets {signed['influencer_net_minor']}"
    )

    step("the brand funds the contract; the card is confirmed as Stripe.js would")
    funding = api.call(
        "POST", f"/contracts/{contract}/fund", {}, brand, headers={"Idempotency-Key": f"walk-{suffix}"}
    )
    intent = funding["payment_intent_id"]
    stripe_call(stripe_base, f"/v1/payment_intents/{intent}", {"payment_method": "pm_card_visa"})
    stripe_call(stripe_base, f"/v1/payment_intents/{intent}/confirm", {})
    wait_for("funded", lambda: api.call("GET", f"/contracts/{contract}", token=brand)["status"] == "funded")

    step("the influencer delivers; the brand approves; the payment is released")
    deliverable = api.call(
        "POST",
        f"/contracts/{contract}/deliverables",
        {
            "platform": "instagram",
            "type": "post",
            "url": "https://instagram.com/p/walkthrough",
            "caption": "Best sauces in town #ad",
        },
        influencer,
    )["deliverable"]["id"]
    api.call(
        "POST",
        f"/deliverables/{deliverable}/metrics",
        {
            "impressions": 40_000,
            "reach": 25_000,
            "likes": 1_900,
            "comments": 120,
            "shares": 40,
            "saves": 60,
            "clicks": 800,
        },
        influencer,
    )
    api.call("POST", f"/deliverables/{deliverable}/approve", token=brand)
    wait_for(
        "completed", lambda: api.call("GET", f"/contracts/{contract}", token=brand)["status"] == "completed"
    )
    movements = api.call("GET", f"/payments?contract_id={contract}", token=influencer)
    for movement in movements["items"]:
        print(
            f"{movement['kind']}: {movement['amount_minor']} {movement['currency']} "
            f"{movement['from_account']} -> {movement['to_account']}"
        )

    step("both parties review each other; the brand reads the campaign report")
    api.call("POST", f"/contracts/{contract}/reviews", {"stars": 5, "text": "Delicious work"}, brand)
    api.call("POST", f"/contracts/{contract}/reviews", {"stars": 5, "text": "Paid on time"}, influencer)
    report = api.call("GET", f"/campaigns/{campaign}/report", token=brand)
    print(json.dumps(report.get("totals", report), indent=2)[:1200])
    return {"campaign": campaign, "contract": contract, "offer": offer, "profile": profile["id"]}


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and walk."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--stripe", default="http://127.0.0.1:8420")
    parser.add_argument("--tenant", default="demo")
    args = parser.parse_args(argv)
    ids = walk(args.base, args.stripe, args.tenant)
    print(f"\nwalk complete: {json.dumps(ids)}")


if __name__ == "__main__":
    sys.exit(main())
