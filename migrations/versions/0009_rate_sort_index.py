"""rate sort: the rate card index ends with profile_id, so it gives the (price, id) order itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 01:00:00

"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", "platform", "deliverable", "content_creation", "price_minor"]


def upgrade():
    with op.batch_alter_table("rate_prices", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_prices_tenant_lookup")
        batch_op.create_index("ix_rate_prices_tenant_lookup", [*COLUMNS, "profile_id"], unique=False)


def downgrade():
    with op.batch_alter_table("rate_prices", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_prices_tenant_lookup")
        batch_op.create_index("ix_rate_prices_tenant_lookup", COLUMNS, unique=False)
