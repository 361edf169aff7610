"""Finding the ``tapedeck`` executable: an explicit path, ``TAPEDECK_BIN``, the one
this package's wheel installed next to the interpreter, or ``PATH``."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

_EXE = "tapedeck.exe" if os.name == "nt" else "tapedeck"


class BinaryNotFound(RuntimeError):
    """No usable ``tapedeck`` executable."""


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_binary(explicit: str | os.PathLike[str] | None = None) -> str:
    """The path of the ``tapedeck`` executable to run.

    Looks at ``explicit``, then the ``TAPEDECK_BIN`` environment variable (a binary
    built with ``cargo build --release``), then the scripts directory of this
    interpreter (where ``pip install`` put the wheel's binary), then ``PATH``.
    """
    for source, value in (("binary=", explicit), ("TAPEDECK_BIN=", os.environ.get("TAPEDECK_BIN"))):
        if value:
            path = Path(value)
            if not _usable(path):
                raise BinaryNotFound(f"tapedeck: {source}{value} is not an executable file")
            return str(path)
    looked: list[str] = []
    dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    try:
        dirs.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:
        pass
    for directory in dict.fromkeys(d for d in dirs if d):
        candidate = Path(directory) / _EXE
        looked.append(str(candidate))
        if _usable(candidate):
            return str(candidate)
    on_path = shutil.which(_EXE)
    if on_path:
        return on_path
    raise BinaryNotFound(
        "tapedeck: no `tapedeck` executable found (looked at "
        + ", ".join(looked)
        + " and PATH). Install the package with its binary (`pip install .` in a "
        "checkout, or the wheel), or set TAPEDECK_BIN to a binary built with "
        "`cargo build --release` (target/release/tapedeck)."
    )
