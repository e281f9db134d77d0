"""`make run`'s embedded default (SQLite, in-process jobs, localstripe) starts and answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_devserver_serves_health_and_openapi_then_stops(tmp_path: Path) -> None:
    """The run script migrates SQLite, seeds the demo, serves, and Ctrl-C stops it and localstripe."""
    port, stripe_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "STRIPE_API_BASE")}
    env.update({"INSTANCE_DIR": str(tmp_path), "PORT": str(port), "LOCALSTRIPE_PORT": str(stripe_port)})
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "devserver did not answer in 60 s"
                time.sleep(0.3)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        status, body = _get(f"http://127.0.0.1:{port}/api/openapi.json")
        assert status == 200 and "/api/v1/auth/login" in json.loads(body)["paths"]
        assert _get(f"http://127.0.0.1:{stripe_port}/js.stripe.com/v3/")[0] == 200
        assert (tmp_path / "marketplace.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "admin@demo.example" in output and "/api/docs" in output
    try:
        _get(f"http://127.0.0.1:{stripe_port}/js.stripe.com/v3/")
        raise AssertionError("localstripe still running after Ctrl-C")
    except OSError:
        pass
