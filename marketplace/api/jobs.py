"""Background job status."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.models import JobRecord
from marketplace.schemas.common import PageArgsSchema, page_of
from marketplace.schemas.jobs import JobSchema
from marketplace.services import jobs

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")


def accepted(record: JobRecord) -> dict[str, Any]:
    """The 202 body of a request that started a job."""
    return {
        "job_id": record.id,
        "status": record.status,
        "status_url": url_for("jobs.get_job", job_id=record.id),
    }


@blp.route("", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(JobSchema))
def list_jobs(args: dict[str, Any]) -> Any:
    """My jobs, newest first (admins: the tenant's)"""
    return jobs.list_jobs(current_user(), args["cursor"], args["limit"])


@blp.route("/<uuid:job_id>", methods=["GET"])
@login_required()
@blp.response(200, JobSchema)
def get_job(job_id: uuid.UUID) -> Any:
    """A job's status, progress, and result or error"""
    return jobs.get_job(current_user(), job_id)
