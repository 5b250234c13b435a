"""``make audit``'s judgement of pip-audit's report, offline.

The vulnerability service cannot be reached from this sandbox or CI, so the
failing path is proven here on reports shaped like pip-audit's ``-f json``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.chalice_local import PROJECT_DIR
from tests.support.pip_audit_gate import pinned_packages, verdict_of, verdict_of_run


def report(*dependencies: dict[str, Any]) -> dict[str, Any]:
    return {"dependencies": list(dependencies), "fixes": []}


def audited(name: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def skipped(name: str) -> dict[str, Any]:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} (1.0)"}


def vuln(identifier: str, *fixes: str) -> dict[str, Any]:
    return {"id": identifier, "fix_versions": list(fixes), "aliases": [], "description": ""}


def test_a_vulnerability_with_a_fix_fails() -> None:
    verdict = verdict_of(report(audited("a", vuln("PYSEC-1", "1.1")), audited("b")))
    assert verdict.exit_status == 1
    assert "FAIL: a 1.0: PYSEC-1 (fixed in 1.1)" in verdict.lines()


def test_a_vulnerability_without_a_fix_warns() -> None:
    verdict = verdict_of(report(audited("a", vuln("GHSA-x"))))
    assert verdict.exit_status == 0
    assert "WARNING: no fix yet: a 1.0: GHSA-x" in verdict.lines()


def test_no_vulnerability_passes_quietly() -> None:
    verdict = verdict_of(report(audited("a"), audited("b")))
    assert verdict.exit_status == 0
    assert verdict.lines() == [
        "pip-audit: 2 pinned packages, 2 audited, 0 not audited; "
        "vulnerabilities with a fix 0, without a fix 0"
    ]


def test_nothing_audited_is_a_warning_not_a_pass_in_silence() -> None:
    verdict = verdict_of(report(skipped("a"), skipped("b")))
    assert verdict.exit_status == 0 and verdict.unreachable
    assert any("gave data for no package" in line for line in verdict.lines())


def test_some_skipped_are_named_and_the_rest_still_judged() -> None:
    verdict = verdict_of(report(skipped("a"), audited("b", vuln("PYSEC-2", "2.0"))))
    assert verdict.exit_status == 1
    assert any("1 of 2 packages could not be audited" in line for line in verdict.lines())


def test_a_network_failure_without_a_report_warns() -> None:
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/a/1/json"
    verdict = verdict_of_run(1, "", stderr, packages=3)
    assert verdict is not None and verdict.exit_status == 0 and verdict.unreachable
    assert verdict.lines()[0].startswith("pip-audit: 3 pinned packages, 0 audited, 3 not audited")


def test_any_other_failure_is_not_judged() -> None:
    assert verdict_of_run(1, "", "Invalid requirement: 'not a requirement ==='", 1) is None


def locked(name: str) -> str:
    """The lock's entry for ``name``: its pin and hash lines, as requirements-dev.txt has it."""
    lock = (PROJECT_DIR / "requirements-dev.txt").read_text(encoding="utf-8")
    entry = lock.split(f"\n{name}==", 1)[1].split("\n    # via", 1)[0]
    return f"{name}=={entry}\n"


def gate(requirements: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.support.pip_audit_gate", str(requirements)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_gate_reads_the_real_pip_audit_s_report(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# one pin\n" + locked("requests"), encoding="utf-8")
    run = gate(requirements)
    summary = run.stdout.splitlines()[0]
    assert summary.startswith("pip-audit: 1 pinned packages, "), run.stdout + run.stderr
    assert run.returncode in (0, 1), run.stdout + run.stderr


def test_a_pin_without_its_hashes_is_not_audited_but_refused(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(locked("requests") + "six==1.17.0\n", encoding="utf-8")
    run = gate(requirements)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "for another reason than the network" in run.stdout


def test_the_whole_lock_is_counted_one_package_a_pin() -> None:
    lock = PROJECT_DIR / "requirements-dev.txt"
    pins = [line for line in lock.read_text().splitlines() if line[:1].isalnum()]
    assert pinned_packages(lock) == len(pins) > 100
    assert {"pip", "setuptools", "wheel"} <= {pin.split("==")[0] for pin in pins}
