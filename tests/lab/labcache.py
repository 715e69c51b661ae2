# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's cache: Debian's kernel package, busybox, modules, initramfs.

Everything lives under <build-dir>/lab-cache/ and is keyed by package version
(and, for initramfs images, by a hash of their content), so a second run
downloads and rebuilds nothing.  Nothing is installed on the host: the kernel
package is fetched with `apt-get download` and unpacked with `dpkg -x`.
"""

import contextlib
import fcntl
import gzip
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile

import labcpio
import labinit

KERNEL_META = 'linux-image-amd64'
BUSYBOX = '/bin/busybox'

# Roots of the module sets; their `depends=` closure is added automatically.
# L1 needs KVM on AMD (QEMU emulates SVM) and the virtio-9p transport for
# the shared host root.  L2 images carry the ACPI power button and evdev so
# /init can wait for a button press, and optionally the virtio stack for
# device scenarios.
MODULE_SETS = {
    'l1': ['kvm_amd', 'virtio_pci', '9pnet_virtio', '9p'],
    'button': ['button', 'evdev'],
    'virtio': ['virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_console',
               'virtio_input', 'virtio_gpu', 'virtio_rng'],
}


class LabError(Exception):
    """A lab set-up problem, reported to the user as one line."""


def _run(cmd, **kw):
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


class Cache:
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        if any(c.isspace() for c in self.build_dir):
            # Paths travel on the L1 kernel command line, which splits on
            # whitespace.
            raise LabError(f'build dir path must not contain whitespace: {self.build_dir}')
        self.root = os.path.join(self.build_dir, 'lab-cache')
        os.makedirs(self.root, exist_ok=True)
        self._kernel = None
        self._modules = None

    @contextlib.contextmanager
    def _locked(self):
        # meson runs the lab groups in parallel and both fill the cache on
        # a fresh build folder: one downloads, the other waits and reuses.
        with open(os.path.join(self.root, 'lock'), 'w', encoding='utf-8') as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # ---- kernel package -------------------------------------------------

    @staticmethod
    def _kernel_package():
        """Name and candidate version of the kernel linux-image-amd64 names."""
        out = _run(['apt-cache', 'depends', KERNEL_META])
        pkg = re.search(r'Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b', out.stdout)
        if not pkg:
            return None, None
        pol = _run(['apt-cache', 'policy', pkg.group(1)])
        ver = re.search(r'Candidate:\s*(\S+)', pol.stdout)
        if not ver or ver.group(1) == '(none)':
            return pkg.group(1), None
        return pkg.group(1), ver.group(1)

    def kernel(self):
        """Directory where the kernel package is unpacked (cached)."""
        if self._kernel:
            return self._kernel
        pkg, ver = self._kernel_package()
        if not pkg or not ver:
            # No package lists yet (fresh container): fetch them once.
            upd = _run(['apt-get', 'update'])
            if upd.returncode != 0:
                raise LabError('apt-get update failed: ' + upd.stderr.strip()[-300:])
            pkg, ver = self._kernel_package()
        if not pkg or not ver:
            raise LabError(f'cannot resolve the kernel package that {KERNEL_META} depends on')
        dest = os.path.join(self.root, 'kernel', f'{pkg}_{ver}')
        stamp = os.path.join(dest, '.unpacked')
        with self._locked():
            if not os.path.exists(stamp):
                self._download_kernel(pkg, ver, dest)
                with open(stamp, 'w', encoding='utf-8') as f:
                    f.write(f'{pkg} {ver}\n')
        self._kernel = dest
        return dest

    def _download_kernel(self, pkg, ver, dest):
        parent = os.path.dirname(dest)
        os.makedirs(parent, exist_ok=True)
        shutil.rmtree(dest, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=parent, prefix='dl-') as tmp:
            # apt drops privileges to _apt for downloads; give it a folder
            # it may write to so it does not warn.
            os.chmod(tmp, 0o777)
            res = _run(['apt-get', 'download', f'{pkg}={ver}'], cwd=tmp)
            if res.returncode != 0:
                upd = _run(['apt-get', 'update'])
                if upd.returncode == 0:
                    res = _run(['apt-get', 'download', f'{pkg}={ver}'], cwd=tmp)
            debs = [f for f in os.listdir(tmp) if f.endswith('.deb')]
            if res.returncode != 0 or len(debs) != 1:
                raise LabError(f'apt-get download {pkg}={ver} failed: '
                               + res.stderr.strip()[-300:])
            staging = os.path.join(tmp, 'root')
            res = _run(['dpkg', '-x', os.path.join(tmp, debs[0]), staging])
            if res.returncode != 0:
                raise LabError('dpkg -x failed: ' + res.stderr.strip()[-300:])
            os.rename(staging, dest)

    def kernel_release(self):
        mods = os.path.join(self.kernel(), 'lib', 'modules')
        rel = sorted(os.listdir(mods))
        if len(rel) != 1:
            raise LabError(f'expected one kernel release under {mods}, found {rel}')
        return rel[0]

    def vmlinuz(self):
        path = os.path.join(self.kernel(), 'boot', 'vmlinuz-' + self.kernel_release())
        if not os.path.isfile(path):
            raise LabError(f'kernel image missing: {path}')
        return path

    # ---- modules ----------------------------------------------------------

    def _module_index(self):
        if self._modules is not None:
            return self._modules
        base = os.path.join(self.kernel(), 'lib', 'modules', self.kernel_release())
        index = {}
        for dirpath, _, files in os.walk(os.path.join(base, 'kernel')):
            for f in files:
                m = re.fullmatch(r'(.+)\.ko(\.xz|\.gz)?', f)
                if m:
                    index[m.group(1).replace('-', '_')] = os.path.join(dirpath, f)
        builtin = set()
        try:
            with open(os.path.join(base, 'modules.builtin'), encoding='utf-8') as f:
                for line in f:
                    name = os.path.basename(line.strip())
                    builtin.add(re.sub(r'\.ko$', '', name).replace('-', '_'))
        except FileNotFoundError:
            pass
        self._modules = (index, builtin)
        return self._modules

    @staticmethod
    def _read_module(path):
        if path.endswith('.xz'):
            with lzma.open(path) as f:
                return f.read()
        if path.endswith('.gz'):
            with gzip.open(path) as f:
                return f.read()
        with open(path, 'rb') as f:
            return f.read()

    @staticmethod
    def _depends(data):
        # The .modinfo section holds NUL-separated key=value strings.
        m = re.search(rb'(?:^|\0)depends=([^\0]*)\0', data)
        if not m:
            return []
        return [d.decode().replace('-', '_') for d in m.group(1).split(b',') if d]

    def modules(self, roots):
        """[(name, bytes)] for roots and their dependencies, load order."""
        index, builtin = self._module_index()
        order, seen = [], set()

        def visit(name, chain):
            name = name.replace('-', '_')
            if name in seen or name in builtin:
                return
            if name in chain:
                raise LabError('module dependency cycle: ' + ' -> '.join(chain + [name]))
            if name not in index:
                raise LabError(f'module {name} not found in {self.kernel()}')
            data = self._read_module(index[name])
            for dep in self._depends(data):
                visit(dep, chain + [name])
            seen.add(name)
            order.append((name, data))

        for r in roots:
            visit(r, [])
        return order

    # ---- initramfs images ------------------------------------------------

    @staticmethod
    def busybox():
        if not os.path.isfile(BUSYBOX):
            raise LabError(f'{BUSYBOX} missing: install the busybox-static package')
        ver = _run(['dpkg-query', '-W', '-f', '${Version}', 'busybox-static'])
        if ver.returncode != 0:
            raise LabError('busybox-static is not installed (the lab needs a static busybox)')
        with open(BUSYBOX, 'rb') as f:
            data = f.read()
        applets = _run([BUSYBOX, '--list']).stdout.split()
        if 'sh' not in applets:
            raise LabError(f'{BUSYBOX} has no sh applet')
        return data, applets

    def _image(self, kind, init_text, module_sets):
        """Build (or reuse) an initramfs with busybox, init and modules."""
        bb, applets = self.busybox()
        mods = []
        for s in module_sets:
            for name, data in self.modules(MODULE_SETS[s]):
                if name not in (m[0] for m in mods):
                    mods.append((name, data))
        arc = labcpio.Archive()
        for d in ('bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'lib/modules'):
            arc.add_dirs(d)
        # The kernel opens /dev/console for init before anything can mount
        # devtmpfs; without the node init would have no stdout.
        arc.add_chardev('dev/console', 5, 1)
        arc.add_file('bin/busybox', bb, 0o755)
        for a in applets:
            if a != 'busybox' and 'bin/' + a not in arc:
                arc.add_symlink('bin/' + a, 'busybox')
        for name, data in mods:
            arc.add_file(f'lib/modules/{name}.ko', data)
        arc.add_file('etc/modules', ''.join(n + '\n' for n, _ in mods).encode())
        arc.add_file('init', init_text.encode(), 0o755)
        blob = arc.finish()
        digest = hashlib.sha256(blob).hexdigest()[:16]
        out_dir = os.path.join(self.root, 'initramfs')
        os.makedirs(out_dir, exist_ok=True)
        prefix = f'{kind}-{self.kernel_release()}-'
        path = os.path.join(out_dir, f'{prefix}{digest}.cpio')
        with self._locked():
            if not os.path.exists(path):
                # Images of an older lab.py or package are stale now.
                for old in os.listdir(out_dir):
                    if old.startswith(prefix) and old.endswith('.cpio'):
                        os.unlink(os.path.join(out_dir, old))
                tmp = path + f'.tmp{os.getpid()}'
                with open(tmp, 'wb') as f:
                    f.write(blob)
                os.rename(tmp, path)
        return path

    def l1_initramfs(self):
        return self._image('l1', labinit.l1_init(), ['l1'])

    def l2_initramfs(self, scenario, module_sets=()):
        sets = list(module_sets)
        if scenario == 'powerbutton' and 'button' not in sets:
            sets.append('button')
        kind = '+'.join(['l2-' + scenario] + sets)
        return self._image(kind, labinit.l2_init(scenario), sets)
