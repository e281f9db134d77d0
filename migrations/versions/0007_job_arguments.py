"""jobs keep their arguments and spec, so lost jobs can be queued again

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 01:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arguments", JSON, nullable=True))
        batch_op.add_column(sa.Column("spec", JSON, nullable=True))
        batch_op.create_index("ix_jobs_tenant_status_updated", ["tenant_id", "status", "updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_tenant_status_updated")
        batch_op.drop_column("spec")
        batch_op.drop_column("arguments")
