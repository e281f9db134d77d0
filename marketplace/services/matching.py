"""Matching a campaign to influencers: hard filters and the score in SQL, exact scores in Python.

domain.matching's score is a weighted sum. Its brief-independent part (authenticity, engagement,
reputation, verified: at most 0.29) is the generated column influencer_profiles.match_static, key of
the covering index ix_influencer_profiles_match (tenant_id, match_static, accepts_in_kind, id;
migration 0010); the rest (niche, audience, tier, budget: at most 0.71) depends on the brief. Each
statement filters (tenant, not suspended, not excluded, not already taking part, platforms, tiers,
languages, minimum engagement) and scores in four layers:

1. `cand`, the profiles read: either the walk, the first WALK profiles passing the filters in index
   order (best brief-independent part first; for a selective brief, through the GIN index on niches,
   platforms and languages, all of them), or the range, the profiles after the walk whose
   brief-independent part can still lift them to the k-th score found by then (an index range,
   read without visiting the table; in-kind answers that cap the budget term too low are skipped
   inside the index);
2. `pool`: the best of those by an upper bound of the total (the budget term at its best, since it
   needs the rate card), a top-N sort;
3. `priced`: the brief's rate-card prices for the pool only (one unique-index lookup per profile and
   deliverable line);
4. `top`: the exact total in SQL (the audience share never smaller than domain.matching's, which
   scales shares that sum above 1 down), best first, with what Python needs.

Python scores those exactly with domain.matching, best SQL score first, until the next one cannot
reach the k-th score, and keeps the top K. Profiles with an exact niche are searched first; the
others score at most their group's ceiling (a related niche at best), so they are only searched when
the k-th score does not beat that. The result is provably the true top K (`exact`) when the k-th
score beats, by a margin above rounding, every bound of what was left out: the exact SQL score of
the next candidate of a statement, the upper bound of the first profile outside its pool, the best
possible score of a profile the walk did not read (its brief-independent part is at most the last
one walked), the threshold of the range, and the ceiling of a group not searched. Otherwise the
search goes on (the range, larger pools).
"""

from __future__ import annotations

import bisect
import math
import time
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    all_,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import Text

from marketplace.domain import matching as rules
from marketplace.domain import niches as niche_rules
from marketplace.domain.tiers import TIERS
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models import (
    BrandExclusion,
    BrandMember,
    Campaign,
    CampaignMatch,
    Contract,
    InfluencerProfile,
    Offer,
    RatePrice,
    User,
)
from marketplace.rowcache import CachedUser
from marketplace.services import one_message
from marketplace.services.pagination import (
    SortKey,
    decode_cursor,
    page_of_rows,
    page_size,
)
from marketplace.services.search_sql import array_overlaps, greatest, is_postgres, json_number, least
from marketplace.tenancy import current_tenant, get_or_404, required_tenant_id

P = InfluencerProfile
MATCH_JOB = "workers.jobs.matching.match_campaign"
# The walk reads this many profiles of a group, best brief-independent part first: all of them for
# a selective brief, otherwise enough for a k-th score that bounds the range to read after them.
WALK = 20_000
# Pools (profiles ranked by the upper bound, then priced and scored exactly in SQL), tried in turn
# while a pool's floor could still beat the k-th score (10 K for the default K of 100).
POOLS = (1_000, 10_000, 100_000)
# Candidates scored in Python per statement beyond K: the SQL score is exact, so a few are enough to
# tell the k-th from the next one.
EXTRA = 20
# SQL and Python add the same numbers in different orders: a left-out profile must score this much
# below the k-th for the top K to count as proven.
MARGIN = 1e-9
# Exclusion lists (suspended users, the brand's exclusions, who takes part) up to this long are
# passed to the statements as arrays; longer ones are joined.
EXCLUSIONS_INLINE = 5_000
# Enough memory for exact (not lossy) bitmaps of a million rows; no JIT (compiling these one-off
# expressions costs more, ~50 ms, than it saves).
SESSION_SETTINGS = {"jit": "off", "work_mem": "32MB"}
# domain.matching's factors that no brief changes (the key of ix_influencer_profiles_match).
STATIC_FACTORS = ("authenticity", "engagement", "reputation", "verified")
STATIC_MAX = sum(rules.WEIGHTS[f] for f in STATIC_FACTORS)
# What the statements read of a profile and hand to Python (display_name and followers come from
# the table for the few candidates at the end; the rest is in the covering index).
_READ = (
    "tenant_id",
    "id",
    "niches",
    "tier",
    "engagement_rate",
    "audience_countries",
    "fraud_risk",
    "accepts_in_kind",
    "rating_avg",
    "rating_count",
    "verified",
)


