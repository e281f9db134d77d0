"""gunicorn's settings file, read by gunicorn from the working directory (the Dockerfile's CMD, bench/load.py
and the tests' gunicorn API start it from the repository's root): Prometheus's multiprocess mode.

Each worker process counts its own requests; GET /metrics must show the sum, whichever worker answers
the scrape (marketplace/metrics.py). prometheus_client chooses between counting in memory and in
files once, when it is first imported, from PROMETHEUS_MULTIPROC_DIR: so this file names the directory
(an empty one of its own, unless the environment names one) before anything imports it, in the
master, whose workers inherit it; `on_starting` clears what an earlier run left there, and a worker
that exits is marked dead, so its counts stay in the sums and its live gauges leave.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

_DIR = "PROMETHEUS_MULTIPROC_DIR"
os.environ[_DIR] = os.environ.get(_DIR) or tempfile.mkdtemp(prefix="marketplace-metrics-")


def on_starting(server: Any) -> None:
    """Once, in the master, before any worker: the directory exists and holds no earlier counts."""
    directory = Path(os.environ[_DIR])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # prometheus_client's files only
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its counters stay in the sums, its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
