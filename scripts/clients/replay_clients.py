#!/usr/bin/env python3
"""boto3 and the AWS CLI against `tapedeck replay`.

For every fixture of a set (default: the bundled reference set), send the
fixture's request through the real client and check that the client surfaces
the recorded outcome: success, or an error whose code is the fixture's
(sanitised) error type. The server runs with --strict, so any unmatched request
or contract violation by a client fails the run; its JSON report is checked too.

Usage: scripts/clients/replay_clients.py --bin target/debug/tapedeck [--fixtures DIR]
"""

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDS = {"AWS_ACCESS_KEY_ID": "AKIDTAPEDECKCLIENT", "AWS_SECRET_ACCESS_KEY": "tapedeck-client-test-secret"}


def expected_outcome(fixture):
    """The error code a client should surface, or None for success."""
    body = fixture["response"].get("body")
    if isinstance(body, dict) and "__type" in body:
        raw = body["__type"]
        return raw.split(",")[0].split(":")[0].split("#")[-1].strip()
    if fixture["response"]["status"] >= 300:
        return str(fixture["response"]["status"])
    return None


def client_params(fixture):
    body = fixture["request"].get("body") or {}
    return {k: body[k] for k in ("UserPoolId", "Username", "DeviceKey") if k in body}


def admin(url, route, method="GET"):
    req = urllib.request.Request(f"{url}/__tapedeck/{route}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def via_boto3(url, params):
    client = boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=CREDS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDS["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    try:
        client.admin_forget_device(**params)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def via_cli(url, params):
    args = ["cognito-idp", "admin-forget-device", "--endpoint-url", url, "--region", "us-east-1"]
    for key, flag in (("UserPoolId", "--user-pool-id"), ("Username", "--username"), ("DeviceKey", "--device-key")):
        if key in params:
            args += [flag, params[key]]
    env = dict(os.environ, AWS_MAX_ATTEMPTS="1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", **CREDS)
    aws = os.path.join(ROOT, ".venv-awscli", "bin", "aws")
    done = subprocess.run([aws, *args], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode == 0:
        return None
    marker = "An error occurred ("
    if marker in done.stderr:
        return done.stderr.split(marker, 1)[1].split(")", 1)[0]
    return "cli-failed: " + done.stderr.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "fixtures/admin-forget-device/reference"))
    opts = ap.parse_args()

    fixtures = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(opts.fixtures, "*.json")))]
    if not fixtures:
        sys.exit(f"no fixtures under {opts.fixtures}")
    report = os.path.join(tempfile.mkdtemp(), "replay-report.json")
    server = subprocess.Popen(
        [opts.bin, "replay", "--listen", "127.0.0.1:0", "--strict", "--fixtures", opts.fixtures, "--report", report],
        stdout=subprocess.PIPE, text=True,
    )
    line = server.stdout.readline()
    url = next(w for w in line.split() if w.startswith("http://")).rstrip(";")
    passed = failed = skipped = 0
    try:
        for fixture in fixtures:
            want = expected_outcome(fixture)
            params = client_params(fixture)
            for name, call in (("boto3", via_boto3), ("aws-cli", via_cli)):
                admin(url, "reset?only=sequences", "POST")
                got = "not-sent"
                try:
                    for _ in range(fixture.get("sequence", 1)):
                        got = call(url, params)
                except botocore.exceptions.ParamValidationError:
                    # boto3 validates required members before sending (missing DeviceKey).
                    if fixture.get("expected_violations"):
                        print(f"skip  {name:8} {fixture['id']}: rejected client-side before sending, as botocore validates required members")
                        skipped += 1
                        continue
                    raise
                if name == "aws-cli" and got and got.startswith("cli-failed") and fixture.get("expected_violations"):
                    print(f"skip  {name:8} {fixture['id']}: rejected client-side ({got})")
                    skipped += 1
                    continue
                ok = got == want
                passed += ok
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'}  {name:8} {fixture['id']}: expected {want or 'success'}, got {got or 'success'}")
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    data = json.load(open(report))
    if code != 0 or not data["clean"]:
        failed += 1
        bad = [e for e in data["entries"] if e["violations"] or e["outcome"] != "matched"]
        print(f"FAIL  replay --strict exited {code}; entries that broke the contract:")
        for e in bad:
            print("      ", json.dumps(e)[:400])
    else:
        passed += 1
        print(f"ok    replay --strict: {data['totals']['requests']} requests, all matched, no contract violations")
    print(f"clients: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
