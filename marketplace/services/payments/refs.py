"""Reading our references back out of Stripe objects (metadata ids, expandable fields)."""

from __future__ import annotations

import uuid
from typing import Any


def stripe_id(value: Any) -> str | None:
    """An expandable Stripe field as an id (localstripe embeds objects where Stripe sends ids)."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def parse_uuid(raw: Any) -> uuid.UUID | None:
    """A UUID, or None for anything that is not one."""
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def metadata_id(obj: dict[str, Any], name: str) -> uuid.UUID | None:
    """One of our ids from a Stripe object's metadata (we put tenant, contract and row ids there)."""
    return parse_uuid((obj.get("metadata") or {}).get(name))
