#!/usr/bin/env python3
"""The tapedeck benchmark driver (run it through scripts/bench.sh, which builds and
installs what it needs first).

One workload: an AdminForgetDevice request (POST /, X-Amz-Target, SigV4-signed like
botocore, the JSON body of fixtures/admin-forget-device/reference/unknown-user.json)
that must match on target and JSON body, answered with the recorded 400
UserNotFoundException. Servers, one at a time, side by side in each round:

  floor       examples/floor.rs: hyper, parse the JSON, compare, answer the bytes
  replay      target/release/tapedeck replay --fixtures DIR
  wiremock    WireMock standalone (npm `wiremock`), stubs on method, url, header, equalToJson
  mountebank  Mountebank (npm `mountebank`), an imposter with equals + deepEquals predicates
  moto        moto_server from .venv (answers AdminForgetDevice with an HTML 500: measured as is)

with 1 and 10,000 fixtures/stubs (the measured request matches one stub, the one the
peers evaluate last), at 16 and 64 connections; plus the recording proxy's added
latency over calling its upstream (the floor) directly.

Figures per run: requests/s, p50 and p99 latency (wrk), server CPU per 1,000 requests
(utime+stime deltas of the server's process tree from /proc), RSS after the run
(VmRSS, process tree), and startup time to the first correct answer. Each round runs
every server; ratios to the floor are taken within a round; the report shows medians
over rounds. Loopback only; every run is bounded in time.

Stdlib only. Writes raw results to target/bench/, and (full runs, or --docs) the
results section of docs/benchmarks.md and the chart docs/benchmarks.svg.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "scripts" / "bench"
REFERENCE = ROOT / "fixtures" / "admin-forget-device" / "reference" / "unknown-user.json"
TAPEDECK = ROOT / "target" / "release" / "tapedeck"
FLOOR = ROOT / "target" / "release" / "examples" / "floor"
WIREMOCK_DIR = BENCH_DIR / "node_modules" / "wiremock"
MOUNTEBANK = BENCH_DIR / "node_modules" / "mountebank" / "bin" / "mb"
MOTO = ROOT / ".venv" / "bin" / "moto_server"
DOC = ROOT / "docs" / "benchmarks.md"
SVG = ROOT / "docs" / "benchmarks.svg"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

TARGET = "AWSCognitoIdentityProviderService.AdminForgetDevice"
CONTENT_TYPE = "application/x-amz-json-1.1"
# AWS's documented example credentials: the signature is well formed, never checked.
AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
ALL_SERVERS = ["floor", "replay", "baseline", "wiremock", "mountebank", "moto"]
LABELS = {
    "floor": "floor (hyper)",
    "replay": "tapedeck replay",
    "baseline": "tapedeck replay (baseline build)",
    "wiremock": "WireMock",
    "mountebank": "Mountebank",
    "moto": "moto server",
    "direct": "floor, direct",
    "proxy": "via tapedeck record",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the workload


class Workload:
    """The measured request and the answer every server must give to it."""

    def __init__(self) -> None:
        fixture = json.loads(REFERENCE.read_text())
        self.fixture = fixture
        self.request_json = fixture["request"]["body"]
        self.body = json.dumps(self.request_json, separators=(",", ":")).encode()
        self.status = fixture["response"]["status"]
        self.answer = json.dumps(fixture["response"]["body"], separators=(",", ":")).encode()
        self.response_headers = fixture["response"]["headers"]

    def headers(self, host: str) -> dict[str, str]:
        """botocore's request: content-type, x-amz-target, x-amz-date and a SigV4
        Authorization over content-type;host;x-amz-date;x-amz-target."""
        now = dt.datetime.now(dt.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        signed = "content-type;host;x-amz-date;x-amz-target"
        canonical_headers = (
            f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\nx-amz-target:{TARGET}\n"
        )
        canonical = "\n".join(
            ["POST", "/", "", canonical_headers, signed, hashlib.sha256(self.body).hexdigest()]
        )
        scope = f"{day}/{REGION}/cognito-idp/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = ("AWS4" + SECRET).encode()
        for part in (day, REGION, "cognito-idp", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": CONTENT_TYPE,
            "X-Amz-Target": TARGET,
            "X-Amz-Date": amz_date,
            "User-Agent": "tapedeck-bench/1 (wrk)",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, "
                f"SignedHeaders={signed}, Signature={signature}"
            ),
        }

    def lua(self, host: str) -> str:
        lines = ['wrk.method = "POST"', 'wrk.path = "/"', f"wrk.body = [[{self.body.decode()}]]"]
        for name, value in self.headers(host).items():
            lines.append(f'wrk.headers["{name}"] = "{value}"')
        lines.append(
            """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%.0f,\\"p90_us\\":%.0f," ..
    "\\"p99_us\\":%.0f,\\"max_us\\":%.0f,\\"mean_us\\":%.1f,\\"connect_errors\\":%d," ..
    "\\"read_errors\\":%d,\\"write_errors\\":%d,\\"timeouts\\":%d,\\"non_2xx_3xx\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
    e.timeout, e.status))
