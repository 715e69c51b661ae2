#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Display latency and frame rate over the in-process SPICE path.

display-host (built in tests/unit/display) runs the embedded SPICE server
with a test pattern for a guest and the display widget in one process,
connected over vmm_spice_open_client_fd() socketpairs, as the app is. It
repaints (part of) the screen, times how long until the widget holds the
new frame, lets GTK draw it, and repeats.

Reported: the median and 95th percentile latency from the display update
(what virtio-gpu's RESOURCE_FLUSH turns into) to the widget having the
frame, for a full 1920x1080 repaint and for a 256x256 one (a typical text
or cursor update); frames per second of the back-to-back full-screen loop,
drawing included. Targets (issue 6): median latency <= 8 ms, >= 60 fps.

There is no QEMU comparison: QEMU has no in-process viewer; its SPICE
display goes over a socket to a separate remote-viewer, which is another
path, measured with other tools.

usage: bench/display.py [--build-dir _build/run] [--frames 200]
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


def run(host, display, frames, rect):
    env = dict(os.environ, DISPLAY=display, GDK_BACKEND="x11", GTK_A11Y="none", NO_AT_BRIDGE="1")
    env.pop("WAYLAND_DISPLAY", None)
    args = [host, "--width", "1920", "--height", "1080", "--bench", str(frames)]
    if rect:
        args += ["--rect-width", str(rect[0]), "--rect-height", str(rect[1])]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    lines = [line for line in r.stdout.splitlines() if line.startswith("frames ")]
    if r.returncode != 0 or not lines:
        sys.exit(f"display-host failed ({r.returncode}):\n{r.stderr[-2000:]}")
    words = lines[-1].split()
    return {words[i]: words[i + 1] for i in range(0, len(words) - 1, 2)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default="_build/run")
    p.add_argument("--frames", type=int, default=200)
    args = p.parse_args()
    host = os.path.join(args.build_dir, "tests", "unit", "display", "display-host")
    if not os.access(host, os.X_OK):
        sys.exit(f"{host} is missing: build first (meson compile -C {args.build_dir})")

    xvfb, display = start_xvfb(1920, 1080)
    try:
        full = run(host, display, args.frames, None)
        small = run(host, display, args.frames, (256, 256))
    finally:
        xvfb.terminate()
        xvfb.wait()

    load = os.getloadavg()[0]
    print(f"display: in-process SPICE, 1920x1080, {args.frames} frames each, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'update':>12} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'fps':>6}")
    for name, r in (("1920x1080", full), ("256x256", small)):
        print(f"{name:>12} {float(r['median_ms']):>10.2f} {float(r['p95_ms']):>8.2f} "
              f"{float(r['max_ms']):>8.2f} {float(r['fps']):>6.1f}")
    def verdict(ok):
        return "met" if ok else "NOT met"

    print(f"target median latency <= 8 ms: full screen {verdict(float(full['median_ms']) <= 8.0)}, "
          f"256x256 {verdict(float(small['median_ms']) <= 8.0)}; "
          f"target >= 60 fps (full-screen loop): {verdict(float(full['fps']) >= 60.0)}")
    print("QEMU comparison: not applicable (QEMU has no in-process viewer)")


if __name__ == "__main__":
    main()
