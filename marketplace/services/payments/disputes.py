"""The payments side of a resolved dispute, called by the dispute service inside its transaction."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from marketplace.domain.lifecycles import check_transition
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.models import Contract, JobRecord, Payment
from marketplace.models.base import utcnow
from marketplace.services.payments.release import PAYMENTS_SPEC, post_in_kind_memo
from marketplace.services.payments.settlement import SETTLE_JOB, validate_outcome
from workers.queues import JobSpec, enqueue

log = logging.getLogger(__name__)
_PENDING = "payments_jobs_after_commit"


def check_outcome_possible(contract: Contract, outcome: str) -> None:
    """Refuse (409) a release or split of a cash contract whose brand never paid: nothing is held to pay
    the influencer with, and completing it would end the contract as if they had been paid. Only a
    refund, which cancels it, ends such a dispute (a payment that still arrives is refunded, funding.py).
    """
    if outcome == "refund" or not contract.has_cash:
        return
    paid = db.session.execute(
        select(Payment.id).where(Payment.contract_id == contract.id, Payment.status == "succeeded")
    ).first()
    if paid is None:
        raise Conflict(
            f"The contract was never funded: there is nothing to {outcome}. Resolve the dispute as a "
            "refund, which cancels the contract (nothing was charged, so nothing is refunded)."
        )


def settle_dispute(contract: Contract, outcome: str, influencer_share_bps: int | None) -> JobRecord | None:
    """End the disputed contract as resolved now, and queue the money's settlement once the caller commits.

    release and split complete the contract, refund cancels it; in-kind value is recorded unless
    refunded. Cash moves in the settlement job (marketplace.services.payments.settlement), which
    is idempotent and visible at GET /jobs/{id}. Returns that job's record (None without cash).
    """
    validate_outcome(outcome, influencer_share_bps)
    check_outcome_possible(contract, outcome)
    if contract.status == "disputed":
        target = "cancelled" if outcome == "refund" else "completed"
        contract.status = check_transition("contract", contract.status, target)
        if target == "cancelled":
            contract.cancelled_at = utcnow()
        else:
            contract.completed_at = utcnow()
    if outcome != "refund":
        post_in_kind_memo(contract)
    if not contract.has_cash:
        return None
    arguments = {
        "contract_id": str(contract.id),
        "outcome": outcome,
        "influencer_share_bps": influencer_share_bps,
    }
    return payments_job_after_commit(SETTLE_JOB, contract.tenant_id, arguments)


def payments_job_after_commit(name: str, tenant_id: uuid.UUID, arguments: dict[str, Any]) -> JobRecord:
    """A payments job recorded now, in the caller's transaction (so it shows at /jobs/{id} and
    recover_jobs can queue it again), and queued once that transaction commits."""
    record = JobRecord(
        id=uuid.uuid4(),
        name=name,
        user_id=None,
        status="queued",
        arguments=arguments,
        spec=PAYMENTS_SPEC.to_json(),
    )
    db.session.add(record)
    enqueue_after_commit(name, str(record.id), PAYMENTS_SPEC, tenant_id=str(tenant_id), **arguments)
    return record


def enqueue_after_commit(dotted_name: str, job_id: str, spec: JobSpec, **kwargs: Any) -> None:
    """Queue a job when the current transaction commits (and never if it rolls back)."""
    db.session().info.setdefault(_PENDING, []).append((dotted_name, job_id, spec, kwargs))


def _enqueue_pending(session: Session) -> None:
    for dotted_name, job_id, spec, kwargs in session.info.pop(_PENDING, []):
        try:
            enqueue(dotted_name, job_id, spec, **kwargs)
        except RedisError as exc:  # committed with its JobRecord: services.jobs.recover_jobs queues it
            log.warning("job %s (%s) is recorded but not queued (%s)", job_id, dotted_name, exc)


def _forget_pending(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


event.listen(Session, "after_commit", _enqueue_pending)
event.listen(Session, "after_rollback", _forget_pending)
