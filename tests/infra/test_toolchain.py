"""The CDK CLI that deploys the stack: pinned, locked, and new enough for the library.

Issue 15: the README deployed with ``npx aws-cdk@2``, whatever version npm
resolved that day, running with deploy credentials. aws-cdk-lib writes cloud
assemblies of a schema version that only CLIs from a given release on read
(aws-cdk-lib 2.275.0: schema 55, CLI 2.1145.0 or later, from the version
table of ``@aws-cdk/cloud-assembly-schema`` 55.0.0's ``cli-version.json``).
"""

from __future__ import annotations

import json
import re

from tests.infra.conftest import REPO_ROOT, Synthesized

#: The first CLI that reads each cloud assembly schema version (major).
FIRST_CLI_FOR_SCHEMA = {55: (2, 1145, 0)}


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_cli_is_pinned_exactly_and_locked_with_its_integrity() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text())
    pinned = package["devDependencies"]["aws-cdk"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "an exact version, no range"
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/aws-cdk"]
    assert locked["version"] == pinned
    assert locked["integrity"].startswith("sha512-")
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]


def test_the_pinned_cli_reads_the_cloud_assembly_the_library_writes(
    synthesized: Synthesized,
) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    schema = version(manifest["version"])[0]
    pinned = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert schema in FIRST_CLI_FOR_SCHEMA, f"schema {schema}: find the first CLI that reads it"
    assert version(pinned) >= FIRST_CLI_FOR_SCHEMA[schema]


def test_the_readme_deploys_only_with_the_pinned_cli() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "npm ci" in readme
    assert re.findall(r"npx (?!cdk\b)\S+", readme) == [], "every npx runs the locked `cdk`"
    assert "npx cdk deploy" in readme
