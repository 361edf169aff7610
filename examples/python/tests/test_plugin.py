"""What the tapedeck pytest plugin promises, checked by running small suites with
pytester in their own processes: a swallowed off-contract request fails its test
with a readable report, settings come from the ini file, the command line and the
marker, the environment is the test's alone, and each xdist worker has a server."""

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[3] / "fixtures" / "admin-forget-device" / "reference"

APP = """
import boto3
from botocore.exceptions import ClientError

def forget(username, device="us-east-1_0a1b2c3d-0000-4000-8000-000000000001"):
    try:
        boto3.client("cognito-idp").admin_forget_device(
            UserPoolId="us-east-1_TapeDeck1", Username=username, DeviceKey=device)
    except ClientError as e:
        return e.response["Error"]["Code"]  # swallowed, as applications do
    return "forgotten"
"""


class Upstream:
    """An awsJson endpoint on 127.0.0.1 answering every request with
    UserNotFoundException, counting them: what the recording modes forward to."""

    BODY = b'{"__type":"UserNotFoundException","message":"User does not exist."}'

    def __init__(self) -> None:
        self.requests = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("content-length", "0")))
                upstream.requests += 1
                self.send_response(400)
                self.send_header("content-type", "application/x-amz-json-1.1")
                self.send_header("content-length", str(len(Upstream.BODY)))
                self.end_headers()
                self.wfile.write(Upstream.BODY)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def upstream():
    fake = Upstream()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_swallowed_off_contract_request_fails_its_test(pytester):
    pytester.makepyfile(
        app=APP,
        test_app="""
        from app import forget

        def test_ghosty(tapedeck):
            # The application swallows the error; nothing in the test fails.
            assert forget("tapedeck-ghosty") == "TapedeckNoMatch"

        def test_ghost(tapedeck):
            assert forget("tapedeck-ghost") == "UserNotFoundException"
        """,
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_ghosty _*",
            "tapedeck: 1 of 1 request matched no fixture or broke the recorded contract",
            "request 1: POST / AWSCognitoIdentityProviderService.AdminForgetDevice → 404: no fixture matched",
            "  nearest fixture: 'unknown-user' (1 field differs)",
            "    /Username",
            '      expected: "tapedeck-ghost"',
            '      got:      ‹sensitive UsernameType, 15 characters›',
            "*FAILED test_app.py::test_ghosty*",
        ]
    )
    assert "test_ghost " not in result.stdout.str().split("short test summary")[1]


def test_requests_in_a_dependent_fixtures_teardown_are_judged_too(pytester):
    pytester.makepyfile(app=APP)
    pytester.makeconftest(
        """
        import pytest
        from app import forget

        @pytest.fixture
        def signed_in(tapedeck):
            yield
            forget("tapedeck-ghosty")  # sign-out, off the contract
        """
    )
    pytester.makepyfile(test_app="def test_session(signed_in):\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_session*", "*nearest fixture: 'unknown-user'*"])


