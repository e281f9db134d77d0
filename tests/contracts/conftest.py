"""The contract document package is pure (no database, no Redis): its tests skip the per-test cleanup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """Override the suite-wide cleanup so these tests need neither PostgreSQL nor Redis."""
    yield
