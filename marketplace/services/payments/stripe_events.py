"""Stripe webhooks in: verify, record once under the event id, resolve the tenant, process in a job.

The platform endpoint verifies with STRIPE_WEBHOOK_SECRET and accepts events of tenants that run
on the platform account; a tenant's endpoint verifies with that tenant's own secret (else the
platform's) and accepts only that tenant's events. The tenant comes from our metadata on the
object (tenant_id), else from our rows that name the object's Stripe id.

With Redis, recorded events are processed by a drain job rather than one job each: the intake
arms the drain with one `SET stripe-events:drain-armed 1 NX EX 60`, and only the request whose SET
succeeds queues a drain (`arm_drain`); the drain deletes the key first, then processes every
'received' event it reads (`drain_received`). An event whose processing fails goes on as its own
job with rq's retries. Without Redis (the embedded default) each event still gets its own job.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Text, bindparam, cast, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace import rowcache
from marketplace.dbpool import processed, run_autocommit
from marketplace.errors import BadRequest, NotFound
from marketplace.extensions import db, redis
from marketplace.models import Payment, PayoutAccount, Refund, StripeEvent, Tenant, Transfer
from marketplace.models.base import utcnow
from marketplace.payments.errors import InvalidSignature
from marketplace.payments.signatures import verify_event
from marketplace.services.payments.access import access_for, has_own_account, platform_access
from marketplace.services.payments.refs import metadata_id, stripe_id
from marketplace.services.payments.release import PAYMENTS_SPEC
from marketplace.tenancy import unscoped
from workers.queues import enqueue

log = logging.getLogger(__name__)
PROCESS_JOB = "workers.jobs.payments.process_stripe_event"
DRAIN_JOB = "workers.jobs.payments.drain_stripe_events"
PLATFORM_SCOPE = "platform"
# Set while a drain job is queued and has not started: the intakes in between need queue nothing.
DRAIN_ARMED_KEY = "stripe-events:drain-armed"
DRAIN_ARMED_SECONDS = 60  # a lost key or drain job costs at most this long: the next event re-arms
DRAIN_BATCH = 100
DRAIN_SECONDS = 60  # one drain's share of work; PAYMENTS_SPEC's timeout (120 s) would kill it


@dataclass(frozen=True)
class Receipt:
    """What the webhook endpoint answers: the recorded event and whether it was a repeat."""

    event_id: uuid.UUID  # our row's id
    stripe_event_id: str
    duplicate: bool


def receive_event(payload: bytes, signature: str | None, tenant_slug: str | None = None) -> Receipt:
    """Verify and record one delivery, then see to its processing; a repeat is acknowledged only.

    The intake is the busiest write of the API (Stripe delivers in bursts): one INSERT ... ON
    CONFLICT DO NOTHING RETURNING decides new or repeat in the database's unique index, without
    ORM objects, and once it has committed, processing costs one Redis SET NX (`arm_drain`); a
    job is queued only when no drain is waiting already.
    """
    scope_tenant: uuid.UUID | None = None
    secret = platform_access().webhook_secret
    if tenant_slug is not None:
        tenant = db.session.execute(
            select(Tenant).where(Tenant.slug == tenant_slug.lower())
        ).scalar_one_or_none()
        if tenant is None:
            raise NotFound("No such marketplace.")
        scope_tenant = tenant.id
        secret = access_for(tenant.id).webhook_secret
    try:
        event = verify_event(payload, signature, secret)
    except InvalidSignature as exc:
        log.warning("stripe webhook refused: %s", exc)
        raise BadRequest("The Stripe-Signature header does not verify for this endpoint.") from None
    scope = str(scope_tenant) if scope_tenant else PLATFORM_SCOPE
    tenant_id = resolve_tenant(event, scope_tenant)
    recorded = _record(scope, event, payload, tenant_id)
    if recorded.duplicate:
        if recorded.status == "received":  # recorded but maybe never queued (Redis was down): queue again
            _see_to_processing(recorded.id, recorded.tenant_id)
    elif tenant_id:
        _see_to_processing(recorded.id, tenant_id)
    return Receipt(recorded.id, event["id"], duplicate=recorded.duplicate)


@dataclass(frozen=True)
class _Recorded:
    id: uuid.UUID
    status: str
    tenant_id: uuid.UUID | None
    duplicate: bool


def _insert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (scope, stripe_event_id) DO NOTHING RETURNING id, for the dialect."""
    table = StripeEvent.__table__
    if dialect == "postgresql":
        # The payload goes in as the text Stripe signed, cast to jsonb: not serialised again.
        stmt = postgresql.insert(table).values(
            payload=cast(bindparam("payload_text", type_=Text()), postgresql.JSONB())
        )
    else:
        stmt = sqlite.insert(table)
    return stmt.on_conflict_do_nothing(index_elements=["scope", "stripe_event_id"]).returning(table.c.id)


