"""The pytest plugin (entry point ``pytest11``): a ``tapedeck`` fixture that points
the test's AWS SDK clients at a ``tapedeck replay`` server and fails the test when
any of its requests matched no fixture or broke the recorded contract — even when
the application swallowed the error.

One server per set of server settings per session (so one per worker under
pytest-xdist); each test starts with the sequences rewound and an empty journal
window. Every setting comes from, in order: the test's ``@pytest.mark.tapedeck(…)``,
the command line (``--tapedeck-<name>``), the ini file (``tapedeck_<name>``), and
the default. They are declared once, in ``SETTINGS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from ._replay import ContractError, Readable, Replay

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
# Test values, as the AWS documentation's examples use: nothing leaves the machine.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "tapedeck-test-secret"}
DUMMY_REGION = "us-east-1"


@dataclass(frozen=True)
class Setting:
    """One option: a keyword of the marker and of :class:`tapedeck.Replay`, a
    ``--tapedeck-<name>`` flag, and a ``tapedeck_<name>`` ini key."""

    name: str
    help: str
    kind: str  # "paths" (repeatable), "bool", "choice" or "text"
    choices: tuple[str, ...] = ()
    default: Any = None
    server: bool = True  # False: how a test is judged, not how the server runs

    @property
    def flag(self) -> str:
        return "--tapedeck-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "tapedeck_" + self.name


# Adding an option is one entry here and, for a server setting, the keyword of
# the same name on Replay.
SETTINGS = (
    Setting(
        "fixtures",
        "fixture file, directory or embedded:<set> to serve; repeatable "
        "[default: embedded:reference]",
        "paths",
        default=(),
    ),
    Setting("sequence_end", "what to serve once a sequence is used up", "choice", ("repeat-last", "error")),
    Setting(
        "mode",
        "record mode: none replays only; once records the fixture set when it is missing or empty, "
        "else replays it; new-episodes forwards to the upstream and records what no fixture matches; "
        "all forwards and re-records everything [default: TAPEDECK_MODE, else none]",
        "choice",
        ("none", "once", "new-episodes", "all"),
    ),
    Setting(
        "upstream",
        "the endpoint the recording modes forward to: an emulator's URL, or a sandbox account's "
        "https://cognito-idp.<region>.amazonaws.com",
        "text",
    ),
    Setting(
        "strict",
        "fail a test any of whose requests matched no fixture or broke the contract "
        "(false: warn) [default: true]",
        "bool",
        default=True,
        server=False,
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}
_STATE = pytest.StashKey["_TestState"]()
_SERVERS = pytest.StashKey["_Servers"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tapedeck", "tapedeck: replay the recorded Cognito contract")
    for s in SETTINGS:
        if s.kind == "paths":
            group.addoption(s.flag, action="append", default=None, metavar="PATH", help=s.help)
            parser.addini(s.ini, s.help + " (one a line, relative to the ini file)", type="linelist")
        elif s.kind == "bool":
            group.addoption(s.flag, choices=("true", "false"), default=None, help=s.help)
            parser.addini(s.ini, s.help, type="bool", default=s.default)
        else:
            group.addoption(s.flag, choices=s.choices or None, default=None, help=s.help)
            parser.addini(s.ini, s.help, default=s.default)


def pytest_configure(config: pytest.Config) -> None:
    keywords = ", ".join(f"{s.name}=…" for s in SETTINGS)
    config.addinivalue_line(
        "markers",
        f"tapedeck({keywords}): serve this test from its own tapedeck settings "
        "(fixture paths relative to the test file); implies the tapedeck fixture",
    )
    config.stash[_SERVERS] = _Servers()


def pytest_unconfigure(config: pytest.Config) -> None:
    servers = config.stash.get(_SERVERS, None)
    if servers is not None:
        servers.stop_all()


def _from_config(config: pytest.Config, s: Setting) -> Any:
    given = config.getoption(s.flag)
    if s.kind == "paths":
        if given:
            return tuple(_path(v, Path.cwd()) for v in given)
        lines = config.getini(s.ini)
        base = config.inipath.parent if config.inipath else config.rootpath
        return tuple(_path(v, base) for v in lines) if lines else s.default
    if s.kind == "bool":
        return given == "true" if given is not None else bool(config.getini(s.ini))
    value = given if given is not None else config.getini(s.ini)
    if value and s.choices and value not in s.choices:
        raise pytest.UsageError(f"{s.ini} = {value!r}: use one of {', '.join(s.choices)}")
    return value or s.default


def _path(value: str, base: Path) -> str:
    return value if value.startswith("embedded:") else str((base / value).resolve())


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's settings: its marker over the session's."""
    values = {s.name: _from_config(request.config, s) for s in SETTINGS}
    marker = request.node.get_closest_marker("tapedeck")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.tapedeck takes keywords only, e.g. fixtures=…")
        unknown = set(marker.kwargs) - set(_BY_NAME)
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.tapedeck: unknown keyword(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(_BY_NAME)}"
            )
        here = Path(str(request.node.path)).parent
        for name, value in marker.kwargs.items():
            if _BY_NAME[name].kind == "paths":
                value = [value] if isinstance(value, (str, os.PathLike)) else list(value)
                value = tuple(_path(os.fspath(v), here) for v in value)
            values[name] = value
    return values


