"""The platform operator's CLI."""

from __future__ import annotations

from flask import Flask

from tests.factories import login


def test_create_tenant_and_admin(app: Flask, runner, client) -> None:
    """create-tenant then create-admin gives an admin who can log in."""
    result = runner.invoke(args=["create-tenant", "gamma", "--name", "Gamma", "--currency", "gbp"])
    assert result.exit_code == 0, result.output
    duplicate = runner.invoke(args=["create-tenant", "gamma", "--name", "Gamma"])
    assert duplicate.exit_code != 0 and "exists" in duplicate.output
    result = runner.invoke(
        args=["create-admin", "gamma", "--email", "boss@gamma.example", "--password", "Gamma-Chief-2026"]
    )
    assert result.exit_code == 0, result.output
    tokens = login(client, "gamma", "boss@gamma.example", "Gamma-Chief-2026")
    me = client.get(
        "/api/v1/me", headers={"X-Tenant": "gamma", "Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.get_json()["role"] == "admin"


def test_seed_demo_is_idempotent(app: Flask, runner, client) -> None:
    """seed-demo creates demo and acme with working admins, and can run twice."""
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output
    assert login(client, "demo", "admin@demo.example", "Demo-Pass-2026!")["access_token"]
    assert login(client, "acme", "admin@acme.example", "Acme-Pass-2026!")["access_token"]
