# SPDX-License-Identifier: GPL-3.0-or-later
"""Writer for the cpio "newc" format the Linux kernel unpacks as initramfs.

Written here rather than calling cpio(1) so the lab needs no extra tool and
the images are byte-for-byte reproducible (fixed mtimes and inode numbers),
which lets the cache compare them by content.
"""

import stat

_MAGIC = b'070701'


def _pad4(n):
    return (4 - n % 4) % 4


class Archive:
    """An in-memory newc archive; add entries, then bytes() it."""

    def __init__(self):
        self._chunks = []
        self._ino = 1
        self._names = set()
        self._closed = False

    def _entry(self, name, mode, data=b'', rdev=(0, 0), nlink=1):
        if self._closed:
            raise ValueError('archive already finished')
        name = name.lstrip('/')
        if not name or name in self._names:
            raise ValueError(f'bad or duplicate cpio entry name: {name!r}')
        self._names.add(name)
        encoded = name.encode() + b'\0'
        fields = (self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(encoded), 0)
        self._ino += 1
        header = _MAGIC + b''.join(b'%08X' % f for f in fields)
        self._chunks.append(header + encoded + b'\0' * _pad4(len(header) + len(encoded)))
        self._chunks.append(data + b'\0' * _pad4(len(data)))

    def add_dir(self, name, mode=0o755):
        self._entry(name, stat.S_IFDIR | mode, nlink=2)

    def add_dirs(self, path):
        """Add path and every missing parent directory of it."""
        parts = path.strip('/').split('/')
        for i in range(1, len(parts) + 1):
            sub = '/'.join(parts[:i])
            if sub not in self._names:
                self.add_dir(sub)

    def add_file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def add_symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def add_chardev(self, name, major, minor, mode=0o600):
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def __contains__(self, name):
        return name.lstrip('/') in self._names

    def finish(self):
        """Return the archive with its trailer; no entry can follow."""
        if not self._closed:
            self._entry('TRAILER!!!', 0, nlink=1)
            self._closed = True
        out = b''.join(self._chunks)
        return out + b'\0' * _pad4(len(out))
