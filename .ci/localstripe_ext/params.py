"""Request parameters read the way Stripe reads them, and refused in Stripe's error shape.

Errors look like {"error": {"type": "invalid_request_error", "message", "param", "code"}}.
"""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError


def invalid_request(
    message: str, param: str | None = None, code: str | None = None, status: int = 400
) -> UserError:
    """An `invalid_request_error` that localstripe's error middleware turns into a response."""
    contents: dict[str, Any] = {}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)


def no_such(kind: str, object_id: str, param: str | None = None) -> UserError:
    """Stripe's `resource_missing`: 404 for an id in the path, 400 for an id given as a parameter."""
    return invalid_request(
        f"No such {kind}: '{object_id}'",
        param=param or "id",
        code="resource_missing",
        status=400 if param else 404,
    )


def reject_unknown(params: dict[str, Any]) -> None:
    """Refuse parameters this emulation does not know, the way Stripe names the first of them."""
    if params:
        name = next(iter(params))
        raise invalid_request(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def require(params: dict[str, Any], name: str) -> Any:
    """Pop a required parameter or refuse with Stripe's `parameter_missing`."""
    value = params.pop(name, None)
    if value in (None, ""):
        raise invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return value


def optional_string(params: dict[str, Any], name: str) -> str | None:
    """Pop an optional string parameter; anything else than a string is refused."""
    value = params.pop(name, None)
    if value is not None and not isinstance(value, str):
        raise invalid_request(f"Invalid string: {value!r}", param=name, code="parameter_invalid_string")
    return value


def metadata_param(params: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Pop `metadata` and merge it into `current` like Stripe: an empty value unsets a key, "" unsets all."""
    value = params.pop("metadata", None)
    merged = dict(current or {})
    if value is None:
        return merged
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid_request("Invalid metadata: must be a hash of strings", param="metadata")
    for key, item in value.items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    return merged
