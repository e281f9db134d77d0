"""Hot reads sent to PostgreSQL as one message: the tenant's setting, then the SELECTs, one round trip.

A request that only reads a few rows spent more on the conversation than on the query: BEGIN, the
row-level-security tenant (`set_config`), the SELECT and COMMIT were four round trips, each with its
share of psycopg, SQLAlchemy and the kernel on both sides. Sent as one simple-protocol message on a
connection in autocommit, PostgreSQL runs the statements as one implicit transaction: the tenant set
by the first (`SET LOCAL app.tenant_id`, tenancy.SET_TENANT_SQL) holds for the SELECTs after it and
ends with them, exactly as within BEGIN ... COMMIT (docs/tenancy.md). The statements are SQLAlchemy
Core, compiled once per shape; values are quoted by psycopg's ClientCursor (`dbpool.run_autocommit`),
never formatted in.

PostgreSQL only; SQLite runs the same statements through the session.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from marketplace.dbpool import processed, run_autocommit
from marketplace.extensions import db
from marketplace.tenancy import SET_TENANT_SQL, TENANT_PARAMETER


@dataclass(frozen=True)
class Message:
    """The SQL of the message and the bind processors of its parameters."""

    sql: str
    statements: int
    processors: dict[str, Callable[[Any], Any]]
    constants: dict[str, Any]  # the statements' own values (literals SQLAlchemy binds), processed


_messages: dict[Hashable, Message] = {}
_lock = threading.Lock()


def message(key: Hashable, build: Callable[[], Sequence[Any]]) -> Message:
    """The message of the statements `build()` returns (Core SELECTs sharing parameter names),
    built and compiled once per `key`."""
    found = _messages.get(key)
    if found is None:
        statements = build()
        if not statements:  # a lone SET LOCAL would be outside any transaction (and mean nothing)
            raise ValueError(f"{key}: a message needs at least one statement")
        texts = [SET_TENANT_SQL]
        processors: dict[str, Callable[[Any], Any]] = {}
        constants: dict[str, Any] = {}
        for stmt in statements:
            compiled = stmt.compile(dialect=db.engine.dialect)
            texts.append(str(compiled))
            own = {k: fn for k, fn in compiled._bind_processors.items() if fn is not None}
            processors.update(own)
            for name, bind in compiled.binds.items():
                if bind.required:
                    continue  # a value the caller passes
                value = own[name](bind.effective_value) if name in own else bind.effective_value
                if constants.get(name, value) != value:  # two statements naming different literals alike
                    raise ValueError(f"{key}: parameter {name} has two values")
                constants[name] = value
        found = Message("; ".join(texts), len(statements), processors, constants)
        with _lock:
            found = _messages.setdefault(key, found)
    return found


def run(msg: Message, params: dict[str, Any], tenant_id: uuid.UUID) -> list[list[tuple[Any, ...]]]:
    """The rows of each SELECT of `msg`, run inside `tenant_id` (row-level security included)."""
    values = processed(msg.processors, params)
    values.update(msg.constants)
    values[TENANT_PARAMETER] = str(tenant_id)
    return run_autocommit(msg.sql, values, results=msg.statements + 1)[1:]
