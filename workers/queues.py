"""Queue names and the one enqueue helper: dotted job names, default Retry and timeout.

With Redis configured, jobs go to rq. Without it (the embedded default), they run on a small
in-process thread pool with the same retry schedule, so the API behaves the same way.
"""

from __future__ import annotations

import importlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from marketplace.extensions import redis

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"
PAYMENTS_QUEUE = "payments"
MATCHING_QUEUE = "matching"
QUEUES = (PAYMENTS_QUEUE, DEFAULT_QUEUE, MATCHING_QUEUE)  # priority order for workers


@dataclass(frozen=True)
class JobSpec:
    """How one kind of job runs: queue, retries with backoff, timeout."""

    queue: str = DEFAULT_QUEUE
    retry_intervals: tuple[int, ...] = (5, 30, 120)
    timeout_seconds: int = 600
    result_ttl_seconds: int = 7 * 24 * 3600
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The spec as JSON, kept on the JobRecord so the job can be queued again the same way."""
        return {
            "queue": self.queue,
            "retry_intervals": list(self.retry_intervals),
            "timeout_seconds": self.timeout_seconds,
            "result_ttl_seconds": self.result_ttl_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobSpec:
        """The spec that to_json wrote."""
        return cls(
            queue=data["queue"],
            retry_intervals=tuple(data["retry_intervals"]),
            timeout_seconds=data["timeout_seconds"],
            result_ttl_seconds=data["result_ttl_seconds"],
        )


_executor: ThreadPoolExecutor | None = None


def _in_process_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inprocess-job")
    return _executor


def resolve(dotted_name: str) -> Any:
    """Import the job function named by its dotted path."""
    module_name, _, attribute = dotted_name.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


_queues: dict[str, tuple[Redis, Queue]] = {}


def _queue(name: str) -> Queue:
    """The rq Queue of `name` on the current Redis client, kept per process: a new Queue object asks
    the server its version (INFO) before its first enqueue."""
    client = redis.client
    cached = _queues.get(name)
    if cached is None or cached[0] is not client:
        cached = (client, Queue(name, connection=client))  # type: ignore[arg-type]
        _queues[name] = cached
    return cached[1]


def enqueue(dotted_name: str, job_id: str, spec: JobSpec | None = None, **kwargs: Any) -> None:
    """Enqueue a job by dotted name under our own id (also passed to it); in-process without Redis."""
    spec = spec or JobSpec()
    kwargs = {"job_id": job_id, **kwargs}
    if redis.client is not None:
        # One round trip: rq writes the job, its status and the queue entry into our pipeline.
        pipe = redis.client.pipeline()
        _queue(spec.queue).enqueue(
            dotted_name,
            kwargs=kwargs,
            job_id=job_id,
            retry=Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals)),
            job_timeout=spec.timeout_seconds,
            result_ttl=spec.result_ttl_seconds,
            failure_ttl=spec.result_ttl_seconds,
            pipeline=pipe,
        )
        pipe.execute()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _in_process_executor().submit(_run_in_process, app, dotted_name, spec, kwargs)


def rq_state(job_id: str) -> tuple[str, str | None] | None:
    """rq's status of a job and its last error; None when Redis holds no such job (lost, never queued)."""
    if redis.client is None:
        raise RuntimeError("rq_state needs Redis")
    try:
        job = Job.fetch(job_id, connection=redis.client)
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=False)
    if status is None:  # a hash without its data (e.g. only a late heartbeat): nothing rq can run
        return None
    result = job.latest_result() if status == JobStatus.FAILED else None
    error = (result.exc_string or "").strip().splitlines()[-1:] if result is not None else []
    return JobStatus(status).value, (error[0] if error else None)


def clean_abandoned_jobs() -> None:
    """Let rq fail or retry the jobs of workers that died mid-job (its StartedJobRegistry cleanup).

    rq notices a dead worker's job once its heartbeat lapses (60 to 90 s), but only when some worker
    runs its maintenance (every 10 minutes); the periodic sweep calls this every minute instead.
    """
    if redis.client is None:
        return
    for name in QUEUES:
        StartedJobRegistry(name, connection=redis.client).cleanup()


def schedule_at(when: Any, dotted_name: str, job_id: str, spec: JobSpec | None = None, **kwargs: Any) -> None:
    """Run a job at a given time through rq's scheduler (workers start with the scheduler on)."""
    spec = spec or JobSpec()
    if redis.client is None:
        raise RuntimeError("scheduling needs Redis; the embedded default runs the periodic sweeps instead")
    Queue(spec.queue, connection=redis.client).enqueue_at(
        when,
        dotted_name,
        kwargs={"job_id": job_id, **kwargs},
        job_id=job_id,
        retry=Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals)),
        job_timeout=spec.timeout_seconds,
        result_ttl=spec.result_ttl_seconds,
        failure_ttl=spec.result_ttl_seconds,
    )


def _run_in_process(app: Flask, dotted_name: str, spec: JobSpec, kwargs: dict[str, Any]) -> None:
    """Run a job with rq's retry schedule inside this process (embedded default)."""
    function = resolve(dotted_name)
    attempts = len(spec.retry_intervals) + 1
    for attempt in range(attempts):
        try:
            with app.app_context():
                function(**kwargs, retries_left=attempts - attempt - 1)
            return
        except Exception:
            log.exception("in-process job %s failed (attempt %d/%d)", dotted_name, attempt + 1, attempts)
            if attempt < len(spec.retry_intervals):
                time.sleep(spec.retry_intervals[attempt])
