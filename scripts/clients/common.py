"""What every client runner shares: the fixture sets, the expected outcome of a
fixture, a `tapedeck replay --strict` server per set, and the JSON lines the
runners print.

The JavaScript (js/runner.mjs) and Rust (rust/src/main.rs) runners implement the
same protocol; keep the three in step. The protocol, one JSON object per line on
stdout (human-readable progress goes to stderr):

    {"kind": "result", "client": "boto3", "set": "reference", "fixture": "unknown-user",
     "expected": "UserNotFoundException", "surfaced": "UserNotFoundException",
     "code": "UserNotFoundException", "sent": true, "attempts": 1,
     "result": "pass", "detail": "User does not exist."}
    {"kind": "server", "client": "boto3", "set": "reference", "exit": 0, "clean": true,
     "requests": 19, "problems": []}

- `expected`: the sanitised `__type` of the recorded response body (a `ns#` prefix and
  a `:suffix` removed), `success` for a status below 300, or `HTTP <status>` for an
  error response without a `__type` (an HTML page, an empty 500): then any error the
  SDK raises is right, and only success is wrong.
- `surfaced`: what the caller of the SDK sees: `success`, the exception class or error
  variant (`ClientError[InvalidSignatureException]` when the SDK has no class of its
  own for the code), or `client-side: <error>` when the SDK refused to send.
- `code`: the error code the SDK reports (compared with `expected`), or null.
- `transport`: true when the error came from no response at all (a timeout, a refused
  connection): always a failure.
- `attempts`: requests the replay server journaled for the final call (1 = no retry).
- `result`: `pass`, `fail`, or `skip` (the SDK refused, before sending, a request the
  fixture records as invalid on purpose: its `expected_violations`).
"""

import base64
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(ROOT, "target", "debug", "tapedeck")
DEFAULT_SET = os.path.join(ROOT, "fixtures", "admin-forget-device", "reference")

# Fake credentials; nothing leaves the machine.
ACCESS_KEY_ID = "AKIDTAPEDECKCLIENT"
SECRET_ACCESS_KEY = "tapedeck-client-test-secret"
REGION = "us-east-1"
ENDPOINT_ENV = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"

# Settings from the caller's environment that would change what an SDK does: every
# AWS_* variable (a profile, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, AWS_NEW_RETRIES_2026,
# AWS_ENDPOINT_URL, ...) and the proxies. They are removed so every runner measures the
# SDK's defaults.
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def scrubbed(name):
    return name.startswith("AWS_") or name in PROXIES


def client_env(url, base=None):
    """The environment an SDK runs in: fake credentials, us-east-1, the replay
    server as the Cognito endpoint, no config files, no proxies."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not scrubbed(k)}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        ENDPOINT_ENV: url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


def load_set(directory):
    """The fixtures of one set, sorted by file name (tapedeck-set.json is not one)."""
    paths = sorted(p for p in glob.glob(os.path.join(directory, "*.json"))
                   if os.path.basename(p) != "tapedeck-set.json")
    return [json.load(open(p, encoding="utf-8")) for p in paths]


def set_name(directory):
    return os.path.basename(os.path.normpath(directory))


def response_json(fixture):
    resp = fixture["response"]
    if "body" in resp:
        return resp["body"]
    raw = None
    if resp.get("body_text") is not None:
        raw = resp["body_text"].encode()
    elif resp.get("body_base64") is not None:
        raw = base64.b64decode(resp["body_base64"])
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def sanitize(raw):
    """`aws.cognito#UserNotFoundException:http://…` → `UserNotFoundException`."""
    return raw.split(",")[0].split(":")[0].split("#")[-1].strip()


def expected_outcome(fixture):
    body = response_json(fixture)
    if isinstance(body, dict) and isinstance(body.get("__type"), str) and sanitize(body["__type"]):
        return sanitize(body["__type"])
    status = fixture["response"]["status"]
    return "success" if status < 300 else f"HTTP {status}"


def params(fixture):
    """The AdminForgetDevice members of the fixture's request, as the SDKs name them."""
    body = fixture["request"].get("body")
    if body is None and fixture["request"].get("body_text") is not None:
        body = json.loads(fixture["request"]["body_text"])
    body = body or {}
    return {k: body[k] for k in ("UserPoolId", "Username", "DeviceKey") if k in body}


def verdict(fixture, expected, sent, code, transport, attempts):
    """pass / fail / skip for what a client did with one fixture. `sent` is the SDK's
    own account (False: it refused before sending), `transport` an error that came
    from no response (timeout, refused connection), `attempts` what the server saw."""
    if not sent:
        return "skip" if fixture.get("expected_violations") and attempts == 0 else "fail"
    if transport or attempts == 0:
        return "fail"
    if expected == "success":
        return "pass" if code is None else "fail"
    if expected.startswith("HTTP "):
        return "pass" if code is not None else "fail"
    return "pass" if code == expected else "fail"


def emit(record):
    print(json.dumps(record, ensure_ascii=False), flush=True)


