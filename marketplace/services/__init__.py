"""Use cases: one function each, owning its transaction; views and jobs call these."""
