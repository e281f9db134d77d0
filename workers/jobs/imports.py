"""Roster import from a stored CSV, and the fraud assessment of the profiles it created or changed."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.services import imports
from marketplace.services.fraud_checks import assess_profile
from workers.runtime import report_progress, tracked_job

ASSESS_PROGRESS_EVERY = 100


@tracked_job
def import_roster(*, job_id: str, key: str, actor_id: str) -> dict[str, Any]:
    """Upsert the roster's influencers by email with progress; the same file again changes nothing."""
    outcome = imports.run_import(key, progress=lambda done, total: report_progress(job_id, done, total))
    follow_up = imports.queue_fraud_checks(outcome.to_assess, uuid.UUID(actor_id))
    return {**outcome.summary(), "fraud_assessment_job_id": str(follow_up.id) if follow_up else None}


@tracked_job
def assess_imported_profiles(*, job_id: str, profile_ids: list[str]) -> dict[str, Any]:
    """Score the fake-follower risk of each imported profile (one commit each); safe to run twice."""
    flagged = 0
    total = len(profile_ids)
    for done, profile_id in enumerate(profile_ids, start=1):
        flagged += bool(assess_profile(uuid.UUID(profile_id))["flagged"])
        if done % ASSESS_PROGRESS_EVERY == 0 or done == total:
            report_progress(job_id, done, total)
    return {"assessed": total, "flagged": flagged}
