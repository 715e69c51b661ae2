#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ui library test: machine profiles placed in the user's config folder
appear as cards; a broken profile is set aside as *.broken and reported in
a banner; Ctrl+F searches; starting a machine the monitor cannot run
(its UEFI firmware missing, a file that is not a kernel) shows an error toast and
leaves it stopped; a card opens its console page and back; a machine booting SeaBIOS shows
a live thumbnail of its screen on its card; Delete asks,
then removes the profile file and, when asked to, the disk image. Where
/dev/kvm exists, a machine runs one of the kvm tier's real-mode programs
(a Linux guest never boots on every host): it pauses, resumes and shuts
down on the power button; its console page shows the guest's display
(connected while it runs, again after a restart), saves screenshots in
Pictures, and sends Ctrl+Alt+Del and Ctrl+Alt+Fn (fullscreen is left
out: this WM-less X server never fullscreens a window); closing the
window while it runs asks, keeps it running in the background, and Shut
Down ends the process once the guest is off. Import Machine turns a libvirt
description into a card and refuses a broken one or a VMDK in a toast. The window is checked through win.test-dump (what it shows, as
text), and screenshots are kept for people to look at.

usage: library.py VIREO SCHEMAS_DIR SCREENSHOTS_DIR GUEST_DIR"""

import os
import sys
import time

from uitest import Failure, Session, Tap, check, gvariant_string

vireo, schemas, shots, guest_dir = sys.argv[1:5]
tap = Tap()
s = Session(vireo, schemas, shots)
state = {}

DEBIAN = "5b2d6c8e-0f6a-4c8e-9a61-3f0c2b7d9e01"
WINDOWS = "8c1f2a3b-4d5e-4f60-8a7b-9c0d1e2f3a42"
BUILD = "a7e3b1c9-2d4f-4a6b-8c0e-1f3a5b7d9c83"
BROKEN = "0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f64"

machines_dir = os.path.join(s.env["XDG_CONFIG_HOME"], "vireo", "machines")
images_dir = os.path.join(s.env["XDG_DATA_HOME"], "vireo", "images")
garbage_kernel = os.path.join(s.tmp, "not-a-kernel")
missing_ovmf = os.path.join(s.tmp, "no-such-OVMF_CODE_4M.fd")
windows_disk = os.path.join(images_dir, WINDOWS + ".qcow2")


def profile(uuid, name, os_id, boot, disk=None, firmware=""):
    disk_xml = ""
    if disk:
        disk_xml = f"""
    <disk type="file" device="disk">
      <driver name="qemu" type="qcow2"/>
      <source file="{disk}"/>
      <target dev="vda" bus="virtio"/>
    </disk>"""
    return f"""<domain type="kvm">
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="{os_id}"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit="KiB">131072</memory>
  <vcpu>1</vcpu>
  <os{firmware}>
    <type arch="x86_64" machine="pc">hvm</type>{boot}
  </os>
  <devices>{disk_xml}
  </devices>
