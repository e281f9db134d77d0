"""JobRecord: who started a background job, and its status, progress and result."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk

JOB_STATUSES = ("queued", "started", "retrying", "finished", "failed")


class JobRecord(TenantScoped, db.Model):
    """The durable side of a job: rq keeps the queue, this row keeps ownership and outcome."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_tenant_user_created", "tenant_id", "user_id", "created_at"),
        # The recovery sweep looks for open jobs not touched for a while.
        Index("ix_jobs_tenant_status_updated", "tenant_id", "status", "updated_at"),
        tenant_fk("user_id", "users"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What it takes to enqueue the job again (its keyword arguments and workers.queues.JobSpec), so a
    # job recorded but never queued, or lost by Redis, is queued again by services.jobs.recover_jobs.
    arguments: Mapped[dict | None] = mapped_column(JSONType)
    spec: Mapped[dict | None] = mapped_column(JSONType)
