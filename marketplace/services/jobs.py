"""Starting background jobs, reading their status, and recovering the ones Redis lost."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from marketplace.errors import NotFound
from marketplace.extensions import db, redis
from marketplace.models import JobRecord, User
from marketplace.models.base import utcnow
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404
from workers.queues import JobSpec, enqueue, rq_state

log = logging.getLogger(__name__)

OPEN_STATUSES = ("queued", "started", "retrying")
# A job open this long without any change is checked against rq (enqueue and start take milliseconds).
STUCK_AFTER = timedelta(minutes=5)
RECOVER_BATCH = 500
_GIVEN_UP = ("failed", "stopped", "canceled")


def start_job(name: str, *, user: User | None, spec: JobSpec | None = None, **kwargs: Any) -> JobRecord:
    """Record a job with its arguments for the current tenant, commit, then enqueue it.

    The committed row is the durable side: when the enqueue fails (Redis down), the caller's work
    stands, the job stays `queued`, and recover_jobs queues it again once Redis answers.
    """
    spec = spec or JobSpec()
    tenant_id = current_tenant().id
    record = JobRecord(
        id=uuid.uuid4(),
        name=name,
        user_id=user.id if user else None,
        status="queued",
        arguments=kwargs,
        spec=spec.to_json(),
    )
    db.session.add(record)
    db.session.commit()
    _enqueue(name, record.id, tenant_id, spec, kwargs)
    return record


def _enqueue(
    name: str, job_id: uuid.UUID, tenant_id: uuid.UUID, spec: JobSpec, kwargs: dict[str, Any]
) -> bool:
    try:
        enqueue(name, str(job_id), spec, tenant_id=str(tenant_id), **kwargs)
    except RedisError as exc:
        log.warning(
            "job %s (%s) is recorded but not queued (%s); the recovery sweep queues it", job_id, name, exc
        )
        return False
    return True


def recover_jobs(now: datetime | None = None) -> dict[str, int]:
    """Queue again the tenant's open jobs rq no longer knows, and close those rq gave up on.

    An open record untouched for STUCK_AFTER whose job Redis does not hold (the enqueue failed after
    the commit, or Redis restarted empty) is enqueued again under the same id (jobs are safe to run
    twice). One whose rq job failed for good (e.g. its worker was killed on the last attempt)
    becomes `failed` with rq's error. Returns the counts.
    """
    if redis.client is None:  # the embedded default runs jobs in-process: nothing for rq to lose
        return {"requeued": 0, "failed": 0}
    now = now or utcnow()
    stuck = (
        db.session.execute(
            select(JobRecord)
            .where(JobRecord.status.in_(OPEN_STATUSES), JobRecord.updated_at < now - STUCK_AFTER)
            .order_by(JobRecord.updated_at)
            .limit(RECOVER_BATCH)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    requeue: list[tuple[str, uuid.UUID, uuid.UUID, JobSpec, dict[str, Any]]] = []
    failed = 0
    for record in stuck:
        state = rq_state(str(record.id))
        if state is None and record.arguments is not None and record.spec is not None:
            record.updated_at = now  # not again before STUCK_AFTER, whatever the enqueue does
            requeue.append(
                (record.name, record.id, record.tenant_id, JobSpec.from_json(record.spec), record.arguments)
            )
        elif state is None or state[0] in _GIVEN_UP:
            record.status, record.ended_at = "failed", now
            record.error = (state[1] if state and state[1] else None) or (
                f"rq gave up on the job ({state[0]})" if state else "lost by the queue before it ran"
            )
            failed += 1
    db.session.commit()
    requeued = 0
    for job in requeue:
        if _enqueue(*job):
            requeued += 1
            log.warning("job %s (%s) was lost by the queue: queued again", job[1], job[0])
    return {"requeued": requeued, "failed": failed}


def get_job(user: User, job_id: Any) -> JobRecord:
    """A job of the current tenant, visible to the user who started it, to admins, and to whoever it
    concerns: the parties of the contract it works on (its document, release, dispute settlement),
    the members of the brand whose campaign it matches."""
    record = get_or_404(JobRecord, job_id)
    if user.role != "admin" and record.user_id != user.id and not _concerns(user, record):
        raise NotFound("No such job.")
    db.session.refresh(record)
    return record


def _concerns(user: User, record: JobRecord) -> bool:
    from marketplace.services.campaigns import visible_campaign
    from marketplace.services.contracts import visible_contract

    arguments = record.arguments or {}
    try:
        if arguments.get("contract_id"):
            visible_contract(user, arguments["contract_id"])  # its parties (admins pass above)
            return True
        if arguments.get("campaign_id") and user.role == "brand":
            visible_campaign(user, arguments["campaign_id"])  # for a brand member: their brand's only
            return True
    except (NotFound, ValueError):
        return False
    return False


def list_jobs(user: User, cursor: str | None, limit: int) -> Page:
    """The user's jobs, newest first (admins see the tenant's)."""
    stmt = select(JobRecord)
    if user.role != "admin":
        stmt = stmt.where(JobRecord.user_id == user.id)
    return paginate(stmt, [(JobRecord.created_at, True), (JobRecord.id, True)], cursor, limit)


def export_my_data(user: User) -> JobRecord:
    """Start the job that gathers everything we hold about the user (right of access)."""
    return start_job("workers.jobs.exports.export_user_data", user=user, user_id=str(user.id))
