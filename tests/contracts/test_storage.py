"""Document storage: local files written atomically under one root, and the URL that picks a backend."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from marketplace.contracts.storage import (
    DocumentNotFound,
    DocumentStorage,
    InvalidDocumentKey,
    LocalDocumentStorage,
    storage_from_url,
)


def test_put_get_exists_round_trip(tmp_path: Path) -> None:
    """Bytes put under a nested key come back unchanged; put returns the key and creates directories."""
    storage = LocalDocumentStorage(tmp_path / "docs")
    key = "demo/contracts/42/contract-v1.pdf"
    assert not storage.exists(key)
    assert storage.put(key, b"%PDF-1.4 first") == key
    assert storage.exists(key)
    assert storage.get(key) == b"%PDF-1.4 first"
    assert (tmp_path / "docs" / "demo" / "contracts" / "42" / "contract-v1.pdf").is_file()
    storage.put(key, b"second")
    assert storage.get(key) == b"second"


def test_get_of_a_missing_key_raises_document_not_found(tmp_path: Path) -> None:
    """Reading a key never written raises DocumentNotFound."""
    with pytest.raises(DocumentNotFound):
        LocalDocumentStorage(tmp_path).get("demo/none.pdf")


def test_failed_write_leaves_the_previous_document_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails before the rename keeps the old bytes whole and cleans up its temporary file."""
    storage = LocalDocumentStorage(tmp_path)
    storage.put("demo/c.pdf", b"old complete document")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        storage.put("demo/c.pdf", b"new document")
    monkeypatch.undo()
    assert storage.get("demo/c.pdf") == b"old complete document"
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["c.pdf"]


def test_write_goes_through_a_temporary_file_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes are written to a temporary file in the same directory, then renamed over the target."""
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        renames.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    LocalDocumentStorage(tmp_path).put("demo/c.pdf", b"data")
    [(src, dst)] = renames
    assert Path(src).parent == Path(dst).parent == tmp_path / "demo"
    assert Path(src).name.startswith(".c.pdf.")
    assert not Path(src).exists()


@pytest.mark.parametrize(
    "key",
    [
        "../escape.pdf",
        "demo/../../escape.pdf",
        "/etc/passwd",
        "demo//c.pdf",
        "demo\\..\\c.pdf",
        "",
        ".hidden",
        "a/./b",
    ],
)
def test_keys_that_could_escape_the_root_are_refused(tmp_path: Path, key: str) -> None:
    """Traversal, absolute, empty and dot-prefixed keys are refused on put, get and exists."""
    storage = LocalDocumentStorage(tmp_path / "root")
    with pytest.raises(InvalidDocumentKey):
        storage.put(key, b"x")
    with pytest.raises(InvalidDocumentKey):
        storage.get(key)
    with pytest.raises(InvalidDocumentKey):
        storage.exists(key)
    assert not (tmp_path / "escape.pdf").exists()


def test_symlinks_out_of_the_root_are_refused(tmp_path: Path) -> None:
    """A key that goes through a symlink pointing outside the root is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidDocumentKey, match="leaves the storage root"):
        LocalDocumentStorage(root).put("link/c.pdf", b"x")
    assert not (outside / "c.pdf").exists()


def test_storage_from_url_accepts_file_urls_and_plain_paths(tmp_path: Path) -> None:
    """'file:///abs/path' and plain paths both give local storage at that directory."""
    from_url = storage_from_url(f"file://{tmp_path}/by%20url")
    assert isinstance(from_url, LocalDocumentStorage)
    assert from_url.root == tmp_path / "by url"
    from_path = storage_from_url(str(tmp_path / "plain"))
    assert isinstance(from_path, LocalDocumentStorage)
    assert from_path.root == tmp_path / "plain"
    assert isinstance(from_path, DocumentStorage)
    from_path.put("k.pdf", b"x")
    assert (tmp_path / "plain" / "k.pdf").read_bytes() == b"x"


@pytest.mark.parametrize(
    "url", ["s3://bucket/prefix", "https://example.com/docs", "file://otherhost/docs", ""]
)
def test_storage_from_url_refuses_unknown_schemes_and_remote_hosts(url: str) -> None:
    """Schemes with no backend here, remote file hosts and empty settings raise a clear ValueError."""
    with pytest.raises(ValueError):
        storage_from_url(url)
