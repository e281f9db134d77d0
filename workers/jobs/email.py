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
def send_password_reset(*, job_id: str, user_id: str | None) -> bool:
    """Email a password-reset token (a retry sends a fresh token; any unused one stays valid).

    `user_id` is None when the request named no usable account: the job sends nothing (it is
    queued all the same, so that the request's timing does not tell, services/password_reset.py).
    """
    return send_reset(uuid.UUID(user_id)) if user_id is not None else False
