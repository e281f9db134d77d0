"""Roster imports: an admin uploads a CSV of influencers; a job imports it."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnsupportedMediaType

from marketplace.api.access import current_user, login_required
from marketplace.api.jobs import accepted
from marketplace.errors import ValidationFailed
from marketplace.schemas.jobs import JobAcceptedSchema
from marketplace.services import imports

blp = Blueprint("imports", __name__, url_prefix="/api/v1/admin/imports", description="Roster imports")

CSV_TYPES = ("text/csv", "application/csv")
_UPLOAD_DOC = {
    "required": True,
    "description": "The roster (columns in docs/imports.md), as the body or as the multipart field `file`",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
    },
}


def uploaded_csv() -> bytes:
    """The CSV bytes of the request: a text/csv body or a multipart `file` field (413 past MAX_BYTES)."""
    request.max_content_length = imports.MAX_BYTES
    if request.mimetype in CSV_TYPES:
        return request.get_data(cache=False)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                "Send the roster in the multipart field 'file'.",
                errors={"file": ["Missing data for required field."]},
            )
        return upload.read()
    raise UnsupportedMediaType(
        "Send the roster as a text/csv body or as the multipart/form-data field 'file'."
    )


@blp.route("", methods=["POST"])
@login_required("admin")
@blp.doc(requestBody=_UPLOAD_DOC)
@blp.response(202, JobAcceptedSchema)
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def start_import() -> Any:
    """Import an agency's roster of influencers (CSV); follow the job at /jobs/{id}"""
    return accepted(imports.start_import(current_user(), uploaded_csv()))
