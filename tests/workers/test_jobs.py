"""Jobs enqueued by services run on a real rq worker against Redis; status shows at /jobs/{id}."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker

from tests.factories import make_caller, make_tenant
from workers.queues import QUEUES


def _drain(redis_client: Redis) -> None:
    queues = [Queue(name, connection=redis_client) for name in QUEUES]
    SimpleWorker(queues, connection=redis_client).work(burst=True)


def test_export_job_runs_on_rq_and_reports(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """The export job waits queued in Redis, a worker runs it, and the API shows its result."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha", email="ann@example.com")
    started = caller.post("/api/v1/me/export")
    assert started.status_code == 202
    job_id = started.get_json()["job_id"]

    queued = caller.get(f"/api/v1/jobs/{job_id}").get_json()
    assert queued["status"] == "queued"
    assert Queue("default", connection=redis_client).job_ids == [job_id]

    _drain(redis_client)

    done = caller.get(f"/api/v1/jobs/{job_id}").get_json()
    assert done["status"] == "finished", done
    assert done["attempts"] == 1
    assert done["progress"] == {"done": 2, "total": 2, "percent": 100}
    assert done["result"]["account"]["email"] == "ann@example.com"


def test_job_visible_only_to_its_owner_and_admins(app: Flask, client: FlaskClient) -> None:
    """Another user of the same tenant gets 404; an admin of the tenant sees it."""
    make_tenant(app, "alpha")
    owner = make_caller(app, client, "alpha")
    other = make_caller(app, client, "alpha", role="brand")
    admin = make_caller(app, client, "alpha", role="admin")
    job_id = owner.post("/api/v1/me/export").get_json()["job_id"]
    assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert admin.get(f"/api/v1/jobs/{job_id}").status_code == 200
    assert [j["id"] for j in owner.get("/api/v1/jobs").get_json()["items"]] == [job_id]
    assert other.get("/api/v1/jobs").get_json()["items"] == []


def test_job_list_paginates_without_repeats(app: Flask, client: FlaskClient) -> None:
    """Following next_cursor visits every job once, newest first."""
    make_tenant(app, "alpha")
    owner = make_caller(app, client, "alpha")
    ids = [owner.post("/api/v1/me/export").get_json()["job_id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/jobs?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = owner.get(query).get_json()
        assert "items" in page, page
        seen.extend(j["id"] for j in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 5


def test_worker_command_serves_only_the_queues_named(
    app: Flask, client: FlaskClient, runner, redis_client: Redis
) -> None:
    """`flask worker --queue payments` leaves a default-queue job alone; `--queue default` runs it."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    job_id = caller.post("/api/v1/me/export").get_json()["job_id"]

    result = runner.invoke(args=["worker", "--burst", "--queue", "payments"])
    assert result.exit_code == 0, result.output
    assert caller.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "queued"

    result = runner.invoke(args=["worker", "--burst", "--queue", "default"])
    assert result.exit_code == 0, result.output
    assert caller.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "finished"
