#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The display widget under Xvfb, connected to the embedded SPICE server in
the same process (display-host): the screen must show exactly the frame the
server sent, follow an update, and the keyboard and pointer must reach the
guest's input devices.

usage: widget.py DISPLAY-HOST SCHEMAS-DIR SHOTS-DIR [--no-gl]
(--no-gl: GDK without GL, so the widget takes its GdkMemoryTexture path)"""

import os
import queue
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import uitest  # noqa: E402
from uitest import check  # noqa: E402

WIDTH, HEIGHT = 640, 480


def read_ppm(data):
    """(width, height, bytes) of a binary PPM (P6, maxval 255)."""
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    check(fields[0] == b"P6" and fields[3] == b"255", "not a P6 PPM with 8-bit channels")
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + w * h * 3]
    check(len(pixels) == w * h * 3, "short PPM")
    return w, h, pixels


class Host:
    def __init__(self, session, exe, expect):
        self.proc = subprocess.Popen(
            [exe, "--width", str(WIDTH), "--height", str(HEIGHT), "--expect", expect],
            env=session.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(os.path.join(session.tmp, "host.log"), "w"), text=True)
        session.procs.append(self.proc)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, wanted, timeout=30):
        """Waits for a line; returns the lines seen before it."""
        seen = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                check(self.proc.poll() is None, f"display-host exited ({self.proc.returncode})")
                continue
            if line == wanted:
                return seen
            seen.append(line)
        raise uitest.Failure(f"no '{wanted}' from display-host after {timeout} s; it said: {seen}")


def compare(session, shot, expect_path, origin):
    """Counts pixels of the window on the screenshot that differ from what
    the guest shows; also returns the number of distinct colours."""
    png = os.path.join(session.shots_dir, shot + ".png")
    r = subprocess.run(["convert", png, "ppm:-"], capture_output=True)
    check(r.returncode == 0, f"convert failed: {r.stderr}")
    sw, sh, screen = read_ppm(r.stdout)
    with open(expect_path, "rb") as f:
        ew, eh, expected = read_ppm(f.read())
    check((ew, eh) == (WIDTH, HEIGHT), f"expected frame is {ew}x{eh}")
    ox, oy = origin
    check(ox + ew <= sw and oy + eh <= sh, "the window is not on the screen")
    bad = 0
    first = None
    for y in range(eh):
        row = (oy + y) * sw * 3 + ox * 3
        got = screen[row:row + ew * 3]
        want = expected[y * ew * 3:(y + 1) * ew * 3]
        if got != want:
            for x in range(ew):
                if got[3 * x:3 * x + 3] != want[3 * x:3 * x + 3]:
                    bad += 1
                    if first is None:
                        first = (x, y, got[3 * x:3 * x + 3].hex(), want[3 * x:3 * x + 3].hex())
    return bad, first


def main():
    exe, schemas, shots = (os.path.abspath(a) for a in sys.argv[1:4])
    no_gl = "--no-gl" in sys.argv[4:]
    session = uitest.Session(exe, schemas, shots, width=1024, height=768)
    shots_prefix = "display-widget"
    if no_gl:
        session.env["GDK_DEBUG"] = "gl-disable"
        shots_prefix = "display-widget-nogl"
    tap = uitest.Tap()
    expect = os.path.join(session.tmp, "expect.ppm")
    state = {}

    def starts():
        state["host"] = Host(session, exe, expect)
        seen = state["host"].expect("frame 1")
        # Unasked, the widget asks the guest for its own size.
        check(f"size {WIDTH} {HEIGHT}" in seen, f"no size request for {WIDTH}x{HEIGHT}: {seen}")
        state["win"] = session.wait_window("Vireo display test", proc=state["host"].proc)
        r = session.run(["xdotool", "getwindowgeometry", "--shell", state["win"]])
        g = dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)
        state["origin"] = (int(g["X"]), int(g["Y"]))
        check((int(g["WIDTH"]), int(g["HEIGHT"])) == (WIDTH, HEIGHT),
              f"window is {g['WIDTH']}x{g['HEIGHT']}, not {WIDTH}x{HEIGHT}")

    def shows_frame(shot):
        colours = session.screenshot(shot)
        check(colours > 1000, f"the screen shows {colours} colours: blank")
        bad, first = compare(session, shot, expect, state["origin"])
        check(bad == 0, f"{bad} pixels differ from the guest's frame; first at {first}"
                        " (x, y, shown, expected)")

    def follows_update():
        state["host"].send("next")
        state["host"].expect("frame 2")
        shows_frame(shots_prefix + "-2")

    def pointer_and_keys():
        host, win = state["host"], state["win"]
        ox, oy = state["origin"]
        session.run(["xdotool", "mousemove", str(ox + 100), str(oy + 50)])
        session.run(["xdotool", "click", "1"])
        host.expect("pointer 100 50 1")
        host.expect("pointer 100 50 0")
        session.run(["xdotool", "mousemove", str(ox + 300), str(oy + 200)])
        session.run(["xdotool", "click", "3"])
        host.expect("pointer 300 200 4")
        host.expect("pointer 300 200 0")
        session.run(["xdotool", "click", "5"])
        host.expect("wheel 1")
        # The click gave the guest the keyboard: a, then Up (an e0 key).
        session.run(["xdotool", "key", "--window", win, "a", "Up"])
        seen = host.expect("key e048 0")
        check(seen[-3:] == ["key 1e 1", "key 1e 0", "key e048 1"], f"keys arrived as {seen}")
        # Ctrl+Alt gives the keyboard back: the guest sees both released
        # and then nothing more.
        session.run(["xdotool", "key", "--window", win, "ctrl+alt"])
        time.sleep(0.5)
        session.run(["xdotool", "key", "--window", win, "b"])
        time.sleep(0.5)
        rest = []
        while not host.lines.empty():
            rest.append(host.lines.get())
        check("key 30 1" not in rest, f"the guest got a key after Ctrl+Alt: {rest}")
        check("key 1d 0" in rest, f"Ctrl was not released in the guest: {rest}")

    def keeps_aspect_and_asks_for_size():
        # Wider than the guest: the widget asks the guest for its new size,
        # and until the guest changes mode shows the frame 1:1 in the
        # middle with black bars, not stretched.
        host, win = state["host"], state["win"]
        session.run(["xdotool", "windowsize", win, str(WIDTH + 320), str(HEIGHT)])
        host.expect(f"size {WIDTH + 320} {HEIGHT}")
        time.sleep(1.0)
        ox, oy = state["origin"]
        session.screenshot(shots_prefix + "-wide")
        bad, first = compare(session, shots_prefix + "-wide", expect, (ox + 160, oy))
        check(bad == 0, f"{bad} pixels of the centred frame differ; first at {first}")
        png = os.path.join(session.shots_dir, shots_prefix + "-wide.png")
        r = subprocess.run(["convert", png, "-crop", f"150x{HEIGHT}+{ox + 5}+{oy}", "-format",
                            "%[fx:maxima]", "info:"], capture_output=True, text=True)
        check(r.returncode == 0 and float(r.stdout.strip() or 1) == 0.0,
              f"the bar left of the frame is not black ({r.stdout.strip()})")

    def quits_while_linking():
        # An app that quits right after connecting: the widget is told to
        # disconnect while its display channel is still linking. Neither
        # spice-client-glib nor spice-server may complain (under
        # G_DEBUG=fatal-warnings, as the ui tier runs the app, that would
        # abort), the widget must not claim to be connected before the
        # display channel has linked, and a new connection must work.
        # display-host reports every warning itself. spice-server's
        # "Connection reset by peer" follows any client that closes a
        # linked channel with messages it has not read yet (the kernel
        # resets a unix socket closed with unread data); that is every
        # disconnect, not linking, and is not what this step is about.
        env = dict(session.env)
        env.pop("G_DEBUG", None)
        r = subprocess.run([exe, "--width", str(WIDTH), "--height", str(HEIGHT),
                            "--quit-while-linking"], env=env, capture_output=True, text=True,
                           timeout=120)
        lines = r.stdout.splitlines()
        check(r.returncode == 0 and "done" in lines,
              f"display-host exited with {r.returncode}: {lines} {r.stderr[-1500:]}")
        check("connected-early" not in lines,
              "the widget said it was connected before its display channel had linked")
        check("connected-after-disconnect" not in lines, "still connected after disconnecting")
        check("reconnected" in lines, f"no new connection after the early disconnect: {lines}")
        before = lines[:lines.index("reconnected")]
        warnings = [line for line in before if line.startswith("warning:")
                    and line != "warning: Spice: Connection reset by peer"]
        check(not warnings, f"disconnecting while linking logged: {warnings}")

    def pointer_scales_with_frame():
        # The guest's 32x32 pointer is drawn at the frame's scale: full size
        # while the guest is shown 1:1, half size in a window half as large.
        host, win = state["host"], state["win"]
        session.run(["xdotool", "windowsize", win, str(WIDTH), str(HEIGHT)])
        time.sleep(1.0)
        host.send("cursor")
        host.expect("cursor 32 32 8 4")
        session.run(["xdotool", "windowsize", win, str(WIDTH // 2), str(HEIGHT // 2)])
        host.expect("cursor 16 16 4 2")

    def drain(host, seconds=0.5):
        time.sleep(seconds)
        rest = []
        while not host.lines.empty():
            rest.append(host.lines.get())
        return rest

    def motions(lines):
        """(dx, dy, button lines) summed over the relative motion seen."""
        dx = dy = 0
        buttons = []
        for line in lines:
            f = line.split()
            if f[0] == "motion":
                dx += int(f[1])
                dy += int(f[2])
                if f[1:4] == ["0", "0", "0"]:
                    buttons.append(int(f[4]))
        return dx, dy, buttons

    def relative_mouse():
        # A guest without the USB tablet: the server switches the widget
        # to server mouse mode. Nothing moves the guest's pointer until a
        # click captures it; that click is not the guest's. The window is
        # still half the guest's size, so one widget pixel is two guest
        # pixels.
        host, win = state["host"], state["win"]
        ox, oy = state["origin"]
        session.run(["xdotool", "mousemove", str(ox + 100), str(oy + 100)])
        drain(host)
        host.send("relative")
        host.expect("relative 1")
        session.run(["xdotool", "mousemove", str(ox + 120), str(oy + 110)])
        rest = drain(host)
        check(not [line for line in rest if line.startswith(("motion", "pointer"))],
              f"the guest's pointer moved before the click captured it: {rest}")
        session.run(["xdotool", "click", "1"])
        host.expect("captured 1")
        # Right 30 and up 15 widget pixels, in three moves.
        for x, y in ((130, 105), (140, 100), (150, 95)):
            session.run(["xdotool", "mousemove", str(ox + x), str(oy + y)])
        session.run(["xdotool", "click", "3"])
        seen = host.expect("motion 0 0 0 0")
        dx, dy, buttons = motions(seen)
        check(not [line for line in seen if line.startswith("pointer")],
              f"absolute positions in server mode: {seen}")
        check(55 <= dx <= 65 and -33 <= dy <= -27,
              f"relative motion ({dx}, {dy}) for (+30, -15) widget pixels at scale 2: {seen}")
        check(buttons == [4], f"the right click arrived as {buttons}: {seen}")
        # Ctrl+Alt gives back the pointer along with the keyboard.
        session.run(["xdotool", "key", "--window", win, "ctrl+alt"])
        host.expect("captured 0")
        session.run(["xdotool", "mousemove", str(ox + 60), str(oy + 60)])
        rest = drain(host)
        check(not [line for line in rest if line.startswith(("motion", "pointer"))],
              f"the guest's pointer moved after Ctrl+Alt: {rest}")
        # The guest's tablet driver is back: absolute positions again.
        host.send("absolute")
        host.expect("relative 0")
        session.run(["xdotool", "mousemove", str(ox + 50), str(oy + 40)])
        host.expect("pointer 100 80 0")

    try:
        tap.step("disconnecting while the channels link is quiet, and reconnecting works",
                 quits_while_linking)
        if tap.step("the widget connects over a socketpair and shows a frame", starts):
            tap.step("the screen shows exactly the frame the server sent",
                     shows_frame, shots_prefix + "-1")
            tap.step("a dirty rectangle reaches the screen", follows_update)
            tap.step("pointer, buttons, wheel and keys reach the guest", pointer_and_keys)
            tap.step("a wider window keeps the aspect ratio and asks the guest for its size",
                     keeps_aspect_and_asks_for_size)
            tap.step("the guest's pointer is scaled with the frame", pointer_scales_with_frame)
            tap.step("without a tablet, a click captures the pointer for relative motion"
                     " and Ctrl+Alt releases it", relative_mouse)
    finally:
        session.close()
    tap.done()


if __name__ == "__main__":
    main()
