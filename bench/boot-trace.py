#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a guest's boot time goes, under vireo-vmm and QEMU -M pc.

Not a benchmark: one boot per monitor, inside ONE run of the nested lab
(or directly where /dev/kvm is hardware virtualization), of the boot
benchmark's kernel with `initcall_debug`. For each monitor it writes to
BUILD_DIR/bench/boot-trace.txt:

  - the guest's slow initcalls and driver probes (1 ms or more) and its
    XSAVE, clocksource and i8042 messages, from dmesg read by /init;
  - /proc/interrupts and the guest's CPU flags;
  - histograms of the KVM events in the host kernel while the guest ran
    (ftrace hist triggers on kvm_exit by exit reason, kvm_pio by port,
    kvm_mmio by address, kvm_msr by MSR, kvm_userspace_exit by reason,
    kvm_set_irq by GSI): the exits a monitor causes, counted by the
    hypervisor itself rather than by the monitor;
  - the monitor's /proc/PID/smaps and status once the guest idles.

On AMD (SVM) kvm_exit reasons are VMEXIT codes: 0x7b (123) IOIO,
0x400 (1024) NPF (MMIO and first touches of guest RAM), 0x7c MSR,
0x60 INTR, 0x64 VINTR, 0x72 CPUID.

  python3 bench/boot-trace.py --build-dir _build/run [--append "..."]

Needs root in L1 (tracefs), which the lab has.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import labcache  # noqa: E402
import labguest  # noqa: E402
import labl1  # noqa: E402

APPEND = 'console=ttyS0 quiet panic=-1 initcall_debug log_buf_len=4M'
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
    'kvm/kvm_mmio': 'hist:keys=gpa.hex,type:sort=hitcount.descending',
    'kvm/kvm_msr': 'hist:keys=ecx.hex,write:sort=hitcount.descending',
    'kvm/kvm_userspace_exit': 'hist:keys=reason:sort=hitcount.descending',
    'kvm/kvm_set_irq': 'hist:keys=gsi:sort=hitcount.descending',
}


def _write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def trace_one(monitor, kernel, initrd, append, work, out):
    for ev, trig in TRIGGERS.items():
        _write(f'{TRACEFS}/events/{ev}/trigger', trig)
    guest = labguest.Guest(monitor, kernel, initrd, append, 512, 1, work_dir=work)
    res, smaps, status = {}, '', ''
    deadline = time.monotonic() + TIMEOUT
    try:
        guest.start()
        for t, name, arg in guest.markers(deadline):
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
    finally:
        if guest.proc:
            guest.kill()
    print(f'===== {monitor.name} {json.dumps(res)}', file=out)
    for ev, trig in TRIGGERS.items():
        with open(f'{TRACEFS}/events/{ev}/hist', encoding='utf-8') as f:
            out.write(f'--- {ev}\n' + f.read())
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
    mons = [labguest.Qemu('pc')]
    if plan['vireo_vmm']:
        mons.insert(0, labguest.Vireo(plan['vireo_vmm']))
    with tempfile.TemporaryDirectory(prefix='vireo-trace-') as work, \
            open(plan['out'], 'w', encoding='utf-8') as out:
        kernel = shutil.copy(plan['kernel'], work)
        initrd = shutil.copy(plan['initrd'], work)
        for m in mons:
            trace_one(m, kernel, initrd, plan['append'], work, out)
    return 0


def main():
    ap = benchlab.arg_parser(__doc__)
    ap.add_argument('--append', default=APPEND, help='the guest kernel command line')
    args = benchlab.parse_args(ap)
    if args.inner:
        return cmd_inner(args.inner)
    cache = labcache.Cache(args.build_dir)
    vireo = args.vireo_vmm or os.path.join(cache.build_dir, 'vmm-core', 'vireo-vmm')
    out_dir = benchlab.out_dir(cache)
    plan = {
        'kernel': cache.vmlinuz(),
        'initrd': cache._image('l2-boot-trace', INIT, []),
        'vireo_vmm': os.path.abspath(vireo) if os.access(vireo, os.X_OK) else None,
        'append': args.append,
        'out': os.path.join(out_dir, 'boot-trace.txt'),
    }
    plan_path = benchlab.write_plan(cache, 'boot-trace', plan)
    status = benchlab.run_inner(cache, labl1.hardware_kvm(), __file__, plan_path, cmd_inner,
                                3 * TIMEOUT)
    print(f'boot-trace: {plan["out"]}' if status == 0 else
          f'boot-trace: the tracing run failed (status {status})')
    return 0 if status == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
