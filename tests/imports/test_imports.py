"""POST /admin/imports: roster rows upserted by email on the real rq worker; errors, progress, audit."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import InfluencerProfile, MetricSnapshot, SocialAccount, User
from marketplace.services import imports
from marketplace.tenancy import tenant_scope
from tests.factories import Caller, make_caller, make_influencer, make_tenant
from tests.workers.test_jobs import _drain
from workers.jobs import imports as import_jobs

HEADER = (
    "email,display_name,country,languages,niches,platform,handle,followers,following,"
    "avg_likes,avg_comments,avg_views,accepts_in_kind,min_cash_rate_minor"
)
GOOD_AND_BAD = "\r\n".join([
    HEADER,
    "ines@example.com,Ines Cook,FR,fr;en,food;travel,instagram,ines.cooks,12000,400,600,40,0,yes,10000",  # 2
    "Marc@Example.com,Marc Runs,fr,FR,sport,tiktok,@marcruns,80000,150,2400,160,50000,no,",  # 3
    "ines@example.com,Ines Cook,,,,youtube,InesCooks,3000,,90,10,1500,,",  # 4: Ines's second account
    "not-an-email,Nobody,,,,,,,,,,,,",  # 5
    'zoe@example.com,Zoe,FR,fr,jewelery,instagram,zoe,"12,000",,,,,,',  # 6
    ",,,,,,,,,,,,,",  # blank: skipped
    "ann@example.com,Ann,,,,,,5000,,,,,,",  # 8: figures without an account
    "ines@example.com,Ines C.,,,,,,,,,,,,",  # 9: same email, another name
]) + "\r\n"  # fmt: skip


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> Caller:
    """An admin of tenant alpha."""
    make_tenant(app, "alpha")
    return make_caller(app, client, "alpha", role="admin")


def upload(caller: Caller, content: str) -> dict[str, Any]:
    """POST the CSV as a text/csv body; returns the 202 body."""
    response = caller.post(
        "/api/v1/admin/imports", data=content.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def run(caller: Caller, content: str, redis_client: Redis) -> dict[str, Any]:
    """Upload, let the rq worker run the queued jobs, and return the import job as the API shows it."""
    started = upload(caller, content)
    assert caller.get(started["status_url"]).get_json()["status"] == "queued"
    _drain(redis_client)
    job = caller.get(started["status_url"]).get_json()
    assert job["status"] == "finished", job
    return job


def _in_alpha(app: Flask, read: Any) -> Any:
    from marketplace.services.tenants import tenant_by_slug

    with app.app_context(), tenant_scope(tenant_by_slug("alpha").id):
        return read()


def test_good_and_bad_rows(app: Flask, admin: Caller, redis_client: Redis) -> None:
    """Valid rows create influencers (rows of one email merge), invalid rows are reported by row number."""
    job = run(admin, GOOD_AND_BAD, redis_client)
    result = job["result"]
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (7, 2, 0, 0)
    errors = {e["row"]: e["errors"] for e in result["errors"]}
    assert sorted(errors) == [5, 6, 8, 9] and result["error_rows"] == 4
    assert errors[5] == {"email": ["Not a valid email address."]}
    assert errors[6]["followers"] == ["Not a valid integer."]
    assert "niches" in errors[6]
    assert "platform and handle" in errors[8]["followers"][0]
    assert errors[9] == {"display_name": ["Differs from row 2, which has the same email."]}
    assert job["progress"] == {"done": 7, "total": 7, "percent": 100}

    def read() -> dict[str, Any]:
        users = {u.email: u for u in db.session.execute(select(User)).scalars() if u.role == "influencer"}
        profiles = {p.user_id: p for p in db.session.execute(select(InfluencerProfile)).scalars()}
        ines, marc = profiles[users["ines@example.com"].id], profiles[users["marc@example.com"].id]
        return {
            "emails": sorted(users),
            "hash": users["ines@example.com"].password_hash,
            "ines": (ines.display_name, ines.country, ines.languages, ines.niches, ines.followers, ines.tier,
                     round(ines.engagement_rate, 6), ines.platforms, ines.accepts_in_kind,
                     ines.min_cash_rate_minor),
            "marc": (marc.country, marc.languages, marc.tier, marc.accepts_in_kind, marc.min_cash_rate_minor),
            "handles": sorted(a.handle for a in db.session.execute(select(SocialAccount)).scalars()),
            "snapshots": db.session.execute(select(func.count()).select_from(MetricSnapshot)).scalar(),
            "search": ines.search_text,
            "risk": (ines.fraud_risk is not None, marc.fraud_risk is not None),
        }  # fmt: skip

    seen = _in_alpha(app, read)
    assert seen["emails"] == ["ines@example.com", "marc@example.com"]
    assert seen["hash"].startswith(imports.UNUSABLE_PASSWORD_PREFIX)
    # Derived as refresh_derived does: largest account, follower-weighted (600+40+90+10) / 15,000.
    assert seen["ines"] == (
        "Ines Cook", "FR", ["en", "fr"], ["food", "travel"], 12_000, "micro", round(740 / 15_000, 6),
        ["instagram", "youtube"], True, 10_000,
    )  # fmt: skip
    assert seen["marc"] == ("FR", ["fr"], "macro", False, None)
    assert seen["handles"] == ["InesCooks", "ines.cooks", "marcruns"]
    assert seen["snapshots"] == 3
    assert "@ines.cooks" in seen["search"]
    assert seen["risk"] == (True, True)  # the follow-up fraud assessment job ran
    fraud_job = admin.get(f"/api/v1/jobs/{result['fraud_assessment_job_id']}").get_json()
    assert fraud_job["status"] == "finished" and fraud_job["result"]["assessed"] == 2


def test_same_file_twice_changes_nothing(app: Flask, admin: Caller, redis_client: Redis) -> None:
    """The second import of the same file reports every influencer unchanged and writes nothing."""
    first = run(admin, GOOD_AND_BAD, redis_client)["result"]
    count = lambda: _in_alpha(  # noqa: E731
        app,
        lambda: [
            db.session.execute(select(func.count()).select_from(model)).scalar()
            for model in (User, InfluencerProfile, SocialAccount, MetricSnapshot)
        ],
    )
    before = count()
    second = run(admin, GOOD_AND_BAD, redis_client)["result"]
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
    assert second["errors"] == first["errors"]
    assert second["fraud_assessment_job_id"] is None
    assert count() == before


def test_changed_rows_update_and_recompute(app: Flask, admin: Caller, redis_client: Redis) -> None:
    """A later file with new figures updates the profile (tier recomputed); blank cells keep old values."""
    run(admin, GOOD_AND_BAD, redis_client)
    later = "\r\n".join([HEADER, "marc@example.com,Marc Runs,,,,tiktok,marcruns,40000,,,,,,"])
    result = run(admin, later, redis_client)["result"]
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 0)

    def read() -> tuple:
        profile = db.session.execute(
            select(InfluencerProfile).where(InfluencerProfile.display_name == "Marc Runs")
        ).scalar_one()
        account = db.session.execute(
            select(SocialAccount).where(SocialAccount.handle == "marcruns")
        ).scalar_one()
        return profile.tier, profile.followers, profile.country, account.avg_likes

    assert _in_alpha(app, read) == ("micro", 40_000, "FR", 2400.0)


def test_existing_accounts(app: Flask, client: FlaskClient, admin: Caller, redis_client: Redis) -> None:
    """A brand's or admin's email is refused; a self-registered influencer is updated, keeping their login."""
    brand = make_caller(app, client, "alpha", role="brand", email="brand@example.com")
    influencer = make_influencer(app, client, "alpha")
    content = "\r\n".join([
        "email,display_name,platform,handle,followers",
        f"{brand.email},Brand Person,instagram,brandy,5000",
        f"{influencer.email.upper()},Ines Cook,tiktok,ines.tok,3000",
    ])  # fmt: skip
    result = run(admin, content, redis_client)["result"]
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 0)
    assert result["errors"] == [
        {"row": 2, "errors": {"email": ["Belongs to a brand account; not imported."]}}
    ]
    profile = admin.get(f"/api/v1/influencers/{influencer.profile_id}").get_json()
    assert sorted(a["platform"] for a in profile["social_accounts"]) == ["instagram", "tiktok"]
    assert influencer.get("/api/v1/me").status_code == 200


def test_profile_imported_for_a_suspended_user_stays_out_of_search(
    app: Flask, client: FlaskClient, admin: Caller, redis_client: Redis
) -> None:
    """The new profile carries its owner's suspension (owner_suspended) until an admin reinstates them."""
    brand = make_caller(app, client, "alpha", role="brand")
    user = make_caller(app, client, "alpha", role="influencer", email="held@example.com")
    user_id = user.get("/api/v1/me").get_json()["id"]
    assert admin.post(f"/api/v1/admin/users/{user_id}/suspend", json={"reason": "x"}).status_code == 200
    result = run(admin, "email,display_name,niches\r\nheld@example.com,Held,food\r\n", redis_client)["result"]
    assert (result["created"], result["updated"], result["errors"]) == (0, 1, [])
    assert brand.get("/api/v1/influencers").get_json()["items"] == []
    assert admin.post(f"/api/v1/admin/users/{user_id}/reinstate", json={"reason": "y"}).status_code == 200
    assert [p["display_name"] for p in brand.get("/api/v1/influencers").get_json()["items"]] == ["Held"]


