"""Throw-away projects: copies of this one, the hello-world baseline, a bare CDK app.

Servers, packaging and synth all run in these copies, so nothing in the working
tree changes. A copy can carry a replica of ``.venv`` (hard links where the
file system allows, empty files otherwise): ``chalice local``'s reloader
watches every file under the project directory, and the virtual environment
is by far the largest part of what it watches when users run ``make run``.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CHALICE = Path(sys.executable).with_name("chalice")
HELLO_NAME = "helloworld"

#: A minimal CDK app: the hello-world app wrapped by chalice.cdk.Chalice, nothing else.
_BARE_CDK_APP = '''\
"""A bare Chalice CDK app: the baseline of `make synth`."""

import os

import aws_cdk as cdk
from chalice.cdk import Chalice

app = cdk.App(outdir=os.environ["CDK_OUTDIR"])
stack = cdk.Stack(app, "dev")  # the construct packages the stage named after its scope
Chalice(stack, "ChaliceApp", source_dir=os.environ["HELLO_WORLD_DIR"])
app.synth()
'''


def replicate_venv(project: Path) -> int:
    """Give ``project`` a ``.venv`` with the same tree as this project's; return its file count.

    The replica is only watched, never run: servers run this project's own
    interpreter.
    """
    source = PROJECT_DIR / ".venv"
    files = 0
    for directory, subdirectories, names in os.walk(source):
        relative = Path(directory).relative_to(source)
        target = project / ".venv" / relative
        target.mkdir(parents=True, exist_ok=True)
        for name in [*names, *subdirectories]:
            path = Path(directory) / name
            if path.is_symlink():
                os.symlink(os.readlink(path), target / name)
                files += name in names
            elif name in names:
                _link_or_touch(path, target / name)
                files += 1
    return files


def _link_or_touch(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system: an empty file watches the same
        target.touch()


def precompile(project: Path) -> None:
    """Write the bytecode caches first: a server writing them would restart once."""
    for path in sorted(project.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            compileall.compile_dir(path, quiet=1)
        elif path.suffix == ".py":
            compileall.compile_file(path, quiet=1)


def new_hello_world(parent: Path) -> Path:
    """``chalice new-project helloworld``: Chalice's own hello-world app."""
    parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(CHALICE), "new-project", HELLO_NAME],
        cwd=parent,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    return parent / HELLO_NAME


def add_tcp_nodelay(project: Path) -> Path:
    """Make a hello-world app set TCP_NODELAY, as this project does under chalice local."""
    with (project / "app.py").open("a", encoding="utf-8") as source:
        source.write(
            "\n\nfrom chalice.local import ChaliceRequestHandler\n\n"
            "ChaliceRequestHandler.disable_nagle_algorithm = True\n"
        )
    return project


def bare_cdk_app(directory: Path) -> Path:
    """A directory holding the bare CDK app; run ``python app.py`` in it."""
    directory.mkdir(parents=True)
    (directory / "app.py").write_text(_BARE_CDK_APP, encoding="utf-8")
    return directory


def link_venv(project: Path) -> None:
    """Let ``make`` in a copy use this project's virtual environment."""
    (project / ".venv").symlink_to(PROJECT_DIR / ".venv")


def watchdog_hider(directory: Path) -> Path:
    """A directory that, first on PYTHONPATH, makes ``import watchdog`` fail.

    Chalice then falls back to its stat() poller: the reloader as it is
    without watchdog installed (``python -m bench --stat-reloader``).
    """
    package = directory / "watchdog"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        'raise ImportError("hidden by bench --stat-reloader")\n', encoding="utf-8"
    )
    return directory


def clean_environment(**overrides: str) -> dict[str, str]:
    """The inherited environment, without what would change how Chalice or the engine run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CHALICE_WORKER", "AWS_CHALICE_CLI_MODE", "LOG_LEVEL", "MAKEFLAGS"}
        and not name.startswith(("ASYNC_", "SQUARE_", "PYTHONDONTWRITEBYTECODE"))
    }
    env.update({"AWS_ENDPOINT_URL_SQS": "", "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(overrides)
    return env