end
"""
        )
        return "\n".join(lines) + "\n"


def post(port: int, work: Workload, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    host = f"127.0.0.1:{port}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = work.headers(host)
        headers["Host"] = host
        conn.request("POST", "/", body=work.body, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def http_call(method: str, port: int, path: str, body: bytes | None = None,
              timeout: float = 600.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- processes


def tree(pid: int) -> list[int]:
    """pid and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """utime+stime of pid's process tree, in seconds."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / CLK_TCK


def rss_mib(pid: int) -> float:
    kib = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        except OSError:
            continue
    return kib / 1024


class Proc:
    """A server process this script started (its own process group)."""

    def __init__(self, argv: list[str], log_path: Path, cwd: Path = ROOT, env=None) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env,
        )
        self.pid = self.p.pid

    def alive(self) -> bool:
        return self.p.poll() is None

    def wait_line(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            m = rx.search(self.log_path.read_text(errors="replace"))
            if m:
                return m
            if not self.alive():
                raise RuntimeError(f"exited early; see {self.log_path}")
            time.sleep(0.002)
        raise RuntimeError(f"no line /{pattern}/ within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait(timeout=15)
        self.log.close()


def settle(pid: int, limit: float = 60.0) -> float:
    """Waits (at most `limit` s) until the server is idle: under 5% of a CPU over
    0.3 s. Slow servers keep working off queued requests after wrk stops."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        a = cpu_seconds(pid)
        time.sleep(0.3)
        if cpu_seconds(pid) - a <= 0.015:
            break
    return time.monotonic() - start


# ---------------------------------------------------------------- servers


def peer_stub_bodies(n: int, work: Workload) -> list[tuple[dict, bytes]]:
    """(request JSON, answer) of n stubs: n-1 other users, then the measured one."""
    out = []
    for i in range(n - 1):
        req = dict(work.request_json)
        req["Username"] = f"load-user-{i}"
        answer = dict(work.fixture["response"]["body"])
        answer["message"] = f"user {i}"
        out.append((req, json.dumps(answer, separators=(",", ":")).encode()))
    out.append((work.request_json, work.answer))
    return out


def write_corpus(n: int, dest: Path, work: Workload) -> Path:
    """A fixture directory: n-1 generated users (as tests/it/replay.rs big_corpus does),
    then the measured unknown-user fixture last."""
    dest.mkdir(parents=True, exist_ok=True)
    for i, (req, answer) in enumerate(peer_stub_bodies(n, work)):
        f = json.loads(json.dumps(work.fixture))
        f["id"] = f"user-{i:05d}"
        f["scenario"] = "unknown-user"
        f["request"]["body"] = req
        f["response"]["body"] = json.loads(answer)
        f["variables"]["username"] = req["Username"]
        (dest / f"user-{i:05d}.json").write_text(json.dumps(f, indent=2) + "\n")
    return dest


class Server:
    name = ""

    def __init__(self, ctx: "Context", fixtures: int) -> None:
        self.ctx, self.fixtures = ctx, fixtures
        self.proc: Proc | None = None
        self.port = 0
        self.expect_status = ctx.work.status
        self.expect_body: bytes | None = ctx.work.answer

    def launch(self) -> None:
        raise NotImplementedError

    def load_stubs(self) -> None:
        pass

    def start(self) -> dict:
        """Starts the server; returns the startup figures."""
        t0 = time.monotonic()
        self.launch()
        t_admin = time.monotonic()
        self.load_stubs()
        t_stubs = time.monotonic()
        deadline = t0 + 600
        last = None
        while time.monotonic() < deadline:
            try:
                status, headers, body = post(self.port, self.ctx.work, timeout=30)
                if self.ok(status, body):
                    break
                last = f"{status} {body[:200]!r}"
            except OSError as e:
                last = str(e)
            if self.proc and not self.proc.alive():
                raise RuntimeError(f"{self.name} exited; see {self.proc.log_path}")
            time.sleep(0.002)
        else:
            raise RuntimeError(f"{self.name}: no correct answer within 600 s (last: {last})")
        t1 = time.monotonic()
        return {
            "startup_s": t1 - t0,
            "stub_load_s": t_stubs - t_admin,
            "answer_headers": headers,
        }

    def ok(self, status: int, body: bytes) -> bool:
        return status == self.expect_status and (self.expect_body is None or body == self.expect_body)

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()


class FloorServer(Server):
    name = "floor"

    def launch(self) -> None:
        self.proc = Proc([str(FLOOR), "--listen", "127.0.0.1:0"], self.ctx.logs / "floor.log")
        self.port = int(self.proc.wait_line(r"listening on http://127\.0\.0\.1:(\d+)", 30)[1])


class ReplayServer(Server):
    name = "replay"
    binary = TAPEDECK

    def launch(self) -> None:
        self.proc = Proc(
            [str(self.binary), "replay", "--fixtures", str(self.ctx.corpus(self.fixtures)),
             "--listen", "127.0.0.1:0"],
            self.ctx.logs / f"{self.name}-{self.fixtures}.log",
        )
        self.port = int(self.proc.wait_line(r"listening on http://127\.0\.0\.1:(\d+)", 60)[1])

    def journal_totals(self) -> dict:
        status, body = http_call("GET", self.port, "/__tapedeck/journal", timeout=30)
        return json.loads(body)["totals"]


class BaselineServer(ReplayServer):
    """Another tapedeck build (--baseline-bin), e.g. before a change, side by side."""
    name = "baseline"


