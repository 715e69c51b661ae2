#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ui smoke test: Vireo starts under Xvfb, shows its main window at the
saved size, is a single instance, opens its secondary windows, saves a new
size, and quits through app.quit, with no GLib/GTK warning on the way
(G_DEBUG=fatal-warnings turns one into a crash, which fails the test).

usage: smoke.py VIREO SCHEMAS_DIR SCREENSHOTS_DIR VERSION"""

import sys
import time

from uitest import Session, Tap, check

vireo, schemas, shots, version = sys.argv[1:5]
tap = Tap()
s = Session(vireo, schemas, shots)
state = {}


def version_flag():
    r = s.run([vireo, "--version"], timeout=30)
    check(r.returncode == 0, f"--version exited {r.returncode}: {r.stderr}")
    check(r.stdout.strip() == f"Vireo {version}", f"--version printed {r.stdout!r}")


def main_window():
    s.write_settings({"window-width": "820", "window-height": "610"})
    state["proc"] = p = s.start_vireo()
    state["win"] = w = s.wait_window("^Vireo$", timeout=120, proc=p)
    size = s.geometry(w)
    check(size == (820, 610), f"window is {size[0]}x{size[1]}, the saved size is 820x610")
    colours = s.screenshot_drawn("main-window")
    check(colours > 16, f"the screen looks blank ({colours} colours)")


def single_instance():
    r = s.run([vireo], timeout=30)
    check(r.returncode == 0, f"a second vireo exited {r.returncode}: {r.stdout}{r.stderr}")
    time.sleep(1)
    n = len(s.windows("^Vireo$"))
    check(n == 1, f"{n} main windows after starting vireo twice; the second should activate the first")
    check(state["proc"].poll() is None, "the first instance exited")


def secondary_window(keys, title, shot):
    def run():
        s.key(state["win"], *keys)
        w = s.wait_window(title, proc=state["proc"])
        colours = s.screenshot_drawn(shot)
        check(colours > 16, f"the {title} window looks blank ({colours} colours)")
        s.key(w, "Escape")
        s.wait_no_window(title)
    return run


def dark_style():
    w = state["win"]
    s.key(w, "ctrl+comma")
    prefs = s.wait_window("Preferences", proc=state["proc"])
    # The style row has the focus: open its list, pick the third item (Dark).
    s.key(prefs, "Return", "Down", "Down", "Return")
    end = time.monotonic() + 10
    while s.read_settings().get("color-scheme") != "'dark'" and time.monotonic() < end:
        time.sleep(0.3)
    check(s.read_settings().get("color-scheme") == "'dark'",
          f"choosing Dark was not saved: {s.read_settings()}")
    end = time.monotonic() + 15
    while True:
        s.screenshot("preferences-dark")
        level = s.brightness("preferences-dark")
        if level < 0.4 or time.monotonic() > end:
            break
        time.sleep(0.5)
    check(level < 0.4, f"the window is not dark after choosing Dark (brightness {level:.2f})")
    s.key(prefs, "Escape")
    s.wait_no_window("Preferences")


def resize_and_quit():
    p = state["proc"]
    s.run(["xdotool", "windowsize", state["win"], "900", "650"])
    end = time.monotonic() + 10
    while s.geometry(state["win"]) != (900, 650) and time.monotonic() < end:
        time.sleep(0.2)
    time.sleep(1)
    s.action("quit")
    status = s.wait_exit(p)
    log = s.log_of(p)
    check(status == 0, f"vireo exited with status {status}:\n{log}")
    for bad in ("-WARNING **", "-CRITICAL **", "runtime error:", "ERROR: AddressSanitizer"):
        check(bad not in log, f"vireo logged a problem:\n{log}")
    saved = s.read_settings()
    check(saved.get("window-width") == "900" and saved.get("window-height") == "650",
          f"the new size was not saved: {saved}")


try:
    tap.step("vireo --version prints the version", version_flag)
    if tap.step("the main window opens at the saved size and is not blank", main_window):
        tap.step("a second vireo activates the first instance", single_instance)
        tap.step("Keyboard Shortcuts opens and closes",
                 secondary_window(["ctrl+question"], "Shortcuts", "shortcuts"))
        tap.step("Preferences opens and closes",
                 secondary_window(["ctrl+comma"], "Preferences", "preferences"))
        tap.step("About Vireo opens and closes", secondary_window(["F10", "Up", "Return"], "About", "about"))
        tap.step("choosing the Dark style applies at once and is saved", dark_style)
        tap.step("a resized window's size is saved and app.quit exits cleanly", resize_and_quit)
finally:
    s.close()
tap.done()