</domain>
"""


def setup():
    os.makedirs(machines_dir)
    # Screenshots go to the Pictures folder xdg-user-dirs names.
    with open(os.path.join(s.env["XDG_CONFIG_HOME"], "user-dirs.dirs"), "w") as f:
        f.write('XDG_PICTURES_DIR="$HOME/Pictures"\n')
    os.makedirs(images_dir)
    with open(garbage_kernel, "w") as f:
        f.write("this is not a Linux kernel\n")
    with open(windows_disk, "wb") as f:
        f.write(b"\0" * 4096)
    files = {
        DEBIAN: profile(DEBIAN, "Debian Server", "http://debian.org/debian/11",
                        "\n    <boot dev=\"hd\"/>"),
        # UEFI, with a firmware file that is not there: refused in words.
        WINDOWS: profile(WINDOWS, "Windows Desktop", "http://microsoft.com/win/11",
                         "\n    <loader readonly=\"yes\" type=\"pflash\">"
                         f"{missing_ovmf}</loader>\n    <boot dev=\"hd\"/>",
                         disk=windows_disk, firmware=' firmware="efi"'),
        BUILD: profile(BUILD, "Build Box", "http://debian.org/debian/11",
                       f"\n    <kernel>{garbage_kernel}</kernel>\n    <cmdline>console=ttyS0</cmdline>"),
    }
    for uuid, xml in files.items():
        with open(os.path.join(machines_dir, uuid + ".xml"), "w") as f:
            f.write(xml)
    with open(os.path.join(machines_dir, BROKEN + ".xml"), "w") as f:
        f.write("<domain type='kvm'><name>half a file")


def names(d):
    return [c[2] for c in d.get("card", [])]


def library_shows_machines():
    setup()
    s.write_settings({"window-width": "1000", "window-height": "700"})
    state["proc"] = p = s.start_vireo()
    state["win"] = s.wait_window("^Vireo$", timeout=120, proc=p)
    d = s.wait_dump(lambda d: d.get("library") == ["machines"] and len(d.get("card", [])) == 3,
                    "three machine cards", timeout=60)
    check(names(d) == ["Build Box", "Debian Server", "Windows Desktop"],
          f"the cards are {names(d)}, not the three profiles sorted by name")
    check(all(c[1] == "stopped" for c in d["card"]), f"machines not stopped: {d['card']}")
    colours = s.screenshot_drawn("library")
    check(colours > 16, f"the library looks blank ({colours} colours)")


def broken_profile_reported():
    d = s.dump()
    check(os.path.exists(os.path.join(machines_dir, BROKEN + ".xml.broken")),
          f"the broken profile was not set aside: {sorted(os.listdir(machines_dir))}")
    check(not os.path.exists(os.path.join(machines_dir, BROKEN + ".xml")),
          "the broken profile is still in place")
    banners = " ".join(d.get("banner", []))
    check(BROKEN + ".xml" in banners and ".broken" in banners,
          f"no banner names the broken profile; banners: {d.get('banner')}")


def search_filters():
    w = state["win"]
    s.key(w, "ctrl+f")
    s.wait_dump(lambda d: d.get("search-mode") == ["true"], "the search bar after Ctrl+F")
    s.key(w, "w", "i", "n")
    d = s.wait_dump(lambda d: names(d) == ["Windows Desktop"], "only Windows Desktop for 'win'")
    check(d.get("search") == ["win"], f"the search is {d.get('search')}")
    s.screenshot("library-search")
    # The OS name counts too: both Debian machines run "Debian 11".
    s.key(w, "BackSpace", "BackSpace", "BackSpace", "d", "e", "b", "i", "a", "n")
    s.wait_dump(lambda d: names(d) == ["Build Box", "Debian Server"],
                "the two Debian machines for 'debian'")
    s.key(w, "z", "z")
    s.wait_dump(lambda d: d.get("library") == ["no-results"], "the no-results page")
    s.screenshot("library-no-results")
    s.key(w, "Escape")
    s.wait_dump(lambda d: d.get("search-mode") == ["false"] and len(names(d)) == 3,
                "every machine again after Escape")


def toast_after_start(uuid, words):
    def run():
        before = len(s.dump().get("toast", []))
        s.window_action("win.machine-start", gvariant_string(uuid))
        d = s.wait_dump(lambda d: len(d.get("toast", [])) > before, "an error toast", timeout=60)
        toast = d["toast"][-1]
        for w in words:
            check(w in toast, f"the toast says {toast!r}, without {w!r}")
        d = s.wait_dump(lambda d: all(c[1] == "stopped" for c in d.get("card", [])),
                        "every machine stopped again")
        check(state["proc"].poll() is None, "vireo exited")
    return run


def firmware_refused():
    toast_after_start(WINDOWS, ["UEFI firmware is not installed", missing_ovmf, "ovmf"])()
    time.sleep(0.5)
    s.screenshot("toast-firmware")


def console_page():
    s.window_action("win.machine-open", gvariant_string(DEBIAN))
    s.wait_dump(lambda d: d.get("page") == ["console"] and d.get("console") == ["Debian Server"],
                "the console page of Debian Server")
    time.sleep(1)
    colours = s.screenshot_drawn("console")
    check(colours > 16, f"the console page looks blank ({colours} colours)")
    s.window_action("win.show-library")
    s.wait_dump(lambda d: d.get("page") == ["library"], "the library again")


def dialogs_open():
    # Ctrl+N is the New Machine button's shortcut.
    s.key(state["win"], "ctrl+n")
    w = s.wait_window("^New Machine$", proc=state["proc"])
    s.key(w, "Escape")
    s.wait_no_window("^New Machine$")
    # Properties, as the card's menu item activates it.
    s.window_action("win.machine-properties", gvariant_string(DEBIAN))
    w = s.wait_window("^Properties$", proc=state["proc"])
    s.key(w, "Escape")
    s.wait_no_window("^Properties$")
    d = s.dump()
    check(len(names(d)) == 3, f"opening and cancelling the dialogs changed the library: {names(d)}")


def thumbnails(d, uuid):
    """The dump's thumbnail of UUID as (width, height, colours), or None."""
    for t in d.get("thumbnail", []):
        u, size, colours = t.split("|")
        if u == uuid:
            w, h = size.split("x")
            return int(w), int(h), int(colours)
    return None


