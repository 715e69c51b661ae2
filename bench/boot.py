#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot benchmark: vireo-vmm against QEMU (-M microvm and -M pc).

For each monitor, with the same kernel (Debian's), initramfs (busybox, the
lab's "idle" scenario), memory and one vCPU, all under KVM and inside ONE
run of the nested lab (or directly where /dev/kvm is hardware
virtualization), it measures:

  time    from the monitor's process start to the first line the guest's
          /init prints (VIREO-L2-INIT on the serial console); split with
          the guest's /proc/uptime read right after, into the part before
          the guest kernel's clock starts (monitor set-up, firmware, kernel
          load and decompression: what a monitor controls) and the rest;
  memory  the monitor's peak RSS (VmHWM) minus the guest RAM it touched.
          Guest RAM touched is the resident size of the mappings that hold
          guest RAM (non-file mappings at least half the guest size, from
          /proc/PID/smaps), read together with VmHWM once the guest is up
          and idle.

Runs are interleaved across monitors (so load changes on a shared machine
hit all of them alike), after one unmeasured warm-up each; medians are
reported with ratios Vireo/QEMU.

  python3 bench/boot.py --build-dir _build/run [--repeat 5] [--memory 512]
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import labcache  # noqa: E402
import labguest  # noqa: E402
import labl1  # noqa: E402

APPEND = 'console=ttyS0 quiet panic=-1'
RUN_TIMEOUT = 300


def _monitors(vireo_vmm):
    mons = []
    if vireo_vmm:
        mons.append(labguest.Vireo(vireo_vmm))
    mons += [labguest.Qemu('microvm'), labguest.Qemu('pc')]
    return mons


def measure_once(monitor, kernel, initrd, memory_mb, work):
    """One boot: dict with seconds to /init and memory figures, or error."""
    guest = labguest.Guest(monitor, kernel, initrd, APPEND, memory_mb, 1, work_dir=work)
    res = {'monitor': monitor.name}
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        guest.start()
        for t, name, arg in guest.markers(deadline):
            if name == 'INIT' and 'init_s' not in res:
                res['init_s'] = t
            elif name == 'UPTIME' and 'kernel_s' not in res:
                try:
                    res['kernel_s'] = float(arg)
                except ValueError:
                    res['error'] = f'bad uptime line from the guest: {arg!r}'
            elif name == 'IDLE':
                hwm, rss = guest.memory()
                res['hwm_kb'] = hwm
                res['rss_kb'] = rss
                res['guest_ram_kb'] = guest.guest_ram_rss_kb(memory_mb)
        res['status'] = guest.wait(deadline)
        res['maxrss_kb'] = guest.maxrss_kb
    except TimeoutError:
        res['error'] = f'timed out after {RUN_TIMEOUT} s'
    except OSError as e:
        res['error'] = str(e)
    finally:
        if guest.proc:
            guest.kill()
    if 'error' not in res and ('init_s' not in res or 'kernel_s' not in res
                               or 'hwm_kb' not in res or res['status'] != 0):
        tail = (guest.stderr or [line for _, line in guest.serial] or ['no output'])[-1]
        res['error'] = f'incomplete run (exit status {res.get("status")}): {tail}'
    return res


def cmd_inner(plan_path):
    plan = benchlab.load_plan(plan_path)
    mons = _monitors(plan['vireo_vmm'])
    results = []
    with tempfile.TemporaryDirectory(prefix='vireo-bench-') as work:
        # Guest images from local memory, not over 9p: the monitors' load
        # time should not depend on the lab's file sharing.
        kernel = shutil.copy(plan['kernel'], work)
        initrd = shutil.copy(plan['initrd'], work)
        for m in mons:
            r = measure_once(m, kernel, initrd, plan['memory_mb'], work)
            print(f'bench: warm-up {m.name}: {r.get("error", "ok")}', flush=True)
        for i in range(plan['repeat']):
            for m in mons:
                r = measure_once(m, kernel, initrd, plan['memory_mb'], work)
                r['round'] = i
                results.append(r)
                print(f'bench: {json.dumps(r)}', flush=True)
    benchlab.save_results(plan, results)
    return 0


