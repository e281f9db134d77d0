"""Command line: `flask --app wsgi <command>` or the `marketplace` console script."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from marketplace.errors import AppError
from workers.queues import QUEUES


def register_commands(app: Flask) -> None:
    """Attach the platform operator's commands to the app's CLI."""

    @app.cli.command("create-tenant")
    @click.argument("slug")
    @click.option("--name", required=True, help="Display name of the marketplace")
    @click.option("--currency", default="EUR", show_default=True, help="ISO 4217 currency")
    @click.option("--fee-bps", default=1000, show_default=True, type=int, help="Platform fee, basis points")
    def create_tenant_command(slug: str, name: str, currency: str, fee_bps: int) -> None:
        """Create a tenant (a marketplace)."""
        from marketplace.services.tenants import create_tenant

        try:
            tenant = create_tenant(slug, name, currency, platform_fee_bps=fee_bps)
        except AppError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"created tenant {tenant.slug} ({tenant.id})")

    @app.cli.command("create-admin")
    @click.argument("slug")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", default="Administrator", show_default=True)
    @click.password_option()
    def create_admin_command(slug: str, email: str, display_name: str, password: str) -> None:
        """Create an admin of a tenant."""
        from marketplace.services.tenants import create_admin

        try:
            user = create_admin(slug, email, password, display_name)
        except AppError as exc:
            raise click.ClickException(f"{exc.detail} {exc.errors or ''}".strip()) from exc
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created admin {user.email} in {slug}")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo tenants `demo` and `acme` with their admins (idempotent)."""
        from marketplace.services.tenants import seed_demo

        for row in seed_demo():
            click.echo(f"tenant {row['tenant']:<5} admin {row['email']} password {row['password']}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queues are empty")
    @click.option(
        "--queue",
        "queues",
        multiple=True,
        type=click.Choice(QUEUES),
        help="Only this queue (repeatable); default: every queue, payments first (docs/SCALING.md)",
    )
    def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
        """Start an rq worker with its scheduler on every queue, or on the --queue ones."""
        from workers.__main__ import run_worker

        run_worker(app, burst=burst, queues=queues)

    from marketplace.cli_payments import register_payment_commands
    from marketplace.cli_seed import register_seed_commands

    register_payment_commands(app)
    register_seed_commands(app)

    @app.cli.command("cron")
    def cron_command() -> None:
        """Run rq's cron scheduler: offer expiry and auto-approval sweeps every minute."""
        from workers.schedule import run_cron

        run_cron(app)

    @app.cli.command("sweep")
    def sweep_command() -> None:
        """Run the periodic sweeps once, now, in this process."""
        from workers.runtime import bind_app
        from workers.schedule import sweep_tenants

        bind_app(app)
        for slug, figures in sweep_tenants().items():
            click.echo(f"{slug}: {figures}")


def main() -> None:
    """Entry point of the `marketplace` console script."""
    from marketplace import create_app

    FlaskGroup(create_app=create_app)()
