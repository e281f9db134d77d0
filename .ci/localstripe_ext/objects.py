"""What the emulated objects share: Stripe-shaped lookups, newest-first lists, update events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstripe.resources import DeletedObject, List, store

from .events import emit
from .params import no_such


class EmulatedObject:
    """Mixin placed before localstripe's `StripeObject` (which must stay a direct base for `expand`).

    Every method is private: localstripe exports any public attribute of an object into its JSON.
    """

    object: str

    @classmethod
    def _get(cls, object_id: Any, param: str | None = None, kind: str | None = None) -> Any:
        """The stored object, or Stripe's `resource_missing` (400 naming `param`, else 404)."""
        obj = store.get(f"{cls.object}:{object_id}") if isinstance(object_id, str) else None
        if obj is None:
            raise no_such(kind or cls.object.replace("_", " "), str(object_id), param)
        return obj

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        """GET /v1/<objects>/{id}."""
        return cls._get(id)

    @classmethod
    def _api_delete(cls, id: str) -> DeletedObject:
        """DELETE /v1/<objects>/{id}."""
        cls._get(id)
        del store[f"{cls.object}:{id}"]
        return DeletedObject(id, cls.object)

    @classmethod
    def _newest_first(
        cls, url: str, limit: Any, starting_after: Any, keep: Callable[[Any], bool] | None = None
    ) -> List:
        """A Stripe list of the stored objects of this class, newest first like Stripe's lists."""
        page = List(url, limit=limit, starting_after=starting_after)
        prefix = f"{cls.object}:"
        page._list = [
            obj
            for key, obj in reversed(store.items())
            if key.startswith(prefix) and (keep is None or keep(obj))
        ]
        return page

    @classmethod
    def _newest_first_where(cls, url: str, limit: Any, starting_after: Any, **filters: Any) -> List:
        """The list newest first of the objects whose attributes equal the filters given (None: any)."""
        wanted = {name: value for name, value in filters.items() if value is not None}
        return cls._newest_first(
            url, limit, starting_after, lambda obj: all(getattr(obj, n) == v for n, v in wanted.items())
        )

    def _emit_changes(self, event_type: str, before: dict[str, Any], account: str | None = None) -> None:
        """Emit `event_type` with Stripe's `previous_attributes` when the export differs from `before`."""
        after = self._export()
        previous = {key: before.get(key) for key, value in after.items() if before.get(key) != value}
        if previous:
            emit(event_type, self, previous, account=account)
