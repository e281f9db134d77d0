"""Webhook intake: one row per event, however often and however concurrently it arrives, and its processing
seen to: with Redis by one drain job per burst (armed with SET NX), without Redis by a job per event."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from marketplace import extensions
from marketplace.extensions import db
from marketplace.models import StripeEvent
from marketplace.services.payments import stripe_events
from marketplace.services.payments.handlers import HANDLERS
from marketplace.services.payments.stripe_events import DRAIN_ARMED_KEY
from tests.factories import make_caller, make_tenant
from tests.payments.factories import WEBHOOK, deliver, drain, signature, stripe_event, tenant_id_of
from workers.jobs import payments as payment_jobs
from workers.jobs.payments import drain_stripe_events
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


def _statuses(app: Flask) -> dict[str, str]:
    return {event_id: status for event_id, status, _ in _rows(app)}


def _row_id(app: Flask, stripe_event_id: str) -> uuid.UUID:
    with app.app_context():
        return db.session.execute(
            select(StripeEvent.id).where(StripeEvent.stripe_event_id == stripe_event_id)
        ).scalar_one()


def _queued(redis_client: Redis) -> list[str]:
    return Queue(PAYMENTS_QUEUE, connection=redis_client).job_ids


def _drain_jobs(redis_client: Redis) -> list[str]:
    return [job_id for job_id in _queued(redis_client) if job_id.startswith("stripe-drain-")]


def test_a_repeated_event_is_recorded_and_queued_once(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The second delivery is acknowledged as a duplicate: no second row, no second job (a repeat of an
    event not yet processed arms the drain again, a no-op while the first drain still waits)."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    event = _intent_event(tenant_id)
    first, second = deliver(client, event).get_json(), deliver(client, event).get_json()
    assert first == {"received": True, "duplicate": False, "event_id": event["id"]}
    assert second == {"received": True, "duplicate": True, "event_id": event["id"]}
    assert _rows(app) == [(event["id"], "received", tenant_id)]
    queue = Queue(PAYMENTS_QUEUE, connection=redis_client)
    [job_id] = queue.job_ids
    assert job_id.startswith("stripe-drain-")
    job = queue.jobs[0]
    assert job.func_name == stripe_events.DRAIN_JOB and job.kwargs == {"job_id": job_id}
    assert job.retries_left == 4  # PAYMENTS_SPEC's retries
    assert redis_client.get(DRAIN_ARMED_KEY) == b"1" and 0 < redis_client.ttl(DRAIN_ARMED_KEY) <= 60
    with app.app_context():
        payload = db.session.execute(select(StripeEvent.payload)).scalar_one()
    assert payload == event  # stored as the JSON Stripe signed


def test_concurrent_deliveries_of_one_event_make_one_row_and_one_job(
    app: Flask, live_server: str, redis_client: Redis
) -> None:
    """Eight deliveries of the same event at once over HTTP: exactly one is new, one row, one (drain) job."""
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
    assert len(_queued(redis_client)) == len(_drain_jobs(redis_client)) == 1


def test_an_event_recorded_while_redis_was_down_is_queued_by_its_repeat(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded and armed, then the drain's enqueue failed (503, Stripe retries): the key is disarmed at
    once, so the repeat arms it again and queues the drain, which processes the event; still one row."""
    make_tenant(app, "alpha")
    event = _intent_event(tenant_id_of(app, "alpha"))

    def redis_gone(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(stripe_events, "enqueue", redis_gone)
    assert deliver(client, event).status_code == 503
    monkeypatch.undo()
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 0
    assert not redis_client.exists(DRAIN_ARMED_KEY)
    again = deliver(client, event)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert len(_drain_jobs(redis_client)) == Queue(PAYMENTS_QUEUE, connection=redis_client).count == 1
    assert [status for _, status, _ in _rows(app)] == ["received"]
    drain(redis_client)
    assert [status for _, status, _ in _rows(app)] == ["processed"]


def test_an_ignored_repeat_is_not_queued(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """An event no tenant of the endpoint owns is kept as ignored, and its repeats queue nothing."""
    event = _intent_event(uuid.uuid4())  # claims a tenant that does not exist, names no known object
    assert deliver(client, event).get_json()["duplicate"] is False
    assert deliver(client, event).get_json()["duplicate"] is True
    assert _rows(app) == [(event["id"], "ignored", None)]
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 0
    assert not redis_client.exists(DRAIN_ARMED_KEY)


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


def _post_concurrently(live_server: str, events: list[dict[str, Any]], threads: int = 8) -> list[int]:
    """Deliver the events over HTTP from `threads` threads at once; the status of every answer."""
    statuses: list[int] = []
    pending = list(events)
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def post() -> None:
        start.wait()
        while True:
            with lock:
                if not pending:
                    return
                event = pending.pop()
            payload = json.dumps(event).encode()
            request = urllib.request.Request(
                live_server + WEBHOOK,
                data=payload,
                headers={"Stripe-Signature": signature(payload.decode()), "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
            with lock:
                statuses.append(status)

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return statuses


def test_a_burst_of_events_queues_one_drain_that_processes_them_all(
    app: Flask, live_server: str, redis_client: Redis
) -> None:
    """Sixty new events from eight connections at once: one drain job in Redis, and after a worker
    ran it, every event processed once, the armed key gone and nothing left queued."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    tenants = [tenant_id_of(app, "alpha"), tenant_id_of(app, "beta")]
    events = [_intent_event(tenants[i % 2]) for i in range(60)]
    assert _post_concurrently(live_server, events) == [200] * 60
    assert len(_queued(redis_client)) == len(_drain_jobs(redis_client)) == 1
    assert set(_statuses(app).values()) == {"received"}
    [drain_id] = _drain_jobs(redis_client)
    drain(redis_client)
    assert _statuses(app) == {event["id"]: "processed" for event in events}
    assert not redis_client.exists(DRAIN_ARMED_KEY)
    assert _queued(redis_client) == []
    result = Job.fetch(drain_id, connection=redis_client).return_value()
    assert result == {"processed": 60, "handed_off": 0, "skipped": 0, "continued": False}


def test_an_event_met_by_an_armed_key_is_processed_by_the_drain_already_queued(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The key is set (its drain queued, not started): the event queues nothing and that drain,
    which deletes the key before it reads, processes it; the next event then arms a new drain."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    redis_client.set(DRAIN_ARMED_KEY, 1, ex=60)
    early = _intent_event(tenant_id)
    assert deliver(client, early).status_code == 200
    assert _queued(redis_client) == []  # the SET NX failed: the armed drain will read this row
    assert drain_stripe_events(job_id="stripe-drain-test")["processed"] == 1  # the armed key's drain
    assert _statuses(app) == {early["id"]: "processed"}
    assert not redis_client.exists(DRAIN_ARMED_KEY)
    later = _intent_event(tenant_id)
    assert deliver(client, later).status_code == 200
    assert len(_drain_jobs(redis_client)) == 1


def test_an_event_recorded_during_a_drain_arms_the_next_drain(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The drain deletes the key before its first read: an event arriving while it runs arms a new one."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    first, during = _intent_event(tenant_id), _intent_event(tenant_id)
    assert deliver(client, first).status_code == 200
    Queue(PAYMENTS_QUEUE, connection=redis_client).empty()  # this test runs the drain itself
    delivered: list[int] = []

    def run_one(event_id: uuid.UUID, event_tenant: uuid.UUID) -> dict[str, Any]:
        if not delivered:  # while the drain processes its first event
            delivered.append(deliver(client, during).status_code)
        return payment_jobs.process_stripe_event(
            job_id="test", tenant_id=str(event_tenant), event_id=str(event_id), skip_locked=True
        )

    with app.app_context():
        report = stripe_events.drain_received(run_one)
    assert delivered == [200] and report.processed == 2  # its next read found the new event too
    assert len(_drain_jobs(redis_client)) == 1  # armed by the delivery during the drain
    drain(redis_client)
    assert _statuses(app) == {first["id"]: "processed", during["id"]: "processed"}


def test_a_lost_drain_is_replaced_once_the_armed_key_expires(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The key is set but its drain job is gone (Redis lost it): the key's expiry lets a later event
    queue a drain, which processes both events."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    redis_client.set(DRAIN_ARMED_KEY, 1, px=300)  # EX 60 in production
    stranded, later = _intent_event(tenant_id), _intent_event(tenant_id)
    assert deliver(client, stranded).status_code == 200
    assert _queued(redis_client) == []
    time.sleep(0.4)
    assert deliver(client, later).status_code == 200
    assert len(_drain_jobs(redis_client)) == 1
    drain(redis_client)
    assert _statuses(app) == {stranded["id"]: "processed", later["id"]: "processed"}


def test_a_failing_event_becomes_its_own_retried_job_and_blocks_no_other(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One event's handler raises: the drain processes the others, queues the failing one as its own
    job with rq's retries (not read again by this drain), and that job succeeds once the fault is gone."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    events = [_intent_event(tenant_id) for _ in range(5)]
    bad = events[2]
    original = HANDLERS["payment_intent.succeeded"]
    calls: Counter[str] = Counter()

    def flaky(obj: dict[str, Any], followups: list[Any]) -> str:
        calls[obj["id"]] += 1
        if obj["id"] == bad["data"]["object"]["id"]:
            raise RuntimeError("handler broke")
        return original(obj, followups)

    monkeypatch.setitem(HANDLERS, "payment_intent.succeeded", flaky)
    for event in events:
        assert deliver(client, event).status_code == 200
    [drain_id] = _drain_jobs(redis_client)
    drain(redis_client)  # runs the drain, then the handed-off job, which fails and is scheduled again
    assert _statuses(app) == {e["id"]: ("received" if e is bad else "processed") for e in events}
    result = Job.fetch(drain_id, connection=redis_client).return_value()
    assert result == {"processed": 4, "handed_off": 1, "skipped": 0, "continued": False}
    assert calls[bad["data"]["object"]["id"]] == 2  # once in the drain, once as its own job
    own_job = f"stripe-event-{_row_id(app, bad['id'])}"
    scheduled = ScheduledJobRegistry(PAYMENTS_QUEUE, connection=redis_client)
    assert scheduled.get_job_ids() == [own_job]
    job = Job.fetch(own_job, connection=redis_client)
    assert job.func_name == stripe_events.PROCESS_JOB and job.kwargs["tenant_id"] == str(tenant_id)
    assert (job.retries_left, job.retry_intervals) == (3, [10, 60, 300, 1800])

    monkeypatch.setitem(HANDLERS, "payment_intent.succeeded", original)
    scheduled.remove(job)
    Queue(PAYMENTS_QUEUE, connection=redis_client).enqueue_job(job)  # its retry, without the 10-s wait
    drain(redis_client)
    assert set(_statuses(app).values()) == {"processed"}


def test_two_drains_at_once_process_every_event_once(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two drains in two threads over the same forty events: each handler runs once, the drains split
    the events (a row the other holds is skipped, not waited for) and together processed all."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    tenants = [tenant_id_of(app, "alpha"), tenant_id_of(app, "beta")]
    events = [_intent_event(tenants[i % 2]) for i in range(40)]
    for event in events:
        assert deliver(client, event).status_code == 200
    original = HANDLERS["payment_intent.succeeded"]
    calls: Counter[str] = Counter()
    calls_lock = threading.Lock()

    def slow(obj: dict[str, Any], followups: list[Any]) -> str:
        with calls_lock:
            calls[obj["id"]] += 1
        time.sleep(0.02)
        return original(obj, followups)

    monkeypatch.setitem(HANDLERS, "payment_intent.succeeded", slow)
    results: list[dict[str, Any]] = []
    start = threading.Barrier(2)

    def run(name: str) -> None:
        start.wait()
        results.append(drain_stripe_events(job_id=name))

    threads = [threading.Thread(target=run, args=(f"stripe-drain-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    assert _statuses(app) == {event["id"]: "processed" for event in events}
    assert sorted(calls.values()) == [1] * 40
    assert sum(r["processed"] for r in results) == 40 and all(r["handed_off"] == 0 for r in results)
    assert all(r["processed"] > 0 for r in results)  # they split the work


def test_a_repeat_of_a_still_received_event_arms_the_drain(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Redis lost the drain and its key (e.g. restarted empty): Stripe's repeat of the event arms a
    new drain; a repeat after processing arms nothing."""
    make_tenant(app, "alpha")
    event = _intent_event(tenant_id_of(app, "alpha"))
    assert deliver(client, event).status_code == 200
    redis_client.flushdb()
    again = deliver(client, event)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert len(_drain_jobs(redis_client)) == 1 and redis_client.exists(DRAIN_ARMED_KEY)
    drain(redis_client)
    assert _statuses(app) == {event["id"]: "processed"}
    assert deliver(client, event).get_json()["duplicate"] is True
    assert _queued(redis_client) == [] and not redis_client.exists(DRAIN_ARMED_KEY)


def test_without_redis_each_event_runs_as_its_own_in_process_job(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded default (no Redis): no drain, no key; the event's own job runs in the API process."""
    make_tenant(app, "alpha")
    event = _intent_event(tenant_id_of(app, "alpha"))
    monkeypatch.setattr(extensions.redis, "client", None)
    assert deliver(client, event).status_code == 200
    deadline = time.monotonic() + 30
    while _statuses(app) != {event["id"]: "processed"}:
        assert time.monotonic() < deadline, _statuses(app)
        time.sleep(0.05)
    monkeypatch.undo()
    assert _queued(redis_client) == [] and not redis_client.exists(DRAIN_ARMED_KEY)


def test_a_drain_out_of_time_arms_its_successor(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """A drain past its time stops between events and queues the next drain, which finishes the work."""
    make_tenant(app, "alpha")
    tenant_id = tenant_id_of(app, "alpha")
    events = [_intent_event(tenant_id) for _ in range(3)]
    for event in events:
        assert deliver(client, event).status_code == 200
    Queue(PAYMENTS_QUEUE, connection=redis_client).empty()  # this test runs the first drain itself

    def run_one(event_id: uuid.UUID, event_tenant: uuid.UUID) -> dict[str, Any]:
        time.sleep(0.2)
        return payment_jobs.process_stripe_event(
            job_id="test", tenant_id=str(event_tenant), event_id=str(event_id), skip_locked=True
        )

    with app.app_context():
        report = stripe_events.drain_received(run_one, seconds=0.1)
    assert (report.processed, report.continued) == (1, True)
    assert len(_drain_jobs(redis_client)) == 1
    drain(redis_client)
    assert set(_statuses(app).values()) == {"processed"}
