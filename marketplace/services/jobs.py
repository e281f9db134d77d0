"""Starting background jobs and reading their status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models import JobRecord, User
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404
from workers.queues import JobSpec, enqueue


def start_job(name: str, *, user: User | None, spec: JobSpec | None = None, **kwargs: Any) -> JobRecord:
    """Record a job for the current tenant, commit, then enqueue it (so the worker finds the row)."""
    record = JobRecord(name=name, user_id=user.id if user else None, status="queued")
    db.session.add(record)
    db.session.commit()
    enqueue(name, str(record.id), spec, tenant_id=str(current_tenant().id), **kwargs)
    return record


def get_job(user: User, job_id: Any) -> JobRecord:
    """A job of the current tenant, visible to the user who started it and to admins."""
    record = get_or_404(JobRecord, job_id)
    if user.role != "admin" and record.user_id != user.id:
        raise NotFound("No such job.")
    db.session.refresh(record)
    return record


def list_jobs(user: User, cursor: str | None, limit: int) -> Page:
    """The user's jobs, newest first (admins see the tenant's)."""
    stmt = select(JobRecord)
    if user.role != "admin":
        stmt = stmt.where(JobRecord.user_id == user.id)
    return paginate(stmt, [(JobRecord.created_at, True), (JobRecord.id, True)], cursor, limit)


def export_my_data(user: User) -> JobRecord:
    """Start the job that gathers everything we hold about the user (right of access)."""
    return start_job("workers.jobs.exports.export_user_data", user=user, user_id=str(user.id))
