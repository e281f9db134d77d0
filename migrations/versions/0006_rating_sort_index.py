"""rating sort served by an expression index (unrated profiles last)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 00:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EXPRESSION = "coalesce(rating_avg, CAST(-1.0 AS DOUBLE PRECISION))"


def upgrade():
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_influencer_profiles_tenant_rating")
        batch_op.create_index(
            "ix_influencer_profiles_tenant_rating", ["tenant_id", sa.literal_column(EXPRESSION), "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("influencer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_influencer_profiles_tenant_rating")
        batch_op.create_index("ix_influencer_profiles_tenant_rating", ["tenant_id", "rating_avg", "id"], unique=False)
