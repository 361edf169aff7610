"""These tests check the installed package (the wheel), not the source tree."""

import os
import sysconfig
from pathlib import Path

import tapedeck


def pytest_report_header():
    return f"tapedeck {tapedeck.__version__} from {Path(tapedeck.__file__).parent}"


def pytest_configure():
    installed = Path(sysconfig.get_path("purelib")).resolve()
    here = Path(tapedeck.__file__).resolve()
    if installed not in here.parents and not os.environ.get("TAPEDECK_TEST_SOURCE"):
        raise RuntimeError(f"tapedeck is imported from {here}, not the installed package under {installed}")
