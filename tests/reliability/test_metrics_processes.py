"""GET /metrics under gunicorn: every worker process's counts add up, whichever process answers the
scrape, and survive the process that counted them (gunicorn.conf.py, prometheus_client's multiprocess
mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from flask import Flask

from tests.api.test_metrics import parse, requests_of
from tests.reliability.conftest import Spawner
from tests.reliability.processes import call, wait_for

TOKEN = "scrape-secret-2"
HEALTH_CALLS = 40


def _healthz_count(url: str) -> float:
    answer = call("GET", f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return requests_of(parse(answer.body), "/healthz", "200")


def test_every_workers_counts_add_up_and_outlive_it(app: Flask, spawn: Spawner, tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    _left_by_an_earlier_run(folder)
    api = spawn.api(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(folder))
    expected = _healthz_count(api.url) + HEALTH_CALLS  # gunicorn's start was awaited on /healthz
    for _ in range(HEALTH_CALLS):
        assert call("GET", f"{api.url}/healthz").status == 200
    refused = call("GET", f"{api.url}/metrics")
    assert refused.status == 401 and refused.headers["Content-Type"] == "application/problem+json"
    assert {_healthz_count(api.url) for _ in range(6)} == {expected}

    # Every worker that counted goes; gunicorn starts new ones, which counted none of those calls.
    counted = _counting_pids(folder)
    assert counted, list(folder.iterdir())
    for pid in counted:
        os.kill(pid, signal.SIGTERM)
    wait_for(
        lambda: call("GET", f"{api.url}/readyz").status == 200 and _counting_pids(folder) - counted,
        60,
        "new workers",
    )
    assert {_healthz_count(api.url) for _ in range(6)} == {expected}


def _left_by_an_earlier_run(folder: Path) -> None:
    """Counts an earlier server wrote to the same directory: the new master must start from zero."""
    code = 'from marketplace.metrics import REQUESTS; REQUESTS.labels("GET", "/healthz", "200").inc(1000)'
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    folder.mkdir()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert list(folder.glob("counter_*.db"))


def _counting_pids(folder: Path) -> set[int]:
    """The processes that have counted something: one counter file each (counter_<pid>.db)."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in folder.glob("counter_*.db")}
