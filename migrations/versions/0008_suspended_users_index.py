"""partial index on suspended users (matching excludes them without a join)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 00:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_users_tenant_suspended", ["tenant_id"], unique=False,
            postgresql_where=sa.text("suspended_at IS NOT NULL"), sqlite_where=sa.text("suspended_at IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_tenant_suspended")
