"""The README's whole flow runs end to end on `make run`'s embedded default (SQLite, in-process jobs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_embedded_default import _free_port

ROOT = Path(__file__).resolve().parent.parent


def test_walkthrough_from_register_to_report(tmp_path: Path) -> None:
    """register, profile, campaign, matches, offer, contract, signing, funding, delivery, release, report."""
    port, stripe_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "STRIPE_API_BASE")}
    env.update({"INSTANCE_DIR": str(tmp_path), "PORT": str(port), "LOCALSTRIPE_PORT": str(stripe_port)})
    server = subprocess.Popen(
        [sys.executable, "-m", "marketplace.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the dev server did not start"
                time.sleep(0.5)
        walk = subprocess.run(
            [
                sys.executable,
                "-m",
                "marketplace.walkthrough",
                "--base",
                f"http://127.0.0.1:{port}",
                "--stripe",
                f"http://127.0.0.1:{stripe_port}",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server_output, _ = server.communicate(timeout=30)
    assert walk.returncode == 0, f"{walk.stdout}\n{walk.stderr}\n--- server ---\n{server_output[-4000:]}"
    assert "walk complete" in walk.stdout
    assert "transfer" in walk.stdout.lower()
