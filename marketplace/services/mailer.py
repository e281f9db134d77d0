"""Sending notification emails through the SMTP server named by SMTP_URL."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Notification, User
from marketplace.models.base import utcnow
from marketplace.tenancy import current_tenant, get_or_404


def smtp_connection(url: str) -> smtplib.SMTP:
    """Open an SMTP connection from smtp://user:pass@host:port (smtps:// for implicit TLS)."""
    parsed = urlparse(url)
    port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
    connection = (smtplib.SMTP_SSL if parsed.scheme == "smtps" else smtplib.SMTP)(
        parsed.hostname, port, timeout=10
    )
    if parsed.username:
        if parsed.scheme == "smtp+starttls":
            connection.starttls()
        connection.login(unquote(parsed.username), unquote(parsed.password or ""))
    return connection


def send_notification_email(notification_id: uuid.UUID) -> bool:
    """Email a notification to its user once; returns whether a message was sent now."""
    notification = get_or_404(Notification, notification_id, for_update=True)
    if notification.emailed_at is not None:
        return False
    user = db.session.execute(select(User).where(User.id == notification.user_id)).scalar_one()
    details = "\n".join(f"{key}: {value}" for key, value in sorted(notification.payload.items()))
    _send(
        user.email, notification.title, f"Hello {user.display_name},\n\n{notification.title}\n\n{details}\n"
    )
    notification.emailed_at = utcnow()
    db.session.commit()
    return True


def send_password_reset(user_id: uuid.UUID) -> bool:
    """Email a user a fresh password-reset token (made here, so it is stored nowhere else)."""
    from marketplace.services.password_reset import lifetime_seconds, make_token

    user = db.session.execute(select(User).where(User.id == user_id)).scalar_one_or_none()
    if user is None or user.is_suspended:
        return False
    _send(
        user.email,
        "Reset your password",
        f"Hello {user.display_name},\n\nSomeone asked to reset the password of this account. If it was "
        f"you, send this token with your new password to POST /api/v1/auth/password-reset/confirm "
        f"(header X-Tenant: {current_tenant().slug}) within {lifetime_seconds() // 60} minutes:\n\n"
        f"{make_token(user)}\n\nIf it was not you, ignore this message: your password stays as it is.\n",
    )
    return True


def _send(to: str, title: str, body: str) -> None:
    """One plain-text email from MAIL_FROM, its subject the title under the marketplace's name."""
    settings = current_app.config["MARKETPLACE"]
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = f"[{current_tenant().name}] {title}"
    message.set_content(body)
    with smtp_connection(settings.smtp_url) as connection:
        connection.send_message(message)
