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

# The text search configuration, inlined: a bound parameter would not resolve to regconfig (and the
# query's configuration must be that of the stored vector, influencer_profiles.search_vector).
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


def text_matches(profiles: Any, query: Any) -> ColumnElement[bool]:
    """Full-text match of every word of `query` in a profile table's text.

    PostgreSQL: `search_vector @@ plainto_tsquery('simple', query)`, served by the GIN index
    ix_influencer_profiles_search_vector (migration 0012). SQLite: a LIKE per word on search_text
    (lower-cased).

    Args:
        profiles: the influencer_profiles table (or an alias of it).
        query: the words, a string or a bound parameter.
    """
    if is_postgres():
        return profiles.c.search_vector.op("@@")(func.plainto_tsquery(SIMPLE, query))
    words = [w for w in query.lower().split() if w]
    return _all(profiles.c.search_text, words)


def _all(column: Any, words: list[str]) -> ColumnElement[bool]:
    return and_(*[column.contains(w) for w in words])


def text_rank(profiles: Any, query: Any) -> ColumnElement[float]:
    """Relevance of a profile's text to a query (ts_rank on PostgreSQL, a constant on SQLite).

    On PostgreSQL ts_rank reads the stored search_vector, which equals
    `to_tsvector('simple', search_text)`: the ranks (and the order) are those of the text, without
    parsing every match's text again.
    """
    if is_postgres():
        return cast(
            func.ts_rank(profiles.c.search_vector, func.plainto_tsquery(SIMPLE, query)),
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
