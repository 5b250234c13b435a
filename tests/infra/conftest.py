"""One synthesis of the stack per session, exactly as ``make synth`` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infrastructure.translated import TRANSLATED_SUFFIX
from tests.support.project import declares_page_function

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = REPO_ROOT / "infrastructure"
STACK_NAME = "serverless-async-lambda-api"

# Set before aws_cdk starts its node process (by the first import in a test module).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synthesized:
    """The cloud assembly ``infrastructure/app.py`` wrote."""

    outdir: Path
    template: dict[str, Any]
    #: The template CloudFormation deploys: ``template`` after the SAM transform.
    translated: dict[str, Any]

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK_NAME}.template.json"

    @property
    def translated_path(self) -> Path:
        return self.outdir / f"{STACK_NAME}{TRANSLATED_SUFFIX}"

    def translated_resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.translated["Resources"].items()
            if resource["Type"] == resource_type
        }

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def resource(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        """The stack's one resource of a type it has once (the API, the alarm topic).

        Per-function resources are many when a user declares functions next to
        the example: tests find those by their function (``resource_id``).
        """
        (found,) = self.resources(resource_type).items()
        return found

    def template_paths(self) -> dict[str, dict[str, Any]]:
        """The API's OpenAPI paths: each resource path's operations, by lower-case method."""
        _, api = self.resource("AWS::Serverless::Api")
        paths: dict[str, dict[str, Any]] = api["Properties"]["DefinitionBody"]["paths"]
        return paths

    def operation(self, route: str) -> dict[str, Any]:
        """The API's ``get`` operation of ``route``."""
        _, api = self.resource("AWS::Serverless::Api")
        operation: dict[str, Any] = api["Properties"]["DefinitionBody"]["paths"][route]["get"]
        return operation


def queue_id(synthesized: Synthesized, name: str) -> str:
    """The logical id of the queue named ``name``."""
    for logical_id, queue in synthesized.resources("AWS::SQS::Queue").items():
        if queue["Properties"]["QueueName"] == name:
            return logical_id
    raise AssertionError(f"no queue named {name}")


def arn_of(logical_id: str) -> dict[str, Any]:
    """``Fn::GetAtt`` of a resource's ARN."""
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def offline_environment(outdir: Path) -> dict[str, str]:
    """``make synth``'s environment, with every way to AWS credentials closed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        CDK_OUTDIR=str(outdir),
    )
    return env


def synthesize(project_dir: Path, outdir: Path) -> Synthesized:
    """Run ``infrastructure/app.py`` (the CDK app) of ``project_dir``, offline, cdk-nag included."""
    run = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project_dir / "infrastructure",
        env=offline_environment(outdir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    synthesized = Synthesized(outdir=outdir, template={}, translated={})
    return Synthesized(
        outdir=outdir,
        template=json.loads(synthesized.template_path.read_text(encoding="utf-8")),
        translated=json.loads(synthesized.translated_path.read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """This project's stack, synthesized once."""
    return synthesize(REPO_ROOT, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def fixture_synthesized(
    fixture_project: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Synthesized:
    """The fixture project's stack (the page's function besides the project's), synthesized once.

    A project that already declares the page's function is its own fixture
    project: its stack serves both, synthesized once.
    """
    if declares_page_function(REPO_ROOT):
        project: Synthesized = request.getfixturevalue("synthesized")
        return project
    return synthesize(fixture_project, tmp_path_factory.mktemp("fixture-cdk.out"))
