#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Firmware boot in the nested lab: Debian's SeaBIOS boots an El Torito CD
made here with grub-mkrescue, GRUB loads Debian's kernel and an initramfs
from it, and the guest uses a SATA disk and the CD-ROM through the ahci
driver.

  labfw.py test --build-dir DIR --group vireo --vireo-vmm EXE --spice-probe EXE
  labfw.py test --build-dir DIR --group qemu       (the reference, QEMU q35)

prints TAP. One L2 boot per firmware gives three lines:

  <fw>-screen  the firmware's screen (GRUB's menu, drawn through the VGA
               BIOS) seen by a client: rows of text, more than one colour;
               the client then presses Down and Enter, which must reach
               GRUB (its second entry boots; the first one would boot on
               its own after a timeout, and says so on the kernel command
               line);
  <fw>-cdrom   /init of the initramfs GRUB loaded from the CD runs, with
               the random token written into this run's grub.cfg; the
               guest reads the whole CD through the ATAPI drive and its
               MD5 matches the ISO's;
  <fw>-ahci    the guest writes a pattern to the SATA disk (O_DIRECT, and
               through the page cache), drops its caches and reads it
               back; after power-off the image file holds the pattern.

vireo-vmm runs with `--bios --cdrom --disk ...,bus=sata --display bochs
--spice unix:PATH` and spice-probe is the client; QEMU runs q35 (its ICH9
AHCI) with the same firmware file, the standard VGA, and QMP's
screendump and send-key in place of the SPICE client.
"""

import argparse
import hashlib
import os
import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import labcache  # noqa: E402
import labdisk  # noqa: E402  (the disk pattern and the image check)
import labguest  # noqa: E402
import labinit  # noqa: E402
import labusb  # noqa: E402  (the plan runner shared by the lab groups)

GUEST_MEMORY_MB = 512
SEABIOS = '/usr/share/seabios/bios-256k.bin'
# One L2 boot each; the scenarios' names start with the firmware's. OVMF is
# not here: tests/lab/README.md says why.
FIRMWARES = ('seabios',)
SCENARIOS = ('screen', 'cdrom', 'ahci')
# One guest per firmware: SeaBIOS, GRUB and the kernel under L1's TCG.
GUEST_TIMEOUT = 900
L1_MARGIN = 480
# GRUB boots its first entry by itself after this long (by its own
# clock, which ran 5 times fast inside L1); the test's key press chooses
# the second one long before.
GRUB_TIMEOUT = 1800
# GRUB's whole menu (header, a box of 12 text rows, the help below it)
# inks ~290 pixel rows of a 400-row text screen; SeaBIOS's messages
# before it fewer than 100, the box alone while GRUB draws it ~160.
MENU_INK_ROWS = 250
SCREEN_TIMEOUT = 600
# Down, Enter (PC scancodes, set 1) and their QMP names.
KEYS = ('0xe050', '0x1c')
QEMU_KEYS = ('down', 'ret')
DISK_SERIAL = 'vireo-lab-sata-01'

labcache.MODULE_SETS.setdefault('ahci', ['ahci', 'sd_mod', 'sr_mod'])

_ACTION = r'''
param() {
	sed -n "s/.*vireo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}
fail() {
	echo "VIREO-L2-ERROR $*"
	poweroff -f
}
token=$(param token)
echo "VIREO-L2-VIA $(param via)"
i=0
until [ -b /dev/sda ] && [ -b /dev/sr0 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "no SATA disk and CD-ROM (block devices: $(ls /sys/block | tr '\n' ' '))"
	sleep 0.1
done
echo "VIREO-L2-SATA $(cat /sys/block/sda/size) $(cat /sys/block/sr0/size)"
echo "VIREO-L2-CDSUM $(dd if=/dev/sr0 bs=65536 2>/dev/null | md5sum | cut -c1-32)"
pattern() {
	yes "vireo-$token" | head -c $1
}
pattern @PATTERN_LEN@ | dd of=/dev/sda bs=1M oflag=direct 2>/dev/null ||
	fail "writing 4 MiB with O_DIRECT to the SATA disk failed"
pattern @SMALL_LEN@ | dd of=/dev/sda bs=4096 seek=@SMALL_BLK@ conv=notrunc 2>/dev/null ||
	fail "writing 64 KiB to the SATA disk through the page cache failed"
sync
echo 3 >/proc/sys/vm/drop_caches
a=$(dd if=/dev/sda bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -c1-32)
b=$(dd if=/dev/sda bs=4096 skip=@SMALL_BLK@ count=@SMALL_CNT@ iflag=direct 2>/dev/null | md5sum | cut -c1-32)
echo "VIREO-L2-DISKSUM $a $b"
echo VIREO-L2-POWEROFF
poweroff -f
'''

_GRUB_CFG = '''set timeout={timeout}
set default=0
menuentry "Vireo lab: boot on timeout" {{
	linux /boot/vmlinuz {append} vireo.via=timeout
	initrd /boot/initrd.img
}}
menuentry "Vireo lab: boot by key" {{
	linux /boot/vmlinuz {append} vireo.via=key
	initrd /boot/initrd.img
}}
'''


def l2_initramfs(cache):
    action = _ACTION
    for k, v in {'@PATTERN_LEN@': labdisk.PATTERN_LEN, '@SMALL_LEN@': labdisk.SMALL_LEN,
                 '@SMALL_BLK@': labdisk.SMALL_OFF // 4096,
                 '@SMALL_CNT@': labdisk.SMALL_LEN // 4096}.items():
        action = action.replace(k, str(v))
    return cache._image('l2-fw', labinit._L2_PROLOGUE.replace('@SCENARIO@', 'fw') + action, ['ahci'])


def build_iso(cache, group, append, timeout=GRUB_TIMEOUT, initrd=None):
    """An El Torito CD (grub-mkrescue: BIOS and UEFI GRUB) with the kernel,
    the initramfs (@initrd, else this test's) and a grub.cfg booting them
    with @append, its first entry after @timeout seconds."""
    if shutil.which('grub-mkrescue') is None:
        raise labcache.LabError('grub-mkrescue missing: install grub-common, grub-pc-bin, '
                                'grub-efi-amd64-bin, xorriso and mtools')
    if not os.path.isdir('/usr/lib/grub/i386-pc'):
        raise labcache.LabError('GRUB for BIOS missing: install grub-pc-bin')
    out_dir = os.path.join(cache.root, 'fw-iso')
    os.makedirs(out_dir, exist_ok=True)
    iso = os.path.join(out_dir, f'fw-{group}.iso')
    with tempfile.TemporaryDirectory(prefix='vireo-fw-iso-') as tmp:
        root = os.path.join(tmp, 'root')
        os.makedirs(os.path.join(root, 'boot', 'grub'))
        shutil.copyfile(cache.vmlinuz(), os.path.join(root, 'boot', 'vmlinuz'))
        shutil.copyfile(initrd or l2_initramfs(cache), os.path.join(root, 'boot', 'initrd.img'))
        with open(os.path.join(root, 'boot', 'grub', 'grub.cfg'), 'w', encoding='utf-8') as f:
            f.write(_GRUB_CFG.format(timeout=timeout, append=append))
        r = subprocess.run(['grub-mkrescue', '-o', iso + '.tmp', root],
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise labcache.LabError('grub-mkrescue failed: ' + r.stderr.strip()[-300:])
    os.rename(iso + '.tmp', iso)
    return iso


def md5_file(path):
    h = hashlib.md5()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def ppm_stats(path):
    """(rows with a pixel unlike the top-left one, distinct colours)."""
    with open(path, 'rb') as f:
        data = f.read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+255\s', data)
    if not m:
        raise OSError(f'{path} is not a binary PPM')
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():m.end() + w * h * 3]
    bg = px[:3]
    blank = bg * w
    rows, colours = 0, set()
    for y in range(h):
        row = px[y * w * 3:(y + 1) * w * 3]
        rows += row != blank
        colours.update(row[i:i + 3] for i in range(0, len(row), 3))
    return rows, len(colours)


class ScreenFailed(Exception):
    pass


# The monitors: the machine, and how to look at its screen and press keys.

class FwVireo(labguest.Vireo):
    def __init__(self, exe, spice_probe, iso, disk):
        super().__init__(exe)
        self.spice_probe = spice_probe
        self.iso, self.disk = iso, disk

    def argv(self, _kernel, _initrd, _append, memory_mb, cpus, _allow_reboot, ctl):
        return [self.exe, '--bios', SEABIOS, '--cdrom', self.iso,
                '--disk', f'{self.disk},format=raw,bus=sata,serial={DISK_SERIAL}',
                '--memory', f'{memory_mb}M', '--cpus', str(cpus), '--serial', 'stdio',
                '--display', 'bochs', '--spice', f'unix:{ctl}']

    def screen_and_keys(self, guest, frame, deadline):
        """Waits for GRUB's menu on the screen, saves it, presses the keys;
        returns (ink rows, colours)."""
        while not os.path.exists(guest.ctl):
            if time.monotonic() > deadline or guest.proc.poll() is not None:
                raise ScreenFailed('vireo-vmm never opened its SPICE socket')
            time.sleep(0.2)
        left = max(1, int(deadline - time.monotonic()))
        cmd = [self.spice_probe, '--unix', guest.ctl, '--ink-rows', str(MENU_INK_ROWS),
               '--out', frame, '--keys', ','.join(KEYS), '--timeout', str(left)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=left + 60, check=False)
        except subprocess.TimeoutExpired:
            raise ScreenFailed('spice-probe hung') from None
        guest.stderr.extend('spice-probe: ' + line for line in (r.stdout + r.stderr).splitlines())
        got = dict(line.split(' ', 1) for line in r.stdout.splitlines() if ' ' in line)
        if r.returncode != 0 or 'sent' not in r.stdout.split():
            raise ScreenFailed(f'spice-probe exited with {r.returncode}: {r.stderr.strip()}')
        return int(got.get('ink-rows', 0)), int(got.get('colours', 0))


class FwQemu(labguest.Qemu):
    def __init__(self, iso, disk):
        super().__init__('q35')
        self.iso, self.disk = iso, disk

    def argv(self, _kernel, _initrd, _append, memory_mb, cpus, _allow_reboot, ctl):
        return ['qemu-system-x86_64', '-enable-kvm', '-M', 'q35', '-cpu', 'host',
                '-smp', str(cpus), '-m', str(memory_mb), '-bios', SEABIOS,
                '-display', 'none', '-vga', 'std', '-serial', 'stdio', '-no-reboot',
                '-drive', f'file={self.iso},if=none,id=cd,media=cdrom,readonly=on',
                '-device', 'ide-cd,bus=ide.0,drive=cd',
                '-drive', f'file={self.disk},if=none,id=d0,format=raw,cache=writeback',
                '-device', f'ide-hd,bus=ide.1,drive=d0,serial={DISK_SERIAL}',
                '-qmp', f'unix:{ctl},server=on,wait=off']

    @staticmethod
    def _qmp(ctl, commands):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(ctl)
            f = s.makefile('rw', encoding='utf-8')
            f.readline()
            for cmd in [{'execute': 'qmp_capabilities'}] + commands:
                f.write(json.dumps(cmd) + '\n')
                f.flush()
                while True:
                    line = f.readline()
                    if not line:
                        raise OSError(f'QMP closed during {cmd["execute"]}')
                    msg = json.loads(line)
                    if 'error' in msg:
                        raise OSError(f'QMP {cmd["execute"]}: {msg["error"]}')
                    if 'return' in msg:
                        break

    def screen_and_keys(self, guest, frame, deadline):
        rows = colours = 0
        while True:
            if time.monotonic() > deadline or guest.proc.poll() is not None:
                raise ScreenFailed(f'GRUB\'s menu never showed: {rows} rows of ink on the screen')
            try:
                self._qmp(guest.ctl, [{'execute': 'screendump', 'arguments': {'filename': frame}}])
                rows, colours = ppm_stats(frame)
            except OSError:
                rows = 0
            if rows >= MENU_INK_ROWS:
                break
            time.sleep(2)
        self._qmp(guest.ctl, [{'execute': 'send-key',
                               'arguments': {'keys': [{'type': 'qcode', 'data': k}]}}
                              for k in QEMU_KEYS])
        return rows, colours


def run_firmware(plan, firmware):
    """[(scenario, reason or None)] and the log path, from one L2 boot."""
    mon_name = plan['monitor']
    log_path = os.path.join(plan['log_dir'], f'{mon_name}-{firmware}.log')
    frame = os.path.join(plan['log_dir'], f'{mon_name}-{firmware}-screen.ppm')
    token = plan['token']
    notes = []
    failures = {}
    with tempfile.TemporaryDirectory(prefix='vireo-fw-') as work:
        # L1's tmpfs: images on 9p would get no OFD locks.
        iso = os.path.join(work, 'fw.iso')
        shutil.copyfile(plan['iso'], iso)
        disk = os.path.join(work, 'sata.img')
        with open(disk, 'wb') as f:
            f.truncate(labdisk.DISK_MB << 20)
        if mon_name == 'vireo':
            mon = FwVireo(plan['vireo_vmm'], plan['spice_probe'], iso, disk)
        else:
            mon = FwQemu(iso, disk)
        guest = labguest.Guest(mon, None, None, plan['append'], GUEST_MEMORY_MB, 1, work_dir=work)
        screen = {}

        def look():
            try:
                screen['result'] = mon.screen_and_keys(guest, frame,
                                                       time.monotonic() + SCREEN_TIMEOUT)
            except (ScreenFailed, OSError) as e:
                screen['error'] = str(e)

        seen = {}
        status = None
        deadline = time.monotonic() + GUEST_TIMEOUT
        try:
            guest.start()
            looker = threading.Thread(target=look, daemon=True)
            looker.start()
            for _, name, arg in guest.markers(deadline):
                seen.setdefault(name, arg)
                if name == 'ERROR':
                    failures.setdefault('boot', f'guest reported: {arg}')
            status = guest.wait(deadline)
            looker.join(timeout=120)
        except TimeoutError:
            failures.setdefault('boot', f'timed out after {GUEST_TIMEOUT} s'
                                        f' (markers: {" ".join(seen) or "none"})')
        except OSError as e:
            failures.setdefault('boot', f'cannot start {guest.argv[0]}: {e}')
        finally:
            if guest.proc:
                try:
                    guest.kill()
                except TimeoutError:
                    failures.setdefault('boot', 'the monitor outlived SIGKILL by 30 s')
        boot = failures.get('boot')
        if boot is None and 'INIT' not in seen:
            boot = (f'the monitor exited with status {status} before /init ran'
                    + (f'; stderr: {guest.stderr[-1]}' if guest.stderr else ''))
        results = []

        # screen: GRUB's menu seen, and the keys pressed chose its entry.
        if 'error' in screen:
            results.append(('screen', screen['error']))
        elif 'result' not in screen:
            results.append(('screen', boot or 'the screen was never looked at'))
        else:
            rows, colours = screen['result']
            notes.append(f'screen: {rows} rows of ink, {colours} colours ({frame})')
            if colours < 2:
                results.append(('screen', f'the frame has {colours} colour(s)'))
            elif seen.get('VIA') != 'key':
                results.append(('screen', f'GRUB booted its entry {seen.get("VIA")!r}: the keys'
                                          ' did not reach it' if 'VIA' in seen else
                                          boot or 'no VIA marker'))
            else:
                results.append(('screen', None))

        # cdrom: the kernel and initramfs came from the CD; the CD reads back.
        size = os.path.getsize(plan['iso'])
        want_sata = f'{labdisk.DISK_MB << 11} {size // 512}'
        if boot:
            results.append(('cdrom', boot))
        elif token not in (seen.get('CMDLINE') or ''):
            results.append(('cdrom', f'/proc/cmdline {seen.get("CMDLINE")!r} lacks this run\'s'
                                     f' token {token}'))
        elif seen.get('SATA') != want_sata:
            results.append(('cdrom', f'the guest sees sda and sr0 with {seen.get("SATA")!r}'
                                     f' sectors, expected {want_sata}'))
        elif seen.get('CDSUM') != plan['iso_md5']:
            results.append(('cdrom', f'the CD reads back with MD5 {seen.get("CDSUM")},'
                                     f' the ISO\'s is {plan["iso_md5"]}'))
        else:
            results.append(('cdrom', None))

        # ahci: the pattern went to the disk and into the image.
        want_sum = (hashlib.md5(labdisk.pattern(token, labdisk.PATTERN_LEN)).hexdigest() + ' '
                    + hashlib.md5(labdisk.pattern(token, labdisk.SMALL_LEN)).hexdigest())
        reason = boot
        if reason is None and seen.get('DISKSUM') != want_sum:
            reason = f'the disk reads back {seen.get("DISKSUM")!r}, expected {want_sum!r}'
        if reason is None and ('POWEROFF' not in seen or status != 0):
            reason = f'the monitor exited with status {status} (markers: {" ".join(seen)})'
        if reason is None:
            try:
                labdisk.check_image(disk, 'raw', token, notes)
            except labdisk.ScenarioFailed as e:
                reason = str(e)
        results.append(('ahci', reason))
        failed = [r for _, r in results if r]
        guest.log(log_path, '\n'.join(notes + [f'result: {failed[0] if failed else "PASS"}']))
    return results, log_path


def cmd_run_plan(args, prefix=''):
    plan = labusb.read_plan(args.plan)
    if not os.path.exists('/dev/kvm'):
        print(f'{prefix}lab: /dev/kvm missing', flush=True)
        return 1
    failed = 0
    for firmware in plan['firmwares']:
        print(f'{prefix}lab: {plan["monitor"]} {firmware}: starting', flush=True)
        t0 = time.monotonic()
        results, log_path = run_firmware(plan, firmware)
        took = time.monotonic() - t0
        for name, reason in results:
            labusb.record(plan, f'{plan["monitor"]} {firmware}-{name}', reason, took, log_path)
            failed += reason is not None
            print(f'{prefix}lab: {plan["monitor"]} {firmware}-{name}: '
                  f'{"PASS" if reason is None else "FAIL: " + reason} ({took:.1f} s)', flush=True)
    return 1 if failed else 0


def cmd_test(args):
    cache = labcache.Cache(args.build_dir)
    if not os.path.isfile(SEABIOS):
        raise labcache.LabError(f'{SEABIOS} missing: install the seabios package')
    if args.group == 'vireo':
        for exe, opt in ((args.vireo_vmm, '--vireo-vmm'), (args.spice_probe, '--spice-probe')):
            if not exe or not os.access(exe, os.X_OK):
                raise labcache.LabError(f'{opt} must name an executable (got {exe!r})')
        monitor = 'vireo'
    else:
        monitor = 'qemu-q35'
    token = secrets.token_hex(4)
    # The monitor under test boots without `quiet`: the log then says
    # where a failing guest stopped.
    quiet = '' if monitor == 'vireo' else ' quiet'
    append = f'console=ttyS0 panic=-1{quiet} vireo.scenario=fw vireo.token={token}'
    iso = build_iso(cache, args.group, append)
    plan = {
        'monitor': monitor,
        'firmwares': list(FIRMWARES),
        'iso': iso,
        'iso_md5': md5_file(iso),
        'append': append,
        'token': token,
        'vireo_vmm': os.path.abspath(args.vireo_vmm) if args.vireo_vmm else None,
        'spice_probe': os.path.abspath(args.spice_probe) if args.spice_probe else None,
    }
    cases = [(monitor, f'{fw}-{s}', 1, GUEST_TIMEOUT) for fw in FIRMWARES for s in SCENARIOS]
    return labusb.run_tap(cache, 'fw-' + args.group, cases, plan, os.path.abspath(__file__),
                          l1_timeout=GUEST_TIMEOUT * len(FIRMWARES) + L1_MARGIN)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('test', help='run the firmware scenarios, print TAP')
    p.add_argument('--build-dir', required=True, help='meson build folder (cache lives in it)')
    p.add_argument('--group', required=True, choices=('qemu', 'vireo'))
    p.add_argument('--vireo-vmm', help='the vireo-vmm executable (group vireo)')
    p.add_argument('--spice-probe', help='the spice-probe test client (group vireo)')
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
        return 1


if __name__ == '__main__':
    sys.exit(main())
