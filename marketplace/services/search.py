"""Discovery search over influencer profiles: filters, sorts and keyset pagination.

Every filter maps to an index on PostgreSQL (docs/search.md explains which).

The hottest read of the API (docs/PERFORMANCE.md), so it runs without the ORM: one Core SELECT of
only the columns a result shows (and its sort keys), on the session's connection and transaction.
The tenancy hook rewrites ORM statements only, so this one states `tenant_id = :tenant_id` itself
(and the join to `users` and the rate lines stay within the tenant); row-level security applies to
it like to any statement. On PostgreSQL the statement of each combination of filters and sort is
built once per process with bound parameters, so a search costs its parameters, not the building,
hashing and compiling of a statement (SQLAlchemy's own statement cache still needs the first two).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.types import NullType

from marketplace.domain import niches as niche_rules
from marketplace.errors import Forbidden
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, RatePrice, User
from marketplace.rowcache import CachedUser
from marketplace.services import one_message
from marketplace.services.pagination import (
    Page,
    SortKey,
    after,
    decode_cursor,
    page_of_rows,
    page_size,
)
from marketplace.services.search_sql import array_overlaps, is_postgres, text_matches, text_rank
from marketplace.tenancy import current_tenant_id, sync_session_tenant

P = InfluencerProfile.__table__
R = RatePrice.__table__
UNRATED = "CAST(-1.0 AS DOUBLE PRECISION)"  # unrated profiles sort below every rating
# What a result shows (ProfileSummarySchema): API name, column. Rows carry these first, in this order,
# then rate_minor, then the sort's own key when it is not one of them (created_at, rank).
SUMMARY = (
    ("id", P.c.id),
    ("display_name", P.c.display_name),
    ("country", P.c.country),
    ("languages", P.c.languages),
    ("niches", P.c.niches),
    ("platforms", P.c.platforms),
    ("followers", P.c.followers),
    ("tier", P.c.tier),
    ("engagement_rate", P.c.engagement_rate),
    ("verified", P.c.verified),
    ("rating", P.c.rating_avg),
    ("fraud_risk", P.c.fraud_risk),
)
NAMES = (*(name for name, _ in SUMMARY), "rate_minor")
_ID, _FOLLOWERS, _ENGAGEMENT, _RATING = 0, 6, 8, 10
_RATE = len(SUMMARY)
_EXTRA = _RATE + 1
_STRINGS = ARRAY(String(40))
_ARRAYS = frozenset({"languages", "niches", "platforms"})
_statements: dict[tuple[Any, ...], tuple[Any, list[SortKey]]] = {}
_statements_lock = threading.Lock()


def search_influencers(viewer: User | CachedUser, args: dict[str, Any]) -> Page:
    """Brands and admins search the tenant's listed influencers.

    Items are dicts with ProfileSummarySchema's keys (id a UUID), in the order of the sort.
    """
    if viewer.role not in ("brand", "admin"):
        raise Forbidden("Only brands and admins search influencers.")
    params = _parameters(args)
    tenant_id = params["tenant_id"]
    stmt, order = _statement(args, params)
    cursor = args.get("cursor")
    if cursor:
        for index, value in enumerate(decode_cursor(cursor, order)):
            params[f"after_{index}"] = value
    limit = page_size(args.get("limit"))
    params["page_limit"] = limit + 1
    if is_postgres():
        # One round trip: the row-level-security tenant and the SELECT in one message (one_message.py).
        message = one_message.message(("search", _shape(args)), lambda: (stmt,))
        rows: list[Any] = one_message.run(message, params, tenant_id)[0]
    else:
        sync_session_tenant(db.session)
        rows = list(db.session.connection().execute(stmt, params).all())
    page = page_of_rows(rows, limit, order)
    page.items = [dict(zip(NAMES, row, strict=False)) for row in page.items]
    return page


def _parameters(args: dict[str, Any]) -> dict[str, Any]:
    """The bound values of a search (those its statement uses; extra ones are ignored)."""
    params: dict[str, Any] = {"tenant_id": current_tenant_id()}
    if args.get("niche"):
        wanted = niche_rules.expand(args["niche"]) if args.get("related") else set(args["niche"])
        params["niche"] = sorted(wanted)
    for name in ("country", "language", "platform", "tier", "q", "rate_platform"):
        if args.get(name):
            params[name] = args[name]
    for name in ("min_followers", "max_followers", "min_engagement", "max_engagement", "max_rate"):
        if args.get(name) is not None:
            params[name] = args[name]
    if args.get("deliverable"):
        params["deliverable"] = args["deliverable"]
        params["content_creation"] = bool(args["content_creation"] and args["deliverable"] != "share")
    return params


def _shape(args: dict[str, Any]) -> tuple[Any, ...]:
    """What decides the statement's text: which filters are present, the sort, a cursor or not."""
    return (
        *(bool(args.get(name)) for name in ("niche", "country", "language", "platform", "tier", "q")),
        *(
            args.get(name) is not None
            for name in ("min_followers", "max_followers", "min_engagement", "max_engagement", "max_rate")
        ),
        args.get("verified"),
        bool(args.get("deliverable")),
        bool(args.get("rate_platform")),
        args["sort"],
        bool(args.get("cursor")),
    )