_INSERTS = {name: _insert_statement(name) for name in ("postgresql", "sqlite")}
_RECORDED_COLUMNS = (
    "id",
    "scope",
    "stripe_event_id",
    "type",
    "stripe_account",
    "tenant_id",
    "status",
    "outcome",
    "processed_at",
    "created_at",
    "updated_at",
)


@functools.cache
def _postgres_insert() -> tuple[str, dict[str, Callable[[Any], Any]]]:
    """The PostgreSQL INSERT as psycopg receives it (%(name)s placeholders) and the bind processors
    of its values (UTC datetimes), compiled once."""
    columns = [*_RECORDED_COLUMNS, "payload_text"]
    compiled = _INSERTS["postgresql"].compile(dialect=postgresql.psycopg.dialect(), column_keys=columns)
    return str(compiled), {name: fn for name, fn in compiled._bind_processors.items() if fn is not None}


def _record(scope: str, event: dict[str, Any], payload: bytes, tenant_id: uuid.UUID | None) -> _Recorded:
    """Record the event once under (scope, event id); for a repeat, the row recorded first.

    One statement needs no transaction around it: it runs in autocommit, one round trip instead of
    BEGIN, INSERT and COMMIT (stripe_events is the platform's table, outside row-level security).
    """
    now = utcnow()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "scope": scope,
        "stripe_event_id": event["id"],
        "type": str(event.get("type", ""))[:100],
        "stripe_account": event.get("account"),
        "tenant_id": tenant_id,
        "status": "received" if tenant_id else "ignored",
        "outcome": None if tenant_id else "no tenant of this endpoint owns it",
        "processed_at": None if tenant_id else now,
        "created_at": now,
        "updated_at": now,
    }
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()  # the tenant lookups of a cache miss: give their connection back first
    if db.engine.dialect.name == "postgresql":
        try:
            values["payload_text"] = payload.decode()
        except UnicodeDecodeError:  # JSON in another Unicode encoding: written from the parsed event
            values["payload_text"] = json.dumps(event)
        # Straight to the driver: the busiest write needs none of SQLAlchemy's execution machinery.
        sql, processors = _postgres_insert()
        inserted = run_autocommit(sql, processed(processors, values), results=1, one_statement=True)[0]
        if inserted:
            return _Recorded(inserted[0][0], values["status"], tenant_id, duplicate=False)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        dialect = connection.dialect.name
        if dialect != "postgresql":
            values["payload"] = event
            new_id = connection.execute(_INSERTS[dialect], values).scalar_one_or_none()
            if new_id is not None:
                return _Recorded(new_id, values["status"], tenant_id, duplicate=False)
        first = connection.execute(
            select(StripeEvent.id, StripeEvent.status, StripeEvent.tenant_id).where(
                StripeEvent.scope == scope, StripeEvent.stripe_event_id == event["id"]
            )
        ).one()
        return _Recorded(first.id, first.status, first.tenant_id, duplicate=True)


def _see_to_processing(event_id: uuid.UUID, tenant_id: uuid.UUID | None) -> None:
    """After the event's row has committed: arm the drain (Redis), else queue the event's own job."""
    if redis.client is None:
        queue_processing(event_id, tenant_id)  # the embedded default: the in-process executor
    else:
        arm_drain()


def queue_processing(event_id: uuid.UUID, tenant_id: uuid.UUID | None) -> None:
    """Queue the job that processes one recorded event (processing twice is harmless)."""
    enqueue(
        PROCESS_JOB,
        f"stripe-event-{event_id}",
        PAYMENTS_SPEC,
        tenant_id=str(tenant_id),
        event_id=str(event_id),
    )


