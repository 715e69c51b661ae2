#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input latency: from a SPICE input event to the guest's input event,
vireo-vmm against QEMU, in the same lab run.

Inside ONE run of the nested lab (or directly where /dev/kvm is hardware
virtualization) the same guest (Debian's kernel, xhci_pci, usbhid, evdev,
the bochs DRM driver, bench/input-guest.c built static) boots under

  vireo-vmm --display bochs --spice unix:PATH      (its xHCI tablet and keyboard)
  qemu-system-x86_64 -M pc -vga std -spice unix=on,addr=PATH
      -device qemu-xhci -device usb-tablet -device usb-kbd

and the SPICE test client (spice-probe --bench) sends EVENTS events,
INTERVAL ms apart, tablet moves and KEY_A presses/releases in turn, each
stamped with L1's CLOCK_MONOTONIC just before it goes to the client
library. The guest reads its keyboard's and tablet's /dev/input/event
nodes on CLOCK_MONOTONIC (EVIOCSCLOCKID): each frame's time is when the
guest kernel's input core passed it on (after xhci_hcd, usbhid and
hid-input). Latency = the frame's guest time, put on L1's clock, minus the
send time.

The two clocks are joined with probes over the serial console, before and
after the events (bench/README.md has the method and its error bound): L1
writes 'p' (t1), the guest reads its clock (g) and answers one byte, L1
reads it (t2). g was read between t1 and t2, so offset = g - (t1 + t2) / 2
is off by at most (t2 - t1) / 2; of PROBES probes the one with the shortest
round trip is kept, before and after the events, and the offset is
interpolated between the two.

Reported per monitor: median and 99th percentile (nearest rank) in ms, for
tablet moves, keys and both together, with the error bound; the ratio
Vireo/QEMU of the medians and of the 99th percentiles.

