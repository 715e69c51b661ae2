# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot the L1 machine (QEMU in software emulation, with emulated SVM) and
run one command inside it, chrooted into the host's root shared over 9p.

The command is handed over as a job script in the build folder (the host root
is shared, so L1 sees the same path); the L1 /init (labinit.py) reports its
exit status on the serial console as "VIREO-LAB-EXIT n" and powers off.
"""

import ctypes
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

QEMU = 'qemu-system-x86_64'
# L1 reaches its /init in ~3.5 s on an idle 2-core machine; a loaded machine
# (several builds at once) is far slower, hence the margin.
L1_BOOT_TIMEOUT = 240
KEEP_RUNS = 8
# L1's /init prints VIREO-LAB-ALIVE every 15 s once the job runs. Seen in
# make check: L1 fell silent for good mid-job (no heartbeat, no output,
# nothing in L2's log) until the whole group's timeout, and a rerun passed.
# That is the lab's emulator, not the monitor under test (a hung L2 guest
# does not stop L1's heartbeat): after this long without one, L1 is
# declared hung, its registers are saved, and the job runs once more.
L1_HUNG_AFTER = 240
L1_ATTEMPTS = 2

EXIT_LAB_ERROR = 3
EXIT_TIMEOUT = 124


def _die_with_parent():
    # A QEMU left behind by a killed test would keep burning a core.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class LineReader:
    """Lines of a pipe on a thread, so the caller can wait with a deadline."""

    def __init__(self, pipe):
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self._t.start()

    def _pump(self, pipe):
        for raw in iter(pipe.readline, b''):
            self._q.put(raw.decode('utf-8', 'replace').rstrip('\r\n').replace('\r', ''))
        self._q.put(None)

    def get(self, deadline):
        """Next line; None at end of stream; raises TimeoutError."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            return self._q.get(timeout=left)
        except queue.Empty:
            raise TimeoutError from None


def _kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _job_script(argv, cwd, env):
    lines = ['# Written by tests/lab/labl1.py: the command L1 runs.']
    for k, v in sorted(env.items()):
        if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', k):
            lines.append(f'export {k}={shlex.quote(v)}')
    lines.append(f'cd {shlex.quote(cwd)} || {{ echo "lab: cannot enter {cwd} inside L1" >&2; exit 125; }}')
    lines.append('exec ' + ' '.join(shlex.quote(a) for a in argv))
    return '\n'.join(lines) + '\n'


def _new_run_dir(build_dir):
    base = os.path.join(build_dir, 'lab-run')
    os.makedirs(base, exist_ok=True)
    # Keep the last few runs' console logs for post-mortems, no more.
    old = sorted((e for e in os.scandir(base) if e.is_dir()), key=lambda e: e.stat().st_mtime)
    for e in old[:-KEEP_RUNS]:
        shutil.rmtree(e.path, ignore_errors=True)
    path = os.path.join(base, time.strftime('%Y%m%d-%H%M%S') + f'-{os.getpid()}')
    os.makedirs(path)
    return path


def l1_argv(kernel, initrd, append, monitor=None):
    extra = ['-monitor', f'unix:{monitor},server=on,wait=off'] if monitor else []
    return [QEMU, '-M', 'q35', '-cpu', 'EPYC,+svm,+npt', '-smp', '2', '-m', '3072',
            '-nographic', '-no-reboot'] + extra + [
            '-kernel', kernel, '-initrd', initrd, '-append', append,
            '-virtfs', 'local,path=/,mount_tag=host,security_model=passthrough,'
                       'id=h,multidevs=remap']


def _l1_registers(monitor):
    """L1's vCPU registers over QEMU's human monitor, for a post-mortem."""
    out = b''
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(monitor)
            s.sendall(b'info registers -a\n')
            end = time.monotonic() + 10
            while time.monotonic() < end:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
    except OSError as e:
        return f'(QEMU monitor not reachable: {e})'
    return out.decode('utf-8', 'replace')


