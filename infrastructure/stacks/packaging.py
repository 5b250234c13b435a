"""The Lambda deployment package, the same bytes on every machine.

``chalice.cdk.Chalice`` zips ``app.py`` and every file under ``chalicelib/``
as ``os.walk`` finds them, and CDK names the asset after a hash of the zip. On a
developer's machine that picks up ``chalicelib/__pycache__/*.pyc`` (written by
tests, ``chalice local``, or Chalice itself importing ``app.py`` while it
packages), and the walk order and file modes depend on the file system and the
umask: the same commit would give a different asset, hence a new Lambda version,
on each machine. :class:`DeterministicChalice` packages without writing bytecode
and then rewrites the zip canonically (:func:`normalize_deployment_zip`) before
CDK hashes it.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

from chalice.cdk import Chalice

#: The earliest date a zip entry can carry, as Chalice itself uses.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
EXECUTABLE_MODE = 0o100755


def is_bytecode(name: str) -> bool:
    """Whether a zip member is compiled bytecode, which the runtime rebuilds anyway."""
    return "__pycache__" in name.split("/") or name.endswith((".pyc", ".pyo"))


def normalize_deployment_zip(path: Path) -> None:
    """Rewrite the zip canonically: no bytecode, sorted names, fixed dates and modes.

    Entries are stored, not deflated: deflate output may differ between zlib
    builds (zlib-ng), and the package is a few hundred kilobytes of source.
    """
    with zipfile.ZipFile(path) as source:
        members = [
            (info.filename, (info.external_attr >> 16) & 0o111, source.read(info))
            for info in source.infolist()
            if not info.is_dir() and not is_bytecode(info.filename)
        ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for name, executable, data in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3  # Unix, so that the modes below are honoured
            info.external_attr = (EXECUTABLE_MODE if executable else FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_STORED
            target.writestr(info, data)


class DeterministicChalice(Chalice):
    """``chalice.cdk.Chalice`` whose deployment zip is canonical (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._normalized = False
        super().__init__(*args, **kwargs)
        if not self._normalized:
            # _package_app is the construct's private hook (chalice 1.34): if an
            # upgrade stops calling it, fail here rather than ship a raw zip.
            raise RuntimeError(
                "chalice.cdk.Chalice no longer packages through _package_app: "
                "update infrastructure/stacks/packaging.py for this Chalice version"
            )

    def _package_app(self) -> None:
        # Chalice's construct packages in this hook, then makes the asset from
        # <package dir>/deployment.zip: the zip is rewritten in between.
        previous = sys.dont_write_bytecode
        sys.dont_write_bytecode = True  # importing app.py must not write __pycache__
        try:
            super()._package_app()
        finally:
            sys.dont_write_bytecode = previous
        normalize_deployment_zip(Path(self._sam_package_dir) / "deployment.zip")
        self._normalized = True