def live_thumbnail():
    """Debian Server has no kernel and no disk: it boots SeaBIOS, whose
    VGA BIOS prints on the bochs framebuffer. While the library shows,
    its card's thumbnail comes to show that screen (more than one colour,
    at most the card's picture size); forced off, the card shows its icon
    again (no thumbnail in the dump)."""
    s.window_action("win.machine-start", gvariant_string(DEBIAN))
    wait_state(DEBIAN, "running")
    # However slowly this host's KVM runs the firmware.
    d = s.wait_dump(lambda d: (thumbnails(d, DEBIAN) or (0, 0, 0))[2] > 1,
                    "a thumbnail with SeaBIOS's screen on Debian Server's card", timeout=240)
    w, h, colours = thumbnails(d, DEBIAN)
    print(f"# thumbnail {w}x{h}, {colours} colours", flush=True)
    check(0 < w <= 416 and 0 < h <= 312, f"the thumbnail is {w}x{h}, not card-sized")
    time.sleep(1)
    s.screenshot("library-thumbnail")
    s.window_action("win.machine-force-off", gvariant_string(DEBIAN))
    s.wait_dump(lambda d: "dialog" in d, "the force-off confirmation")
    s.window_action("win.test-respond", "('force-off', false)")
    d = wait_state(DEBIAN, "stopped")
    check(thumbnails(d, DEBIAN) is None, f"a stopped machine still shows a thumbnail: {d}")


def delete_machine():
    s.window_action("win.machine-delete", gvariant_string(WINDOWS))
    s.wait_dump(lambda d: d.get("dialog") == ["Delete “Windows Desktop”?"], "the delete confirmation")
    time.sleep(1)
    s.screenshot("delete-dialog")
    # Cancel first: nothing goes.
    s.window_action("win.test-respond", "('cancel', true)")
    d = s.wait_dump(lambda d: "dialog" not in d, "the dialog closed")
    check(len(names(d)) == 3, f"cancel deleted something: {names(d)}")
    check(os.path.exists(os.path.join(machines_dir, WINDOWS + ".xml")), "cancel deleted the profile")

    s.window_action("win.machine-delete", gvariant_string(WINDOWS))
    s.wait_dump(lambda d: "dialog" in d, "the delete confirmation")
    s.window_action("win.test-respond", "('delete', true)")
    d = s.wait_dump(lambda d: names(d) == ["Build Box", "Debian Server"], "Windows Desktop gone")
    check(not os.path.exists(os.path.join(machines_dir, WINDOWS + ".xml")),
          "the profile file is still there")
    check(not os.path.exists(windows_disk), "the disk image was not deleted with the machine")

    # Without the check box the disk stays (the Debian machine has none:
    # the profile goes, nothing else).
    s.window_action("win.machine-delete", gvariant_string(DEBIAN))
    s.wait_dump(lambda d: "dialog" in d, "the delete confirmation")
    s.window_action("win.test-respond", "('delete', false)")
    s.wait_dump(lambda d: names(d) == ["Build Box"], "Debian Server gone")
    check(not os.path.exists(os.path.join(machines_dir, DEBIAN + ".xml")),
          "the Debian profile file is still there")