def run(cache, argv, cwd=None, timeout=3600, on_line=None, err=sys.stderr, run_dir=None):
    """Run argv inside L1; return its exit status (or EXIT_* on lab failure).

    on_line(line) receives each console line the command produces. Where L1
    hangs (see L1_HUNG_AFTER) the command runs again in a fresh L1, within
    the same timeout.
    """
    if shutil.which(QEMU) is None:
        print(f'lab: {QEMU} not found (install qemu-system-x86)', file=err)
        return EXIT_LAB_ERROR
    cwd = os.path.abspath(cwd or os.getcwd())
    on_line = on_line or (lambda line: print(line, flush=True))
    deadline = time.monotonic() + timeout
    kernel = cache.vmlinuz()
    initrd = cache.l1_initramfs()
    status = EXIT_LAB_ERROR
    for attempt in range(1, L1_ATTEMPTS + 1):
        status, hung = _run_once(kernel, initrd, argv, cwd, timeout, deadline, on_line, err,
                                 run_dir or _new_run_dir(cache.build_dir))
        if not hung or attempt == L1_ATTEMPTS or time.monotonic() >= deadline:
            break
        print(f'lab: L1 hung; running the command again in a new L1 '
              f'(attempt {attempt + 1} of {L1_ATTEMPTS})', file=err)
        run_dir = None
    return status


def _run_once(kernel, initrd, argv, cwd, timeout, deadline, on_line, err, run_dir):
    """One L1 boot running argv: (status, True if L1 hung)."""
    start = time.monotonic()
    job = os.path.join(run_dir, 'job.sh')
    with open(job, 'w', encoding='utf-8') as f:
        f.write(_job_script(argv, cwd, dict(os.environ)))
    append = f'console=ttyS0 panic=-1 quiet loglevel=3 vireo.job={job}'
    log_path = os.path.join(run_dir, 'console.log')
    monitor = os.path.join(run_dir, 'monitor.sock')
    if len(monitor) >= 100:     # sun_path's limit: no post-mortem then
        monitor = None
    log = open(log_path, 'w', encoding='utf-8')
    proc = subprocess.Popen(l1_argv(kernel, initrd, append, monitor), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_die_with_parent)
    reader = LineReader(proc.stdout)
    tail = []

    def fail(msg, status):
        print(f'lab: {msg}', file=err)
        if tail:
            print('lab: last L1 console lines:', file=err)
            for t in tail:
                print('  | ' + t, file=err)
        print(f'lab: full L1 console log: {log_path}', file=err)
        return status

    # A termination request (meson's timeout) must take QEMU down with us.
    old_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        began = False
        boot_deadline = min(deadline, start + L1_BOOT_TIMEOUT)
        alive = time.monotonic()
        while True:
            hung_at = alive + L1_HUNG_AFTER
            try:
                line = reader.get(min(deadline, hung_at) if began else boot_deadline)
            except TimeoutError:
                if began and time.monotonic() >= hung_at and time.monotonic() < deadline:
                    regs = _l1_registers(monitor) if monitor else '(no monitor socket)'
                    log.write('--- L1 hung: registers ---\n' + regs + '\n')
                    return fail(f'L1 printed nothing, not even its heartbeat, for '
                                f'{L1_HUNG_AFTER} s: the emulator hung (registers in the log)',
                                EXIT_LAB_ERROR), True
                if began:
                    return fail(f'timeout: the command ran longer than {timeout} s; L1 killed',
                                EXIT_TIMEOUT), False
                return fail(f'L1 did not come up within {int(boot_deadline - start)} s',
                            EXIT_LAB_ERROR), False
            if line is None:
                return fail('L1 stopped before the command reported its exit status'
                            f' (QEMU exit status {proc.wait()})', EXIT_LAB_ERROR), False
            alive = time.monotonic()
            if line.endswith('VIREO-LAB-ALIVE'):
                continue
            log.write(line + '\n')
            log.flush()
            m = re.search(r'VIREO-LAB-(BEGIN|EXIT|ERROR)(?: (.*))?$', line)
            if m and m.group(1) == 'ERROR':
                return fail('L1 set-up failed: ' + (m.group(2) or ''), EXIT_LAB_ERROR), False
            if m and m.group(1) == 'BEGIN':
                began = True
                continue
            if m and m.group(1) == 'EXIT' and began:
                status = int(m.group(2)) if (m.group(2) or '').isdigit() else EXIT_LAB_ERROR
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    pass
                return status, False
            tail.append(line)
            del tail[:-15]
            if began:
                on_line(line)
    finally:
        signal.signal(signal.SIGTERM, old_term)
        _kill_group(proc)
        log.close()
        for path in (job, monitor):
            if path is None:
                continue
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def hardware_kvm():
    """True where /dev/kvm is real hardware virtualization (or L1's SVM)."""
    if not os.path.exists('/dev/kvm') or os.path.exists('/sys/module/kvm_pvm'):
        return False
    return os.path.exists('/sys/module/kvm_intel') or os.path.exists('/sys/module/kvm_amd')

