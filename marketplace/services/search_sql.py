"""SQL building blocks whose form depends on the database: PostgreSQL in production, SQLite embedded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql

from marketplace.extensions import db

# The text search configuration, inlined: a bound parameter would not resolve to regconfig and
# would not match the expression index ix_influencer_profiles_search.
SIMPLE = literal_column("'simple'")


def is_postgres() -> bool:
    """True when the app runs on PostgreSQL."""
    return db.engine.dialect.name == "postgresql"


def array_overlaps(column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column` (a StringList) shares at least one value with `values`.

    PostgreSQL: `column && ARRAY[...]`, served by the GIN index. SQLite: EXISTS over json_each.
    """
    if not values:
        return true()
    if is_postgres():
        return column.op("&&")(cast(postgresql.array(values), ARRAY(String(40))))
    items = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(items).where(items.c.value.in_(values)))


def array_contains(column: Any, value: str) -> ColumnElement[bool]:
    """`column` (a StringList) contains `value`."""
    return array_overlaps(column, [value])


def text_matches(column: Any, query: str) -> ColumnElement[bool]:
    """Full-text match of every word of `query` in a lower-cased text column."""
    if is_postgres():
        return func.to_tsvector(SIMPLE, column).op("@@")(func.plainto_tsquery(SIMPLE, query))
    words = [w for w in query.lower().split() if w]
    return _all(column, words)


def _all(column: Any, words: list[str]) -> ColumnElement[bool]:
    return and_(*[column.contains(w) for w in words])


def text_rank(column: Any, query: str) -> ColumnElement[float]:
    """Relevance of a text column to a query (ts_rank on PostgreSQL, a constant on SQLite)."""
    if is_postgres():
        return cast(
            func.ts_rank(func.to_tsvector(SIMPLE, column), func.plainto_tsquery(SIMPLE, query)),
            postgresql.DOUBLE_PRECISION,
        )
    return cast(literal(1.0), Float)


def json_number(column: Any, key: str) -> ColumnElement[float]:
    """A numeric value of a JSON object column at `key`, 0 when absent."""
    if is_postgres():
        return func.coalesce(cast(column.op("->>")(key), postgresql.DOUBLE_PRECISION), 0.0)
    return func.coalesce(func.json_extract(column, f'$."{key}"'), 0.0)


def least(*values: Any) -> ColumnElement[Any]:
    """The smallest of several values (LEAST on PostgreSQL, multi-argument MIN on SQLite)."""
    return func.least(*values) if is_postgres() else func.min(*values)


def greatest(*values: Any) -> ColumnElement[Any]:
    """The largest of several values (GREATEST on PostgreSQL, multi-argument MAX on SQLite)."""
    return func.greatest(*values) if is_postgres() else func.max(*values)
