#!/usr/bin/env python3
"""Sums meson's testlog.json over every tier into the one line `make check`
ends with: "N passed, N failed[, N skipped]". Exits 1 when anything failed
or when no test ran at all (an empty run is never a green one)."""
import collections
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}

def main(path):
    per_suite = collections.defaultdict(lambda: [0, 0, 0])
    failed_names = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = [l for l in f if l.strip()]
    except OSError as e:
        print(f"no test log at {path}: {e}")
        lines = []
    for line in lines:
        t = json.loads(line)
        # Names read "project:suite+suite / test"; the tier is the first
        # suite that names one (a fuzz target is in both unit and fuzz).
        head = t["name"].split(" / ")[0]
        suites = head.split(":", 1)[-1].split("+")
        tier = next((s for s in suites if s in
                     ("unit", "kvm", "lab", "ui", "interop", "data", "fuzz")), suites[0])
        r = t["result"]
        if r in PASS:
            per_suite[tier][0] += 1
        elif r in SKIP:
            per_suite[tier][2] += 1
        else:
            per_suite[tier][1] += 1
            failed_names.append(f"{tier}: {t['name']} ({r})")
    print()
    print("tier       passed failed skipped")
    for tier in sorted(per_suite):
        p, f, s = per_suite[tier]
        print(f"{tier:10} {p:6} {f:6} {s:7}")
    for n in failed_names:
        print(f"FAILED {n}")
    passed = sum(v[0] for v in per_suite.values())
    failed = sum(v[1] for v in per_suite.values())
    skipped = sum(v[2] for v in per_suite.values())
    if passed + failed == 0:
        failed = max(failed, 1)
        print("no test ran")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "_build/check/meson-logs/testlog.json"))
