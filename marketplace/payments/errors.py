"""Stripe's failures as our exceptions, so nothing outside this package handles `stripe` types."""

from __future__ import annotations


class ProviderError(Exception):
    """A Stripe call failed; `retryable` tells whether the same call may succeed later."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
    ):
        super().__init__(message)
        self.message, self.code, self.param, self.http_status = message, code, param, http_status


class CardDeclined(ProviderError):
    """The card was declined (the payment failed; the brand may try another card)."""


class ProviderRefused(ProviderError):
    """Stripe refused the request as invalid (a bad parameter, an unknown id, a missing capability)."""


class IdempotencyMismatch(ProviderRefused):
    """The idempotency key was used with other parameters: a programming error, never retried."""


class ProviderUnavailable(ProviderError):
    """Stripe did not answer, rate-limited us, or is still running the first request of this key."""

    retryable = True


class InvalidSignature(Exception):
    """A webhook's Stripe-Signature does not verify against the endpoint's secret."""
