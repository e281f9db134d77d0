"""Benchmark: typical influencer searches through the real service on 100,000 generated profiles.

Generates (once, reused afterwards) 100,000 influencers in tenant `bench-100k` and at least 10,000 in
`bench-noise` on PostgreSQL, then times each search ~50 times through
marketplace.services.search.search_influencers as an admin of `bench-100k`, prints p50/p99 and the
indexes of each query's plan (EXPLAIN, no ANALYZE; --analyze adds EXPLAIN ANALYZE timings), and
writes bench/results/search.json.

Usage: .venv/bin/python bench/search.py [--runs 50] [--analyze] [--out bench/results/search.json]
Env:   BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/marketplace_bench)
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_db import bench_app, ensure_admin, ensure_tenant, environment

from marketplace.dbpool import run_autocommit
from marketplace.extensions import db
from marketplace.schemas.influencers import SearchArgsSchema
from marketplace.services import one_message
from marketplace.services.search import search_influencers
from marketplace.tenancy import tenant_scope

DEFAULT_OUT = Path(__file__).parent / "results" / "search.json"
MAIN, MAIN_COUNT, NOISE, NOISE_MIN = "bench-100k", 100_000, "bench-noise", 10_000
TARGET_P50_MS = 50.0
# name -> query string arguments, as GET /api/v1/influencers would receive them.
SEARCHES: dict[str, dict[str, Any]] = {
    "niche=food": {"niche": ["food"]},
    "niche=food+country=FR": {"niche": ["food"], "country": ["FR"]},
    "niche=fashion+related+language=fr": {"niche": ["fashion"], "related": True, "language": ["fr"]},
    "platform=instagram+tier=micro": {"platform": ["instagram"], "tier": ["micro"]},
    "rare: niche=art+country=SE+tier=macro": {"niche": ["art"], "country": ["SE"], "tier": ["macro"]},
    "followers 10k-100k+engagement 2-6%, sort -followers": {
        "min_followers": 10_000,
        "max_followers": 100_000,
        "min_engagement": 0.02,
        "max_engagement": 0.06,
        "sort": "-followers",
    },
    "q='street food'": {"q": "street food"},
    "q=handle prefix name": {"q": "lea"},
    "max_rate 300 EUR instagram post, sort rate": {
        "deliverable": "post",
        "rate_platform": "instagram",
        "max_rate": 30_000,
        "sort": "rate",
    },
    "sort newest": {"sort": "newest"},
    "sort -rating": {"sort": "-rating"},
    "niche=food page 2 (cursor)": {"niche": ["food"], "_page": 2},
    "niche=food page 20 (cursor)": {"niche": ["food"], "_page": 20},
}


class StatementCapture:
    """Keeps the SQL and values of the last search the service sent.

    On PostgreSQL a search is one message, the row-level-security tenant then the SELECT
    (services/one_message.py); `install` wraps the function that sends it and keeps both.
    """

    def __init__(self) -> None:
        self.statement: str | None = None
        self.parameters: Any = None

    def install(self) -> None:
        """Keep every message one_message sends (this benchmark's process only)."""
        send = one_message.run_autocommit

        def capturing(sql: str, values: dict[str, Any], results: int, **options: Any) -> Any:
            if "influencer_profiles" in sql:
                self.statement, self.parameters = sql, values
            return send(sql, values, results, **options)

        one_message.run_autocommit = capturing  # type: ignore[assignment]


def _args(query: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
    raw = {k: v for k, v in query.items() if not k.startswith("_")}
    if cursor:
        raw["cursor"] = cursor
    return SearchArgsSchema().load(raw)


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


def explain(capture: StatementCapture, analyze: bool) -> dict[str, Any]:
    """Index names and scan types of the captured statement's plan (and timings with analyze)."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    if capture.statement is None:
        raise SystemExit("no search statement was captured")
    set_tenant, _, select = capture.statement.partition("; ")
    # The same message with the SELECT explained: the same tenant, values and row-level security.
    document = run_autocommit(f"{set_tenant}; EXPLAIN ({options}) {select}", capture.parameters, results=2)[
        -1
    ][0][0]
    document = json.loads(document) if isinstance(document, str) else document
    nodes = _plan_nodes(document[0]["Plan"])
    summary = {
        "indexes": sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
        "scans": sorted({f"{n['Node Type']} on {n['Relation Name']}" for n in nodes if "Relation Name" in n}),
        "seq_scans": sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}),
    }
    if analyze:
        summary["execution_ms"] = document[0]["Execution Time"]
        summary["plan"] = _plan_text(document[0]["Plan"])
    return summary


def _plan_text(plan: dict[str, Any], depth: int = 0) -> list[str]:
    where = plan.get("Index Name") or plan.get("Relation Name") or ""
    line = (
        f"{'  ' * depth}{plan['Node Type']} {where} rows={plan.get('Actual Rows')} "
        f"loops={plan.get('Actual Loops')} ms={plan.get('Actual Total Time')}"
    )
    return [line] + [row for child in plan.get("Plans", []) for row in _plan_text(child, depth + 1)]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def run_search(
    admin: Any, query: dict[str, Any], runs: int, capture: StatementCapture, analyze: bool
) -> dict:
    """Time one search `runs` times (after warming up) and explain its query."""
    cursor = None
    for _ in range(query.get("_page", 1) - 1):
        cursor = search_influencers(admin, _args(query, cursor)).next_cursor
    args = _args(query, cursor)
    for _ in range(3):
        page = search_influencers(admin, args)
        db.session.rollback()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        page = search_influencers(admin, args)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    plan = explain(capture, analyze)
    db.session.rollback()
    return {
        "query": {k: v for k, v in query.items()},
        "results_on_page": len(page.items),
        "has_next_page": page.next_cursor is not None,
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(_percentile(timings, 0.99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "runs": runs,
        **plan,
    }


def main(argv: list[str] | None = None) -> None:
    """Generate (or reuse) the data, time every search, print and save the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--analyze", action="store_true", help="also EXPLAIN ANALYZE each query")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    app = bench_app()
    main_tenant = ensure_tenant(app, MAIN, MAIN_COUNT, seed=2026)
    noise = ensure_tenant(app, NOISE, NOISE_MIN, seed=7, at_least=True)
    capture = StatementCapture()
    results: dict[str, Any] = {}
    with app.app_context():
        capture.install()
        admin = ensure_admin(main_tenant["tenant_id"])
        with tenant_scope(main_tenant["tenant_id"]):
            db.session.refresh(admin)
            db.session.expunge(admin)
            print(f"{'search':<55} {'p50 ms':>8} {'p99 ms':>8}  indexes")
            for name, query in SEARCHES.items():
                figures = run_search(admin, query, args.runs, capture, args.analyze)
                results[name] = figures
                slow = "  <-- over target" if figures["p50_ms"] > TARGET_P50_MS else ""
                seq = f"  SEQ SCAN {', '.join(figures['seq_scans'])}" if figures["seq_scans"] else ""
                print(
                    f"{name:<55} {figures['p50_ms']:>8.2f} {figures['p99_ms']:>8.2f}  "
                    f"{', '.join(figures['indexes']) or '-'}{seq}{slow}"
                )
                for line in figures.get("plan", []):
                    print(f"      {line}")
    report = {
        "benchmark": "search",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tenant": main_tenant,
        "noise_tenant": noise,
        "target_p50_ms": TARGET_P50_MS,
        "searches": results,
        "environment": environment(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
