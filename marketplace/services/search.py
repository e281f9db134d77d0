"""Discovery search over influencer profiles: filters, sorts and keyset pagination.

Every filter maps to an index on PostgreSQL (docs/search.md explains which).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, literal, literal_column, select

from marketplace.domain import niches as niche_rules
from marketplace.errors import Forbidden
from marketplace.models import InfluencerProfile, RatePrice, User
from marketplace.services.pagination import Page, SortKey, paginate
from marketplace.services.search_sql import array_overlaps, text_matches, text_rank

P = InfluencerProfile
UNRATED = "CAST(-1.0 AS DOUBLE PRECISION)"  # unrated profiles sort below every rating


def _rate_clauses(args: dict[str, Any]) -> list[Any]:
    clauses = [
        RatePrice.tenant_id == P.tenant_id,
        RatePrice.profile_id == P.id,
        RatePrice.deliverable == args["deliverable"],
        RatePrice.content_creation == (args["content_creation"] and args["deliverable"] != "share"),
    ]
    if args.get("rate_platform"):
        clauses.append(RatePrice.platform == args["rate_platform"])
    return clauses


def search_influencers(viewer: User, args: dict[str, Any]) -> Page:
    """Brands and admins search the tenant's listed influencers."""
    if viewer.role not in ("brand", "admin"):
        raise Forbidden("Only brands and admins search influencers.")
    rate = None
    stmt = select(P).join(User, and_(User.tenant_id == P.tenant_id, User.id == P.user_id))
    stmt = stmt.where(User.suspended_at.is_(None))
    if args.get("niche"):
        wanted = niche_rules.expand(args["niche"]) if args.get("related") else set(args["niche"])
        stmt = stmt.where(array_overlaps(P.niches, sorted(wanted)))
    if args.get("country"):
        stmt = stmt.where(P.country.in_(args["country"]))
    if args.get("language"):
        stmt = stmt.where(array_overlaps(P.languages, args["language"]))
    if args.get("platform"):
        stmt = stmt.where(array_overlaps(P.platforms, args["platform"]))
    if args.get("tier"):
        stmt = stmt.where(P.tier.in_(args["tier"]))
    if args.get("min_followers") is not None:
        stmt = stmt.where(P.followers >= args["min_followers"])
    if args.get("max_followers") is not None:
        stmt = stmt.where(P.followers <= args["max_followers"])
    if args.get("min_engagement") is not None:
        stmt = stmt.where(P.engagement_rate >= args["min_engagement"])
    if args.get("max_engagement") is not None:
        stmt = stmt.where(P.engagement_rate <= args["max_engagement"])
    if args.get("verified") is not None:
        stmt = stmt.where(P.verified.is_(args["verified"]))
    if args.get("q"):
        stmt = stmt.where(text_matches(P.search_text, args["q"]))
    if args["sort"] in ("rate", "-rate"):
        # Sorting by a price: walk the rate card index in price order and join the profiles (one line
        # per profile, since platform, deliverable and creation are all fixed).
        rate = RatePrice.price_minor
        stmt = stmt.join(RatePrice, and_(*_rate_clauses(args)))
        if args.get("max_rate") is not None:
            stmt = stmt.where(RatePrice.price_minor <= args["max_rate"])
        stmt = stmt.add_columns(RatePrice.price_minor.label("rate_minor"))
    elif args.get("deliverable"):
        rate = select(func.min(RatePrice.price_minor)).where(*_rate_clauses(args)).scalar_subquery()
        if args.get("max_rate") is not None:
            line = [*_rate_clauses(args)]
            if args.get("max_rate") is not None:
                line.append(RatePrice.price_minor <= args["max_rate"])
            stmt = stmt.where(exists().where(*line))
        stmt = stmt.add_columns(rate.label("rate_minor"))
    else:
        stmt = stmt.add_columns(literal(None).label("rate_minor"))

    if args["sort"] == "relevance" and args.get("q"):
        stmt = stmt.add_columns(text_rank(P.search_text, args["q"]).label("rank"))
    order = _order(args, rate)
    page = paginate(stmt, order, args.get("cursor"), args.get("limit"), scalars=False)
    page.items = [_summary(row) for row in page.items]
    return page


def _summary(row: Any) -> dict[str, Any]:
    profile = row[0]
    return {**{c.key: getattr(profile, c.key) for c in P.__table__.columns}, "rate_minor": row.rate_minor}


def _order(args: dict[str, Any], rate: Any) -> list[SortKey]:
    sort = args["sort"]
    descending = sort.startswith("-") or sort in ("relevance", "newest")
    name = sort.lstrip("-")
    id_key = SortKey(P.id, True, lambda row: row[0].id, P.id.type.python_type)
    if name == "relevance" and args.get("q"):
        return [SortKey(text_rank(P.search_text, args["q"]), True, lambda row: row.rank, float), id_key]
    if name in ("relevance", "engagement"):
        key = SortKey(P.engagement_rate, descending, lambda row: row[0].engagement_rate, float)
    elif name == "followers":
        key = SortKey(P.followers, descending, lambda row: row[0].followers, int)
    elif name == "rating":
        # Written exactly as the expression index ix_influencer_profiles_tenant_rating, so it serves the sort.
        rating = func.coalesce(P.rating_avg, literal_column(UNRATED))
        key = SortKey(
            rating,
            descending,
            lambda row: row[0].rating_avg if row[0].rating_avg is not None else -1.0,
            float,
        )
    elif name == "rate":
        key = SortKey(rate, descending, lambda row: row.rate_minor, int)
    else:  # newest
        key = SortKey(P.created_at, True, lambda row: row[0].created_at, P.created_at.type.python_type)
    return [key, SortKey(P.id, descending, lambda row: row[0].id, P.id.type.python_type)]
