"""Which Stripe account a call goes to, and the SDK client for it."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import stripe

from marketplace.payments.errors import (
    CardDeclined,
    IdempotencyMismatch,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
)

# The SDK logs request parameters and responses at DEBUG; those carry client secrets.
logging.getLogger("stripe").setLevel(logging.WARNING)


@dataclass(frozen=True)
class StripeAccess:
    """Credentials of one Stripe account: the platform's, or a tenant's own (`own` True)."""

    api_key: str = field(repr=False)
    api_base: str | None
    webhook_secret: str = field(repr=False)
    own: bool = False

    @property
    def label(self) -> str:
        """'own' or 'platform', for the API and logs (never the key)."""
        return "own" if self.own else "platform"


@functools.lru_cache(maxsize=64)
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    # A couple of network retries; POSTs keep their idempotency key across them.
    return stripe.StripeClient(api_key=api_key, base_addresses=base, max_network_retries=2)


def client_for(access: StripeAccess) -> stripe.StripeClient:
    """The SDK client of an account (one per key and base, reused)."""
    return _client(access.api_key, access.api_base)


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the SDK's exceptions into marketplace.payments.errors ones."""
    try:
        yield
    except stripe.CardError as exc:
        raise CardDeclined(exc.user_message or str(exc), code=exc.code, http_status=exc.http_status) from None
    except stripe.IdempotencyError as exc:
        if exc.http_status == 409:  # the first request with this key is still running
            raise ProviderUnavailable(str(exc), http_status=409) from None
        raise IdempotencyMismatch(str(exc), http_status=exc.http_status) from None
    except stripe.InvalidRequestError as exc:
        raise ProviderRefused(
            exc.user_message or str(exc), code=exc.code, param=exc.param, http_status=exc.http_status
        ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise ProviderUnavailable(str(exc), http_status=getattr(exc, "http_status", None)) from None
    except stripe.StripeError as exc:
        status = exc.http_status
        if status is None or status >= 500:
            raise ProviderUnavailable(str(exc), http_status=status) from None
        raise ProviderError(str(exc), code=exc.code, http_status=status) from None
