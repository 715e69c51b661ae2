#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""USB input in the nested lab: the xHCI controller with the HID tablet and
keyboard, under vireo-vmm and, as the reference, QEMU (qemu-xhci, usb-kbd,
usb-tablet).

  labusb.py test --build-dir DIR --group qemu|vireo [--vireo-vmm EXE]

prints TAP, one line per scenario, like labnet.py. The guest (Debian's
kernel, busybox, xhci_pci, usbhid, hid_generic, evdev):

  - waits for /proc/bus/input/devices to list a USB tablet and a USB
    keyboard and prints their names and event handlers;
  - with vireo.inject=1, reads the input events that follow (a key press
    and release, an absolute move) from their /dev/input/event nodes and
    prints them as hex, which the host decodes and compares with what it
    sent. The host sends them through QMP input-send-event under QEMU, and
    through SPICE under vireo-vmm (`--spice unix:PATH`, the spice-probe
    test client: the key as a PC scancode, the position in the guest
    screen's pixels, which the monitor scales to the tablet's 0..32767).
    The tablet only follows a client that sees a screen, so under
    vireo-vmm the guest first waits for its bochs framebuffer
    (vireo.fb=1) and tells the host its size;
  - with vireo.rel=1 (vireo-vmm), also waits for psmouse to find the PS/2
    mouse on the i8042's aux port and, once the host's client saw the
    keyboard LEDs, reads the relative move it sends in SPICE's server
    mouse mode (spice-probe --motion) from the mouse's event node.
