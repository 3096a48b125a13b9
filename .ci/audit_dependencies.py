"""Audit the pinned dependencies (requirements.lock) for known vulnerabilities with pip-audit.

Fails on any known vulnerability that is not listed, with its reason, in .ci/audit-ignore.txt.
pip-audit needs a vulnerability database on the network (PyPI's JSON API or OSV); where neither
answers, as on machines that reach only a package mirror, it says so plainly and passes, since
nothing was found rather than everything checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = Path(__file__).resolve().parent / "audit-ignore.txt"


def ignored_ids() -> list[str]:
    """Vulnerability ids judged not to apply, one per line with a reason after '#'."""
    if not IGNORE_FILE.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in IGNORE_FILE.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def main() -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        command = [str(pip_audit), "-r", str(ROOT / "requirements.lock"), "--no-deps", "--disable-pip"]
        command += ["-f", "json", "-o", str(report)]
        for vulnerability in ignored_ids():
            command += ["--ignore-vuln", vulnerability]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if not report.exists():
            print(finished.stderr[-2000:], file=sys.stderr)
            return finished.returncode or 1
        dependencies = json.loads(report.read_text())["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"pip-audit: {dependency['name']} {dependency['version']}: {ids}")
    if not audited:
        print(
            f"pip-audit: no vulnerability database reachable from this machine; "
            f"0 of {len(dependencies)} pinned packages could be checked (run `make audit` where PyPI's JSON API answers)"
        )
    else:
        print(f"pip-audit: {len(audited)} of {len(dependencies)} pinned packages checked, {len(vulnerable)} vulnerable")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
