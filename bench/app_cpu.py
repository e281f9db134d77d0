"""The app's own CPU per request, without gunicorn or wrk: the WSGI app called in a loop.

Uses the database and Redis of bench/load.py (run that once first: it builds the data) with the same
production settings, logs in as a generated brand owner, then calls each path N times through the
WSGI interface and prints the process CPU time per request. Separates the app's Python from the
HTTP server's and from the contention of a loaded box (docs/PERFORMANCE.md).

    .venv/bin/python bench/app_cpu.py                       # /healthz, a search, a match page
    .venv/bin/python bench/app_cpu.py --path '/api/v1/influencers?niche=food' --requests 5000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import load_setup as setup
from bench_db import environment
from load import _postgres_backends, stat_fields

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "app_cpu.json"


def main(argv: list[str] | None = None) -> None:
    """Measure and print the CPU per request of each path."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", action="append", help="a path to call (repeatable)")
    parser.add_argument("--requests", type=int, default=3000, help="calls per path after 100 warm-up calls")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    data = setup.prepare_data()
    config = setup.ServerConfig(
        workers=1, threads=1, worker_class="sync", pool_size=1, max_overflow=2, port=0
    )
    env, _ = setup.server_environment(config, Path(tempfile.mkdtemp(prefix="app-cpu-")))
    os.environ.update(env)
    setup.flush_bench_redis()
    from werkzeug.test import EnvironBuilder

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # wsgi.py, at the repository's top
    from wsgi import app

    login = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": data.viewer_email, "password": setup.DEMO_PASSWORD},
        headers={"X-Tenant": setup.TENANT},
    )
    token = login.get_json()["access_token"]
    paths = args.path or [
        "/healthz",
        "/api/v1/influencers?niche=food",
        f"/api/v1/campaigns/{data.campaign_id}/matches",
    ]

    def call(environ: dict[str, Any]) -> None:
        environ = {**environ, "wsgi.input": io.BytesIO(b"")}
        statuses: list[str] = []
        body = app(environ, lambda status, headers, exc=None: statuses.append(status))
        b"".join(body)
        getattr(body, "close", lambda: None)()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{environ['PATH_INFO']}: {statuses[0]}")

    results: dict[str, Any] = {}
    for path in paths:
        headers = {"X-Tenant": setup.TENANT, "Authorization": f"Bearer {token}"}
        environ = EnvironBuilder(path=path, headers=headers).get_environ()
        for _ in range(100):
            call(environ)
        postmaster = int(stat_fields(_postgres_backends()[0])[1])
        pg_before = _cluster_ticks(postmaster)
        started = time.process_time()
        for _ in range(args.requests):
            call(environ)
        cpu_ms = 1000 * (time.process_time() - started) / args.requests
        pg_ms = 1000 * (_cluster_ticks(postmaster) - pg_before) / os.sysconf("SC_CLK_TCK") / args.requests
        results[path] = {
            "cpu_ms_per_request": round(cpu_ms, 3),
            "postgresql_cpu_ms_per_request": round(pg_ms, 3),
            "requests": args.requests,
        }
        print(f"{path:70} {cpu_ms:7.3f} ms CPU per request, PostgreSQL {pg_ms:6.3f} ms", file=sys.stderr)
    report = {
        "benchmark": "app_cpu",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "paths": results,
        "environment": environment(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


def _cluster_ticks(postmaster: int) -> int:
    """CPU ticks of the PostgreSQL server's processes: the postmaster's children alive now (backends,
    background processes) and those that exited (cutime + cstime), such as a connection the pool
    replaced."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = stat_fields(entry.name)
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
    fields = stat_fields(postmaster)
    return total + int(fields[13]) + int(fields[14])


if __name__ == "__main__":
    main()
