#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Display latency and frame rate over the in-process SPICE path.

display-host (built in tests/unit/display) runs the embedded SPICE server
with a test pattern for a guest and the display widget in one process,
connected over vmm_spice_open_client_fd() socketpairs, as the app is.

Latency: it repaints (part of) the screen, times how long until the widget
holds the new frame (its frame-updated signal: the client has the pixels
and a draw is queued), lets GTK draw, and repeats. Reported: median and
95th percentile, for a full 1920x1080 repaint and for a 256x256 one (a
typical text or cursor update), and the CPU time of the whole process per
frame (every thread: server, client, widget, GL), which a loaded machine
changes far less than the wall-clock times.

Frame rate: a producer thread repaints the full screen as a guest would,
as fast as it can up to 120 times a second, while GTK draws; reported is
the number of new frames GTK drew per second (paints that followed a new
frame), and the process's CPU time per frame drawn. GTK paints at most at
its frame clock's rate (60 Hz here), so 60 is the ceiling.

Per thread: the CPU time per frame of every group of threads (the main
thread, which runs GTK, spice-client-glib and the widget; spice-server's
"SPICE Worker"; Mesa's llvmpipe-N rasterizer threads; the producer, which
plays the guest; "vireo-spice", the server's own main loop) and their
minor page faults per frame. The stages run on different threads, so the
frame rate is bounded by the busiest one (with its waits: GTK's main
thread waits for llvmpipe to finish drawing), not by the sum.

With --baseline-build-dir, a second tree's display-host (the "before")
runs alternately with this one, --repeat times each, in the same run: on a
shared machine only what ran side by side compares.

Targets (issue 6): median latency <= 8 ms, >= 60 frames per second.

There is no QEMU comparison: QEMU has no in-process viewer; its SPICE
display goes over a socket to a separate remote-viewer, which is another
path, measured with other tools.

usage: bench/display.py [--build-dir _build/run] [--frames 200] [--seconds 10]
                        [--baseline-build-dir DIR] [--repeat N] [--no-window-background]
"""

import argparse
import os
import statistics
import subprocess
import sys


def start_xvfb(width, height):
    r, w = os.pipe()
    x = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24",
                          "-nolisten", "tcp", "-noreset"],
                         pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        display = f.readline().strip()
    if not display:
        sys.exit("Xvfb did not start")
    return x, ":" + display


def parse(line):
    """'latency KEY VALUE ...', 'drawn N KEY VALUE ...', 'threads PHASE KEY
    VALUE ...' or 'faults PHASE KEY VALUE ...' as a dict."""
    words = line.split()
    first = 0 if words[0] == "drawn" else 1
    if words[0] in ("threads", "faults"):
        first = 2
    return {words[i]: words[i + 1] for i in range(first, len(words) - 1, 2)}


def phase_lines(lines, kind, phase):
    return [parse(line) for line in lines if line.startswith(f"{kind} {phase}")]


def run(host, display, frames, seconds, rect, no_background):
    env = dict(os.environ, DISPLAY=display, GDK_BACKEND="x11", GTK_A11Y="none", NO_AT_BRIDGE="1")
    env.pop("WAYLAND_DISPLAY", None)
    args = [host, "--width", "1920", "--height", "1080", "--bench", str(frames),
            "--seconds", str(seconds)]
    if rect:
        args += ["--rect-width", str(rect[0]), "--rect-height", str(rect[1])]
    if no_background:
        args += ["--no-window-background"]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    lines = r.stdout.splitlines()
    latency = [parse(line) for line in lines if line.startswith("latency ")]
    rate = [parse(line) for line in lines if line.startswith("drawn ")]
    if r.returncode != 0 or not latency or (seconds > 0 and not rate):
        sys.exit(f"display-host failed ({r.returncode}):\n{r.stderr[-2000:]}")
    result = {"latency": latency[-1], "rate": rate[-1] if rate else None}
    for phase in ("latency", "rate"):
        threads = phase_lines(lines, "threads", phase)
        faults = phase_lines(lines, "faults", phase)
        result[f"threads_{phase}"] = threads[-1] if threads else {}
        result[f"faults_{phase}"] = faults[-1] if faults else {}
    return result


def median_of(runs, key, field):
    values = [float(r[key][field]) for r in runs if r[key] and field in r[key]]
    return statistics.median(values) if values else 0.0


def print_threads(name, runs, phase, unit):
    """One line per group of threads: CPU ms per frame (median over the
    runs) and minor page faults per frame."""
    groups = sorted({g for r in runs for g in r[f"threads_{phase}"]} - {"frames", "process_ms"})
    print(f"  {name}, {unit}: process {median_of(runs, f'threads_{phase}', 'process_ms'):.2f} ms")
    for g in sorted(groups, key=lambda g: -median_of(runs, f"threads_{phase}", g)):
        ms = statistics.median(float(r[f"threads_{phase}"].get(g, 0)) for r in runs)
        faults = statistics.median(float(r[f"faults_{phase}"].get(g, 0)) for r in runs)
        if ms >= 0.05:
            print(f"    {g:<16} {ms:7.2f} ms {faults:6.0f} faults")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default="_build/run")
    p.add_argument("--baseline-build-dir", help="a second tree's build dir to run alternately (before)")
    p.add_argument("--repeat", type=int, default=1, help="runs of each tree")
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--no-window-background", action="store_true",
                   help="no window background under the widget (what it costs GTK to draw)")
    args = p.parse_args()
    trees = [("after" if args.baseline_build_dir else "this", args.build_dir)]
    if args.baseline_build_dir:
        trees.insert(0, ("before", args.baseline_build_dir))
    hosts = []
    for name, build in trees:
        host = os.path.join(build, "tests", "unit", "display", "display-host")
        if not os.access(host, os.X_OK):
            sys.exit(f"{host} is missing: build first (meson compile -C {build} display-host)")
        hosts.append((name, host))

    load0 = os.getloadavg()[0]
    xvfb, display = start_xvfb(1920, 1080)
    results = {name: {"full": [], "small": []} for name, _ in hosts}
    try:
        for _ in range(args.repeat):
            for name, host in hosts:
                results[name]["full"].append(
                    run(host, display, args.frames, args.seconds, None, args.no_window_background))
                results[name]["small"].append(
                    run(host, display, args.frames, 0, (256, 256), args.no_window_background))
    finally:
        xvfb.terminate()
        xvfb.wait()

    load = os.getloadavg()[0]
    print(f"display: in-process SPICE, 1920x1080, {args.frames} frames each, {args.repeat} run(s) "
          f"of each tree (medians over runs), load average {load0:.1f} to {load:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'tree':>6} {'update':>10} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} "
          f"{'CPU ms/frame':>13} {'drawn/s':>8} {'CPU ms/drawn':>13}")
    for name, _ in hosts:
        for kind, label in (("full", "1920x1080"), ("small", "256x256")):
            runs = results[name][kind]
            row = (f"{name:>6} {label:>10} {median_of(runs, 'latency', 'median_ms'):>10.2f} "
                   f"{median_of(runs, 'latency', 'p95_ms'):>8.2f} "
                   f"{median_of(runs, 'latency', 'max_ms'):>8.2f} "
                   f"{median_of(runs, 'latency', 'cpu_ms_per_frame'):>13.2f}")
            if kind == "full" and args.seconds > 0:
                row += (f" {median_of(runs, 'rate', 'drawn_fps'):>8.1f} "
                        f"{median_of(runs, 'rate', 'cpu_ms_per_drawn'):>13.2f}")
            print(row)
    print("CPU time per frame by thread (full screen):")
    for name, _ in hosts:
        runs = results[name]["full"]
        print_threads(name, runs, "latency", "latency loop, per frame")
        if args.seconds > 0:
            print_threads(name, runs, "rate", "frame-rate loop, per frame drawn")

    def verdict(ok):
        return "met" if ok else "NOT met"

    name = hosts[-1][0]
    full = median_of(results[name]["full"], "latency", "median_ms")
    small = median_of(results[name]["small"], "latency", "median_ms")
    print(f"{name}: target median latency <= 8 ms: full screen {verdict(full <= 8.0)}, "
          f"256x256 {verdict(small <= 8.0)}", end="")
    if args.seconds > 0:
        fps = median_of(results[name]["full"], "rate", "drawn_fps")
        print(f"; target >= 60 fps (full-screen): {verdict(fps >= 60.0)}")
    else:
        print()
    print("QEMU comparison: not applicable (QEMU has no in-process viewer)")


if __name__ == "__main__":
    main()
