"""`make audit`, dependency half: pip-audit over the installed packages, bounded in time, honest about reach.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every installed package. When
the service cannot be reached it skips each package, yet still prints "No known vulnerabilities found".
This wrapper counts what was really audited and says so.

Exit status: 1 when a known vulnerability is found or pip-audit itself fails; 0 otherwise, with a loud
NOT AUDITED notice when packages could not be checked (--strict turns that into a failure too).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main(argv: list[str] | None = None) -> int:
    """Run pip-audit, print a summary, return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=90, help="seconds for the whole audit")
    parser.add_argument("--strict", action="store_true", help="fail when any package could not be audited")
    args = parser.parse_args(argv)

    command = [str(PIP_AUDIT), "--local", "--skip-editable", "--progress-spinner", "off", "--format", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"pip-audit: NOT AUDITED - no answer from the vulnerability service within {args.timeout} s")
        return 1 if args.strict else 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {done.returncode}):\n{done.stderr.strip()}")
        return 1

    # Our own package is installed editable: it is not on PyPI and is bandit's to check, not pip-audit's.
    dependencies = [d for d in report["dependencies"] if "editable" not in d.get("skip_reason", "")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with known vulnerabilities, "
        f"{len(skipped)} not audited"
    )
    if skipped:
        reasons = {d["skip_reason"].split(":")[0] for d in skipped}
        print(
            f"pip-audit: NOT AUDITED - {len(skipped)} of {len(dependencies)} packages could not be checked "
            f"({'; '.join(sorted(reasons))}). The vulnerability service is not reachable from this machine; "
            "see docs/security.md."
        )
    if vulnerable:
        return 1
    return 1 if skipped and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