"""

import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labcache  # noqa: E402
import labguest  # noqa: E402
import labinit  # noqa: E402
import labl1  # noqa: E402

GUEST_MEMORY_MB = 512
# Generous: make check runs two lab groups at once on a 2-core machine,
# and L1 then boots several times slower than alone.
SCENARIOS = (
    ('usb-input', 1, 600),
)
L1_MARGIN = 480
KEY_A = 30
SCANCODE_A = 0x1e
ABS_X_SENT = 16384
SPICE_CAPS_LOCK = 4
TABLET_MAX = 32767

# bochs: the DRM driver of vireo-vmm's --display bochs (QEMU's standard
# VGA under the reference), so the guest has a screen mode.
# psmouse: the PS/2 mouse (server mouse mode); i8042 and atkbd are built in.
labcache.MODULE_SETS.setdefault('usb', ['xhci_pci', 'usbhid', 'hid_generic', 'evdev', 'bochs',
                                        'psmouse'])
# The relative move spice-probe sends (DY > 0 is down, as for evdev).
REL_SENT = (7, -5)

# Reads input_event records (24 bytes on x86-64: timeval, type, code,
# value) from an event node until @count arrived, as one hex line.
_ACTION = r'''
param() {
	sed -n "s/.*vireo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}
i=0
while :; do
	kbd=$(grep -c -i 'N: Name=.*usb.*keyboard' /proc/bus/input/devices)
	tab=$(grep -c -i 'N: Name=.*usb.*tablet' /proc/bus/input/devices)
	[ "$kbd" -ge 1 ] && [ "$tab" -ge 1 ] && break
	i=$((i + 1))
	[ $i -lt 300 ] || hang "no USB keyboard and tablet: $(grep 'N: Name' /proc/bus/input/devices | tr '\n' ';')"
	sleep 0.1
done
handler() {
	grep -i -A5 "N: Name=.*usb.*$1" /proc/bus/input/devices | sed -n 's/.*H: Handlers=.*\(event[0-9]*\).*/\1/p' | head -n1
}
kev=$(handler keyboard)
tev=$(handler tablet)
if [ "$(param rel)" = 1 ]; then
	i=0
	until grep -q -i 'N: Name=.*PS/2.*mouse' /proc/bus/input/devices; do
		i=$((i + 1))
		[ $i -lt 300 ] || hang "no PS/2 mouse: $(grep 'N: Name' /proc/bus/input/devices | tr '\n' ';')"
		sleep 0.1
	done
	mev=$(grep -i -A5 'N: Name=.*PS/2.*mouse' /proc/bus/input/devices | sed -n 's/.*H: Handlers=.*\(event[0-9]*\).*/\1/p' | head -n1)
	echo "VIREO-L2-MOUSE $(grep -i 'N: Name=.*PS/2.*mouse' /proc/bus/input/devices | head -n1 | cut -d= -f2-) $mev"
fi
echo "VIREO-L2-KBD $(grep -i 'N: Name=.*usb.*keyboard' /proc/bus/input/devices | head -n1 | cut -d= -f2-) $kev"
echo "VIREO-L2-TABLET $(grep -i 'N: Name=.*usb.*tablet' /proc/bus/input/devices | head -n1 | cut -d= -f2-) $tev"
if [ "$(param inject)" = 1 ]; then
	# A key press and a release, each MSC_SCAN, EV_KEY and SYN: 6
	# records; a move: ABS_X and ABS_Y come first.
	dd if=/dev/input/$kev bs=24 count=6 2>/dev/null | od -An -tx1 -v | tr -d ' \n' > /tmp/kbd &
	dd if=/dev/input/$tev bs=24 count=2 2>/dev/null | od -An -tx1 -v | tr -d ' \n' > /tmp/tab &
	size=
	if [ "$(param fb)" = 1 ]; then
		i=0
		until size=$(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null); do
			i=$((i + 1))
			[ $i -lt 300 ] || hang "no framebuffer"
			sleep 0.1
		done
	fi
	sleep 1
	echo "VIREO-L2-INPUTREADY $size"
	wait
	echo "VIREO-L2-KBDEVENTS $(cat /tmp/kbd)"
	echo "VIREO-L2-TABEVENTS $(cat /tmp/tab)"
fi
if [ "$(param leds)" = 1 ]; then
	# Caps Lock on, as a desktop does it: an EV_LED write to the event
	# node, which usbhid turns into SET_REPORT to the keyboard; two
	# input_event records, the LED and a SYN_REPORT. The host's client,
	# still connected, moves the tablet once it was told Caps Lock, or
	# with rel=1 the PS/2 mouse: REL_X, REL_Y and a SYN_REPORT.
	if [ "$(param rel)" = 1 ]; then
		dd if=/dev/input/$mev bs=24 count=3 2>/dev/null | od -An -tx1 -v | tr -d ' \n' > /tmp/mouse &
	else
		dd if=/dev/input/$tev bs=24 count=1 of=/dev/null 2>/dev/null &
	fi
	sleep 1
	z='\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
	printf "$z\021\000\001\000\001\000\000\000$z\000\000\000\000\000\000\000\000" > /dev/input/$kev ||
		hang "writing EV_LED to $kev failed"
	echo VIREO-L2-LEDSET
	wait
	[ "$(param rel)" = 1 ] && echo "VIREO-L2-MOUSEEVENTS $(cat /tmp/mouse)"
	echo VIREO-L2-LEDDONE
fi
echo VIREO-L2-POWEROFF
poweroff -f
'''


def l2_initramfs(cache):
    init = labinit._L2_PROLOGUE.replace('@SCENARIO@', 'usb-input') + _ACTION
    return cache._image('l2-usb-input', init, ['usb'])


def decode_events(hexstr):
    """[(type, code, value)] from the guest's hex dump of input_event records."""
    data = bytes.fromhex(hexstr)
    out = []
    for off in range(0, len(data) - 23, 24):
        ev_type, code, value = struct.unpack_from('<HHi', data, off + 16)
        out.append((ev_type, code, value))
    return out


