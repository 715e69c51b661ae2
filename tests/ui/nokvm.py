#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ui test of a computer that cannot run virtual machines: Vireo runs in
a private mount namespace where /dev/kvm is an empty file, and must say so
in a banner, in words a user understands plus the reason, with the library
still usable. Needs unshare(1) and the right to mount (root, or a user
namespace); skipped otherwise.

usage: nokvm.py VIREO SCHEMAS_DIR SCREENSHOTS_DIR"""

import os
import subprocess
import sys
import time

from uitest import Session, Tap, check

vireo, schemas, shots = sys.argv[1:4]

# The namespace must work before anything else is started.
probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
if probe.returncode != 0:
    print("1..0 # SKIP unshare -m is not permitted here")
    sys.exit(0)

tap = Tap()
s = Session(vireo, schemas, shots)
state = {}
fake = os.path.join(s.tmp, "not-kvm")
open(fake, "w").close()
WRAPPER = ["unshare", "-m", "sh", "-c", f'mount --bind "{fake}" /dev/kvm && exec "$@"', "sh"]
# A computer without /dev/kvm at all is the case itself: nothing to hide.
if not os.path.exists("/dev/kvm"):
    WRAPPER = []


def banner_shown():
    state["proc"] = p = s.start_vireo(wrapper=WRAPPER)
    s.wait_window("^Vireo$", timeout=120, proc=p)
    d = s.wait_dump(lambda d: any("can't run virtual machines" in b for b in d.get("banner", []))
                    and d.get("library") != ["loading"], "the no-KVM banner", timeout=60)
    banner = [b for b in d["banner"] if "can't run virtual machines" in b][0]
    check("VT-x or AMD-V" in banner, f"the banner does not say what is missing: {banner!r}")
    check("/dev/kvm" in banner, f"the banner does not give the reason: {banner!r}")
    check(d.get("library") == ["empty"], f"the library shows {d.get('library')}, not its empty page")
    time.sleep(1)
    colours = s.screenshot_drawn("no-kvm")
    check(colours > 16, f"the window looks blank ({colours} colours)")


def quit_cleanly():
    p = state["proc"]
    s.action("quit")
    status = s.wait_exit(p)
    log = s.log_of(p)
    check(status == 0, f"vireo exited with status {status}:\n{log}")
    for bad in ("-WARNING **", "-CRITICAL **", "runtime error:", "ERROR: AddressSanitizer"):
        check(bad not in log, f"vireo logged a problem:\n{log}")


try:
    if tap.step("without KVM a banner says the computer can't run machines, and why", banner_shown):
        tap.step("app.quit exits cleanly", quit_cleanly)
finally:
    s.close()
tap.done()
