"""Fake-follower risk assessment of one profile."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.services.fraud_checks import assess_profile as assess
from workers.runtime import tracked_job


@tracked_job
def assess_profile(*, job_id: str, profile_id: str) -> dict[str, Any]:
    """Recompute a profile's fraud risk and its review flag; safe to run twice."""
    return assess(uuid.UUID(profile_id))
