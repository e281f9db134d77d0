"""Keyset (cursor) pagination: stable under inserts, never repeats or skips a row."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, or_, tuple_
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


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order: the SQL expression, its direction, and how to read it off a row.

    The expression must never be NULL (wrap nullable columns in coalesce) and the last key of
    an order must be unique (the id), so that the order is total.
    """

    expression: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool
    value_of: Callable[[Any], Any]
    python_type: type

    @classmethod
    def column(cls, column: InstrumentedAttribute[Any], descending: bool = False) -> SortKey:
        """A key on a mapped column of the selected entity."""
        return cls(column, descending, lambda row, key=column.key: getattr(row, key), column.type.python_type)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(python_type: type, raw: Any) -> Any:
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    if python_type is float and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if python_type is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if python_type is str and isinstance(raw, str):
        return raw
    raise ValueError(f"cannot read {python_type.__name__} from the cursor")


def encode_cursor(values: list[Any]) -> str:
    """Serialise the sort key of the last row into an opaque cursor."""
    raw = orjson.dumps([_encode_value(v) for v in values])  # compact JSON, as json.loads reads back
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: list[SortKey]) -> list[Any]:
    """Parse a cursor back into typed sort values, or answer 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(order):
            raise ValueError("wrong shape")
        return [_decode_value(key.python_type, value) for key, value in zip(order, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
        ) from None


def after(order: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the given order.

    When every key runs the same way (the usual case: the id follows its key's direction), this is
    one row comparison, `(a, b) < (x, y)`, which a B-tree index on (a, b) (after equality columns)
    starts its scan at: a deep page costs what the first does. Otherwise the expanded form
    (a > x) or (a = x and b > y) ... The keys are never NULL (see SortKey), so the two agree.
    """
    directions = {key.descending for key in order}
    if len(order) > 1 and len(directions) == 1:
        keys = tuple_(*[key.expression for key in order])
        bound = tuple_(*values)
        return keys < bound if order[0].descending else keys > bound
    clauses = []
    for index, key in enumerate(order):
        equal_prefix = [order[i].expression == values[i] for i in range(index)]
        step = key.expression < values[index] if key.descending else key.expression > values[index]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


def paginate(
    stmt: Select[Any],
    order: list[SortKey | tuple[InstrumentedAttribute[Any], bool]],
    cursor: str | None,
    limit: int | None,
    *,
    scalars: bool = True,
) -> Page:
    """Run `stmt` one page at a time in a total keyset order.

    Args:
        stmt: the filtered SELECT (of one entity, or of rows when scalars is False).
        order: sort keys, the last one unique; (column, descending) pairs are shorthand.
        cursor: next_cursor of the previous page, or None for the first page.
        limit: page size, clamped to 1..MAX_LIMIT.
        scalars: return entities (True) or whole rows (False).
    """
    keys = [k if isinstance(k, SortKey) else SortKey.column(k[0], k[1]) for k in order]
    limit = page_size(limit)
    if cursor:
        stmt = stmt.where(after(keys, decode_cursor(cursor, keys)))
    stmt = stmt.order_by(*[k.expression.desc() if k.descending else k.expression.asc() for k in keys])
    result = db.session.execute(stmt.limit(limit + 1))
    return page_of_rows(list(result.scalars() if scalars else result.all()), limit, keys)


def page_size(limit: int | None) -> int:
    """The page size a request asked for, clamped to 1..MAX_LIMIT (DEFAULT_LIMIT when absent)."""
    return min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)


def page_of_rows(rows: list[Any], limit: int, keys: list[SortKey]) -> Page:
    """A page of `rows` read with LIMIT limit + 1: the extra row, if any, means a next page, whose
    cursor is the sort keys of the page's last row."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([k.value_of(rows[-1]) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)
