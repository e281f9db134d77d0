"""Webhook intake: one row and one job per event, however often and however concurrently it arrives."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import StripeEvent
from marketplace.services.payments import stripe_events
from tests.factories import make_caller, make_tenant
from tests.payments.factories import WEBHOOK, deliver, signature, stripe_event, tenant_id_of
from workers.queues import PAYMENTS_QUEUE


def _intent_event(tenant_id: uuid.UUID) -> dict[str, Any]:
    return stripe_event(
        "payment_intent.succeeded",
        {
            "id": f"pi_{uuid.uuid4().hex[:12]}",
            "object": "payment_intent",
            "metadata": {"tenant_id": str(tenant_id)},
        },
    )


def _rows(app: Flask) -> list[tuple[str, str, uuid.UUID | None]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(StripeEvent.stripe_event_id, StripeEvent.status, StripeEvent.tenant_id)
            ).all()
        ]


def test_a_repeated_event_is_recorded_and_queued_once(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The second delivery is acknowledged as a duplicate: no second row, no second job (a repeat of an
    event not yet processed queues the same job again, in case its first enqueue was lost)."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    event = _intent_event(tenant_id)
    first, second = deliver(client, event).get_json(), deliver(client, event).get_json()
    assert first == {"received": True, "duplicate": False, "event_id": event["id"]}
    assert second == {"received": True, "duplicate": True, "event_id": event["id"]}
    assert _rows(app) == [(event["id"], "received", tenant_id)]
    queue = Queue(PAYMENTS_QUEUE, connection=redis_client)
    with app.app_context():
        row_id = db.session.execute(select(StripeEvent.id)).scalar_one()
    assert set(queue.job_ids) == {f"stripe-event-{row_id}"}
    job = queue.jobs[0]
    assert job.kwargs["event_id"] == str(row_id) and job.kwargs["tenant_id"] == str(tenant_id)
    with app.app_context():
        payload = db.session.execute(select(StripeEvent.payload)).scalar_one()
    assert payload == event  # stored as the JSON Stripe signed


def test_concurrent_deliveries_of_one_event_make_one_row_and_one_job(
    app: Flask, live_server: str, redis_client: Redis
) -> None:
    """Eight deliveries of the same event at once over HTTP: exactly one is new, one row, one job."""
    make_tenant(app, "alpha")
    event = _intent_event(tenant_id_of(app, "alpha"))
    payload = json.dumps(event).encode()
    answers: list[dict[str, Any]] = []
    start = threading.Barrier(8)

    def post() -> None:
        request = urllib.request.Request(
            live_server + WEBHOOK,
            data=payload,
            headers={"Stripe-Signature": signature(payload.decode()), "Content-Type": "application/json"},
        )
        start.wait()
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append(json.loads(response.read()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 8
    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 7
    assert len(_rows(app)) == 1
    assert len(set(Queue(PAYMENTS_QUEUE, connection=redis_client).job_ids)) == 1


def test_an_event_recorded_while_redis_was_down_is_queued_by_its_repeat(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded, then the enqueue failed (503, Stripe retries): the repeat queues it, still one row."""
    make_tenant(app, "alpha")
    event = _intent_event(tenant_id_of(app, "alpha"))

    def redis_gone(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(stripe_events, "enqueue", redis_gone)
    assert deliver(client, event).status_code == 503
    monkeypatch.undo()
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 0
    again = deliver(client, event)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 1
    assert [status for _, status, _ in _rows(app)] == ["received"]


def test_an_ignored_repeat_is_not_queued(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """An event no tenant of the endpoint owns is kept as ignored, and its repeats queue nothing."""
    event = _intent_event(uuid.uuid4())  # claims a tenant that does not exist, names no known object
    assert deliver(client, event).get_json()["duplicate"] is False
    assert deliver(client, event).get_json()["duplicate"] is True
    assert _rows(app) == [(event["id"], "ignored", None)]
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 0


def test_platform_intake_follows_a_tenant_to_its_own_account_at_once(app: Flask, client: FlaskClient) -> None:
    """The intake's cached view of a tenant (exists, own account) changes with the tenant's credentials."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    tenant_id = tenant_id_of(app, "alpha")
    before = _intent_event(tenant_id)
    assert deliver(client, before).status_code == 200
    keys = {"stripe_secret_key": "sk_test_alphaOwnAccount1", "stripe_webhook_secret": "whsec_alphaOwn1"}
    assert admin.patch("/api/v1/admin/tenant", json=keys).status_code == 200
    after = _intent_event(tenant_id)
    assert deliver(client, after).status_code == 200
    assert admin.patch("/api/v1/admin/tenant", json={"stripe_secret_key": None}).status_code == 200
    back = _intent_event(tenant_id)
    assert deliver(client, back).status_code == 200
    statuses = {event_id: status for event_id, status, _ in _rows(app)}
    assert statuses == {before["id"]: "received", after["id"]: "ignored", back["id"]: "received"}
