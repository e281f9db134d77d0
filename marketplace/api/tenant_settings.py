"""The tenant's own settings, for its admins."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.tenant_settings import TenantSettingsPatchSchema, TenantSettingsSchema
from marketplace.services import tenant_settings
from marketplace.tenancy import current_tenant

blp = Blueprint("tenant_settings", __name__, url_prefix="/api/v1/admin/tenant", description="Tenant settings")


@blp.route("", methods=["GET"])
@login_required("admin")
@blp.response(200, TenantSettingsSchema)
def get_settings() -> Any:
    """This marketplace's fees, windows, thresholds and whose Stripe account it uses"""
    return tenant_settings.settings_snapshot(current_tenant())


@blp.route("", methods=["PATCH"])
@login_required("admin")
@blp.arguments(TenantSettingsPatchSchema)
@blp.response(200, TenantSettingsSchema)
def patch_settings(data: dict[str, Any]) -> Any:
    """Change settings; Stripe secrets are write-only (stored encrypted, never returned)"""
    return tenant_settings.update_tenant_settings(current_tenant(), data, current_user()).after
