#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Networking in the nested lab: virtio-net and e1000e on user-mode
networking (libslirp) and virtio-rng, under vireo-vmm and, as the
reference, QEMU.

  labnet.py test --build-dir DIR --group qemu|vireo [--vireo-vmm EXE] [--only ID]

prints TAP, one line per scenario, like lab.py's groups (one L1 boot per
group, or the guests directly where /dev/kvm is hardware virtualization).
The guest (Debian's kernel, busybox, the virtio modules):

  - gets its address by DHCP (busybox udhcpc): 10.0.2.15, gateway 10.0.2.2,
    DNS 10.0.2.3;
  - downloads a file from an HTTP server on the lab machine's loopback
    through 10.0.2.2 and prints its sha256, which the host checks;
  - serves a page with a random token (busybox httpd, port 80) that the
    host fetches through a host forward on 127.0.0.1;
  - reads /dev/hwrng, which must be virtio_rng.

net-e1000e: the same lease and download, and a 2 MiB upload (TSO and
checksum offload), through an Intel 82574L card driven by the kernel's own
e1000e module on MSI-X (the card Windows installers have a driver for).

bench/net.py reuses the guest set-up, the host's HTTP server and the
monitor command lines.
"""

import argparse
import hashlib
import http.server
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labcache  # noqa: E402
import labguest  # noqa: E402
import labinit  # noqa: E402
import labl1  # noqa: E402

GUEST_MEMORY_MB = 512
GUEST_PORT = 80
# (id, /init action, vCPUs, timeout in seconds).
SCENARIOS = (
    ('net-user', 'net', 1, 420),
    ('net-e1000e', 'nete1000e', 1, 420),
)
# The card each action's guest gets, and the module sets its image carries.
ACTION_MODEL = {'net': 'virtio', 'nete1000e': 'e1000e', 'netbench': 'virtio'}
ACTION_MODULES = {'net': ['virtio'], 'nete1000e': ['e1000e'], 'netbench': ['virtio']}
# The guest's e1000e driver (ptp and pps_core come with its dependencies).
labcache.MODULE_SETS.setdefault('e1000e', ['e1000e'])
L1_MARGIN = 240
DOWNLOAD_BYTES = 4 << 20

# Shell for every networking guest: bring eth0 up and take a DHCP lease.
# Parameters come on the kernel command line as vireo.NAME=VALUE.
_NET_SETUP = r'''
param() {
	sed -n "s/.*vireo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}
ip link set lo up
[ -e /sys/class/net/eth0 ] || hang "no eth0: the NIC's driver found no device"
echo "VIREO-L2-NETDEV $(cat /sys/class/net/eth0/address)"
ip link set eth0 up
cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface" || exit 1
	if [ -n "$router" ]; then
		ip route add default via "${router%% *}" dev "$interface" || exit 1
	fi
	echo "$ip ${router%% *} ${dns%% *}" > /tmp/lease
	;;
esac
EOF
chmod +x /tmp/udhcpc.sh
udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 20 -T 3 2>&1 | sed 's/^/udhcpc: /'
[ -s /tmp/lease ] || hang "udhcpc got no lease (or could not configure it): $(ip addr show eth0)"
echo "VIREO-L2-LEASE $(cat /tmp/lease)"
echo "VIREO-L2-ADDR $(ip -o -4 addr show dev eth0 | tr -s ' ' | cut -d' ' -f2-4)"
echo "VIREO-L2-ROUTES $(ip route | tr '\n' ';')"
host="10.0.2.2:$(param httpport)"
# Servers started in the background may not listen yet: wait until they do
# before telling the host.
listening() {
	i=0
	while ! netstat -ltn 2>/dev/null | grep -q ":$1 "; do
		i=$((i + 1))
		[ $i -lt 300 ] || hang "nothing listens on port $1"
		sleep 0.1
	done
}
# Wait for the host to say it is done with the guest's servers.
wait_done() {
	i=0
	while ! wget -q -O /dev/null "http://$host/done" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || hang "the host never said it was done"
		sleep 1
	done
}
'''

_ACTIONS = {
    'net': r'''
wget -q -O /tmp/file "http://$host/file" || hang "wget http://$host/file failed"
echo "VIREO-L2-SHA256 $(sha256sum /tmp/file | cut -d' ' -f1)"
mkdir -p /www
echo "VIREO-FWD-$(param token)" > /www/index.html
httpd -p 80 -h /www || hang "busybox httpd did not start"
listening 80
echo VIREO-L2-FWDREADY
wait_done
echo "VIREO-L2-RNGDEV $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
echo "VIREO-L2-RNG $(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
echo VIREO-L2-POWEROFF
poweroff -f
''',

    # The e1000e card: lease and download, and the driver that runs eth0.
    'nete1000e': r'''
wget -q -O /tmp/file "http://$host/file" || hang "wget http://$host/file failed"
echo "VIREO-L2-SHA256 $(sha256sum /tmp/file | cut -d' ' -f1)"
echo "VIREO-L2-DRIVER $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
# An upload: the driver hands the card TSO frames and leaves checksums to it.
yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c 2097152 > /tmp/up
wget -q -O /dev/null --post-file /tmp/up "http://$host/upload" || hang "upload failed"
echo "VIREO-L2-UPLOADED 2097152"
# MSI-X: the driver names one vector per queue.
echo "VIREO-L2-IRQS $(grep eth0 /proc/interrupts | awk '{print $NF}' | tr '\n' ' ')"
echo VIREO-L2-POWEROFF
poweroff -f
''',

    # bench/net.py: timed transfers, the guest's clock around each.
    'netbench': r'''
size=$(param size)
up() {
	cut -d' ' -f1 /proc/uptime
}
t0=$(up)
wget -q -O /dev/null "http://$host/big" || hang "download failed"
t1=$(up)
echo "VIREO-L2-DOWNLOAD $t0 $t1"
# No NUL bytes: busybox wget sizes --post-file data with strlen().
yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c $((size << 20)) > /tmp/big
t0=$(up)
wget -q -O /dev/null --post-file /tmp/big "http://$host/upload" || hang "upload failed"
t1=$(up)
echo "VIREO-L2-UPLOAD $t0 $t1"
mkdir -p /www
mv /tmp/big /www/big
httpd -p 80 -h /www || hang "busybox httpd did not start"
(sleep 100000 | nc -l -p 81 >/dev/null) &
listening 80
listening 81
echo VIREO-L2-FWDREADY
wait_done
echo VIREO-L2-POWEROFF
poweroff -f
''',
}


def l2_init(action):
    # The prologue prints the common markers and loads the modules.
    return (labinit._L2_PROLOGUE.replace('@SCENARIO@', action)
            + _NET_SETUP + _ACTIONS[action])


def l2_initramfs(cache, action):
    return cache._image('l2-' + action, l2_init(action), ACTION_MODULES[action])


def loopback_up():
    """L1 boots with its loopback down; user networking maps the guest's
    gateway to the host's loopback, so bring it up (a no-op elsewhere)."""
    try:
        with open('/sys/class/net/lo/flags', encoding='utf-8') as f:
            if int(f.read(), 16) & 1:
                return
    except (OSError, ValueError):
        return
    res = subprocess.run([labcache.BUSYBOX, 'ip', 'link', 'set', 'lo', 'up'],
                         check=False, capture_output=True, text=True)
    if res.returncode != 0:
        raise labcache.LabError('cannot bring the loopback interface up: ' + res.stderr.strip())


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class HostServer:
    """The lab machine's side: an HTTP server on 127.0.0.1 that the guest
    reaches as 10.0.2.2.

      GET /file     DOWNLOAD_BYTES random bytes (sha256 in .file_sha256)
      GET /big      `big_bytes` zero bytes, streamed
      POST /upload  read and dropped; bytes and seconds kept in .uploads
      GET /done     404 until done() was called
    """

    def __init__(self, big_bytes=0):
        self.file = secrets.token_bytes(DOWNLOAD_BYTES)
        self.file_sha256 = hashlib.sha256(self.file).hexdigest()
        self.big_bytes = big_bytes
        self.uploads = []
        self._done = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.0'

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == '/file':
                    self._send(owner.file)
                elif self.path == '/big':
                    self.send_response(200)
                    self.send_header('Content-Length', str(owner.big_bytes))
                    self.end_headers()
                    chunk = bytes(1 << 16)
                    left = owner.big_bytes
                    while left > 0:
                        n = min(left, len(chunk))
                        self.wfile.write(chunk[:n])
                        left -= n
                elif self.path == '/done' and owner._done.is_set():
                    self._send(b'done\n')
                else:
                    self.send_error(404)

            def do_POST(self):
                t0 = time.monotonic()
                left = int(self.headers.get('Content-Length', '0'))
                total = 0
                while left > 0:
                    data = self.rfile.read(min(left, 1 << 16))
                    if not data:
                        break
                    left -= len(data)
                    total += len(data)
                owner.uploads.append((total, time.monotonic() - t0))
                self._send(b'ok\n')

            def _send(self, body):
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def done(self):
        self._done.set()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# The monitors with a virtio NIC on user networking, forwards, and an RNG.

class NetQemu(labguest.Qemu):
    def __init__(self, fwds, model='virtio'):
        super().__init__('pc')
        self.fwds = fwds
        self.model = model

    def argv(self, *a):
        hostfwd = ''.join(f',hostfwd={f}' for f in self.fwds)
        nic = 'e1000e' if self.model == 'e1000e' else 'virtio-net-pci'
        return super().argv(*a) + [
            '-netdev', f'user,id=n0{hostfwd}',
            '-device', f'{nic},netdev=n0',
            '-device', 'virtio-rng-pci']


class NetVireo(labguest.Vireo):
    def __init__(self, exe, fwds, model='virtio'):
        super().__init__(exe)
        self.fwds = fwds
        self.model = model

    def argv(self, *a):
        net = 'user' + ''.join(f',hostfwd={f}' for f in self.fwds)
        if self.model != 'virtio':
            net += f',model={self.model}'
        return super().argv(*a) + ['--net', net, '--rng']


def net_monitor(name, vireo_vmm, fwds, model='virtio'):
    return NetVireo(vireo_vmm, fwds, model) if name == 'vireo' else NetQemu(fwds, model)


class ScenarioFailed(Exception):
    pass


def _last_serial(guest):
    lines = [line.strip() for _, line in guest.serial if line.strip()]
    return f'; last serial line: {lines[-1][:160]!r}' if lines else '; no serial output'


def _fetch(port, path='/', timeout=60):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}{path}', timeout=timeout) as r:
        return r.read()


