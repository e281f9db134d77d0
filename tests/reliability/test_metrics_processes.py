"""GET /metrics under gunicorn: every worker process's counts add up, whichever process answers the
scrape, and survive the process that counted them (gunicorn.conf.py, prometheus_client's multiprocess
mode), whether or not the environment names the directory, and an earlier run's counts are cleared."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.api.test_metrics import parse, requests_of
from tests.reliability.conftest import Spawner
from tests.reliability.processes import _children, call, wait_for

TOKEN = "scrape-secret-2"
HEALTH_CALLS = 40
# The calls counted go to /readyz: gunicorn's start is awaited on /healthz, and a connection its
# wait gave up on may still be answered, and counted, later.
COUNTED = "/readyz"


def _counted(url: str) -> float:
    answer = call("GET", f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return requests_of(parse(answer.body), COUNTED, "200")


def test_gunicorn_started_plainly_sums_every_workers_counts_and_keeps_them(
    app: Flask, spawn: Spawner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the Dockerfile starts it: no PROMETHEUS_MULTIPROC_DIR in the environment at all."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)  # the child's environment is ours
    api = spawn.api(METRICS_TOKEN=TOKEN)
    expected = _counted(api.url) + HEALTH_CALLS
    for _ in range(HEALTH_CALLS):
        assert call("GET", f"{api.url}{COUNTED}").status == 200
    refused = call("GET", f"{api.url}/metrics")
    assert refused.status == 401 and refused.headers["Content-Type"] == "application/problem+json"
    assert {_counted(api.url) for _ in range(6)} == {expected}

    # Every worker goes; gunicorn starts new ones, which counted none of those calls.
    counted = set(_children(api.popen.pid))
    assert counted
    for pid in counted:
        os.kill(pid, signal.SIGTERM)
    wait_for(
        lambda: (set(_children(api.popen.pid)) - counted) and call("GET", f"{api.url}/healthz").status == 200,
        60,
        "new workers",
    )
    assert not counted & set(_children(api.popen.pid))
    assert {_counted(api.url) for _ in range(6)} == {expected}


def test_counts_an_earlier_server_left_in_the_directory_are_cleared(
    app: Flask, spawn: Spawner, tmp_path: Path
) -> None:
    folder = tmp_path / "prometheus"
    _left_by_an_earlier_run(folder)
    api = spawn.api(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(folder))
    before = _counted(api.url)
    assert before < 1000  # the earlier run's 1,000 are gone
    for _ in range(HEALTH_CALLS):
        assert call("GET", f"{api.url}{COUNTED}").status == 200
    assert _counted(api.url) == before + HEALTH_CALLS
    assert list(folder.glob("counter_*.db"))  # the workers count in the directory named


def _left_by_an_earlier_run(folder: Path) -> None:
    """Counts an earlier server wrote to the same directory: the new master must start from zero."""
    code = 'from marketplace.metrics import REQUESTS; REQUESTS.labels("GET", "/readyz", "200").inc(1000)'
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    folder.mkdir()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert list(folder.glob("counter_*.db"))
