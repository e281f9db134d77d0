"""Discovery search: every filter, every sort, and cursor pagination across ties."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.api.influencers import SEARCH_ARGS
from marketplace.schemas.common import SparseLoadSchema
from tests.conftest import DATABASE_URL, OWNER_ROLE, as_role
from tests.factories import Caller, make_brand, make_caller, make_influencer, make_tenant, profile_body


def _account(platform: str, handle: str, followers: int, likes: int) -> dict:
    return {
        "platform": platform,
        "handle": handle,
        "followers": followers,
        "following": 100,
        "avg_likes": likes,
        "avg_comments": 0,
    }


@pytest.fixture
def people(app: Flask, client: FlaskClient) -> dict[str, Caller]:
    """Five influencers with distinct niches, countries, platforms, sizes and prices."""
    make_tenant(app, "alpha")
    specs = {
        "chef": dict(
            display_name="Chef Paul",
            bio="street food in Lyon",
            country="FR",
            languages=["fr"],
            niches=["food"],
            social_accounts=[_account("instagram", "chefpaul", 10_000, 500)],
        ),
        "runner": dict(
            display_name="Runner Ana",
            bio="marathon training",
            country="ES",
            languages=["es", "en"],
            niches=["sport"],
            social_accounts=[_account("tiktok", "ana.runs", 80_000, 1_600)],
        ),
        "gym": dict(
            display_name="Gym Tom",
            bio="lifting and protein recipes",
            country="GB",
            languages=["en"],
            niches=["fitness"],
            social_accounts=[_account("youtube", "gymtom", 1_500, 90)],
        ),
        "jeweller": dict(
            display_name="Lea Bijoux",
            bio="rings and necklaces",
            country="FR",
            languages=["fr"],
            niches=["jewellery"],
            social_accounts=[_account("instagram", "lea.bijoux", 10_000, 300)],
        ),
        "traveller": dict(
            display_name="Max Roams",
            bio="food trips across Asia",
            country="DE",
            languages=["de", "en"],
            niches=["travel"],
            social_accounts=[_account("instagram", "maxroams", 1_200_000, 12_000)],
        ),
    }
    people = {name: make_influencer(app, client, "alpha", **spec) for name, spec in specs.items()}
    prices = {"chef": 30_000, "jeweller": 45_000, "traveller": 900_000}
    for name, price in prices.items():
        card = [
            {"platform": "instagram", "deliverable": "post", "content_creation": True, "price_minor": price}
        ]
        assert people[name].put("/api/v1/influencers/me/rates", json={"rates": card}).status_code == 200
    people["brand"] = make_brand(app, client, "alpha")
    return people


def _names(caller: Caller, query: str) -> list[str]:
    response = caller.get(f"/api/v1/influencers?{query}")
    assert response.status_code == 200, (query, response.get_json())
    return [item["display_name"] for item in response.get_json()["items"]]


def test_filters(people: dict[str, Caller]) -> None:
    """Each filter narrows the result to exactly the matching profiles."""
    brand = people["brand"]
    assert _names(brand, "niche=food") == ["Chef Paul"]
    assert set(_names(brand, "niche=food&related=true")) == {"Chef Paul", "Max Roams", "Gym Tom"}
    assert set(_names(brand, "country=FR")) == {"Chef Paul", "Lea Bijoux"}
    assert set(_names(brand, "language=en")) == {"Runner Ana", "Gym Tom", "Max Roams"}
    assert set(_names(brand, "platform=instagram&platform=youtube")) == {
        "Chef Paul",
        "Lea Bijoux",
        "Max Roams",
        "Gym Tom",
    }
    assert _names(brand, "tier=mega") == ["Max Roams"]
    assert set(_names(brand, "min_followers=2000&max_followers=80000")) == {
        "Chef Paul",
        "Lea Bijoux",
        "Runner Ana",
    }
    assert _names(brand, "min_engagement=0.055") == ["Gym Tom"]
    assert set(_names(brand, "max_engagement=0.015")) == {"Max Roams"}
    assert set(_names(brand, "deliverable=post&rate_platform=instagram&max_rate=50000")) == {
        "Chef Paul",
        "Lea Bijoux",
    }
    assert _names(brand, "q=necklaces") == ["Lea Bijoux"]
    assert _names(brand, "q=maxroams") == ["Max Roams"]
    assert _names(brand, "q=food trips") == ["Max Roams"]
    assert _names(brand, "verified=true") == []
    assert _names(brand, "country=FR&niche=jewellery") == ["Lea Bijoux"]


def test_sorts(people: dict[str, Caller]) -> None:
    """Sorting by followers, engagement and rate orders as asked."""
    brand = people["brand"]
    assert _names(brand, "sort=-followers")[0] == "Max Roams"
    ascending = _names(brand, "sort=followers")
    assert ascending[0] == "Gym Tom" and ascending[-1] == "Max Roams"
    assert _names(brand, "sort=-engagement")[0] == "Gym Tom"
    assert _names(brand, "deliverable=post&rate_platform=instagram&sort=rate") == [
        "Chef Paul",
        "Lea Bijoux",
        "Max Roams",
    ]
    assert _names(brand, "deliverable=post&rate_platform=instagram&sort=-rate")[0] == "Max Roams"
    assert len(_names(brand, "sort=rating")) == 5
    assert _names(brand, "q=food&sort=relevance")[0] in ("Chef Paul", "Max Roams")


def _one_at_a_time(caller: Caller, query: str) -> list[dict]:
    """Every item of a search, read one per page through next_cursor."""
    items: list[dict] = []
    cursor = None
    while True:
        page = caller.get(
            f"/api/v1/influencers?{query}&limit=1" + (f"&cursor={cursor}" if cursor else "")
        ).get_json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_pagination_never_repeats_or_skips_with_ties(people: dict[str, Caller]) -> None:
    """Two profiles share 10,000 followers; paging one at a time visits each profile once."""
    brand = people["brand"]
    for sort in ("-followers", "followers", "-engagement", "rating", "newest"):
        seen = [item["id"] for item in _one_at_a_time(brand, f"sort={sort}")]
        assert len(seen) == len(set(seen)) == 5, sort
        assert seen == [
            item["id"] for item in brand.get(f"/api/v1/influencers?sort={sort}").get_json()["items"]
        ]


def test_search_permissions_and_validation(
    app: Flask, client: FlaskClient, people: dict[str, Caller]
) -> None:
    """Influencers cannot search; bad ranges and a rate sort without deliverable are 422."""
    assert people["chef"].get("/api/v1/influencers").status_code == 403
    admin = make_caller(app, client, "alpha", "admin")
    assert len(_names(admin, "")) == 5
    brand = people["brand"]
    assert brand.get("/api/v1/influencers?min_followers=10&max_followers=5").status_code == 422
    assert brand.get("/api/v1/influencers?sort=rate").status_code == 422
    assert brand.get("/api/v1/influencers?sort=rate&deliverable=post").status_code == 422
    assert brand.get("/api/v1/influencers?niche=jewelery").status_code == 422
    assert brand.get("/api/v1/influencers?limit=500").status_code == 422


def _vector(profile_id: str) -> tuple[str, bool]:
    """A profile's stored search_vector, and whether it equals to_tsvector('simple', search_text)."""
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE)) as owner:
        return owner.execute(
            "SELECT search_vector::text, search_vector = to_tsvector('simple', search_text)"
            " FROM influencer_profiles WHERE id = %s",
            (profile_id,),
        ).fetchone()


