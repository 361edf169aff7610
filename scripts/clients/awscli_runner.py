#!/usr/bin/env python3
"""The AWS CLI (v1, from .venv-awscli) against `tapedeck replay --strict`: every
fixture of a set through `aws cognito-idp admin-forget-device`, with the CLI's
default retry configuration.

Usage: python3 scripts/clients/awscli_runner.py [--bin target/debug/tapedeck]
           [--fixtures DIR]... [--aws .venv-awscli/bin/aws]
Prints one JSON line per fixture and per set (see common.py); exits 1 on a failure.
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep scripts/clients/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

AWS = os.environ.get("TAPEDECK_AWS_CLI", os.path.join(common.ROOT, ".venv-awscli", "bin", "aws"))
FLAGS = (("UserPoolId", "--user-pool-id"), ("Username", "--username"), ("DeviceKey", "--device-key"))
# "An error occurred (Code) when calling the AdminForgetDevice operation (reached max
# retries: 4): message" (the retry note only when the CLI gave up retrying).
ERROR = re.compile(r"An error occurred \(([^)]*)\) when calling the AdminForgetDevice operation"
                   r"(?: \(reached max retries: (\d+)\))?: ?(.*)", re.S)


def call(url, params):
    args = [AWS, "cognito-idp", "admin-forget-device", "--cli-read-timeout", "15",
            "--cli-connect-timeout", "5"]
    for key, flag in FLAGS:
        if key in params:
            args += [flag, params[key]]
    try:
        done = subprocess.run(args, env=common.client_env(url), capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return True, "timeout", "timeout (120 s)", "", True
    if done.returncode == 0:
        return True, None, "success", "", False
    err = done.stderr.strip()
    m = ERROR.search(err)
    if m:
        note = f"[CLI: reached max retries: {m.group(2)}] " if m.group(2) else ""
        return True, m.group(1), m.group(1), note + m.group(3).strip(), False
    last = err.splitlines()[-1] if err else f"exit {done.returncode}"
    # The CLI's own argument parsing refused the command, so nothing was sent: exit 2
    # (v1, argparse) or 252 (v2), "the following arguments are required: --device-key".
    if done.returncode in (2, 252) and ("usage:" in err or "arguments are required" in err):
        return False, None, f"client-side: usage error, exit {done.returncode}", last, False
    # Anything else ("Could not connect to the endpoint URL", "Read timeout on endpoint
    # URL") means no answer came back.
    return True, f"exit {done.returncode}", f"exit {done.returncode}", last, True


def versions():
    out = subprocess.run([AWS, "--version"], capture_output=True, text=True, timeout=60)
    return {"aws-cli": (out.stdout or out.stderr).strip(), "retry_mode": "default"}


if __name__ == "__main__":
    sys.exit(common.run("aws-cli", call, describe_versions=versions))
