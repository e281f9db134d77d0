"""Campaign reports, as JSON or CSV."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.reports import ReportArgsSchema, ReportSchema
from marketplace.services import reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Campaign reports")

CSV_MIMETYPE = "text/csv"


def wants_csv(args: dict[str, Any]) -> bool:
    """?format= decides; otherwise the Accept header, JSON unless CSV is preferred."""
    if args.get("format"):
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", CSV_MIMETYPE], default="application/json")
    return best == CSV_MIMETYPE


@blp.route("/campaigns/<uuid:campaign_id>/report", methods=["GET"])
@login_required("brand", "admin")
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(
    200,
    success=True,
    content_type=CSV_MIMETYPE,
    schema={"type": "string"},
    description=(
        "The report: JSON by default; CSV (influencers, tiers, total) with `Accept: text/csv` "
        "or `?format=csv`"
    ),
)
def campaign_report(args: dict[str, Any], campaign_id: uuid.UUID) -> Any:
    """Spend, reach, engagement, CPM, CPE and CPC per influencer, per tier and in total"""
    view = reports.campaign_report(current_user(), campaign_id)
    if not wants_csv(args):
        return view
    response = Response(reports.report_csv(view), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="campaign-{campaign_id}-report.csv"'
    response.headers["Vary"] = "Accept"
    return response
