#!/usr/bin/env python3
"""The client conformance matrix: four real AWS clients against `tapedeck replay
--strict`, for the reference fixture set and the probes, rendered into README.md
and docs/clients.md.

Run it through scripts/clients/matrix.sh, which first builds what the runners need.

    matrix.py --bin target/debug/tapedeck [--check] [--clients boto3,aws-cli,...]
              [--set DIR]... [--out DIR] [--jobs N] [--timeout SECS]

Each runner (boto3_runner.py, awscli_runner.py, js/runner.mjs, the Rust sdk-runner)
starts one replay server per set, sends every fixture's request through its SDK with
the SDK's default retry settings, and prints JSON lines (see common.py). This script
collects them and fails (exit 1) when:

- a client's outcome differs from the fixture's expected outcome (the sanitised
  `__type`, `success`, or any error for an untyped HTTP error). A client that refuses
  to send a request the fixture records as invalid on purpose (`expected_violations`,
  e.g. a missing DeviceKey) is a documented exception: printed, counted as skipped;
- the replay server, run with --strict --report, saw a request that matched no
  fixture or broke the contract (a client's contract violation);
- a runner crashed, timed out or left fixtures out;
- with --check: README.md or docs/clients.md is not what this run generates.

The last line is always `clients: N passed, M failed, K skipped`.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep scripts/clients/ free of __pycache__
sys.path.insert(0, HERE)

import common  # noqa: E402

ROOT = common.ROOT
README = os.path.join(ROOT, "README.md")
DOCS = os.path.join(ROOT, "docs", "clients.md")
PROBES = os.path.join(HERE, "probes")

CLIENTS = {
    "boto3": ("boto3", [os.path.join(ROOT, ".venv", "bin", "python"), os.path.join(HERE, "boto3_runner.py")]),
    "aws-cli": ("AWS CLI", [sys.executable, os.path.join(HERE, "awscli_runner.py")]),
    "js-sdk-v3": ("JS SDK v3", ["node", os.path.join(HERE, "js", "runner.mjs")]),
    "rust-sdk": ("Rust SDK", [os.path.join(HERE, "rust", "target", "debug", "sdk-runner")]),
}

# Probe sets whose differences are observations, not failures: real Cognito never
# sends what they send, so no answer is "right".
OBSERVE_ONLY = {
    "header-disagrees": "real Cognito sends the same type in the header and the body; "
                        "which one a client believes is an observation, not a contract",
}

# docs/clients.md's observation table: (row label, set, fixture, how to render).
OBSERVATIONS = [
    ("TooManyRequestsException, HTTP 400 (`reference/throttled`)", "reference", "throttled", "retry"),
    ("InternalErrorException, HTTP 500 (`reference/internal-error`)", "reference", "internal-error", "retry"),
    ("`__type` `aws.cognito#UserNotFoundException:http://…`, no header (`probes/namespaced-type`)",
     "namespaced-type", "namespaced-type", "surface"),
    ("HTTP 200, empty body, no content type (`probes/empty-200`)", "empty-200", "empty-200", "surface"),
    ("HTML 500 page, as moto 5.2.5 serves it (`probes/html-500/resigned-reaches-operation`)",
     "html-500", "resigned-reaches-operation", "surface"),
    ("HTML 500 page plus `x-amzn-errortype: InternalErrorException:` (`probes/html-500/html-500-typed-header`)",
     "html-500", "html-500-typed-header", "surface"),
    ("header `ResourceNotFoundException`, body `__type` `UserNotFoundException` (`probes/header-disagrees`)",
     "header-disagrees", "header-disagrees", "surface"),
    ("TooManyRequestsException in the header only, body `{\"message\":\"Rate exceeded\"}` (`probes/untyped-throttle`)",
     "untyped-throttle", "untyped-throttle", "surface"),
    ("request without DeviceKey (`reference/missing-device-key`)", "reference", "missing-device-key", "surface"),
]

GENERIC = re.compile(r"^(ClientError|CognitoIdentityProviderServiceException|Unhandled)\[(.*)\]$")


def default_sets():
    probes = sorted(os.path.join(PROBES, d) for d in os.listdir(PROBES)
                    if os.path.isdir(os.path.join(PROBES, d)) and not d.startswith("."))
    return [common.DEFAULT_SET, *probes]


def run_client(name, argv, sets, binary, out, timeout):
    """Runs one runner over every set; returns (records, exit code, seconds)."""
    cmd = [*argv, "--bin", binary]
    for s in sets:
        cmd += ["--fixtures", s]
    started = time.monotonic()
    path = os.path.join(out, f"{name}.jsonl")
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout, cwd=ROOT)
        code, stdout = done.returncode, done.stdout
    except subprocess.TimeoutExpired as e:
        code, stdout = f"timeout after {timeout} s", (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    except OSError as e:
        code, stdout = f"cannot run: {e}", ""
    open(path, "w").write(stdout)
    records = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return records, code, time.monotonic() - started


# ---- rendering ----------------------------------------------------------------

def cell_text(r):
    surfaced = r["surfaced"]
    if surfaced.startswith("client-side: "):
        surfaced = surfaced[len("client-side: "):]
    m = GENERIC.match(surfaced)
    if m:
        surfaced = m.group(2) + "†"
    surfaced = surfaced.replace("|", "\\|")
    return f"{surfaced} ({r['attempts']})"


def mark(r, observe_only):
    if r["result"] == "pass":
        return "✅"
    if r["result"] == "skip":
        return "⏭️"
    return "🔸" if observe_only else "❌"


def versions_line(clients_meta):
    parts = []
    v = clients_meta.get("boto3", {})
    if v:
        parts.append(f"boto3 {v.get('boto3')} (botocore {v.get('botocore')})")
    v = clients_meta.get("aws-cli", {})
    if v:
        text = v.get("aws-cli", "")
        cli = re.search(r"aws-cli/(\S+)", text)
        core = re.search(r"botocore/(\S+)", text)
        parts.append(f"AWS CLI {cli.group(1) if cli else '?'} (botocore {core.group(1) if core else '?'})")
    v = clients_meta.get("js-sdk-v3", {})
    if v:
        parts.append(f"`@aws-sdk/client-cognito-identity-provider` {v.get('@aws-sdk/client-cognito-identity-provider')}")
    v = clients_meta.get("rust-sdk", {})
    if v:
        parts.append(f"`aws-sdk-cognitoidentityprovider` {v.get('aws-sdk-cognitoidentityprovider')} "
                     f"(aws-config {v.get('aws-config')})")
    return " · ".join(parts)


def table(rows, clients, results, heading):
    names = [CLIENTS[c][0] for c in clients]
    out = [f"| {heading} | expected | " + " | ".join(names) + " |",
           "|---|---|" + "---|" * len(names)]
    for set_name, fixture, expected in rows:
        cells = []
        for c in clients:
            r = results.get((c, set_name, fixture))
            cells.append(f"{mark(r, set_name in OBSERVE_ONLY)} {cell_text(r)}" if r else "— (missing)")
        label = fixture if set_name == "reference" else f"{set_name}/{fixture}"
        shown = f"any error ({expected})" if expected.startswith("HTTP ") else expected
        out.append(f"| {label} | {shown} | " + " | ".join(cells) + " |")
    return out


def render_readme(clients, results, rows, clients_meta):
    ref = [row for row in rows if row[0] == "reference"]
    probes = [row for row in rows if row[0] != "reference"]
    lines = [
        "### Client conformance matrix",
        "",
        "Generated by `scripts/clients/matrix.sh` (do not edit by hand): four real AWS clients",
        "call AdminForgetDevice against `tapedeck replay --strict` for every fixture, with",
        "each SDK's default retry settings. A cell is what the caller sees, and in",
        "parentheses how many requests the server journaled for that one call (more than 1:",
        "the SDK retried). ✅ as the fixture expects · ❌ differs · ⏭️ refused before sending a",
        "request the fixture records as invalid · 🔸 differs on a probe that has no right",
        "answer · † no exception class of its own (boto3 `ClientError`, JS",
        "`CognitoIdentityProviderServiceException`, Rust `Unhandled`), matched by its code.",
        "",
        f"Clients: {versions_line(clients_meta)}.",
        "",
        *table(ref, clients, results, "reference fixture"),
        "",
        "Probes (`scripts/clients/probes/`; what they show is in [docs/clients.md](docs/clients.md)):",
        "",
        *table(probes, clients, results, "probe"),
    ]
    return "\n".join(lines)


def observation_cell(r, how):
    if r is None:
        return "—"
    n = r["attempts"]
    requests = f"{n} request" + ("s" if n != 1 else "")
    if how == "retry":
        return f"retried: {requests}" if n > 1 else f"not retried: {requests}"
    surfaced = r["surfaced"]
    if surfaced.startswith("client-side: "):
        return f"refused before sending: `{surfaced[len('client-side: '):]}`"
    m = GENERIC.match(surfaced)
    text = f"`{m.group(1)}`, code `{m.group(2)}`" if m else f"`{surfaced}`"
    return f"{text} · {requests}"


def render_docs(clients, results):
    names = [CLIENTS[c][0] for c in clients]
    out = ["| response | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, set_name, fixture, how in OBSERVATIONS:
        cells = [observation_cell(results.get((c, set_name, fixture)), how) for c in clients]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def replace_between(text, start, end, body, path):
    i, j = text.find(start), text.find(end)
    if i < 0 or j < 0 or j < i:
        raise SystemExit(f"matrix: {path} has no {start} … {end} markers")
    return text[: i + len(start)] + "\n" + body + "\n" + text[j:]


# ---- main ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="client conformance matrix")
    ap.add_argument("--bin", default=os.environ.get("TAPEDECK_BIN", common.DEFAULT_BIN))
    ap.add_argument("--set", action="append", dest="sets", metavar="DIR",
                    help="fixture sets (default: the reference set and scripts/clients/probes/*)")
    ap.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated, default all four")
    ap.add_argument("--check", action="store_true",
                    help="do not write README.md and docs/clients.md; fail if they differ from this run")
    ap.add_argument("--no-write", action="store_true", help="write nothing (for partial runs)")
    ap.add_argument("--out", help="keep each runner's JSON lines here (default: a temporary directory)")
    ap.add_argument("--jobs", type=int, default=4, help="runners at once (default 4)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per runner (default 900)")
    opts = ap.parse_args()

    clients = [c.strip() for c in opts.clients.split(",") if c.strip()]
    unknown = [c for c in clients if c not in CLIENTS]
    if unknown:
        ap.error(f"unknown client(s) {unknown}; known: {', '.join(CLIENTS)}")
    sets = opts.sets or default_sets()
    binary = os.path.abspath(opts.bin)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"matrix: {binary} is not an executable tapedeck; build it with cargo build")
    out = opts.out or tempfile.mkdtemp(prefix="tapedeck-matrix-")
    os.makedirs(out, exist_ok=True)

    # Every (set, fixture) and what it expects, from the fixtures themselves.
    rows = []
    fixtures_of = {}
    for s in sets:
        name = common.set_name(s)
        for fx in common.load_set(s):
            rows.append((name, fx["id"], common.expected_outcome(fx)))
            fixtures_of[(name, fx["id"])] = fx

    print(f"matrix: {len(rows)} fixtures in {len(sets)} sets × {len(clients)} clients; "
          f"replay: {binary}; runner output: {out}", file=sys.stderr)
    started = time.monotonic()
    runs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futures = {pool.submit(run_client, c, CLIENTS[c][1], sets, binary, out, opts.timeout): c for c in clients}
        for f in concurrent.futures.as_completed(futures):
            runs[futures[f]] = f.result()
    elapsed = time.monotonic() - started

    passed = failed = skipped = 0
    results, clients_meta, lines = {}, {}, []

    def report(status, text):
        lines.append(f"{status:4}  {text}")

    for c in clients:
        records, code, secs = runs[c]
        for r in records:
            if r.get("kind") == "client":
                clients_meta[c] = r.get("versions", {})
            elif r.get("kind") == "result":
                results[(c, r["set"], r["fixture"])] = r
        for (set_name, fixture, expected) in rows:
            r = results.get((c, set_name, fixture))
            label = f"{c:9} {set_name}/{fixture}"
            if r is None:
                failed += 1
                report("FAIL", f"{label}: no result (runner exit {code})")
            elif r["result"] == "pass":
                passed += 1
                report("ok", f"{label}: {r['surfaced']} ({r['attempts']})")
            elif r["result"] == "skip":
                skipped += 1
                report("skip", f"{label}: expected {expected}, but the client refused to send the request "
                               f"({r['surfaced']}: {r['detail'][:160]}); the fixture records it as invalid on "
                               f"purpose, so this is the documented exception")
            elif set_name in OBSERVE_ONLY:
                skipped += 1
                report("note", f"{label}: expected {expected}, surfaced {r['surfaced']} ({r['attempts']}); "
                               f"observation only: {OBSERVE_ONLY[set_name]}")
            else:
                failed += 1
                report("FAIL", f"{label}: expected {expected}, surfaced {r['surfaced']} "
                               f"({r['attempts']}): {r['detail'][:200]}")
        servers = {r["set"]: r for r in records if r.get("kind") == "server"}
        for s in sets:
            name = common.set_name(s)
            v = servers.get(name)
            label = f"{c:9} {name}: replay --strict"
            if v is None:
                failed += 1
                report("FAIL", f"{label}: no verdict (runner exit {code})")
            elif v["clean"]:
                passed += 1
                report("ok", f"{label}: {v['requests']} requests, all matched, no contract violations")
            else:
                failed += 1
                report("FAIL", f"{label}: exited {v['exit']}; requests that broke the contract:")
                for p in v["problems"][:10]:
                    lines.append("        " + json.dumps(p)[:400])
        if code not in (0, 1):
            failed += 1
            report("FAIL", f"{c:9} runner: exit {code} after {secs:.0f} s")
        else:
            lines.append(f"      {c:9} runner took {secs:.1f} s")

    readme_body = render_readme(clients, results, rows, clients_meta)
    docs_body = render_docs(clients, results)
    full = set(clients) == set(CLIENTS) and not opts.sets
    targets = [(README, "<!-- matrix:start -->", "<!-- matrix:end -->", readme_body),
               (DOCS, "<!-- observations:start -->", "<!-- observations:end -->", docs_body)]
    if opts.check:
        for path, start, end, body in targets:
            text = open(path, encoding="utf-8").read()
            if replace_between(text, start, end, body, path) == text:
                passed += 1
                report("ok", f"{os.path.relpath(path, ROOT)} is what this run generates")
            else:
                failed += 1
                report("FAIL", f"{os.path.relpath(path, ROOT)} differs from this run: run scripts/clients/matrix.sh "
                               f"and commit the result (generated text: {out}/{os.path.basename(path)})")
                open(os.path.join(out, os.path.basename(path)), "w").write(body + "\n")
    elif opts.no_write or not full:
        if not opts.no_write:
            lines.append("      (partial run: README.md and docs/clients.md left alone)")
    else:
        for path, start, end, body in targets:
            text = open(path, encoding="utf-8").read()
            new = replace_between(text, start, end, body, path)
            if new != text:
                open(path, "w", encoding="utf-8").write(new)
                lines.append(f"      wrote {os.path.relpath(path, ROOT)}")
            else:
                lines.append(f"      {os.path.relpath(path, ROOT)} unchanged")

    print("\n".join(lines))
    print()
    print("\n".join(table(rows, clients, results, "set/fixture")))
    print(f"\nmatrix: {elapsed:.1f} s for the runners")
    print(f"clients: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
