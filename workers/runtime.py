"""What every job shares: an app context, the tenant scope and its JobRecord bookkeeping."""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import get_current_job
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.models import JobRecord
from marketplace.models.base import utcnow
from marketplace.tenancy import set_db_tenant, tenant_scope

log = logging.getLogger(__name__)
_worker_app: Flask | None = None
_pool_pid = os.getpid()


def bind_app(app: Flask) -> None:
    """Make `app` the one jobs of this process run in (the worker, or a test's burst worker)."""
    global _worker_app
    _worker_app = app


def job_app() -> Flask:
    """The Flask app a job runs in: the bound one, the current one, or one created from the environment."""
    global _worker_app
    if _worker_app is not None:
        return _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from marketplace import create_app

        _worker_app = create_app()
    return _worker_app


def fresh_pool_after_fork() -> None:
    """rq forks a work horse per job: never share the parent's database connections."""
    global _pool_pid
    if os.getpid() != _pool_pid:
        db.engine.dispose(close=False)
        _pool_pid = os.getpid()


def _update_record(job_id: uuid.UUID, tenant_id: uuid.UUID | None = None, **values: Any) -> None:
    # A connection of its own: bookkeeping must commit even when the job's own work rolls back. Its
    # transaction carries the job's tenant for row-level security (the current one when not given).
    with db.engine.begin() as connection:
        if tenant_id is not None:
            set_db_tenant(connection, tenant_id)
        connection.execute(update(JobRecord).where(JobRecord.id == job_id).values(**values))


def report_progress(job_id: str, done: int, total: int | None = None) -> None:
    """Record how far a job has come; readable at GET /jobs/{id}."""
    values: dict[str, Any] = {"progress_done": done}
    if total is not None:
        values["progress_total"] = total
    _update_record(uuid.UUID(job_id), **values)


def tenant_job(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an untracked job (no JobRecord): push an app context and enter its tenant."""

    @functools.wraps(function)
    def wrapper(*, job_id: str, tenant_id: str, retries_left: int | None = None, **kwargs: Any) -> Any:
        app = job_app()
        with app.app_context():
            fresh_pool_after_fork()
            try:
                with tenant_scope(uuid.UUID(tenant_id)):
                    return function(job_id=job_id, **kwargs)
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    return wrapper


def tracked_job(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a job: push an app context, enter its tenant, record start, result or error.

    The wrapped function receives job_id and tenant scope is already set; it must be idempotent,
    because rq retries it after a failure and a crashed worker's job may run again.
    """

    @functools.wraps(function)
    def wrapper(*, job_id: str, tenant_id: str, retries_left: int | None = None, **kwargs: Any) -> Any:
        app = job_app()
        with app.app_context():
            fresh_pool_after_fork()
            record_id = uuid.UUID(job_id)
            rq_job = get_current_job()
            if retries_left is None:
                retries_left = rq_job.retries_left if rq_job is not None and rq_job.retries_left else 0
            tenant = uuid.UUID(tenant_id)
            _update_record(
                record_id,
                tenant,
                status="started",
                started_at=utcnow(),
                attempts=JobRecord.attempts + 1,
                error=None,
            )
            try:
                with tenant_scope(tenant):
                    result = function(job_id=job_id, **kwargs)
            except Exception as exc:
                db.session.rollback()
                status = "retrying" if retries_left else "failed"
                _update_record(
                    record_id,
                    tenant,
                    status=status,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    ended_at=utcnow(),
                )
                raise
            finally:
                db.session.remove()
            _update_record(record_id, tenant, status="finished", result=result, ended_at=utcnow())
            return result

    return wrapper
