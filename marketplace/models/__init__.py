"""ORM models, one module per aggregate; importing this package registers them all."""

from marketplace.models.base import TenantScoped
from marketplace.models.job import JobRecord
from marketplace.models.tenant import Tenant
from marketplace.models.user import User

__all__ = ["JobRecord", "Tenant", "TenantScoped", "User"]