class UsbQemu(labguest.Qemu):
    def __init__(self):
        super().__init__('pc')

    def argv(self, *a):
        return super().argv(*a) + ['-device', 'qemu-xhci,id=xhci',
                                   '-device', 'usb-tablet,bus=xhci.0',
                                   '-device', 'usb-kbd,bus=xhci.0']

    # The values go to the guest unscaled, give or take QEMU's rounding.
    tolerance = 2
    sent = (ABS_X_SENT, ABS_X_SENT // 2)

    @staticmethod
    def send_input(guest, _size):
        events = [
            [{'type': 'key', 'data': {'down': True, 'key': {'type': 'qcode', 'data': 'a'}}}],
            [{'type': 'key', 'data': {'down': False, 'key': {'type': 'qcode', 'data': 'a'}}}],
            [{'type': 'abs', 'data': {'axis': 'x', 'value': ABS_X_SENT}},
             {'type': 'abs', 'data': {'axis': 'y', 'value': ABS_X_SENT // 2}}],
        ]
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(20)
            s.connect(guest.ctl)
            f = s.makefile('rw', encoding='utf-8')
            f.readline()
            cmds = [{'execute': 'qmp_capabilities'}] + [
                {'execute': 'input-send-event', 'arguments': {'events': e}} for e in events]
            for cmd in cmds:
                f.write(json.dumps(cmd) + '\n')
                f.flush()
                while True:
                    line = f.readline()
                    if not line:
                        raise OSError(f'QMP closed during {cmd["execute"]}')
                    msg = json.loads(line)
                    if 'error' in msg:
                        raise OSError(f'QMP {cmd["execute"]}: {msg["error"]}')
                    if 'return' in msg:
                        break


class UsbVireo(labguest.Vireo):
    """vireo-vmm gives a machine its xHCI tablet and keyboard with a screen;
    the input comes from a SPICE client on the unix socket at guest.ctl."""

    def __init__(self, exe, spice_probe):
        super().__init__(exe)
        self.spice_probe = spice_probe
        self.sent = None
        # The monitor rounds the scaled position to the nearest step.
        self.tolerance = 0.5
        # The guest's keyboard LEDs reach SPICE clients.
        self.leds = True
        # Relative motion (server mouse mode) reaches the PS/2 mouse.
        self.rel = True

    def argv(self, kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl):
        return super().argv(kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl) + [
            '--display', 'bochs', '--spice', f'unix:{ctl}']

    def send_input(self, guest, size):
        m = re.fullmatch(r'(\d+),(\d+)', size)
        if not m:
            raise OSError(f'the guest reported no framebuffer size ({size!r})')
        w, h = int(m.group(1)), int(m.group(2))
        # Three quarters across, a third down: neither edge nor centre.
        x, y = w * 3 // 4, h // 3
        # --wait-leds: the guest turns Caps Lock on once it has the events;
        # the client must be told (spice_server_kbd_leds), and then
        # moves the tablet, which lets the guest go on.
        cmd = [self.spice_probe, '--unix', guest.ctl, '--wait-size', f'{w}x{h}',
               '--keys', hex(SCANCODE_A), '--tablet', f'{x},{y}',
               '--wait-leds', str(SPICE_CAPS_LOCK),
               '--motion', f'{REL_SENT[0]},{REL_SENT[1]}', '--timeout', '240']
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            raise OSError('spice-probe hung') from None
        guest.stderr.extend('spice-probe: ' + line for line in (r.stdout + r.stderr).splitlines())
        if r.returncode != 0 or 'sent' not in r.stdout.split():
            raise OSError(f'spice-probe exited with {r.returncode}: {r.stderr.strip()}')
        if f'leds {SPICE_CAPS_LOCK}' not in r.stdout.splitlines():
            raise OSError('the SPICE client was not told Caps Lock')
        if f'motion {REL_SENT[0]} {REL_SENT[1]}' not in r.stdout.splitlines():
            raise OSError('the SPICE client did not send the relative move')
        self.sent = (tablet_scale(x, w), tablet_scale(y, h))


class ScenarioFailed(Exception):
    pass


def tablet_scale(pos, size):
    """Where a pixel column lands on the tablet's axis: the screen's first
    and last pixels are the axis' ends."""
    return pos * TABLET_MAX / (size - 1)


def check_guest(guest, inject, timeout):
    deadline = time.monotonic() + timeout
    seen, got = [], {}
    try:
        for _, name, arg in guest.markers(deadline):
            seen.append(name)
            got[name] = arg
            if name == 'ERROR':
                raise ScenarioFailed(f'guest reported: {arg}')
            if name == 'INPUTREADY':
                guest.monitor.send_input(guest, arg)
        status = guest.wait(deadline)
    except TimeoutError:
        raise ScenarioFailed(f'timed out after {timeout} s (markers: {" ".join(seen)})') from None
    except OSError as e:
        raise ScenarioFailed(f'sending input: {e}') from None
    leds = ('LEDSET', 'LEDDONE') if getattr(guest.monitor, 'leds', False) else ()
    rel = getattr(guest.monitor, 'rel', False)
    rel_markers = ('MOUSE', 'MOUSEEVENTS') if rel else ()
    for need in ('KBD', 'TABLET', 'POWEROFF') + (('KBDEVENTS', 'TABEVENTS') if inject else ()) \
            + leds + rel_markers:
        if need not in seen:
            raise ScenarioFailed(f'no {need} from the guest (markers: {" ".join(seen)})')
    if inject:
        keys = [(c, v) for t, c, v in decode_events(got['KBDEVENTS']) if t == 1]
        if keys != [(KEY_A, 1), (KEY_A, 0)]:
            raise ScenarioFailed(f'keyboard events {keys}, expected KEY_A down and up')
        absolute = {c: v for t, c, v in decode_events(got['TABEVENTS']) if t == 3}
        sent = guest.monitor.sent
        for axis, want in enumerate(sent):
            if axis not in absolute or abs(absolute[axis] - want) > guest.monitor.tolerance:
                raise ScenarioFailed(f'tablet absolute events {absolute} (0: X, 1: Y),'
                                     f' expected X {sent[0]:.2f} Y {sent[1]:.2f}')
    if rel:
        # EV_REL: REL_X (0) and REL_Y (1), exactly as sent.
        moved = [(c, v) for t, c, v in decode_events(got['MOUSEEVENTS']) if t == 2]
        if moved != [(0, REL_SENT[0]), (1, REL_SENT[1])]:
            raise ScenarioFailed(f'PS/2 mouse events {moved}, expected REL_X {REL_SENT[0]}'
                                 f' and REL_Y {REL_SENT[1]} ({got["MOUSE"]})')
    if status != 0:
        raise ScenarioFailed(f'guest powered off but the monitor exited with status {status}')


def run_scenario(plan, monitor_name, sid, cpus, timeout):
    inject = True
    vireo = monitor_name == 'vireo'
    monitor = UsbVireo(plan['vireo_vmm'], plan['spice_probe']) if vireo else UsbQemu()
    append = (f'console=ttyS0 panic=-1 quiet vireo.scenario={sid} vireo.inject={int(inject)}'
              f' vireo.fb={int(vireo)} vireo.leds={int(vireo)} vireo.rel={int(vireo)}')
    log_path = os.path.join(plan['log_dir'], f'{monitor_name}-{sid}.log')
    t0 = time.monotonic()
    reason = None
    with tempfile.TemporaryDirectory(prefix='vireo-lab-') as work:
        guest = labguest.Guest(monitor, plan['kernel'], plan['initrd'], append,
                               GUEST_MEMORY_MB, cpus, work_dir=work)
        try:
            guest.start()
            check_guest(guest, inject, timeout)
        except ScenarioFailed as e:
            reason = str(e)
        except OSError as e:
            reason = f'cannot start {guest.argv[0]}: {e}'
        finally:
            if guest.proc:
                try:
                    guest.kill()
                except TimeoutError:
                    # A monitor stuck in the kernel: say so, and keep the log.
                    reason = reason or 'the monitor outlived SIGKILL by 30 s'
            guest.log(log_path, f'result: {reason or "PASS"}')
    return reason, time.monotonic() - t0, log_path


def plan_cases(plan):
    return [(m, sid, cpus, t) for m in plan['monitors'] for sid, cpus, t in SCENARIOS]


def read_plan(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def record(plan, name, reason, seconds, log_path):
    """One scenario's result, for the TAP that run_tap prints outside L1."""
    res = {'name': name, 'ok': reason is None, 'reason': reason,
           'seconds': round(seconds, 1), 'log': log_path}
    with open(plan['results'], 'a', encoding='utf-8') as f:
        f.write(json.dumps(res) + '\n')


def cmd_run_plan(args, prefix=''):
    plan = read_plan(args.plan)
    if not os.path.exists('/dev/kvm'):
        print(f'{prefix}lab: /dev/kvm missing', flush=True)
        return 1
    failed = 0
    for m, sid, cpus, t in plan_cases(plan):
        print(f'{prefix}lab: {m} {sid}: starting', flush=True)
        reason, took, log_path = run_scenario(plan, m, sid, cpus, t)
        record(plan, f'{m} {sid}', reason, took, log_path)
        failed += reason is not None
        print(f'{prefix}lab: {m} {sid}: {"PASS" if reason is None else "FAIL: " + reason}'
              f' ({took:.1f} s)', flush=True)
    return 1 if failed else 0


def run_tap(cache, log_name, cases, plan, script, l1_timeout):
    """Runs `script run-plan PLAN` inside L1 (or directly on hardware KVM)
    and prints TAP for cases, [(monitor, scenario, cpus, timeout)], from
    the results it recorded. Shared with labdisplay.py."""
    base = os.path.join(cache.build_dir, 'lab-logs', log_name)
    os.makedirs(base, exist_ok=True)
    for old in os.listdir(base):
        os.unlink(os.path.join(base, old))
    plan = dict(plan, log_dir=base, results=os.path.join(base, 'results.jsonl'))
    plan_path = os.path.join(base, 'plan.json')
    with open(plan_path, 'w', encoding='utf-8') as f:
        json.dump(plan, f, indent=1)
    print(f'1..{len(cases)}', flush=True)
    runner = [sys.executable, script, 'run-plan', plan_path]
    lab_error = None
    if labl1.hardware_kvm():
        print('# /dev/kvm is hardware virtualization: running the guests directly', flush=True)
        status = subprocess.run(runner, check=False).returncode
    else:
        print('# booting L1 (QEMU software emulation) to run the guests', flush=True)
        errors = []

        class ErrSink:
            @staticmethod
            def write(s):
                for line in s.splitlines():
                    if line.strip():
                        errors.append(line)
                        print('# ' + line, flush=True)

        status = labl1.run(cache, runner, timeout=l1_timeout,
                           err=ErrSink, on_line=lambda line: print('# ' + line, flush=True))
        lab_error = next((e for e in errors if e.startswith('lab: ')), None)
    results = {}
    if os.path.exists(plan['results']):
        with open(plan['results'], encoding='utf-8') as f:
            for line in f:
                r = json.loads(line)
                results[r['name']] = r
    failed = 0
    for i, (m, sid, *_rest) in enumerate(cases, 1):
        r = results.get(f'{m} {sid}')
        if r is None:
            failed += 1
            print(f'not ok {i} - {m} {sid}: not run: {lab_error or f"runner exited with status {status}"}')
        elif r['ok']:
            print(f'ok {i} - {m} {sid} ({r["seconds"]} s)')
        else:
            failed += 1
            print(f'not ok {i} - {m} {sid}: {r["reason"]} (log: {r["log"]})')
    sys.stdout.flush()
    return 1 if failed else 0


def cmd_test(args):
    cache = labcache.Cache(args.build_dir)
    if args.group == 'vireo':
        for exe, opt in ((args.vireo_vmm, '--vireo-vmm'), (args.spice_probe, '--spice-probe')):
            if not exe or not os.access(exe, os.X_OK):
                raise labcache.LabError(f'{opt} must name an executable (got {exe!r})')
        monitors = ['vireo']
    else:
        monitors = ['qemu-pc']
    plan = {
        'kernel': cache.vmlinuz(),
        'initrd': l2_initramfs(cache),
        'monitors': monitors,
        'vireo_vmm': os.path.abspath(args.vireo_vmm) if args.vireo_vmm else None,
        'spice_probe': os.path.abspath(args.spice_probe) if args.spice_probe else None,
    }
    cases = plan_cases(plan)
    return run_tap(cache, 'usb-' + args.group, cases, plan, os.path.abspath(__file__),
                   l1_timeout=sum(c[3] for c in cases) + L1_MARGIN)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('test', help='run the USB input scenarios, print TAP')
    p.add_argument('--build-dir', required=True, help='meson build folder (cache lives in it)')
    p.add_argument('--group', required=True, choices=('qemu', 'vireo'))
    p.add_argument('--vireo-vmm', help='the vireo-vmm executable (group vireo)')
    p.add_argument('--spice-probe', help='the spice-probe test client (group vireo)')
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
