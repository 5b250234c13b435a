"""The engine is local-only: ``chalice package`` leaves it out and starts nothing."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.chalice_local import CHALICE
from tests.support.engine_e2e import copy_project

pytestmark = pytest.mark.e2e


def test_the_lambda_zip_has_no_local_async_and_packaging_starts_no_engine(
    tmp_path: Path,
) -> None:
    # A copy keeps chalice's build cache out of the working tree.
    project = copy_project(tmp_path / "project")
    state = tmp_path / "state"
    subprocess.run(
        [str(CHALICE), "package", str(tmp_path / "out")],
        cwd=project,
        env={
            **os.environ,
            "AWS_DEFAULT_REGION": "us-east-1",
            "ASYNC_STATE_DIR": str(state),
            "XDG_STATE_HOME": str(tmp_path / "xdg"),
        },
        check=True,
        capture_output=True,
        timeout=120,
    )
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as deployment:
        names = deployment.namelist()
    assert "app.py" in names
    assert "chalicelib/async_policy.py" in names
    assert not [name for name in names if name.startswith("local_async")]
    assert not state.exists()
    assert not (tmp_path / "xdg").exists()