def candidate_features(row: Any, rate_card: dict[tuple[str, str, bool], int]) -> rules.CandidateFeatures:
    """A profile (ORM object or row with its columns) as domain.matching reads it, with its rate card."""
    return rules.CandidateFeatures(
        influencer_id=row.id,
        display_name=row.display_name,
        niches=row.niches,
        tier=row.tier,
        engagement_rate=row.engagement_rate,
        audience_countries=row.audience_countries or {},
        fraud_risk=row.fraud_risk,
        rate_card=rate_card,
        accepts_in_kind=row.accepts_in_kind,
        rating=row.rating_avg,
        rating_count=row.rating_count,
        verified=row.verified,
        followers=row.followers,
    )


def brief_of(campaign: Campaign) -> rules.BriefFeatures:
    """The campaign as matching reads it."""
    return rules.BriefFeatures(
        niches=campaign.niches,
        target_countries=campaign.target_countries,
        tiers=campaign.wanted_tiers,
        languages=campaign.languages,
        platforms=campaign.platforms,
        min_engagement=campaign.min_engagement,
        cash_per_influencer_minor=campaign.cash_per_influencer_minor or None,
        compensation=campaign.compensation_kind,
        deliverables=[
            (d["platform"], d["type"], d.get("quantity", 1), d.get("content_creation", True))
            for d in campaign.deliverables
        ],
    )


def _excluded_ids(campaign: Campaign) -> tuple[list[uuid.UUID], list[uuid.UUID]] | None:
    """Suspended users, and profiles the brand excludes or that already take part in the campaign;
    None when there are more than EXCLUSIONS_INLINE of either (then the filters join instead)."""
    users = select(literal("user"), User.id).where(User.suspended_at.is_not(None))
    profiles = [
        select(literal("profile"), BrandExclusion.profile_id).where(
            BrandExclusion.brand_id == campaign.brand_id
        ),
        select(literal("profile"), Offer.profile_id).where(
            Offer.campaign_id == campaign.id, Offer.status.in_(("pending", "accepted"))
        ),
        select(literal("profile"), Contract.profile_id).where(
            Contract.campaign_id == campaign.id, Contract.status != "cancelled"
        ),
    ]
    found: dict[str, list[uuid.UUID]] = {"user": [], "profile": []}
    parts = [part.limit(EXCLUSIONS_INLINE + 1).subquery() for part in (users, *profiles)]
    for kind, value in db.session.execute(union_all(*(select(*part.c) for part in parts))):
        found[kind].append(value)
    if max(len(found["user"]), len(found["profile"])) > EXCLUSIONS_INLINE:
        return None
    return found["user"], sorted(set(found["profile"]))


def _not_among(column: Any, ids: list[uuid.UUID]) -> Any:
    if is_postgres():
        # One array parameter (PostgreSQL hashes it), not one parameter per id.
        return column != all_(bindparam(None, ids, type_=postgresql.ARRAY(postgresql.UUID(as_uuid=True))))
    return column.not_in(ids)


def hard_filters(campaign: Campaign, excluded: tuple[list[Any], list[Any]] | None = None) -> list[Any]:
    """The SQL filters every candidate must pass.

    Exclusions (suspended users, the brand's exclusion list, who already takes part) are lists
    given in `excluded` (see _excluded_ids: no condition at all when they are empty, as usual) or,
    without, NOT EXISTS anti-joins; neither keeps the scan from running in parallel workers, which
    NOT IN subqueries would.
    """
    clauses: list[Any] = []
    if excluded is None:
        suspended = select(User.id).where(User.id == P.user_id, User.suspended_at.is_not(None))
        exclusion = select(BrandExclusion.profile_id).where(
            BrandExclusion.brand_id == campaign.brand_id, BrandExclusion.profile_id == P.id
        )
        offered = select(Offer.profile_id).where(
            Offer.campaign_id == campaign.id,
            Offer.status.in_(("pending", "accepted")),
            Offer.profile_id == P.id,
        )
        contracted = select(Contract.profile_id).where(
            Contract.campaign_id == campaign.id, Contract.status != "cancelled", Contract.profile_id == P.id
        )
        clauses += [~suspended.exists(), ~exclusion.exists(), ~offered.exists(), ~contracted.exists()]
    else:
        users, profiles = excluded
        if users:
            clauses.append(_not_among(P.user_id, users))
        if profiles:
            clauses.append(_not_among(P.id, profiles))
    clauses.append(P.engagement_rate >= (campaign.min_engagement or 0.0))
    if campaign.platforms:
        clauses.append(array_overlaps(P.platforms, campaign.platforms))
    if campaign.wanted_tiers:
        clauses.append(P.tier.in_(campaign.wanted_tiers))
    if campaign.languages:
        clauses.append(array_overlaps(P.languages, campaign.languages))
    return clauses