def arm_drain() -> bool:
    """Make sure a drain job will read the events committed so far; True when this call queued it.

    Call it after the event's row has committed. `SET NX` fails only while a queued drain has not
    started yet (its first step deletes the key), and that drain reads every 'received' row after
    its delete, so this row too. When the SET succeeds, this call queues the drain; if that enqueue
    fails, the key is deleted again and the error raised (the webhook answers 503, Stripe retries,
    and a repeat of a 'received' event arms the drain anew). Should Redis lose the key's drain job
    all the same, the key expires after DRAIN_ARMED_SECONDS and the next event arms a new one; the
    hourly reconciliation processes events left 'received' (services/payments/reconciliation.py).
    """
    client = redis.client
    if client is None:
        raise RuntimeError("the drain needs Redis")
    if not client.set(DRAIN_ARMED_KEY, 1, nx=True, ex=DRAIN_ARMED_SECONDS):
        return False
    try:
        enqueue(DRAIN_JOB, f"stripe-drain-{uuid.uuid4()}", PAYMENTS_SPEC)
    except Exception:
        with contextlib.suppress(RedisError):
            client.delete(DRAIN_ARMED_KEY)
        raise
    return True


@dataclass
class DrainReport:
    """What one drain did: events it processed, passed on to their own job, or left to another run."""

    processed: int = 0
    handed_off: int = 0
    skipped: int = 0
    continued: bool = False

    def to_json(self) -> dict[str, Any]:
        """The report as the job's result."""
        return {
            "processed": self.processed,
            "handed_off": self.handed_off,
            "skipped": self.skipped,
            "continued": self.continued,
        }


def drain_received(
    run_one: Callable[[uuid.UUID, uuid.UUID], dict[str, Any]],
    *,
    batch_size: int = DRAIN_BATCH,
    seconds: float = DRAIN_SECONDS,
) -> DrainReport:
    """Process every 'received' event, oldest first, in batches, until a batch comes back empty.

    The armed key is deleted FIRST, before any read: an intake whose SET NX failed committed its
    row before that delete, so the reads below see it; an intake after the delete sets the key and
    queues the next drain. `run_one(event_id, tenant_id)` processes one event in its own tenant and
    transaction (the process_stripe_event job, run inline) and answers {"status": "skipped"} for a
    row another run holds locked, so two drains split the work rather than wait for each other.
    An event whose processing raises goes on as its own job (rq retries it with backoff) and, like
    a skipped one, is not read again by this run. After `seconds` the drain arms its successor
    (unless an intake has) and ends, well within its job's timeout.
    """
    if redis.client is not None:
        redis.client.delete(DRAIN_ARMED_KEY)
    report = DrainReport()
    passed: set[uuid.UUID] = set()  # handed off or skipped: still 'received', not ours this run
    deadline = time.monotonic() + seconds
    while True:
        batch = _received_batch(batch_size, passed)
        if not batch:
            return report
        for event_id, tenant_id in batch:
            if time.monotonic() >= deadline:  # checked per event: a handler may call Stripe
                arm_drain()
                report.continued = True
                return report
            try:
                outcome = run_one(event_id, tenant_id)
            except Exception:
                log.exception("stripe event %s failed in the drain; queued as its own job", event_id)
                queue_processing(event_id, tenant_id)
                passed.add(event_id)
                report.handed_off += 1
                continue
            if outcome.get("status") == "skipped":  # locked by another run, which processes it
                passed.add(event_id)
                report.skipped += 1
            elif outcome.get("repeat"):  # processed by another run since this batch was read
                report.skipped += 1
            else:
                report.processed += 1


