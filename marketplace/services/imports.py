"""Roster import: an admin uploads an agency's CSV of influencers; a job upserts them by email.

The upload is checked (encoding, header), stored, audited and handed to a tracked job that validates
every row, then writes in batches of BATCH_ROWS rows, one commit each, reporting progress. Rows
sharing an email describe one influencer with several accounts. Importing the same file again
changes nothing and reports every influencer as unchanged. docs/imports.md has the file format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, JobRecord, MetricSnapshot, SocialAccount, Tenant, User
from marketplace.models.base import utcnow
from marketplace.schemas.imports import RosterRowSchema
from marketplace.services import audit
from marketplace.services.auth import normalise_email
from marketplace.services.contracts import storage
from marketplace.services.influencers import refresh_derived
from marketplace.services.jobs import start_job
from marketplace.tenancy import current_tenant, get_or_404
from workers.queues import JobSpec

IMPORT_JOB = "workers.jobs.imports.import_roster"
ASSESS_JOB = "workers.jobs.imports.assess_imported_profiles"
IMPORT_SPEC = JobSpec(timeout_seconds=1800)
COLUMNS = (
    "email", "display_name", "country", "languages", "niches", "platform", "handle", "followers", "following",
    "avg_likes", "avg_comments", "avg_views", "accepts_in_kind", "min_cash_rate_minor",
)  # fmt: skip
REQUIRED_COLUMNS = ("email", "display_name")
PROFILE_FIELDS = ("display_name", "country", "languages", "niches", "accepts_in_kind", "min_cash_rate_minor")
ACCOUNT_FIGURES = ("followers", "following", "avg_likes", "avg_comments", "avg_views")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
BATCH_ROWS = 500
MAX_LISTED_ERRORS = 1_000
# Not an argon2 hash, so login's verify refuses every password (InvalidHashError) until a reset sets one.
UNUSABLE_PASSWORD_PREFIX = "!imported:"  # noqa: S105 - a marker, not a password  # nosec B105

Progress = Callable[[int, int], None]
_row_schema = RosterRowSchema()


def unusable_password_hash() -> str:
    """A random value no password can match: the imported user claims the account by resetting it."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The file is not UTF-8 text.", errors={"file": ["Save it as UTF-8 CSV."]}
        ) from None


