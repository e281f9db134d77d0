"""Shared schemas: the problem document and cursor pagination."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import INCLUDE, fields, validate

from marketplace.services.pagination import DEFAULT_LIMIT, MAX_LIMIT


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, the body of every error; a kind may add its own members."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: RFC 9457 extension members

    type = fields.String(required=True, metadata={"example": "urn:marketplace:problem:not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "Per-field messages, for validation errors"})
    current_state = fields.String(metadata={"description": "invalid-transition: the state the object is in"})
    allowed = fields.List(
        fields.String(), metadata={"description": "invalid-transition: the states it may move to from there"}
    )


class PageArgsSchema(ma.Schema):
    """Query arguments of every list endpoint."""

    cursor = fields.String(load_default=None, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


_page_schemas: dict[type, type] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope of a page of `item_schema` items: {items, next_cursor}."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name,
            (ma.Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "next_cursor": fields.String(allow_none=True, required=True),
            },
        )
    return _page_schemas[item_schema]
