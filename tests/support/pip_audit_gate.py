"""``make audit``: pip-audit of the hashed lock, as a gate that knows when it is blind.

Usage (from the project directory)::

    .venv/bin/python -m tests.support.pip_audit_gate requirements-dev.txt

Audits every package of the lock, transitive dependencies and pip, setuptools
and wheel included, as pinned (``--disable-pip``: the lock is read, nothing is
installed). ``--require-hashes`` makes pip-audit refuse a file whose pins are
not all hashed, so that what is audited is what ``make`` installs.

Fails (exit 1) on a known vulnerability that has a fixed version. A known
vulnerability without a fix is printed as a warning. When the vulnerability
service cannot be reached, or answers for none of the packages (pip-audit
then reports them as skipped and, by itself, exits 0 with "No known
vulnerabilities found"), this prints a WARNING saying how many packages were
not audited and exits 0, so that a CI without access to the service stays
green without pretending to have checked anything. Any other failure of
pip-audit (a bad requirements file, say) exits 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: What pip-audit's stderr holds when the vulnerability service was out of reach.
UNREACHABLE_MARKERS = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Read timed out",
    "ConnectTimeout",
    "ServiceError",
    "Temporary failure in name resolution",
)


@dataclass
class Verdict:
    """What one audit found, and the exit status it calls for."""

    packages: int = 0
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    fixable: list[str] = field(default_factory=list)
    unfixable: list[str] = field(default_factory=list)
    unreachable: bool = False

    @property
    def exit_status(self) -> int:
        return 1 if self.fixable else 0

    def lines(self) -> list[str]:
        """The report: one summary line, then one line a finding or warning."""
        out = [
            f"pip-audit: {self.packages} pinned packages, {self.audited} audited, "
            f"{self.packages - self.audited} not audited; vulnerabilities with a fix "
            f"{len(self.fixable)}, without a fix {len(self.unfixable)}"
        ]
        out += [f"FAIL: {finding}" for finding in self.fixable]
        out += [f"WARNING: no fix yet: {finding}" for finding in self.unfixable]
        if self.unreachable:
            out.append(
                "WARNING: the vulnerability service gave data for no package (unreachable, "
                "or answering 404 as in a sandbox): nothing was audited; not failing, but "
                "this is not a clean audit"
            )
        elif self.skipped:
            out.append(
                f"WARNING: {len(self.skipped)} of {self.packages} packages could not be "
                "audited (the vulnerability service had no data for them: unreachable "
                f"or unknown): {', '.join(self.skipped)}"
            )
        return out


def verdict_of(report: dict[str, Any]) -> Verdict:
    """Judge pip-audit's JSON report (``-f json``)."""
    dependencies = report.get("dependencies", [])
    verdict = Verdict(packages=len(dependencies))
    for dependency in dependencies:
        name = f"{dependency.get('name')} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            verdict.skipped.append(name)
            continue
        verdict.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixes = vulnerability.get("fix_versions") or []
            finding = f"{name}: {vulnerability.get('id')}"
            if fixes:
                verdict.fixable.append(f"{finding} (fixed in {', '.join(fixes)})")
            else:
                verdict.unfixable.append(finding)
    verdict.unreachable = verdict.packages > 0 and verdict.audited == 0
    return verdict


def verdict_of_run(returncode: int, output: str, stderr: str, packages: int) -> Verdict | None:
    """Judge one pip-audit run; None when it failed for a reason other than the network."""
    if output.strip():
        try:
            return verdict_of(json.loads(output))
        except ValueError:
            return None
    if returncode != 0 and any(marker in stderr for marker in UNREACHABLE_MARKERS):
        return Verdict(packages=packages, unreachable=True)
    return None


def pinned_packages(requirements: Path) -> int:
    """How many requirements the file pins: its ``name==version`` lines.

    Comments, blank lines, and a requirement's continuation lines (``--hash=...``,
    indented) are not requirements.
    """
    lines = requirements.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if "==" in line.split("#", 1)[0] and not line[:1].isspace())


def main(argv: Sequence[str] | None = None) -> int:
    """Audit the requirements file named on the command line; return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    requirements = Path(args[0] if args else "requirements-dev.txt")
    with tempfile.TemporaryDirectory() as scratch:
        output_path = Path(scratch) / "audit.json"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--requirement",
                str(requirements),
                "--require-hashes",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--timeout",
                "15",
                "--format",
                "json",
                "--output",
                str(output_path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        output = output_path.read_text(encoding="utf-8") if output_path.exists() else ""
    verdict = verdict_of_run(run.returncode, output, run.stderr, pinned_packages(requirements))
    if verdict is None:
        print(run.stdout + run.stderr, file=sys.stderr)
        print(f"pip-audit failed (exit {run.returncode}) for another reason than the network")
        return 2
    for line in verdict.lines():
        print(line)
    return verdict.exit_status


if __name__ == "__main__":
    sys.exit(main())
