"""dispute resolution key: POST /admin/disputes/{id}/resolve honours Idempotency-Key

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00

- disputes.resolve_idempotency_key: the Idempotency-Key the resolution was made with, if any. A retry
  with the same key and the same decision answers the resolved dispute again (200) instead of a
  409; the same key with another decision is a 422 (services/disputes.resolve). Nullable, no
  default: adding it rewrites nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolve_idempotency_key", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_column("resolve_idempotency_key")
