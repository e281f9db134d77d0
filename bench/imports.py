"""Benchmark: a 10,000-row roster imported through marketplace.services.imports on PostgreSQL.

Rebuilds its own database's schema with the migrations (default
postgresql://postgres@127.0.0.1:5432/marketplace_bench_import), generates a deterministic roster
(most influencers on one row, about one in nine with a second account on a second row, 1 % invalid
rows), stores it as an upload would and runs the import the job runs (run_import), timing each
phase from its progress reports. Then imports the same file again, which must report every
influencer unchanged. Prints rows/s and seconds, and writes bench/results/imports.json.

Usage: .venv/bin/python bench/imports.py [--rows 10000] [--seed 11] [--out bench/results/imports.json]
Env:   BENCH_IMPORT_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/marketplace_bench_import)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from marketplace import create_app
from marketplace.domain.niches import NICHES
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, MetricSnapshot, SocialAccount, User
from marketplace.services import imports
from marketplace.services.contracts import storage
from marketplace.services.tenants import create_tenant
from marketplace.tenancy import tenant_scope

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/marketplace_bench_import"
DEFAULT_OUT = Path(__file__).parent / "results" / "imports.json"
TARGET_SECONDS = 60.0
PLATFORMS = ("instagram", "tiktok", "youtube")
COUNTRIES = ("FR", "BE", "DE", "ES", "IT", "GB", "US", "NL")
LANGUAGES = ("fr", "en", "de", "es", "it", "nl")


def bench_app(url: str) -> Flask:
    """An app on the benchmark database, its schema dropped and rebuilt by the migrations."""
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    instance = tempfile.mkdtemp(prefix="bench-import-")
    app = create_app(
        {
            "env": "development",
            "database_url": url,
            "redis_url": None,
            "log_level": "WARNING",
            "instance_dir": instance,
            "storage_dir": f"{instance}/storage",
        }
    )
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
    return app


def roster(rows: int, seed: int) -> tuple[bytes, int]:
    """A deterministic roster of `rows` rows; returns the CSV bytes and the number of invalid rows."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(imports.COLUMNS)
    invalid = number = 0
    while number < rows:
        person = number
        email = f"creator{person}@agency.example"
        languages = ";".join(rng.sample(LANGUAGES, rng.randint(1, 2)))
        niches = ";".join(rng.sample(NICHES, rng.randint(1, 3)))
        country = rng.choice(COUNTRIES)
        accounts = 2 if rng.random() < 0.125 else 1
        for index, platform in enumerate(rng.sample(PLATFORMS, accounts)):
            if number >= rows:
                break
            followers = int(10 ** rng.uniform(2.5, 6.5))
            likes = followers * rng.uniform(0.005, 0.08)
            cells = {
                "email": email,
                "display_name": f"Creator {person}",
                "country": country if index == 0 else "",
                "languages": languages if index == 0 else "",
                "niches": niches if index == 0 else "",
                "platform": platform,
                "handle": f"creator_{person}_{platform}",
                "followers": followers,
                "following": rng.randint(50, 3000),
                "avg_likes": round(likes, 1),
                "avg_comments": round(likes * rng.uniform(0.02, 0.08), 1),
                "avg_views": round(followers * rng.uniform(0.1, 0.6), 1) if platform != "instagram" else 0,
                "accepts_in_kind": rng.choice(("yes", "no")) if index == 0 else "",
                "min_cash_rate_minor": rng.randint(20, 2000) * 100 if index == 0 else "",
            }
            if rng.random() < 0.01:
                # A spreadsheet's thousands separator: "12,345" is not an integer.
                cells["followers"] = f"{max(followers, 1000):,}"
                invalid += 1
            writer.writerow([cells[name] for name in imports.COLUMNS])
            number += 1
    return buffer.getvalue().encode(), invalid


def timed_import(tenant_id: uuid.UUID, key: str) -> dict[str, Any]:
    """Run the job's import once; seconds in total, validating, and writing."""
    marks: list[tuple[float, int, int]] = []
    started = time.perf_counter()
    with tenant_scope(tenant_id):
        outcome = imports.run_import(key, progress=lambda d, t: marks.append((time.perf_counter(), d, t)))
    seconds = time.perf_counter() - started
    summary = outcome.summary()
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(summary["rows"] / seconds, 1),
        "validate_seconds": round(marks[0][0] - started, 3),
        "write_seconds": round(marks[-1][0] - marks[0][0], 3),
        "batches": len(marks) - 1,
        "progress_reports": len(marks),
        **{k: summary[k] for k in ("rows", "created", "updated", "unchanged", "error_rows")},
    }


def counts(tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows per table in the tenant."""
    with tenant_scope(tenant_id):
        return {
            model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (User, InfluencerProfile, SocialAccount, MetricSnapshot)
        }


def main(argv: list[str] | None = None) -> None:
    """Build the schema, import the generated roster twice, print and save the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)

    app = bench_app(url)
    content, invalid = roster(args.rows, args.seed)
    with app.app_context():
        tenant_id = create_tenant("bench-import", "Benchmark import", "EUR").id
        with tenant_scope(tenant_id):
            imports.read_header(content.decode())
            key = storage().put(f"{tenant_id}/imports/{uuid.uuid4()}.csv", content)
        print(f"roster: {args.rows:,} rows, {len(content) / 1e6:.2f} MB, {invalid} invalid", file=sys.stderr)
        first = timed_import(tenant_id, key)
        tables = counts(tenant_id)
        second = timed_import(tenant_id, key)
        assert second["created"] == second["updated"] == 0, second
        assert second["unchanged"] == first["created"], (first, second)
        assert counts(tenant_id) == tables, "the second import wrote rows"
        with db.engine.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar_one()

    one, two = first, second
    print(
        f"first import:  {one['rows']:,} rows in {one['seconds']:.2f} s "
        f"= {one['rows_per_second']:,.0f} rows/s"
    )
    print(
        f"  validate {one['validate_seconds']:.2f} s, write {one['write_seconds']:.2f} s in {one['batches']} "
        f"batches; created {one['created']:,} influencers, {one['error_rows']} rows in error"
    )
    print(
        f"second import: {two['seconds']:.2f} s = {two['rows_per_second']:,.0f} rows/s, "
        f"unchanged {two['unchanged']:,}"
    )
    verdict = "met" if one["seconds"] < TARGET_SECONDS else "MISSED"
    print(f"target: {args.rows:,} rows in under {TARGET_SECONDS:.0f} s: {verdict}")
    report = {
        "benchmark": "imports.run_import",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "seed": args.seed,
        "file_bytes": len(content),
        "invalid_rows": invalid,
        "batch_rows": imports.BATCH_ROWS,
        "first_import": first,
        "second_import_same_file": second,
        "tables_after": tables,
        "target_seconds": TARGET_SECONDS,
        "meets_target": first["seconds"] < TARGET_SECONDS,
        "environment": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "postgresql": server,
            "database": url.rpartition("/")[2],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
