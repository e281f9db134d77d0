"""Secrets at rest (tenants' own Stripe keys): MultiFernet over ENCRYPTION_KEYS, newest key first."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class UnreadableSecret(RuntimeError):
    """A stored secret was encrypted with a key that is no longer configured."""


def _box() -> MultiFernet:
    keys = current_app.config["MARKETPLACE"].encryption_keys
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_secret(plain: str) -> str:
    """Encrypt with the newest key; the token embeds its time and is authenticated."""
    return _box().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Decrypt with whichever configured key made the token."""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("no configured ENCRYPTION_KEYS entry opens this secret") from None


def rotate_secret(token: str) -> str:
    """Re-encrypt a token under the newest key (after a new key is put first in ENCRYPTION_KEYS)."""
    try:
        return _box().rotate(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("no configured ENCRYPTION_KEYS entry opens this secret") from None