def card_state(d, uuid):
    states = [c[1] for c in d.get("card", []) if c[0] == uuid]
    return states[0] if states else None


def wait_state(uuid, st, timeout=60):
    return s.wait_dump(lambda d: card_state(d, uuid) == st, f"{uuid} {st}", timeout=timeout)


def run_machine():
    guest = os.path.join(guest_dir, "guest-button.bin")
    check(os.path.exists(guest), f"{guest} was not built")
    s.app_action("test-realmode", f"({gvariant_string(BUILD)}, {gvariant_string(guest)})")
    s.window_action("win.machine-start", gvariant_string(BUILD))
    wait_state(BUILD, "running")
    time.sleep(1)
    s.screenshot("library-running")
    s.window_action("win.machine-open", gvariant_string(BUILD))
    d = s.wait_dump(lambda d: d.get("page") == ["console"]
                    and d.get("display") in (["connected"], ["unavailable"]),
                    "the console page connecting to the machine's display")
    state["display"] = d["display"]
    time.sleep(1)
    s.screenshot("console-running")
    if d["display"] == ["connected"]:
        console_display_actions()
    else:
        console_without_screen()
    s.window_action("win.machine-pause", gvariant_string(BUILD))
    wait_state(BUILD, "paused")
    time.sleep(1)
    s.screenshot("console-paused")
    s.window_action("win.machine-resume", gvariant_string(BUILD))
    wait_state(BUILD, "running")
    # guest-button powers off when it sees the power button.
    s.window_action("win.machine-shut-down", gvariant_string(BUILD))
    wait_state(BUILD, "stopped")
    s.wait_dump(lambda d: d.get("display") == ["disconnected"], "the display let go of the stopped machine")
    time.sleep(1)
    s.screenshot("console-stopped")
    s.window_action("win.show-library")


def console_action(name, target=""):
    s.window_action("win.test-console-action", f"({gvariant_string(name)}, {gvariant_string(target)})")


def pictures():
    d = os.path.join(s.env["HOME"], "Pictures")
    return sorted(f for f in os.listdir(d) if f.endswith(".png")) if os.path.isdir(d) else []


def console_without_screen():
    """A machine that runs without a screen (the app gives real-mode test
    programs none: app/vireo-machine.c sets up the display only for
    kernels and firmware) says so, and Take Screenshot is not offered."""
    print("# this machine has no screen: the display checks are left out", flush=True)
    before = pictures()
    console_action("console.screenshot")
    time.sleep(1)
    d = s.dump()
    check(pictures() == before, f"a screenshot was saved without a screen: {pictures()}")
    check("Screenshot saved" not in d.get("toast", []), f"a screenshot was announced: {d}")


