"""`make audit`, dependency half: pip-audit over the installed packages, bounded in time, honest about reach.

pip-audit asks a vulnerability service about every installed package: PyPI's JSON API for that exact
version (/pypi/<name>/<version>/json) by default. When the service cannot be reached it skips each
package, yet still prints "No known vulnerabilities found". This wrapper counts what was really audited
and says so.

Where pip-audit skipped a package, it asks PyPI's project endpoint instead (/pypi/<name>/json). That
endpoint describes the project's latest release, its known vulnerabilities included (the "vulnerabilities"
key, from the same advisory database pip-audit reads). So a package installed at its latest release is
audited there; one installed at an older release is not, and is named as not audited.

Exit status: 1 when a known vulnerability is found or pip-audit itself fails; 0 otherwise, with a loud
NOT AUDITED notice naming the packages that could not be checked (--strict turns that into a failure).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
PYPI_URL = "https://pypi.org/pypi"


@dataclass
class Audit:
    """What the audit found: packages audited, their known vulnerabilities, packages not audited."""

    audited: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)  # one line per vulnerability
    not_audited: dict[str, str] = field(default_factory=dict)  # "name version" -> why


def canonical(name: str) -> str:
    """A distribution's name as PyPI and pip-audit spell it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """The version of every distribution installed beside this interpreter, by canonical name."""
    return {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}


def from_pip_audit(report: dict[str, Any], versions: dict[str, str]) -> tuple[Audit, list[dict[str, Any]]]:
    """pip-audit's JSON report as an Audit, and the dependencies it skipped (editable ones left out).

    pip-audit names a skipped package without its version: `versions` (installed_versions()) gives it.
    """
    audit = Audit()
    skipped: list[dict[str, Any]] = []
    for dependency in report["dependencies"]:
        name, reason = dependency["name"], dependency.get("skip_reason")
        if reason is not None:
            # Our own package is installed editable: not on PyPI, and bandit's to check, not pip-audit's.
            if "editable" not in reason:
                skipped.append({"name": name, "version": versions.get(canonical(name), "?")})
            continue
        key = f"{name} {dependency['version']}"
        audit.audited.append(key)
        for vuln in dependency.get("vulns") or []:
            audit.vulnerable.append(_finding(key, vuln["id"], vuln.get("fix_versions")))
    return audit, skipped


def _finding(key: str, advisory: str, fixed_in: list[str] | None) -> str:
    """One vulnerability of a package ("name version") as the audit prints it."""
    return f"{key}: {advisory} (fixed in {', '.join(fixed_in or []) or 'no fix released'})"


def fetch_project(name: str, base_url: str = PYPI_URL, timeout: float = 10.0) -> dict[str, Any] | None:
    """PyPI's project document for `name`, or None when it cannot be had (404, no network, bad JSON)."""
    url = f"{base_url.rstrip('/')}/{name}/json"
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError):
        return None


def audit_latest_releases(
    skipped: list[dict[str, Any]], fetch: Callable[[str], dict[str, Any] | None], audit: Audit
) -> None:
    """Audit the packages pip-audit skipped through PyPI's project documents, into `audit`.

    A package installed at the project's latest release takes that release's "vulnerabilities" (withdrawn
    advisories left out); any other is recorded as not audited, with the reason.
    """
    with ThreadPoolExecutor(max_workers=8) as pool:
        documents = list(pool.map(lambda d: fetch(d["name"]), skipped))
    for dependency, document in zip(skipped, documents, strict=True):
        name, version = dependency["name"], dependency["version"]
        key = f"{name} {version}"
        if document is None:
            audit.not_audited[key] = "PyPI's project document could not be fetched"
            continue
        latest = document.get("info", {}).get("version")
        if latest != version:
            audit.not_audited[key] = f"not the latest release ({latest}); per-version lookups unreachable"
            continue
        audit.audited.append(key)
        for vuln in document.get("vulnerabilities") or []:
            if vuln.get("withdrawn"):
                continue
            audit.vulnerable.append(_finding(key, vuln["id"], vuln.get("fixed_in")))


def report(audit: Audit, strict: bool) -> int:
    """Print the audit's findings and return the exit status."""
    for line in audit.vulnerable:
        print(f"VULNERABLE {line}")
    print(
        f"dependency audit: {len(audit.audited)} packages audited, {len(audit.vulnerable)} known "
        f"vulnerabilities, {len(audit.not_audited)} not audited"
    )
    for key, why in sorted(audit.not_audited.items()):
        print(f"NOT AUDITED {key}: {why}")
    if audit.vulnerable:
        return 1
    return 1 if audit.not_audited and strict else 0


def main(argv: list[str] | None = None) -> int:
    """Run pip-audit, audit what it skipped through PyPI's project documents, print, return the status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=90, help="seconds for pip-audit")
    parser.add_argument("--strict", action="store_true", help="fail when any package could not be audited")
    parser.add_argument("--pypi-url", default=PYPI_URL, help="PyPI's JSON API root, for the fallback")
    args = parser.parse_args(argv)

    command = [str(PIP_AUDIT), "--local", "--skip-editable", "--progress-spinner", "off", "--format", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"pip-audit: NOT AUDITED - no answer from the vulnerability service within {args.timeout} s")
        return 1 if args.strict else 0
    try:
        pip_report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {done.returncode}):\n{done.stderr.strip()}")
        return 1
    audit, skipped = from_pip_audit(pip_report, installed_versions())
    print(f"pip-audit: {len(audit.audited)} packages audited itself, {len(skipped)} skipped")
    if skipped:
        print(f"auditing the {len(skipped)} skipped through PyPI's project documents ({args.pypi_url})")
        audit_latest_releases(skipped, lambda name: fetch_project(name, args.pypi_url), audit)
    return report(audit, args.strict)


if __name__ == "__main__":
    sys.exit(main())
