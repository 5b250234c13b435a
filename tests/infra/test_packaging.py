"""The Lambda asset is the same zip on every machine: sources only, in a canonical form."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from infrastructure.stacks.packaging import normalize_deployment_zip
from tests.infra.conftest import REPO_ROOT, Synthesized


def asset_zip(synthesized: Synthesized) -> Path:
    """The functions' code asset as cdk.out holds it (what ``cdk deploy`` uploads)."""
    functions = synthesized.resources("AWS::Serverless::Function").values()
    (key,) = {function["Properties"]["CodeUri"]["Key"] for function in functions}
    path = synthesized.outdir / f"asset.{key}"
    assert path.is_file(), sorted(p.name for p in synthesized.outdir.iterdir())
    return path


def test_the_asset_zip_holds_the_sources_and_no_bytecode(synthesized: Synthesized) -> None:
    with zipfile.ZipFile(asset_zip(synthesized)) as package:
        infos = package.infolist()
    names = [info.filename for info in infos]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    chalicelib = {
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "chalicelib").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert set(names) == {"app.py", "chalice/__init__.py", "chalice/app.py", *chalicelib}
    # Canonical: sorted names, fixed dates and modes, stored (no zlib-dependent bytes).
    assert names == sorted(names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info
        assert info.external_attr >> 16 == 0o100644, info
        assert info.compress_type == zipfile.ZIP_STORED, info


def _zip(members: list[tuple[str, int, bytes]], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as package:
        for name, mode, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 6, 7, 8, 10))
            info.external_attr = mode << 16
            info.compress_type = compression
            package.writestr(info, data)
    return buffer.getvalue()


def test_normalizing_gives_the_same_bytes_whatever_the_machine_wrote(tmp_path: Path) -> None:
    # One machine: umask 022, a walk order, deflate; another: umask 002, another
    # order, stale bytecode next to the sources.
    one = _zip(
        [
            ("app.py", 0o100644, b"import chalicelib\n"),
            ("chalicelib/a.py", 0o100644, b"A = 1\n"),
            ("chalicelib/tool.sh", 0o100755, b"#!/bin/sh\n"),
        ],
        zipfile.ZIP_DEFLATED,
    )
    other = _zip(
        [
            ("chalicelib/tool.sh", 0o100775, b"#!/bin/sh\n"),
            ("chalicelib/__pycache__/a.cpython-311.pyc", 0o100664, b"\x00bytecode"),
            ("chalicelib/a.py", 0o100664, b"A = 1\n"),
            ("chalicelib/stale.pyc", 0o100664, b"\x00bytecode"),
            ("app.py", 0o100664, b"import chalicelib\n"),
        ],
        zipfile.ZIP_STORED,
    )
    paths = [tmp_path / "one.zip", tmp_path / "other.zip"]
    for path, data in zip(paths, (one, other), strict=True):
        path.write_bytes(data)
        normalize_deployment_zip(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as package:
        assert package.namelist() == ["app.py", "chalicelib/a.py", "chalicelib/tool.sh"]
        modes = [info.external_attr >> 16 for info in package.infolist()]
        assert package.read("chalicelib/a.py") == b"A = 1\n"
    assert modes == [0o100644, 0o100644, 0o100755], "an executable stays executable"


@pytest.mark.parametrize("name", ["x/__pycache__/y.cpython-311.pyc", "y.pyc", "z.pyo"])
def test_bytecode_is_dropped(tmp_path: Path, name: str) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(_zip([("app.py", 0o100644, b""), (name, 0o100644, b"")], zipfile.ZIP_STORED))
    normalize_deployment_zip(path)
    with zipfile.ZipFile(path) as package:
        assert package.namelist() == ["app.py"]