def console_display_actions():
    """The console menu's display items, as the menu activates them:
    Take Screenshot saves a PNG of the guest's screen in Pictures and
    says so; the keys go to the guest without a complaint in the log."""
    before = pictures()
    console_action("console.screenshot")
    d = s.wait_dump(lambda d: len(pictures()) > len(before) or d.get("toast"), "a screenshot file")
    new = [f for f in pictures() if f not in before]
    check(len(new) == 1, f"no screenshot in Pictures ({pictures()}); the window shows {d}")
    check(new[0].startswith("Build Box "), f"the screenshot is named {new[0]}")
    path = os.path.join(s.env["HOME"], "Pictures", new[0])
    r = s.run(["identify", "-format", "%w %h", path])
    check(r.returncode == 0, f"{path} is not an image: {r.stderr}")
    w, h = (int(v) for v in r.stdout.split())
    check(w >= 320 and h >= 200, f"the screenshot is {w}x{h}")
    print(f"# screenshot of the guest: {path} ({w}x{h})", flush=True)
    # A second one the same second gets a new name, not the first's file.
    console_action("console.screenshot")
    s.wait_dump(lambda d: len(pictures()) == len(before) + 2, "a second screenshot file")
    time.sleep(0.5)
    s.screenshot("console-screenshot-toast")
    console_action("console.send-ctrl-alt-del")
    for n in (1, 7, 12):
        console_action("console.send-ctrl-alt-fn", f"uint32 {n}")
    d = s.dump()
    check(card_state(d, BUILD) == "running", f"the guest stopped after the keys: {d}")
    check(d.get("display") == ["connected"], f"the display went away after the keys: {d}")


def close_while_running():
    p = state["proc"]
    s.window_action("win.machine-start", gvariant_string(BUILD))
    wait_state(BUILD, "running")
    # The console page still holds Build Box from before it stopped: the
    # restarted machine gets a new connection to its screen.
    s.wait_dump(lambda d: d.get("display") == state["display"],
                f"the display {state['display'][0]} again after a restart")
    time.sleep(2.5)
    s.screenshot("library-running-thumbnail")
    s.key(state["win"], "ctrl+w")
    s.wait_dump(lambda d: d.get("dialog") == ["Machines Are Running"], "the close question")
    time.sleep(1)
    s.screenshot("close-running")
    s.window_action("win.test-respond", "('background', false)")
    s.wait_no_window("^Vireo$")
    time.sleep(1)
    check(p.poll() is None, f"vireo exited instead of keeping the machine running:\n{s.log_of(p)}")
    # Starting vireo again brings back a window onto the same process.
    r = s.run([vireo], timeout=30)
    check(r.returncode == 0, f"a second vireo exited {r.returncode}")
    state["win"] = s.wait_window("^Vireo$", proc=p)
    wait_state(BUILD, "running")
    # The new window's console page connects to the machine already running.
    s.window_action("win.machine-open", gvariant_string(BUILD))
    s.wait_dump(lambda d: d.get("display") == state["display"],
                f"the new window's display {state['display'][0]}")


def import_machine():
    """Import Machine, as the menu item does with the file the chooser
    returns (win.test-import takes its path): a libvirt description
    becomes a card; a broken one and a VMDK are refused in a toast."""
    # The menu item's action opens the chooser; Escape cancels it.
    s.window_action("win.import")
    w = s.wait_window("^Import Machine$", proc=state["proc"])
    s.key(w, "Escape")
    s.wait_no_window("^Import Machine$")
    imported = "3e9a7c51-8b2d-4f6e-a0c4-5d7e9f1b3c25"
    good = os.path.join(s.tmp, "imported.xml")
    with open(good, "w") as f:
        f.write(profile(imported, "Imported Box", "http://debian.org/debian/11",
                        "\n    <boot dev=\"hd\"/>"))
    before = names(s.dump())
    s.window_action("win.test-import", gvariant_string(good))
    d = s.wait_dump(lambda d: "Imported Box" in names(d), "a card for the imported machine")
    check(sorted(names(d)) == sorted(before + ["Imported Box"]),
          f"the library after the import is {names(d)}, not {before} and Imported Box")
    card = [c for c in d["card"] if c[2] == "Imported Box"][0]
    check(card[1] == "stopped", f"the imported machine is {card[1]}")
    check(os.path.exists(os.path.join(machines_dir, card[0] + ".xml")),
          f"no profile saved for the imported machine: {sorted(os.listdir(machines_dir))}")
    check(any(t.startswith("“Imported Box” imported") for t in d.get("toast", [])),
          f"no toast for the import: {d.get('toast')}")

    bad = os.path.join(s.tmp, "broken.xml")
    with open(bad, "w") as f:
        f.write("<domain type='kvm'><name>half a file")
    vmdk = os.path.join(s.tmp, "old.vmdk")
    with open(vmdk, "wb") as f:
        f.write(b"KDMV" + b"\0" * 1020)
    for path, words in ((bad, ["“broken.xml” could not be imported"]),
                        (vmdk, ["“old.vmdk” could not be imported", "VMDK",
                                "make a new machine"])):
        n = len(s.dump().get("toast", []))
        s.window_action("win.test-import", gvariant_string(path))
        d = s.wait_dump(lambda d: len(d.get("toast", [])) > n, f"an error toast for {path}")
        toast = d["toast"][-1]
        for w in words:
            check(w in toast, f"the toast says {toast!r}, without {w!r}")
        check(len(toast) > len(words[0]) + 2, f"the toast gives no reason: {toast!r}")
        check(sorted(names(d)) == sorted(before + ["Imported Box"]),
              f"a refused import changed the library: {names(d)}")
    s.screenshot("import-refused")


