"""Notifications: in-app messages, and emails through SMTP when SMTP_URL is set (sent by a job)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models import Notification, User
from marketplace.models.base import utcnow
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import get_or_404

EMAIL_JOB = "workers.jobs.email.send_notification_email"


def notify(user_id: uuid.UUID, kind: str, title: str, **payload: Any) -> Notification:
    """Record a notification for a user in the current transaction; the caller commits.

    Emails are queued by `dispatch_emails` after the commit, so a rolled-back action tells nobody.
    """
    notification = Notification(user_id=user_id, kind=kind, title=title,
                                payload={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in payload.items()})
    db.session.add(notification)
    pending = db.session.info.setdefault("notifications_to_email", [])
    pending.append(notification)
    return notification


def dispatch_emails() -> None:
    """After a commit: queue one email job per new notification (or log it when SMTP is not set)."""
    from workers.queues import enqueue

    pending = db.session.info.pop("notifications_to_email", [])
    if not pending:
        return
    smtp = current_app.config["MARKETPLACE"].smtp_url
    for notification in pending:
        if smtp:
            enqueue(EMAIL_JOB, f"email-{notification.id}", tenant_id=str(notification.tenant_id),
                    notification_id=str(notification.id))
        else:
            current_app.logger.info("notification %s (%s) for user %s: email not sent, SMTP_URL unset",
                                    notification.id, notification.kind, notification.user_id)


def list_for(user: User, unread_only: bool, cursor: str | None, limit: int | None) -> Page:
    """The user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(stmt, [(Notification.created_at, True), (Notification.id, True)], cursor, limit)


def mark_read(user: User, notification_id: Any) -> Notification:
    """Mark one of the user's notifications read."""
    notification = get_or_404(Notification, notification_id)
    if notification.user_id != user.id:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0
