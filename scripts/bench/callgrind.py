#!/usr/bin/env python3
"""User-space instructions per replayed request, counted by valgrind's callgrind:
independent of machine load, so usable on a busy machine where timings are not.

Runs `tapedeck replay` under callgrind twice, serving the benchmark's request
(bench.py's workload: AdminForgetDevice, SigV4-signed like botocore, the body of
reference/unknown-user.json) N and N + M times over one keep-alive connection,
and prints (Ir(N + M) - Ir(N)) / M: start-up and shutdown cancel out.

Usage: scripts/bench/callgrind.py [--bin target/release/tapedeck] [--n 1000] [--m 10000]
"""

from __future__ import annotations

import argparse
import http.client
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


def instructions(binary: str, fixtures: Path, requests: int) -> int:
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
            answer.read()
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp) / "set"
        fixtures.mkdir()
        (fixtures / "unknown-user.json").write_text(bench.REFERENCE.read_text())
        started = time.time()
        base = instructions(args.bin, fixtures, args.n)
        more = instructions(args.bin, fixtures, args.n + args.m)
    per = (more - base) / args.m
    print(f"{args.bin}: {per:,.0f} instructions per request "
          f"(Ir {base:,} for {args.n}, {more:,} for {args.n + args.m}; {time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
