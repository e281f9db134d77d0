"""Schemas of background jobs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class JobSchema(ma.Schema):
    """A job's status, progress, and result or error."""

    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    status = fields.String(
        dump_only=True, metadata={"enum": ["queued", "started", "retrying", "finished", "failed"]}
    )
    progress = fields.Method("_progress", dump_only=True)
    attempts = fields.Integer(dump_only=True)
    result = fields.Raw(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)

    def _progress(self, job: object) -> dict:
        done = job.progress_done  # type: ignore[attr-defined]
        total = job.progress_total  # type: ignore[attr-defined]
        return {"done": done, "total": total, "percent": round(100 * done / total) if total else None}


class JobAcceptedSchema(ma.Schema):
    """The answer to a request that started a job."""

    job_id = fields.UUID(required=True)
    status = fields.String(required=True)
    status_url = fields.String(required=True)
