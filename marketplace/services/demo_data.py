"""Demo data: plausible influencers, brands and campaigns for one tenant, fast and deterministic.

Every generated user logs in with DEMO_PASSWORD: hashing argon2 per user would take hours for a
million users, so all of them share one hash computed once per process. Emails are
`inf{n}@<tenant slug>.demo` (influencers) and `brand{n}@<tenant slug>.demo` (brand owners); a new run
numbers after the users already generated in the tenant, so it only ever adds.

Rows go in batches of BATCH influencers, one transaction per batch: PostgreSQL through COPY
(psycopg 3), any other database (SQLite for `make run`) through SQLAlchemy Core `insert()`; a
thread builds the next batch while the database takes the current one. The rows themselves come
from marketplace.services.demo_profiles (pure, deterministic per seed and influencer number).
Fraud risk is left unassessed (NULL), as for any profile the fraud job has not seen yet; the
summary names the planted fakes instead.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import func, insert, select, text

from marketplace.extensions import db
from marketplace.models import InfluencerProfile, MetricSnapshot, RatePrice, SocialAccount, User
from marketplace.models.base import utcnow
from marketplace.services import demo_profiles as rows_of
from marketplace.services.auth import hash_password
from marketplace.services.demo_campaigns import BrandsSummary, add_brands_and_campaigns
from marketplace.tenancy import current_tenant, sync_session_tenant, tenant_scope

DEMO_PASSWORD = "Demo-Influencer-2026!"  # noqa: S105 - documented demo users' password  # nosec B105
BATCH = 5_000
Progress = Callable[[int, int], None]
_ID, _TIER = rows_of.PROFILE_COLUMNS.index("id"), rows_of.PROFILE_COLUMNS.index("tier")

_TABLES = (
    (User.__table__, rows_of.USER_COLUMNS, "user"),
    (InfluencerProfile.__table__, rows_of.PROFILE_COLUMNS, "profile"),
    (SocialAccount.__table__, rows_of.ACCOUNT_COLUMNS, "accounts"),
    (MetricSnapshot.__table__, rows_of.SNAPSHOT_COLUMNS, "snapshots"),
    (RatePrice.__table__, rows_of.RATE_COLUMNS, "rates"),
)

__all__ = [
    "BATCH",
    "DEMO_PASSWORD",
    "BrandsSummary",
    "GenerationSummary",
    "demo_password_hash",
    "generate_brands_and_campaigns",
    "generate_influencers",
    "generated_influencer_count",
]


@dataclass
class GenerationSummary:
    """What one run generated, with the labels of the planted fake-follower profiles."""

    tenant_id: uuid.UUID
    seed: int
    first_number: int
    count: int
    fake_profile_ids: list[uuid.UUID] = field(default_factory=list)
    fake_numbers: list[int] = field(default_factory=list)
    tiers: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (ids as strings)."""
        return {
            "tenant_id": str(self.tenant_id),
            "seed": self.seed,
            "first_number": self.first_number,
            "count": self.count,
            "fake_profile_ids": [str(i) for i in self.fake_profile_ids],
            "fake_numbers": self.fake_numbers,
            "tiers": self.tiers,
            "rows": self.rows,
            "seconds": self.seconds,
        }


@cache
def demo_password_hash() -> str:
    """The argon2id hash of DEMO_PASSWORD shared by every generated user (computed once per process).

    Made by the login's own hasher, so generated users never need a rehash on their first login.
    """
    return hash_password(DEMO_PASSWORD)


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def generated_influencer_count(tenant_id: uuid.UUID) -> int:
    """How many generated influencers (`inf{n}@<slug>.demo`) the tenant has."""
    with tenant_scope(tenant_id) as tenant:
        return _count_emails(f"inf%@{tenant.slug}.demo")


def _count_emails(pattern: str) -> int:
    return db.session.execute(
        select(func.count()).select_from(User).where(User.email.like(pattern))
    ).scalar_one()


