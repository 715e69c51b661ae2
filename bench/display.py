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

Targets (issue 6): median latency <= 8 ms, >= 60 frames per second.

There is no QEMU comparison: QEMU has no in-process viewer; its SPICE
display goes over a socket to a separate remote-viewer, which is another
path, measured with other tools.

usage: bench/display.py [--build-dir _build/run] [--frames 200] [--seconds 10]
"""

import argparse
import os
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
    """'latency KEY VALUE ...' or 'drawn N KEY VALUE ...' as a dict."""
    words = line.split()
    first = 1 if words[0] == "latency" else 0
    return {words[i]: words[i + 1] for i in range(first, len(words) - 1, 2)}


def run(host, display, frames, seconds, rect):
    env = dict(os.environ, DISPLAY=display, GDK_BACKEND="x11", GTK_A11Y="none", NO_AT_BRIDGE="1")
    env.pop("WAYLAND_DISPLAY", None)
    args = [host, "--width", "1920", "--height", "1080", "--bench", str(frames),
            "--seconds", str(seconds)]
    if rect:
        args += ["--rect-width", str(rect[0]), "--rect-height", str(rect[1])]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    latency = [parse(line) for line in r.stdout.splitlines() if line.startswith("latency ")]
    rate = [parse(line) for line in r.stdout.splitlines() if line.startswith("drawn ")]
    if r.returncode != 0 or not latency or (seconds > 0 and not rate):
        sys.exit(f"display-host failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return latency[-1], (rate[-1] if rate else None)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default="_build/run")
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--seconds", type=int, default=10)
    args = p.parse_args()
    host = os.path.join(args.build_dir, "tests", "unit", "display", "display-host")
    if not os.access(host, os.X_OK):
        sys.exit(f"{host} is missing: build first (meson compile -C {args.build_dir})")

    load0 = os.getloadavg()[0]
    xvfb, display = start_xvfb(1920, 1080)
    try:
        full, rate = run(host, display, args.frames, args.seconds, None)
        small, _ = run(host, display, args.frames, 0, (256, 256))
    finally:
        xvfb.terminate()
        xvfb.wait()

    load = os.getloadavg()[0]
    print(f"display: in-process SPICE, 1920x1080, {args.frames} frames each, "
          f"load average {load0:.1f} to {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'update':>12} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'CPU ms/frame':>13}")
    for name, r in (("1920x1080", full), ("256x256", small)):
        print(f"{name:>12} {float(r['median_ms']):>10.2f} {float(r['p95_ms']):>8.2f} "
              f"{float(r['max_ms']):>8.2f} {float(r['cpu_ms_per_frame']):>13.2f}")
    fps = float(rate["drawn_fps"])
    print(f"full-screen frame rate: {fps:.1f} frames drawn per second "
          f"({rate['drawn']} in {rate['seconds']} s; the guest produced "
          f"{float(rate['produced_fps']):.1f}/s), CPU {float(rate['cpu_ms_per_drawn']):.1f} ms "
          f"per frame drawn")

    def verdict(ok):
        return "met" if ok else "NOT met"

    print(f"target median latency <= 8 ms: full screen {verdict(float(full['median_ms']) <= 8.0)}, "
          f"256x256 {verdict(float(small['median_ms']) <= 8.0)}; "
          f"target >= 60 fps (full-screen): {verdict(fps >= 60.0)}")
    print("QEMU comparison: not applicable (QEMU has no in-process viewer)")


if __name__ == "__main__":
    main()
