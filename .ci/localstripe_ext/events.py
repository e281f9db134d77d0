"""Events for the emulated objects, stored and delivered exactly like localstripe's own."""

from __future__ import annotations

from typing import Any

from localstripe.resources import Event, StripeObject
from localstripe.webhooks import schedule_webhook


def emit(
    event_type: str,
    obj: StripeObject,
    previous_attributes: dict[str, Any] | None = None,
    account: str | None = None,
) -> Event:
    """Store an event (listed by GET /v1/events) and send it, signed, to the registered webhooks.

    Args:
        event_type: Stripe's event type, e.g. "account.updated".
        obj: the object as it is now; exported into `data.object`.
        previous_attributes: the changed fields' old values, as Stripe adds to `*.updated` events.
        account: the connected account the event belongs to (Connect events carry it).
    """
    event = Event(event_type, obj)
    if previous_attributes is not None:
        event.data["previous_attributes"] = previous_attributes
    if account is not None:
        event.account = account
    schedule_webhook(event)
    return event
