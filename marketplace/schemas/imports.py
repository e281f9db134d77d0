"""Schemas of roster imports: one CSV row of an agency's influencer roster."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from marketplace.models.influencer import PLATFORMS
from marketplace.schemas.validators import country_field, language_field, niche_field

LIST_SEPARATOR = ";"
ACCOUNT_FIGURES = ("followers", "following", "avg_likes", "avg_comments", "avg_views")
COUNT = validate.Range(min=0, max=2_000_000_000)


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip().lower() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


class RosterRowSchema(ma.Schema):
    """One roster row: the influencer (by email) and, optionally, one social account with its figures.

    Cells arrive as text; blank cells are dropped before loading, so they mean "not given".
    """

    email = fields.Email(required=True, validate=validate.Length(max=320))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    country = country_field()
    languages = fields.List(language_field(), validate=validate.Length(max=20))
    niches = fields.List(niche_field(), validate=validate.Length(max=10))
    platform = fields.String(validate=validate.OneOf(PLATFORMS))
    handle = fields.String(validate=validate.Length(min=1, max=100))
    followers = fields.Integer(validate=COUNT)
    following = fields.Integer(validate=COUNT)
    avg_likes = fields.Float(validate=COUNT)
    avg_comments = fields.Float(validate=COUNT)
    avg_views = fields.Float(validate=COUNT)
    accepts_in_kind = fields.Boolean()
    min_cash_rate_minor = fields.Integer(validate=validate.Range(min=0, max=1_000_000_000))

    @pre_load
    def _normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Spreadsheet habits: codes in any case, lists separated by ';', surrounding spaces."""
        data = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
        for key in ("email", "platform"):
            if isinstance(data.get(key), str):
                data[key] = data[key].lower()
        if isinstance(data.get("country"), str):
            data["country"] = data["country"].upper()
        for key in ("languages", "niches"):
            if key in data:
                data[key] = _split(data[key])
        if isinstance(data.get("handle"), str):
            data["handle"] = data["handle"].lstrip("@")
        return data

    @validates_schema
    def _account_complete(self, data: dict[str, Any], **kwargs: Any) -> None:
        """An account needs its platform, handle and followers; figures without an account are refused."""
        has_account = "platform" in data or "handle" in data
        problems: dict[str, list[str]] = {}
        if has_account:
            for key in ("platform", "handle", "followers"):
                if key not in data:
                    problems[key] = ["Required when the row describes an account."]
        else:
            for key in ACCOUNT_FIGURES:
                if key in data:
                    problems[key] = ["Give the platform and handle of the account these figures belong to."]
        if problems:
            raise ValidationError(problems)