def generate_influencers(
    tenant_id: uuid.UUID, count: int, *, seed: int = 2026, progress: Progress | None = None
) -> GenerationSummary:
    """Add `count` generated influencers to a tenant, numbered after those it has already.

    Args:
        tenant_id: the tenant that receives them.
        count: how many influencers to add.
        seed: the same seed gives the same influencers (ids differ between tenants).
        progress: called as progress(done, count) after every committed batch.
    """
    started = time.perf_counter()
    with tenant_scope(tenant_id) as tenant:
        first = _count_emails(f"inf%@{tenant.slug}.demo") + 1
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        ctx = rows_of.TenantContext(
            tenant_id=tenant.id,
            slug=tenant.slug,
            currency=tenant.currency,
            thresholds=dict(tenant.tier_thresholds),
            now=today,
            password_hash=demo_password_hash(),
            seed=seed,
        )
        summary = GenerationSummary(tenant_id=tenant.id, seed=seed, first_number=first, count=count)
        tiers: Counter[str] = Counter()
        written: Counter[str] = Counter()
        postgres = _is_postgres()
        db.session.commit()  # end the read transaction: every batch is its own
        for batch in _batches(first, count, ctx):
            for item in batch:
                tiers[item.profile[_TIER]] += 1
                if item.fake:
                    summary.fake_numbers.append(item.number)
                    summary.fake_profile_ids.append(item.profile[_ID])
            for table, columns, attribute in _TABLES:
                chunk = _flatten(getattr(item, attribute) for item in batch)
                (_copy_rows if postgres else _insert_rows)(table, columns, chunk)
                written[table.name] += len(chunk)
            db.session.commit()
            if progress is not None:
                progress(batch[-1].number - first + 1, count)
        if postgres and count:
            db.session.execute(text(f"ANALYZE {', '.join(t.name for t, _, _ in _TABLES)}"))
            db.session.commit()
    summary.tiers = dict(sorted(tiers.items()))
    summary.rows = dict(written)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _batches(first: int, count: int, ctx: rows_of.TenantContext) -> Iterator[list[rows_of.InfluencerRows]]:
    """Batches of generated rows; the next batch is built in a thread while the database writes this one."""
    bounds = [(start, min(start + BATCH, first + count)) for start in range(first, first + count, BATCH)]

    def build(low: int, high: int) -> list[rows_of.InfluencerRows]:
        return [rows_of.build_influencer(n, ctx) for n in range(low, high)]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-data") as pool:
        upcoming = pool.submit(build, *bounds[0]) if bounds else None
        for index in range(len(bounds)):
            batch = upcoming.result()
            upcoming = pool.submit(build, *bounds[index + 1]) if index + 1 < len(bounds) else None
            yield batch


def _flatten(parts: Iterable[Any]) -> list[tuple]:
    rows: list[tuple] = []
    for part in parts:
        if isinstance(part, tuple):
            rows.append(part)
        else:
            rows.extend(part)
    return rows


def _copy_rows(table: Any, columns: Sequence[str], rows: list[tuple]) -> None:
    """COPY rows into a table on the session's own connection and transaction (PostgreSQL).

    PostgreSQL refuses COPY FROM into a table whose row-level security applies to the current role
    (the app's role; the owner is exempt): then the rows go through a temporary table and one
    INSERT ... SELECT, which the tenant policy checks like any other insert.
    """
    sync_session_tenant(db.session)
    raw = db.session.connection().connection.driver_connection
    wrap = [i for i, name in enumerate(columns) if name in rows_of.JSON_COLUMNS]
    names = ", ".join(columns)
    target = table.name
    with raw.cursor() as cursor:
        secured = cursor.execute("SELECT row_security_active(%s)", (table.name,)).fetchone()
        if secured and secured[0]:
            target = f"copy_{table.name}"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} (LIKE {table.name} INCLUDING DEFAULTS)"
                " ON COMMIT DROP"
            )
    _copy_into(raw, target, names, wrap, rows)
    if target != table.name:
        with raw.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {target}")  # noqa: S608  # nosec B608
            cursor.execute(f"TRUNCATE {target}")


def _copy_into(raw: Any, target: str, names: str, wrap: list[int], rows: list[tuple]) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        write = copy.write_row
        if not wrap:
            for row in rows:
                write(row)
            return
        for row in rows:
            values = list(row)
            for i in wrap:
                values[i] = Jsonb(values[i])
            write(values)


def _insert_rows(table: Any, columns: Sequence[str], rows: list[tuple]) -> None:
    """Core executemany insert (SQLite and any database without COPY)."""
    if rows:
        db.session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def generate_brands_and_campaigns(
    tenant_id: uuid.UUID, *, brands: int = 4, campaigns: int = 8, seed: int = 2026
) -> BrandsSummary:
    """Add brands (each owned by a generated brand user) and valid campaigns, half of them published.

    Args:
        tenant_id: the tenant that receives them.
        brands: how many brands (and owner users) to add.
        campaigns: how many campaigns, spread over the new brands; even ones are published.
        seed: the same seed gives the same brands and briefs.
    """
    with tenant_scope(tenant_id):
        tenant = current_tenant()
        first = _count_emails(f"brand%@{tenant.slug}.demo") + 1
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        summary = add_brands_and_campaigns(
            tenant, first, brands, campaigns, seed, demo_password_hash(), today
        )
        db.session.commit()
        return summary