def test_the_stored_search_vector_follows_the_text(app: Flask, client: FlaskClient) -> None:
    """search_vector (migration 0012) is the text's tsvector after an insert and after an update."""
    make_tenant(app, "alpha")
    chef = make_influencer(app, client, "alpha", display_name="Chef Paul", bio="street food in Lyon")
    vector, same = _vector(chef.profile_id)
    assert same and "'street'" in vector and "'paul'" in vector
    body = profile_body(display_name="Baker Jo", bio="sourdough bread in Nantes")
    assert chef.put("/api/v1/influencers/me", json=body).status_code == 200
    vector, same = _vector(chef.profile_id)
    assert same and "'sourdough'" in vector and "'jo'" in vector
    assert "'street'" not in vector and "'paul'" not in vector
    brand = make_brand(app, client, "alpha")
    assert _names(brand, "q=sourdough nantes") == ["Baker Jo"]
    assert _names(brand, "q=street food") == []


def test_relevance_is_ts_rank_of_the_text(app: Flask, client: FlaskClient, people: dict[str, Caller]) -> None:
    """Ranked by the stored vector, the order is ts_rank over to_tsvector of the text, ties by id."""
    for n, bio in enumerate(("food food food", "food and more food", "food", "street food stalls")):
        make_influencer(app, client, "alpha", display_name=f"Cook {n}", bio=bio)
    brand = people["brand"]
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE)) as owner:
        for q in ("food", "street food", "lea", "food lyon", "nobody"):
            expected = [
                name
                for (name,) in owner.execute(
                    "SELECT p.display_name FROM influencer_profiles p JOIN tenants t ON t.id = p.tenant_id,"
                    " to_tsvector('simple', p.search_text) v, plainto_tsquery('simple', %s) q"
                    " WHERE t.slug = 'alpha' AND v @@ q ORDER BY ts_rank(v, q) DESC, p.id DESC",
                    (q,),
                )
            ]
            assert _names(brand, f"q={q}") == expected, q
            assert _names(brand, f"q={q}&sort=relevance") == expected, q
    assert _names(brand, "q=food")[:2] == ["Cook 0", "Cook 1"]


