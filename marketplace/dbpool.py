"""Pooled database connections: pinged only when they may have died, read-only requests end in COMMIT.

SQLAlchemy's pool_pre_ping costs a round trip (`SELECT 1`) on every checkout, i.e. on every request.
A connection that was in use a moment ago is alive in all but a crash; one that sat idle in the pool
may have been closed by PostgreSQL's restart, a failover or a firewall. So only a connection idle for
more than DB_PING_IDLE_SECONDS is pinged (and replaced when dead, before the request uses it), and
connections are recycled after 30 minutes (config.flask_config).

A connection that dies under a request nevertheless (PostgreSQL restarted mid-burst) fails that
request: SQLAlchemy then invalidates the whole pool, so the next requests get fresh connections,
and the failed one is answered 503 with Retry-After (errors.py) rather than 500.

A request's session is closed at the end of the request, which rolls back what was not committed.
psycopg forgets every prepared statement of a connection at each ROLLBACK, so the reads that every
request repeats (the search, the row-level-security tenant setting) would be parsed again each time.
A transaction that only read (every statement a SELECT, none failed) is therefore ended with COMMIT,
which for PostgreSQL is the same as ROLLBACK there; anything else (a write, a savepoint, an error,
pending ORM changes, an exception) is still rolled back by the session's close.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction

from marketplace.extensions import db

log = logging.getLogger(__name__)
_IDLE_SINCE = "marketplace_idle_since"
_WROTE = "marketplace_not_read_only"  # Connection.info: this transaction did more than SELECT
_CONNECTIONS = "marketplace_connections"  # Session.info: the connections of its transaction
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def install(engine: Engine, idle_seconds: float) -> None:
    """Ping the engine's connections that were idle for more than `idle_seconds` when checked out."""

    def checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (SQLAlchemy's documented recipe).
            raise DisconnectionError(f"pooled connection found dead: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _transaction_began(connection: Any) -> None:
    connection.info[_WROTE] = False


def _statement(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
    if not _SELECT.match(statement):
        connection.info[_WROTE] = True


def _failed(context: ExceptionContext) -> None:
    if context.connection is not None:
        context.connection.info[_WROTE] = True


def _session_began(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    session.info.setdefault(_CONNECTIONS, []).append(connection)


def _session_ended(session: Session, *args: Any) -> None:
    session.info.pop(_CONNECTIONS, None)


def _commit_read_only(exc: BaseException | None) -> None:
    """teardown_appcontext, before Flask-SQLAlchemy's: COMMIT a transaction that only read."""
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    connections = session.info.get(_CONNECTIONS)
    if not connections or session.new or session.dirty or session.deleted or not session.is_active:
        return
    if any(connection.info.get(_WROTE, True) for connection in connections):
        return
    # COMMIT at the driver: nothing is pending, so the session's own commit (flush, events, expiry)
    # has nothing to do but costs as much as the query; the close that follows finds the driver
    # connection idle and sends nothing.
    try:
        for connection in connections:
            connection.connection.dbapi_connection.commit()
    except Exception as error:  # the close that follows rolls back, as it always did
        log.warning("ending a read-only transaction failed: %s", type(error).__name__)


def processed(processors: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`values` as the driver takes them: each through its SQLAlchemy bind processor, if it has one
    (what SQLAlchemy's own execution does for statements compiled ahead and run here)."""
    return {name: processors[name](v) if name in processors else v for name, v in values.items()}


_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK
_CURSORS = "marketplace_hot_cursors"  # the pool record's info: the cursors run_autocommit reuses


def _cursor(info: dict[str, Any], driver: Any, one_statement: bool) -> Any:
    """The connection's own cursor of the kind asked (server-bound or client-quoted), made once.

    A psycopg cursor keeps what it learnt of the types it adapts (the dumpers of the parameters, the
    loaders of the columns); a new cursor per request looked them all up again, a third of the
    execution's CPU (docs/PERFORMANCE.md). The cursor belongs to the connection, which one thread
    at a time has checked out; one found closed, or left from a connection the record replaced, is
    made anew. Reusing it holds the previous result's rows until the next execute.
    """
    cursors = info.setdefault(_CURSORS, {})
    cursor = cursors.get(one_statement)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = driver.cursor() if one_statement else psycopg.ClientCursor(driver)
        cursors[one_statement] = cursor
    return cursor


def _rows_of(cursor: Any) -> list[tuple[Any, ...]]:
    """The rows of the cursor's current result; none for a statement that returns no rows (a SET).

    Asks the result's status: `cursor.description` would build a Column object per column first.
    """
    result = cursor.pgresult
    return cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []


def run_autocommit(
    sql: str, values: dict[str, Any], results: int, *, one_statement: bool = False
) -> list[list[tuple[Any, ...]]]:
    """Send `sql` (statements separated by ';') as one message on a pooled PostgreSQL connection and
    return the rows of each of its first `results` statements (an empty list for one that returns
    no rows, like a SET).

    The connection is in autocommit for the call, so PostgreSQL runs the statements of the message as
    one implicit transaction: one round trip, no BEGIN or COMMIT (a failing statement rolls all back).
    psycopg's ClientCursor quotes every value (`%(name)s` placeholders); `one_statement` sends a
    single statement with its values bound by the server instead (prepared by psycopg once it has
    run a few times on the connection). A connection found dead invalidates the pool and raises the
    DBAPIError that errors.py answers 503, as SQLAlchemy does.
    """
    engine = db.engine
    proxied = engine.raw_connection()  # the pool's checkout, the idle ping included
    try:
        driver = proxied.driver_connection
        driver.autocommit = True
        try:
            cursor = _cursor(proxied.info, driver, one_statement)
            cursor.execute(sql, values)
            rows = [_rows_of(cursor)]
            while len(rows) < results and cursor.nextset():
                rows.append(_rows_of(cursor))
        finally:
            if not driver.closed:
                driver.autocommit = False
        return rows
    except psycopg.Error as error:
        lost = engine.dialect.is_disconnect(error, proxied.dbapi_connection, None)
        if lost:
            engine.pool._invalidate(proxied, error)  # what SQLAlchemy does on a disconnect
        raise DBAPIError.instance(
            sql, None, error, psycopg.Error, connection_invalidated=lost, dialect=engine.dialect
        ) from error
    finally:
        proxied.close()


_listening = False


def init_app(app: Flask, engine: Engine) -> None:
    """Install the idle ping (PostgreSQL) and the COMMIT of read-only requests (errors.py answers lost
    connections 503)."""
    global _listening
    if engine.dialect.name == "postgresql":
        install(engine, app.config["MARKETPLACE"].db_ping_idle_seconds)
    if not _listening:
        event.listen(Engine, "begin", _transaction_began)
        event.listen(Engine, "before_cursor_execute", _statement)
        event.listen(Engine, "handle_error", _failed)
        event.listen(Session, "after_begin", _session_began)
        event.listen(Session, "after_commit", _session_ended)
        event.listen(Session, "after_rollback", _session_ended)
        _listening = True
    # Registered after Flask-SQLAlchemy's teardown, so it runs before it (Flask runs them in reverse).
    app.teardown_appcontext(_commit_read_only)
