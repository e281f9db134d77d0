"""What bench/load.py drives: the data, the gunicorn server and the request pools wrk replays.

- Data: tenant `bench-100k` (100,000 generated influencers, shared with bench/search.py and
  bench/matching.py), generated brands and campaigns, and the real matching service run for every
  published campaign so `GET /campaigns/{id}/matches` reads stored matches.
- Server: gunicorn on `wsgi:app` in production mode (secrets generated per run), PostgreSQL, Redis db 4.
- Pools: search query strings (later pages reached through the API's own cursors), the match pages,
  login bodies rotating over generated influencers, and Stripe-shaped events signed like Stripe does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_db import app_role_url, bench_app, database_url, ensure_tenant
from sqlalchemy import func, select, text, update

from marketplace.extensions import db
from marketplace.models import Campaign, CampaignMatch, User
from marketplace.services import auth
from marketplace.services.demo_data import DEMO_PASSWORD, demo_password_hash, generate_brands_and_campaigns
from marketplace.services.matching import run_matching
from marketplace.tenancy import tenant_scope

ROOT = Path(__file__).resolve().parent.parent
TENANT, TENANT_COUNT, TENANT_SEED = "bench-100k", 100_000, 2026
REDIS_URL = "redis://127.0.0.1:6379/4"  # this benchmark's own database index, flushed by it
LOGIN_USERS = 2_000
EVENT_PREFIX = "evt_load_"
# Typical discovery searches (the structured filters and sorts of bench/search.py); "@N" reaches page
# N through next_cursor. Free text ranked by relevance has a known slow spot (docs/search.md) and
# is measured on its own (TEXT_SEARCHES), so that it neither hides nor is hidden by the rest.
SEARCHES = (
    "niche=food",
    "niche=food&country=FR",
    "niche=fashion&related=true&language=fr",
    "platform=instagram&tier=micro",
    "min_followers=10000&max_followers=100000&min_engagement=0.02&max_engagement=0.06&sort=-followers",
    "deliverable=post&rate_platform=instagram&max_rate=30000&sort=rate",
    "sort=newest",
    "sort=-rating",
    "niche=food@2",
    "niche=food@20",
)
# The first pages of the searches bench/bare_app.py also answers (no related niches, prices or
# cursors): `search_common` on the API and `bare_search` on the bare reference, in the same run.
COMMON_SEARCHES = (
    "niche=food",
    "niche=food&country=FR",
    "platform=instagram&tier=micro",
    "min_followers=10000&max_followers=100000&min_engagement=0.02&max_engagement=0.06&sort=-followers",
    "sort=newest",
    "sort=-rating",
)
TEXT_SEARCHES = ("q=street+food", "q=lea")


@dataclass
class BenchData:
    """Ids and accounts the load needs, found or made in the benchmark database."""

    tenant: dict[str, Any]
    campaign_id: str
    viewer_email: str
    login_emails: list[str]
    campaigns_matched: dict[str, int] = field(default_factory=dict)


def prepare_data() -> BenchData:
    """The tenant, brands, campaigns with stored matches (real matching service), and login accounts."""
    app = bench_app()
    tenant = ensure_tenant(app, TENANT, TENANT_COUNT, seed=TENANT_SEED)
    tenant_id = uuid.UUID(tenant["tenant_id"])
    with app.app_context():
        with tenant_scope(tenant_id) as scoped:
            pattern = f"brand%@{scoped.slug}.demo"
            owners = select(func.count()).select_from(User).where(User.email.like(pattern))
            if not db.session.execute(owners).scalar_one():
                generate_brands_and_campaigns(tenant_id, brands=4, campaigns=8, seed=TENANT_SEED)
            published = db.session.execute(
                select(Campaign.id, User.email)
                .join(User, User.id == Campaign.created_by)
                .where(Campaign.status == "published", User.email.like(pattern))
                .order_by(Campaign.created_at, Campaign.id)
            ).all()
            matched: dict[str, int] = {}
            for campaign_id, _ in published:
                stored = db.session.execute(
                    select(func.count())
                    .select_from(CampaignMatch)
                    .where(CampaignMatch.campaign_id == campaign_id)
                ).scalar_one()
                if not stored:
                    stored = run_matching(campaign_id)["matches"]
                matched[str(campaign_id)] = stored
            db.session.commit()
            campaign_id, viewer = max(published, key=lambda row: (matched[str(row[0])], str(row[0])))
            _rehash_generated_users(scoped.slug)
        # Earlier runs' events would only slow the unique index down: start each run from none.
        db.session.execute(
            text("DELETE FROM stripe_events WHERE stripe_event_id LIKE :p"), {"p": "evt_load_%"}
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    emails = [f"inf{n}@{TENANT}.demo" for n in range(1, LOGIN_USERS + 1)]
    return BenchData(tenant, str(campaign_id), viewer, emails, matched)


def _rehash_generated_users(slug: str) -> None:
    """Give generated users hashed under older argon2 parameters the current hash of the demo password:
    what each one's next login would do (services/auth.py), done once here so that the login run
    measures logins, not a one-time migration of 2,000 hashes."""
    generated = User.email.like(f"%@{slug}.demo")
    current = demo_password_hash()
    for (stored,) in db.session.execute(select(User.password_hash).where(generated).distinct()).all():
        if stored == current or not stored.startswith("$argon2") or not auth.needs_rehash(stored):
            continue
        if auth.verifies(stored, DEMO_PASSWORD):
            db.session.execute(
                update(User).where(generated, User.password_hash == stored).values(password_hash=current)
            )
            log(f"generated users of {slug}: demo password hash moved to the current argon2 parameters")
    db.session.commit()


@dataclass
class ServerConfig:
    """How gunicorn runs the app for the benchmark."""

    workers: int
    threads: int
    worker_class: str
    pool_size: int
    max_overflow: int
    port: int
    app: str = "wsgi:app"  # bench/load.py's bare reference: "bare_app:app" with chdir "bench"
    chdir: str | None = None

    def command(self) -> list[str]:
        """The gunicorn command line."""
        return [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            *(["--chdir", self.chdir] if self.chdir else []),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "5",
            self.app,
        ]


@dataclass
class Server:
    """A running gunicorn, its secrets and its log."""

    process: subprocess.Popen
    config: ServerConfig
    webhook_secret: str
    log_path: Path

    @property
    def base(self) -> str:
        """The server's URL."""
        return f"http://127.0.0.1:{self.config.port}"

    def pids(self) -> list[int]:
        """The master and its workers."""
        master = self.process.pid
        return [master, *_children_of(master)]

    def stop(self) -> None:
        """Stop gunicorn (its own process group) and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def server_environment(config: ServerConfig, workdir: Path) -> tuple[dict[str, str], str]:
    """Production settings (config.validate() passes), fresh secrets, high rate limits for the load."""
    webhook_secret = "whsec_" + secrets.token_hex(24)
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")},
        "MARKETPLACE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # The app's role, held by row-level security as in production (BENCH_AS_OWNER=1: without).
        "DATABASE_URL": app_role_url(),
        "REDIS_URL": REDIS_URL,
        "STRIPE_API_KEY": "sk_test_" + secrets.token_hex(16),  # never called by the measured routes
        "STRIPE_API_BASE": "",
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LOG_LEVEL": "WARNING",
        "AUTH_RATE_LIMIT": "1000000/minute",
        "MUTATION_RATE_LIMIT": "1000000/minute",
        "DB_POOL_SIZE": str(config.pool_size),
        "DB_MAX_OVERFLOW": str(config.max_overflow),
        "INSTANCE_DIR": str(workdir / "instance"),
        "STORAGE_DIR": str(workdir / "storage"),
    }
    return env, webhook_secret


def flush_bench_redis() -> None:
    """Empty Redis db 4 (this benchmark's own index): the queued event jobs no worker runs."""
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()


def bare_environment(config: ServerConfig) -> dict[str, str]:
    """bench/bare_app.py's settings: the benchmark database as its owner (no row-level security)."""
    return {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")},
        "BARE_DATABASE_URL": database_url().replace("postgresql://", "postgresql+psycopg://", 1),
        "DB_POOL_SIZE": str(config.pool_size),
        "DB_MAX_OVERFLOW": str(config.max_overflow),
    }


def start_server(config: ServerConfig, workdir: Path) -> Server:
    """Start gunicorn in its own process group and wait until it answers (/readyz, or /healthz for
    the bare reference)."""
    if config.chdir:
        env, webhook_secret, ready = bare_environment(config), "", "/healthz"
    else:
        env, webhook_secret = server_environment(config, workdir)
        ready = "/readyz"
    log_path = workdir / "gunicorn.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        config.command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(process, config, webhook_secret, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            status, _ = http(server.base + ready)
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise SystemExit(f"gunicorn did not become ready:\n{log_path.read_text()[-3000:]}")


def wait_until_idle(server: Server, longest: float = 60) -> float:
    """Wait until the server answers /healthz quickly again (work queued by the last run is done)."""
    started = time.monotonic()
    quick = 0
    while quick < 3 and time.monotonic() - started < longest:
        began = time.perf_counter()
        http(server.base + "/healthz")
        quick = quick + 1 if time.perf_counter() - began < 0.02 else 0
        time.sleep(0.2)
    return time.monotonic() - started


def http(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request with the standard library: (status, parsed JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def login(server: Server, email: str) -> str:
    """An access token for a generated user (DEMO_PASSWORD), through the API."""
    status, answer = http(
        server.base + "/api/v1/auth/login",
        {"email": email, "password": DEMO_PASSWORD},
        {"X-Tenant": TENANT},
    )
    if status != 200:
        raise SystemExit(f"login of {email} answered {status}: {answer}")
    return answer["access_token"]


def _follow(server: Server, path: str, pages: int, token: str) -> str:
    """The path of page `pages` of a list, reached through next_cursor like a client would."""
    headers = {"X-Tenant": TENANT, "Authorization": f"Bearer {token}"}
    for _ in range(pages - 1):
        status, answer = http(server.base + path, headers=headers)
        if status != 200 or not answer.get("next_cursor"):
            raise SystemExit(f"GET {path} answered {status} without a next page: {answer}")
        base, _, query = path.partition("?")
        params = [(k, v) for k, v in urllib.parse.parse_qsl(query) if k != "cursor"]
        path = f"{base}?{urllib.parse.urlencode([*params, ('cursor', answer['next_cursor'])])}"
    status, answer = http(server.base + path, headers=headers)
    if status != 200 or not answer.get("items"):
        raise SystemExit(f"GET {path} answered {status} with no items: {answer}")
    return path


def search_paths(server: Server, token: str, searches: tuple[str, ...] = SEARCHES) -> list[str]:
    """The rotation of GET /api/v1/influencers query strings, each checked to answer 200 with items."""
    paths = []
    for search in searches:
        query, _, page = search.partition("@")
        paths.append(_follow(server, f"/api/v1/influencers?{query}", int(page or 1), token))
    return paths


def match_paths(server: Server, token: str, campaign_id: str, pages: int = 5) -> list[str]:
    """The first `pages` pages (20 each) of a campaign's stored matches."""
    path = f"/api/v1/campaigns/{campaign_id}/matches?limit=20"
    return [_follow(server, path, page, token) for page in range(1, pages + 1)]


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write a pool file, one item a line."""
    path.write_text("\n".join(lines) + "\n")
    return path


def login_bodies(emails: list[str]) -> list[str]:
    """Login bodies rotating over many users (one row lock each, as real traffic would spread)."""
    return [json.dumps({"email": email, "password": DEMO_PASSWORD}) for email in emails]


def stripe_event(run: str, number: int, tenant_id: str, created: int) -> str:
    """A Stripe-shaped payment_intent.succeeded event of the tenant, unique per (run, number), as JSON."""
    suffix = f"{run}{number:09d}"
    event = {
        "id": f"{EVENT_PREFIX}{suffix}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_{suffix}", "idempotency_key": f"payment-{suffix}"},
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": f"pi_{suffix}",
                "object": "payment_intent",
                "amount": 55_000,
                "amount_capturable": 0,
                "amount_received": 55_000,
                "capture_method": "automatic",
                "client_secret": f"pi_{suffix}_secret_x",
                "confirmation_method": "automatic",
                "created": created,
                "currency": "eur",
                "customer": None,
                "description": "Contract funding",
                "latest_charge": f"ch_{suffix}",
                "livemode": False,
                "metadata": {
                    "tenant_id": tenant_id,
                    "contract_id": str(uuid.uuid4()),
                    "payment_id": str(uuid.uuid4()),
                },
                "payment_method": f"pm_{suffix}",
                "payment_method_types": ["card"],
                "status": "succeeded",
                "transfer_group": f"contract_{uuid.uuid4()}",
            }
        },
    }
    return json.dumps(event, separators=(",", ":"))


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Stripe's signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def write_event_pool(prefix: Path, threads: int, per_thread: int, secret: str, tenant_id: str) -> int:
    """Files <prefix>.<i> of "<signature>\\t<body>" lines, every event id unique; returns the count."""
    run = secrets.token_hex(4)
    now = int(time.time())
    number = 0
    for index in range(threads):
        with open(f"{prefix}.{index}", "w") as out:
            for _ in range(per_thread):
                number += 1
                body = stripe_event(run, number, tenant_id, now)
                out.write(f"{sign(body, secret, now)}\t{body}\n")
    return number


def count_load_events() -> int:
    """How many benchmark events the database recorded (rows of stripe_events)."""
    import psycopg

    with psycopg.connect(database_url()) as conn:
        return conn.execute(
            "SELECT count(*) FROM stripe_events WHERE stripe_event_id LIKE %s", (f"{EVENT_PREFIX}%",)
        ).fetchone()[0]


def log(message: str) -> None:
    """Progress on stderr (figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)
