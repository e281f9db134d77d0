"""Module-level jobs: they take ids, reload state, call services, and are safe to run twice."""
