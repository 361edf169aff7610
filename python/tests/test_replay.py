"""tapedeck.Replay: the installed binary on a port it picks, journal, reset,
readable failures, the report at stop, and no server outliving its process."""

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest

import tapedeck
from tapedeck import BinaryNotFound, ContractError, Replay

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "admin-forget-device" / "reference"
DEVICE = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"


def forget(url: str, username: str) -> tuple[int, dict]:
    """AdminForgetDevice through boto3 (signed, as the contract wants): status, headers."""
    client = boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="tapedeck-test-secret",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    try:
        meta = client.admin_forget_device(UserPoolId="us-east-1_TapeDeck1", Username=username, DeviceKey=DEVICE)
    except botocore.exceptions.ClientError as e:
        meta = e.response
    return meta["ResponseMetadata"]["HTTPStatusCode"], meta["ResponseMetadata"]["HTTPHeaders"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_the_wheels_binary_is_the_one_found():
    assert "TAPEDECK_BIN" not in os.environ, "this suite checks the installed binary"
    found = Path(tapedeck.find_binary())
    assert found.parent == Path(sysconfig.get_path("scripts")), found
    out = subprocess.run([str(found), "--version"], capture_output=True, text=True, check=True).stdout
    assert out == f"tapedeck {tapedeck.__version__}\n"


def test_journal_reset_assert_clean_and_the_report():
    with Replay() as server:
        assert server.url == f"http://{server.address}"
        assert server.address.startswith("127.0.0.1:")
        assert forget(server.url, "tapedeck-ghost")[0] == 400
        entries = server.journal()["entries"]
        assert [(e["outcome"], e.get("fixture")) for e in entries] == [("matched", "unknown-user")]
        server.assert_clean()

        assert forget(server.url, "tapedeck-ghosty")[0] == 404
        with pytest.raises(ContractError) as failed:
            server.assert_clean()
        assert failed.value.problems == 1
        text = str(failed.value)
        assert "nearest fixture: 'unknown-user' (1 field differs)" in text
        assert '    /Username\n      expected: "tapedeck-ghost"\n      got:      ‹sensitive UsernameType, 15 characters›\n' in text
        assert "ghosty" not in text
        assert isinstance(failed.value, AssertionError), "pytest shows it as a failed assertion"

        server.reset()
        server.assert_clean()
        assert server.journal()["entries"] == []
        pid = server.pid
    assert server.report is not None and server.report["tool"] == f"tapedeck {tapedeck.__version__}"
    assert {"clean", "totals", "entries"} <= set(server.report)
    assert gone_within(pid, 5), "the server has exited when the with block ends"
    assert server.stop() is server.report, "stop() again returns the same report"


def test_two_servers_at_once_each_get_a_port_of_their_own():
    with Replay() as a, Replay() as b:
        assert a.url != b.url
        assert forget(a.url, "tapedeck-ghost")[0] == 400
        assert forget(b.url, "tapedeck-ghost")[0] == 400


def test_strict_raises_at_the_end_with_the_readable_report():
    with pytest.raises(ContractError) as failed:
        with Replay(strict=True) as server:
            forget(server.url, "tapedeck-ghosty")
    assert "nearest fixture: 'unknown-user'" in str(failed.value)
    assert server.report is not None and server.report["clean"] is False


def test_strict_judges_the_whole_run_whatever_was_reset():
    with pytest.raises(ContractError) as failed:
        with Replay(strict=True) as server:
            assert forget(server.url, "tapedeck-ghosty")[0] == 404
            server.reset()
            server.assert_clean()  # the window is clean again ...
            assert server.journal()["run"]["unmatched"] == 1
    # ... the run is not.
    assert "1 request(s) matched no fixture" in str(failed.value)
    assert server.report is not None and server.report["clean"] is False
    assert server.report["resets"] == 1
    assert [e["outcome"] for e in server.report["entries"]] == ["unmatched"]


def test_strict_does_not_hide_the_exception_already_raised():
    with pytest.raises(KeyError):
        with Replay(strict=True) as server:
            forget(server.url, "tapedeck-ghosty")
            raise KeyError("the test's own failure")
    assert server.report is not None


def test_fixture_paths_and_sequence_end_reach_the_server(tmp_path):
    for name in ("forget-remembered-device.json", "device-already-forgotten.json"):
        shutil.copy(REFERENCE / name, tmp_path)
    with Replay(fixtures=tmp_path, sequence_end="error") as server:
        assert server.journal()["entries"] == []
        statuses = [forget(server.url, "tapedeck-user") for _ in range(3)]
        assert [s for s, _ in statuses] == [200, 400, 404]
        assert statuses[2][1].get("x-tapedeck-error") == "sequence-exhausted"
        assert forget(server.url, "tapedeck-ghost")[0] == 404, "only the two fixtures given"


def test_the_server_dies_with_its_process_even_on_sigkill():
    code = "import time, tapedeck; s = tapedeck.Replay().start(); print(s.pid, flush=True); time.sleep(120)"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        assert alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert gone_within(pid, 10), f"tapedeck replay {pid} outlived its SIGKILLed parent"
    finally:
        parent.kill()
        parent.wait()


def test_a_bad_binary_says_what_to_do(monkeypatch):
    monkeypatch.setenv("TAPEDECK_BIN", "/nonexistent/tapedeck")
    with pytest.raises(BinaryNotFound, match="TAPEDECK_BIN=/nonexistent/tapedeck is not an executable file"):
        Replay().start()
    monkeypatch.delenv("TAPEDECK_BIN")
    with pytest.raises(BinaryNotFound, match="binary=/nonexistent is not an executable file"):
        Replay(binary="/nonexistent").start()


def test_a_server_that_cannot_start_shows_its_log(tmp_path):
    with pytest.raises(RuntimeError, match=r"exited with status 2 before listening; its log:\n.*nosuch"):
        Replay(fixtures=tmp_path / "nosuch").start()


def test_the_signature_secret_stays_off_the_command_line():
    secret = "tapedeck-not-a-real-secret-value"
    with Replay(verify_signature=f"AKIDEXAMPLE:{secret}") as server:
        with open(f"/proc/{server.pid}/cmdline", "rb") as f:
            assert secret.encode() not in f.read()
    # It does reach the server: a malformed value stops it at start.
    with pytest.raises(RuntimeError, match="verify-signature"):
        Replay(verify_signature="no-colon").start()
