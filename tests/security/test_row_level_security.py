"""The second tenant wall: PostgreSQL row-level security under the app's own database role.

The whole suite already runs the app as the app role (tests/conftest.py), so the isolation walk over
every route (tests/api/test_tenancy.py) passes with both walls up. These tests look at the database
wall alone: what the app's role sees and may do with no tenant set, with its own and with another's.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import InfluencerProfile, TenantScoped, User
from marketplace.tenancy import set_tenant, tenant_scope, unscoped
from tests.conftest import APP_ROLE, DATABASE_URL, OWNER_ROLE, as_role
from tests.factories import make_influencer, make_tenant

PLATFORM_TABLES = {"stripe_events"}


def _tenant_tables() -> set[str]:
    return {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)}


@pytest.fixture
def two_tenants(app: Flask, client: FlaskClient) -> tuple[uuid.UUID, uuid.UUID]:
    """Tenants a and b with one influencer profile each (and their users, accounts, snapshots)."""
    a, b = make_tenant(app, "rls-a"), make_tenant(app, "rls-b")
    make_influencer(app, client, "rls-a")
    make_influencer(app, client, "rls-b", display_name="Bea Other")
    return a.id, b.id


def _as_app(tenant_id: uuid.UUID | None = None) -> psycopg.Connection:
    """A raw connection of the app's role, in a transaction whose tenant is `tenant_id` (or none)."""
    conn = psycopg.connect(as_role(DATABASE_URL, APP_ROLE))
    if tenant_id is not None:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
    return conn


def _count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - our table names


def test_every_tenant_owned_table_has_the_policy(app: Flask) -> None:
    with psycopg.connect(DATABASE_URL) as conn:
        secured = dict(
            conn.execute(
                "SELECT c.relname, c.relrowsecurity FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).fetchall()
        )
        policies = {
            (table, name, command, using, check)
            for table, name, command, using, check in conn.execute(
                "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies"
                " WHERE schemaname = 'public'"
            ).fetchall()
        }
    tables = _tenant_tables()
    assert tables, "no tenant-scoped models found"
    missing = sorted(t for t in tables if not secured.get(t))
    assert missing == [], f"tenant-owned tables without row-level security: {missing}"
    by_table = {p[0]: p for p in policies}
    for table in tables:
        _, name, command, using, check = by_table[table]
        assert (name, command) == ("tenant_isolation", "ALL")
        for expression in (using, check):
            assert "current_setting('app.tenant_id'::text, true)" in expression, (table, expression)
    # Platform tables stay open to the platform's own code: they hold no tenant's private data.
    assert not any(secured.get(t) for t in PLATFORM_TABLES)


def test_the_app_role_cannot_bypass_the_policies(app: Flask) -> None:
    with psycopg.connect(DATABASE_URL) as conn:
        superuser, bypass = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
        ).fetchone()
        owners = {
            owner
            for (owner,) in conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        forced = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relforcerowsecurity"
        ).fetchone()[0]
    assert (superuser, bypass) == (False, False)
    # The migrations ran as the owner role: the app's role owns nothing, so nothing exempts it.
    assert owners == {OWNER_ROLE}
    assert forced == 0  # enabled, not forced: only the owner (migrations) is exempt
    # The app's configured URLs: the app as the app role, migrations as the owner.
    settings = app.config["MARKETPLACE"]
    assert psycopg.conninfo.conninfo_to_dict(settings.database_url)["user"] == APP_ROLE
    assert psycopg.conninfo.conninfo_to_dict(settings.migration_database_url)["user"] == OWNER_ROLE


def test_no_tenant_set_sees_nothing_and_writes_nothing(two_tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, _ = two_tenants
    with _as_app() as conn:
        for table in ("users", "influencer_profiles", "social_accounts", "metric_snapshots"):
            assert _count(conn, table) == 0, table
        # An UPDATE or DELETE with no tenant touches nothing, an INSERT is refused.
        assert conn.execute("UPDATE users SET display_name = 'x'").rowcount == 0
        assert conn.execute("DELETE FROM influencer_profiles").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO brands (tenant_id, id, name, created_at, updated_at)"
                " VALUES (%s, %s, 'Sneaky', now(), now())",
                (a, uuid.uuid4()),
            )
    with psycopg.connect(DATABASE_URL) as conn:  # the superuser sees every row is still there
        assert _count(conn, "influencer_profiles") == 2
        assert conn.execute("SELECT count(*) FROM users WHERE display_name = 'x'").fetchone()[0] == 0


