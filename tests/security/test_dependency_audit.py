"""`make audit`'s dependency half (.ci/audit_dependencies.py) against recorded PyPI documents.

pip-audit cannot reach a vulnerability service from our machines, so the script audits what pip-audit
skipped through PyPI's project documents. A local HTTP server answers with documents shaped as PyPI's
(the pycrypto one as PyPI served it here on 2026-12-05, trimmed to the keys the audit reads).
"""

from __future__ import annotations

import json
import stat
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_script

audit_dependencies = load_script(".ci/audit_dependencies.py")

PYCRYPTO = {
    "info": {"name": "pycrypto", "version": "2.6.1"},
    "vulnerabilities": [
        {"id": "PYSEC-2017-94", "aliases": ["CVE-2013-7459"], "fixed_in": [], "withdrawn": None},
        {"id": "PYSEC-2018-97", "aliases": ["CVE-2018-6594"], "fixed_in": [], "withdrawn": None},
    ],
}
DOCUMENTS: dict[str, dict[str, Any]] = {
    "pycrypto": PYCRYPTO,
    "clean": {"info": {"name": "clean", "version": "1.0"}, "vulnerabilities": []},
    "withdrawn": {
        "info": {"name": "withdrawn", "version": "2.0"},
        "vulnerabilities": [{"id": "GHSA-xxxx", "fixed_in": ["2.1"], "withdrawn": "2026-01-02T00:00:00Z"}],
    },
    "fixed-later": {
        "info": {"name": "fixed-later", "version": "3.0"},
        "vulnerabilities": [{"id": "PYSEC-2026-1", "fixed_in": ["3.1"], "withdrawn": None}],
    },
}


class _PyPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[1] if self.path.count("/") >= 3 else ""
        document = DOCUMENTS.get(name) if self.path.endswith("/json") else None
        body = json.dumps(document).encode() if document else b"Not Found"
        self.send_response(200 if document else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture()
def pypi() -> Iterator[str]:
    """The base URL of a local server answering /pypi/<name>/json with DOCUMENTS (404 otherwise)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PyPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pypi"
    server.shutdown()
    server.server_close()


def _audit(pypi: str, skipped: list[dict[str, str]]) -> Any:
    audit = audit_dependencies.Audit()
    audit_dependencies.audit_latest_releases(
        skipped, lambda name: audit_dependencies.fetch_project(name, pypi, timeout=5), audit
    )
    return audit


def test_a_package_at_its_latest_release_takes_that_releases_vulnerabilities(pypi: str) -> None:
    audit = _audit(pypi, [{"name": "pycrypto", "version": "2.6.1"}, {"name": "clean", "version": "1.0"}])
    assert sorted(audit.audited) == ["clean 1.0", "pycrypto 2.6.1"]
    assert audit.vulnerable == [
        "pycrypto 2.6.1: PYSEC-2017-94 (fixed in no fix released)",
        "pycrypto 2.6.1: PYSEC-2018-97 (fixed in no fix released)",
    ]
    assert audit.not_audited == {}
    assert audit_dependencies.report(audit, strict=False) == 1


def test_a_withdrawn_advisory_is_not_a_finding(pypi: str) -> None:
    audit = _audit(pypi, [{"name": "withdrawn", "version": "2.0"}])
    assert audit.audited == ["withdrawn 2.0"] and audit.vulnerable == []
    assert audit_dependencies.report(audit, strict=True) == 0


def test_an_older_release_or_an_unknown_package_is_named_as_not_audited(
    pypi: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The latest release's advisories say nothing of an older one: it is not audited, not called clean."""
    audit = _audit(pypi, [{"name": "fixed-later", "version": "2.9"}, {"name": "nowhere", "version": "1.0"}])
    assert audit.audited == [] and audit.vulnerable == []
    assert audit.not_audited == {
        "fixed-later 2.9": "not the latest release (3.0); per-version lookups unreachable",
        "nowhere 1.0": "PyPI's project document could not be fetched",
    }
    assert audit_dependencies.report(audit, strict=False) == 0
    assert audit_dependencies.report(audit, strict=True) == 1
    printed = capsys.readouterr().out
    assert "NOT AUDITED fixed-later 2.9" in printed and "NOT AUDITED nowhere 1.0" in printed


def _fake_pip_audit(tmp_path: Path, report: dict[str, Any]) -> Path:
    """An executable that prints `report` as pip-audit's --format json would."""
    script = tmp_path / "pip-audit"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({json.dumps(report)!r})\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_the_script_audits_what_pip_audit_skipped_and_fails_on_a_finding(
    pypi: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip-audit's own findings count; what it skipped goes to PyPI's project documents; editable is ours."""
    report = {
        "dependencies": [
            {"name": "audited-ok", "version": "1.0", "vulns": []},
            {"name": "pycrypto", "skip_reason": "Dependency not found on PyPI and could not be audited: x"},
            {"name": "clean", "skip_reason": "Dependency not found on PyPI and could not be audited: y"},
            {"name": "marketplace", "skip_reason": "distribution marked as editable"},
        ],
        "fixes": [],
    }
    monkeypatch.setattr(audit_dependencies, "PIP_AUDIT", _fake_pip_audit(tmp_path, report))
    versions = {"pycrypto": "2.6.1", "clean": "1.0"}
    monkeypatch.setattr(audit_dependencies, "installed_versions", lambda: versions)
    assert audit_dependencies.main(["--pypi-url", pypi]) == 1
    printed = capsys.readouterr().out
    assert "VULNERABLE pycrypto 2.6.1: PYSEC-2017-94" in printed
    assert "3 packages audited, 2 known vulnerabilities, 0 not audited" in printed

    report["dependencies"] = report["dependencies"][:1] + report["dependencies"][2:]
    monkeypatch.setattr(audit_dependencies, "PIP_AUDIT", _fake_pip_audit(tmp_path, report))
    assert audit_dependencies.main(["--pypi-url", pypi, "--strict"]) == 0
    assert "2 packages audited, 0 known vulnerabilities, 0 not audited" in capsys.readouterr().out


def test_pip_audit_findings_of_its_own_fail_the_audit() -> None:
    report = {
        "dependencies": [
            {"name": "old", "version": "0.1", "vulns": [{"id": "PYSEC-1", "fix_versions": ["0.2"]}]},
        ]
    }
    audit, skipped = audit_dependencies.from_pip_audit(report, {})
    assert skipped == [] and audit.audited == ["old 0.1"]
    assert audit.vulnerable == ["old 0.1: PYSEC-1 (fixed in 0.2)"]
