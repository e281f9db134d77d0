"""chargebacks: a payment remembers its Stripe dispute (a chargeback) and how it ended

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:40:00

- payments.stripe_dispute_id: the Stripe dispute (`dp_...`) opened on the payment's charge, from
  `charge.dispute.created` (Stripe allows one dispute per charge).
- payments.dispute_status: the dispute's Stripe status as we last recorded it (`needs_response`,
  `warning_needs_response`, ... and at its end `won`, `lost` or `warning_closed`).
- payments.disputed_minor: the disputed amount, in our minor units.

A lost chargeback moves money in the ledger (accounts `chargeback` and `chargeback_loss`,
docs/payments.md); the ledger check compares the `chargeback` account with these columns. Nullable
columns with no default: adding them rewrites nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_dispute_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("dispute_status", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("disputed_minor", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("disputed_minor")
        batch_op.drop_column("dispute_status")
        batch_op.drop_column("stripe_dispute_id")