class Replay:
    """`tapedeck replay --strict --report` on a free loopback port, for one set."""

    def __init__(self, binary, fixtures):
        self.binary = binary
        self.fixtures = fixtures
        self.tmp = tempfile.mkdtemp(prefix="tapedeck-clients-")
        self.report = os.path.join(self.tmp, "replay-report.json")
        self.log = open(os.path.join(self.tmp, "replay.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "replay", "--listen", "127.0.0.1:0", "--strict",
             "--fixtures", fixtures, "--report", self.report],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=dict(os.environ, NO_COLOR="1"),
        )
        # The first stdout line names the address; give up after 30 s.
        timer = threading.Timer(30, self.proc.kill)
        timer.start()
        line = self.proc.stdout.readline()
        timer.cancel()
        urls = [w.rstrip(";,") for w in line.split() if w.startswith("http://")]
        if not urls:
            self.proc.kill()
            raise RuntimeError(f"tapedeck replay did not start: {line!r}; log: {self.log.name}")
        self.url = urls[0]

    def admin(self, route, method="GET"):
        req = urllib.request.Request(f"{self.url}/__tapedeck/{route}", method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def rewind(self):
        """Rewind the sequences; the journal (and so the final report) is kept."""
        self.admin("reset?only=sequences", "POST")

    def requests(self):
        return self.admin("journal")["totals"]["requests"]

    def entries_after(self, n):
        return [e for e in self.admin("journal")["entries"] if e["n"] > n]

    def stop(self):
        """SIGTERM, wait, and read the report: the server's verdict on the clients."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log.close()
        try:
            report = json.load(open(self.report))
        except (OSError, ValueError) as e:
            return {"exit": code, "clean": False, "requests": 0,
                    "problems": [f"no report: {e}"]}
        problems = [e for e in report["entries"] if e["violations"] or e["outcome"] != "matched"]
        clean = bool(report["clean"]) and code == 0
        if clean:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            problems.append(f"server log and report kept in {self.tmp}")
        return {"exit": code, "clean": clean, "requests": report["totals"]["requests"],
                "problems": problems}


def run(client, call, argv=None, describe_versions=None):
    """The shared main loop. `call(url, params)` sends one AdminForgetDevice through
    the SDK and returns (sent, code, surfaced, detail, transport)."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=f"{client} against tapedeck replay --strict")
    ap.add_argument("--bin", default=os.environ.get("TAPEDECK_BIN", DEFAULT_BIN),
                    help="the tapedeck binary (default: target/debug/tapedeck)")
    ap.add_argument("--fixtures", action="append",
                    help="a fixture set directory; repeatable (default: the reference set)")
    opts = ap.parse_args(argv)
    if describe_versions:
        emit({"kind": "client", "client": client, "versions": describe_versions()})
    failed = 0
    for directory in opts.fixtures or [DEFAULT_SET]:
        name = set_name(directory)
        fixtures = load_set(directory)
        if not fixtures:
            sys.exit(f"{client}: no fixtures under {directory}")
        server = Replay(opts.bin, directory)
        try:
            for fixture in fixtures:
                server.rewind()
                p = params(fixture)
                # Reach position n of a sequence by sending the same request n-1 times first.
                for _ in range(fixture.get("sequence", 1) - 1):
                    call(server.url, p)
                before = server.requests()
                started = time.monotonic()
                sent, code, surfaced, detail, transport = call(server.url, p)
                elapsed = time.monotonic() - started
                entries = server.entries_after(before)
                expected = expected_outcome(fixture)
                result = verdict(fixture, expected, sent, code, transport, len(entries))
                if result == "fail" and sent and not entries:
                    detail = f"nothing reached the server; {detail}"
                strays = [e.get("fixture") or e["outcome"] for e in entries if e.get("fixture") != fixture["id"]]
                if strays and result == "pass":
                    result = "fail"
                    detail = f"answered by {strays} instead of {fixture['id']}; {detail}"
                failed += result == "fail"
                emit({"kind": "result", "client": client, "set": name, "fixture": fixture["id"],
                      "expected": expected, "surfaced": surfaced, "code": code, "sent": sent,
                      "transport": transport,
                      "attempts": len(entries), "seconds": round(elapsed, 2), "result": result,
                      "detail": detail})
                print(f"{result:4}  {client:7} {name}/{fixture['id']}: expected {expected}, "
                      f"surfaced {surfaced} after {len(entries)} attempt(s)", file=sys.stderr)
        finally:
            verdict_of_server = server.stop()
        failed += not verdict_of_server["clean"]
        emit({"kind": "server", "client": client, "set": name, **verdict_of_server})
        print(f"{'ok' if verdict_of_server['clean'] else 'FAIL':4}  {client:7} {name}: replay --strict "
              f"exited {verdict_of_server['exit']}, {verdict_of_server['requests']} requests, "
              f"{len(verdict_of_server['problems'])} broke the contract", file=sys.stderr)
    return 1 if failed else 0