def _clamp01(expression: Any) -> Any:
    return least(greatest(expression, 0.0), 1.0)


def rate_keys(brief: rules.BriefFeatures) -> list[tuple[str, str, bool]]:
    """The rate-card lines (platform, deliverable, content creation) the brief's cost reads, in order."""
    keys: list[tuple[str, str, bool]] = []
    for platform, kind, _quantity, creation in brief.deliverables:
        key = (platform, kind, bool(creation) and kind != "share")
        if key not in keys:
            keys.append(key)
    return keys


def rate_price_sql(row: Any, key: tuple[str, str, bool]) -> Any:
    """The price of one rate-card line of the profile in `row` (NULL when it has none): one lookup
    on the unique index of rate_prices, a correlated subquery."""
    platform, kind, creation = key
    return (
        select(RatePrice.price_minor)
        .where(
            RatePrice.tenant_id == row.tenant_id,
            RatePrice.profile_id == row.id,
            RatePrice.platform == platform,
            RatePrice.deliverable == kind,
            RatePrice.content_creation == creation,
        )
        .scalar_subquery()
    )


def needs_prices(brief: rules.BriefFeatures) -> bool:
    """True when the budget term reads the rate card (a cash amount is set and cash is paid)."""
    return brief.compensation != "in_kind" and brief.cash_per_influencer_minor is not None


def cash_fit_sql(brief: rules.BriefFeatures, prices: Mapping[tuple[str, str, bool], Any]) -> Any:
    """domain.matching's cash fit in SQL, from the brief's prices (each NULL when the card lacks it)."""
    budget = brief.cash_per_influencer_minor
    if budget is None:
        return literal(1.0)
    if not brief.deliverables:
        return literal(1.0 if budget >= 0 else 0.0)
    cost = reduce(
        add,
        [
            cast(prices[(platform, kind, bool(creation) and kind != "share")], BigInteger) * max(quantity, 0)
            for platform, kind, quantity, creation in brief.deliverables
        ],
    )
    missing = or_(*[price.is_(None) for price in prices.values()])
    over = literal(0.0) if budget <= 0 else _clamp01(1.0 - (cast(cost, Float) / float(budget) - 1.0))
    return case((missing, 0.5), (cost <= budget, 1.0), else_=over)


def budget_sql(brief: rules.BriefFeatures, cash: Any, accepts_in_kind: Any) -> Any:
    """domain.matching's budget value in SQL, from a cash fit and the accepts-in-kind column."""
    in_kind = case((accepts_in_kind, 1.0), else_=0.0)
    if brief.compensation == "in_kind":
        return in_kind
    if brief.compensation == "mixed":
        return (cash + in_kind) / 2.0
    return cash


def best_budget(brief: rules.BriefFeatures, accepts_in_kind: bool) -> float:
    """The largest budget value a profile can get, whatever its rate card."""
    if brief.compensation == "in_kind":
        return float(accepts_in_kind)
    if brief.compensation == "mixed":
        return (1.0 + float(accepts_in_kind)) / 2
    return 1.0


