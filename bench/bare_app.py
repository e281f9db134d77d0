"""The reference issue #8 measures the search against: a bare Flask + SQLAlchemy + marshmallow endpoint.

What a team writes first, with none of this project's work: Flask-SQLAlchemy's session and ORM
objects, a marshmallow schema that loads the query string and one that dumps the rows, the same
indexed query as the API's search (the tenant's listed profiles, suspended users left out, the same
filters and sorts, 21 rows) on the same database and pool size, and a trivial endpoint as its own
ceiling. No authentication, no tenant resolution, no row-level security (it connects as the owner),
no security headers, no problem+json: everything the real API does besides is extra work the
comparison leaves to the API alone.

bench/load.py starts it under the same gunicorn configuration as the API (`--chdir bench
bare_app:app`, BARE_DATABASE_URL, DB_POOL_SIZE, DB_MAX_OVERFLOW) for its `bare_ceiling` and
`bare_search` runs; `search_common` runs the same searches on the API in the same run.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Boolean, DateTime, Float, Integer, String, Uuid, desc, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
    "BARE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_bench"
)
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
    "pool_size": int(os.environ.get("DB_POOL_SIZE", "1")),
    "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "2")),
}
db = SQLAlchemy(app, model_class=Base)


class Profile(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "influencer_profiles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    display_name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    niches: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    platforms: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    followers: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(10))
    engagement_rate: Mapped[float] = mapped_column(Float)
    verified: Mapped[bool] = mapped_column(Boolean)
    owner_suspended: Mapped[bool] = mapped_column(Boolean)
    rating_avg: Mapped[float | None] = mapped_column(Float)
    fraud_risk: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[Any] = mapped_column(DateTime(timezone=True))


class SearchArgs(Schema):
    tenant = fields.UUID(required=True)
    niche = fields.String()
    country = fields.String()
    platform = fields.String()
    tier = fields.String()
    language = fields.String()
    min_followers = fields.Integer()
    max_followers = fields.Integer()
    min_engagement = fields.Float()
    max_engagement = fields.Float()
    sort = fields.String(
        load_default="relevance", validate=validate.OneOf(["relevance", "-followers", "newest", "-rating"])
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class Summary(Schema):
    id = fields.UUID()
    display_name = fields.String()
    country = fields.String()
    languages = fields.List(fields.String())
    niches = fields.List(fields.String())
    platforms = fields.List(fields.String())
    followers = fields.Integer()
    tier = fields.String()
    engagement_rate = fields.Float()
    verified = fields.Boolean()
    rating = fields.Float(attribute="rating_avg")
    fraud_risk = fields.Float()


SEARCH_ARGS = SearchArgs()
SUMMARIES = Summary(many=True)
# The API's sorts with no free text, written as its indexes are (the rating's is an expression index).
UNRATED = literal_column("CAST(-1.0 AS DOUBLE PRECISION)")
SORTS = {
    "relevance": (desc(Profile.engagement_rate), desc(Profile.id)),
    "-followers": (desc(Profile.followers), desc(Profile.id)),
    "newest": (desc(Profile.created_at), desc(Profile.id)),
    "-rating": (desc(func.coalesce(Profile.rating_avg, UNRATED)), desc(Profile.id)),
}


@app.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@app.get("/influencers")
def search() -> Any:
    try:
        args = SEARCH_ARGS.load(request.args)
    except ValidationError as error:
        return jsonify(errors=error.messages), 422
    tenant = args["tenant"]
    stmt = select(Profile).where(Profile.tenant_id == tenant, Profile.owner_suspended.is_(False))
    arrays = (("niche", Profile.niches), ("platform", Profile.platforms), ("language", Profile.languages))
    for name, column in arrays:
        if args.get(name):
            stmt = stmt.where(column.overlap(args[name].split(",")))
    for name, column in (("country", Profile.country), ("tier", Profile.tier)):
        if args.get(name):
            stmt = stmt.where(column.in_(args[name].split(",")))
    if args.get("min_followers") is not None:
        stmt = stmt.where(Profile.followers >= args["min_followers"])
    if args.get("max_followers") is not None:
        stmt = stmt.where(Profile.followers <= args["max_followers"])
    if args.get("min_engagement") is not None:
        stmt = stmt.where(Profile.engagement_rate >= args["min_engagement"])
    if args.get("max_engagement") is not None:
        stmt = stmt.where(Profile.engagement_rate <= args["max_engagement"])
    stmt = stmt.order_by(*SORTS[args["sort"]]).limit(args["limit"] + 1)
    rows = db.session.scalars(stmt).all()
    return jsonify(items=SUMMARIES.dump(rows[: args["limit"]]), more=len(rows) > args["limit"])