def _server_environment() -> dict[str, str]:
    """What the server's environment lacks of what a test's gets: in a recording
    mode the server re-signs each request with the environment's credentials, so
    it gets the same dummy ones (which emulators accept) when there are none."""
    env: dict[str, str] = {}
    if not any(os.environ.get(v) for v in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")):
        env.update(DUMMY_CREDENTIALS)
    return env


class _Servers:
    """The session's servers, one per distinct set of server settings."""

    def __init__(self) -> None:
        self._running: dict[tuple[Any, ...], Replay] = {}

    def get(self, settings: dict[str, Any]) -> Replay:
        server_settings = {s.name: settings[s.name] for s in SETTINGS if s.server}
        key = tuple(sorted(server_settings.items()))
        if key not in self._running:
            self._running[key] = Replay(**server_settings, env=_server_environment()).start()
        return self._running[key]

    def stop_all(self) -> None:
        for server in self._running.values():
            try:
                server.stop()
            except Exception as e:  # the tests have run: a report, not a crash
                print(f"tapedeck: stopping {server!r}: {e}")
        self._running.clear()


class _TestState:
    """What the test's teardown needs: its server and how it is judged."""

    def __init__(self, server: Replay, strict: bool) -> None:
        self.server = server
        self.strict = strict
        self.reported: int | None = None  # problems already reported with the call

    def check(self) -> Readable:
        try:
            return self.server.readable()
        except RuntimeError as e:
            return Readable(1, f"tapedeck: could not read the journal: {e}")


@pytest.fixture
def tapedeck(request: pytest.FixtureRequest) -> Iterator[Replay]:
    """A ``tapedeck replay`` server for this test: sequences rewound, journal window
    empty, ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` pointing at it (and dummy
    credentials and region when the environment has none). The test fails when
    any of its requests matched no fixture or broke the contract."""
    settings = _settings(request)
    server = request.config.stash[_SERVERS].get(settings)
    server.reset()
    state = _TestState(server, bool(settings["strict"]))
    request.node.stash[_STATE] = state
    with pytest.MonkeyPatch.context() as env:
        env.setenv(ENDPOINT_VARIABLE, server.url)
        # This variable would make SDKs ignore the endpoint above.
        env.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
        if not any(os.environ.get(v) for v in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")):
            for name, value in DUMMY_CREDENTIALS.items():
                env.setenv(name, value)
            env.delenv("AWS_SESSION_TOKEN", raising=False)
        if not any(os.environ.get(v) for v in ("AWS_REGION", "AWS_DEFAULT_REGION")):
            env.setenv("AWS_DEFAULT_REGION", DUMMY_REGION)
        yield server
    # Requests made after the test body (by fixtures that depend on this one,
    # in their teardown) are judged here.
    if state.reported is None or not state.strict:
        return
    late = state.check()
    if late.problems > state.reported:
        pytest.fail(late.text, pytrace=False)


@pytest.fixture(autouse=True)
def _tapedeck_marker(request: pytest.FixtureRequest) -> None:
    """A test marked ``@pytest.mark.tapedeck`` gets the fixture without asking."""
    if request.node.get_closest_marker("tapedeck") is not None:
        request.getfixturevalue("tapedeck")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    state: _TestState | None = item.stash.get(_STATE, None)
    if call.when != "call" or state is None:
        return
    report = outcome.get_result()
    readable = state.check()
    state.reported = readable.problems
    if not readable.problems:
        return
    if state.strict and report.passed and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = readable.text
    else:
        report.sections.append(("tapedeck", readable.text))
        if not state.strict:
            item.warn(pytest.PytestWarning(readable.text))


__all__ = ["ContractError", "SETTINGS", "Setting", "tapedeck"]
