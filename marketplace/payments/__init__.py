"""The Stripe boundary: the only package that imports `stripe`.

Services call these thin wrappers with our own values (integer minor units, our row ids) and get
plain dicts back; amounts are converted here (zero- and three-decimal currencies), every call that
moves money carries an idempotency key derived from our row id, and Stripe's exceptions become
ours (marketplace.payments.errors).
"""
