"""tapedeck for Python tests: the ``tapedeck`` executable (installed with this
package), :class:`Replay` to run ``tapedeck replay`` from a test, and a pytest
plugin with a ``tapedeck`` fixture (see :mod:`tapedeck.plugin`)."""

from __future__ import annotations

from importlib import metadata as _metadata

from ._binary import BinaryNotFound, find_binary
from ._replay import ContractError, Readable, Replay

try:
    __version__ = _metadata.version("tapedeck")
except _metadata.PackageNotFoundError:  # imported from a checkout, not installed
    __version__ = "0+unknown"

__all__ = ["BinaryNotFound", "ContractError", "Readable", "Replay", "find_binary", "__version__"]
