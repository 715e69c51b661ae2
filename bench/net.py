#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network benchmark: virtio-net on user-mode networking, vireo-vmm
(libslirp) against QEMU (-netdev user, also libslirp), TCP throughput.

In ONE run of the nested lab (or directly where /dev/kvm is hardware
virtualization) the same guest (Debian's kernel, busybox, one vCPU) boots
under each monitor with a virtio NIC on user networking and two host
forwards, and moves SIZE MiB four ways:

  download      guest wget from an HTTP server on the lab machine's
                loopback, through the gateway 10.0.2.2 (timed by the
                guest's clock)
  upload        guest wget --post-file to the same server (guest's clock)
  fwd-in        host to guest through a host forward: the host writes to
                127.0.0.1:PORT, busybox nc in the guest reads; timed on
                the host from connect until the guest closes
  fwd-out       guest to host through a host forward: the host fetches a
                file from busybox httpd in the guest (host's clock)

Runs are interleaved across monitors; medians and the ratio Vireo/QEMU
(above 1 means Vireo is faster) are printed.

  python3 bench/net.py --build-dir _build/run [--repeat 2] [--size 32]
"""

import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lab'))

import benchlab  # noqa: E402  (the command line, the plan, the measuring run)
import labcache  # noqa: E402
import labguest  # noqa: E402
import labl1  # noqa: E402
import labnet  # noqa: E402

RUN_TIMEOUT = 600
MEMORY_MB = 512
KINDS = ('download', 'upload', 'fwd-in', 'fwd-out')


def _monitor_names(vireo_vmm):
    return (['vireo'] if vireo_vmm else []) + ['qemu-pc']


def _fwd_in(port, size):
    """Host to guest: seconds to push @size bytes into the guest's nc."""
    chunk = bytes(1 << 16)
    t0 = time.monotonic()
    with socket.create_connection(('127.0.0.1', port), timeout=RUN_TIMEOUT) as s:
        left = size
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(chunk[:n])
            left -= n
        s.shutdown(socket.SHUT_WR)
        # nc exits, and the guest closes, once it has read everything.
        while s.recv(1 << 16):
            pass
    return time.monotonic() - t0


def _fwd_out(port, size):
    """Guest to host: seconds to fetch @size bytes from the guest's httpd."""
    t0 = time.monotonic()
    got = 0
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/big', timeout=RUN_TIMEOUT) as r:
        while True:
            data = r.read(1 << 16)
            if not data:
                break
            got += len(data)
    if got != size:
        raise OSError(f'fetched {got} bytes from the guest, expected {size}')
    return time.monotonic() - t0


def _span(arg):
    t0, t1 = (float(x) for x in arg.split())
    return t1 - t0


def measure_once(name, plan, work):
    size = plan['size_mib'] << 20
    port_http, port_nc = labnet.free_port(), labnet.free_port()
    fwds = [f'tcp:127.0.0.1:{port_http}-:80', f'tcp:127.0.0.1:{port_nc}-:81']
    monitor = labnet.net_monitor(name, plan['vireo_vmm'], fwds)
    server = labnet.HostServer(big_bytes=size)
    append = (f'console=ttyS0 quiet panic=-1 vireo.httpport={server.port}'
              f' vireo.size={plan["size_mib"]}')
    guest = labguest.Guest(monitor, plan['kernel'], plan['initrd'], append, MEMORY_MB, 1,
                           work_dir=work)
    res = {'monitor': name}
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        guest.start()
        for _, marker, arg in guest.markers(deadline):
            if marker == 'ERROR':
                res['error'] = f'guest reported: {arg}'
            elif marker == 'DOWNLOAD':
                res['download'] = _span(arg)
            elif marker == 'UPLOAD':
                res['upload'] = _span(arg)
                if not server.uploads or server.uploads[-1][0] != size:
                    res['error'] = f'the host received {server.uploads} for the upload'
            elif marker == 'FWDREADY':
                res['fwd-in'] = _fwd_in(port_nc, size)
                res['fwd-out'] = _fwd_out(port_http, size)
                server.done()
        res['status'] = guest.wait(deadline)
    except TimeoutError:
        res['error'] = f'timed out after {RUN_TIMEOUT} s'
    except (OSError, ValueError) as e:
        res['error'] = str(e)
    finally:
        if guest.proc:
            guest.kill()
        server.close()
    if 'error' not in res and (any(k not in res for k in KINDS) or res['status'] != 0):
        tail = (guest.stderr or [line for _, line in guest.serial] or ['no output'])[-1]
        res['error'] = f'incomplete run (exit status {res.get("status")}): {tail}'
    return res


def cmd_inner(plan_path):
    plan = benchlab.load_plan(plan_path)
    names = _monitor_names(plan['vireo_vmm'])
    results = []
    labnet.loopback_up()
    with tempfile.TemporaryDirectory(prefix='vireo-bench-') as work:
        plan['kernel'] = shutil.copy(plan['kernel'], work)
        plan['initrd'] = shutil.copy(plan['initrd'], work)
        for i in range(plan['repeat']):
            for name in names:
                r = measure_once(name, plan, work)
                r['round'] = i
                results.append(r)
                print(f'bench: {json.dumps(r)}', flush=True)
    benchlab.save_results(plan, results)
    return 0


def print_table(results, plan, out=sys.stdout):
    def p(s=''):
        print(s, file=out)

    size = plan['size_mib']
    rows = {}
    for name in _monitor_names(plan['vireo_vmm']):
        ok = [r for r in results if r['monitor'] == name and 'error' not in r]
        errs = [r['error'] for r in results if r['monitor'] == name and 'error' in r]
        if not ok:
            rows[name] = {'error': errs[0] if errs else 'not run'}
            continue
        rows[name] = {k: size / statistics.median(r[k] for r in ok) for k in KINDS}
        rows[name]['runs'] = len(ok)
        rows[name]['failed'] = len(errs)
    p(f'Network benchmark, {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; '
      f'{plan["where"]}; kernel {plan["kernel_release"]}; {MEMORY_MB} MiB, 1 vCPU; '
      f'{size} MiB per transfer; median of {plan["repeat"]} runs; '
      f'vireo-vmm build type: {plan["buildtype"]}')
    p()
    p('| monitor | download (MiB/s) | upload (MiB/s) | fwd-in (MiB/s) | fwd-out (MiB/s) |')
    p('|---|---:|---:|---:|---:|')
    for name, r in rows.items():
        if 'error' in r:
            p(f'| {name} | failed: {r["error"]} | | | |')
        else:
            fails = f' ({r["failed"]} failed)' if r['failed'] else ''
            p(f'| {name}{fails} | ' + ' | '.join(f'{r[k]:.1f}' for k in KINDS) + ' |')
    v, q = rows.get('vireo'), rows.get('qemu-pc')
    if v and q and 'error' not in v and 'error' not in q:
        p()
        p('Vireo/QEMU throughput: ' + ', '.join(f'{k} {v[k] / q[k]:.2f}x' for k in KINDS))


def main():
    ap = benchlab.arg_parser(__doc__)
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--size', type=int, default=32, help='MiB per transfer')
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
        'initrd': labnet.l2_initramfs(cache, 'netbench'),
        'vireo_vmm': os.path.abspath(vireo) if vireo else None,
        'repeat': args.repeat,
        'size_mib': args.size,
        'results': os.path.join(out_dir, 'net-results.json'),
        'buildtype': benchlab.buildtype(cache.build_dir),
        'where': benchlab.where(hw),
    }
    per_round = len(_monitor_names(vireo)) * RUN_TIMEOUT
    results = benchlab.measure(cache, hw, 'net', plan, __file__, cmd_inner,
                               args.repeat * per_round + 300,
                               on_line=lambda line: print('# ' + line, flush=True))
    if results is None:
        return 1
    print_table(results, plan)
    return 0


if __name__ == '__main__':
    sys.exit(main())
