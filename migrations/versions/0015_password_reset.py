"""password reset: users remember when their password was last reset

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:10:00

- users.password_changed_at: set when a password-reset token sets the password
  (services/password_reset.py). Refresh tokens carry it as their password version (`pwv`,
  services/auth.password_version), and a refresh with another version is refused, so a reset ends
  the sessions of whoever knew the old password. Nullable, no default: adding it
  rewrites nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