def quit_shuts_down():
    p = state["proc"]
    s.action("quit")
    s.wait_dump(lambda d: d.get("dialog") == ["Machines Are Running"], "the close question")
    s.window_action("win.test-respond", "('shut-down', false)")
    status = s.wait_exit(p, timeout=60)
    log = s.log_of(p)
    check(status == 0, f"vireo exited with status {status}:\n{log}")
    for bad in ("-WARNING **", "-CRITICAL **", "runtime error:", "ERROR: AddressSanitizer"):
        check(bad not in log, f"vireo logged a problem:\n{log}")


def quit_cleanly():
    p = state["proc"]
    s.action("quit")
    status = s.wait_exit(p)
    log = s.log_of(p)
    check(status == 0, f"vireo exited with status {status}:\n{log}")
    for bad in ("-WARNING **", "-CRITICAL **", "runtime error:", "ERROR: AddressSanitizer"):
        check(bad not in log, f"vireo logged a problem:\n{log}")


try:
    if tap.step("machines from profiles in XDG_CONFIG_HOME appear as cards", library_shows_machines):
        tap.step("a broken profile is set aside as *.broken and reported", broken_profile_reported)
        tap.step("Ctrl+F searches names and OS names", search_filters)
        tap.step("a UEFI machine without its firmware is refused with a toast", firmware_refused)
        tap.step("a machine whose kernel is not a kernel shows an error toast",
                 toast_after_start(BUILD, ["Build Box", "could not start"]))
        tap.step("a machine opens its console page and goes back", console_page)
        tap.step("the New Machine wizard (Ctrl+N) and Properties open from the window", dialogs_open)
        if os.path.exists("/dev/kvm") and os.path.exists("/usr/share/seabios/bios-256k.bin"):
            tap.step("a running machine's card shows a live thumbnail of its screen", live_thumbnail)
        else:
            print("# no /dev/kvm or no SeaBIOS: the live thumbnail is left out", flush=True)
        tap.step("Delete asks, then removes the profile (and the disk when asked)", delete_machine)
        tap.step("Import Machine adds a described machine and refuses broken files in a toast",
                 import_machine)
        if os.path.exists("/dev/kvm"):
            if tap.step("a machine runs, pauses, resumes and shuts down", run_machine):
                if tap.step("closing the window while it runs asks and can keep it running",
                            close_while_running):
                    tap.step("quitting with a machine running can shut it down", quit_shuts_down)
        else:
            print("# no /dev/kvm: the running steps are left out", flush=True)
        if state["proc"].poll() is None:
            tap.step("app.quit exits cleanly", quit_cleanly)
        elif state["proc"].returncode != 0:
            for line in s.log_of(state["proc"]).splitlines():
                print(f"# vireo: {line}", flush=True)
finally:
    s.close()
tap.done()