def dynamic_sql(
    campaign: Campaign, row: Any, niche: str, prices: Mapping[tuple[str, str, bool], Any] | None
) -> tuple[Any, Any]:
    """The brief-dependent part of domain.matching's total over the columns of `row`, and the niche
    penalty (None when it is 1).

    `niche` is what the caller knows of the niche fit: "exact" (the rows overlap the brief's niches,
    or the brief names none) or "other" (they do not: related or none). With the brief's rate-card
    `prices` (see `rate_keys`) the budget term is exact; without, it is at its best (full cash fit).
    The total is `penalty * (dynamic + InfluencerProfile.match_static)`.
    """
    w = rules.WEIGHTS
    brief = brief_of(campaign)
    penalty: Any = None
    if niche == "exact":
        niche_value: Any = literal(rules.NICHE_VALUE["exact"])
    else:
        close = sorted(niche_rules.expand(campaign.niches) - set(campaign.niches))
        related = array_overlaps(row.niches, close) if close else false()
        niche_value = case((related, rules.NICHE_VALUE["related"]), else_=rules.NICHE_VALUE["none"])
        penalty = case((related, 1.0), else_=rules.NICHE_NONE_PENALTY)
    if campaign.target_countries:
        targets = sorted({c.upper() for c in campaign.target_countries})
        shares = [greatest(json_number(row.audience_countries, c), 0.0) for c in targets]
        audience: Any = _clamp01(reduce(add, shares))
    else:
        audience = literal(1.0)
    wanted = set(campaign.wanted_tiers)
    if not wanted:
        tier: Any = literal(1.0)
    else:
        near = {
            TIERS[i + d]
            for i, t in enumerate(TIERS)
            if t in wanted
            for d in (-1, 1)
            if 0 <= i + d < len(TIERS)
        }
        tier = case(
            (row.tier.in_(sorted(wanted)), 1.0),
            (row.tier.in_(sorted(near - wanted) or ["-"]), 0.5),
            else_=0.0,
        )
    cash = cash_fit_sql(brief, prices) if prices is not None and needs_prices(brief) else literal(1.0)
    budget = budget_sql(brief, cash, row.accepts_in_kind)
    dynamic = w["niche"] * niche_value + w["audience"] * audience + w["tier"] * tier + w["budget"] * budget
    return penalty, dynamic


@dataclass(frozen=True)
class _Group:
    """Profiles searched together: their filter, what their niche fit is, and the most the
    brief-dependent part can give one of them (by whether it accepts in-kind deals)."""

    name: str
    clause: Any
    niche: str
    best_dynamic: Callable[[bool], float]

    @property
    def ceiling(self) -> float:
        """The best total a profile of the group can reach."""
        return max(self.best_dynamic(True), self.best_dynamic(False)) + STATIC_MAX


def _groups(campaign: Campaign) -> list[_Group]:
    """Exact niche first, then the rest (related or off-niche), which is only searched when needed."""
    w, brief = rules.WEIGHTS, brief_of(campaign)

    def best(niche_value: float) -> Callable[[bool], float]:
        # Audience and tier at 1 (a wanted tier is a hard filter); off-niche, penalised, scores less.
        fixed = w["niche"] * niche_value + w["audience"] + w["tier"]
        return lambda in_kind: fixed + w["budget"] * best_budget(brief, in_kind)

    if not campaign.niches:
        return [_Group("all", None, "exact", best(rules.NICHE_VALUE["exact"]))]
    exact = type_coerce(array_overlaps(P.niches, campaign.niches), Boolean)
    return [
        _Group("exact", exact, "exact", best(rules.NICHE_VALUE["exact"])),
        _Group("other", not_(exact), "other", best(rules.NICHE_VALUE["related"])),
    ]


@dataclass
class _Part:
    """One statement's share of a group: the walk (its first profiles in index order) or the range
    (those after the walk that could still reach `threshold`), with the bounds of what it left out."""

    walk: bool
    pool: int
    scored: int
    threshold: float | None = None
    after: tuple[float, bool, uuid.UUID] | None = None  # the range starts after this index key
    ran: bool = False
    outside: float = math.inf  # upper bound of the best profile read but outside the pool
    inside: float = math.inf  # exact SQL score of the best pool profile not scored in Python


@dataclass
class _Search:
    """Where the search of one group stands: its statements, and the best possible score of a
    profile none of them read."""

    group: _Group
    walk: int
    parts: list[_Part]
    unread: float = math.inf
    cursor: tuple[float, bool, uuid.UUID] | None = None  # index key of the last profile walked

    @property
    def ran(self) -> bool:
        """True once its first statement ran."""
        return self.parts[0].ran

    @property
    def bound(self) -> float:
        """No profile of the group left out scores above this (its ceiling before it is searched)."""
        if not self.ran:
            return self.group.ceiling
        return max(self.unread, *(max(p.outside, p.inside) for p in self.parts if p.ran))


