#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest's screen in the nested lab: Debian's kernel with virtio-gpu and
fbcon under `vireo-vmm --display virtio-gpu --spice unix:PATH`, seen by the
spice-probe test client.

  labdisplay.py test --build-dir DIR --group vireo --vireo-vmm EXE --spice-probe EXE

prints TAP, one line per scenario. All scenarios share one L2 boot; the
guest steps through them, and the host tells it to go on by pressing a
key through SPICE (the USB keyboard, read from its event node):

  display-text       fb0 appears at the monitor's default size; a client
                     gets a primary of that size, blank once the guest has
                     cleared tty1 and hidden the cursor, then with ink in
                     the rows of the text the guest writes to tty1;
  display-resize     the client asks for another size (the monitor's
                     display-change event); the guest's connector lists it
                     as its preferred mode and the client gets a primary
                     of that size;
  display-reconnect  every step above was a client that connected and hung
                     up; one more gets the current screen (the text, at
                     the new size) and the guest, still running, prints
                     heartbeats and powers off cleanly.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labcache  # noqa: E402
import labguest  # noqa: E402
import labinit  # noqa: E402
import labusb  # noqa: E402  (the 'usb' module set, the plan runner's shape)

GUEST_MEMORY_MB = 512
SCENARIOS = ('display-text', 'display-resize', 'display-reconnect')
# One guest for the group: its boot under TCG L1 and three clients.
GUEST_TIMEOUT = 900
L1_MARGIN = 480
RESIZE = (800, 600)
TEXT_LINES = 12
# An 8x16 console font inks at least half of each text line's rows.
TEXT_INK_ROWS = TEXT_LINES * 8
PROBE_TIMEOUT = 240

labcache.MODULE_SETS.setdefault('gpu', ['virtio_pci', 'virtio_gpu'])

_ACTION = r'''
param() {
	sed -n "s/.*vireo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}
i=0
until [ -e /sys/class/graphics/fb0/virtual_size ] && grep -qi 'N: Name=.*usb.*keyboard' /proc/bus/input/devices; do
	i=$((i + 1))
	[ $i -lt 600 ] || hang "no framebuffer or USB keyboard: $(ls /sys/class/graphics) $(grep 'N: Name' /proc/bus/input/devices | tr '\n' ';')"
	sleep 0.1
done
kev=$(grep -i -A5 'N: Name=.*usb.*keyboard' /proc/bus/input/devices | sed -n 's/.*H: Handlers=.*\(event[0-9]*\).*/\1/p' | head -n1)
# One key press and release from the host: MSC_SCAN, EV_KEY, SYN twice.
next_key() {
	dd if=/dev/input/$kev bs=24 count=6 of=/dev/null 2>/dev/null
}
echo "VIREO-L2-FBNAME $(cat /sys/class/graphics/fb0/name)"
# Clear the console and hide its cursor: nothing but the text may ink it.
printf '\033[2J\033[H\033[?25l' > /dev/tty1
echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
echo "VIREO-L2-MODE $(cat /sys/class/graphics/fb0/virtual_size)"
next_key
n=0
while [ $n -lt @LINES@ ]; do
	echo "VIREO LAB $n: THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG" > /dev/tty1
	n=$((n + 1))
done
echo VIREO-L2-TEXT
next_key
echo "VIREO-L2-MODES $(head -n1 /sys/class/drm/card0-Virtual-1/modes) $(cat /sys/class/graphics/fb0/virtual_size)"
next_key
n=0
while [ $n -lt 3 ]; do
	echo "VIREO-L2-HEARTBEAT $(cut -d' ' -f1 /proc/uptime)"
	sleep 1
	n=$((n + 1))
done
echo VIREO-L2-POWEROFF
poweroff -f
'''


def l2_initramfs(cache):
    init = (labinit._L2_PROLOGUE.replace('@SCENARIO@', 'display')
            + _ACTION.replace('@LINES@', str(TEXT_LINES)))
    return cache._image('l2-display', init, ['gpu', 'usb'])


class DisplayVireo(labguest.Vireo):
    def argv(self, kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl):
        return super().argv(kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl) + [
            '--display', 'virtio-gpu', '--spice', f'unix:{ctl}']


class StepFailed(Exception):
    pass


def probe(plan, guest, *args):
    """One client: connect, do what args say, hang up. Its report as a dict."""
    cmd = [plan['spice_probe'], '--unix', guest.ctl, '--timeout', str(PROBE_TIMEOUT), *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT + 60,
                           check=False)
    except subprocess.TimeoutExpired:
        raise StepFailed(f'spice-probe hung: {" ".join(args)}') from None
    guest.stderr.extend(f'spice-probe {" ".join(args)}: {line}'
                        for line in (r.stdout + r.stderr).splitlines())
    if r.returncode != 0:
        raise StepFailed(f'spice-probe {" ".join(args)}: {r.stderr.strip()}')
    return dict(line.split(' ', 1) for line in r.stdout.splitlines() if ' ' in line)


