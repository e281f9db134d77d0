"""Email delivery of notifications through SMTP."""

from __future__ import annotations

import uuid

from marketplace.services.mailer import send_notification_email as send
from workers.runtime import tenant_job


@tenant_job
def send_notification_email(*, job_id: str, notification_id: str) -> bool:
    """Send one notification by email; a notification already emailed is not sent again."""
    return send(uuid.UUID(notification_id))