@dataclass(frozen=True)
class _Shared:
    """What every statement of one group reads, built once per run: filters, bound, penalty."""

    where: list[Any]
    upper: Any
    penalty: Any

    @classmethod
    def of(cls, campaign: Campaign, group: _Group, excluded: tuple[list[Any], list[Any]] | None) -> _Shared:
        """The filters (the group's niche condition first: PostgreSQL checks conditions of equal cost
        in the order given, and it is usually the most selective), the upper bound and the penalty."""
        where = ([group.clause] if group.clause is not None else []) + hard_filters(campaign, excluded)
        penalty, dynamic = dynamic_sql(campaign, P, group.niche, None)
        total = dynamic + P.match_static
        return cls(
            where,
            (total if penalty is None else penalty * total).label("upper"),
            (literal(1.0) if penalty is None else penalty).label("penalty"),
        )


def _statement(campaign: Campaign, search: _Search, part: _Part, shared: _Shared) -> tuple[Any, list[Any]]:
    """A part's statement (the four layers of the module's doc) and the rate keys it prices."""
    brief, group, where = brief_of(campaign), search.group, list(shared.where)
    static = P.match_static
    key = (static.desc(), P.accepts_in_kind.desc(), P.id.desc())  # ix_influencer_profiles_match, backwards
    columns = [*(getattr(P, c) for c in _READ), static.label("static"), shared.upper, shared.penalty]
    if part.walk:
        first = select(*columns).where(*where).order_by(*key).limit(search.walk + 1).subquery("first")
        f = first.c
        # One window (the same for all four): the profiles read, and the index key of the last.
        last = {"order_by": (f.static.desc(), f.accepts_in_kind.desc(), f.id.desc()), "rows": (None, None)}
        cand = select(
            first,
            func.count().over(**last).label("read"),
            func.last_value(f.static).over(**last).label("last_static"),
            func.last_value(f.accepts_in_kind).over(**last).label("last_in_kind"),
            func.last_value(f.id).over(**last).label("last_id"),
        ).subquery("cand")
    else:
        if part.after is not None:
            where.append(tuple_(static, P.accepts_in_kind, P.id) < tuple_(*part.after))
        if part.threshold is None:
            cand = select(*columns).where(*where).subquery("cand")
        else:
            # Only profiles whose best possible total reaches the threshold: a range of the index,
            # and when the budget term depends on the in-kind answer, a lower start for one answer
            # (which the index checks itself).
            low = {ik: part.threshold - group.best_dynamic(ik) - 2 * MARGIN for ik in (True, False)}
            if low[True] == low[False]:
                cand = select(*columns).where(*where, static >= low[True]).subquery("cand")
            else:
                easy = low[True] < low[False]
                cand = union_all(
                    select(*columns).where(*where, static >= low[not easy]),
                    select(*columns).where(
                        *where, static >= low[easy], static < low[not easy], P.accepts_in_kind.is_(easy)
                    ),
                ).subquery("cand")
    c = cand.c
    pool = select(cand)
    if part.threshold is not None:
        # Whoever cannot reach the threshold is out already: prices are looked up for the others only.
        pool = pool.where(c.upper >= part.threshold - 2 * MARGIN)
    pool = pool.order_by(c.upper.desc(), c.id).limit(part.pool + 1).subquery("pool")
    p = pool.c
    keys = rate_keys(brief) if needs_prices(brief) else []
    priced = select(
        pool,
        *[rate_price_sql(p, key).label(f"price_{i}") for i, key in enumerate(keys)],
        func.count().over().label("pool_size"),
        func.min(p.upper).over().label("pool_floor"),
    ).subquery("priced")
    q = priced.c
    prices = [q[f"price_{i}"] for i in range(len(keys))]
    if keys:
        # The exact total: the upper bound less what the rate card takes off the best budget term.
        cash = cash_fit_sql(brief, dict(zip(keys, prices, strict=True)))
        shortfall = budget_sql(brief, literal(1.0), q.accepts_in_kind) - budget_sql(
            brief, cash, q.accepts_in_kind
        )
        score = (q.upper - q.penalty * (rules.WEIGHTS["budget"] * shortfall)).label("score")
    else:
        score = q.upper.label("score")  # no rate card read: the bound is the total
    top = select(priced, score).order_by(score.desc(), q.id).limit(part.scored + 1).subquery("top")
    t = top.c
    statement = (
        select(top, P.display_name, P.followers)
        .join(P, and_(P.tenant_id == t.tenant_id, P.id == t.id))
        .order_by(t.score.desc(), t.id)
    )
    return statement, keys