def run_group(plan):
    """[(scenario, reason or None)] and the guest's log path, from one boot."""
    results = []
    log_path = os.path.join(plan['log_dir'], 'vireo-display.log')
    append = 'console=ttyS0 panic=-1 quiet vireo.scenario=display'
    with tempfile.TemporaryDirectory(prefix='vireo-lab-') as work:
        guest = labguest.Guest(DisplayVireo(plan['vireo_vmm']), plan['kernel'], plan['initrd'],
                               append, GUEST_MEMORY_MB, 1, work_dir=work)
        deadline = time.monotonic() + GUEST_TIMEOUT
        step = 0
        seen = []
        size = None
        try:
            guest.start()
            for _, name, arg in guest.markers(deadline):
                seen.append(name)
                if name == 'ERROR':
                    raise StepFailed(f'guest reported: {arg}')
                if name == 'MODE':
                    m = re.fullmatch(r'(\d+),(\d+)', arg)
                    if not m:
                        raise StepFailed(f'fb0 virtual_size {arg!r}')
                    size = f'{m.group(1)}x{m.group(2)}'
                    # Blank first: the ink that follows is the guest's text.
                    probe(plan, guest, '--wait-size', size, '--ink-rows', '0,0',
                          '--keys', '0x1e')
                elif name == 'TEXT':
                    got = probe(plan, guest, '--wait-size', size,
                                '--ink-rows', str(TEXT_INK_ROWS))
                    results.append((SCENARIOS[0], None))
                    step = 1
                    guest.stderr.append(f'labdisplay: text at {size}: {got.get("ink-rows")} ink rows')
                    want = f'{RESIZE[0]}x{RESIZE[1]}'
                    probe(plan, guest, '--request-size', want, '--wait-size', want,
                          '--keys', '0x1e')
                elif name == 'MODES':
                    if not arg.startswith(f'{RESIZE[0]}x{RESIZE[1]}'):
                        raise StepFailed(f'the guest\'s preferred mode and fb0 size are {arg!r},'
                                         f' expected {RESIZE[0]}x{RESIZE[1]} first')
                    results.append((SCENARIOS[1], None))
                    step = 2
                    probe(plan, guest, '--wait-size', f'{RESIZE[0]}x{RESIZE[1]}',
                          '--ink-rows', str(TEXT_INK_ROWS), '--keys', '0x1e')
            status = guest.wait(deadline)
            if seen.count('HEARTBEAT') != 3 or 'POWEROFF' not in seen:
                raise StepFailed(f'no heartbeats and power-off (markers: {" ".join(seen)})')
            if status != 0:
                raise StepFailed(f'the guest powered off but the monitor exited with {status}')
            results.append((SCENARIOS[2], None))
        except StepFailed as e:
            results.append((SCENARIOS[step], str(e)))
        except TimeoutError:
            results.append((SCENARIOS[step], f'timed out after {GUEST_TIMEOUT} s'
                                             f' (markers: {" ".join(seen)})'))
        except OSError as e:
            results.append((SCENARIOS[step], f'cannot start {guest.argv[0]}: {e}'))
        finally:
            if guest.proc:
                try:
                    guest.kill()
                except TimeoutError:
                    # A monitor stuck in the kernel: say so, and keep the log.
                    results.append((SCENARIOS[step], 'the monitor outlived SIGKILL by 30 s'))
            failed = [r for _, r in results if r]
            guest.log(log_path, f'result: {failed[0] if failed else "PASS"}')
    return results, log_path


def cmd_run_plan(args, prefix=''):
    plan = labusb.read_plan(args.plan)
    if not os.path.exists('/dev/kvm'):
        print(f'{prefix}lab: /dev/kvm missing', flush=True)
        return 1
    print(f'{prefix}lab: vireo display: starting', flush=True)
    t0 = time.monotonic()
    results, log_path = run_group(plan)
    took = round(time.monotonic() - t0, 1)
    for name, reason in results:
        labusb.record(plan, f'vireo {name}', reason, took, log_path)
        print(f'{prefix}lab: vireo {name}: {"PASS" if reason is None else "FAIL: " + reason}'
              f' ({took} s)', flush=True)
    return 1 if any(r for _, r in results) else 0


def cmd_test(args):
    cache = labcache.Cache(args.build_dir)
    for exe, opt in ((args.vireo_vmm, '--vireo-vmm'), (args.spice_probe, '--spice-probe')):
        if not exe or not os.access(exe, os.X_OK):
            raise labcache.LabError(f'{opt} must name an executable (got {exe!r})')
    cases = [('vireo', s, 1, GUEST_TIMEOUT) for s in SCENARIOS]
    return labusb.run_tap(cache, 'display-' + args.group, cases, {
        'kernel': cache.vmlinuz(),
        'initrd': l2_initramfs(cache),
        'vireo_vmm': os.path.abspath(args.vireo_vmm),
        'spice_probe': os.path.abspath(args.spice_probe),
    }, os.path.abspath(__file__), l1_timeout=GUEST_TIMEOUT + L1_MARGIN)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('test', help='run the display scenarios, print TAP')
    p.add_argument('--build-dir', required=True, help='meson build folder (cache lives in it)')
    p.add_argument('--group', required=True, choices=('vireo',))
    p.add_argument('--vireo-vmm', help='the vireo-vmm executable')
    p.add_argument('--spice-probe', help='the spice-probe test client')
    p.set_defaults(func=cmd_test)
    p = sub.add_parser('run-plan', help=argparse.SUPPRESS)
    p.add_argument('plan')
    p.set_defaults(func=cmd_run_plan)
    args = ap.parse_args()
    try:
        return args.func(args)
    except (labcache.LabError, OSError) as e:
        print(f'lab: {e}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
