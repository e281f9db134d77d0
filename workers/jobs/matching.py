"""The matching job of a published campaign."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.services.matching import run_matching
from workers.runtime import tracked_job


@tracked_job
def match_campaign(*, job_id: str, campaign_id: str) -> dict[str, Any]:
    """Rank influencers for a campaign and store the top K; running it again replaces the result."""
    return run_matching(uuid.UUID(campaign_id))
