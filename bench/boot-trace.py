#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a guest's boot time goes, under vireo-vmm and QEMU.

Not a benchmark: one boot per monitor, inside ONE run of the nested lab
(or directly where /dev/kvm is hardware virtualization), of the boot
benchmark's kernel with `initcall_debug` (direct boot, QEMU -M pc), or
with --firmware of bench/firmware.py's GRUB CD through SeaBIOS (QEMU
-M q35). For each monitor it writes to BUILD_DIR/bench/boot-trace.txt
(--firmware: boot-trace-fw.txt):

  - the guest's slow initcalls and driver probes (1 ms or more) and its
    XSAVE, clocksource and i8042 messages, from dmesg read by /init;
  - /proc/interrupts and the guest's CPU flags;
  - histograms of the KVM events in the host kernel while the guest ran
    (ftrace hist triggers on kvm_exit by exit reason, kvm_pio by port,
    kvm_mmio by address, kvm_msr by MSR, kvm_page_fault by error code
    and by 2 MiB region of guest addresses, kvm_userspace_exit by reason,
    kvm_set_irq by GSI): the exits a monitor causes, counted by the
    hypervisor itself rather than by the monitor;
  - the monitor's /proc/PID/smaps and status once the guest idles.

With --firmware the kernel prints from its first instruction
(earlyprintk), and the histograms and the CPU time of each of the
monitor's threads are taken at its first line, where the boot stops:
what SeaBIOS and GRUB cost, before the kernel runs.

