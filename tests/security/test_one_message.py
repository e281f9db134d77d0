"""Reads sent as one message (services/one_message.py): the row-level-security tenant of the message
holds for its SELECTs and for nothing after them; a failure leaves the pooled connection as it was."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from marketplace.extensions import db
from marketplace.models import InfluencerProfile
from marketplace.services import one_message
from tests.factories import make_influencer, make_tenant

P = InfluencerProfile.__table__
# No tenant condition of its own: only row-level security decides what it sees.
EVERY_NAME = select(P.c.display_name).order_by(P.c.display_name)
SETTING = select(func.current_setting("app.tenant_id", True))


@pytest.fixture
def tenants(app: Flask, client: FlaskClient) -> tuple[uuid.UUID, uuid.UUID]:
    a, b = make_tenant(app, "one-a"), make_tenant(app, "one-b")
    make_influencer(app, client, "one-a", display_name="Ann Alpha")
    make_influencer(app, client, "one-b", display_name="Bob Beta")
    return a.id, b.id


def test_the_messages_tenant_alone_is_visible_and_the_setting_ends_with_it(
    app: Flask, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants
    with app.app_context():
        message = one_message.message(("test", "names"), lambda: (EVERY_NAME, SETTING))
        names_a, setting_a = one_message.run(message, {}, a)
        names_b, setting_b = one_message.run(message, {}, b)
        assert names_a == [("Ann Alpha",)] and setting_a == [(str(a),)]
        assert names_b == [("Bob Beta",)] and setting_b == [(str(b),)]
        # The same pooled connection afterwards: no tenant, nothing visible, an ordinary transaction.
        assert db.engine.pool.checkedin() >= 1
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() in (
                "",
                None,
            )
            assert connection.execute(select(func.count()).select_from(P)).scalar_one() == 0
            assert connection.connection.driver_connection.autocommit is False


def test_a_failing_message_raises_and_the_connection_stays_usable(
    app: Flask, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, _ = tenants
    with app.app_context():
        failing = one_message.message(("test", "failing"), lambda: (select(text("1 / 0")),))
        with pytest.raises(DBAPIError):
            one_message.run(failing, {}, a)
        names = one_message.message(("test", "names-only"), lambda: (EVERY_NAME,))
        assert one_message.run(names, {}, a) == [[("Ann Alpha",)]]


def test_values_are_quoted_not_formatted_in(app: Flask, tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    """A value holding SQL stays a value: it is compared, never run."""
    a, _ = tenants
    from sqlalchemy import String, bindparam

    stmt = select(P.c.display_name).where(P.c.display_name == bindparam("name", type_=String()))
    with app.app_context():
        message = one_message.message(("test", "quoted"), lambda: (stmt,))
        hostile = "x'; SELECT set_config('app.tenant_id', '', false); --"
        assert one_message.run(message, {"name": hostile}, a) == [[]]
        assert one_message.run(message, {"name": "Ann Alpha"}, a) == [[("Ann Alpha",)]]