def _statement(args: dict[str, Any], params: dict[str, Any]) -> tuple[Any, list[SortKey]]:
    """The SELECT of this search and its sort keys; on PostgreSQL built once per shape and kept."""
    if not is_postgres():
        return _build(args, params, postgres=False)
    shape = _shape(args)
    found = _statements.get(shape)
    if found is None:
        found = _build(args, params, postgres=True)
        with _statements_lock:
            _statements.setdefault(shape, found)
    return found


def _overlaps(column: Any, name: str, params: dict[str, Any], postgres: bool) -> Any:
    """`column` (a StringList) shares a value with the list bound as `name` (search_sql.array_overlaps)."""
    if postgres:
        return column.op("&&")(cast(bindparam(name, type_=_STRINGS), _STRINGS))
    return array_overlaps(column, params[name])


def _rate_clauses(args: dict[str, Any]) -> list[Any]:
    clauses = [
        R.c.tenant_id == bindparam("tenant_id", type_=R.c.tenant_id.type),
        R.c.tenant_id == P.c.tenant_id,
        R.c.profile_id == P.c.id,
        R.c.deliverable == bindparam("deliverable", type_=String()),
        R.c.content_creation == bindparam("content_creation"),
    ]
    if args.get("rate_platform"):
        clauses.append(R.c.platform == bindparam("rate_platform", type_=String()))
    return clauses


def _build(args: dict[str, Any], params: dict[str, Any], *, postgres: bool) -> tuple[Any, list[SortKey]]:
    """Build the statement of a search, every value a bound parameter named like its argument."""
    joined: Any = P
    # The tenant, stated for each table (the tenancy hook rewrites ORM statements only).
    tenant = bindparam("tenant_id", type_=P.c.tenant_id.type)
    # Suspended users' profiles are left out by the profile's own copy of the suspension, which the
    # moderation service writes with it: a subquery on users was a second query to plan in every
    # search (migration 0013).
    where: list[Any] = [P.c.tenant_id == tenant, P.c.owner_suspended.is_(False)]
    for name, column in (("niche", P.c.niches), ("language", P.c.languages), ("platform", P.c.platforms)):
        if args.get(name):
            where.append(_overlaps(column, name, params, postgres))
    for name, column in (("country", P.c.country), ("tier", P.c.tier)):
        if args.get(name):
            if postgres:  # = ANY(array): one parameter whatever the number of values
                where.append(column == any_(cast(bindparam(name, type_=_STRINGS), _STRINGS)))
            else:
                where.append(column.in_(bindparam(name, expanding=True)))
    for name, column, above in (
        ("min_followers", P.c.followers, True),
        ("max_followers", P.c.followers, False),
        ("min_engagement", P.c.engagement_rate, True),
        ("max_engagement", P.c.engagement_rate, False),
    ):
        if args.get(name) is not None:
            value = bindparam(name, type_=column.type)
            where.append(column >= value if above else column <= value)
    if args.get("verified") is not None:
        where.append(P.c.verified.is_(args["verified"]))
    query = bindparam("q", type_=String()) if postgres else params.get("q")
    if args.get("q"):
        where.append(text_matches(P, query))

    rate: Any
    if args["sort"] in ("rate", "-rate"):
        # Sorting by a price: walk the rate card index in price order and join the profiles (one line
        # per profile, since platform, deliverable and creation are all fixed).
        rate = R.c.price_minor
        joined = joined.join(R, and_(*_rate_clauses(args)))
        if args.get("max_rate") is not None:
            where.append(R.c.price_minor <= bindparam("max_rate", type_=Integer()))
    elif args.get("deliverable"):
        rate = select(func.min(R.c.price_minor)).where(*_rate_clauses(args)).scalar_subquery()
        if args.get("max_rate") is not None:
            line = [*_rate_clauses(args), R.c.price_minor <= bindparam("max_rate", type_=Integer())]
            where.append(exists().where(*line))
    else:
        rate = None

    if postgres:
        # psycopg returns text[] as lists of str already: skip SQLAlchemy's per-item ARRAY processing.
        columns: list[Any] = [
            type_coerce(column, NullType()).label(column.name) if column.name in _ARRAYS else column
            for _, column in SUMMARY
        ]
    else:
        columns = [column for _, column in SUMMARY]
    columns.append(rate.label("rate_minor") if rate is not None else cast(None, Integer).label("rate_minor"))
    order = _order(args, rate, query)
    if args["sort"] == "relevance" and args.get("q"):
        return _ranked_page(columns, where, order, tenant, args), order
    if args["sort"] == "newest":
        columns.append(P.c.created_at)
    stmt = select(*columns).select_from(joined).where(*where)
    if args.get("cursor"):
        stmt = stmt.where(_after(order))
    return stmt.order_by(*_ordering(order)).limit(bindparam("page_limit", type_=Integer())), order


