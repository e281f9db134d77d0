"""tier platform: an influencer may choose the account their tier is read from

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:10:00

- influencer_profiles.tier_platform: the platform whose largest account gives the profile's tier
  (the spec's "largest (or chosen) social account"); NULL, as every existing profile is: the
  largest account of all, as before (services/influencers.tier_followers). Nullable, no default:
  adding it rewrites nothing, and no tier changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("influencer_profiles", sa.Column("tier_platform", sa.String(length=20), nullable=True))


def downgrade():
    # Not batch mode: SQLite would rebuild the table, whose generated columns it cannot copy (as 0013).
    op.execute("ALTER TABLE influencer_profiles DROP COLUMN tier_platform")
