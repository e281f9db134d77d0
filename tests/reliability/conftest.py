"""Fixtures of the reliability tests: child processes stopped after each test, locks held by the test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import DATABASE_URL
from tests.reliability.processes import ApiProcess, HeldLocks, RedisServer, WorkerProcess, app_env


class Spawner:
    """Starts workers, gunicorn and redis-server for one test and kills every one of them afterwards."""

    def __init__(self, app: Flask, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self._started: list[Any] = []
        self._count = itertools.count(1)

    def _log(self, kind: str) -> Path:
        return self.folder / f"{kind}-{next(self._count)}.log"

    def worker(self, *extra: str, **env: str) -> WorkerProcess:
        """`python -m workers` with the test app's settings (env overrides them)."""
        process = WorkerProcess(app_env(self.app, **env), self._log("worker"), *extra)
        self._started.append(process)
        return process

    def api(self, **env: str) -> ApiProcess:
        """gunicorn serving wsgi:app with the test app's settings (env overrides them)."""
        process = ApiProcess(app_env(self.app, **env), self._log("api"))
        self._started.append(process)
        return process

    def redis(self) -> RedisServer:
        """A private redis-server on a free port."""
        server = RedisServer(self._log("redis"))
        self._started.append(server)
        return server

    def stop_all(self) -> None:
        """Kill everything this test started, newest first."""
        for item in reversed(self._started):
            if isinstance(item, WorkerProcess):
                item.crash()
            else:
                item.kill()


@pytest.fixture
def spawn(app: Flask, tmp_path: Path) -> Iterator[Spawner]:
    """Start real processes for this test; they are killed when it ends."""
    spawner = Spawner(app, tmp_path)
    try:
        yield spawner
    finally:
        spawner.stop_all()


@pytest.fixture
def locks() -> Iterator[HeldLocks]:
    """A PostgreSQL session of the test's own that holds locks until released."""
    held = HeldLocks(DATABASE_URL)
    try:
        yield held
    finally:
        held.close()
