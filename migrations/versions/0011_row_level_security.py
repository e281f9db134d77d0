"""row-level security: every tenant-owned table admits only the transaction's tenant; the app's role

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 03:00:00

PostgreSQL only (SQLite, the embedded default, relies on the application layer).

- Every table with a tenant_id column, except the platform's own `stripe_events` (events arrive
  before anyone knows their tenant), gets ROW LEVEL SECURITY and one policy for every command:
  `tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid`. With no tenant set the
  expression is NULL, so nothing is visible and nothing can be written. The app sets the tenant per
  transaction (marketplace/tenancy.py, set_config(..., true)).
- The group role `marketplace_app` (NOLOGIN; created here when missing) gets data rights only: no
  ownership, no DDL, no TRUNCATE, no BYPASSRLS, no UPDATE/DELETE on the append-only audit log. The
  app logs in as `marketplace_app` itself (ALTER ROLE marketplace_app LOGIN PASSWORD ...) or as a
  login role granted it. The owner role that runs the migrations (MIGRATION_DATABASE_URL) owns the
  tables and, as their owner, is not subject to the policies (they are enabled, not forced).
- Platform-level lookups that must see across tenants go through SECURITY DEFINER functions owned
  by the owner role, each answering one narrow question: `platform_tenant_of_stripe_object` finds
  which tenant a Stripe object belongs to (webhook routing).

Index use under the policies: PostgreSQL evaluates a query's own conditions after the policy's
unless their operators are LEAKPROOF, and only leakproof conditions may drive an index scan. The
array operators behind the niche/platform/language filters (`&&`, `@>`), full-text `@@` and the
`to_tsvector` of the free-text index are not marked so, which would leave their GIN indexes unused for the app's role. They cannot leak row
values (their only errors depend on types, not data), so a superuser marks them LEAKPROOF: this
migration does when it runs as a superuser, otherwise the operator runs LEAKPROOF_SQL once per
database (docs/tenancy.md; tests/conftest.py does, as the superuser).

A later migration that adds a tenant-owned table must enable the policy on it and grant it to the
app role (tests/security/test_row_level_security.py fails otherwise).
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APP_ROLE = "marketplace_app"
POLICY = "tenant_isolation"
PLATFORM_TABLES = ("stripe_events",)
LEAKPROOF_FUNCTIONS = (
    "arrayoverlap(anyarray, anyarray)",
    "arraycontains(anyarray, anyarray)",
    "ts_match_vq(tsvector, tsquery)",
    "to_tsvector(regconfig, text)",  # the free-text index's expression, computed from the row
)
LEAKPROOF_SQL = "; ".join(f"ALTER FUNCTION {f} LEAKPROOF" for f in LEAKPROOF_FUNCTIONS)
TENANT_EXPRESSION = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _tenant_tables(bind) -> list[str]:
    rows = bind.exec_driver_sql(
        "SELECT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'"
        " AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
    ).all()
    return [name for (name,) in rows if name not in PLATFORM_TABLES]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The role may already exist (another database of the cluster, or created by the operator).
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE UPDATE, DELETE ON audit_log FROM {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}")
    # Tables created by later migrations (run by the same owner) get the same data rights.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
    for table in _tenant_tables(bind):
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON "{table}" USING ({TENANT_EXPRESSION}) WITH CHECK ({TENANT_EXPRESSION})'
        )
    if bind.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
        op.execute(LEAKPROOF_SQL)
    op.execute("""
        CREATE FUNCTION platform_tenant_of_stripe_object(
            object_kind text, object_id text, intent_id text, charge_id text
        ) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT tenant_id FROM (
                SELECT tenant_id, 1 AS place FROM payout_accounts
                 WHERE object_kind = 'account' AND stripe_account_id = object_id
                UNION ALL
                SELECT tenant_id, 2 FROM transfers
                 WHERE object_kind = 'transfer' AND stripe_transfer_id = object_id
                UNION ALL
                SELECT tenant_id, 3 FROM refunds
                 WHERE object_kind = 'refund' AND stripe_refund_id = object_id
                UNION ALL
                SELECT tenant_id, 4 FROM payments
                 WHERE stripe_payment_intent_id = intent_id OR stripe_charge_id = charge_id
            ) found
            ORDER BY place
            LIMIT 1
        $$
    """)
    op.execute("REVOKE ALL ON FUNCTION platform_tenant_of_stripe_object(text, text, text, text) FROM PUBLIC")
    op.execute(
        f"GRANT EXECUTE ON FUNCTION platform_tenant_of_stripe_object(text, text, text, text) TO {APP_ROLE}"
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS platform_tenant_of_stripe_object(text, text, text, text)")
    for table in _tenant_tables(bind):
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