def _run(
    campaign: Campaign,
    brief: rules.BriefFeatures,
    search: _Search,
    part: _Part,
    found: dict[Hashable, rules.MatchScore],
    k: int,
    shared: _Shared,
) -> None:
    """Run a part's statement, update the bounds, and score its candidates exactly into `found`:
    best SQL score first, until the next one cannot reach the k-th score (its SQL score is an
    upper bound of its exact score), which then bounds the rest."""
    statement, keys = _statement(campaign, search, part, shared)
    rows = db.session.execute(statement).all()
    part.ran = True
    if part.walk and len(search.parts) > 1:
        pass  # walked again (a larger pool): the same profiles, and the range already covers the rest
    elif part.walk:
        if not rows or rows[0].read <= search.walk:
            search.unread = -math.inf  # the walk read every profile of the group
        else:
            best = max(search.group.best_dynamic(True), search.group.best_dynamic(False))
            search.unread = best + rows[0].last_static
            search.cursor = (rows[0].last_static, rows[0].last_in_kind, rows[0].last_id)
    else:
        search.unread = -math.inf if part.threshold is None else part.threshold - 2 * MARGIN
    part.outside = rows[0].pool_floor if rows and rows[0].pool_size > part.pool else -math.inf
    part.inside = -math.inf
    tops = sorted(s.total for s in found.values())[-k:] if k else []  # the k best totals, ascending
    for index, r in enumerate(rows):
        kth = tops[0] if k and len(tops) == k else -math.inf
        if index == part.scored or r.score < kth - MARGIN:
            part.inside = r.score
            break
        if r.id in found:
            continue
        # The lines the brief reads: all that the budget term looks up.
        card = {
            key: getattr(r, f"price_{i}")
            for i, key in enumerate(keys)
            if getattr(r, f"price_{i}") is not None
        }
        score = rules.score_candidate(
            candidate_features(r, card),
            brief,
        )
        found[r.id] = score
        if k:
            bisect.insort(tops, score.total)
            del tops[:-k]


def _rate_cards(profile_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[tuple[str, str, bool], int]]:
    cards: dict[uuid.UUID, dict[tuple[str, str, bool], int]] = {pid: {} for pid in profile_ids}
    if profile_ids:
        rows = db.session.execute(
            select(
                RatePrice.profile_id,
                RatePrice.platform,
                RatePrice.deliverable,
                RatePrice.content_creation,
                RatePrice.price_minor,
            ).where(RatePrice.profile_id.in_(profile_ids))
        ).all()
        for profile_id, platform, deliverable, creation, price in rows:
            cards[profile_id][(platform, deliverable, creation)] = price
    return cards


def compute_matches(
    campaign: Campaign, k: int, *, walk: int = WALK, pools: tuple[int, ...] = POOLS
) -> tuple[list[rules.MatchScore], dict[str, Any]]:
    """The top k exact scores for a campaign, and figures about the run.

    Each group is walked first; when the k-th score found cannot yet beat what the walk did not
    read, the range after the walk that could still reach it is searched; a statement's pool grows
    while its floor could beat the k-th score, and the candidates it hands to Python while the next
    one could. Groups are searched in turn while their bound could beat the k-th score; the search
    stops when none can (`exact`) or when the largest pool is spent. `walk` and `pools` are the
    sizes above (smaller ones make tests walk every path on a few profiles).
    """
    started = time.perf_counter()
    brief = brief_of(campaign)
    k = max(k, 0)
    first = max(pools[0], k)
    sizes = [first, *(p for p in pools if p > first)]
    searches = [
        _Search(group, max(walk, k), [_Part(True, sizes[0], k + EXTRA)]) for group in _groups(campaign)
    ]
    found: dict[Hashable, rules.MatchScore] = {}
    if is_postgres():
        # For the rest of the transaction, in one round trip.
        db.session.execute(
            select(*(func.set_config(name, value, True) for name, value in SESSION_SETTINGS.items()))
        )
    excluded = _excluded_ids(campaign)
    shared: dict[str, _Shared] = {}
    statements, exact = 0, True
    while True:
        ranked = sorted(found.values(), key=lambda s: (-s.total, str(s.influencer_id)))
        top = ranked[:k]
        kth = top[-1].total if k and len(top) == k else -math.inf
        waiting = [s for s in searches if not kth >= s.bound + MARGIN]
        if k == 0 or not waiting:
            break
        search = waiting[0]
        part = search.parts[0]
        if search.ran:
            part = max(search.parts, key=lambda p: max(p.outside, p.inside))
            if search.unread > max(part.outside, part.inside):
                # What the walk did not read (the range leaves out only what cannot reach kth).
                part = _Part(False, sizes[0], k + EXTRA, kth if kth > -math.inf else None, search.cursor)
                search.parts.append(part)
            elif part.inside >= part.outside:
                part.scored = min(4 * part.scored, part.pool + 1)
            elif part.pool < sizes[-1]:
                part.pool = next(p for p in sizes if p > part.pool)
            else:
                exact = False
                break
            if part.threshold is not None and kth > part.threshold:
                part.threshold = kth
        if search.group.name not in shared:
            shared[search.group.name] = _Shared.of(campaign, search.group, excluded)
        _run(campaign, brief, search, part, found, k, shared[search.group.name])
        statements += 1
    ran = [p for s in searches for p in s.parts if p.ran]
    return top, {
        "candidates_scored": len(found),
        "statements": statements,
        "groups_searched": [s.group.name for s in searches if s.ran],
        "range_searched": any(not p.walk for p in ran),
        "largest_pool": max((p.pool for p in ran), default=0),
        "thresholds": [round(p.threshold, 6) for p in ran if p.threshold is not None],
        "exact": exact,
        "seconds": round(time.perf_counter() - started, 4),
    }


