#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firmware boot benchmark: vireo-vmm against QEMU, through SeaBIOS.

The same El Torito CD (grub-mkrescue, GRUB's menu timeout 0) holds Debian's
kernel and the lab's "idle" initramfs; each monitor boots it through
Debian's SeaBIOS (the same bios-256k.bin file) with a bochs-display screen
and the CD on SATA/IDE, inside ONE run of the nested lab (or directly
where /dev/kvm is hardware virtualization). Measured per boot, as in
bench/boot.py (whose measuring code this reuses):

  time    from the monitor's process start to the first line of /init,
          split by the guest kernel's uptime into the part before the
          kernel's clock starts (firmware, GRUB, reading the kernel and
          the initramfs from the CD) and the rest.

QEMU runs `-M q35` (its CD on the ICH9 AHCI, as Vireo's) and `-M pc` (the
PIIX IDE), both with `-vga none -device bochs-display`, which is the
screen Vireo gives and the option ROM SeaBIOS runs.

OVMF is not measured: inside the lab QEMU's emulation of nested SVM
aborts once OVMF hands over to GRUB (tests/lab/README.md). Run this where
/dev/kvm is hardware virtualization to measure it with --uefi.

  python3 bench/firmware.py --build-dir _build/run [--repeat 5]
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))
sys.path.insert(0, HERE)

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import boot  # noqa: E402  (one boot measured)
import labcache  # noqa: E402
import labfw  # noqa: E402  (the CD)
import labl1  # noqa: E402

SEABIOS = labfw.SEABIOS
OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
APPEND = 'console=ttyS0 quiet panic=-1'
RUN_TIMEOUT = 600


class VireoFw:
    name = 'vireo'

    def __init__(self, exe, iso, uefi_vars=None):
        self.exe, self.iso, self.uefi_vars = exe, iso, uefi_vars

    def argv(self, _kernel, _initrd, _append, memory_mb, cpus, _allow_reboot, _ctl):
        fw = (['--uefi-code', OVMF_CODE, '--uefi-vars', self.uefi_vars] if self.uefi_vars
              else ['--bios', SEABIOS])
        return [self.exe] + fw + ['--cdrom', self.iso, '--display', 'bochs',
                                  '--memory', f'{memory_mb}M', '--cpus', str(cpus),
                                  '--serial', 'stdio']


class QemuFw:
    def __init__(self, machine, iso, uefi_vars=None):
        self.machine, self.iso, self.uefi_vars = machine, iso, uefi_vars
        self.name = 'qemu-' + machine

    def argv(self, _kernel, _initrd, _append, memory_mb, cpus, _allow_reboot, ctl):
        fw = (['-drive', f'if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}',
               '-drive', f'if=pflash,format=raw,unit=1,file={self.uefi_vars}']
              if self.uefi_vars else ['-bios', SEABIOS])
        return ['qemu-system-x86_64', '-enable-kvm', '-M', self.machine, '-cpu', 'host',
                '-smp', str(cpus), '-m', str(memory_mb)] + fw + [
                '-display', 'none', '-vga', 'none', '-device', 'bochs-display',
                '-serial', 'stdio', '-no-reboot',
                '-drive', f'file={self.iso},if=none,id=cd,media=cdrom,readonly=on',
                '-device', 'ide-cd,bus=ide.0,drive=cd',
                '-qmp', f'unix:{ctl},server=on,wait=off']


def _monitors(vireo_vmm, iso, work, uefi):
    def vars_copy(name):
        if not uefi:
            return None
        path = os.path.join(work, f'{name}-vars.fd')
        shutil.copyfile(OVMF_VARS, path)
        return path
    mons = []
    if vireo_vmm:
        mons.append(VireoFw(vireo_vmm, iso, vars_copy('vireo')))
    mons += [QemuFw(m, iso, vars_copy(m)) for m in ('q35', 'pc')]
    return mons


