"""gunicorn's settings file, read by gunicorn from the working directory (the Dockerfile's CMD, bench/load.py
and the tests' gunicorn API start it from the repository's root): Prometheus's multiprocess mode.

Each worker process counts its own requests; GET /metrics must show the sum, whichever worker answers
the scrape (marketplace/metrics.py). The master sets PROMETHEUS_MULTIPROC_DIR before any worker forks
(an empty directory of its own, unless the environment names one) and clears what an earlier run left
there; a worker that exits is marked dead, so its counts stay in the sums and its live gauges leave.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

_DIR = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server: Any) -> None:
    """Once, in the master: the directory every worker writes its counts to, empty."""
    directory = os.environ.get(_DIR) or tempfile.mkdtemp(prefix="marketplace-metrics-")
    os.environ[_DIR] = directory
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):  # prometheus_client's files only
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its counters stay in the sums, its live gauges go."""
    multiprocess.mark_process_dead(worker.pid)
