"""Command line: demo data for one tenant (`flask --app wsgi seed-influencers demo --count 500`)."""

from __future__ import annotations

import uuid

import click
from flask import Flask


def register_seed_commands(app: Flask) -> None:
    """Attach the demo-data commands to the app's CLI."""

    @app.cli.command("seed-influencers")
    @click.argument("slug")
    @click.option("--count", required=True, type=click.IntRange(min=0), help="Generated influencers wanted")
    @click.option("--seed", default=2026, show_default=True, type=int, help="Same seed, same influencers")
    def seed_influencers_command(slug: str, count: int, seed: int) -> None:
        """Top a tenant up to COUNT generated influencers (inf{n}@SLUG.demo); safe to run again."""
        from marketplace.services.demo_data import (
            DEMO_PASSWORD,
            generate_influencers,
            generated_influencer_count,
        )

        tenant_id = _tenant_id(slug)
        have = generated_influencer_count(tenant_id)
        if have >= count:
            click.echo(f"{slug} has {have} generated influencers already; nothing to add")
            return
        with click.progressbar(length=count - have, label=f"{slug}: generating influencers") as bar:
            seen = 0

            def progress(done: int, total: int) -> None:
                nonlocal seen
                bar.update(done - seen)
                seen = done

            summary = generate_influencers(tenant_id, count - have, seed=seed, progress=progress)
        click.echo(
            f"{slug}: added {summary.count} influencers (inf{summary.first_number}.."
            f"inf{summary.first_number + summary.count - 1}@{slug}.demo, password {DEMO_PASSWORD}) "
            f"in {summary.seconds:.1f} s; {len(summary.fake_profile_ids)} planted fake-follower profiles"
        )

    @app.cli.command("seed-brands")
    @click.argument("slug")
    @click.option("--brands", default=4, show_default=True, type=click.IntRange(min=1))
    @click.option("--campaigns", default=8, show_default=True, type=click.IntRange(min=0))
    @click.option("--seed", default=2026, show_default=True, type=int)
    def seed_brands_command(slug: str, brands: int, campaigns: int, seed: int) -> None:
        """Add demo brands (owner brand{n}@SLUG.demo) and campaigns, unless the tenant has some already."""
        from sqlalchemy import func, select

        from marketplace.extensions import db
        from marketplace.models import Brand
        from marketplace.services.demo_data import DEMO_PASSWORD, generate_brands_and_campaigns
        from marketplace.tenancy import tenant_scope

        tenant_id = _tenant_id(slug)
        with tenant_scope(tenant_id):
            existing = db.session.execute(select(func.count()).select_from(Brand)).scalar_one()
        if existing:
            click.echo(f"{slug} has {existing} brands already; nothing to add")
            return
        summary = generate_brands_and_campaigns(tenant_id, brands=brands, campaigns=campaigns, seed=seed)
        click.echo(
            f"{slug}: added {len(summary.brand_ids)} brands (owners {', '.join(summary.owner_emails)}, "
            f"password {DEMO_PASSWORD}), {len(summary.published_campaign_ids)} published and "
            f"{len(summary.draft_campaign_ids)} draft campaigns"
        )


def _tenant_id(slug: str) -> uuid.UUID:
    from marketplace.services.tenants import tenant_by_slug

    try:
        return tenant_by_slug(slug.strip().lower()).id
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
