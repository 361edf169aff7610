#!/usr/bin/env python3
"""User-space instructions per replayed request, counted by valgrind's callgrind:
independent of machine load, so usable on a busy machine where timings are not.

Runs `tapedeck replay` under callgrind twice, serving the benchmark's request
(bench.py's workload: AdminForgetDevice, SigV4-signed like botocore, the body of
reference/unknown-user.json) N and N + M times over one keep-alive connection,
and prints (Ir(N + M) - Ir(N)) / M: start-up and shutdown cancel out.

--fixture picks what the request is served from:
  reference   reference/unknown-user.json itself (the default): the request is
              the recorded one, byte for byte
  bound       the same fixture as record writes it: its Username a pseudonym,
              which the request's `tapedeck-ghost` binds (every request after
              the first finds it bound)
  bound-echo  bound, and the answer mentions the pseudonym in its message and
              its x-amzn-errormessage header, given back as `tapedeck-ghost`

Usage: scripts/bench/callgrind.py [--bin target/release/tapedeck] [--n 1000] [--m 10000]
                                  [--fixture reference|bound|bound-echo]
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the workload: Workload.headers, Workload.body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A pseudonym as record writes one (any `pseudonym_` and 12 hex digits is one).
PSEUDONYM = "pseudonym_0a1b2c3d4e5f"


def fixture_text(kind: str) -> str:
    """The served fixture: the reference one, or that one as record writes it."""
    text = bench.REFERENCE.read_text()
    if kind == "reference":
        return text
    fixture = json.loads(text)
    fixture["request"]["body"]["Username"] = PSEUDONYM
    fixture["provenance"] = {"kind": "recorded", "endpoint": "127.0.0.1:5000",
                             "recorded_at": "2026-11-30T10:00:00.000Z", "tool": "tapedeck 0.1.0"}
    fixture.get("compare", {}).pop("basis", None)
    if kind == "bound-echo":
        message = f"User {PSEUDONYM} does not exist."
        fixture["response"]["body"]["message"] = message
        fixture["response"]["headers"]["x-amzn-errormessage"] = message
    return json.dumps(fixture, indent=2) + "\n"


def instructions(binary: str, fixtures: Path, requests: int, expect: bytes) -> int:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        server = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             binary, "replay", "--fixtures", str(fixtures), "--listen", f"127.0.0.1:{port}",
             "--exit-after", str(requests)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        server.stdout.readline()  # the start line: it listens
        workload = bench.Workload()
        host = f"127.0.0.1:{port}"
        headers = workload.headers(host)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(requests):
            conn.request("POST", "/", body=workload.body, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            if expect not in body:
                raise SystemExit(f"the answer lacks {expect!r}: {body!r}")
            if answer.status != workload.status:
                raise SystemExit(f"unexpected status {answer.status}")
        conn.close()
        _, err = server.communicate(timeout=120)
        text = out.read_text()
        match = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.M)
        if not match:
            raise SystemExit(f"no totals in the callgrind output; valgrind said:\n{err}")
        return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(bench.TAPEDECK))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--m", type=int, default=10000)
    parser.add_argument("--fixture", choices=("reference", "bound", "bound-echo"), default="reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp) / "set"
        fixtures.mkdir()
        (fixtures / "unknown-user.json").write_text(fixture_text(args.fixture))
        started = time.time()
        expect = b"User tapedeck-ghost does not exist." if args.fixture == "bound-echo" else b"UserNotFoundException"
        base = instructions(args.bin, fixtures, args.n, expect)
        more = instructions(args.bin, fixtures, args.n + args.m, expect)
    per = (more - base) / args.m
    print(f"{args.bin} ({args.fixture}): {per:,.0f} instructions per request "
          f"(Ir {base:,} for {args.n}, {more:,} for {args.n + args.m}; {time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
