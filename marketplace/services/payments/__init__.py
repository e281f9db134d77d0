"""Payments use cases: payout accounts, funding, release, dispute settlement, webhooks, ledger.

Separate charges and transfers (docs/payments.md): the brand's PaymentIntent is charged to the
platform account and held there; at release a transfer moves the influencer's net to their
connected account with the contract's transfer_group; the fee stays on the platform.
"""
