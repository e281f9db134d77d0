"""The ledger's invariant check, its CLI command, and the Stripe boundary's amounts and secrets."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from redis import Redis
from sqlalchemy import select

from marketplace.cli_payments import register_payment_commands
from marketplace.config import ConfigError, Settings
from marketplace.extensions import db
from marketplace.models import Contract, LedgerEntry, LedgerMovement
from marketplace.payments.amounts import from_stripe_amount, to_stripe_amount
from marketplace.payments.encryption import UnreadableSecret, decrypt_secret, encrypt_secret, rotate_secret
from marketplace.services.payments import ledger
from marketplace.tenancy import tenant_scope
from tests.factories import make_tenant
from tests.payments.factories import funded, make_deal


@pytest.fixture
def cli(app: Flask, runner: FlaskCliRunner) -> FlaskCliRunner:
    """The CLI with the payments commands (cli.py registers them in the app)."""
    if "ledger-check" not in app.cli.commands:
        register_payment_commands(app)
    return runner


def test_ledger_check_passes_then_catches_a_broken_pair(
    app: Flask, client: FlaskClient, redis_client: Redis, cli: FlaskCliRunner
) -> None:
    """`flask ledger-check` exits 0 on balanced books and 1, naming the contract, on a one-sided entry."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    funded(app, client, redis_client, deal)
    ok = cli.invoke(args=["ledger-check"])
    assert ok.exit_code == 0 and "ledger balanced" in ok.output

    with app.app_context(), tenant_scope(deal.tenant_id):
        movement = db.session.execute(select(LedgerMovement)).scalar_one()
        db.session.add(
            LedgerEntry(
                movement_id=movement.id,
                contract_id=movement.contract_id,
                account="platform_fee_revenue",
                amount_minor=7,
                currency="EUR",
            )
        )
        db.session.commit()
        problems = ledger.ledger_problems(deal.tenant_id)
        assert any("not one balanced pair" in p for p in problems)
        assert any("sum to 7" in p for p in problems)
    broken = cli.invoke(args=["ledger-check", "--tenant", "alpha"])
    assert broken.exit_code == 1 and deal.contract_id in broken.output


def test_movements_post_once_and_refuse_nonsense(app: Flask, client: FlaskClient) -> None:
    """The same key posts once; zero posts nothing; negative amounts and unknown accounts are refused."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    with app.app_context(), tenant_scope(deal.tenant_id):
        contract = db.session.execute(select(Contract)).scalar_one()
        args = {"kind": "funding", "from_account": "brand_funding", "to_account": "platform_held"}
        first = ledger.post_movement(contract, key="k", amount_minor=100, **args)
        assert ledger.post_movement(contract, key="k", amount_minor=100, **args) is first
        assert ledger.post_movement(contract, key="zero", amount_minor=0, **args) is None
        with pytest.raises(ValueError):
            ledger.post_movement(contract, key="neg", amount_minor=-1, **args)
        with pytest.raises(ValueError):
            ledger.post_movement(
                contract, key="x", amount_minor=1, kind="x", from_account="cash", to_account="refund"
            )
        db.session.commit()
        assert ledger.balances(uuid.UUID(deal.contract_id)) == {"brand_funding": -100, "platform_held": 100}


@pytest.mark.parametrize(
    ("minor", "currency", "stripe_amount"),
    [(1234, "EUR", 1234), (500, "JPY", 500), (700, "KRW", 700), (1234, "KWD", 12340), (99, "usd", 99)],
)
def test_amounts_at_the_stripe_boundary(minor: int, currency: str, stripe_amount: int) -> None:
    """Zero-decimal currencies go as they are; Stripe's three-decimal ones get their trailing zero."""
    assert to_stripe_amount(minor, currency) == stripe_amount
    assert from_stripe_amount(stripe_amount, currency) == minor


def test_amounts_refuse_what_cannot_be_exact() -> None:
    """Negative, fractional or non-integer amounts never reach Stripe; 1 fils of KWD cannot come back."""
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            to_stripe_amount(bad, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        from_stripe_amount(12345, "KWD")


def test_secrets_encrypt_rotate_and_refuse_unknown_keys(app: Flask) -> None:
    """MultiFernet: encrypted with the first key, readable after rotation, unreadable without its key."""
    settings = app.config["MARKETPLACE"]
    original = list(settings.encryption_keys)
    with app.app_context():
        token = encrypt_secret("sk_test_rotate_me")
        try:
            settings.encryption_keys = [Fernet.generate_key().decode(), *original]
            rotated = rotate_secret(token)
            assert decrypt_secret(rotated) == decrypt_secret(token) == "sk_test_rotate_me"
            settings.encryption_keys = settings.encryption_keys[:1]
            assert decrypt_secret(rotated) == "sk_test_rotate_me"
            with pytest.raises(UnreadableSecret):
                decrypt_secret(token)
        finally:
            settings.encryption_keys = original


def test_encryption_keys_configuration() -> None:
    """Production requires ENCRYPTION_KEYS; a malformed key is refused; development derives one."""
    production = {
        "MARKETPLACE_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "STRIPE_API_KEY": "sk_live_1",
        "STRIPE_WEBHOOK_SECRET": "whsec_1",
    }
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS"):
        Settings.from_env(production).validate()
    with pytest.raises(ConfigError, match="Fernet"):
        Settings.from_env({**production, "ENCRYPTION_KEYS": "not-a-key"}).validate()
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings.from_env({**production, "ENCRYPTION_KEYS": f"{new}, {old}"})
    settings.validate()
    assert settings.encryption_keys == [new, old]
    dev = [Settings.from_env({"SECRET_KEY": "s" * 40}) for _ in range(2)]
    for one in dev:
        one.validate()
    assert dev[0].encryption_keys == dev[1].encryption_keys and len(dev[0].encryption_keys) == 1
