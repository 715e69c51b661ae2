#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Vireo's nested lab: boot real guests under a KVM monitor on machines
whose own /dev/kvm cannot run them (see shared LAB.md and tests/lab/README.md).

  lab.py prepare      --build-dir DIR
  lab.py run          --build-dir DIR [--timeout S] -- COMMAND...
  lab.py l2-initramfs --build-dir DIR --scenario NAME [--modules SET...]
  lab.py test         --build-dir DIR --group qemu|vireo [--vireo-vmm EXE]

`test` prints TAP: one line per scenario.  It boots L1 once and runs every
scenario of the group inside it (`run-plan`, internal), or runs them directly
where /dev/kvm is hardware virtualization.
"""

import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import time

# Keep the source tree clean: no __pycache__ next to the scripts.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labcache  # noqa: E402
import labguest  # noqa: E402
import labinit  # noqa: E402
import labl1  # noqa: E402

GUEST_MEMORY_MB = 512

# (id, /init action, vCPUs, timeout in seconds).  One L2 boot takes 15-90 s
# inside L1 depending on the machine's load; the timeouts allow for worse.
# Reboot runs with one vCPU: inside L1, even QEMU's 2-vCPU guest hangs after
# the reset (L0's software SVM), so that case would test the lab, not us.
SCENARIOS = (
    ('poweroff-1cpu', 'poweroff', 1, 240),
    ('poweroff-2cpu', 'poweroff', 2, 240),
    ('reboot-1cpu', 'reboot', 1, 420),
    ('powerbutton', 'powerbutton', 1, 240),
)
# L1's own boot and the Python start-up in it come on top of the scenarios.
L1_MARGIN = 240


class ScenarioFailed(Exception):
    pass


def _monitor(plan, name):
    if name == 'vireo':
        sig = signal.Signals['SIG' + plan['power_button_signal']]
        return labguest.Vireo(plan['vireo_vmm'], sig)
    return labguest.Qemu(name.split('-', 1)[1])


def _last_serial(guest):
    # Where the guest stopped is the first thing a reader of the verdict
    # wants; the log has the rest.
    lines = [line.strip() for _, line in guest.serial if line.strip()]
    return f'; last serial line: {lines[-1][:160]!r}' if lines else '; no serial output'


def check_guest(guest, action, cpus, timeout):
    """Drive one guest through its scenario; raise ScenarioFailed(reason)."""
    deadline = time.monotonic() + timeout
    boots_expected = 2 if action == 'reboot' else 1
    boots, seen, pressed = 0, [], False
    last = 'none'
    try:
        for _, name, arg in guest.markers(deadline):
            last = name
            seen.append(name)
            if name == 'ERROR':
                raise ScenarioFailed(f'guest reported: {arg}')
            if name == 'INIT':
                boots += 1
                if boots > boots_expected:
                    raise ScenarioFailed(f'guest booted {boots} times, expected {boots_expected}'
                                         ' (an unexpected reset or a kernel panic)')
            elif name == 'NPROC' and arg != str(cpus):
                raise ScenarioFailed(f'guest nproc is {arg!r}, expected {cpus}')
            elif name == 'CMDLINE' and arg != guest.append:
                raise ScenarioFailed(f'guest /proc/cmdline is {arg!r}, expected {guest.append!r}')
            elif name == 'BOOT' and arg != str(boots):
                raise ScenarioFailed(f'boot {boots} found the reboot flag of boot {arg}'
                                     ' (CMOS RAM not kept, or not cleared, across reset)')
            elif name == 'READY' and action == 'powerbutton' and not pressed:
                pressed = True
                try:
                    guest.monitor.press_power_button(guest)
                except OSError as e:
                    raise ScenarioFailed(f'pressing the power button failed: {e}') from None
        status = guest.wait(deadline)
    except TimeoutError:
        what = 'after the power-button press' if pressed else f'last marker {last}'
        raise ScenarioFailed(f'timed out after {timeout} s ({what}){_last_serial(guest)}') from None
    err = guest.stderr[-1] if guest.stderr else ''
    if boots == 0:
        raise ScenarioFailed(f'monitor exited with status {status} before the guest\'s /init ran'
                             + (f'; stderr: {err}' if err else '') + _last_serial(guest))
    if boots < boots_expected:
        raise ScenarioFailed(f'guest booted {boots} time(s), expected {boots_expected}')
    if action == 'powerbutton' and 'POWERBUTTON' not in seen:
        raise ScenarioFailed('the guest did not see the power-button press'
                             f' (markers: {" ".join(seen)})')
    if 'POWEROFF' not in seen:
        raise ScenarioFailed(f'monitor exited (status {status}) before the guest powered off'
                             + (f'; stderr: {err}' if err else '') + _last_serial(guest))
    if status != 0:
        raise ScenarioFailed(f'guest powered off but the monitor exited with status {status}'
                             + (f'; stderr: {err}' if err else ''))


def run_scenario(plan, monitor_name, sid, action, cpus, timeout):
    monitor = _monitor(plan, monitor_name)
    # The monitor under test boots without `quiet`: the whole kernel log in
    # the scenario's log says where a failing guest stopped.  The reference
    # is known to work and boots faster quiet (every serial byte is a
    # nested exit).
    quiet = '' if monitor_name == 'vireo' else ' quiet'
    append = (f'console=ttyS0 panic=-1{quiet} vireo.scenario={sid}'
              f' vireo.token={secrets.token_hex(4)}')
    log_path = os.path.join(plan['log_dir'], f'{monitor_name}-{sid}.log')
    with tempfile.TemporaryDirectory(prefix='vireo-lab-') as work:
        guest = labguest.Guest(monitor, plan['kernel'], plan['initrds'][action], append,
                               GUEST_MEMORY_MB, cpus, allow_reboot=(action == 'reboot'),
                               work_dir=work)
        t0 = time.monotonic()
        reason = None
        try:
            guest.start()
            check_guest(guest, action, cpus, timeout)
        except ScenarioFailed as e:
            reason = str(e)
        except OSError as e:
            reason = f'cannot start {guest.argv[0]}: {e}'
        finally:
            if guest.proc:
                guest.kill()
            guest.log(log_path, f'result: {reason or "PASS"}')
    return reason, time.monotonic() - t0, log_path


def plan_cases(plan):
    return [(m, sid, action, cpus, t) for m in plan['monitors']
            for sid, action, cpus, t in SCENARIOS]


def cmd_run_plan(args, prefix=''):
    """Run every scenario of a plan here; one JSON result line each.

    prefix goes before each progress line (a TAP comment mark when the
    output is TAP).
    """
    with open(args.plan, encoding='utf-8') as f:
        plan = json.load(f)
    if not os.path.exists('/dev/kvm'):
        print(f'{prefix}lab: /dev/kvm missing', flush=True)
        return 1
    failed = 0
    for m, sid, action, cpus, t in plan_cases(plan):
        print(f'{prefix}lab: {m} {sid}: starting', flush=True)
        reason, took, log_path = run_scenario(plan, m, sid, action, cpus, t)
        res = {'name': f'{m} {sid}', 'ok': reason is None, 'reason': reason,
               'seconds': round(took, 1), 'log': log_path}
        with open(plan['results'], 'a', encoding='utf-8') as f:
            f.write(json.dumps(res) + '\n')
            f.flush()
            os.fsync(f.fileno())
        failed += reason is not None
        print(f'{prefix}lab: {m} {sid}: {"PASS" if reason is None else "FAIL: " + reason}'
              f' ({took:.1f} s)', flush=True)
    return 1 if failed else 0


def make_plan(cache, group, vireo_vmm, power_button_signal):
    if group == 'vireo':
        if not vireo_vmm or not os.access(vireo_vmm, os.X_OK):
            raise labcache.LabError(f'--vireo-vmm must name the vireo-vmm executable (got {vireo_vmm!r})')
        monitors = ['vireo']
    else:
        monitors = ['qemu-pc']
    base = os.path.join(cache.build_dir, 'lab-logs', group)
    os.makedirs(base, exist_ok=True)
    for old in os.listdir(base):
        os.unlink(os.path.join(base, old))
    plan = {
        'kernel': cache.vmlinuz(),
        'initrds': {a: cache.l2_initramfs(a) for a in ('poweroff', 'reboot', 'powerbutton')},
        'monitors': monitors,
        'vireo_vmm': os.path.abspath(vireo_vmm) if vireo_vmm else None,
        'power_button_signal': power_button_signal,
        'log_dir': base,
        'results': os.path.join(base, 'results.jsonl'),
    }
    path = os.path.join(base, 'plan.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(plan, f, indent=1)
    return plan, path


def cmd_test(args):
    cache = labcache.Cache(args.build_dir)
    plan, plan_path = make_plan(cache, args.group, args.vireo_vmm, args.power_button_signal)
    cases = plan_cases(plan)
    print(f'1..{len(cases)}', flush=True)
    runner = [sys.executable, os.path.abspath(__file__), 'run-plan', plan_path]
    if labl1.hardware_kvm():
        print('# /dev/kvm is hardware virtualization: running the guests directly', flush=True)
        lab_status = cmd_run_plan(argparse.Namespace(plan=plan_path), prefix='# ')
        lab_error = None
    else:
        print('# booting L1 (QEMU software emulation) to run the guests', flush=True)
        timeout = sum(c[4] for c in cases) + L1_MARGIN
        errors = []

        class ErrSink:
            @staticmethod
            def write(s):
                for line in s.splitlines():
                    if line.strip():
                        errors.append(line)
                        print('# ' + line, flush=True)

        lab_status = labl1.run(cache, runner, timeout=timeout, err=ErrSink,
                               on_line=lambda line: print('# ' + line, flush=True))
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
            why = lab_error or f'runner exited with status {lab_status}'
            print(f'not ok {i} - {m} {sid}: not run: {why}')
        elif r['ok']:
            print(f'ok {i} - {m} {sid} ({r["seconds"]} s)')
        else:
            failed += 1
            print(f'not ok {i} - {m} {sid}: {r["reason"]} (log: {r["log"]})')
    sys.stdout.flush()
    return 1 if failed else 0


def cmd_prepare(args):
    cache = labcache.Cache(args.build_dir)
    print(f'kernel {cache.vmlinuz()}')
    print(f'l1-initramfs {cache.l1_initramfs()}')
    return 0


def cmd_l2_initramfs(args):
    cache = labcache.Cache(args.build_dir)
    print(cache.l2_initramfs(args.scenario, args.modules))
    return 0


def cmd_run(args):
    argv = args.command
    if argv and argv[0] == '--':
        argv = argv[1:]
    if not argv:
        print('lab: run needs a command after --', file=sys.stderr)
        return 2
    return labl1.run(labcache.Cache(args.build_dir), argv, timeout=args.timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)

    def with_build_dir(p):
        p.add_argument('--build-dir', required=True, help='meson build folder (cache lives in it)')
        return p

    p = with_build_dir(sub.add_parser('prepare', help='download and build the cache, print paths'))
    p.set_defaults(func=cmd_prepare)
    p = with_build_dir(sub.add_parser('run', help='run a command inside L1'))
    p.add_argument('--timeout', type=int, default=3600, help='seconds, L1 boot included')
    p.add_argument('command', nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_run)
    p = with_build_dir(sub.add_parser('l2-initramfs', help='build an L2 test initramfs, print its path'))
    p.add_argument('--scenario', required=True, choices=labinit.L2_SCENARIOS)
    p.add_argument('--modules', nargs='*', default=[], choices=sorted(labcache.MODULE_SETS),
                   help='extra module sets to carry and load')
    p.set_defaults(func=cmd_l2_initramfs)
    p = with_build_dir(sub.add_parser('test', help='run a scenario group, print TAP'))
    p.add_argument('--group', required=True, choices=('qemu', 'vireo'))
    p.add_argument('--vireo-vmm', help='the vireo-vmm executable (group vireo)')
    p.add_argument('--power-button-signal', default='USR1',
                   help='signal that presses vireo-vmm\'s power button (default USR1)')
    p.set_defaults(func=cmd_test)
    p = sub.add_parser('run-plan', help=argparse.SUPPRESS)
    p.add_argument('plan')
    p.set_defaults(func=cmd_run_plan)
    args = ap.parse_args()
    try:
        return args.func(args)
    except (labcache.LabError, OSError) as e:
        print(f'lab: {e}', file=sys.stderr)
        if args.cmd == 'test':
            print(f'Bail out! {e}')
        return labl1.EXIT_LAB_ERROR


if __name__ == '__main__':
    sys.exit(main())
