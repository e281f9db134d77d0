"""Redis killed and started again (empty) while gunicorn serves traffic: 503s, self-recovery, nothing lost.

The API and its worker run as child processes on a redis-server of the test's own (never the
shared one): rate limits, token revocation and rq all live there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import func, select, text, update

from marketplace.extensions import db, limiter
from marketplace.models import Contract, JobRecord, Offer
from marketplace.models.base import utcnow
from marketplace.services import jobs
from marketplace.services.jobs import STUCK_AFTER, recover_jobs
from marketplace.tenancy import tenant_scope
from tests.factories import (
    PASSWORD,
    campaign_body,
    make_brand,
    make_campaign,
    make_influencer,
    make_offer,
    make_tenant,
)
from tests.payments.factories import drain, tenant_id_of
from tests.reliability.conftest import Spawner
from tests.reliability.processes import ROOT, Answer, app_env, call, wait_for
from workers.queues import DEFAULT_QUEUE

PROBLEM = "application/problem+json"


class Load:
    """Threads calling the API in a loop until stopped; every answer is kept by kind."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[float, Answer]]] = defaultdict(list)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def loop(self, kind: str, request: Callable[[], Answer | None], pause: float) -> None:
        """Call `request` every `pause` seconds until it returns None or the load stops."""

        def run() -> None:
            while not self._stop.is_set():
                answer = request()
                if answer is None:
                    return
                with self._lock:
                    self.answers[kind].append((time.monotonic(), answer))
                self._stop.wait(pause)

        thread = threading.Thread(target=run, name=f"load-{kind}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        """Stop every loop and wait for the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def _until_created(url: str, token: str, body: Any = None) -> Callable[[], Answer | None]:
    """A request repeated until it is answered 201 (a 503 means: nothing happened, try again)."""
    done = False

    def request() -> Answer | None:
        nonlocal done
        if done:
            return None
        answer = call("POST", url, token, "alpha", body)
        done = answer.status == 201
        return answer

    return request


def _sequence(requests: list[Callable[[], Answer | None]]) -> Callable[[], Answer | None]:
    """Run each request until it is done, one after the other."""
    pending = list(requests)

    def request() -> Answer | None:
        while pending:
            answer = pending[0]()
            if answer is not None:
                return answer
            pending.pop(0)
        return None

    return request


def test_redis_restarted_under_load_answers_503_recovers_and_loses_nothing(
    app: Flask, client: FlaskClient, redis_client: Redis, spawn: Spawner
) -> None:
    """Reads, logins, offers and accepts run while Redis dies and comes back empty: only 503 problems, then
    service again without restarting anything; every offer and contract answered 201 is kept and every
    job recorded before the restart runs once the sweep has queued it again."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand, publish=True, slots=10, total_budget_minor=500_000)
    invited = [make_influencer(app, client, "alpha") for _ in range(7)]
    offers = [make_offer(brand, person, campaign, cash_minor=10_000) for person in invited]
    to_invite = [make_influencer(app, client, "alpha") for _ in range(5)]
    drain(redis_client)  # the setup's own jobs ran on the shared test Redis
    tenant_id = tenant_id_of(app, "alpha")

    redis = spawn.redis()
    api = spawn.api(REDIS_URL=redis.url())
    base = f"{api.url}/api/v1"
    # Two accepts before the outage: their contract documents are queued in Redis, which will forget them.
    for person, offer in zip(invited[:2], offers[:2], strict=True):
        assert (
            call("POST", f"{base}/offers/{offer}/accept", person.tokens["access_token"], "alpha").status
            == 201
        )

    load = Load()
    brand_token = brand.tokens["access_token"]
    load.loop("read", lambda: call("GET", f"{base}/notifications", brand_token, "alpha"), 0.02)
    login = {"email": invited[0].email, "password": PASSWORD}
    load.loop("login", lambda: call("POST", f"{base}/auth/login", None, "alpha", login), 0.05)
    invite = [
        _until_created(
            f"{base}/campaigns/{campaign}/offers",
            brand_token,
            {"influencer_id": person.profile_id, "cash_minor": 10_000, "message": "Join us"},
        )
        for person in to_invite
    ]
    load.loop("offer", _sequence(invite), 0.3)
    accepts = [
        _until_created(f"{base}/offers/{offer}/accept", person.tokens["access_token"])
        for person, offer in zip(invited[2:], offers[2:], strict=True)
    ]
    load.loop("accept", _sequence(accepts), 0.3)

    time.sleep(0.6)  # each kind gets through at least once before the outage
    outage_started = time.monotonic()
    redis.kill()
    time.sleep(2.0)
    redis.start()  # empty: no rate-limit counters, no revocations, no queues
    outage_ended = time.monotonic()
    time.sleep(2.0)
    wait_for(lambda: _settled(load, len(invite), len(accepts)), 30, "every offer and accept to get through")
    load.stop()

    everything = [(kind, at, a) for kind, answers in load.answers.items() for at, a in answers]
    unexpected = [(kind, a.status, a.body) for kind, _, a in everything if a.status not in (200, 201, 503)]
    assert unexpected == [], unexpected[:5]
    refused = [(kind, at, a) for kind, at, a in everything if a.status == 503]
    for kind in ("read", "login", "offer", "accept"):
        assert any(k == kind for k, _, _ in refused), f"{kind} never met the outage"
        assert load.answers[kind][-1][1].status in (200, 201), f"{kind} did not recover"
    for _, at, answer in refused:
        assert answer.headers.get("Content-Type", "").startswith(PROBLEM) and answer.headers.get(
            "Retry-After"
        )
        assert answer.body["type"] == "urn:marketplace:problem:service-unavailable"
        assert outage_started - 1 <= at <= outage_ended + 5, "a 503 long after Redis was back"
    slowest = max(a.seconds for _, _, a in refused)
    assert slowest < 5, f"a 503 took {slowest:.1f}s"
    print(  # the figures docs/RELIABILITY.md quotes (pytest -s)
        "answers:",
        {kind: dict(Counter(a.status for _, a in answers)) for kind, answers in load.answers.items()},
        f"outage {outage_ended - outage_started:.1f}s, slowest 503 {slowest:.2f}s",
    )
    assert api.popen.poll() is None  # recovered by itself, same processes

    accepted = {a.body["contract_id"] for _, a in load.answers["accept"] if a.status == 201}
    created = {a.body["id"] for _, a in load.answers["offer"] if a.status == 201}
    assert len(accepted) == 5 and len(created) == 5
    with app.app_context(), tenant_scope(tenant_id):
        contracts = set(map(str, db.session.execute(select(Contract.id)).scalars()))
        stored_offers = set(map(str, db.session.execute(select(Offer.id)).scalars()))
        assert accepted <= contracts and len(contracts) == 7
        assert created <= stored_offers
        # Redis came back empty: the documents queued before the outage are known only to PostgreSQL.
        db.session.execute(
            update(JobRecord)
            .where(JobRecord.status.in_(jobs.OPEN_STATUSES))
            .values(updated_at=text(f"updated_at - interval '{STUCK_AFTER.total_seconds() + 1} seconds'"))
        )
        db.session.commit()
    env = app_env(app, REDIS_URL=redis.url())
    sweep = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "sweep"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sweep.returncode == 0, sweep.stderr
    requeued = re.search(r"'jobs_recovered': \{'requeued': (\d+)", sweep.stdout)
    assert requeued and int(requeued.group(1)) >= 2, sweep.stdout  # at least the two lost documents
    worker = spawn.worker(REDIS_URL=redis.url())

    def all_done() -> bool:
        with app.app_context(), tenant_scope(tenant_id):
            statuses = set(db.session.execute(select(JobRecord.status)).scalars())
            ready = db.session.execute(
                select(func.count()).select_from(Contract).where(Contract.status == "awaiting_signatures")
            ).scalar_one()
        return statuses == {"finished"} and ready == 7

    wait_for(all_done, 60, "every recorded job to run", every=0.2)
    assert worker.popen.poll() is None, worker.log()


def _settled(load: Load, offers: int, accepts: int) -> bool:
    created = sum(a.status == 201 for _, a in load.answers["offer"])
    accepted = sum(a.status == 201 for _, a in load.answers["accept"])
    return created == offers and accepted == accepts


def test_enqueue_failing_after_the_commit_keeps_the_work_and_the_sweep_queues_the_job(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis dies between the commit and the enqueue: the accept answers 201, the job waits as queued and the
    recovery sweep queues it (once) after STUCK_AFTER; the worker then generates the document."""
    make_tenant(app, "alpha")
    brand, influencer = make_brand(app, client, "alpha"), make_influencer(app, client, "alpha")
    offer = make_offer(brand, influencer, make_campaign(brand, publish=True))
    drain(redis_client)
    tenant_id = tenant_id_of(app, "alpha")

    def redis_gone(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(jobs, "enqueue", redis_gone)
    accepted = influencer.post(f"/api/v1/offers/{offer}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    monkeypatch.undo()
    contract_id = accepted.get_json()["contract_id"]
    with app.app_context(), tenant_scope(tenant_id):
        record = db.session.execute(select(JobRecord).where(JobRecord.status == "queued")).scalar_one()
        assert record.arguments == {"contract_id": contract_id} and record.spec["queue"] == DEFAULT_QUEUE
    assert Queue(DEFAULT_QUEUE, connection=redis_client).count == 0

    later = utcnow() + STUCK_AFTER + timedelta(seconds=1)
    with app.app_context(), tenant_scope(tenant_id):
        assert recover_jobs() == {"requeued": 0, "failed": 0}  # too recent: maybe still on its way
        assert recover_jobs(later) == {"requeued": 1, "failed": 0}
        assert recover_jobs(later + STUCK_AFTER) == {"requeued": 0, "failed": 0}  # rq has it now
    assert Queue(DEFAULT_QUEUE, connection=redis_client).job_ids == [str(record.id)]
    drain(redis_client)
    assert influencer.get(f"/api/v1/contracts/{contract_id}").get_json()["status"] == "awaiting_signatures"
    assert influencer.get(f"/api/v1/jobs/{record.id}").get_json()["status"] == "finished"


def test_redis_dying_after_the_view_never_turns_a_finished_request_into_an_error(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit was checked, the view committed, then Redis fails while the rate-limit headers are written:
    the answer is the view's 201 without those headers (before the fix, a 500 for work already done)."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")

    def redis_gone(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(limiter.limiter, "get_window_stats", redis_gone)
    created = brand.post("/api/v1/campaigns", json=campaign_body(brand.brand_id))
    assert created.status_code == 201, created.get_json()
    assert "X-RateLimit-Remaining" not in created.headers
    monkeypatch.undo()
    again = brand.post("/api/v1/campaigns", json=campaign_body(brand.brand_id))
    assert again.status_code == 201 and int(again.headers["X-RateLimit-Remaining"]) > 0