def test_imported_user_cannot_log_in(admin: Caller, client: FlaskClient, redis_client: Redis) -> None:
    """The unusable password refuses every login until the influencer claims the account."""
    run(admin, GOOD_AND_BAD, redis_client)
    for password in ("", "!", imports.UNUSABLE_PASSWORD_PREFIX, "Correct-Horse-9"):
        response = client.post(
            "/api/v1/auth/login", json={"email": "ines@example.com", "password": password or "x"},
            headers={"X-Tenant": "alpha"},
        )  # fmt: skip
        assert response.status_code == 401


def test_progress_is_reported_per_batch(
    admin: Caller, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With batches of 2 rows, progress climbs batch by batch and ends at done == total."""
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    calls: list[tuple[int, int]] = []
    real = import_jobs.report_progress
    monkeypatch.setattr(
        import_jobs,
        "report_progress",
        lambda job_id, done, total: (calls.append((done, total)), real(job_id, done, total)),
    )
    rows = [f"p{n}@example.com,P {n},instagram,p{n},{1000 * n}" for n in range(1, 8)]
    content = "\r\n".join(["email,display_name,platform,handle,followers", *rows])
    job = run(admin, content, redis_client)
    assert calls[:5] == [(0, 7), (2, 7), (4, 7), (6, 7), (7, 7)]
    assert job["progress"] == {"done": 7, "total": 7, "percent": 100}
    assert job["result"]["created"] == 7


def test_multipart_upload_and_audit(admin: Caller, redis_client: Redis) -> None:
    """The file may come as multipart field `file`; the admin action lands in the audit log."""
    response = admin.post(
        "/api/v1/admin/imports",
        data={"file": (io.BytesIO(GOOD_AND_BAD.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job_id"]
    entries = admin.get("/api/v1/admin/audit-log?action=roster.import").get_json()["items"]
    assert [(e["action"], e["target_type"], e["target_id"]) for e in entries] == [
        ("roster.import", "job", job_id)
    ]
    assert entries[0]["after"]["rows"] == 7
    _drain(redis_client)
    assert admin.get(f"/api/v1/jobs/{job_id}").get_json()["result"]["created"] == 2


def test_only_admins_import(app: Flask, client: FlaskClient, admin: Caller) -> None:
    """Brands and influencers get 403, anonymous callers 401; nothing is queued."""
    for role in ("brand", "influencer"):
        caller = make_caller(app, client, "alpha", role=role)
        response = caller.post(
            "/api/v1/admin/imports", data=GOOD_AND_BAD, headers={"Content-Type": "text/csv"}
        )
        assert response.status_code == 403
    anonymous = client.post(
        "/api/v1/admin/imports", data=GOOD_AND_BAD, headers={"X-Tenant": "alpha", "Content-Type": "text/csv"}
    )
    assert anonymous.status_code == 401
    assert admin.get("/api/v1/jobs").get_json()["items"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b"{}", "application/json", 415, None),
        (b"name,email\r\nx,y@example.com\r\n", "text/csv", 422, "file"),
        (HEADER.encode(), "text/csv", 422, "file"),
        ("email,display_name\r\nzoë@example.com,Zoë\r\n".encode("latin-1"), "text/csv", 422, "file"),
        (b"", "multipart/form-data; boundary=x", 422, "file"),
    ],
)
def test_refused_uploads(
    admin: Caller, body: bytes, content_type: str, status: int, field: str | None
) -> None:
    """Wrong media type, unknown columns, no rows, non-UTF-8 and no file field are refused up front."""
    response = admin.post("/api/v1/admin/imports", data=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in response.get_json()["errors"]


def test_too_large_upload(admin: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    """A body past the size limit is a 413 problem."""
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    response = admin.post("/api/v1/admin/imports", data=GOOD_AND_BAD, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.get_json()["type"].endswith("payload-too-large")