class WireMockServer(Server):
    name = "wiremock"

    def launch(self) -> None:
        jar = next((WIREMOCK_DIR / "build").glob("wiremock-standalone-*.jar"))
        self.port = free_port()
        self.proc = Proc(
            ["java", "-jar", str(jar), "--port", str(self.port), "--bind-address", "127.0.0.1",
             "--disable-banner", "--max-request-journal-entries", "10000"],
            self.ctx.logs / f"wiremock-{self.fixtures}.log",
        )
        self.wait_admin()

    def wait_admin(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if http_call("GET", self.port, "/__admin/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if not self.proc.alive():
                raise RuntimeError(f"wiremock exited; see {self.proc.log_path}")
            time.sleep(0.01)
        raise RuntimeError("wiremock admin API did not come up in 120 s")

    def load_stubs(self) -> None:
        wr = self.ctx.work
        stubs = peer_stub_bodies(self.fixtures, wr)
        mappings = []
        for req, answer in stubs:
            mappings.append({
                "request": {
                    "method": "POST",
                    "url": "/",
                    "headers": {"X-Amz-Target": {"equalTo": TARGET}},
                    "bodyPatterns": [{"equalToJson": json.dumps(req)}],
                },
                "response": {
                    "status": wr.status,
                    "headers": {
                        "Content-Type": CONTENT_TYPE,
                        "x-amzn-ErrorType": wr.response_headers["x-amzn-errortype"],
                    },
                    "body": answer.decode(),
                },
            })
        # WireMock tries the most recently added stub first: add the measured one
        # first, so it is the last one tried; the others in one import.
        measured = mappings.pop()
        status, body = http_call("POST", self.port, "/__admin/mappings",
                                 json.dumps(measured).encode())
        if status != 201:
            raise RuntimeError(f"wiremock refused the stub: {status} {body[:300]!r}")
        if mappings:
            status, body = http_call("POST", self.port, "/__admin/mappings/import",
                                     json.dumps({"mappings": mappings}).encode())
            if status not in (200, 201):
                raise RuntimeError(f"wiremock import failed: {status} {body[:300]!r}")


class MountebankServer(Server):
    name = "mountebank"

    def launch(self) -> None:
        self.admin = free_port()
        self.port = free_port()
        self.proc = Proc(
            ["node", str(MOUNTEBANK), "start", "--port", str(self.admin), "--host", "127.0.0.1",
             "--localOnly", "--loglevel", "warn", "--nologfile"],
            self.ctx.logs / f"mountebank-{self.fixtures}.log",
            cwd=self.ctx.tmp,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http_call("GET", self.admin, "/", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if not self.proc.alive():
                raise RuntimeError(f"mountebank exited; see {self.proc.log_path}")
            time.sleep(0.01)
        raise RuntimeError("mountebank admin API did not come up in 60 s")

    def load_stubs(self) -> None:
        wr = self.ctx.work
        stubs = []
        # Mountebank tries stubs in array order: the measured one is last.
        for req, answer in peer_stub_bodies(self.fixtures, wr):
            stubs.append({
                "predicates": [
                    {"equals": {"method": "POST", "path": "/", "headers": {"X-Amz-Target": TARGET}}},
                    {"deepEquals": {"body": req}},
                ],
                "responses": [{"is": {
                    "statusCode": wr.status,
                    "headers": {
                        "Content-Type": CONTENT_TYPE,
                        "x-amzn-ErrorType": wr.response_headers["x-amzn-errortype"],
                        "Connection": "keep-alive",
                    },
                    "body": answer.decode(),
                }}],
            })
        imposter = {
            "protocol": "http",
            "port": self.port,
            "host": "127.0.0.1",
            "recordRequests": False,
            "defaultResponse": {"statusCode": 404, "headers": {"Connection": "keep-alive"}},
            "stubs": stubs,
        }
        status, body = http_call("POST", self.admin, "/imposters", json.dumps(imposter).encode())
        if status != 201:
            raise RuntimeError(f"mountebank refused the imposter: {status} {body[:300]!r}")


class MotoServer(Server):
    name = "moto"

    def __init__(self, ctx: "Context", fixtures: int) -> None:
        super().__init__(ctx, fixtures)
        # moto has no AdminForgetDevice: it answers an HTML 500 page. Measured as is.
        self.expect_status = 500
        self.expect_body = None

    def launch(self) -> None:
        self.port = free_port()
        self.proc = Proc([str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
                         self.ctx.logs / "moto.log")


SERVERS = {
    "floor": FloorServer,
    "replay": ReplayServer,
    "baseline": BaselineServer,
    "wiremock": WireMockServer,
    "mountebank": MountebankServer,
    "moto": MotoServer,
}


# ---------------------------------------------------------------- wrk


def wrk(ctx: "Context", port: int, conns: int, duration: float, threads: int | None = None) -> dict:
    script = ctx.tmp / f"wrk-{port}.lua"
    script.write_text(ctx.work.lua(f"127.0.0.1:{port}"))
    threads = threads or min(conns, ctx.args.threads)
    duration = max(1, round(duration))  # wrk takes whole seconds
    argv = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s",
            "--timeout", f"{duration + 30}s", "--latency", "-s", str(script),
            f"http://127.0.0.1:{port}/"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
    m = re.search(r"^BENCHJSON (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    r = json.loads(m[1])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    return r


def measure(ctx: "Context", server: Server, conns: int, duration: float) -> dict:
    pid = server.proc.pid
    settle(pid)
    c0 = cpu_seconds(pid)
    r = wrk(ctx, server.port, conns, duration)
    c1 = cpu_seconds(pid)
    r["tail_s"] = settle(pid)
    c2 = cpu_seconds(pid)
    # CPU per request, including the queued work a slow server finishes after wrk stops
    # (wrk counts only the requests that completed within the run).
    r["cpu_s"] = c1 - c0
    r["cpu_ms_per_1k"] = (c1 - c0) / r["requests"] * 1e6 if r["requests"] else None
    r["tail_cpu_s"] = c2 - c1
    r["rss_mib"] = rss_mib(pid)
    r["errors"] = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    return r


# ---------------------------------------------------------------- the run


class Context:
    def __init__(self, args) -> None:
        self.args = args
        self.work = Workload()
        self.tmp = Path(tempfile.mkdtemp(prefix="tapedeck-bench-"))
        # server logs outlive the workspace, for post-mortems
        self.logs = ROOT / "target" / "bench" / "logs"
        shutil.rmtree(self.logs, ignore_errors=True)
        self.logs.mkdir(parents=True)
        self._corpora: dict[int, Path] = {}

    def corpus(self, n: int) -> Path:
        if n not in self._corpora:
            if n == 1:
                self._corpora[n] = REFERENCE
            else:
                t = time.monotonic()
                self._corpora[n] = write_corpus(n, self.tmp / f"corpus-{n}", self.work)
                os.sync()  # no write-back of the new files while servers start
                log(f"wrote a corpus of {n} fixtures in {time.monotonic() - t:.1f} s")
        return self._corpora[n]


def one_server(ctx: Context, rnd: int, name: str, fixtures: int, results: dict) -> None:
    args = ctx.args
    server = SERVERS[name](ctx, fixtures)
    try:
        s = server.start()
        log(f"round {rnd} {name} x{fixtures}: first correct answer after {s['startup_s']:.3f} s"
            + (f" (stubs loaded in {s['stub_load_s']:.2f} s)" if s["stub_load_s"] > 0.01 else ""))
        results["startup"].append({
            "round": rnd, "server": name, "fixtures": fixtures,
            "startup_s": s["startup_s"], "stub_load_s": s["stub_load_s"],
            "rss_idle_mib": rss_mib(server.proc.pid),
        })
        if isinstance(server, ReplayServer):
            t = server.journal_totals()  # one entry so far: cheap
            if t["with_violations"]:
                raise RuntimeError("the benchmark request breaks the contract; fix the workload")
        if args.warmup > 0:
            wrk(ctx, server.port, args.connections[0], args.warmup)
        for conns in args.connections:
            r = measure(ctx, server, conns, args.duration)
            status, _, body = post(server.port, ctx.work, timeout=120)
            if not server.ok(status, body):
                raise RuntimeError(f"{name} answered {status} {body[:200]!r} after the run")
            r.update({"round": rnd, "server": name, "fixtures": fixtures, "conns": conns})
            results["runs"].append(r)
            log(f"round {rnd} {name} x{fixtures} c{conns}: {r['rps']:.0f} req/s, "
                f"p50 {r['p50_us'] / 1000:.3f} ms, p99 {r['p99_us'] / 1000:.3f} ms, "
                f"cpu {fmt(r['cpu_ms_per_1k'], 1)} ms/1k, rss {r['rss_mib']:.1f} MiB"
                + (f", {r['errors']} socket errors" if r["errors"] else ""))
        if isinstance(server, ReplayServer):
            # Checked once at the end: reading the whole journal is heavy, and
            # would count in the RSS of a later run.
            t = server.journal_totals()
            if t["unmatched"] or t["with_violations"]:
                raise RuntimeError(f"replay journal shows misses or violations: {t}")
            if t["matched"] < sum(r["requests"] for r in results["runs"]
                                  if (r["round"], r["server"], r["fixtures"]) == (rnd, name, fixtures)):
                raise RuntimeError(f"replay journal counts fewer matches than wrk saw answers: {t}")
    finally:
        server.stop()


def proxy_round(ctx: Context, rnd: int, results: dict) -> None:
    args = ctx.args
    floor = FloorServer(ctx, 1)
    proxy = None
    try:
        floor.start()
        out = ctx.tmp / f"recorded-{rnd}"
        proxy = Proc(
            [str(TAPEDECK), "record", "--no-resign", "--upstream", f"http://127.0.0.1:{floor.port}",
             "--out", str(out), "--listen", "127.0.0.1:0"],
            ctx.logs / f"record-{rnd}.log",
        )
        port = int(proxy.wait_line(r"listening on http://127\.0\.0\.1:(\d+)", 60)[1])
        status, _, body = post(port, ctx.work)
        if status != ctx.work.status or body != ctx.work.answer:
            raise RuntimeError(f"the proxy answered {status} {body[:200]!r}")
        written = list(out.glob("*.json"))
        for conns in args.proxy_connections:
            for kind, p, pid in (("direct", floor.port, floor.proc.pid), ("proxy", port, proxy.pid)):
                settle(pid)
                c0 = cpu_seconds(pid)
                r = wrk(ctx, p, conns, args.duration)
                r["cpu_ms_per_1k"] = (cpu_seconds(pid) - c0) / r["requests"] * 1e6 if r["requests"] else None
                r.update({"round": rnd, "kind": kind, "conns": conns})
                results["proxy"].append(r)
                log(f"round {rnd} proxy c{conns} {kind}: p50 {r['p50_us'] / 1000:.3f} ms, "
                    f"p99 {r['p99_us'] / 1000:.3f} ms, {r['rps']:.0f} req/s")
        after = list(out.glob("*.json"))
        if len(after) != len(written) or len(after) != 1:
            raise RuntimeError(f"the recorder wrote {len(after)} fixtures; expected exactly 1")
    finally:
        if proxy:
            proxy.stop()
        floor.stop()


def fmt(v, digits=1) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(results: dict, args) -> dict:
    runs = results["runs"]
    rows = []
    for fixtures in args.fixtures:
        for conns in args.connections:
            for name in args.servers:
                mine = [r for r in runs if (r["server"], r["fixtures"], r["conns"]) == (name, fixtures, conns)]
                if not mine:
                    continue
                rps_ratio, p99_ratio = [], []
                for r in mine:
                    floor = next((f for f in runs if f["server"] == "floor" and f["round"] == r["round"]
                                  and f["fixtures"] == fixtures and f["conns"] == conns), None)
                    if floor and floor["rps"]:
                        rps_ratio.append(r["rps"] / floor["rps"])
                        p99_ratio.append(r["p99_us"] / floor["p99_us"] if floor["p99_us"] else None)
                rows.append({
                    "server": name, "fixtures": fixtures, "conns": conns, "rounds": len(mine),
                    "rps": median(r["rps"] for r in mine),
                    "rps_all": [round(r["rps"]) for r in mine],
                    "rps_x_floor": median(rps_ratio),
                    "p50_ms": median(r["p50_us"] / 1000 for r in mine),
                    "p99_ms": median(r["p99_us"] / 1000 for r in mine),
                    "p99_x_floor": median(p99_ratio),
                    "cpu_ms_per_1k": median(r["cpu_ms_per_1k"] for r in mine),
                    "rss_mib": median(r["rss_mib"] for r in mine),
                    "errors": sum(r["errors"] for r in mine),
                    "requests": sum(r["requests"] for r in mine),
                })
    startup = []
    for fixtures in args.fixtures:
        for name in args.servers:
            mine = [s for s in results["startup"] if (s["server"], s["fixtures"]) == (name, fixtures)]
            if mine:
                startup.append({
                    "server": name, "fixtures": fixtures,
                    "startup_s": median(s["startup_s"] for s in mine),
                    "stub_load_s": median(s["stub_load_s"] for s in mine),
                    "rss_idle_mib": median(s["rss_idle_mib"] for s in mine),
                    "rss_after_mib": median(r["rss_mib"] for r in runs
                                            if (r["server"], r["fixtures"]) == (name, fixtures)
                                            and r["conns"] == max(args.connections)),
                })
    proxy = []
    for conns in args.proxy_connections:
        rounds = sorted({r["round"] for r in results["proxy"] if r["conns"] == conns})
        diffs, d50, p50 = [], [], []
        for rnd in rounds:
            d = next(r for r in results["proxy"] if (r["round"], r["conns"], r["kind"]) == (rnd, conns, "direct"))
            p = next(r for r in results["proxy"] if (r["round"], r["conns"], r["kind"]) == (rnd, conns, "proxy"))
            diffs.append((p["p50_us"] - d["p50_us"]) / 1000)
            d50.append(d["p50_us"] / 1000)
            p50.append(p["p50_us"] / 1000)
        if rounds:
            mine = [r for r in results["proxy"] if r["conns"] == conns]
            proxy.append({
                "conns": conns, "rounds": len(rounds),
                "direct_p50_ms": median(d50), "proxy_p50_ms": median(p50),
                "added_p50_ms": median(diffs),
                "direct_p99_ms": median(r["p99_us"] / 1000 for r in mine if r["kind"] == "direct"),
                "proxy_p99_ms": median(r["p99_us"] / 1000 for r in mine if r["kind"] == "proxy"),
                "direct_rps": median(r["rps"] for r in mine if r["kind"] == "direct"),
                "proxy_rps": median(r["rps"] for r in mine if r["kind"] == "proxy"),
                "proxy_cpu_ms_per_1k": median(r["cpu_ms_per_1k"] for r in mine if r["kind"] == "proxy"),
            })
    return {"rows": rows, "startup": startup, "proxy": proxy}


def targets(summary: dict) -> list[tuple[str, str, bool | None]]:
    out = []
    rows = [r for r in summary["rows"] if r["server"] == "replay"]
    for r in rows:
        out.append((f"throughput ≥ 0.85× floor, {r['fixtures']:,} fixture(s), {r['conns']} connections",
                    f"{fmt(r['rps_x_floor'], 2)}×", r["rps_x_floor"] is not None and r["rps_x_floor"] >= 0.85))
    for r in rows:
        out.append((f"p99 ≤ 1.5× floor, {r['fixtures']:,} fixture(s), {r['conns']} connections",
                    f"{fmt(r['p99_x_floor'], 2)}×", r["p99_x_floor"] is not None and r["p99_x_floor"] <= 1.5))
    big = [s for s in summary["startup"] if s["server"] == "replay" and s["fixtures"] >= 10_000]
    for s in big:
        out.append((f"startup < 0.5 s with {s['fixtures']:,} fixtures", f"{s['startup_s']:.3f} s",
                    s["startup_s"] < 0.5))
        out.append((f"RSS < 64 MiB with {s['fixtures']:,} fixtures (after the {max(r['conns'] for r in rows)}-connection run)",
                    f"{fmt(s['rss_after_mib'])} MiB", s["rss_after_mib"] is not None and s["rss_after_mib"] < 64))
    for p in summary["proxy"]:
        if p["conns"] == 1:
            out.append(("recording proxy adds < 0.3 ms at p50 (1 connection)",
                        f"{p['added_p50_ms']:.3f} ms", p["added_p50_ms"] < 0.3))
    return out


# ---------------------------------------------------------------- machine


def sh(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (out.stdout + out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    mem_gib = int(mem.split()[1]) / 1024 / 1024
    wm = json.loads((WIREMOCK_DIR / "package.json").read_text())["version"] if WIREMOCK_DIR.exists() else "?"
    mb_pkg = MOUNTEBANK.parents[1] / "package.json"
    mb = json.loads(mb_pkg.read_text())["version"] if mb_pkg.exists() else "?"
    moto = sh([str(ROOT / ".venv" / "bin" / "python"), "-c", "import moto; print(moto.__version__)"])
    java = sh(["java", "-version"]).splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_gib, 1),
        "kernel": platform.release(),
        "os": sh(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "rustc": sh(["rustc", "--version"]),
        "tapedeck": sh([str(TAPEDECK), "--version"]),
        "commit": sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "wrk": sh(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "missing",
        "java": java[0] if java else "?",
        "node": sh(["node", "--version"]),
        "wiremock": wm,
        "mountebank": mb,
        "moto": moto,
        "python": platform.python_version(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


# ---------------------------------------------------------------- report


def markdown(results: dict, summary: dict, args) -> str:
    m = results["machine"]
    L = []
    L.append(f"Generated by `scripts/bench.sh{' ' + ' '.join(args.argv) if args.argv else ''}` on "
             f"{results['started']} ({results['elapsed_s'] / 60:.0f} min): {args.rounds} round(s), "
             f"{args.duration:g} s per run, wrk with {args.threads} thread(s), "
             f"load average at start {' '.join(m['loadavg_start'])}, at end {' '.join(results['loadavg_end'])}.")
    L.append("")
    L.append("**Machine.** " + "; ".join([
        f"{m['nproc']} CPUs ({m['cpu']})", f"{m['memory_gib']} GiB RAM", f"Linux {m['kernel']}",
        m["os"], m["rustc"], f"{m['tapedeck']} (commit {m['commit']})", m["wrk"], m["java"],
        f"node {m['node']}", f"WireMock {m['wiremock']}", f"Mountebank {m['mountebank']}",
        f"moto {m['moto']}", f"Python {m['python']}",
    ]) + ".")
    L.append("")
    L.append("### Targets")
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for what, value, ok in targets(summary):
        L.append(f"| {what} | {value} | {'yes' if ok else '**no**'} |")
    L.append("")
    L.append("### Throughput and latency")
    L.append("")
    L.append("Medians over rounds; `× floor` is the median of the per-round ratios to the floor "
             "measured in the same round. CPU is the server's utime+stime per 1,000 answered "
             "requests; RSS is VmRSS right after the run.")
    L.append("")
    L.append("| fixtures | conns | server | req/s | × floor | p50 ms | p99 ms | p99 × floor | CPU ms / 1k req | RSS MiB | per-round req/s |")
    L.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in summary["rows"]:
        name = LABELS[r["server"]] + (" ¹" if r["server"] == "moto" else "")
        L.append(
            f"| {r['fixtures']:,} | {r['conns']} | {name} | {fmt(r['rps'], 0)} | "
            f"{fmt(r['rps_x_floor'], 2)} | {fmt(r['p50_ms'], 3)} | {fmt(r['p99_ms'], 3)} | "
            f"{fmt(r['p99_x_floor'], 2)} | {fmt(r['cpu_ms_per_1k'], 1)} | {fmt(r['rss_mib'], 1)} | "
            f"{', '.join(f'{v:,}' for v in r['rps_all'])} |"
        )
    L.append("")
    if any(r["server"] == "moto" for r in summary["rows"]):
        L.append("¹ moto has no AdminForgetDevice: it answers every such request with an HTML "
                 "500 error page. It is measured on that real answer, and it has no stubs, so it "
                 "appears with 1 fixture only.")
        L.append("")
    slow = [r for r in summary["rows"] if r["rps"] is not None and r["rps"] * args.duration < 1000]
    if slow:
        L.append("Where a server answers fewer than ~1,000 requests in a run, its percentiles come "
                 "from few samples, and requests still queued when the run ended are not counted "
                 "(their latency would be higher): treat those latencies as lower bounds.")
        L.append("")
    L.append("### Startup and memory")
    L.append("")
    L.append("Startup is from spawning the process to the first correct answer to the measured "
             "request, including loading the stubs through the admin API for WireMock and "
             "Mountebank (shown separately).")
    L.append("")
    L.append("| fixtures | server | startup s | of which loading stubs s | RSS idle MiB | RSS after load MiB |")
    L.append("|---:|---|---:|---:|---:|---:|")
    for s in summary["startup"]:
        L.append(f"| {s['fixtures']:,} | {LABELS[s['server']]} | {s['startup_s']:.3f} | "
                 f"{s['stub_load_s']:.3f} | {fmt(s['rss_idle_mib'])} | {fmt(s['rss_after_mib'])} |")
    L.append("")
    if summary["proxy"]:
        L.append("### Recording proxy overhead")
        L.append("")
        L.append("`tapedeck record --no-resign --upstream http://127.0.0.1:FLOOR --out TMP` in front "
                 "of the floor, against the floor called directly, alternately in each round. One "
                 "request body throughout: the recorder writes one fixture and then finds every "
                 "further exchange a duplicate (still building, redacting and scanning it).")
        L.append("")
        L.append("| conns | direct p50 ms | via proxy p50 ms | added p50 ms | direct p99 ms | via proxy p99 ms | direct req/s | via proxy req/s | proxy CPU ms / 1k req |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for p in summary["proxy"]:
            L.append(f"| {p['conns']} | {p['direct_p50_ms']:.3f} | {p['proxy_p50_ms']:.3f} | "
                     f"{p['added_p50_ms']:.3f} | {p['direct_p99_ms']:.3f} | {p['proxy_p99_ms']:.3f} | "
                     f"{fmt(p['direct_rps'], 0)} | {fmt(p['proxy_rps'], 0)} | {fmt(p['proxy_cpu_ms_per_1k'], 1)} |")
        L.append("")
    L.append("![requests per second by server, 1 and 10,000 fixtures](benchmarks.svg)")
    return "\n".join(L)


def write_doc(text: str) -> None:
    skeleton = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    doc = DOC.read_text() if DOC.exists() else skeleton
    if BEGIN not in doc or END not in doc:
        doc = doc.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def svg_chart(summary: dict, args, path: Path) -> None:
    """Grouped bars, log scale: req/s by server at each fixture count, one panel per
    connection count."""
    rows = summary["rows"]
    if not rows:
        return
    servers = [s for s in args.servers if any(r["server"] == s for r in rows)]
    fixture_counts = sorted({r["fixtures"] for r in rows})
    colors = ["#3b6ea5", "#e08a2c", "#5a9e4b", "#9a4fa0"]
    conns_list = [c for c in args.connections if any(r["conns"] == c for r in rows)]
    panel_w, panel_h, left, top, bottom = 470, 300, 60, 50, 70
    width = left + len(conns_list) * (panel_w + 20) + 10
    height = top + panel_h + bottom + 30
    vmax = max((r["rps"] or 1) for r in rows)
    decades = max(1, int(__import__("math").ceil(__import__("math").log10(max(vmax, 10)))))
    import math

    def y(v: float) -> float:
        v = max(v, 1.0)
        return top + panel_h - panel_h * math.log10(v) / decades

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">'
           f'AdminForgetDevice replay: requests/s by server (log scale, median of {args.rounds} round(s))</text>']
    for pi, conns in enumerate(conns_list):
        x0 = left + pi * (panel_w + 20)
        out.append(f'<text x="{x0 + panel_w / 2}" y="{top - 12}" text-anchor="middle" font-size="12">'
                   f'{conns} connections</text>')
        for d in range(decades + 1):
            yy = y(10 ** d)
            out.append(f'<line x1="{x0}" y1="{yy:.1f}" x2="{x0 + panel_w}" y2="{yy:.1f}" stroke="#ddd"/>')
            if pi == 0:
                out.append(f'<text x="{x0 - 6}" y="{yy + 4:.1f}" text-anchor="end">{10 ** d:,}</text>')
        out.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + panel_h}" stroke="#888"/>')
        group_w = panel_w / len(servers)
        bar_w = min(34, (group_w - 14) / len(fixture_counts))
        for si, name in enumerate(servers):
            gx = x0 + si * group_w + (group_w - bar_w * len(fixture_counts)) / 2
            for fi, fixtures in enumerate(fixture_counts):
                r = next((r for r in rows if (r["server"], r["fixtures"], r["conns"]) == (name, fixtures, conns)), None)
                bx = gx + fi * bar_w
                if r is None or r["rps"] is None:
                    out.append(f'<text x="{bx + bar_w / 2:.1f}" y="{top + panel_h - 4}" text-anchor="middle" fill="#999">n/a</text>')
                    continue
                by = y(r["rps"])
                out.append(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar_w - 2:.1f}" height="{top + panel_h - by:.1f}" fill="{colors[fi % len(colors)]}"/>')
                label = f"{r['rps'] / 1000:.1f}k" if r["rps"] >= 1000 else f"{r['rps']:.0f}"
                out.append(f'<text x="{bx + (bar_w - 2) / 2:.1f}" y="{by - 3:.1f}" text-anchor="middle" font-size="9">{label}</text>')
            out.append(f'<text x="{x0 + si * group_w + group_w / 2:.1f}" y="{top + panel_h + 16}" text-anchor="middle">{LABELS[name].replace(" (hyper)", "")}</text>')
    ly = top + panel_h + 42
    for fi, fixtures in enumerate(fixture_counts):
        lx = left + fi * 170
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colors[fi % len(colors)]}"/>')
        out.append(f'<text x="{lx + 18}" y="{ly + 10}">{fixtures:,} fixture{"s" if fixtures != 1 else ""} / stubs</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]):
    p = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 round, 2 s runs, no docs update (unless --docs)")
    p.add_argument("--rounds", type=int, help="rounds (default 5; quick 1)")
    p.add_argument("--duration", type=int, help="seconds per wrk run (default 5; quick 2)")
    p.add_argument("--warmup", type=int, help="seconds of warm-up per server start, 0 for none (default 2; quick 1)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--servers", default="floor,replay,wiremock,mountebank,moto", help="comma-separated subset of " + ",".join(ALL_SERVERS))
    p.add_argument("--fixtures", default="1,10000", help="fixture/stub counts (default 1,10000)")
    p.add_argument("--connections", default="16,64", help="connection counts (default 16,64)")
    p.add_argument("--proxy-connections", default="1,16",
                   help="connection counts for the proxy overhead runs (default 1,16; empty: skip)")
    p.add_argument("--docs", dest="docs", action="store_true", default=None,
                   help="write docs/benchmarks.md and docs/benchmarks.svg (the default for full runs)")
    p.add_argument("--no-docs", dest="docs", action="store_false")
    p.add_argument("--baseline-bin", type=Path,
                   help="another tapedeck binary to run side by side as server 'baseline' (A/B of a change)")
    p.add_argument("--from-json", type=Path, help="re-render the report from a results JSON, no measuring")
    a = p.parse_args(argv)
    a.argv = argv
    a.rounds = a.rounds or (1 if a.quick else 5)
    a.duration = a.duration or (2 if a.quick else 5)
    a.warmup = a.warmup if a.warmup is not None else (1 if a.quick else 2)
    a.servers = [s for s in a.servers.split(",") if s]
    for s in a.servers:
        if s not in SERVERS:
            p.error(f"unknown server {s}")
    if a.baseline_bin:
        BaselineServer.binary = a.baseline_bin.resolve()
        if "baseline" not in a.servers:
            a.servers.append("baseline")
    elif "baseline" in a.servers:
        p.error("--servers baseline needs --baseline-bin PATH")
    if "floor" not in a.servers:
        a.servers.insert(0, "floor")  # ratios need it
    a.servers = [s for s in ALL_SERVERS if s in a.servers]
    a.fixtures = [int(x) for x in a.fixtures.split(",") if x]
    a.connections = [int(x) for x in a.connections.split(",") if x]
    a.proxy_connections = [int(x) for x in a.proxy_connections.split(",") if x]
    if a.docs is None:
        a.docs = not a.quick
    return a


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out_dir = ROOT / "target" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        saved = results["args"]
        for k in ("rounds", "duration", "threads", "servers", "fixtures", "connections", "proxy_connections", "argv"):
            setattr(args, k, saved[k])
    else:
        for tool, path in (("tapedeck", TAPEDECK), ("floor", FLOOR)):
            if not path.exists():
                log(f"{path} is missing: run scripts/bench.sh (it builds with cargo build --release)")
                return 2
        ctx = Context(args)
        log(f"workspace {ctx.tmp}; {args.rounds} round(s) of {args.duration:g} s runs; servers {', '.join(args.servers)}")
        results = {
            "started": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "machine": machine(),
            "args": {k: getattr(args, k) for k in ("rounds", "duration", "threads", "servers", "fixtures",
                                                   "connections", "proxy_connections", "argv", "warmup")},
            "runs": [], "startup": [], "proxy": [], "failures": [],
        }
        t0 = time.monotonic()
        try:
            for rnd in range(1, args.rounds + 1):
                for fixtures in args.fixtures:
                    for name in args.servers:
                        # moto has no stubs: it runs at 1 only. The floor has none either,
                        # but runs at every count, since ratios are taken per round.
                        if name == "moto" and fixtures != 1:
                            continue
                        try:
                            one_server(ctx, rnd, name, fixtures, results)
                        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                            log(f"round {rnd} {name} x{fixtures} FAILED: {e}")
                            results["failures"].append({"round": rnd, "server": name,
                                                        "fixtures": fixtures, "error": str(e)})
                if args.proxy_connections:
                    try:
                        proxy_round(ctx, rnd, results)
                    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                        log(f"round {rnd} proxy FAILED: {e}")
                        results["failures"].append({"round": rnd, "server": "proxy", "error": str(e)})
        finally:
            results["elapsed_s"] = time.monotonic() - t0
            results["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
            stamp = time.strftime("%Y%m%d-%H%M%S")
            raw = out_dir / f"results-{stamp}{'-quick' if args.quick else ''}.json"
            raw.write_text(json.dumps(results, indent=1, default=str) + "\n")
            log(f"raw results: {raw}; server logs: {ctx.logs}")
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    summary = summarise(results, args)
    text = markdown(results, summary, args)
    (out_dir / "report.md").write_text(text + "\n")
    svg_chart(summary, args, out_dir / "benchmarks.svg")
    if args.docs:
        write_doc(text)
        svg_chart(summary, args, SVG)
        log(f"wrote {DOC.relative_to(ROOT)} and {SVG.relative_to(ROOT)}")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
