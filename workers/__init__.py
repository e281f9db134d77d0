"""Background jobs on rq (Redis), or in-process on the embedded default."""
