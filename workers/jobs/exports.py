"""Personal data export (a user's right of access), built in the background."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.services.exports import collect_user_data
from workers.runtime import report_progress, tracked_job


@tracked_job
def export_user_data(*, job_id: str, user_id: str) -> dict[str, Any]:
    """Gather what we hold about one user; the result is readable at GET /jobs/{id}."""
    return collect_user_data(
        uuid.UUID(user_id), progress=lambda done, total: report_progress(job_id, done, total)
    )