def check_net_guest(guest, server, fwd_port, token, timeout, action='net'):
    deadline = time.monotonic() + timeout
    seen = []
    try:
        for _, name, arg in guest.markers(deadline):
            seen.append(name)
            if name == 'ERROR':
                raise ScenarioFailed(f'guest reported: {arg}')
            if name == 'LEASE' and arg != '10.0.2.15 10.0.2.2 10.0.2.3':
                raise ScenarioFailed(f'DHCP lease is {arg!r}, expected address 10.0.2.15,'
                                     ' gateway 10.0.2.2, DNS 10.0.2.3')
            elif name == 'SHA256' and arg != server.file_sha256:
                raise ScenarioFailed(f'the downloaded file\'s sha256 is {arg}, expected'
                                     f' {server.file_sha256}')
            elif name == 'FWDREADY':
                try:
                    page = _fetch(fwd_port).decode('utf-8', 'replace').strip()
                except OSError as e:
                    raise ScenarioFailed(f'fetching the guest\'s page through the host'
                                         f' forward 127.0.0.1:{fwd_port} failed: {e}') from None
                if page != f'VIREO-FWD-{token}':
                    raise ScenarioFailed(f'the page through the forward is {page[:80]!r}')
                server.done()
            elif name == 'RNGDEV' and arg != 'virtio_rng.0':
                raise ScenarioFailed(f'/dev/hwrng is backed by {arg!r}, expected virtio_rng.0')
            elif name == 'RNG' and (len(arg) != 64 or set(arg) == {'0'}):
                raise ScenarioFailed(f'32 bytes from /dev/hwrng came out as {arg!r}')
            elif name == 'DRIVER' and arg != 'e1000e':
                raise ScenarioFailed(f'eth0 is driven by {arg!r}, expected e1000e')
            elif name == 'UPLOADED' and int(arg) not in (n for n, _ in server.uploads):
                raise ScenarioFailed(f'the guest uploaded {arg} bytes, the host received'
                                     f' {[n for n, _ in server.uploads]}')
            elif name == 'IRQS' and 'eth0-rx-0' not in arg.split():
                raise ScenarioFailed(f'eth0\'s interrupts are {arg!r}: not one MSI-X vector per'
                                     ' queue (eth0-rx-0)')
        status = guest.wait(deadline)
    except TimeoutError:
        raise ScenarioFailed(f'timed out after {timeout} s (markers: {" ".join(seen)})'
                             + _last_serial(guest)) from None
    err = guest.stderr[-1] if guest.stderr else ''
    needs = (('LEASE', 'SHA256', 'DRIVER', 'UPLOADED', 'IRQS', 'POWEROFF') if action == 'nete1000e'
             else ('LEASE', 'SHA256', 'FWDREADY', 'RNG', 'POWEROFF'))
    for need in needs:
        if need not in seen:
            raise ScenarioFailed(f'no {need} from the guest (markers: {" ".join(seen)})'
                                 + (f'; stderr: {err}' if err else '') + _last_serial(guest))
    if status != 0:
        raise ScenarioFailed(f'guest powered off but the monitor exited with status {status}'
                             + (f'; stderr: {err}' if err else ''))