def test_free_text_pages_follow_the_rank_through_ties(
    app: Flask, client: FlaskClient, people: dict[str, Caller]
) -> None:
    """A relevance search ranks its page's ids first and reads their columns after (search._ranked_page):
    paging one result at a time visits every match once, in the order of the whole list, ties
    (equal ranks) included, and a rate asked for is shown on each row."""
    for n, bio in enumerate(("food food", "food", "food", "food and food", "food")):
        make_influencer(app, client, "alpha", display_name=f"Cook {n}", bio=bio)
    brand = people["brand"]
    for query in ("q=food", "q=food&deliverable=post&content_creation=true"):
        whole = brand.get(f"/api/v1/influencers?{query}&limit=50").get_json()["items"]
        assert len(whole) == 7  # five cooks, Chef Paul and Max Roams
        seen = _one_at_a_time(brand, query)
        assert [item["id"] for item in seen] == [item["id"] for item in whole], query
        assert [item["display_name"] for item in whole][:2] in (["Cook 0", "Cook 3"], ["Cook 3", "Cook 0"])
    rates = {item["display_name"]: item["rate_minor"] for item in whole}
    assert rates["Chef Paul"] == 30_000 and rates["Max Roams"] == 900_000 and rates["Cook 1"] is None


def test_the_engagement_index_covers_a_search_by_engagement(app: Flask) -> None:
    """Every profile column such a search reads is in ix_influencer_profiles_tenant_engagement (key or
    INCLUDE), so PostgreSQL answers it by an index-only scan (migration 0013): a column added to the
    results or a filter added to the search must be added to SEARCH_COLUMNS and the index too."""
    from sqlalchemy.sql import visitors

    from marketplace.models.influencer import SEARCH_COLUMNS
    from marketplace.services import search

    filters = {
        "niche": ["food"],
        "related": False,
        "country": ["FR"],
        "language": ["fr"],
        "platform": ["instagram"],
        "tier": ["micro"],
        "min_followers": 1,
        "max_followers": 10,
        "min_engagement": 0.01,
        "max_engagement": 0.5,
        "verified": True,
    }
    with app.app_context():
        index = next(i for i in search.P.indexes if i.name == "ix_influencer_profiles_tenant_engagement")
        covered = {c.name for c in index.columns} | set(index.dialect_options["postgresql"]["include"])
        assert covered == {"tenant_id", "engagement_rate", "id", *SEARCH_COLUMNS}
        for args in ({"sort": "relevance"}, {**filters, "sort": "engagement"}, {**filters, "cursor": "x"}):
            args = {"sort": "relevance", **args}
            stmt, order = search._build(args, {"niche": ["food"], "country": ["FR"]}, postgres=True)
            read = {
                element.name
                for element in visitors.iterate(stmt)
                if getattr(element, "table", None) is search.P and hasattr(element, "name")
            }
            assert read and read <= covered, read - covered
            assert order[0].expression is search.P.c.engagement_rate


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"niche": ["food"]},
        {"niche": ["food", "travel"], "related": "true", "country": ["FR"], "limit": "5"},
        {"min_followers": "10000", "max_followers": "100000", "sort": "-followers", "verified": "false"},
        {"deliverable": "post", "rate_platform": "instagram", "max_rate": "30000", "sort": "rate"},
        {"q": "street food", "cursor": "abc", "content_creation": "false", "unknown_name": "x"},
        {"min_followers": "10", "max_followers": "5"},  # a range the schema refuses
        {"sort": "rate"},  # no deliverable nor platform
        {"limit": "0", "niche": ["not-a-niche"], "min_engagement": "x"},
        {"q": ""},
    ],
)
def test_search_arguments_load_sparsely_as_marshmallow_loads_them(query: dict[str, Any]) -> None:
    """The sparse load gives exactly what marshmallow's full walk gives: values, defaults and errors."""
    assert isinstance(SEARCH_ARGS, SparseLoadSchema)

    def outcome(load: Any) -> Any:
        try:
            return "loaded", load(dict(query), unknown=ma.EXCLUDE)
        except ma.ValidationError as error:
            return "refused", error.messages

    assert outcome(SEARCH_ARGS.load) == outcome(lambda data, **kw: ma.Schema.load(SEARCH_ARGS, data, **kw))


def test_a_sparse_schema_refuses_required_fields() -> None:
    """Partial loading would let a missing required field through, so such a schema cannot be sparse."""

    class Strict(SparseLoadSchema):
        name = ma.fields.String(required=True)

    with pytest.raises(TypeError, match="required fields"):
        Strict()
