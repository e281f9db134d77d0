"""Query-string arguments read into a plain dict for the schema: what webargs' MultiDictProxy gives,
without its cost on the hottest reads.

webargs hands the schema a proxy over the request's MultiDict; every field the query string leaves
out is a missing key there, and werkzeug answers a missing key with an exception (a BadRequestKeyError,
caught and turned into "missing"): a search has some twenty fields and names two or three. This parser
gives the schema the same values (every value of a list field, the first of any other field; unknown
names are dropped as before) as a dict built once. Validation is the schema's, unchanged.
"""

from __future__ import annotations

import typing
import weakref

import flask
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

_multiple: weakref.WeakKeyDictionary[ma.Schema, frozenset[str]] = weakref.WeakKeyDictionary()


class QueryParser(FlaskParser):
    """FlaskParser whose query-string loader returns a dict instead of a MultiDictProxy."""

    def _multiple_keys(self, schema: ma.Schema) -> frozenset[str]:
        found = _multiple.get(schema)
        if found is None:
            known = tuple(self.KNOWN_MULTI_FIELDS)
            found = frozenset(
                field.data_key if field.data_key is not None else name
                for name, field in schema.fields.items()
                if getattr(field, "is_multiple", None) or isinstance(field, known)
            )
            _multiple[schema] = found
        return found

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> typing.Any:
        """The query string as {name: value}, lists for the schema's list fields (as webargs' proxy)."""
        multiple = self._multiple_keys(schema)
        return {key: values if key in multiple else values[0] for key, values in req.args.lists()}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading query arguments with QueryParser (documentation unchanged)."""

    ARGUMENTS_PARSER = QueryParser()
