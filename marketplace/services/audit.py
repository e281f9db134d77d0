"""The audit log: every admin action, append-only, with before and after."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEntry, User
from marketplace.services.pagination import Page, paginate


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    actor: User | None,
    action: str,
    target_type: str,
    target_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the action it describes)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of an object, JSON-ready."""
    return _jsonable({name: getattr(obj, name) for name in fields})


def search(args: dict[str, Any]) -> Page:
    """Audit entries newest first, filtered by actor, action, target and time."""
    stmt = select(AuditEntry)
    if args.get("actor_id"):
        stmt = stmt.where(AuditEntry.actor_id == args["actor_id"])
    if args.get("action"):
        stmt = stmt.where(AuditEntry.action == args["action"])
    if args.get("target_type"):
        stmt = stmt.where(AuditEntry.target_type == args["target_type"])
    if args.get("target_id"):
        stmt = stmt.where(AuditEntry.target_id == str(args["target_id"]))
    if args.get("since"):
        stmt = stmt.where(AuditEntry.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(AuditEntry.created_at < args["until"])
    return paginate(
        stmt, [(AuditEntry.created_at, True), (AuditEntry.id, True)], args.get("cursor"), args.get("limit")
    )