def run_matching(campaign_id: uuid.UUID) -> dict[str, Any]:
    """Compute and store a campaign's matches, replacing the previous run (the matching job)."""
    campaign = get_or_404(Campaign, campaign_id)
    if campaign.status != "published":
        return {"campaign_id": str(campaign.id), "skipped": f"campaign is {campaign.status}"}
    scored, figures = compute_matches(campaign, current_tenant().match_top_k)
    # Lock the campaign so two runs replace the result one after the other, never interleaved.
    get_or_404(Campaign, campaign_id, for_update=True)
    run_id = uuid.uuid4()
    db.session.execute(delete(CampaignMatch).where(CampaignMatch.campaign_id == campaign.id))
    if scored:
        tenant_id = current_tenant().id
        db.session.execute(
            insert(CampaignMatch),
            [
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "campaign_id": campaign.id,
                    "profile_id": s.influencer_id,
                    "rank": rank,
                    "score": round(s.total, 6),
                    "niche_fit": s.niche_fit,
                    "contributions": {k: round(v, 6) for k, v in s.contributions.items()},
                    "factor_values": {k: round(v, 6) for k, v in s.values.items()},
                    "sentence": s.sentence,
                    "run_id": run_id,
                }
                for rank, s in enumerate(scored, start=1)
            ],
        )
    db.session.commit()
    return {"campaign_id": str(campaign.id), "matches": len(scored), "run_id": str(run_id), **figures}


def start_matching(user: User, campaign: Campaign) -> Any:
    """Queue the matching job of a campaign on the matching queue (its own workers scale apart)."""
    from marketplace.services.jobs import start_job
    from workers.queues import MATCHING_QUEUE, JobSpec

    return start_job(MATCH_JOB, user=user, spec=JobSpec(queue=MATCHING_QUEUE), campaign_id=str(campaign.id))


# What a match shows (MatchSchema): its own columns, then the influencer's headline figures.
_MATCH_FIELDS = ("rank", "score", "niche_fit", "contributions", "factor_values", "sentence")
_JSON_FIELDS = frozenset({"contributions", "factor_values"})
_INFLUENCER_FIELDS = (
    "id",
    "display_name",
    "country",
    "niches",
    "platforms",
    "followers",
    "tier",
    "engagement_rate",
    "verified",
    "fraud_risk",
)
_MATCH_ORDER = [SortKey(CampaignMatch.rank, False, lambda row: row[0], int)]