def _records(text: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as exc:
        raise ValidationFailed("The file is not valid CSV.", errors={"file": [str(exc)]}) from None


def read_header(text: str) -> list[str]:
    """The normalised column names, or 422 for a missing, unknown or repeated column."""
    header = [name.strip().lower() for name in next(_records(text), [])]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(f"Missing column(s): {', '.join(missing)}.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"Unknown column(s): {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}.")
    if len(set(header)) != len(header):
        problems.append("A column appears twice.")
    if problems:
        raise ValidationFailed("The header row does not describe a roster.", errors={"file": problems})
    return header


def start_import(actor: User, content: bytes) -> JobRecord:
    """Check the upload's header, store it, start the import job and audit the admin action."""
    text = _decode(content)
    read_header(text)
    rows = sum(1 for record in _records(text) if any(cell.strip() for cell in record)) - 1
    if rows <= 0:
        raise ValidationFailed("The file has no rows.", errors={"file": ["Only a header, or empty."]})
    if rows > MAX_ROWS:
        raise ValidationFailed(
            f"At most {MAX_ROWS:,} rows per file.", errors={"file": [f"{rows:,} rows; split the file."]}
        )
    key = f"{current_tenant().id}/imports/{uuid.uuid4()}.csv"
    storage().put(key, content)
    record = start_job(IMPORT_JOB, user=actor, spec=IMPORT_SPEC, key=key, actor_id=str(actor.id))
    audit.record(
        actor, "roster.import", "job", record.id,
        after={"file_key": key, "bytes": len(content), "rows": rows,
               "sha256": hashlib.sha256(content).hexdigest()},
    )  # fmt: skip
    db.session.commit()
    return record


@dataclass
class Influencer:
    """The valid rows of one email, merged: profile fields and the accounts they list."""

    email: str
    rows: list[int]
    profile: dict[str, Any]
    accounts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportOutcome:
    """What the import did, and the profiles to assess for fraud (created, changed or never assessed)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    to_assess: list[uuid.UUID] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The job result: counts of influencers (distinct emails), then the rows in error, by row."""
        errors = sorted(self.errors, key=lambda e: e["row"])
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_rows": len(errors),
            "errors": errors[:MAX_LISTED_ERRORS],
            "errors_truncated": len(errors) > MAX_LISTED_ERRORS,
        }


def parse_rows(text: str, outcome: ImportOutcome) -> list[Influencer]:
    """Validate every row (row 1 is the header) and merge valid rows by email; errors go to `outcome`."""
    records = _records(text)
    header = [name.strip().lower() for name in next(records, [])]
    by_email: dict[str, Influencer] = {}
    for row_number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        outcome.rows += 1
        if len(record) > len(header):
            outcome.errors.append({"row": row_number, "errors": {"_row": ["More cells than columns."]}})
            continue
        cells = {name: value for name, value in zip(header, record, strict=False) if value.strip()}
        try:
            data = _row_schema.load(cells)
        except ValidationError as exc:
            outcome.errors.append({"row": row_number, "errors": exc.messages})
            continue
        problems = _merge(by_email, data, row_number)
        if problems:
            outcome.errors.append({"row": row_number, "errors": problems})
    return list(by_email.values())


def _merge(by_email: dict[str, Influencer], data: dict[str, Any], row_number: int) -> dict[str, list[str]]:
    email = normalise_email(data["email"])
    profile = {
        k: sorted(set(v)) if isinstance(v, list) else v for k, v in data.items() if k in PROFILE_FIELDS
    }
    account = None
    if "platform" in data:
        account = {k: data[k] for k in ("platform", "handle", *ACCOUNT_FIGURES) if k in data}
    known = by_email.get(email)
    if known is None:
        by_email[email] = Influencer(email, [row_number], profile, [account] if account else [])
        return {}
    first = known.rows[0]
    problems = {
        name: [f"Differs from row {first}, which has the same email."]
        for name, value in profile.items()
        if name in known.profile and known.profile[name] != value
    }
    if account and any(_same_account(account, other) for other in known.accounts):
        problems["handle"] = [f"This account is already listed for this email (row {first})."]
    if not problems:
        known.rows.append(row_number)
        known.profile = {**profile, **known.profile}
        if account:
            known.accounts.append(account)
    return problems


def _same_account(one: dict[str, Any], other: Any) -> bool:
    return (
        one["platform"] == _get(other, "platform") and one["handle"].lower() == _get(other, "handle").lower()
    )


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _batches(influencers: list[Influencer]) -> Iterator[list[Influencer]]:
    batch: list[Influencer] = []
    size = 0
    for influencer in influencers:
        batch.append(influencer)
        size += len(influencer.rows)
        if size >= BATCH_ROWS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def run_import(key: str, progress: Progress | None = None) -> ImportOutcome:
    """Import a stored roster: validate all rows, then upsert by email, one commit per batch."""
    text = _decode(storage().get(key))
    read_header(text)
    outcome = ImportOutcome()
    influencers = parse_rows(text, outcome)
    done = len(outcome.errors)
    if progress:
        progress(done, outcome.rows)
    for batch in _batches(influencers):
        _write_batch(current_tenant(), batch, outcome)
        db.session.commit()
        done += sum(len(influencer.rows) for influencer in batch)
        if progress:
            progress(done, outcome.rows)
    return outcome


def _existing(batch: list[Influencer]) -> tuple[dict[str, User], dict[uuid.UUID, InfluencerProfile], Any]:
    emails = [influencer.email for influencer in batch]
    users = {u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()}
    profiles = {
        p.user_id: p
        for p in db.session.execute(
            select(InfluencerProfile).where(InfluencerProfile.user_id.in_([u.id for u in users.values()]))
        ).scalars()
    }
    accounts: dict[uuid.UUID, list[SocialAccount]] = defaultdict(list)
    if profiles:
        stmt = select(SocialAccount).where(SocialAccount.profile_id.in_([p.id for p in profiles.values()]))
        for account in db.session.execute(stmt).scalars():
            accounts[account.profile_id].append(account)
    return users, profiles, accounts


def _write_batch(tenant: Tenant, batch: list[Influencer], outcome: ImportOutcome) -> None:
    users, profiles, accounts = _existing(batch)
    new_users: list[User] = []
    new_profiles: list[InfluencerProfile] = []
    new_accounts: list[SocialAccount] = []
    snapshots: list[MetricSnapshot] = []
    for influencer in batch:
        user = users.get(influencer.email)
        if user is not None and user.role != "influencer":
            for row in influencer.rows:
                outcome.errors.append(
                    {"row": row, "errors": {"email": [f"Belongs to a {user.role} account; not imported."]}}
                )
            continue
        created = user is None
        if user is None:
            user = User(
                id=uuid.uuid4(), email=influencer.email, password_hash=unusable_password_hash(),
                role="influencer", display_name=influencer.profile["display_name"],
            )  # fmt: skip
            new_users.append(user)
        profile = profiles.get(user.id)
        changed = profile is None
        if profile is None:
            profile = _new_profile(user.id, owner_suspended=user.is_suspended)
            new_profiles.append(profile)
        changed = _apply_profile(profile, influencer.profile) or changed
        owned = accounts[profile.id]
        for item in influencer.accounts:
            account = next((a for a in owned if _same_account(item, a)), None)
            if account is None:
                account = _new_account(profile.id, item)
                owned.append(account)
                new_accounts.append(account)
            elif not _apply_account(account, item):
                continue
            changed = True
            snapshots.append(_snapshot(account))
        if changed:
            refresh_derived(profile, tenant, owned)
        if changed or profile.fraud_assessed_at is None:
            # Never assessed covers a retried job whose earlier attempt committed the profile.
            outcome.to_assess.append(profile.id)
        if created:
            outcome.created += 1
        elif changed:
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    # Parents first: the foreign keys carry no ORM relationships for the unit of work to order by.
    for rows in (new_users, new_profiles, new_accounts, snapshots):
        db.session.add_all(rows)
        db.session.flush()


def _new_profile(user_id: uuid.UUID, *, owner_suspended: bool) -> InfluencerProfile:
    return InfluencerProfile(
        id=uuid.uuid4(), user_id=user_id, owner_suspended=owner_suspended, display_name="", bio="",
        country=None, languages=[], niches=[],
        audience_countries={}, audience_ages={}, audience_genders={}, accepts_in_kind=False,
        min_cash_rate_minor=None,
    )  # fmt: skip


def _apply_profile(profile: InfluencerProfile, values: dict[str, Any]) -> bool:
    """Set the given fields; True when any differed. Fields a row leaves blank keep their value."""
    changed = False
    for name, value in values.items():
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed = True
    return changed


def _new_account(profile_id: uuid.UUID, item: dict[str, Any]) -> SocialAccount:
    return SocialAccount(
        id=uuid.uuid4(), profile_id=profile_id, platform=item["platform"], handle=item["handle"], url=None,
        posts_per_month=0.0, engagement_rate=0.0,
        **{name: item.get(name, 0) for name in ACCOUNT_FIGURES},
    )  # fmt: skip


def _apply_account(account: SocialAccount, item: dict[str, Any]) -> bool:
    changed = False
    for name in ("handle", *ACCOUNT_FIGURES):
        if name in item and getattr(account, name) != item[name]:
            setattr(account, name, item[name])
            changed = True
    return changed


def _snapshot(account: SocialAccount) -> MetricSnapshot:
    return MetricSnapshot(
        id=uuid.uuid4(), account_id=account.id, taken_at=utcnow(), followers=account.followers,
        following=account.following, avg_likes=account.avg_likes, avg_comments=account.avg_comments,
        avg_views=account.avg_views,
    )  # fmt: skip


def queue_fraud_checks(profile_ids: list[uuid.UUID], actor_id: uuid.UUID) -> JobRecord | None:
    """One job that assesses the fake-follower risk of every profile the import created or changed."""
    if not profile_ids:
        return None
    actor = get_or_404(User, actor_id)
    return start_job(ASSESS_JOB, user=actor, profile_ids=[str(i) for i in dict.fromkeys(profile_ids)])
