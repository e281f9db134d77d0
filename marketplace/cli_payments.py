"""Payments commands: the ledger invariant check, reconciliation with Stripe, key rotation."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Tenant


def _tenants(slug: str | None) -> list[Tenant]:
    stmt = select(Tenant).order_by(Tenant.slug)
    if slug:
        stmt = stmt.where(Tenant.slug == slug)
    tenants = list(db.session.execute(stmt).scalars())
    if slug and not tenants:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenants


def register_payment_commands(app: Flask) -> None:
    """Attach `ledger-check`, `payments-reconcile` and `rotate-encryption` to the app's CLI."""

    @app.cli.command("ledger-check")
    @click.option("--tenant", "slug", default=None, help="Only this tenant (default: all)")
    def ledger_check_command(slug: str | None) -> None:
        """Check the ledger's invariants; exits 1 and lists the problems when the books do not balance."""
        from marketplace.services.payments.ledger import ledger_problems

        tenant_id = _tenants(slug)[0].id if slug else None
        problems = ledger_problems(tenant_id)
        for problem in problems:
            click.echo(problem)
        if problems:
            raise click.exceptions.Exit(1)
        click.echo("ledger balanced")

    @app.cli.command("payments-reconcile")
    @click.option("--tenant", "slug", default=None, help="Only this tenant (default: all)")
    @click.option("--days", default=30, show_default=True, help="How far back to compare")
    def reconcile_command(slug: str | None, days: int) -> None:
        """Compare payments, transfers and refunds with Stripe and repair what lost webhooks left."""
        from marketplace.services.payments.reconciliation import reconcile_tenant
        from marketplace.tenancy import tenant_scope

        for tenant in _tenants(slug):
            with tenant_scope(tenant.id):
                report = reconcile_tenant(days)
            for line in report["repaired"]:
                click.echo(f"{tenant.slug}: repaired {line}")
            for line in report["errors"]:
                click.echo(f"{tenant.slug}: ERROR {line}", err=True)
        click.echo("reconciliation done")

    @app.cli.command("rotate-encryption")
    def rotate_command() -> None:
        """Re-encrypt stored secrets with the first ENCRYPTION_KEYS entry (then drop the old key)."""
        from marketplace.services.payments.access import rotate_all_credentials

        click.echo(f"re-encrypted {rotate_all_credentials()} credential row(s)")
