"""Models and migrations agree, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.conftest import DATABASE_URL, OWNER_ROLE, as_role, load_migration
from tests.factories import make_influencer, make_tenant

ROOT = Path(__file__).resolve().parent.parent


def test_autogenerate_finds_no_difference(app: Flask) -> None:
    """After `upgrade` the PostgreSQL schema is exactly what the models declare."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_and_downgrade_on_sqlite(tmp_path: Path) -> None:
    """`flask db upgrade` builds the embedded SQLite database, and downgrade takes it down."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "INSTANCE_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    for args in (["db", "upgrade"], ["db", "downgrade", "base"], ["db", "upgrade"]):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.db").stat().st_size > 0


def test_0013_marks_the_profiles_of_users_already_suspended(app: Flask, client: FlaskClient) -> None:
    """The upgrade's fill sets owner_suspended on the profiles of users suspended before it, only those."""
    migration = load_migration("0013_search_planning.py")
    make_tenant(app, "alpha")
    held, free = make_influencer(app, client, "alpha"), make_influencer(app, client, "alpha")
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE)) as owner:
        # As a database from before 0013 holds them: the suspension on the user, not on the profile.
        owner.execute("UPDATE users SET suspended_at = now() WHERE id = %s", (held.user_id,))
        owner.execute(migration.FILL_OWNER_SUSPENDED)
        flags = dict(owner.execute("SELECT id::text, owner_suspended FROM influencer_profiles").fetchall())
    assert flags == {held.profile_id: True, free.profile_id: False}