def test_strict_false_warns_instead(pytester):
    pytester.makepyfile(
        app=APP,
        test_app="""
        import pytest
        from app import forget

        @pytest.mark.tapedeck(strict=False)
        def test_ghosty():
            assert forget("tapedeck-ghosty") == "TapedeckNoMatch"
        """,
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*warnings summary*", "*nearest fixture: 'unknown-user'*"])


def test_fixture_sets_from_the_ini_file_the_command_line_and_the_marker(pytester):
    contract = pytester.mkdir("contract")
    shutil.copy(REFERENCE / "unknown-user.json", contract)
    pytester.makeini("[pytest]\ntapedeck_fixtures = contract\n")
    pytester.makepyfile(
        app=APP,
        test_app="""
        from app import forget

        def test_ghost(tapedeck):
            assert forget("tapedeck-ghost") == "UserNotFoundException"

        def test_user(tapedeck):
            assert forget("tapedeck-user") == "forgotten"
        """,
    )
    marked = pytester.mkdir("marked")
    (marked / "test_marked.py").write_text(
        "import pytest\nfrom app import forget\n\n"
        '@pytest.mark.tapedeck(fixtures="../contract")\n'
        "def test_marked():\n"
        '    assert forget("tapedeck-user") == "forgotten"\n'
    )
    # The ini's set holds only unknown-user: the successful forget is off it,
    # for the ini and for the marker (whose path is relative to its test file).
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*FAILED marked/test_marked.py::test_marked*", "*FAILED test_app.py::test_user*"])
    # The command line wins over the ini file; the marker still has its own.
    result = pytester.runpytest_subprocess("--tapedeck-fixtures", "embedded:reference")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*FAILED marked/test_marked.py::test_marked*"])


def test_the_environment_is_the_tests_alone(pytester, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    pytester.makepyfile(
        test_env="""
        import os

        def test_during(tapedeck):
            assert os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] == tapedeck.url
            assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in os.environ
            assert os.environ["AWS_ACCESS_KEY_ID"] == os.environ["EXPECT_KEY"]
            assert os.environ["AWS_REGION"] == "eu-west-1"
            assert "AWS_DEFAULT_REGION" not in os.environ  # a region was set

        def test_after():
            assert "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER" not in os.environ
            assert os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] == "true"
            assert os.environ.get("AWS_ACCESS_KEY_ID", "unset") == os.environ["EXPECT_AFTER"]
        """
    )
    # No credentials: dummy ones, for the test only.
    monkeypatch.setenv("EXPECT_KEY", "AKIDEXAMPLE")
    monkeypatch.setenv("EXPECT_AFTER", "unset")
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    # The user's own credentials are left alone.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDUSEROWNKEY")
    monkeypatch.setenv("EXPECT_KEY", "AKIDUSEROWNKEY")
    monkeypatch.setenv("EXPECT_AFTER", "AKIDUSEROWNKEY")
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_one_server_per_xdist_worker_stopped_at_the_end(pytester):
    pytester.makepyfile(
        test_many="""
        import os
        import pytest

        @pytest.mark.parametrize("i", range(6))
        def test_url(tapedeck, i):
            worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
            with open(f"server-{worker}-{i}", "w") as f:
                f.write(f"{tapedeck.url} {tapedeck.pid}")
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=6)
    seen: dict[str, set[str]] = {}
    for path in pytester.path.glob("server-*"):
        worker = path.name.split("-")[1]
        seen.setdefault(worker, set()).add(path.read_text())
    assert sorted(seen) == ["gw0", "gw1"], seen
    assert all(len(servers) == 1 for servers in seen.values()), seen
    servers = {s for both in seen.values() for s in both}
    assert len({s.split()[0] for s in servers}) == 2, "each worker its own port"
    for server in servers:
        assert not alive(int(server.split()[1])), f"{server} still runs after the session"


def test_record_modes_from_the_command_line_and_the_marker(pytester, monkeypatch, upstream):
    # Recording on purpose: CI must not stop it. No credentials in the
    # environment: the server re-signs with the dummy ones the tests get.
    monkeypatch.setenv("CI", "")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(
        app=APP,
        test_app="""
        from app import forget

        def test_newcomer(tapedeck):
            assert forget("tapedeck-newcomer") == "UserNotFoundException"
        """,
    )
    (pytester.path / "marked").mkdir()
    (pytester.path / "marked" / "test_marked.py").write_text(
        "import os, pytest\nfrom app import forget\n\n"
        '@pytest.mark.tapedeck(fixtures="cassette", mode="new-episodes", upstream=os.environ["UPSTREAM"])\n'
        "def test_twice():\n"
        '    assert forget("tapedeck-marked") == "UserNotFoundException"\n'
        '    assert forget("tapedeck-marked") == "UserNotFoundException"\n'
    )
    monkeypatch.setenv("UPSTREAM", upstream.url)
    options = ["--tapedeck-mode", "once", "--tapedeck-upstream", upstream.url, "--tapedeck-fixtures", "cassette"]
    # The set is missing: recorded, through the proxy.
    pytester.runpytest_subprocess(*options, "test_app.py").assert_outcomes(passed=1)
    assert upstream.requests == 1
    assert len(list((pytester.path / "cassette").glob("*.json"))) == 1
    # It exists now: replayed; the upstream is not asked again, even in CI.
    monkeypatch.setenv("CI", "true")
    pytester.runpytest_subprocess(*options, "test_app.py").assert_outcomes(passed=1)
    assert upstream.requests == 1
    # In CI, a run that would record fails its tests with tapedeck's reason.
    options[options.index("cassette")] = "elsewhere"
    result = pytester.runpytest_subprocess(*options, "test_app.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CI is set: *--allow-record-in-ci*"])
    assert upstream.requests == 1
    # The marker's mode and upstream: new-episodes records once, then serves it.
    monkeypatch.setenv("CI", "")
    pytester.runpytest_subprocess("marked").assert_outcomes(passed=1)
    assert upstream.requests == 2
    assert len(list((pytester.path / "marked" / "cassette").glob("*.json"))) == 1
