"""Benchmark: render N contracts with varied terms in one process; print PDFs per second and save JSON.

Usage: .venv/bin/python bench/contracts.py [--n 200] [--seed 7] [--out bench/results/contracts.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from marketplace.contracts import layout
from marketplace.contracts.render import render_contract_pdf, render_contract_text
from marketplace.contracts.terms import (
    BrandParty,
    ContractTerms,
    Deliverable,
    DisclosureRule,
    Exclusivity,
    InfluencerParty,
    InKindItem,
    UsageRights,
)
from marketplace.domain.money import split_fee

TARGET_PER_SECOND = 20
DEFAULT_OUT = Path(__file__).parent / "results" / "contracts.json"
# About one name in five needs more than Latin-1, so the embedded-font path is measured as well.
INFLUENCERS = [
    ("Ines Runs", "Inês Duarte"),
    ("Marco Eats", None),
    ("Sophie Style", "Sophie Müller"),
    ("TechTom", "Tom O'Brien"),
    ("Zoë Travels", "Zoë Łukasz"),
    ("Ana Fit", "Ana García"),
    ("Dmitri Games", "Дмитрий Иванов"),
    ("Lea Beauty", "Léa Dubois"),
    ("Nina Parents", None),
    ("Kostas Sail", "Κώστας Παπαδόπουλος"),
]
BRANDS = [
    "Acme Sportswear Ltd",
    "Nordic Foods AB",
    "Maison Lumière SAS",
    "Pixel Forge GmbH",
    "Sunny Hotels SL",
]
PLATFORMS = [("instagram", ["post", "story", "reel"]), ("tiktok", ["video"]), ("youtube", ["video", "short"])]
LABELS = {"instagram": "Paid partnership", "tiktok": "Branded content", "youtube": "Includes paid promotion"}
CURRENCIES = ["EUR", "EUR", "USD", "GBP", "JPY", "SEK"]


def varied_terms(rng: random.Random, number: int) -> ContractTerms:
    """One contract's terms, drawn from the lists above."""
    currency = rng.choice(CURRENCIES)
    scale = 1 if currency == "JPY" else 100
    kind = rng.choice(["full", "full", "symbolic", "in_kind", "mixed"])
    cash = 0 if kind == "in_kind" else rng.randint(50, 5000 if kind != "symbolic" else 80) * scale
    fee_payer = rng.choice(["brand", "influencer"])
    split = split_fee(cash, rng.choice([1000, 1200, 1500]), fee_payer)
    items = [
        InKindItem(f"Product bundle {i + 1}", rng.randint(20, 600) * scale) for i in range(rng.randint(1, 3))
    ]
    display, legal = rng.choice(INFLUENCERS)
    start = date(2026, 3, 1) + timedelta(days=rng.randint(0, 200))
    deliverables = []
    for i in range(rng.randint(1, 8)):
        platform_name, types = rng.choice(PLATFORMS)
        due = start + timedelta(days=7 * (i + 1))
        deliverables.append(
            Deliverable(platform_name, rng.choice(types), rng.randint(1, 4), rng.random() < 0.7, due)
        )
    used_platforms = sorted({d.platform for d in deliverables})
    return ContractTerms(
        contract_id=f"bench-{number:05d}",
        tenant_name="Bench Agency",
        governing_law=rng.choice(["Ireland", "France", "the State of New York", "Germany"]),
        currency=currency,
        brand=BrandParty(rng.choice(BRANDS), "Jane Smith", "jane@brand.example"),
        influencer=InfluencerParty(display, f"creator{number}@example.com", legal_name=legal),
        campaign_title=f"Campaign {number}: {rng.choice(['spring launch', 'summer tour', 'holiday gifts'])}",
        deliverables=deliverables,
        compensation_kind=kind,
        cash_minor=cash,
        platform_fee_minor=split.platform_fee,
        fee_payer=fee_payer,
        influencer_net_minor=split.influencer_net,
        in_kind_items=items if kind in ("in_kind", "mixed") else [],
        usage_rights=UsageRights(
            rng.sample(["brand instagram", "brand website", "paid ads", "newsletter"], 2), 90
        ),
        exclusivity=Exclusivity("sportswear", rng.choice([14, 30, 60])) if rng.random() < 0.5 else None,
        disclosure=[DisclosureRule(p.title(), LABELS[p]) for p in used_platforms],
        revision_rounds=rng.randint(0, 3),
        cancellation_terms="Either party may cancel with 7 days notice before the first due date.",
        kill_fee_minor=rng.choice([0, 50 * scale, 200 * scale]),
        review_window_days=rng.choice([3, 5, 7]),
        dispute_process="The parties first try to settle within 14 days; then the Platform decides.",
        created=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=number),
    )


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark, print the figures and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="contracts to render (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the varied terms")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON result")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    all_terms = [varied_terms(rng, i) for i in range(args.n)]
    unicode_docs = sum(layout.fonts_for(render_contract_text(t)) is not layout.CORE_FONTS for t in all_terms)
    render_contract_pdf(all_terms[0])  # warm-up: template compile and font lookup, once per process

    durations: list[float] = []
    sizes: list[int] = []
    started = time.perf_counter()
    for terms in all_terms:
        t0 = time.perf_counter()
        sizes.append(len(render_contract_pdf(terms)))
        durations.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started

    per_second = args.n / seconds
    unicode_fonts = layout.unicode_fonts()
    ordered = sorted(durations)
    result: dict[str, object] = {
        "benchmark": "contracts.render_contract_pdf",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "fpdf2": version("fpdf2"),
        },
        "n": args.n,
        "seconds": round(seconds, 3),
        "per_second": round(per_second, 1),
        "target_per_second": TARGET_PER_SECOND,
        "meets_target": per_second >= TARGET_PER_SECOND,
        "ms_per_pdf": {
            "median": round(statistics.median(durations) * 1000, 1),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
            "max": round(ordered[-1] * 1000, 1),
        },
        "unicode_font_pdfs": unicode_docs,
        "unicode_font": str(unicode_fonts.files[""]) if unicode_fonts and unicode_fonts.files else None,
        "mean_pdf_bytes": round(statistics.mean(sizes)),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.n} contracts in {seconds:.2f} s: {per_second:.1f} PDFs/s "
        f"(target >= {TARGET_PER_SECOND}/s; {unicode_docs} with the embedded Unicode font) -> {args.out}"
    )
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["meets_target"] else 1)