On AMD (SVM) kvm_exit reasons are VMEXIT codes: 0x7b (123) IOIO,
0x400 (1024) NPF (MMIO and first touches of guest RAM), 0x7c MSR,
0x60 INTR, 0x64 VINTR, 0x65 (101) CR0 write, 0x72 CPUID, 0x73 (115)
RSM (QEMU's SMM). In kvm_pio, rw 0 is a read.

  python3 bench/boot-trace.py --build-dir _build/run [--append "..."] [--firmware]

Needs root in L1 (tracefs), which the lab has.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import firmware  # noqa: E402  (the CD and the firmware monitors)
import labcache  # noqa: E402
import labguest  # noqa: E402
import labl1  # noqa: E402

APPEND = 'console=ttyS0 quiet panic=-1 initcall_debug log_buf_len=4M'
# The decompressor's first line ends the firmware's part.
FW_APPEND = 'console=ttyS0 earlyprintk=ttyS0 panic=-1'
TIMEOUT = 900

# The guest prints its findings after the marker the benchmark stops at,
# so they do not count in the boot; only lines worth reading go over the
# serial port (every byte is a port exit).
INIT = r'''#!/bin/sh
export PATH=/bin
echo VIREO-L2-INIT
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "VIREO-L2-UPTIME $(cut -d' ' -f1 /proc/uptime)"
dmesg | grep -E 'XSAVE|x86/fpu|after [0-9]{4,} usecs|clocksource|serio|i8042' | sed 's/^/DMESG /'
sed 's/^/IRQS /' /proc/interrupts
sed 's/^/CLOCKSOURCE /' /sys/devices/system/clocksource/clocksource0/current_clocksource
grep -m1 flags /proc/cpuinfo | sed 's/^/CPUFLAGS /'
echo VIREO-L2-IDLE
poweroff -f
'''

TRACEFS = '/sys/kernel/tracing'
TRIGGERS = {
    'kvm/kvm_exit': 'hist:keys=exit_reason:sort=hitcount.descending',
    'kvm/kvm_pio': 'hist:keys=port,rw:sort=hitcount.descending',
    # Room for every address a firmware boot touches (ECAM, ROMs).
    'kvm/kvm_mmio': 'hist:keys=gpa.hex,type:sort=hitcount.descending:size=16384',
    'kvm/kvm_msr': 'hist:keys=ecx.hex,write:sort=hitcount.descending',
    # Nested page faults: error code (present, write, ...) and the guest
    # page, to tell first touches of RAM from dirty-logged framebuffer
    # writes.
    'kvm/kvm_page_fault': ['hist:keys=error_code.hex:sort=hitcount.descending',
                           'hist:keys=fault_address.hex:sort=fault_address:size=65536'],
    'kvm/kvm_userspace_exit': 'hist:keys=reason:sort=hitcount.descending',
    'kvm/kvm_set_irq': 'hist:keys=gsi:sort=hitcount.descending',
}


def _write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def _triggers():
    for ev, trig in TRIGGERS.items():
        for t in ([trig] if isinstance(trig, str) else trig):
            yield ev, t


class _KernelStarted(Exception):
    pass


_FAULT = re.compile(r'fault_address:\s*(?:0x)?([0-9a-f]+)\s*}\s*hitcount:\s*(\d+)')


def _by_region(hist):
    """A histogram keyed by guest address, summed per 2 MiB region."""
    regions, pages = {}, 0
    for m in _FAULT.finditer(hist):
        base = int(m.group(1), 16) >> 21 << 21
        regions[base] = regions.get(base, 0) + int(m.group(2))
        pages += 1
    rows = sorted(regions.items(), key=lambda kv: -kv[1])
    return (f'# {pages} addresses, {sum(regions.values())} faults, per 2 MiB region:\n'
            + ''.join(f'  0x{base:x}: {n}\n' for base, n in rows[:24]))


def _hists():
    text = ''
    for ev in TRIGGERS:
        with open(f'{TRACEFS}/events/{ev}/hist', encoding='utf-8') as f:
            hist = f.read()
        # A per-address histogram is tens of thousands of lines: summed.
        parts = hist.split('# event histogram')
        hist = '# event histogram'.join(
            '\n' + _by_region(p) if 'keys=fault_address' in p else p for p in parts)
        text += f'--- {ev}\n' + hist
    return text


def _thread_times(pid):
    """Each thread's name and user+system CPU seconds, busiest first."""
    rows = []
    tick = os.sysconf('SC_CLK_TCK')
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat', encoding='utf-8') as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index('(') + 1:stat.rindex(')')]
        fields = stat[stat.rindex(')') + 2:].split()
        rows.append((int(fields[11]) + int(fields[12]), comm, tid))
    rows.sort(reverse=True)
    return ''.join(f'{ticks / tick:9.2f} s  {comm} ({tid})\n' for ticks, comm, tid in rows)


def trace_one(monitor, kernel, initrd, append, work, out, split=False):
    for ev, trig in _triggers():
        _write(f'{TRACEFS}/events/{ev}/trigger', trig)
    guest = labguest.Guest(monitor, kernel, initrd, append, 512, 1, work_dir=work)
    res, smaps, status, pre = {}, '', '', ''

    def first_line(t, _line):
        nonlocal pre
        if split and not pre:
            res['kernel_start_s'] = round(t, 2)
            pre = (_hists() + '--- thread CPU time\n' + _thread_times(guest.proc.pid))
            raise _KernelStarted

    deadline = time.monotonic() + TIMEOUT
    try:
        guest.start()
        for t, name, arg in guest.markers(deadline, on_line=first_line):
            if name == 'INIT':
                res['init_s'] = round(t, 2)
            elif name == 'UPTIME':
                res['uptime_s'] = arg
            elif name == 'IDLE':
                res['hwm_kb'], res['rss_kb'] = guest.memory()
                res['guest_ram_kb'] = guest.guest_ram_rss_kb(512)
                with open(f'/proc/{guest.proc.pid}/smaps', encoding='utf-8') as f:
                    smaps = f.read()
                with open(f'/proc/{guest.proc.pid}/status', encoding='utf-8') as f:
                    status = f.read()
        res['exit_status'] = guest.wait(deadline)
    except TimeoutError:
        res['error'] = f'timed out after {TIMEOUT} s'
    except _KernelStarted:
        pass   # with --firmware only what comes before the kernel counts
    finally:
        if guest.proc:
            guest.kill()
    print(f'===== {monitor.name} {json.dumps(res)}', file=out)
    # With --firmware: taken at the kernel's first line (or at the end,
    # when it never printed).
    out.write(pre or _hists())
    for ev, trig in _triggers():
        _write(f'{TRACEFS}/events/{ev}/trigger', '!' + trig)
    out.write('--- serial\n')
    for t, line in guest.serial:
        out.write(f'[{t:8.3f}] {line}\n')
    out.write('--- stderr\n' + ''.join(line + '\n' for line in guest.stderr))
    out.write('--- smaps\n' + smaps + '--- status\n' + status)
    out.flush()
    print(f'boot-trace: {monitor.name}: {json.dumps(res)}', flush=True)


def cmd_inner(plan_path):
    plan = benchlab.load_plan(plan_path)
    if not os.path.exists(f'{TRACEFS}/events'):
        subprocess.run(['mount', '-t', 'tracefs', 'tracefs', TRACEFS], check=False)
    with tempfile.TemporaryDirectory(prefix='vireo-trace-') as work, \
            open(plan['out'], 'w', encoding='utf-8') as out:
        if plan.get('iso'):
            # Booted from the CD: the kernel and initrd options go unused.
            kernel = initrd = None
            iso = shutil.copy(plan['iso'], work)
            mons = [firmware.QemuFw('q35', iso)]
            if plan['vireo_vmm']:
                mons.insert(0, firmware.VireoFw(plan['vireo_vmm'], iso))
        else:
            kernel = shutil.copy(plan['kernel'], work)
            initrd = shutil.copy(plan['initrd'], work)
            mons = [labguest.Qemu('pc')]
            if plan['vireo_vmm']:
                mons.insert(0, labguest.Vireo(plan['vireo_vmm']))
        for m in mons:
            trace_one(m, kernel, initrd, plan['append'], work, out, split=bool(plan.get('iso')))
    return 0


def main():
    ap = benchlab.arg_parser(__doc__)
    ap.add_argument('--append', help='the guest kernel command line')
    ap.add_argument('--firmware', action='store_true',
                    help="boot bench/firmware.py's CD through SeaBIOS instead")
    args = benchlab.parse_args(ap)
    if args.inner:
        return cmd_inner(args.inner)
    cache = labcache.Cache(args.build_dir)
    vireo = args.vireo_vmm or os.path.join(cache.build_dir, 'vmm-core', 'vireo-vmm')
    out_dir = benchlab.out_dir(cache)
    append = args.append or (FW_APPEND if args.firmware else APPEND)
    initrd = cache._image('l2-boot-trace', INIT, [])
    plan = {
        'kernel': cache.vmlinuz(),
        'initrd': initrd,
        'iso': (firmware.labfw.build_iso(cache, 'trace', append, timeout=0, initrd=initrd)
                if args.firmware else None),
        'vireo_vmm': os.path.abspath(vireo) if os.access(vireo, os.X_OK) else None,
        'append': append,
        'out': os.path.join(out_dir, 'boot-trace-fw.txt' if args.firmware else 'boot-trace.txt'),
    }
    plan_path = benchlab.write_plan(cache, 'boot-trace', plan)
    status = benchlab.run_inner(cache, labl1.hardware_kvm(), __file__, plan_path, cmd_inner,
                                3 * TIMEOUT)
    print(f'boot-trace: {plan["out"]}' if status == 0 else
          f'boot-trace: the tracing run failed (status {status})')
    return 0 if status == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