def run_scenario(plan, monitor_name, sid, action, cpus, timeout):
    token = secrets.token_hex(6)
    fwd_port = free_port()
    fwds = [f'tcp:127.0.0.1:{fwd_port}-:{GUEST_PORT}']
    monitor = net_monitor(monitor_name, plan['vireo_vmm'], fwds, ACTION_MODEL[action])
    server = HostServer()
    quiet = '' if monitor_name == 'vireo' else ' quiet'
    append = (f'console=ttyS0 panic=-1{quiet} vireo.scenario={sid}'
              f' vireo.httpport={server.port} vireo.token={token}')
    log_path = os.path.join(plan['log_dir'], f'{monitor_name}-{sid}.log')
    t0 = time.monotonic()
    reason = None
    with tempfile.TemporaryDirectory(prefix='vireo-lab-') as work:
        guest = labguest.Guest(monitor, plan['kernel'], plan['initrds'][action], append,
                               GUEST_MEMORY_MB, cpus, work_dir=work)
        try:
            guest.start()
            check_net_guest(guest, server, fwd_port, token, timeout, action)
        except ScenarioFailed as e:
            reason = str(e)
        except OSError as e:
            reason = f'cannot start {guest.argv[0]}: {e}'
        finally:
            if guest.proc:
                guest.kill()
            server.close()
            guest.log(log_path, f'result: {reason or "PASS"}')
    return reason, time.monotonic() - t0, log_path


