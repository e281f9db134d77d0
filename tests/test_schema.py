"""The schema is ready to be distributed by tenant (Citus) and walls tenants at the key level."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.models import TenantScoped


def _tenant_tables() -> dict[str, object]:
    return {
        m.local_table.name: m.local_table
        for m in db.Model.registry.mappers
        if issubclass(m.class_, TenantScoped)
    }


def test_keys_and_constraints_lead_with_tenant_id() -> None:
    """Primary keys, unique constraints and indexes of tenant-owned tables start with tenant_id."""
    tables = _tenant_tables()
    assert {"users", "jobs"} <= set(tables)
    for name, table in tables.items():
        assert next(c.name for c in table.primary_key.columns) == "tenant_id", name
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert next(c.name for c in constraint.columns) == "tenant_id", f"{name}: {constraint.name}"
        for index in table.indexes:
            assert next(c.name for c in index.columns) == "tenant_id", f"{name}: {index.name}"


def test_foreign_keys_between_tenant_tables_carry_tenant_id() -> None:
    """A row can only reference a row of its own tenant: every such foreign key includes tenant_id."""
    tables = _tenant_tables()
    for name, table in tables.items():
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name in tables:
                local = [c.name for c in fk.columns]
                remote = [e.column.name for e in fk.elements]
                assert local[0] == "tenant_id" and remote[0] == "tenant_id", f"{name}: {fk.name}"
