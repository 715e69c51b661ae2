#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A private desktop session for ui tests: an Xvfb server, a D-Bus session
bus, and throw-away XDG folders, so a test sees a first-run Vireo and never
touches the user's settings or machines. Helpers to wait for windows, drive
actions over D-Bus (GtkApplication exports them there) and take
screenshots the way a user would see the screen."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

APP_ID = "dev.vireo.Vireo"
OBJECT_PATH = "/dev/vireo/Vireo"


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def gvariant_string(text):
    """TEXT as a GVariant string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Session:
    def __init__(self, vireo, schemas_dir, shots_dir, width=1280, height=800):
        self.vireo = vireo
        self.shots_dir = shots_dir
        os.makedirs(shots_dir, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="vireo-ui-")
        self.procs = []
        home = os.path.join(self.tmp, "home")
        runtime = os.path.join(self.tmp, "runtime")
        for d in (home, runtime):
            os.makedirs(d, mode=0o700)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local/share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_RUNTIME_DIR": runtime,
            "GSETTINGS_BACKEND": "keyfile",
            "GSETTINGS_SCHEMA_DIR": schemas_dir,
            # Any GLib/GTK warning or critical aborts the app: the test
            # then fails on its exit status.
            "G_DEBUG": "fatal-warnings",
            "GDK_BACKEND": "x11",
            "GTK_A11Y": "none",
            "NO_AT_BRIDGE": "1",
            "LIBGL_ALWAYS_SOFTWARE": "1",
            # GTK and fontconfig keep caches for the life of the process;
            # they are not leaks of ours, and LSan would fail every run.
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
            "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
            # Adds app.test-window-action, which reaches the window's own
            # actions (GTK does not export those over D-Bus).
            "VIREO_UI_TEST": "1",
        }
        self._start_x(width, height)
        self._start_dbus()

    def _start_x(self, width, height):
        r, w = os.pipe()
        x = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        self.procs.append(x)
        with os.fdopen(r) as f:
            display = f.readline().strip()
        check(display, "Xvfb did not start")
        self.env["DISPLAY"] = ":" + display

    def _start_dbus(self):
        d = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env, text=True)
        self.procs.append(d)
        addr = d.stdout.readline().strip()
        check(addr, "dbus-daemon did not start")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = addr

    def write_settings(self, values):
        """Seeds the keyfile GSettings backend as a previous run would have."""
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "glib-2.0", "settings")
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "keyfile"), "w") as f:
            f.write("[dev/vireo/Vireo]\n")
            for k, v in values.items():
                f.write(f"{k}={v}\n")

    def read_settings(self):
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
        out = {}
        if os.path.exists(path):
            for line in open(path):
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    out[k] = v
        return out

    def run(self, args, timeout=60):
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=timeout)

    def start_vireo(self, *args, wrapper=()):
        """Starts vireo with ARGS; WRAPPER is a command that ends by
        exec'ing its arguments (so the process is still vireo's)."""
        log = open(os.path.join(self.tmp, "vireo.log"), "w+")
        p = subprocess.Popen([*wrapper, self.vireo, *args], env=self.env, stdout=log,
                             stderr=subprocess.STDOUT)
        p.log = log
        self.procs.append(p)
        return p

    def windows(self, name):
        r = self.run(["xdotool", "search", "--onlyvisible", "--name", name])
        return [w for w in r.stdout.split() if w]

    def wait_window(self, name, timeout=30, proc=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                raise Failure(f"vireo exited with status {proc.returncode} before showing '{name}':\n"
                              + self.log_of(proc))
            w = self.windows(name)
            if w:
                # Let GTK finish its first frames before anyone looks.
                time.sleep(1.5)
                return w[0]
            time.sleep(0.3)
        tree = self.run(["xwininfo", "-root", "-children"]).stdout
        raise Failure(f"no window named '{name}' after {timeout} s; the screen has:\n{tree}")

    def wait_no_window(self, name, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.windows(name):
                return
            time.sleep(0.3)
        raise Failure(f"window '{name}' still shown after {timeout} s")

    def geometry(self, win):
        r = self.run(["xdotool", "getwindowgeometry", "--shell", win])
        g = dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)
        return int(g["WIDTH"]), int(g["HEIGHT"])

    def action(self, name, window=None, timeout=30):
        """Activates app.NAME, or win.NAME on window N (GtkApplicationWindow
        exports its actions at <base path>/window/<id>)."""
        path = OBJECT_PATH if window is None else f"{OBJECT_PATH}/window/{window}"
        r = self.run(["gdbus", "call", "--session", "--dest", APP_ID, "--object-path", path,
                      "--method", "org.gtk.Actions.Activate", name, "[]", "{}"], timeout=timeout)
        check(r.returncode == 0, f"activating {name} failed: {r.stderr.strip()}")

    def app_action(self, name, param, timeout=30):
        """Activates app.NAME with PARAM, a GVariant in text form."""
        r = self.run(["gdbus", "call", "--session", "--dest", APP_ID, "--object-path", OBJECT_PATH,
                      "--method", "org.gtk.Actions.Activate", name, f"[<{param}>]", "{}"],
                     timeout=timeout)
        check(r.returncode == 0, f"activating {name} failed: {r.stderr.strip()}")

    def window_action(self, name, target="", timeout=30):
        """Activates the window action NAME (e.g. win.machine-start) with
        TARGET, a GVariant in text form ('' for none), through the test
        hook app.test-window-action."""
        param = "<(%s, %s)>" % (gvariant_string(name), gvariant_string(target))
        r = self.run(["gdbus", "call", "--session", "--dest", APP_ID, "--object-path", OBJECT_PATH,
                      "--method", "org.gtk.Actions.Activate", "test-window-action",
                      f"[{param}]", "{}"], timeout=timeout)
        check(r.returncode == 0, f"activating {name} failed: {r.stderr.strip()}")

    def dump(self):
        """What the window shows, from win.test-dump: a dict of lists
        (page, library, search-mode, search, card, console, toast, banner,
        dialog); each card is (uuid, state, name)."""
        path = os.path.join(self.tmp, "dump.txt")
        if os.path.exists(path):
            os.unlink(path)
        self.window_action("win.test-dump", gvariant_string(path))
        end = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < end:
            time.sleep(0.1)
        check(os.path.exists(path), "the window did not write its state")
        out = {}
        for line in open(path, encoding="utf-8"):
            k, v = line.rstrip("\n").split("=", 1)
            out.setdefault(k, []).append(tuple(v.split("|", 2)) if k == "card" else v)
        return out

    def wait_dump(self, pred, what, timeout=30):
        """Polls dump() until pred(dump) holds; fails with the last dump."""
        end = time.monotonic() + timeout
        while True:
            d = self.dump()
            if pred(d):
                return d
            if time.monotonic() > end:
                raise Failure(f"{what} not seen after {timeout} s; the window shows {d}")
            time.sleep(0.3)

    def key(self, win, *keys):
        """Types keys into WIN as a user would: focus, then XTEST events
        (GTK ignores the synthetic events of `xdotool key --window`)."""
        self.run(["xdotool", "windowfocus", "--sync", win])
        for k in keys:
            self.run(["xdotool", "key", "--delay", "120", k])
            time.sleep(0.3)

    def screenshot(self, name):
        """Saves the whole screen, as a user would see it, and returns the
        number of distinct colours in it (a blank screen has one or two)."""
        path = os.path.join(self.shots_dir, name + ".png")
        r = self.run(["import", "-window", "root", path])
        check(r.returncode == 0 and os.path.exists(path), f"screenshot failed: {r.stderr}")
        r = self.run(["identify", "-format", "%k", path])
        colours = int(r.stdout.strip() or 0)
        print(f"# screenshot {path}: {colours} colours")
        return colours

    def screenshot_drawn(self, name, min_colours=16, timeout=30):
        """Screenshots until the screen shows more than min_colours (the
        first frames of a window can take seconds under ASan on a busy
        machine); returns the last count, so a window that never draws
        still fails its check."""
        end = time.monotonic() + timeout
        colours = self.screenshot(name)
        while colours <= min_colours and time.monotonic() < end:
            time.sleep(0.5)
            colours = self.screenshot(name)
        return colours

    def brightness(self, name):
        """Mean brightness (0..1) of a saved screenshot's top-left window
        area, where Vireo's windows are placed on this WM-less screen."""
        path = os.path.join(self.shots_dir, name + ".png")
        r = self.run(["convert", path, "-crop", "400x300+10+60", "-colorspace", "Gray",
                      "-format", "%[fx:mean]", "info:"])
        return float(r.stdout.strip() or "nan")

    def log_of(self, proc):
        proc.log.flush()
        proc.log.seek(0)
        return proc.log.read()

    def wait_exit(self, proc, timeout=30):
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"vireo did not exit within {timeout} s")

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Tap:
    """Minimal TAP output so meson shows each step."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def step(self, name, fn, *args):
        self.n += 1
        try:
            fn(*args)
            print(f"ok {self.n} - {name}", flush=True)
            return True
        except (Failure, subprocess.TimeoutExpired) as e:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            for line in str(e).splitlines():
                print(f"# {line}", flush=True)
            return False

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)
