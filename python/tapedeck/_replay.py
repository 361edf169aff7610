"""``Replay``: a ``tapedeck replay`` server in a child process, for tests.

The server picks a free loopback port and announces it as JSON on stdout
(``--announce json``), so no two servers race for a port. It shuts down when its
standard input closes (``--exit-on-stdin-close``); this process holds the other end
of that pipe, so the server never outlives it, even when it is killed with SIGKILL.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Union

from ._binary import find_binary

PathLike = Union[str, "os.PathLike[str]"]
MODES = ("none", "once", "new-episodes", "all")

# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_RUNNING: "weakref.WeakSet[Replay]" = weakref.WeakSet()


class ContractError(AssertionError):
    """Requests matched no fixture or broke the recorded contract.

    ``str(error)`` is tapedeck's readable report: each such request, its nearest
    fixture with the fields that differ, and the rules it broke.
    """

    def __init__(self, text: str, problems: int) -> None:
        super().__init__(text)
        self.text = text
        self.problems = problems


class Readable(NamedTuple):
    """The journal as tapedeck renders it for a person."""

    problems: int
    """Requests that matched no fixture or broke the contract (0: all clean)."""
    text: str


def _sources(fixtures: PathLike | Iterable[PathLike] | None) -> list[str]:
    if fixtures is None:
        return []
    items = [fixtures] if isinstance(fixtures, (str, os.PathLike)) else list(fixtures)
    out = []
    for item in items:
        text = os.fspath(item)
        out.append(text if text.startswith("embedded:") else str(Path(text).resolve()))
    return out


class Replay:
    """A ``tapedeck replay`` server on 127.0.0.1, started and stopped with ``with``.

    ``fixtures``: fixture files, directories or ``embedded:<set>`` names (default:
    the embedded reference set). ``strict``: leaving the ``with`` block (or
    ``stop()``) raises :class:`ContractError` when any request of the run matched no
    fixture or broke the contract, even one a ``reset()`` cleared from the journal
    window. ``sequence_end``: ``"repeat-last"`` or ``"error"``.
    ``mode``: the record mode, ``"none"`` (replay only), ``"once"`` (record the
    fixture set when it is missing or empty, else replay it), ``"new-episodes"``
    (forward and record what no fixture matches) or ``"all"`` (forward and
    re-record everything); default: ``TAPEDECK_MODE``, else ``"none"``. The
    recording modes write into the one ``fixtures`` directory and forward to
    ``upstream`` (an emulator's or a sandbox account's endpoint); when ``CI`` is
    set, tapedeck refuses to record unless ``args`` has ``--allow-record-in-ci``.
    ``verify_signature``: ``"AKID:SECRET"`` to recompute each SigV4 signature
    (passed in the environment, never on the command line). ``binary``: the
    executable (default: see :func:`tapedeck.find_binary`). ``args``: more
    ``tapedeck replay`` options (``--no-resign`` for an emulator that does not
    check signatures, ``--keep-header``, …).

    >>> with Replay() as server:                      # doctest: +SKIP
    ...     os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = server.url
    ...     run_the_application()
    ...     server.assert_clean()
    >>> server.report["totals"]                      # doctest: +SKIP
    """

    def __init__(
        self,
        fixtures: PathLike | Iterable[PathLike] | None = None,
        *,
        strict: bool = False,
        sequence_end: str | None = None,
        mode: str | None = None,
        upstream: str | None = None,
        verify_signature: str | None = None,
        binary: PathLike | None = None,
        args: Iterable[str] = (),
        startup_timeout: float = 30.0,
        env: dict[str, str] | None = None,
    ) -> None:
        if sequence_end not in (None, "repeat-last", "error"):
            raise ValueError(f"sequence_end must be 'repeat-last' or 'error', not {sequence_end!r}")
        if mode not in (None, *MODES):
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.fixtures = _sources(fixtures)
        self.mode = mode
        self.upstream = upstream
        self.strict = strict
        self.sequence_end = sequence_end
        self._verify_signature = verify_signature
        self._binary = binary
        self._args = list(args)
        self._startup_timeout = startup_timeout
        self._env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None
        self._log_tail = ""
        self.url = ""
        """``http://127.0.0.1:<port>``: point an SDK at it."""
        self.address = ""
        self.pid = 0
        self.report: dict[str, Any] | None = None
        """The JSON report the server wrote when it stopped."""

    # -- starting -----------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line that starts the server (without the report path)."""
        cmd = [find_binary(self._binary), "replay", "--listen", "127.0.0.1:0"]
        cmd += ["--announce", "json", "--exit-on-stdin-close"]
        for source in self.fixtures:
            cmd += ["--fixtures", source]
        if self.sequence_end:
            cmd += ["--sequence-end", self.sequence_end]
        if self.mode:
            cmd += ["--mode", self.mode]
        if self.upstream:
            cmd += ["--upstream", self.upstream]
        if self.strict:
            cmd.append("--strict")
        return cmd + self._args

    def start(self) -> "Replay":
        """Starts the server and waits until it answers."""
        if self._proc is not None:
            raise RuntimeError("tapedeck: this Replay was already started")
        cmd = self.command()
        self._dir = tempfile.mkdtemp(prefix="tapedeck-")
        report = os.path.join(self._dir, "report.json")
        env = {**os.environ, "NO_COLOR": "1", **self._env}
        if self._verify_signature:
            env["TAPEDECK_VERIFY_SIGNATURE"] = self._verify_signature
        with open(self._log_path, "wb") as log:
            self._proc = subprocess.Popen(
                cmd + ["--report", report],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
            )
        _RUNNING.add(self)
        try:
            announced = self._announcement()
            self.url = announced["url"]
            self.address = announced["address"]
            self.pid = announced["pid"]
            self._request("GET", "health")
        except BaseException:
            self._kill()
            raise
        return self

    @property
    def _log_path(self) -> str:
        assert self._dir is not None
        return os.path.join(self._dir, "server.log")

    def log(self) -> str:
        """What the server has logged (its stderr) so far."""
        if self._dir and os.path.exists(self._log_path):
            with open(self._log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        return self._log_tail

    def _announcement(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()

        def pump(stream: Any) -> None:
            first = True
            for line in stream:  # drained to the end, so the server never blocks on stdout
                if first:
                    lines.put(line)
                    first = False
            if first:
                lines.put(None)

        threading.Thread(target=pump, args=(self._proc.stdout,), daemon=True).start()
        try:
            line = lines.get(timeout=self._startup_timeout)
        except queue.Empty:
            raise RuntimeError(
                f"tapedeck replay did not announce its address within {self._startup_timeout:g} s; "
                f"its log:\n{self.log()}"
            ) from None
        if line is None:
            code = self._proc.wait()
            raise RuntimeError(f"tapedeck replay exited with status {code} before listening; its log:\n{self.log()}")
        try:
            return json.loads(line)
        except ValueError:
            raise RuntimeError(f"tapedeck replay announced {line!r}, not JSON; is the binary too old?") from None

    # -- talking to it ------------------------------------------------------------

    def _request(self, method: str, route: str) -> tuple[Any, bytes]:
        if not self.url:
            raise RuntimeError("tapedeck: the server is not running; use `with Replay() as server:` or start()")
        req = urllib.request.Request(
            f"{self.url}/__tapedeck/{route}", method=method, data=b"" if method == "POST" else None
        )
        try:
            with _OPENER.open(req, timeout=10) as resp:
                return resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"tapedeck: {method} /__tapedeck/{route} answered {e.code}: {e.read()!r}") from None
        except OSError as e:
            raise RuntimeError(f"tapedeck: {method} {self.url}/__tapedeck/{route} failed: {e}; its log:\n{self.log()}") from None

    def journal(self) -> dict[str, Any]:
        """The journal window, every request since the last reset: ``{"totals": …,
        "run": …, "entries": […]}`` (``run``: the whole run's counters, which no
        reset clears)."""
        return json.loads(self._request("GET", "journal")[1])

    def reset(self) -> None:
        """Rewinds the sequences and starts a new journal window."""
        self._request("POST", "reset")

    def readable(self) -> Readable:
        """The requests since the last reset, as tapedeck's readable report."""
        headers, body = self._request("GET", "journal?format=text")
        return Readable(int(headers.get("x-tapedeck-problems", "0")), body.decode("utf-8"))

    def assert_clean(self) -> None:
        """Raises :class:`ContractError` (an ``AssertionError``) with the readable
        report if any request since the last reset matched no fixture or broke the
        contract."""
        readable = self.readable()
        if readable.problems:
            raise ContractError(readable.text, readable.problems)

    # -- stopping -----------------------------------------------------------------

    def stop(self) -> dict[str, Any]:
        """Stops the server with SIGTERM (it drains open connections and writes its
        report of the whole run) and returns the report. With ``strict``, raises
        :class:`ContractError` if the run was not clean, whatever was reset."""
        if self.report is not None:
            return self.report
        if self._proc is None:
            raise RuntimeError("tapedeck: this Replay was never started")
        readable = None
        if self.strict and self._proc.poll() is None:
            try:
                readable = self.readable()
            except RuntimeError:
                pass
        self._proc.terminate()
        try:
            code = self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._kill()
            raise RuntimeError("tapedeck replay did not stop within 30 s of SIGTERM; killed it") from None
        report_path = os.path.join(self._dir or "", "report.json")
        log = self.log()
        try:
            with open(report_path, encoding="utf-8") as f:
                report = json.load(f)
        except OSError:
            raise RuntimeError(f"tapedeck replay exited with status {code} without writing its report; its log:\n{log}") from None
        finally:
            self._cleanup(log)
        self.report = report
        if code not in (0, 1):
            raise RuntimeError(f"tapedeck replay exited with status {code}; its log:\n{log}")
        if self.strict and not report.get("clean", False):
            if readable is not None and readable.problems:
                raise ContractError(readable.text, readable.problems)
            t = report.get("totals", {})
            raise ContractError(
                f"tapedeck: {t.get('unmatched', '?')} request(s) matched no fixture and "
                f"{t.get('with_violations', '?')} broke the contract in this run",
                int(t.get("unmatched", 0)) + int(t.get("with_violations", 0)),
            )
        return report

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._cleanup(self.log() if self._dir else "")

    def _cleanup(self, log: str) -> None:
        self._log_tail = log[-20000:]
        if self._proc is not None and self._proc.stdin is not None and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        _RUNNING.discard(self)

    def __enter__(self) -> "Replay":
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.stop()
            return
        try:
            self.stop()
        except (ContractError, RuntimeError):
            pass  # the exception already on its way out matters more

    def __repr__(self) -> str:
        state = self.url or ("stopped" if self.report is not None else "not started")
        return f"<tapedeck.Replay {state}>"


@atexit.register
def _stop_leftovers() -> None:
    # Only a safety net: a leftover server also exits when this process's end of
    # its stdin pipe closes.
    for server in list(_RUNNING):
        try:
            server._kill()
        except Exception:
            pass
