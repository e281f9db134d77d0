"""Benchmark: one matching job (the real run_matching) against a naive all-in-Python baseline.

Generates (once, reused afterwards) tenants of 100,000 (`bench-100k`) and 1,000,000 (`bench-1m`)
influencers plus at least 100,000 in `bench-noise`, on PostgreSQL. In each measured tenant a brand
publishes a typical brief (food, FR/BE audience, French, two Instagram posts, micro tier, EUR 500
each) and a broad one (lifestyle or fashion, Instagram or TikTok, any tier or language). For each:

- service: marketplace.services.matching.run_matching (SQL filters and score, exact top-K in Python,
  matches stored), timed over --runs runs; Python peak memory from tracemalloc in one more run.
- naive: every profile of the tenant loaded with its rate card and scored with domain.matching.rank
  (hard filters applied in Python too, so both answer the same top K, which is checked).

Prints wall time, peak memory, the ratio and the load average, the EXPLAIN ANALYZE of each candidate
statement of a run, and writes bench/results/matching.json. Targets: <= 0.5 s and <= 500 MB for
1,000,000 profiles, >= 20x naive.

Usage: .venv/bin/python bench/matching.py [--sizes 100000,1000000] [--runs 5] [--skip-naive]
Env:   BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/marketplace_bench)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, event, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_db import bench_app, ensure_tenant, environment

from marketplace.domain import matching as rules
from marketplace.extensions import db
from marketplace.models import Brand, BrandExclusion, BrandMember, Campaign, CampaignMatch, RatePrice, User
from marketplace.models import InfluencerProfile as P
from marketplace.services.campaigns import validate_brief
from marketplace.services.demo_data import demo_password_hash
from marketplace.services.matching import SESSION_SETTINGS, brief_of, candidate_features, run_matching
from marketplace.tenancy import current_tenant, get_or_404, tenant_scope

DEFAULT_OUT = Path(__file__).parent / "results" / "matching.json"
TENANTS = {100_000: ("bench-100k", 2026), 1_000_000: ("bench-1m", 2027)}
NOISE, NOISE_MIN = "bench-noise", 100_000
TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 0.5, 500, 20
BRIEFS: dict[str, dict[str, Any]] = {
    "typical": {
        "title": "Benchmark: summer street food",
        "niches": ["food"],
        "target_countries": ["BE", "FR"],
        "languages": ["fr"],
        "platforms": ["instagram"],
        "deliverables": [{"platform": "instagram", "type": "post", "quantity": 2, "content_creation": True}],
        "compensation_kind": "full",
        "cash_per_influencer_minor": 50_000,
        "total_budget_minor": 250_000,
        "slots": 5,
        "wanted_tiers": ["micro"],
        "min_engagement": 0.01,
    },
    "broad": {
        "title": "Benchmark: new season looks",
        "niches": ["fashion", "lifestyle"],
        "target_countries": ["DE", "FR", "GB", "US"],
        "languages": [],
        "platforms": ["instagram", "tiktok"],
        "deliverables": [{"platform": "instagram", "type": "reel", "quantity": 1, "content_creation": True}],
        "compensation_kind": "mixed",
        "cash_per_influencer_minor": 20_000,
        "in_kind_description": "The new collection",
        "in_kind_value_minor": 30_000,
        "total_budget_minor": 200_000,
        "slots": 10,
        "wanted_tiers": [],
        "min_engagement": 0.0,
    },
}


def ensure_campaign(tenant_id: uuid.UUID, kind: str) -> uuid.UUID:
    """The tenant's published benchmark campaign of a kind (brand and owner made once)."""
    spec = BRIEFS[kind]
    with tenant_scope(tenant_id) as tenant:
        found = db.session.execute(
            select(Campaign.id).where(Campaign.title == spec["title"])
        ).scalar_one_or_none()
        if found:
            return found
        email = f"owner@{tenant.slug}.bench"
        owner = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if owner is None:
            owner = User(
                email=email, password_hash=demo_password_hash(), role="brand", display_name="Bench brand"
            )
            brand = Brand(name="Benchmark Brand", industry="food", country="FR")
            db.session.add_all([owner, brand])
            db.session.flush()
            db.session.add(BrandMember(brand_id=brand.id, user_id=owner.id, role="owner"))
        brand_id = db.session.execute(
            select(BrandMember.brand_id).where(BrandMember.user_id == owner.id)
        ).scalar()
        start = date.today() + timedelta(days=30)
        values = {
            **spec,
            "brand_id": brand_id,
            "description": "A benchmark brief.",
            "start_date": start,
            "end_date": start + timedelta(days=30),
            "application_deadline": start - timedelta(days=5),
        }
        validate_brief(values)
        campaign = Campaign(
            **values,
            created_by=owner.id,
            currency=tenant.currency,
            status="published",
            published_at=datetime.now(UTC),
        )
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def naive_top_k(campaign: Campaign, k: int) -> list[rules.MatchScore]:
    """Load every profile of the tenant with its rate card, filter and score all of them in Python."""
    rows = db.session.execute(
        select(
            P.id, P.display_name, P.niches, P.tier, P.engagement_rate, P.audience_countries, P.fraud_risk,
            P.accepts_in_kind, P.rating_avg, P.rating_count, P.verified, P.followers, P.platforms,
            P.languages, User.suspended_at,
        ).join(User, and_(User.tenant_id == P.tenant_id, User.id == P.user_id))
    ).all()  # fmt: skip
    cards: dict[uuid.UUID, dict[tuple[str, str, bool], int]] = defaultdict(dict)
    for profile_id, platform, deliverable, creation, price in db.session.execute(
        select(
            RatePrice.profile_id,
            RatePrice.platform,
            RatePrice.deliverable,
            RatePrice.content_creation,
            RatePrice.price_minor,
        )
    ):
        cards[profile_id][(platform, deliverable, creation)] = price
    excluded = set(
        db.session.execute(
            select(BrandExclusion.profile_id).where(BrandExclusion.brand_id == campaign.brand_id)
        ).scalars()
    )
    platforms, tiers, languages = set(campaign.platforms), set(campaign.wanted_tiers), set(campaign.languages)
    minimum = campaign.min_engagement or 0.0
    candidates = (
        candidate_features(r, cards.get(r.id, {}))
        for r in rows
        if r.suspended_at is None
        and r.id not in excluded
        and r.engagement_rate >= minimum
        and (not platforms or platforms & set(r.platforms))
        and (not tiers or r.tier in tiers)
        and (not languages or languages & set(r.languages))
    )
    return rules.rank(candidates, brief_of(campaign), k)