def match_page(
    user: User | CachedUser, campaign_id: uuid.UUID, cursor: str | None, limit: int | None
) -> dict[str, Any]:
    """A page of a campaign's stored matches, best first, as MatchSchema documents them (brand members
    of the campaign's brand and admins; anyone else gets 404 as for a campaign that does not exist).

    On PostgreSQL the viewer check and the page are one message (services/one_message.py): one round
    trip for the busiest read of a campaign, with row-level security set for both statements.
    """
    limit = page_size(limit)
    tenant_id = required_tenant_id()
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "campaign_id": campaign_id,
        "user_id": user.id,
        "page_limit": limit + 1,
    }
    if cursor:
        params["after_0"] = decode_cursor(cursor, _MATCH_ORDER)[0]
    if is_postgres():
        key = ("campaign-matches", bool(cursor))
        message = one_message.message(
            key, lambda: (_viewer_statement(), _matches_statement(bool(cursor), postgres=True))
        )
        viewer, rows = one_message.run(message, params, tenant_id)
        if not viewer or not (user.role == "admin" or (user.role == "brand" and viewer[0][0])):
            raise NotFound("No such campaign.")
    else:
        require_match_viewer(user, campaign_id)
        stmt = _matches_statement(bool(cursor), postgres=False)
        rows = list(db.session.connection().execute(stmt, params).all())
    page = page_of_rows(rows, limit, _MATCH_ORDER)
    return {"items": [_match_item(row) for row in page.items], "next_cursor": page.next_cursor}


def _viewer_statement() -> Any:
    """One row when the campaign exists in the tenant: whether the caller is a member of its brand."""
    campaigns, members = Campaign.__table__, BrandMember.__table__
    tenant = bindparam("tenant_id", type_=campaigns.c.tenant_id.type)
    member = exists().where(
        members.c.tenant_id == tenant,
        members.c.brand_id == campaigns.c.brand_id,
        members.c.user_id == bindparam("user_id", type_=members.c.user_id.type),
    )
    return select(member).where(
        campaigns.c.tenant_id == tenant,
        campaigns.c.id == bindparam("campaign_id", type_=campaigns.c.id.type),
    )


def _matches_statement(after_cursor: bool, *, postgres: bool) -> Any:
    """A page of the campaign's matches joined with their profiles, in rank order (the tenant stated).

    On PostgreSQL the two JSON columns come as text, parsed by orjson in _match_item (they hold the
    matching service's own factor names and rounded floats).
    """
    matches, profiles = CampaignMatch.__table__, InfluencerProfile.__table__
    tenant = bindparam("tenant_id", type_=matches.c.tenant_id.type)
    columns = [
        cast(matches.c[name], Text).label(name) if postgres and name in _JSON_FIELDS else matches.c[name]
        for name in _MATCH_FIELDS
    ]
    columns += [profiles.c[name] for name in _INFLUENCER_FIELDS]
    joined = matches.join(
        profiles, and_(profiles.c.tenant_id == matches.c.tenant_id, profiles.c.id == matches.c.profile_id)
    )
    stmt = (
        select(*columns)
        .select_from(joined)
        .where(
            matches.c.tenant_id == tenant,
            profiles.c.tenant_id == tenant,
            matches.c.campaign_id == bindparam("campaign_id", type_=matches.c.campaign_id.type),
        )
    )
    if after_cursor:
        stmt = stmt.where(matches.c.rank > bindparam("after_0", type_=matches.c.rank.type))
    return stmt.order_by(matches.c.rank).limit(bindparam("page_limit", type_=BigInteger()))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _match_item(row: Any) -> dict[str, Any]:
    """One row of _matches_statement as MatchSchema dumps it (numbers as floats, the id as text)."""
    rank, score, niche_fit, contributions, factor_values, sentence = row[:6]
    if isinstance(contributions, str):  # PostgreSQL: the JSON text (_matches_statement)
        contributions, factor_values = orjson.loads(contributions), orjson.loads(factor_values)
    influencer = dict(zip(_INFLUENCER_FIELDS, row[6:], strict=True))
    influencer["id"] = str(influencer["id"])
    influencer["engagement_rate"] = _number(influencer["engagement_rate"])
    influencer["fraud_risk"] = _number(influencer["fraud_risk"])
    return {
        "rank": rank,
        "score": _number(score),
        "niche_fit": niche_fit,
        "contributions": {name: _number(value) for name, value in contributions.items()},
        "values": {name: _number(value) for name, value in factor_values.items()},
        "sentence": sentence,
        "influencer": influencer,
    }


def require_match_viewer(user: User | CachedUser, campaign_id: Any) -> Campaign:
    """Matches are for the campaign's brand members and admins only."""
    from marketplace.services.brands import brand_ids_of

    campaign = get_or_404(Campaign, campaign_id)
    if user.role == "admin" or (user.role == "brand" and campaign.brand_id in brand_ids_of(user)):
        return campaign
    raise NotFound("No such campaign.")