usage:
  bench/input.py --build-dir DIR [--vireo-vmm EXE] [--spice-probe EXE]
                 [--events 200] [--interval 20] [--repeat 1]
  bench/input.py --monitor-share --build-dir DIR [--events 2000]
      (the monitor's own share, without a guest: tests/unit/usb/input-bench
      plays the guest's xHCI driver; see bench/README.md)
"""

import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import labcache  # noqa: E402
import labdisk  # noqa: E402
import labguest  # noqa: E402
import labinit  # noqa: E402
import labl1  # noqa: E402
import labusb  # noqa: E402  (registers the 'usb' module set)

MEMORY_MB = 512
RUN_TIMEOUT = 600
KEY_A = 30
TABLET_MAX = 32767
ACK = 0x06
_MARKER = re.compile(r'VIREO-L2-([A-Z0-9]+)(?: (.*))?$')

GUEST_INIT = labinit._L2_PROLOGUE.replace('@SCENARIO@', 'input-bench') + r'''
i=0
while :; do
	kbd=$(grep -c -i 'N: Name=.*usb.*keyboard' /proc/bus/input/devices)
	tab=$(grep -c -i 'N: Name=.*usb.*tablet' /proc/bus/input/devices)
	[ "$kbd" -ge 1 ] && [ "$tab" -ge 1 ] && break
	i=$((i + 1))
	[ $i -lt 600 ] || hang "no USB keyboard and tablet: $(grep 'N: Name' /proc/bus/input/devices | tr '\n' ';')"
	sleep 0.1
done
handler() {
	grep -i -A5 "N: Name=.*usb.*$1" /proc/bus/input/devices | sed -n 's/.*H: Handlers=.*\(event[0-9]*\).*/\1/p' | head -n1
}
kev=$(handler keyboard)
tev=$(handler tablet)
echo "VIREO-L2-KBD $kev"
echo "VIREO-L2-TABLET $tev"
# The tablet follows a client that sees the screen: wait for the mode.
i=0
until size=$(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null); do
	i=$((i + 1))
	[ $i -lt 600 ] || hang "no framebuffer"
	sleep 0.1
done
input-guest /dev/input/$kev /dev/input/$tev "$size" || echo "VIREO-L2-ERROR input-guest failed"
echo VIREO-L2-POWEROFF
poweroff -f
'''


# ---- inside the lab --------------------------------------------------------

class ConsoleReader:
    """The guest's console, read in chunks on a thread: lines for the
    markers, and the arrival time (L1's CLOCK_MONOTONIC, ns) of every ACK
    byte, taken as soon as read() returns."""

    def __init__(self, pipe):
        self._fd = pipe.fileno()
        self.lines = queue.Queue()
        self.acks = queue.Queue()
        self._t = threading.Thread(target=self._pump, daemon=True)
        self._t.start()

    def _pump(self):
        buf = bytearray()
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b''
            t = time.monotonic_ns()
            if not chunk:
                break
            for b in chunk:
                if b == ACK:
                    self.acks.put(t)
                elif b == 0x0a:
                    self.lines.put(buf.decode('utf-8', 'replace').replace('\r', ''))
                    buf.clear()
                else:
                    buf.append(b)
        if buf:
            self.lines.put(buf.decode('utf-8', 'replace').replace('\r', ''))
        self.lines.put(None)

    def get(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            return self.lines.get(timeout=left)
        except queue.Empty:
            raise TimeoutError from None


class BenchGuest(labguest.Guest):
    """A guest whose console also takes input (the clock probes)."""

    def start(self):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._out = ConsoleReader(self.proc.stdout)
        self._err = threading.Thread(target=self._pump_err, daemon=True)
        self._err.start()
        return self

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def probe(self, count, gap_s=0.01):
        """count clock probes: [(t1, t2)] in L1 ns; the guest keeps its
        own readings and prints them at the end, in the same order."""
        out = []
        for _ in range(count):
            t1 = time.monotonic_ns()
            self.send(b'p')
            try:
                t2 = self._out.acks.get(timeout=30)
            except queue.Empty:
                raise OSError('the guest did not answer a clock probe within 30 s') from None
            out.append((t1, t2))
            time.sleep(gap_s)
        return out


class QemuSpice(labguest.Qemu):
    name = 'qemu-pc'

    def __init__(self):
        super().__init__('pc')

    def argv(self, kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl):
        return super().argv(kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl) + [
            '-vga', 'std',
            '-spice', f'unix=on,addr={ctl}.spice,disable-ticketing=on',
            '-device', 'qemu-xhci,id=xhci',
            '-device', 'usb-tablet,bus=xhci.0',
            '-device', 'usb-kbd,bus=xhci.0']

    @staticmethod
    def spice_path(guest):
        return guest.ctl + '.spice'


class VireoSpice(labusb.UsbVireo):
    def __init__(self, exe):
        super().__init__(exe, None)

    @staticmethod
    def spice_path(guest):
        return guest.ctl


def run_probe(plan, mon, guest, size):
    m = re.fullmatch(r'(\d+),(\d+)', size)
    if not m:
        raise OSError(f'the guest reported no framebuffer size ({size!r})')
    cmd = [plan['spice_probe'], '--unix', mon.spice_path(guest),
           '--wait-size', f'{m.group(1)}x{m.group(2)}',
           '--bench', f'{plan["events"]},{plan["interval"]}', '--timeout', '300']
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=400, check=False)
    except subprocess.TimeoutExpired:
        raise OSError('spice-probe hung') from None
    guest.stderr.extend('spice-probe: ' + line for line in r.stderr.splitlines())
    sent = []
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) == 6 and w[0] == 'bench' and w[2] == 'tablet':
            sent.append({'dev': 't', 'x': int(w[3]), 'y': int(w[4]), 'ns': int(w[5])})
        elif len(w) == 6 and w[0] == 'bench' and w[2] == 'key':
            sent.append({'dev': 'k', 'down': int(w[4]), 'ns': int(w[5])})
    if r.returncode != 0 or 'sent' not in r.stdout.split() or len(sent) != plan['events']:
        raise OSError(f'spice-probe exited with {r.returncode} after {len(sent)} events: '
                      f'{r.stderr.strip()[-500:]}')
    return sent, (int(m.group(1)), int(m.group(2)))


def measure_once(mon, plan, work):
    """One guest: probes, the events, probes; the raw data for analyse()."""
    append = 'console=ttyS0 panic=-1 quiet vireo.scenario=input-bench'
    guest = BenchGuest(mon, plan['kernel'], plan['initrd'], append, MEMORY_MB, 1, work_dir=work)
    res = {'monitor': mon.name}
    deadline = time.monotonic() + RUN_TIMEOUT
    pings, frames, seen = [], [], []
    try:
        guest.start()
        for _, name, arg in guest.markers(deadline):
            seen.append(name)
            if name == 'ERROR':
                raise OSError(f'guest: {arg}')
            if name == 'INPUTREADY':
                res['probes_before'] = guest.probe(plan['probes'])
                res['sent'], res['size'] = run_probe(plan, mon, guest, arg)
                # Lets the last events arrive before the guest stops reading.
                time.sleep(1)
                res['probes_after'] = guest.probe(plan['probes'])
                guest.send(b'q')
            elif name == 'PING':
                pings.append(int(arg.split()[1]))
            elif name == 'EV':
                w = arg.split()
                frames.append({'dev': w[0], 'ns': int(w[1]), 'a': int(w[2]), 'b': int(w[3])})
        res['status'] = guest.wait(deadline)
        if 'INPUTDONE' not in seen:
            raise OSError(f'the guest did not finish (markers: {" ".join(seen[-8:])})')
        res['guest_probes'] = pings
        res['frames'] = frames
    except TimeoutError:
        res['error'] = f'timed out (markers: {" ".join(seen[-8:])})'
    except OSError as e:
        res['error'] = str(e)
    finally:
        if guest.proc:
            guest.kill()
        guest.log(os.path.join(plan['log_dir'], f'{mon.name}-{len(os.listdir(plan["log_dir"]))}.log'),
                  f'result: {res.get("error", "ok")}')
    return res


def cmd_inner(plan_path):
    plan = benchlab.load_plan(plan_path)
    results = []
    with tempfile.TemporaryDirectory(prefix='vireo-bench-input-') as work:
        mons = ([VireoSpice(plan['vireo_vmm'])] if plan['vireo_vmm'] else []) + [QemuSpice()]
        for i in range(plan['repeat']):
            for mon in mons:
                r = measure_once(mon, plan, work)
                r['round'] = i
                results.append(r)
                print(f'bench: {mon.name} round {i}: {r.get("error", "ok")}', flush=True)
    benchlab.save_results(plan, results)
    return 0


# ---- on the host -------------------------------------------------------------

def tablet_value(pos, size, monitor):
    """Where a pixel lands on the tablet's 0..32767 axis: Vireo maps the
    screen's last pixel to the end of the axis, QEMU the screen's size."""
    return pos * TABLET_MAX / ((size - 1) if monitor == 'vireo' else size)


def best_offset(probes, guest_times):
    """(offset ns, error bound ns, host time ns) of the probe with the
    shortest round trip: guest clock = L1 clock + offset."""
    best = min(range(len(probes)), key=lambda i: probes[i][1] - probes[i][0])
    t1, t2 = probes[best]
    return guest_times[best] - (t1 + t2) / 2, (t2 - t1) / 2, (t1 + t2) / 2


def match(sent, frames, size, monitor):
    """[(sent event, frame)] in order; an event the guest never reported
    (or merged with the next one) has no frame."""
    out = []
    for dev in ('t', 'k'):
        fr = [f for f in frames if f['dev'] == dev]
        j = 0
        for s in (s for s in sent if s['dev'] == dev):
            k = j
            while k < len(fr):
                f = fr[k]
                if dev == 'k':
                    ok = f['a'] == KEY_A and f['b'] == s['down']
                else:
                    step = TABLET_MAX / (size[0] - 1) + 1
                    ok = f['a'] >= 0 and abs(f['a'] - tablet_value(s['x'], size[0], monitor)) <= step
                if ok:
                    break
                k += 1
            if k < len(fr):
                out.append((s, fr[k]))
                j = k + 1
            else:
                out.append((s, None))
    return out


def percentile(values, p):
    """Nearest rank."""
    v = sorted(values)
    return v[max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))]


def analyse(r):
    """Latencies (ms) per device from one guest's raw data."""
    n = len(r['probes_before'])
    g = r['guest_probes']
    if len(g) != n + len(r['probes_after']):
        raise ValueError(f'{len(g)} guest clock readings for {n + len(r["probes_after"])} probes')
    o1, e1, h1 = best_offset(r['probes_before'], g[:n])
    o2, e2, h2 = best_offset(r['probes_after'], g[n:])
    lat = {'t': [], 'k': []}
    lost = 0
    pairs = match(r['sent'], r['frames'], r['size'], r['monitor'])
    for s, f in pairs:
        if f is None:
            lost += 1
            continue
        off = o1 + (o2 - o1) * (s['ns'] - h1) / (h2 - h1)
        ms = (f['ns'] - off - s['ns']) / 1e6
        lat[s['dev']].append(ms)
    return {
        'tablet': lat['t'], 'key': lat['k'], 'lost': lost,
        'bound_ms': max(e1, e2) / 1e6,
        'drift_ppm': (o2 - o1) / (h2 - h1) * 1e6,
        'offset_change_ms': (o2 - o1) / 1e6,
    }


def summarize(results, names):
    rows = {}
    for name in names:
        runs = [r for r in results if r['monitor'] == name]
        errors = [r['error'] for r in runs if 'error' in r]
        ok = [analyse(r) for r in runs if 'error' not in r]
        if not ok:
            rows[name] = {'error': errors[0] if errors else 'no run'}
            continue
        tab = [x for a in ok for x in a['tablet']]
        key = [x for a in ok for x in a['key']]
        row = {'bound_ms': max(a['bound_ms'] for a in ok),
               'lost': sum(a['lost'] for a in ok),
               'drift_ppm': max((a['drift_ppm'] for a in ok), key=abs),
               'errors': errors}
        for label, v in (('tablet', tab), ('key', key), ('all', tab + key)):
            row[label] = ((statistics.median(v), percentile(v, 99), min(v), len(v)) if v else None)
        rows[name] = row
    return rows


def print_table(rows, names, plan, out=sys.stdout):
    def p(s=''):
        print(s, file=out)

    p(f'Input latency, SPICE event to the guest\'s evdev event, '
      f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; {plan["where"]}; '
      f'kernel {plan["kernel_release"]}; {plan["events"]} events {plan["interval"]} ms apart '
      f'x {plan["repeat"]} guest(s) per monitor; vireo-vmm build type: {plan["buildtype"]}; '
      f'load average {os.getloadavg()[0]:.1f}')
    p()
    p('| monitor | events | median ms | p99 ms | min ms | tablet median / p99 | '
      'keys median / p99 | lost | clock error bound ms |')
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for name in names:
        r = rows[name]
        if 'error' in r:
            p(f'| {name} | failed: {r["error"]} | | | | | | | |')
            continue
        a, t, k = r['all'], r['tablet'], r['key']
        cell = (lambda x: f'{x[0]:.2f} / {x[1]:.2f}' if x else '-')
        p(f'| {name} | {a[3]} | {a[0]:.2f} | {a[1]:.2f} | {a[2]:.2f} | {cell(t)} | {cell(k)} | '
          f'{r["lost"]} | ±{r["bound_ms"]:.2f} |')
    if len(names) == 2 and all('error' not in rows[n] for n in names):
        v, q = rows[names[0]]['all'], rows[names[1]]['all']
        p()
        p(f'Vireo/QEMU: median {v[0] / q[0]:.2f}x, p99 {v[1] / q[1]:.2f}x '
          f'(below 1: Vireo faster)')
    for name in names:
        if 'drift_ppm' in rows[name]:
            p(f'# {name}: clock drift between the probe sets {rows[name]["drift_ppm"]:.0f} ppm')


def monitor_share(build_dir, events):
    """The monitor's own share, without a guest (tests/unit/usb/input-bench)."""
    exe = os.path.join(build_dir, 'tests', 'unit', 'usb', 'input-bench')
    if not os.access(exe, os.X_OK):
        sys.exit(f'{exe} is missing: build first (meson compile -C {build_dir} input-bench)')
    r = subprocess.run([exe, str(events)], capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in r.stdout.splitlines() if line.startswith('events ')]
    if r.returncode != 0 or not lines:
        sys.exit(f'input-bench failed ({r.returncode}):\n{r.stderr[-2000:]}')
    words = lines[-1].split()
    res = {words[i]: words[i + 1] for i in range(0, len(words) - 1, 2)}
    print(f'input: VmmDisplay event -> USB HID -> xHCI transfer event, {res["events"]} events, '
          f'load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs')
    print(f'{"median ms":>10} {"p99 ms":>8} {"max ms":>8}')
    print(f'{int(res["median_us"]) / 1000:>10.3f} {int(res["p99_us"]) / 1000:>8.3f} '
          f'{int(res["max_us"]) / 1000:>8.3f}')
    return 0


def main():
    ap = benchlab.arg_parser(__doc__, 'meson build folder (lab cache; vireo-vmm, spice-probe)')
    ap.add_argument('--spice-probe', help='default: BUILD_DIR/tests/unit/display/spice-probe')
    ap.add_argument('--events', type=int, default=200)
    ap.add_argument('--interval', type=int, default=200, help='ms between events')
    ap.add_argument('--probes', type=int, default=30, help='clock probes before and after')
    ap.add_argument('--repeat', type=int, default=1, help='guests per monitor')
    ap.add_argument('--monitor-share', action='store_true',
                    help='measure the monitor alone (input-bench), no guest')
    args = benchlab.parse_args(ap)
    if args.inner:
        return cmd_inner(args.inner)
    if args.monitor_share:
        return monitor_share(args.build_dir, args.events if args.events != 200 else 2000)
    cache = labcache.Cache(args.build_dir)
    probe = args.spice_probe or os.path.join(cache.build_dir, 'tests', 'unit', 'display',
                                             'spice-probe')
    if not os.access(probe, os.X_OK):
        print(f'bench: {probe} not found (meson compile spice-probe)', file=sys.stderr)
        return 1
    vireo = benchlab.vireo_vmm(cache, args.vireo_vmm)
    out_dir = benchlab.out_dir(cache)
    log_dir = os.path.join(out_dir, 'input-logs')
    os.makedirs(log_dir, exist_ok=True)
    for old in os.listdir(log_dir):
        os.unlink(os.path.join(log_dir, old))
    guest_bin = benchlab.build_guest_program(out_dir, 'input-guest')
    if guest_bin is None:
        return 1
    hw = labl1.hardware_kvm()
    plan = {
        'kernel': cache.vmlinuz(),
        'kernel_release': cache.kernel_release(),
        'initrd': labdisk.build_initramfs(cache, 'l2-inputbench', GUEST_INIT, ['usb'],
                                          [('bin/input-guest', guest_bin, 0o755)]),
        'vireo_vmm': os.path.abspath(vireo) if vireo else None,
        'spice_probe': os.path.abspath(probe),
        'events': args.events,
        'interval': args.interval,
        'probes': args.probes,
        'repeat': args.repeat,
        'results': os.path.join(out_dir, 'input-results.json'),
        'log_dir': log_dir,
        'buildtype': benchlab.buildtype(os.path.dirname(os.path.dirname(os.path.abspath(vireo))))
        if vireo else 'none',
        'where': benchlab.where(hw),
    }
    names = (['vireo'] if vireo else []) + ['qemu-pc']
    results = benchlab.measure(cache, hw, 'input', plan, __file__, cmd_inner,
                               args.repeat * len(names) * RUN_TIMEOUT + 600,
                               on_line=lambda line: print('# ' + line, flush=True))
    if results is None:
        return 1
    print_table(summarize(results, names), names, plan)
    return 0


if __name__ == '__main__':
    sys.exit(main())
