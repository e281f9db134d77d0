"""Notifications: in-app messages, and emails through SMTP when SMTP_URL is set (sent by a job)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models import Notification, User
from marketplace.models.base import utcnow
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import get_or_404

EMAIL_JOB = "workers.jobs.email.send_notification_email"
log = logging.getLogger(__name__)


def notify(user_id: uuid.UUID, kind: str, title: str, **payload: Any) -> Notification:
    """Record a notification for a user in the current transaction; the caller commits.

    Emails are queued by `dispatch_emails` after the commit, so a rolled-back action tells nobody.
    """
    notification = Notification(
        user_id=user_id,
        kind=kind,
        title=title,
        payload={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in payload.items()},
    )
    db.session.add(notification)
    return notification


_PENDING = "notifications_to_email"


def _remember_flushed(session: Session, flush_context: Any) -> None:
    # Ids are read at flush time: after the commit the objects are expired and must not be touched.
    for obj in session.new:
        if isinstance(obj, Notification):
            session.info.setdefault(_PENDING, []).append((obj.id, obj.tenant_id, obj.kind))


def _dispatch_after_commit(session: Session) -> None:
    """Queue one email job per committed notification, or log it when SMTP is not set."""
    pending = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    from workers.queues import enqueue

    smtp = current_app.config["MARKETPLACE"].smtp_url
    for notification_id, tenant_id, kind in pending:
        if smtp:
            try:
                enqueue(
                    EMAIL_JOB,
                    f"email-{notification_id}",
                    tenant_id=str(tenant_id),
                    notification_id=str(notification_id),
                )
            except RedisError as exc:  # the in-app notification is committed; only its email is lost
                log.warning("notification %s (%s): email not queued (%s)", notification_id, kind, exc)
        else:
            log.info("notification %s (%s): email not sent, SMTP_URL is not set", notification_id, kind)


def _forget_after_rollback(session: Session) -> None:
    # A savepoint rolling back (the ledger uses them) must not drop the outer transaction's notifications.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


event.listen(Session, "after_flush", _remember_flushed)
event.listen(Session, "after_commit", _dispatch_after_commit)
event.listen(Session, "after_rollback", _forget_after_rollback)


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
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0