def test_a_tenant_sees_and_writes_only_its_own_rows(two_tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, b = two_tenants
    with _as_app(a) as conn:
        tenants = {t for (t,) in conn.execute("SELECT DISTINCT tenant_id FROM influencer_profiles")}
        assert tenants == {a}
        assert {t for (t,) in conn.execute("SELECT DISTINCT tenant_id FROM users")} == {a}
        # Another tenant's rows cannot be reached, changed or deleted, even by id.
        b_profile = _profile_id_of(b)
        assert (
            conn.execute("SELECT 1 FROM influencer_profiles WHERE id = %s", (b_profile,)).fetchone() is None
        )
        assert (
            conn.execute(
                "UPDATE influencer_profiles SET display_name = 'taken' WHERE id = %s", (b_profile,)
            ).rowcount
            == 0
        )
        assert conn.execute("DELETE FROM influencer_profiles WHERE id = %s", (b_profile,)).rowcount == 0
        # Nor moved into the other tenant, nor created there.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE influencer_profiles SET tenant_id = %s", (b,))
    with _as_app(a) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO brands (tenant_id, id, name, created_at, updated_at)"
            " VALUES (%s, %s, 'X', now(), now())",
            (b, uuid.uuid4()),
        )
    with _as_app(b) as conn:
        assert {t for (t,) in conn.execute("SELECT DISTINCT tenant_id FROM influencer_profiles")} == {b}
        assert conn.execute("SELECT display_name FROM influencer_profiles").fetchone()[0] == "Bea Other"


def _profile_id_of(tenant_id: uuid.UUID) -> uuid.UUID:
    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute(
            "SELECT id FROM influencer_profiles WHERE tenant_id = %s", (tenant_id,)
        ).fetchone()[0]