def _measure(action: Callable[[], Any], memory: bool) -> tuple[float, Any, float | None]:
    gc.collect()
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    db.session.rollback()
    return seconds, result, peak


class CandidateQuery:
    """Keeps the candidate statements of a run (those ranking by the upper bound) for EXPLAIN ANALYZE."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def start(self) -> None:
        """Forget the statements seen so far (call before the run to explain)."""
        self.statements = []

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if "AS upper" in statement and not statement.startswith("EXPLAIN"):
            self.statements.append((statement, parameters))

    def explain(self) -> list[list[str]]:
        """EXPLAIN (ANALYZE, BUFFERS) of each candidate statement of the run, as text lines, with the
        session settings the service uses."""
        plans = []
        for statement, parameters in self.statements:
            connection = db.session.connection()
            for name, value in SESSION_SETTINGS.items():
                connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
            rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
            db.session.rollback()
            plans.append([row[0] for row in rows])
        return plans


def bench_campaign(tenant_id: uuid.UUID, kind: str, runs: int, naive: bool, capture: CandidateQuery) -> dict:
    """Time the service and the naive baseline on one campaign of one tenant."""
    campaign_id = ensure_campaign(tenant_id, kind)
    with tenant_scope(tenant_id):
        k = current_tenant().match_top_k
        run_matching(campaign_id)  # warm-up: caches, plans
        timings = [_measure(lambda: run_matching(campaign_id), memory=False) for _ in range(runs)]
        seconds = [t[0] for t in timings]
        job = timings[-1][1]
        capture.start()
        _, _, service_peak = _measure(lambda: run_matching(campaign_id), memory=True)
        stored = list(
            db.session.execute(
                select(CampaignMatch.profile_id)
                .where(CampaignMatch.campaign_id == campaign_id)
                .order_by(CampaignMatch.rank)
            ).scalars()
        )
        plans = capture.explain()
        figures: dict[str, Any] = {
            "campaign": BRIEFS[kind],
            "service": {
                "median_seconds": round(statistics.median(seconds), 4),
                "min_seconds": round(min(seconds), 4),
                "max_seconds": round(max(seconds), 4),
                "runs": runs,
                "python_peak_mb": round(service_peak, 1),
                "candidates_scored": job["candidates_scored"],
                "statements": job["statements"],
                "groups_searched": job["groups_searched"],
                "range_searched": job["range_searched"],
                "thresholds": job["thresholds"],
                "matches": job["matches"],
                "exact": job["exact"],
                "compute_seconds": job["seconds"],
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            "candidate_query_plans": plans,
        }
        if naive:
            campaign = get_or_404(Campaign, campaign_id)
            naive_seconds, naive_result, _ = _measure(lambda: naive_top_k(campaign, k), memory=False)
            campaign = get_or_404(Campaign, campaign_id)
            _, _, naive_peak = _measure(lambda: naive_top_k(campaign, k), memory=True)
            figures["naive"] = {
                "seconds": round(naive_seconds, 3),
                "python_peak_mb": round(naive_peak, 1),
                "same_top_k": [s.influencer_id for s in naive_result] == stored,
            }
            figures["speedup"] = round(naive_seconds / statistics.median(seconds), 1)
        return figures


def main(argv: list[str] | None = None) -> None:
    """Generate (or reuse) the tenants, run both matchers on each brief, print and save the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="tenant sizes to measure (100000, 1000000)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    app = bench_app()
    noise = ensure_tenant(app, NOISE, NOISE_MIN, seed=7, at_least=True)
    results: dict[str, Any] = {}
    capture = CandidateQuery()
    for size in sizes:
        slug, seed = TENANTS[size]
        tenant = ensure_tenant(app, slug, size, seed=seed)
        results[slug] = {"tenant": tenant, "campaigns": {}}
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", capture)
            for kind in BRIEFS:
                figures = bench_campaign(
                    uuid.UUID(tenant["tenant_id"]), kind, args.runs, not args.skip_naive, capture
                )
                results[slug]["campaigns"][kind] = figures
                _print(slug, kind, figures)
            event.remove(db.engine, "before_cursor_execute", capture)
    report = {
        "benchmark": "matching",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "noise_tenant": noise,
        "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB, "speedup": TARGET_RATIO},
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
        "environment": environment(),
        "note": "python_peak_mb is tracemalloc's peak of Python allocations during the call; the "
        "database server's memory (work_mem per sort) is not included; process_max_rss_mb is the "
        "benchmark process's high-water mark, naive runs included.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")


def _print(slug: str, kind: str, figures: dict[str, Any]) -> None:
    service = figures["service"]
    print(
        f"{slug} {kind}: run_matching median {service['median_seconds']:.3f} s "
        f"(min {service['min_seconds']:.3f}, {service['statements']} statements, "
        f"{service['candidates_scored']} candidates scored, exact={service['exact']}), "
        f"Python peak {service['python_peak_mb']:.1f} MB, load average {service['load_average']}"
    )
    if "naive" in figures:
        naive = figures["naive"]
        print(
            f"{slug} {kind}: naive {naive['seconds']:.2f} s, Python peak {naive['python_peak_mb']:.0f} MB, "
            f"same top K: {naive['same_top_k']}; speedup {figures['speedup']}x"
        )
    for number, plan in enumerate(figures["candidate_query_plans"], start=1):
        print(f"  candidate statement {number} (EXPLAIN ANALYZE):")
        for line in plan:
            print(f"    {line}")


if __name__ == "__main__":
    main()
