"""Reusable field validators: ISO codes and share maps."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from marketplace.domain.niches import NICHES

COUNTRY = re.compile(r"^[A-Z]{2}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def country_field(**kwargs: Any) -> fields.String:
    """An ISO 3166-1 alpha-2 country code, upper case."""
    return fields.String(
        validate=validate.Regexp(COUNTRY, error="Use an ISO 3166-1 alpha-2 code (FR)."), **kwargs
    )


def language_field(**kwargs: Any) -> fields.String:
    """An ISO 639-1 language code, lower case."""
    return fields.String(validate=validate.Regexp(LANGUAGE, error="Use an ISO 639-1 code (fr)."), **kwargs)


def niche_field(**kwargs: Any) -> fields.String:
    """A niche of the taxonomy."""
    return fields.String(
        validate=validate.OneOf(NICHES, error="Unknown niche; see GET /api/v1/niches."), **kwargs
    )


def validate_shares(pattern: re.Pattern[str] | None = None, keys: tuple[str, ...] | None = None):
    """A validator for {key: share} maps: shares within 0..1, summing to at most 1."""

    def check(value: dict[str, Any]) -> None:
        problems = []
        for key, share in value.items():
            if pattern is not None and not pattern.match(key):
                problems.append(f"{key!r} is not a valid key.")
            if keys is not None and key not in keys:
                problems.append(f"{key!r} is not one of {', '.join(keys)}.")
            if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
                problems.append(f"The share of {key!r} must be a number between 0 and 1.")
        if not problems and sum(value.values()) > 1.0 + 1e-9:
            problems.append("Shares must sum to at most 1.")
        if problems:
            raise ValidationError(problems)

    return check
