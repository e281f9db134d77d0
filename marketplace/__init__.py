"""Multi-tenant influencer marketplace backend."""

from marketplace.app import create_app

__all__ = ["create_app"]