def _received_batch(size: int, passed: set[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Ids and tenants of the oldest events still 'received' (the status and creation index)."""
    stmt = (
        select(StripeEvent.id, StripeEvent.tenant_id)
        .where(StripeEvent.status == "received", StripeEvent.tenant_id.is_not(None))
        .order_by(StripeEvent.created_at)
        .limit(size)
    )
    if passed:
        stmt = stmt.where(StripeEvent.id.not_in(passed))
    rows = [(row.id, row.tenant_id) for row in db.session.execute(stmt)]
    db.session.commit()  # no transaction held open while the events are processed
    return rows


def _tenant_exists(tenant_id: uuid.UUID) -> bool:
    return db.session.execute(select(Tenant.id).where(Tenant.id == tenant_id)).first() is not None


def resolve_tenant(event: dict[str, Any], scope_tenant: uuid.UUID | None) -> uuid.UUID | None:
    """The tenant an event belongs to, or None when it is not for this endpoint."""
    obj = (event.get("data") or {}).get("object") or {}
    claimed = metadata_id(obj, "tenant_id")
    if scope_tenant is not None:
        return None if claimed is not None and claimed != scope_tenant else scope_tenant
    if claimed is not None:
        exists, own_account = _tenant_facts(claimed)
        if exists:
            return None if own_account else claimed  # a tenant on its own Stripe account: its endpoint only
    tenant_id = _tenant_by_stripe_ids(obj)
    if tenant_id is None or _tenant_facts(tenant_id)[1]:
        return None
    return tenant_id


def _tenant_facts(tenant_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether the tenant exists and runs on its own Stripe account: per process, under the tenants'
    version in Redis (marketplace/rowcache.py), so a new tenant or new credentials count at once."""

    def load() -> tuple[bool, bool]:
        exists = _tenant_exists(tenant_id)
        return exists, exists and has_own_account(tenant_id)

    return rowcache.tenant_facts(tenant_id, load)


def _first_tenant(stmt: Any) -> uuid.UUID | None:
    return db.session.execute(stmt.execution_options(**unscoped()).limit(1)).scalar_one_or_none()


def _tenant_by_stripe_ids(obj: dict[str, Any]) -> uuid.UUID | None:
    """Find the tenant through our rows that name the object's Stripe ids (platform-level lookup)."""
    kind, object_id = obj.get("object"), obj.get("id")
    intent = object_id if kind == "payment_intent" else stripe_id(obj.get("payment_intent"))
    charge = object_id if kind == "charge" else stripe_id(obj.get("charge"))
    if db.session.get_bind().dialect.name == "postgresql":
        # Row-level security shows the app's role one tenant at a time: this one question across
        # tenants is answered by a SECURITY DEFINER function of the owner role (migration 0011).
        found = db.session.execute(
            select(func.platform_tenant_of_stripe_object(kind, object_id, intent, charge))
        ).scalar_one()
        return uuid.UUID(str(found)) if found is not None else None
    lookups: list[Any] = []
    if kind == "account":
        lookups.append(select(PayoutAccount.tenant_id).where(PayoutAccount.stripe_account_id == object_id))
    if kind == "transfer":
        lookups.append(select(Transfer.tenant_id).where(Transfer.stripe_transfer_id == object_id))
    if kind == "refund":
        lookups.append(select(Refund.tenant_id).where(Refund.stripe_refund_id == object_id))
    if intent or charge:
        conditions = []
        if intent:
            conditions.append(Payment.stripe_payment_intent_id == intent)
        if charge:
            conditions.append(Payment.stripe_charge_id == charge)
        lookups.append(select(Payment.tenant_id).where(or_(*conditions)))
    for stmt in lookups:
        tenant_id = _first_tenant(stmt)
        if tenant_id is not None:
            return tenant_id
    return None


Handler = Callable[[dict[str, Any], list[Callable[[], Any]]], str]


def process_event(
    event_id: uuid.UUID, handlers: dict[str, Handler], *, skip_locked: bool = False
) -> dict[str, Any]:
    """Run the handler of one recorded event once (under a row lock); follow-ups run after the commit.

    With skip_locked, a row another transaction holds locked is left to it: {"status": "skipped"}.
    """
    event = db.session.execute(
        select(StripeEvent).where(StripeEvent.id == event_id).with_for_update(skip_locked=skip_locked)
    ).scalar_one_or_none()
    if event is None:
        db.session.commit()
        return {"status": "skipped" if skip_locked else "missing"}
    if event.processed_at is not None:
        db.session.commit()
        return {"status": event.status, "outcome": event.outcome, "repeat": True}
    handler = handlers.get(event.type)
    followups: list[Callable[[], Any]] = []
    if handler is None:
        outcome, status = "no handler for this type", "ignored"
    else:
        outcome, status = handler(event.payload["data"]["object"], followups), "processed"
    event.status, event.outcome, event.processed_at = status, outcome[:300], utcnow()
    db.session.commit()
    for followup in followups:
        followup()
    log.info("stripe event %s (%s): %s", event.stripe_event_id, event.type, outcome)
    return {"status": status, "outcome": outcome}
