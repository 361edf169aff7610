"""The record modes through tapedeck.Replay: ``mode`` and ``upstream`` reach the
server, ``once`` records a missing set and replays it afterwards,
``new-episodes`` serves what it has just recorded, and the CI guard stops a
recording run when ``CI`` is set. The upstream is a small fake in this process
that counts the requests reaching it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from tapedeck import Replay

from test_replay import forget

NOT_FOUND = b'{"__type":"UserNotFoundException","message":"User does not exist."}'


class Upstream:
    """An awsJson endpoint on 127.0.0.1 that answers every request with
    UserNotFoundException and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("content-length", "0")))
                upstream.requests += 1
                self.send_response(400)
                self.send_header("content-type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-errortype", "UserNotFoundException:")
                self.send_header("content-length", str(len(NOT_FOUND)))
                self.end_headers()
                self.wfile.write(NOT_FOUND)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    fake = Upstream()
    yield fake
    fake.close()


# Recording runs here are deliberate: CI must not stop them, and the fake
# upstream checks no signature.
RECORDING = {"env": {"CI": ""}, "args": ["--no-resign"]}


def outcomes(server: Replay) -> list[str]:
    return [e["outcome"] for e in server.journal()["entries"]]


def test_once_records_a_missing_set_then_replays_it(tmp_path, upstream):
    cassette = tmp_path / "cassette"
    with Replay(fixtures=cassette, mode="once", upstream=upstream.url, **RECORDING) as server:
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["forwarded"]
    assert upstream.requests == 1
    files = list(cassette.glob("*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["request"]["headers"]["x-amz-target"].endswith(".AdminForgetDevice")
    assert "tapedeck-newcomer" not in files[0].read_text(), "the username is recorded as a pseudonym"

    # The set exists now: replayed, the upstream is not asked, even in CI.
    with Replay(fixtures=cassette, mode="once", upstream=upstream.url, env={"CI": "true"}) as server:
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["matched"]
        server.assert_clean()
    assert upstream.requests == 1


def test_new_episodes_serves_what_it_has_just_recorded(tmp_path, upstream):
    with Replay(fixtures=tmp_path, mode="new-episodes", upstream=upstream.url, **RECORDING) as server:
        for _ in range(3):
            assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["forwarded", "matched", "matched"]
        server.reset()
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["matched"], "a reset keeps what was recorded"
    assert upstream.requests == 1


def test_all_forwards_every_request(tmp_path, upstream):
    with Replay(fixtures=tmp_path, mode="all", upstream=upstream.url, **RECORDING) as server:
        for _ in range(2):
            assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["forwarded", "forwarded"]
    assert upstream.requests == 2
    assert len(list(tmp_path.glob("*.json"))) == 1, "the same answer twice is written once"


def test_the_mode_comes_from_tapedeck_mode_when_not_given(tmp_path, upstream):
    env = {**RECORDING["env"], "TAPEDECK_MODE": "new-episodes"}
    with Replay(fixtures=tmp_path, upstream=upstream.url, env=env, args=RECORDING["args"]) as server:
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["forwarded"]
    # An explicit mode wins over the variable.
    with Replay(fixtures=tmp_path, mode="none", upstream=upstream.url, env=env) as server:
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
        assert outcomes(server) == ["matched"]
    assert upstream.requests == 1


def test_in_ci_recording_is_refused_at_start(tmp_path, upstream):
    with pytest.raises(RuntimeError, match=r"(?s)exited with status 2 before listening.*CI is set: .*--allow-record-in-ci"):
        Replay(fixtures=tmp_path / "cassette", mode="once", upstream=upstream.url, env={"CI": "true"}).start()
    assert not (tmp_path / "cassette").exists()
    with Replay(
        fixtures=tmp_path / "cassette",
        mode="once",
        upstream=upstream.url,
        env={"CI": "true"},
        args=[*RECORDING["args"], "--allow-record-in-ci"],
    ) as server:
        assert forget(server.url, "tapedeck-newcomer")[0] == 400
    assert upstream.requests == 1


def test_mode_is_checked_and_reaches_the_command_line(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of none, once, new-episodes, all, not 'record'"):
        Replay(mode="record")
    cmd = Replay(fixtures=tmp_path, mode="all", upstream="http://127.0.0.1:9").command()
    assert cmd[cmd.index("--mode") + 1] == "all"
    assert cmd[cmd.index("--upstream") + 1] == "http://127.0.0.1:9"
    assert "--mode" not in Replay().command(), "no mode given: TAPEDECK_MODE or none decides"
