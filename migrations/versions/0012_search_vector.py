"""free-text search: the profile's tsvector as a stored generated column, GIN-indexed

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 07:30:00

PostgreSQL only (SQLite, the embedded default, matches free text with LIKE on search_text).

- influencer_profiles.search_vector: `to_tsvector('simple', search_text)`, a column the database
  computes on every write of search_text (GENERATED ... STORED), so no writer can leave it stale and
  none may write it. Ranking (`ts_rank`) reads it instead of parsing every match's text again: that
  re-parsing was most of a relevance search's time (docs/search.md).
- ix_influencer_profiles_search_vector: GIN over (tenant_id, search_vector) (tenant_id through
  btree_gin, migration 0002, like every GIN index here): replaces the expression index
  ix_influencer_profiles_search over (tenant_id, to_tsvector('simple', search_text)). A plain column
  under `@@`, whose function ts_match_vq is LEAKPROOF (migration 0011), so the index serves the
  app's role under row-level security.

Adding the column rewrites the table under an exclusive lock, computing every profile's vector;
VACUUM ANALYZE then gathers the column's statistics (the most common words, by which the planner
estimates a query's matches) and marks the pages all-visible. All of it took 9 s for 110,000
profiles on the shared 2-vCPU development box (so roughly 1.5 min for a million).
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

VECTOR_SQL = "to_tsvector('simple'::regconfig, search_text)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(
        "ALTER TABLE influencer_profiles ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({VECTOR_SQL}) STORED"
    )
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_influencer_profiles_search", postgresql_using="gin")
        batch_op.create_index(
            "ix_influencer_profiles_search_vector",
            ["tenant_id", "search_vector"],
            unique=False,
            postgresql_using="gin",
        )
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) influencer_profiles")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(
        "CREATE INDEX ix_influencer_profiles_search ON influencer_profiles"
        f" USING gin (tenant_id, ({VECTOR_SQL}))"
    )
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_influencer_profiles_search_vector", postgresql_using="gin")
        batch_op.drop_column("search_vector")