def summarize(results, names):
    rows = {}
    for name in names:
        ok = [r for r in results if r['monitor'] == name and 'error' not in r]
        errs = [r['error'] for r in results if r['monitor'] == name and 'error' in r]
        if not ok:
            rows[name] = {'error': errs[0] if errs else 'not run'}
            continue
        rows[name] = {
            'runs': len(ok),
            'failed': len(errs),
            'init_s': statistics.median(r['init_s'] for r in ok),
            'pre_s': statistics.median(r['init_s'] - r['kernel_s'] for r in ok),
            'hwm_mib': statistics.median(r['hwm_kb'] for r in ok) / 1024,
            'guest_mib': statistics.median(r['guest_ram_kb'] for r in ok) / 1024,
            'overhead_mib': statistics.median(r['hwm_kb'] - r['guest_ram_kb'] for r in ok) / 1024,
        }
    return rows


def print_table(rows, plan, out=sys.stdout):
    def p(s=''):
        print(s, file=out)

    p(f'Boot benchmark, {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; '
      f'{plan["where"]}; kernel {plan["kernel_release"]}; '
      f'{plan["memory_mb"]} MiB, 1 vCPU; median of {plan["repeat"]} runs; '
      f'vireo-vmm build type: {plan["buildtype"]}')
    p()
    p('| monitor | start to /init (s) | of which before the guest kernel\'s clock (s) '
      '| peak RSS (MiB) | guest RAM touched (MiB) | overhead (MiB) |')
    p('|---|---:|---:|---:|---:|---:|')
    for name, r in rows.items():
        if 'error' in r:
            p(f'| {name} | failed: {r["error"]} | | | | |')
        else:
            fails = f' ({r["failed"]} failed)' if r['failed'] else ''
            p(f'| {name}{fails} | {r["init_s"]:.2f} | {r["pre_s"]:.2f} | {r["hwm_mib"]:.1f} | '
              f'{r["guest_mib"]:.1f} | {r["overhead_mib"]:.1f} |')
    v = rows.get('vireo')
    if v and 'error' not in v:
        p()
        for q in ('qemu-microvm', 'qemu-pc'):
            r = rows.get(q)
            if r and 'error' not in r:
                p(f'Vireo/{q}: time {v["init_s"] / r["init_s"]:.2f}x '
                  f'(before the kernel\'s clock {v["pre_s"] / r["pre_s"]:.2f}x), '
                  f'memory overhead {v["overhead_mib"] / r["overhead_mib"]:.2f}x')


def main():
    ap = benchlab.arg_parser(__doc__)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--memory', type=int, default=512, help='guest MiB')
    args = benchlab.parse_args(ap)
    if args.inner:
        return cmd_inner(args.inner)
    cache = labcache.Cache(args.build_dir)
    vireo = benchlab.vireo_vmm(cache, args.vireo_vmm)
    out_dir = benchlab.out_dir(cache)
    hw = labl1.hardware_kvm()
    plan = {
        'kernel': cache.vmlinuz(),
        'kernel_release': cache.kernel_release(),
        'initrd': cache.l2_initramfs('idle'),
        'vireo_vmm': os.path.abspath(vireo) if vireo else None,
        'memory_mb': args.memory,
        'repeat': args.repeat,
        'results': os.path.join(out_dir, 'boot-results.json'),
        'buildtype': benchlab.buildtype(cache.build_dir),
        'where': benchlab.where(hw),
    }
    per_round = len(_monitors(vireo)) * RUN_TIMEOUT
    results = benchlab.measure(cache, hw, 'boot', plan, __file__, cmd_inner,
                               (args.repeat + 1) * per_round + 300)
    if results is None:
        return 1
    names = [m.name for m in _monitors(vireo)]
    print_table(summarize(results, names), plan)
    return 0


if __name__ == '__main__':
    sys.exit(main())
