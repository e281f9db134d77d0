"""Password hashes: argon2id with OWASP's parameters, old hashes moved on their owner's next login."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import HashingError
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.models import User
from marketplace.services import auth
from marketplace.services.demo_data import DEMO_PASSWORD, demo_password_hash
from marketplace.services.imports import UNUSABLE_PASSWORD_PREFIX, unusable_password_hash
from marketplace.tenancy import get_or_404, tenant_scope
from tests.factories import PASSWORD, login, make_tenant, make_user

ENCODED = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")
# argon2-cffi's default PasswordHasher(), which every hash used before the switch.
OLD_HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def _parameters(encoded: str) -> tuple[int, int, int]:
    """(m, t, p) read from the encoded hash itself."""
    match = ENCODED.match(encoded)
    assert match, "not an argon2id v19 encoded hash"
    m, t, p = match.groups()
    return int(m), int(t), int(p)


def _stored_hash(app: Flask, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    with app.app_context(), tenant_scope(tenant_id):
        return get_or_404(User, user_id).password_hash


def _set_hash(app: Flask, tenant_id: uuid.UUID, user_id: uuid.UUID, password_hash: str) -> None:
    with app.app_context(), tenant_scope(tenant_id):
        get_or_404(User, user_id).password_hash = password_hash
        db.session.commit()


def _login(client: FlaskClient, email: str, password: str):
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers={"X-Tenant": "alpha"}
    )


def test_the_parameters_are_owasps() -> None:
    """The named constants are OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane."""
    assert (auth.ARGON2_MEMORY_KIB, auth.ARGON2_TIME_COST, auth.ARGON2_PARALLELISM) == (19_456, 2, 1)


def test_new_hashes_carry_the_owasp_parameters(app: Flask, client: FlaskClient) -> None:
    """A registered user's stored hash, and the demo users' shared hash, are argon2id m=19456,t=2,p=1."""
    tenant = make_tenant(app, "alpha")
    body = {"email": "ann@example.com", "password": PASSWORD, "role": "influencer", "display_name": "Ann"}
    created = client.post("/api/v1/auth/register", json=body, headers={"X-Tenant": "alpha"})
    assert created.status_code == 201
    stored = _stored_hash(app, tenant.id, uuid.UUID(created.get_json()["id"]))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _parameters(stored) == (19_456, 2, 1)
    assert _parameters(auth.hash_password(PASSWORD)) == (19_456, 2, 1)

    demo = demo_password_hash()
    assert _parameters(demo) == (19_456, 2, 1)
    assert PasswordHasher().verify(demo, DEMO_PASSWORD)


def test_old_default_hash_logs_in_and_is_moved_to_the_new_parameters(app: Flask, client: FlaskClient) -> None:
    """A hash made with the old defaults still logs in, and is then replaced by an OWASP one."""
    tenant = make_tenant(app, "alpha")
    user = make_user(app, "alpha", email="old@example.com")
    old = OLD_HASHER.hash(PASSWORD)
    assert _parameters(old) == (65_536, 3, 4)
    _set_hash(app, tenant.id, user.id, old)

    assert login(client, "alpha", "old@example.com")["access_token"]

    moved = _stored_hash(app, tenant.id, user.id)
    assert moved != old
    assert _parameters(moved) == (19_456, 2, 1)
    assert PasswordHasher().verify(moved, PASSWORD)
    # And it keeps logging in, now without a rehash.
    assert login(client, "alpha", "old@example.com")["access_token"]
    assert _stored_hash(app, tenant.id, user.id) == moved


def test_wrong_password_against_an_old_hash_is_refused_and_not_rehashed(
    app: Flask, client: FlaskClient
) -> None:
    """A wrong password on an old hash is the usual 401 and leaves the stored hash as it was."""
    tenant = make_tenant(app, "alpha")
    user = make_user(app, "alpha", email="old@example.com")
    old = OLD_HASHER.hash(PASSWORD)
    _set_hash(app, tenant.id, user.id, old)

    wrong = _login(client, "old@example.com", "Wrong-Horse-9")
    assert wrong.status_code == 401
    assert wrong.get_json()["detail"] == "Wrong email or password."
    assert _stored_hash(app, tenant.id, user.id) == old


def test_imported_users_marker_is_still_refused(app: Flask, client: FlaskClient) -> None:
    """The unusable marker of an imported user refuses every password, the marker itself included."""
    tenant = make_tenant(app, "alpha")
    user = make_user(app, "alpha", email="imported@example.com")
    marker = unusable_password_hash()
    assert marker.startswith(UNUSABLE_PASSWORD_PREFIX)
    _set_hash(app, tenant.id, user.id, marker)

    for password in (PASSWORD, marker):
        refused = _login(client, "imported@example.com", password)
        assert refused.status_code == 401
        assert refused.get_json()["detail"] == "Wrong email or password."
    assert _stored_hash(app, tenant.id, user.id) == marker


class _FailingHasher(PasswordHasher):
    """The app's hasher, except that making a new hash fails."""

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        raise HashingError("out of memory")


def test_a_failed_rehash_does_not_fail_the_login(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A rehash that fails keeps the old hash, warns without secrets, and the login still succeeds."""
    tenant = make_tenant(app, "alpha")
    user = make_user(app, "alpha", email="old@example.com")
    old = OLD_HASHER.hash(PASSWORD)
    _set_hash(app, tenant.id, user.id, old)
    failing = _FailingHasher(
        time_cost=auth.ARGON2_TIME_COST,
        memory_cost=auth.ARGON2_MEMORY_KIB,
        parallelism=auth.ARGON2_PARALLELISM,
    )
    monkeypatch.setattr(auth, "_hasher", failing)
    caplog.set_level(logging.WARNING, logger=auth.__name__)

    assert login(client, "alpha", "old@example.com")["access_token"]

    assert _stored_hash(app, tenant.id, user.id) == old
    warnings = [r for r in caplog.records if r.name == auth.__name__ and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(user.id) in message
    assert PASSWORD not in caplog.text and old not in caplog.text