def test_the_setting_ends_with_the_transaction(two_tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, _ = two_tenants
    with _as_app(a) as conn:
        assert _count(conn, "influencer_profiles") == 1
        conn.commit()  # a pooled connection's next transaction starts with no tenant
        assert _count(conn, "influencer_profiles") == 0


def test_the_app_role_has_data_rights_only(two_tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, _ = two_tenants
    refused = [
        "TRUNCATE influencer_profiles",
        "ALTER TABLE influencer_profiles DISABLE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON users",
        "CREATE TABLE sneaky (id int)",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
    ]
    for statement in refused:
        with _as_app(a) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    # `SET row_security = off` does not lift the policies: the query fails instead of leaking.
    with _as_app(a) as conn:
        conn.execute("SET row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("SELECT count(*) FROM users")


def test_the_orm_opt_out_cannot_cross_the_database_wall(
    app: Flask, two_tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    """unscoped() lifts the application's filter only: the database still shows one tenant."""
    a, b = two_tenants
    with app.app_context():
        set_tenant(None)
        every = select(func.count()).select_from(InfluencerProfile).execution_options(**unscoped())
        assert db.session.execute(every).scalar_one() == 0
        with tenant_scope(a):
            assert db.session.execute(every).scalar_one() == 1
            tenants = db.session.execute(
                select(User.tenant_id).distinct().execution_options(**unscoped())
            ).scalars()
            assert set(tenants) == {a}
            # Switching tenants inside one transaction switches the database's tenant too.
            with tenant_scope(b):
                names = db.session.execute(
                    select(InfluencerProfile.display_name).execution_options(**unscoped())
                ).scalars()
                assert list(names) == ["Bea Other"]
            assert db.session.execute(every).scalar_one() == 1
        db.session.rollback()


def test_the_platform_lookup_answers_one_question_across_tenants(
    app: Flask, two_tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    """Webhook routing finds a Stripe object's tenant through the owner's SECURITY DEFINER function."""
    _, b = two_tenants
    account = f"acct_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE), autocommit=True) as owner:
        user_id = owner.execute("SELECT id FROM users WHERE tenant_id = %s LIMIT 1", (b,)).fetchone()[0]
        owner.execute(
            "INSERT INTO payout_accounts (tenant_id, id, user_id, stripe_account_id, details_submitted,"
            " charges_enabled, payouts_enabled, transfers_active, requirements_due, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, false, false, false, false, '[]', now(), now())",
            (b, uuid.uuid4(), user_id, account),
        )
    with _as_app() as conn:
        assert _count(conn, "payout_accounts") == 0  # the table itself stays walled
        lookup = "SELECT platform_tenant_of_stripe_object('account', %s, NULL, NULL)"
        assert conn.execute(lookup, (account,)).fetchone()[0] == b
        assert conn.execute(lookup, ("acct_unknown",)).fetchone()[0] is None
    with app.app_context():
        from marketplace.services.payments.stripe_events import _tenant_by_stripe_ids

        set_tenant(None)
        assert _tenant_by_stripe_ids({"object": "account", "id": account}) == b
        db.session.rollback()


def test_the_search_indexes_still_serve_the_app_role(app: Flask) -> None:
    """Array and full-text operators are LEAKPROOF (migration 0011): their GIN indexes drive the scan.

    Without it PostgreSQL would evaluate `&&` only after the policy, as a filter over every row of
    the tenant. 3,000 generated profiles (written by the app's role: COPY through a temporary table)
    make the index plainly cheaper for a value no profile has, once the full-text index's pending list
    is merged (as autovacuum does): against the stored vector's cheap `@@`, scanning so few rows beats
    reading every pending entry. The operator must be an index condition: a GIN index that leads with
    tenant_id could serve `tenant_id = ...` alone and leave the operator as a filter.
    """
    from marketplace.services.demo_data import generate_influencers

    tenant = make_tenant(app, "rls-big")
    with app.app_context():
        generate_influencers(tenant.id, 3_000)
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE), autocommit=True) as owner:
        owner.execute("ANALYZE influencer_profiles")
        owner.execute("SELECT gin_clean_pending_list('ix_influencer_profiles_search_vector')")
        # The generated column is computed for rows that arrive through COPY and INSERT ... SELECT too.
        stale = owner.execute(
            "SELECT count(*) FROM influencer_profiles"
            " WHERE search_vector IS DISTINCT FROM to_tsvector('simple', search_text)"
        ).fetchone()[0]
        leakproof = owner.execute(
            "SELECT bool_and(proleakproof) FROM pg_proc WHERE oid IN ("
            " 'arrayoverlap(anyarray, anyarray)'::regprocedure,"
            " 'arraycontains(anyarray, anyarray)'::regprocedure,"
            " 'ts_match_vq(tsvector, tsquery)'::regprocedure,"
            " 'to_tsvector(regconfig, text)'::regprocedure)"
        ).fetchone()[0]
    assert stale == 0
    assert leakproof is True
    with _as_app(tenant.id) as conn:
        assert _count(conn, "influencer_profiles") == 3_000
        for condition, index in (
            # One GIN index over the three arrays serves a condition on any of them (migration 0013).
            ("niches && '{no-such-niche}'", "ix_influencer_profiles_match_filters"),
            ("platforms && '{no-such-platform}'", "ix_influencer_profiles_match_filters"),
            ("languages @> '{zz}'", "ix_influencer_profiles_match_filters"),
            # The stored vector (migration 0012), as services.search_sql.text_matches writes it.
            ("search_vector @@ plainto_tsquery('simple', 'zzqx')", "ix_influencer_profiles_search_vector"),
        ):
            plan = "\n".join(
                row[0]
                for row in conn.execute(
                    f"EXPLAIN SELECT id FROM influencer_profiles WHERE tenant_id = %s AND {condition}",  # noqa: S608
                    (tenant.id,),
                )
            )
            assert index in plan, plan
            column = condition.split()[0]
            assert any("Index Cond" in line and column in line for line in plan.splitlines()), plan
