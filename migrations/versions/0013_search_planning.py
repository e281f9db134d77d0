"""search: profiles carry their owner's suspension, the engagement index covers a search, fewer GINs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 03:00:00

A search spent more of PostgreSQL's time planning than running (docs/PERFORMANCE.md):

- influencer_profiles.owner_suspended: whether the profile's user is suspended, written by the
  moderation service in the same transaction as users.suspended_at (services/moderation.py). The
  search excluded suspended users' profiles with `user_id NOT IN (SELECT ... FROM users ...)`, a
  second query to plan (the users table, its indexes and its row-level-security policy) in every
  search; it now tests the profile's own column. Filled here from users.suspended_at.
- ix_influencer_profiles_niches, _languages, _platforms (GIN over (tenant_id, one array)): dropped.
  ix_influencer_profiles_match_filters (GIN over (tenant_id, niches, platforms, languages),
  migration 0010) answers a condition on any of its columns as well as a one-column index does (a
  GIN index keeps each column's keys apart), and the planner costed all four for every search, since
  each leads with tenant_id (btree_gin). Its SQLite counterparts were plain B-trees over a JSON
  column, which no query used.
- ix_influencer_profiles_tenant_engagement (PostgreSQL) includes what a search by engagement reads
  besides its key (models.influencer.SEARCH_COLUMNS: the columns a result shows and those its filters
  test), so that search, the default order without free text, is an index-only scan: its filters
  are tested on the index's entries rather than on each row fetched from the table
  (`niche=food&country=FR` passed over 1,130 profiles for its first page, 1,155 table pages; 36 index
  pages now). 23 MB instead of 8 for 100,000 profiles. VACUUM ANALYZE then marks the table's pages
  all-visible, which index-only scans need (autovacuum keeps them so).

Measured with pgbench on the 100,000-profile benchmark tenant (the search's message: SET LOCAL and
a niche search): 4,450 messages/s before, 6,030 without the subquery, 8,150 with both changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ONE_ARRAY_INDEXES = ("niches", "languages", "platforms")
ENGAGEMENT = "ix_influencer_profiles_tenant_engagement"
ENGAGEMENT_KEY = ["tenant_id", "engagement_rate", "id"]
# models.influencer.SEARCH_COLUMNS as of this revision, copied rather than imported (as 0010 copies
# MATCH_COLUMNS): a later change to the model's list needs a migration of its own, not a new past.
SEARCH_COLUMNS = [
    "owner_suspended",
    "display_name",
    "country",
    "languages",
    "niches",
    "platforms",
    "followers",
    "tier",
    "verified",
    "rating_avg",
    "fraud_risk",
]


# Every profile whose user is suspended now (the migration's owner role: no row-level security).
FILL_OWNER_SUSPENDED = (
    "UPDATE influencer_profiles SET owner_suspended = true WHERE EXISTS (SELECT 1 FROM users"
    " WHERE users.tenant_id = influencer_profiles.tenant_id AND users.id = influencer_profiles.user_id"
    " AND users.suspended_at IS NOT NULL)"
)


def upgrade():
    # Plain ALTER TABLE, not a batch: SQLite's batch copies the table, generated columns included.
    op.add_column(
        "influencer_profiles",
        sa.Column("owner_suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for column in ONE_ARRAY_INDEXES:
        op.drop_index(f"ix_influencer_profiles_{column}", table_name="influencer_profiles")
    op.execute(FILL_OWNER_SUSPENDED)
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE: its engagement index stays as it was
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.drop_index(ENGAGEMENT, table_name="influencer_profiles")
    op.create_index(ENGAGEMENT, "influencer_profiles", ENGAGEMENT_KEY, postgresql_include=SEARCH_COLUMNS)
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) influencer_profiles")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(ENGAGEMENT, table_name="influencer_profiles")
        op.create_index(ENGAGEMENT, "influencer_profiles", ENGAGEMENT_KEY)
    for column in ONE_ARRAY_INDEXES:
        op.create_index(
            f"ix_influencer_profiles_{column}",
            "influencer_profiles",
            ["tenant_id", column],
            unique=False,
            postgresql_using="gin",
        )
    op.execute("ALTER TABLE influencer_profiles DROP COLUMN owner_suspended")
