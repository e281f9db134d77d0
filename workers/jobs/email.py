"""Email delivery of notifications through SMTP."""

from __future__ import annotations

import uuid

from marketplace.services.mailer import send_notification_email as send
from marketplace.services.mailer import send_password_reset as send_reset
from workers.runtime import tenant_job


@tenant_job
def send_notification_email(*, job_id: str, notification_id: str) -> bool:
    """Send one notification by email; a notification already emailed is not sent again."""
    return send(uuid.UUID(notification_id))


@tenant_job
def send_password_reset(*, job_id: str, user_id: str) -> bool:
    """Email a password-reset token (a retry sends a fresh token; any unused one stays valid)."""
    return send_reset(uuid.UUID(user_id))
