"""Keyset (cursor) pagination: stable under inserts, never repeats or skips a row."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from marketplace.errors import ValidationFailed
from marketplace.extensions import db

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass
class Page:
    """One page of results and the cursor of the next one (None on the last page)."""

    items: list[Any]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(column: InstrumentedAttribute, raw: Any) -> Any:
    if raw is None:
        return None
    python_type = column.type.python_type
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    return python_type(raw)


def encode_cursor(values: list[Any]) -> str:
    """Serialise the sort key of the last row into an opaque cursor."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: list[tuple[InstrumentedAttribute, bool]]) -> list[Any]:
    """Parse a cursor back into typed sort values, or answer 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(order):
            raise ValueError("wrong shape")
        return [_decode_value(column, value) for (column, _), value in zip(order, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationFailed(
            "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
        ) from None


def _after(order: list[tuple[InstrumentedAttribute, bool]], values: list[Any]) -> Any:
    """Rows strictly after `values` in the given order: (a > x) or (a = x and b > y) ..."""
    clauses = []
    for index, (column, descending) in enumerate(order):
        equal_prefix = [order[i][0] == values[i] for i in range(index)]
        step = column < values[index] if descending else column > values[index]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


def paginate(
    stmt: Select, order: list[tuple[InstrumentedAttribute, bool]], cursor: str | None, limit: int | None
) -> Page:
    """Run `stmt` one page at a time; the last order column must be unique (the id)."""
    limit = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    if cursor:
        stmt = stmt.where(_after(order, decode_cursor(cursor, order)))
    stmt = stmt.order_by(*[column.desc() if descending else column.asc() for column, descending in order])
    rows = list(db.session.execute(stmt.limit(limit + 1)).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, column.key) for column, _ in order])
    return Page(items=rows, next_cursor=next_cursor)
