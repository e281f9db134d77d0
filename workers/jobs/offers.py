"""Offer expiry, run by rq's scheduler at each offer's deadline and by the periodic sweep."""

from __future__ import annotations

from marketplace.services.offers import expire_due_offers
from workers.runtime import tenant_job


@tenant_job
def expire_offer(*, job_id: str) -> int:
    """Expire the tenant's pending offers whose window has passed (the one scheduled and any late one)."""
    return expire_due_offers()
