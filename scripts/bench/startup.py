#!/usr/bin/env python3
"""Start-up of `tapedeck replay` with a large fixture directory, side by side.

    scripts/bench/startup.py --corpus DIR [--fixture FILE] [--count N] [--runs R] BINARY...

Writes DIR (once, when it does not exist) with N copies of FIXTURE (default: the
reference set's unknown-user.json), each with a distinct id and username, then starts
each BINARY R times with `replay --fixtures DIR` on a free 127.0.0.1 port and times
spawn to the first answer of /__tapedeck/health (polled every 2 ms). Prints the median
and the fastest start of each binary. Loopback only; every start is bounded (60 s).
"""

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURE = ROOT / "fixtures/admin-forget-device/reference/unknown-user.json"


def write_corpus(dest: Path, fixture: Path, count: int) -> None:
    source = json.loads(fixture.read_text())
    dest.mkdir(parents=True)
    for i in range(count):
        f = json.loads(json.dumps(source))
        f["id"] = f"user-{i:05d}"
        f["request"]["body"]["Username"] = f"bench-user-{i:05d}"
        (dest / f"user-{i:05d}.json").write_text(json.dumps(f, indent=2) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once(binary: str, corpus: Path) -> float:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [binary, "replay", "--fixtures", str(corpus), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"{binary} exited: {proc.stderr.read().decode(errors='replace')}")
            if time.monotonic() - started > 60:
                sys.exit(f"{binary} did not answer within 60 s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/__tapedeck/health", timeout=1):
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.002)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+", metavar="BINARY")
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if not args.corpus.exists():
        write_corpus(args.corpus, args.fixture, args.count)
    for binary in args.binaries:
        times = sorted(start_once(binary, args.corpus) for _ in range(args.runs))
        print(f"{binary}: median {times[len(times) // 2]:.3f} s, fastest {times[0]:.3f} s ({args.runs} starts)")


if __name__ == "__main__":
    main()
