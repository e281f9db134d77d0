"""matching: the score's brief-independent part as a generated column, covering index, filters GIN

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 02:30:00

- influencer_profiles.match_static: 0.12 authenticity + 0.10 engagement + 0.04 reputation + 0.03
  verified of domain.matching (the part of the score no brief changes), a column the database
  computes from the profile's own columns on every write (STORED on PostgreSQL, VIRTUAL on SQLite),
  so no writer can leave it stale. The expression is marketplace.models.influencer.MATCH_STATIC_SQL
  as of this revision; changing those weights means a new migration that redefines it.
- ix_influencer_profiles_match (PostgreSQL): btree on (tenant_id, match_static, accepts_in_kind, id)
  including every column the matching search reads: it walks a tenant's profiles best first, or over
  a range of match_static (skipping, within the index, those whose in-kind answer caps their budget
  term too low; id makes the order total, so a range can start right after what a first walk read),
  without visiting the table. A plain column, not an expression index: under row-level security
  only leakproof conditions drive an index scan, and arithmetic is not leakproof.
- ix_influencer_profiles_match_filters (PostgreSQL): GIN over (tenant_id, niches, platforms,
  languages): a brief's filters intersect in one index scan (the separate GIN indexes all lead with
  tenant_id, and the planner never ANDs two bitmaps whose conditions overlap).

On PostgreSQL adding the column rewrites the table under an exclusive lock (about a minute for 1.2
million profiles on a small machine); VACUUM ANALYZE then marks the pages all-visible, which the
index-only scans need, and gathers the new statistics.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STATIC_SQL = (
    "0.12::float8 * (1.0::float8 - least(greatest(coalesce(fraud_risk, 0.5::float8), 0.0::float8),"
    " 1.0::float8))"
    " + 0.1::float8 * least(greatest(greatest(engagement_rate, 0.0::float8) / CASE tier"
    " WHEN 'nano' THEN 0.05::float8 WHEN 'micro' THEN 0.035::float8 WHEN 'macro' THEN 0.02::float8"
    " WHEN 'mega' THEN 0.012::float8 ELSE 0.035::float8 END / 1.5::float8, 0.0::float8), 1.0::float8)"
    " + 0.04::float8 * least(greatest((coalesce(rating_avg, 0.0::float8)"
    " * CASE WHEN rating_avg IS NULL THEN 0.0::float8 ELSE greatest(rating_count, 0)::float8 END"
    " + 10.5::float8) / (CASE WHEN rating_avg IS NULL THEN 0.0::float8"
    " ELSE greatest(rating_count, 0)::float8 END + 3.0::float8) / 5.0::float8, 0.0::float8), 1.0::float8)"
    " + 0.03::float8 * CASE WHEN verified THEN 1.0::float8 ELSE 0.0::float8 END"
)
# The same in SQLite's words (min/max of several arguments for least/greatest).
STATIC_SQLITE = (
    "0.12 * (1.0 - min(max(coalesce(fraud_risk, 0.5), 0.0), 1.0))"
    " + 0.1 * min(max(max(engagement_rate, 0.0) / CASE tier WHEN 'nano' THEN 0.05 WHEN 'micro' THEN 0.035"
    " WHEN 'macro' THEN 0.02 WHEN 'mega' THEN 0.012 ELSE 0.035 END / 1.5, 0.0), 1.0)"
    " + 0.04 * min(max((coalesce(rating_avg, 0.0)"
    " * CASE WHEN rating_avg IS NULL THEN 0.0 ELSE max(rating_count, 0) * 1.0 END + 10.5)"
    " / (CASE WHEN rating_avg IS NULL THEN 0.0 ELSE max(rating_count, 0) * 1.0 END + 3.0) / 5.0, 0.0), 1.0)"
    " + 0.03 * CASE WHEN verified THEN 1.0 ELSE 0.0 END"
)
INCLUDED = [
    "user_id",
    "niches",
    "platforms",
    "languages",
    "tier",
    "engagement_rate",
    "audience_countries",
    "fraud_risk",
    "rating_avg",
    "rating_count",
    "verified",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute(
            "ALTER TABLE influencer_profiles ADD COLUMN match_static FLOAT"
            f" GENERATED ALWAYS AS ({STATIC_SQLITE}) VIRTUAL"
        )
        return
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(
        "ALTER TABLE influencer_profiles ADD COLUMN match_static DOUBLE PRECISION"
        f" GENERATED ALWAYS AS ({STATIC_SQL}) STORED"
    )
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_influencer_profiles_match_filters",
            ["tenant_id", "niches", "platforms", "languages"],
            unique=False,
            postgresql_using="gin",
        )
        batch_op.create_index(
            "ix_influencer_profiles_match",
            ["tenant_id", "match_static", "accepts_in_kind", "id"],
            unique=False,
            postgresql_include=INCLUDED,
        )
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) influencer_profiles")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.execute("ALTER TABLE influencer_profiles DROP COLUMN match_static")
        return
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_influencer_profiles_match")
        batch_op.drop_index("ix_influencer_profiles_match_filters", postgresql_using="gin")
        batch_op.drop_column("match_static")