def _ordering(order: list[SortKey]) -> list[Any]:
    """ORDER BY terms of the sort keys, each in its direction."""
    return [key.expression.desc() if key.descending else key.expression.asc() for key in order]


def _ranked_page(
    columns: list[Any], where: list[Any], order: list[SortKey], tenant: Any, args: dict[str, Any]
) -> Any:
    """A free-text search by relevance: the page's ids and ranks first, then their columns.

    Every match is ranked (no index gives the order), so the ranking reads only what it needs: each
    match's id and rank go through the sort, and the shown columns (arrays and text among them) are
    read and copied for the page's rows alone. PostgreSQL: 12 % less time for `q=street food`
    (4,561 matches) than one SELECT of all the columns (pgbench, docs/PERFORMANCE.md).
    """
    rank, ident = order[0].expression, order[1].expression
    ranked = select(ident.label("id"), rank.label("rank")).where(*where)
    if args.get("cursor"):
        ranked = ranked.where(_after(order))
    page = ranked.order_by(*_ordering(order)).limit(bindparam("page_limit", type_=Integer())).subquery("page")
    shown = select(*columns, page.c.rank).select_from(
        page.join(P, and_(P.c.tenant_id == tenant, P.c.id == page.c.id))
    )
    return shown.order_by(page.c.rank.desc(), page.c.id.desc())


def _after(order: list[SortKey]) -> Any:
    """Rows strictly after the cursor's values (bound as after_0, after_1...) in the order."""
    return after(order, [bindparam(f"after_{i}", type_=key.expression.type) for i, key in enumerate(order)])


def _order(args: dict[str, Any], rate: Any, query: Any) -> list[SortKey]:
    sort = args["sort"]
    descending = sort.startswith("-") or sort in ("relevance", "newest")
    name = sort.lstrip("-")
    id_type = uuid.UUID
    if name == "relevance" and args.get("q"):
        return [
            SortKey(text_rank(P, query), True, lambda row: row[_EXTRA], float),
            SortKey(P.c.id, True, lambda row: row[_ID], id_type),
        ]
    if name in ("relevance", "engagement"):
        key = SortKey(P.c.engagement_rate, descending, lambda row: row[_ENGAGEMENT], float)
    elif name == "followers":
        key = SortKey(P.c.followers, descending, lambda row: row[_FOLLOWERS], int)
    elif name == "rating":
        # Written exactly as the expression index ix_influencer_profiles_tenant_rating, so it serves the sort.
        rating = func.coalesce(P.c.rating_avg, literal_column(UNRATED))
        key = SortKey(
            rating,
            descending,
            lambda row: row[_RATING] if row[_RATING] is not None else -1.0,
            float,
        )
    elif name == "rate":
        key = SortKey(rate, descending, lambda row: row[_RATE], int)
    else:  # newest
        key = SortKey(P.c.created_at, True, lambda row: row[_EXTRA], P.c.created_at.type.python_type)
    return [key, SortKey(P.c.id, descending, lambda row: row[_ID], id_type)]
