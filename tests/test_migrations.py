"""Models and migrations agree, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from marketplace.extensions import db

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