def plan_cases(plan):
    return [(m, sid, action, cpus, t) for m in plan['monitors']
            for sid, action, cpus, t in SCENARIOS
            if not plan.get('only') or sid in plan['only']]


def cmd_run_plan(args, prefix=''):
    with open(args.plan, encoding='utf-8') as f:
        plan = json.load(f)
    if not os.path.exists('/dev/kvm'):
        print(f'{prefix}lab: /dev/kvm missing', flush=True)
        return 1
    try:
        loopback_up()
    except labcache.LabError as e:
        print(f'{prefix}lab: {e}', flush=True)
        return 1
    failed = 0
    for m, sid, action, cpus, t in plan_cases(plan):
        print(f'{prefix}lab: {m} {sid}: starting', flush=True)
        reason, took, log_path = run_scenario(plan, m, sid, action, cpus, t)
        res = {'name': f'{m} {sid}', 'ok': reason is None, 'reason': reason,
               'seconds': round(took, 1), 'log': log_path}
        with open(plan['results'], 'a', encoding='utf-8') as f:
            f.write(json.dumps(res) + '\n')
        failed += reason is not None
        print(f'{prefix}lab: {m} {sid}: {"PASS" if reason is None else "FAIL: " + reason}'
              f' ({took:.1f} s)', flush=True)
    return 1 if failed else 0


def cmd_test(args):
    cache = labcache.Cache(args.build_dir)
    if args.group == 'vireo':
        if not args.vireo_vmm or not os.access(args.vireo_vmm, os.X_OK):
            raise labcache.LabError('--vireo-vmm must name the vireo-vmm executable'
                                    f' (got {args.vireo_vmm!r})')
        monitors = ['vireo']
    else:
        monitors = ['qemu-pc']
    base = os.path.join(cache.build_dir, 'lab-logs', 'net-' + args.group)
    os.makedirs(base, exist_ok=True)
    for old in os.listdir(base):
        os.unlink(os.path.join(base, old))
    plan = {
        'kernel': cache.vmlinuz(),
        'initrds': {a: l2_initramfs(cache, a) for sid, a, _cpus, _t in SCENARIOS
                    if not args.only or sid in args.only},
        'monitors': monitors,
        'vireo_vmm': os.path.abspath(args.vireo_vmm) if args.vireo_vmm else None,
        'log_dir': base,
        'results': os.path.join(base, 'results.jsonl'),
        'only': args.only or [],
    }
    plan_path = os.path.join(base, 'plan.json')
    with open(plan_path, 'w', encoding='utf-8') as f:
        json.dump(plan, f, indent=1)
    cases = plan_cases(plan)
    print(f'1..{len(cases)}', flush=True)
    runner = [sys.executable, os.path.abspath(__file__), 'run-plan', plan_path]
    lab_error = None
    if labl1.hardware_kvm():
        print('# /dev/kvm is hardware virtualization: running the guests directly', flush=True)
        status = cmd_run_plan(argparse.Namespace(plan=plan_path), prefix='# ')
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

        status = labl1.run(cache, runner, timeout=sum(c[4] for c in cases) + L1_MARGIN,
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('test', help='run the networking scenarios, print TAP')
    p.add_argument('--build-dir', required=True, help='meson build folder (cache lives in it)')
    p.add_argument('--group', required=True, choices=('qemu', 'vireo'))
    p.add_argument('--vireo-vmm', help='the vireo-vmm executable (group vireo)')
    p.add_argument('--only', action='append', choices=[s[0] for s in SCENARIOS],
                   help='run only this scenario (repeatable)')
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