def cmd_inner(plan_path):
    plan = benchlab.load_plan(plan_path)
    results = []
    # Firmware, GRUB and the CD come before the kernel: more time than a
    # direct boot needs inside the lab.
    boot.RUN_TIMEOUT = RUN_TIMEOUT
    with tempfile.TemporaryDirectory(prefix='vireo-bench-fw-') as work:
        # The CD from local memory, not over 9p (see bench/boot.py).
        iso = shutil.copy(plan['iso'], work)
        mons = _monitors(plan['vireo_vmm'], iso, work, plan['uefi'])
        for m in mons:
            r = boot.measure_once(m, None, None, plan['memory_mb'], work)
            print(f'bench: warm-up {m.name}: {r.get("error", "ok")}', flush=True)
        for i in range(plan['repeat']):
            for m in mons:
                r = boot.measure_once(m, None, None, plan['memory_mb'], work)
                r['round'] = i
                results.append(r)
                print(f'bench: {json.dumps(r)}', flush=True)
    benchlab.save_results(plan, results)
    return 0


def print_table(results, names, plan, out=sys.stdout):
    def p(s=''):
        print(s, file=out)

    fw = 'OVMF' if plan['uefi'] else 'SeaBIOS'
    p(f'Firmware boot benchmark ({fw}), {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; '
      f'{plan["where"]}; kernel {plan["kernel_release"]}; {plan["memory_mb"]} MiB, 1 vCPU; '
      f'median of {plan["repeat"]} runs; vireo-vmm build type: {plan["buildtype"]}')
    p()
    p('| monitor | start to /init (s) | of which before the guest kernel\'s clock (s) |')
    p('|---|---:|---:|')
    rows = {}
    for name in names:
        ok = [r for r in results if r['monitor'] == name and 'error' not in r]
        errs = [r['error'] for r in results if r['monitor'] == name and 'error' in r]
        if not ok:
            p(f'| {name} | failed: {errs[0] if errs else "not run"} | |')
            continue
        rows[name] = (statistics.median(r['init_s'] for r in ok),
                      statistics.median(r['init_s'] - r['kernel_s'] for r in ok))
        fails = f' ({len(errs)} failed)' if errs else ''
        p(f'| {name}{fails} | {rows[name][0]:.2f} | {rows[name][1]:.2f} |')
    v = rows.get('vireo')
    if v:
        p()
        for q in ('qemu-q35', 'qemu-pc'):
            if q in rows:
                p(f'Vireo/{q}: time {v[0] / rows[q][0]:.2f}x '
                  f'(before the kernel\'s clock {v[1] / rows[q][1]:.2f}x)')


def main():
    ap = benchlab.arg_parser(__doc__)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--memory', type=int, default=512, help='guest MiB')
    ap.add_argument('--uefi', action='store_true',
                    help='boot through OVMF instead (hardware KVM only: see above)')
    args = benchlab.parse_args(ap)
    if args.inner:
        return cmd_inner(args.inner)
    for path, pkg in ((SEABIOS, 'seabios'),) + (((OVMF_CODE, 'ovmf'),) if args.uefi else ()):
        if not os.path.isfile(path):
            print(f'bench: {path} missing: install the {pkg} package', file=sys.stderr)
            return 1
    hw = labl1.hardware_kvm()
    if args.uefi and not hw:
        print('bench: OVMF cannot be measured inside the nested lab (tests/lab/README.md);'
              ' run --uefi where /dev/kvm is hardware virtualization', file=sys.stderr)
        return 1
    cache = labcache.Cache(args.build_dir)
    vireo = benchlab.vireo_vmm(cache, args.vireo_vmm)
    out_dir = benchlab.out_dir(cache)
    plan = {
        'iso': labfw.build_iso(cache, 'bench', APPEND, timeout=0,
                               initrd=cache.l2_initramfs('idle')),
        'kernel_release': cache.kernel_release(),
        'vireo_vmm': os.path.abspath(vireo) if vireo else None,
        'memory_mb': args.memory,
        'repeat': args.repeat,
        'uefi': args.uefi,
        'results': os.path.join(out_dir, 'firmware-results.json'),
        'buildtype': benchlab.buildtype(cache.build_dir),
        'where': benchlab.where(hw),
    }
    names = ['vireo'] * bool(vireo) + ['qemu-q35', 'qemu-pc']
    results = benchlab.measure(cache, hw, 'firmware', plan, __file__, cmd_inner,
                               (args.repeat + 1) * len(names) * RUN_TIMEOUT + 300)
    if results is None:
        return 1
    print_table(results, names, plan)
    return 0


if __name__ == '__main__':
    sys.exit(main())
