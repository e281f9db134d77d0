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


class SparseLoadSchema(ma.Schema):
    """A schema of optional arguments that deserializes only the arguments given.

    marshmallow walks every field on each load, an absent one included (to give it its
    load_default): a search names two or three of its twenty arguments, and the walk was most of
    the cost of reading them (docs/PERFORMANCE.md). This loads the given ones (`partial=True`, so the
    same fields, validators and errors) and then sets each absent field's load_default, which is
    what marshmallow's own load returns (tests/api/test_search.py compares the two). Only for
    schemas without required fields, which partial loading would let through.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        required = [name for name, field in self.load_fields.items() if field.required]
        if required:
            raise TypeError(f"{type(self).__name__}: required fields {required} cannot load sparsely")
        self._absent = [
            (field.attribute or name, field.load_default)
            for name, field in self.load_fields.items()
            if field.load_default is not ma.missing
        ]

    def load(self, data, *, many=None, partial=None, unknown=None):  # type: ignore[no-untyped-def]
        """marshmallow's load, the absent fields' defaults set after the given fields' load."""
        if many or partial is not None:
            return super().load(data, many=many, partial=partial, unknown=unknown)
        loaded = super().load(data, partial=True, unknown=unknown)
        for name, default in self._absent:
            if name not in loaded:
                loaded[name] = default() if callable(default) else default
        return loaded


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
