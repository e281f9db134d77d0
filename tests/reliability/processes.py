"""Real processes for the reliability tests: rq workers, a gunicorn API, a private redis-server, and
PostgreSQL locks that hold a job at a known point without changing any production code."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from flask import Flask
from redis import Redis
from rq import Worker as RqWorker

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], T], timeout: float = 30, what: str = "condition", every: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def app_env(app: Flask, **overrides: str) -> dict[str, str]:
    """The environment that makes `create_app()` in a child process the same app as the test's."""
    settings = app.config["MARKETPLACE"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    env.update(
        MARKETPLACE_ENV="test",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url or "",
        STRIPE_API_BASE=settings.stripe_api_base or "",
        SECRET_KEY=settings.secret_key,  # tokens issued by the test's app are valid in the child
        STORAGE_DIR=settings.storage_dir,
        INSTANCE_DIR=settings.instance_dir,
        AUTH_RATE_LIMIT=settings.auth_rate_limit,
        MUTATION_RATE_LIMIT=settings.mutation_rate_limit,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def _children(pid: int) -> list[int]:
    """Live child processes of `pid` (read from /proc/*/stat)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Process:
    """A child process in its own session (process group), its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        """The process id (also its process group id)."""
        return self.popen.pid

    def log(self, tail: int = 4000) -> str:
        """The end of what the process printed, for assertion messages."""
        return self.log_path.read_text(errors="replace")[-tail:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group and reap the process."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=15)
        self._log.close()


class WorkerProcess(Process):
    """`python -m workers`: an rq worker with its scheduler, forking a work horse per job."""

    def __init__(self, env: dict[str, str], log_path: Path, *extra: str) -> None:
        super().__init__([sys.executable, "-m", "workers", *extra], env, log_path)

    def wait_ready(self, redis_client: Redis, timeout: float = 30) -> None:
        """Wait until the worker registered itself in Redis (it then listens on its queues)."""
        wait_for(
            lambda: (
                self.popen.poll() is not None
                or any(w.pid == self.pid for w in RqWorker.all(connection=redis_client))
            ),
            timeout,
            "the worker to register",
        )
        assert self.popen.poll() is None, self.log()

    def horse(self) -> int | None:
        """The work horse running a job now: the child that leads its own process group (rq calls setpgrp)."""
        for child in _children(self.pid):
            try:
                if os.getpgid(child) == child:
                    return child
            except ProcessLookupError:
                continue
        return None

    def kill_horse(self) -> int:
        """SIGKILL the work horse only; the worker sees it die and hands the job to rq's failure path."""
        horse = wait_for(self.horse, 10, "a work horse")
        os.killpg(horse, signal.SIGKILL)
        wait_for(lambda: not _alive(horse), 10, "the horse to die")
        return horse

    def crash(self) -> None:
        """SIGKILL the horse, the worker and its scheduler at once, as when the machine dies."""
        horse = self.horse()
        if horse is not None:
            os.killpg(horse, signal.SIGKILL)
        self.kill(signal.SIGKILL)
        if horse is not None:
            wait_for(lambda: not _alive(horse), 10, "the horse to die")


class ApiProcess(Process):
    """The API under gunicorn (several worker processes with threads), as in production."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2, threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "wsgi:app",
        ]
        super().__init__(args, env, log_path)
        wait_for(lambda: self.popen.poll() is not None or _answers(self.url + "/healthz"), 60, "gunicorn")
        assert self.popen.poll() is None, self.log()

    def stop(self) -> None:
        """Stop gunicorn gracefully."""
        self.kill(signal.SIGTERM)


class RedisServer:
    """A private redis-server on a free port, without persistence: a restart starts it empty."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.process: Process | None = None
        self.start()

    def url(self, db: int = 0) -> str:
        """The redis:// URL of one of its databases."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start (or start again) on the same port and wait until it answers PING."""
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = Process(args, dict(os.environ), self.log_path)
        client = Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: _pings(client), 15, "redis-server")

    def kill(self) -> None:
        """Kill the server at once (everything it held is lost)."""
        if self.process is not None:
            self.process.kill(signal.SIGKILL)


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


@dataclass
class Answer:
    """One HTTP answer: status (0 when the server did not answer), headers and JSON body."""

    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


def call(
    method: str,
    url: str,
    token: str | None = None,
    tenant: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """One HTTP request over a real socket (urllib), never raising for HTTP errors."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if tenant:
        all_headers["X-Tenant"] = tenant
    data = json.dumps(body).encode() if body is not None else (b"" if method != "GET" else None)
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), dict(error.headers)
    except (urllib.error.URLError, OSError) as error:
        return Answer(0, {}, {"error": repr(error)}, time.monotonic() - started)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Answer(status, got, parsed, time.monotonic() - started)


class HeldLocks:
    """A PostgreSQL session of the test that holds locks, so a job stops at a known statement."""

    def __init__(self, database_url: str) -> None:
        self.connection = psycopg.connect(database_url)
        self._observer = psycopg.connect(database_url, autocommit=True)
        self.backend = self.connection.info.backend_pid

    def hold(self, sql: str, params: Any = None) -> None:
        """Run a locking statement inside the open transaction (held until release)."""
        self.connection.execute(sql, params)

    def waiting(self, like: str) -> int:
        """How many other sessions wait for a lock in a statement matching `like` (SQL ILIKE)."""
        row = self._observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> %s AND query ILIKE %s",
            (self.backend, like),
        ).fetchone()
        return int(row[0]) if row else 0

    def wait_until_waiting(self, like: str, count: int = 1, timeout: float = 30) -> None:
        """Wait until `count` sessions are stuck on our locks in statements matching `like`."""
        wait_for(lambda: self.waiting(like) >= count, timeout, f"{count} session(s) waiting on {like!r}")

    def release(self) -> None:
        """End the transaction: every lock held is released."""
        self.connection.rollback()

    def close(self) -> None:
        """Release and disconnect."""
        self.connection.rollback()
        self.connection.close()
        self._observer.close()
