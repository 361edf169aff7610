#!/usr/bin/env python3
"""Verdicts for scripts/soak.sh. Standard library only.

    check.py rss SAMPLES_FILE
        SAMPLES_FILE holds one VmRSS value in kB per line, one per second,
        taken during the measured window (after warm-up). Compares the median
        of the first quartile with the median of the last; fails when the
        growth exceeds the bound (see BOUND below).

    check.py proxy RESULTS_JSON OUT_DIR
        Every completed exchange (the client got the upstream's answer) is
        recorded exactly once; no failed exchange (502) is recorded; no error;
        no partial, temporary or stray file in OUT_DIR; every file a whole
        fixture (re-serialised canonically it is byte-identical).

Each check prints "ok: ..." or "FAIL: ..." and the exit status is the number
of failures.
"""
import json
import os
import statistics
import sys

# RSS bound. The replay server's memory is bounded by design: the fixtures
# are prepared once at start, and the journal keeps a fixed window of the
# most recent 10,000 entries (plus counters). soak.sh warms up until that
# window is full (the journal reports dropped entries), so in the measured
# window the working set should be flat; what remains is allocator noise
# (glibc arenas, the buffers of 256 connections reused as they cycle).
# Measured here with a debug build under wrk: 12,000-28,000 requests/s, RSS about
# 44 MiB, growth between the quartiles under 1 MiB (+0.2 MiB over 60 s).
# The bound, 8 MiB plus 10% of the starting RSS (~12 MiB), is far above that
# noise and below what a per-request leak adds between the quartile
# midpoints: at 10,000 requests/s, 45 s apart in the 60 s run, a leak of 30
# bytes per request already exceeds it; in the 10 s --short run (7.5 s
# apart) leaks from ~170 bytes per request are caught.
BOUND_KB = 8 * 1024
BOUND_FRACTION = 0.10


def rss(path):
    samples = [int(line.split()[0]) for line in open(path) if line.strip()]
    if len(samples) < 8:
        print(f"FAIL: rss: only {len(samples)} samples")
        return 1
    q = len(samples) // 4
    first, last = statistics.median(samples[:q]), statistics.median(samples[-q:])
    growth = last - first
    bound = BOUND_KB + BOUND_FRACTION * first
    verdict = "ok" if growth <= bound else "FAIL"
    print(
        f"{verdict}: rss flat: first quartile {first / 1024:.1f} MiB, last quartile "
        f"{last / 1024:.1f} MiB, growth {growth / 1024:+.1f} MiB (bound {bound / 1024:.1f} MiB; "
        f"{len(samples)} samples, min {min(samples) / 1024:.1f}, max {max(samples) / 1024:.1f} MiB)"
    )
    return 0 if verdict == "ok" else 1


def proxy(results_path, out_dir):
    failures = 0
    r = json.load(open(results_path))
    completed, failed, errors = r["completed"], r["failed"], r["errors"]

    def verdict(ok, text):
        nonlocal failures
        print(("ok: " if ok else "FAIL: ") + text)
        failures += 0 if ok else 1

    verdict(not errors, f"proxy: no client-side errors ({len(errors)}{': ' + '; '.join(errors[:5]) if errors else ''})")
    verdict(len(completed) > 0 and len(failed) > 0,
            f"proxy: both outcomes happened: {len(completed)} completed, {len(failed)} reset by the upstream")

    recorded = {}
    stray, broken = [], []
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        if name.startswith(".") or not name.endswith(".json") or not os.path.isfile(path):
            stray.append(name)
            continue
        text = open(path, encoding="utf-8").read()
        try:
            fixture = json.loads(text)
        except ValueError as e:
            broken.append(f"{name}: {e}")
            continue
        if json.dumps(fixture, indent=2, ensure_ascii=False) + "\n" != text:
            broken.append(f"{name}: not in canonical form (truncated or rewritten?)")
        user = fixture.get("variables", {}).get("username")
        recorded.setdefault(user, []).append(name)
    verdict(not stray, f"proxy: no partial, temporary or stray files ({len(stray)}: {stray[:5]})")
    verdict(not broken, f"proxy: every file is a whole fixture ({len(broken)} broken: {broken[:3]})")

    twice = {u: n for u, n in recorded.items() if len(n) > 1}
    missing = sorted(set(completed) - set(recorded))
    failed_recorded = sorted(set(failed) & set(recorded))
    unexplained = sorted(set(recorded) - set(completed))
    verdict(not missing, f"proxy: every completed exchange is recorded ({len(completed)} completed, {len(missing)} missing: {missing[:5]})")
    verdict(not twice, f"proxy: ... exactly once ({len(twice)} recorded more than once: {list(twice.items())[:3]})")
    verdict(not failed_recorded, f"proxy: no reset exchange is recorded ({len(failed_recorded)}: {failed_recorded[:5]})")
    verdict(not unexplained, f"proxy: nothing else is recorded ({len(unexplained)}: {unexplained[:5]})")
    return failures


if __name__ == "__main__":
    if sys.argv[1:2] == ["rss"]:
        sys.exit(rss(sys.argv[2]))
    if sys.argv[1:2] == ["proxy"]:
        sys.exit(proxy(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
