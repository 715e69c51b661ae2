# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one L2 guest under a monitor (QEMU or vireo-vmm) and follow the
marker lines its /init prints (see labinit.py).

Used by the lab scenarios and by bench/boot.py.  Runs wherever /dev/kvm is
real: inside L1, or directly on a machine with hardware virtualization.
"""

import json
import os
import re
import signal
import socket
import tempfile
import subprocess
import threading
import time

from labl1 import LineReader

_MARKER = re.compile(r'VIREO-L2-([A-Z0-9]+)(?: (.*))?$')


# A monitor (Qemu, Vireo) knows its name, the command line that boots a
# guest (argv) and how to press that guest's power button.

class Qemu:
    def __init__(self, machine='pc'):
        self.machine = machine
        self.name = 'qemu-' + machine

    def argv(self, kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl):
        a = ['qemu-system-x86_64', '-enable-kvm', '-M', self.machine, '-cpu', 'host',
             '-smp', str(cpus), '-m', str(memory_mb), '-nographic',
             '-kernel', kernel, '-initrd', initrd, '-append', append,
             '-qmp', f'unix:{ctl},server=on,wait=off']
        if not allow_reboot:
            a.append('-no-reboot')
        return a

    def press_power_button(self, guest):
        # QMP: greeting, capabilities negotiation, then the command; events
        # may arrive between replies, so read until a return or an error.
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(20)
            s.connect(guest.ctl)
            f = s.makefile('rw', encoding='utf-8')
            f.readline()
            for cmd in ('qmp_capabilities', 'system_powerdown'):
                f.write(json.dumps({'execute': cmd}) + '\n')
                f.flush()
                while True:
                    line = f.readline()
                    if not line:
                        raise OSError(f'QMP closed during {cmd}')
                    msg = json.loads(line)
                    if 'error' in msg:
                        raise OSError(f'QMP {cmd}: {msg["error"]}')
                    if 'return' in msg:
                        break


class Vireo:
    name = 'vireo'

    def __init__(self, exe, power_button_signal=signal.SIGUSR1):
        self.exe = exe
        self.power_button_signal = power_button_signal

    def argv(self, kernel, initrd, append, memory_mb, cpus, allow_reboot, ctl):
        # vireo-vmm always restarts the guest on reboot (issue 3); the
        # scenarios check that the guest only reboots when asked to.
        return [self.exe, '--kernel', kernel, '--initrd', initrd, '--append', append,
                '--memory', f'{memory_mb}M', '--cpus', str(cpus), '--serial', 'stdio']

    def press_power_button(self, guest):
        os.kill(guest.proc.pid, self.power_button_signal)


class Guest:
    """One running monitor process with its serial console on stdout."""

    def __init__(self, monitor, kernel, initrd, append, memory_mb=512, cpus=1,
                 allow_reboot=False, work_dir=None):
        self.monitor = monitor
        self.append = append
        # TMPDIR: inside L1 a local tmpfs (sockets do not work over 9p).
        work_dir = work_dir or tempfile.gettempdir()
        self.ctl = os.path.join(work_dir, f'ctl-{os.getpid()}-{id(self):x}.sock')
        self.argv = monitor.argv(kernel, initrd, append, memory_mb, cpus, allow_reboot, self.ctl)
        self.serial = []       # (seconds since start, line)
        self.stderr = []
        self.proc = None
        self.t0 = None
        self.returncode = None
        self.maxrss_kb = None

    def start(self):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._out = LineReader(self.proc.stdout)
        self._err = threading.Thread(target=self._pump_err, daemon=True)
        self._err.start()
        return self

    def _pump_err(self):
        for raw in iter(self.proc.stderr.readline, b''):
            self.stderr.append(raw.decode('utf-8', 'replace').rstrip('\n'))

    def markers(self, deadline, on_line=None):
        """Yield (t, name, arg) per marker line until the console closes.

        @on_line(t, line), if given, sees every line first.
        Raises TimeoutError at the deadline.
        """
        while True:
            line = self._out.get(deadline)
            if line is None:
                return
            t = time.monotonic() - self.t0
            self.serial.append((t, line))
            if on_line:
                on_line(t, line)
            m = _MARKER.search(line)
            if m:
                yield t, m.group(1), (m.group(2) or '').strip()

    def wait(self, deadline):
        """Reap the monitor with its peak RSS; raises TimeoutError."""
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                self.proc.returncode = self.returncode
                self.maxrss_kb = ru.ru_maxrss
                self._err.join(timeout=5)
                return self.returncode
            if time.monotonic() >= deadline:
                raise TimeoutError
            time.sleep(0.05)

    def kill(self):
        if self.proc and self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait(time.monotonic() + 30)

    def memory(self):
        """(VmHWM kB, VmRSS kB) of the monitor now."""
        status = {}
        with open(f'/proc/{self.proc.pid}/status', encoding='utf-8') as f:
            for line in f:
                k, _, v = line.partition(':')
                status[k] = v.strip()
        return int(status['VmHWM'].split()[0]), int(status['VmRSS'].split()[0])

    def guest_ram_rss_kb(self, memory_mb):
        """Resident kB of the mappings that hold guest RAM.

        Guest RAM is, in every monitor, memory not backed by a file on disk
        (anonymous, memfd or shared anonymous) in mappings at least half the
        guest's size; nothing else in a monitor is that large.
        """
        total, size, anon, rss = 0, 0, False, 0
        header = re.compile(r'^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$')
        with open(f'/proc/{self.proc.pid}/smaps', encoding='utf-8') as f:
            for line in f:
                h = header.match(line)
                if h:
                    if anon and size * 2 >= memory_mb * 1024:
                        total += rss
                    name = h.group(1)
                    anon = (name in ('', '[heap]') or name.startswith('[anon')
                            or name.startswith('/memfd:') or name.startswith('/dev/zero'))
                    size = rss = 0
                elif line.startswith('Size:'):
                    size = int(line.split()[1])
                elif line.startswith('Rss:'):
                    rss = int(line.split()[1])
        if anon and size * 2 >= memory_mb * 1024:
            total += rss
        return total

    def log(self, path, extra=''):
        with open(path, 'w', encoding='utf-8') as f:
            f.write('command: ' + ' '.join(self.argv) + '\n')
            if extra:
                f.write(extra.rstrip('\n') + '\n')
            f.write(f'exit status: {self.returncode}\n--- serial (stdout) ---\n')
            for t, line in self.serial:
                f.write(f'[{t:7.2f}] {line}\n')
            f.write('--- stderr ---\n')
            for line in self.stderr:
                f.write(line + '\n')
        try:
            os.unlink(self.ctl)
        except FileNotFoundError:
            pass
