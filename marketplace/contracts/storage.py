"""Where generated documents live: a small key/bytes interface and its local-disk implementation."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

# Keys are relative, slash-separated paths such as "acme/contracts/42/v1.pdf".
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class InvalidDocumentKey(ValueError):
    """The key is empty, absolute, or would leave the storage root."""


class DocumentNotFound(LookupError):
    """No document is stored under this key."""


@runtime_checkable
class DocumentStorage(Protocol):
    """Bytes stored under string keys; put replaces any previous document at the key atomically."""

    def put(self, key: str, data: bytes) -> str:
        """Store the bytes under the key and return the key to keep for later get calls."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under the key; raises DocumentNotFound when there are none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a document is stored under the key."""
        ...


def validate_key(key: str) -> tuple[str, ...]:
    """The key's segments, or InvalidDocumentKey for anything but a relative path of plain names."""
    segments = tuple(key.split("/")) if isinstance(key, str) else ()
    if not key or not all(_KEY_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise InvalidDocumentKey(
            f"invalid document key {key!r}: use relative names of letters, digits, '.', '_', '-' "
            "separated by '/', with no '..' and no leading dot"
        )
    return segments


class LocalDocumentStorage:
    """Documents as files under one root directory, written atomically (temporary file + os.replace)."""

    def __init__(self, root: Path | str) -> None:
        """Use (and create on first write) the directory `root`."""
        self.root = Path(root).expanduser().absolute()

    def __repr__(self) -> str:
        """Show the root, e.g. in logs."""
        return f"LocalDocumentStorage({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        """The file a key maps to, refusing any key that would resolve outside the root."""
        path = self.root.joinpath(*validate_key(key))
        root = self.root.resolve()
        # Resolving catches symlinks inside the root that point elsewhere, too.
        if not path.resolve().is_relative_to(root):
            raise InvalidDocumentKey(f"document key {key!r} leaves the storage root")
        return path

    def put(self, key: str, data: bytes) -> str:
        """Write the bytes to a temporary file next to the target, flush to disk, then rename over it."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """The stored bytes, or DocumentNotFound."""
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise DocumentNotFound(key) from None

    def exists(self, key: str) -> bool:
        """Whether a file is stored under the key."""
        return self.path_for(key).is_file()


def storage_from_url(url: str) -> DocumentStorage:
    """The storage a setting names: 'file:///abs/path' or a plain path, local disk in both cases.

    This is the one place to plug in other backends (e.g. 's3://bucket/prefix' with a class that
    implements DocumentStorage); any scheme not handled here raises ValueError.
    """
    if not url or not url.strip():
        raise ValueError("document storage URL is empty")
    parts = urlsplit(url)
    # A single letter before ':' is a Windows drive, not a scheme.
    if not parts.scheme or len(parts.scheme) == 1:
        return LocalDocumentStorage(Path(url))
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URLs name a local path, not host {parts.netloc!r}: {url!r}")
        if not parts.path:
            raise ValueError(f"file URL without a path: {url!r}")
        return LocalDocumentStorage(Path(unquote(parts.path)))
    raise ValueError(
        f"unsupported document storage scheme {parts.scheme!r} in {url!r}; supported: file:// or a path"
    )
