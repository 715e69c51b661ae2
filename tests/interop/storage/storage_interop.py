#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interop between Vireo's image layer and QEMU's qemu-img.

    storage_interop.py CASE IMAGE_IO VIREO_IMG

Images made by qemu-img must read byte-identical to `qemu-img convert -O
raw`; images written by Vireo must pass `qemu-img check` and match the
expected contents under `qemu-img compare`; a writer killed mid-way must
leave no corruption (leaks allowed). Exit 77 (skip) without qemu-img.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MiB = 1024 * 1024


class Fail(Exception):
    pass


def run(*args, ok=(0,)):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if p.returncode not in ok:
        raise Fail("%s exited %d:\n%s%s" % (" ".join(map(str, args)), p.returncode,
                                          p.stdout, p.stderr))
    return p


def make_raw(path, size, seed):
    """Random data, runs of one byte, and holes: what compression, zero
    detection and partial clusters all have something to do with."""
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        pos = 0
        while pos < size:
            n = min(size - pos, rnd.choice([512, 4096, 70000, 300000, MiB]))
            kind = rnd.randrange(3)
            if kind == 0:
                f.write(rnd.randbytes(n))
            elif kind == 1:
                f.write(bytes([rnd.randrange(256)]) * n)
            else:
                f.write(bytes(n))
            pos += n


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(MiB), fb.read(MiB)
            if x != y:
                return False
            if not x:
                return True


class Case:
    def __init__(self, tmp, image_io, vireo_img):
        self.tmp = tmp
        self.image_io = image_io
        self.vireo_img = vireo_img
        self.checks = 0

    def p(self, name):
        return os.path.join(self.tmp, name)

    def assert_reads_like_qemu(self, img, leaks_ok=False):
        ref, got = img + ".ref", img + ".got"
        run("qemu-img", "convert", "-O", "raw", img, ref)
        run(self.image_io, "dump", img, got)
        if not same_file(ref, got):
            raise Fail("%s: Vireo reads differ from qemu-img convert" % img)
        # Our own check must agree with QEMU's about the image.
        p = run(self.vireo_img, "check", img, ok=(0, 3) if leaks_ok else (0,))
        if "ERROR" in p.stdout:
            raise Fail("vireo-img check %s:\n%s" % (img, p.stdout))
        os.unlink(ref)
        os.unlink(got)
        self.checks += 1

    def assert_qemu_accepts(self, img, expect, leaks_ok=False):
        p = run("qemu-img", "check", img, ok=(0, 3) if leaks_ok else (0,))
        if "ERROR" in p.stdout or "ERROR" in p.stderr:
            raise Fail("qemu-img check %s:\n%s" % (img, p.stdout))
        if expect is not None:
            run("qemu-img", "compare", "-F", "raw", img, expect)
        self.checks += 1

    def vireo_write(self, img, seed, count=100):
        expect = img + ".expect"
        run(self.image_io, "write", img, seed, count, expect)
        self.assert_qemu_accepts(img, expect)
        # And Vireo's own check agrees with QEMU's.
        run(self.vireo_img, "check", img)
        os.unlink(expect)


def case_read_formats(c):
    raw = c.p("data.raw")
    make_raw(raw, 12 * MiB + 4096, 1)
    for cluster in ("4k", "64k", "2M"):
        for compat in ("0.10", "1.1"):
            img = c.p("c%s-%s.qcow2" % (cluster, compat))
            run("qemu-img", "convert", "-O", "qcow2", "-o",
                "cluster_size=%s,compat=%s" % (cluster, compat), raw, img)
            c.assert_reads_like_qemu(img)
            info = run(c.vireo_img, "info", img).stdout
            if "file format: qcow2" not in info or "version: %s" % (2 if compat == "0.10" else 3) not in info:
                raise Fail("vireo-img info %s:\n%s" % (img, info))


def case_read_compressed(c):
    raw = c.p("data.raw")
    make_raw(raw, 10 * MiB, 2)
    for cluster in ("4k", "64k", "2M"):
        img = c.p("z%s.qcow2" % cluster)
        run("qemu-img", "convert", "-c", "-O", "qcow2", "-o", "cluster_size=%s" % cluster, raw, img)
        c.assert_reads_like_qemu(img)


def case_read_chain(c):
    """A chain of three: base, then two sparse overlays with qemu-io
    writes of their own (relative backing names, one raw base)."""
    for base_fmt in ("qcow2", "raw"):
        raw = c.p("base.raw")
        make_raw(raw, 8 * MiB, 3)
        base = c.p("base." + base_fmt)
        if base_fmt == "qcow2":
            run("qemu-img", "convert", "-O", "qcow2", raw, base)
        mid, top = c.p("mid.qcow2"), c.p("top.qcow2")
        run("qemu-img", "create", "-f", "qcow2", "-o", "cluster_size=4k", "-b",
            os.path.basename(base), "-F", base_fmt, mid)
        run("qemu-io", "-c", "write -P 0x5a 1000k 300k", "-c", "write -z 3M 64k", mid)
        run("qemu-img", "create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top)
        run("qemu-io", "-c", "write -P 0xa5 1100k 5k", "-c", "write -P 0x11 7M 1M", top)
        c.assert_reads_like_qemu(top)
        info = run(c.vireo_img, "info", top).stdout
        if info.count("backing chain:") != 2:
            raise Fail("vireo-img info %s:\n%s" % (top, info))
        for f in (top, mid, raw):
            os.unlink(f)
        if base_fmt == "qcow2":
            os.unlink(base)


def case_read_snapshot(c):
    raw = c.p("data.raw")
    make_raw(raw, 8 * MiB, 4)
    img = c.p("snap.qcow2")
    run("qemu-img", "convert", "-O", "qcow2", raw, img)
    run("qemu-img", "snapshot", "-c", "before", img)
    run("qemu-io", "-c", "write -P 0x77 2M 1M", "-c", "write -z 0 64k", img)
    run("qemu-img", "snapshot", "-c", "after", img)
    run("qemu-io", "-c", "write -P 0x33 6M 100k", img)
    c.assert_reads_like_qemu(img)
    # Writing the active layer copies what the snapshots share, and leaves
    # the snapshots as they were.
    snaps = {}
    for name in ("before", "after"):
        snaps[name] = c.p(name + ".raw")
        run("qemu-img", "convert", "-O", "raw", "-l", "snapshot.name=" + name, img, snaps[name])
    c.vireo_write(img, 60, 200)
    for name, raw_snap in snaps.items():
        now = c.p(name + ".now")
        run("qemu-img", "convert", "-O", "raw", "-l", "snapshot.name=" + name, img, now)
        if not same_file(raw_snap, now):
            raise Fail("snapshot %s changed when the active layer was written" % name)


def case_write_new(c):
    """Images created and written by Vireo, every cluster size."""
    for i, cluster in enumerate((512, 4096, 65536, 2 * MiB)):
        img = c.p("new%d.qcow2" % cluster)
        run(c.vireo_img, "create", "-o", "cluster_size=%d" % cluster, img, "8M")
        c.assert_qemu_accepts(img, None)
        c.vireo_write(img, 10 + i)
        # Written again after reopening: in-place overwrites this time.
        c.vireo_write(img, 20 + i)


def case_write_qemu(c):
    """Vireo writing into images QEMU made: v2, compressed clusters being
    replaced, and 512-byte clusters whose refcount table must grow."""
    raw = c.p("data.raw")
    make_raw(raw, 8 * MiB, 5)
    variants = [
        ("v2.qcow2", ["-o", "compat=0.10"]),
        ("z.qcow2", ["-c", "-o", "cluster_size=4k"]),
        ("small.qcow2", ["-o", "cluster_size=512"]),
        ("big.qcow2", ["-o", "cluster_size=2M"]),
    ]
    for i, (name, opts) in enumerate(variants):
        img = c.p(name)
        run("qemu-img", "convert", "-O", "qcow2", *opts, raw, img)
        c.vireo_write(img, 30 + i)
    # An empty 512-byte-cluster image: QEMU gives it a one-cluster refcount
    # table (64 blocks of 256 clusters: 8 MiB), so writing all over 24 MiB
    # must grow it.
    img = c.p("grow.qcow2")
    run("qemu-img", "create", "-f", "qcow2", "-o", "cluster_size=512", img, "24M")
    before = refcount_table_clusters(img)
    c.vireo_write(img, 40, 250)
    if refcount_table_clusters(img) <= before:
        raise Fail("the refcount table of %s did not grow" % img)


def refcount_table_clusters(img):
    with open(img, "rb") as f:
        return int.from_bytes(f.read(60)[56:60], "big")


def case_write_overlay(c):
    raw = c.p("base.raw")
    make_raw(raw, 16 * MiB, 7)
    base = c.p("base.qcow2")
    run("qemu-img", "convert", "-O", "qcow2", "-o", "cluster_size=64k", raw, base)
    over = c.p("over.qcow2")
    run(c.vireo_img, "create", "-o", "cluster_size=4096", "-b", "base.qcow2", over)
    c.vireo_write(over, 50)
    # A second layer on top, made by QEMU, written by Vireo again.
    top = c.p("top.qcow2")
    run("qemu-img", "create", "-f", "qcow2", "-b", "over.qcow2", "-F", "qcow2", top)
    c.vireo_write(top, 51)
    # And a raw base under a Vireo overlay.
    over2 = c.p("over2.qcow2")
    run(c.vireo_img, "create", "-b", "base.raw", "-F", "raw", over2)
    c.vireo_write(over2, 52)


def case_crash(c):
    """A writer killed with SIGKILL at random moments, several times over:
    `qemu-img check` may find leaks, never corruption."""
    rnd = random.Random(8)
    images = []
    img = c.p("crash.qcow2")
    run(c.vireo_img, "create", "-o", "cluster_size=4096", img, "32M")
    images.append(img)
    small = c.p("crash512.qcow2")
    run("qemu-img", "create", "-f", "qcow2", "-o", "cluster_size=512", small, "24M")
    images.append(small)
    # Streaming 1 MiB writes into 64 KiB clusters: killed inside batched
    # allocations (refcounts, then one data write per run, then entries).
    seq = c.p("crashseq.qcow2")
    run(c.vireo_img, "create", "-o", "cluster_size=65536", seq, "48M")
    images.append(seq)
    for img in images:
        for round_ in range(5):
            mode = ["seq", img, str(round_ * 7), "0"] if img == seq else ["churn", img, str(round_)]
            proc = subprocess.Popen([c.image_io] + mode,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            line = proc.stdout.readline()
            if line != b"ready\n":
                proc.kill()
                raise Fail("churn did not start: %r %r" % (line, proc.stderr.read()))
            time.sleep(rnd.uniform(0.05, 1.5))
            if proc.poll() is not None:
                raise Fail("churn died by itself: %s" % proc.stderr.read().decode())
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            c.assert_qemu_accepts(img, None, leaks_ok=True)
            # Still readable by Vireo and by QEMU, and the same to both.
            c.assert_reads_like_qemu(img, leaks_ok=True)


MIB = 1 << 20
MASK64 = (1 << 64) - 1


def engine_place(k, seed, slots):
    """Where image-io's engine mode puts write k (engine_place there)."""
    h = (((k + 1) * 0x9e3779b97f4a7c15) & MASK64) ^ seed
    h ^= h >> 29
    off, length = (k % slots) * MIB, MIB
    if h % 4 == 0:
        off += ((h >> 8) % (MIB // 4096)) * 4096
        length = 4096
    return off, length


FILLERS = [bytes((b + i) & 0xff for i in range(12, 512)) for b in range(256)]


def engine_sector(k, seed, sector):
    head = (k + 1).to_bytes(8, "little") + seed.to_bytes(4, "little")
    return head + FILLERS[(k * 31 + sector) & 0xff]


def check_engine_image(c, img, seed, durable, submitted):
    """Every sector holds the last durable write that covered it, or a
    write issued after that (in flight at the kill, or later); never
    another write's bytes, never a sector torn inside."""
    raw = img + ".raw"
    run("qemu-img", "convert", "-O", "raw", img, raw)
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    slots = len(data) // MIB
    history = {}  # sector -> [k, ...] in order
    for k in range(submitted):
        off, length = engine_place(k, seed, slots)
        for sec in range(off // 512, (off + length) // 512):
            history.setdefault(sec, []).append(k)
    zero = bytes(512)
    for sec in range(len(data) // 512):
        got = data[sec * 512:(sec + 1) * 512]
        ks = history.get(sec, [])
        done = [k for k in ks if k <= durable]
        allowed = set(k for k in ks if k > durable)
        if done:
            allowed.add(done[-1])
        if got == zero and not done:
            continue
        k = int.from_bytes(got[:8], "little") - 1
        if k not in allowed or got != engine_sector(k, seed, sec):
            raise Fail("%s: sector %d holds write %d; durable up to %d, allowed %s"
                       % (img, sec, k, durable, sorted(allowed)[:8]))


def case_crash_engine(c):
    """The block engine (io_uring, O_DIRECT where the file system has it)
    killed with SIGKILL while batches of writes that allocate clusters are
    in flight, several times over one image: `qemu-img check` finds no
    corruption, and everything written before the last completed flush is
    there."""
    rnd = random.Random(11)
    img = c.p("crashengine.qcow2")
    run(c.vireo_img, "create", "-o", "cluster_size=65536", img, "96M")
    durable_all, seed = -1, 0
    for round_ in range(6):
        # A fresh image every other round, killed early (most writes
        # allocate); then one killed later, whose writes wrap around and
        # also overwrite in place what the round before had allocated.
        if round_ % 2 == 0:
            os.unlink(img)
            run(c.vireo_img, "create", "-o", "cluster_size=65536", img, "96M")
        seed = 1000 + round_
        proc = subprocess.Popen([c.image_io, "engine", img, str(seed)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = proc.stdout.readline()
        if not line.startswith(b"ready "):
            proc.kill()
            raise Fail("engine did not start: %r %r" % (line, proc.stderr.read()))
        print("round %d: %s" % (round_, line.decode().strip()))
        time.sleep(rnd.uniform(0.05, 0.5) if round_ % 2 == 0 else rnd.uniform(0.5, 1.5))
        if proc.poll() is not None:
            raise Fail("engine died by itself: %s" % proc.stderr.read().decode())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        durable = -1
        for out in proc.stdout.read().decode().split("\n"):
            if out.startswith("durable "):
                durable = int(out.split()[1])
        durable_all = max(durable_all, durable)
        c.assert_qemu_accepts(img, None, leaks_ok=True)
        if round_ % 2 == 0:
            # Writes issued: at most one batch past the last durable one
            # was in flight, and the next may have been starting.
            check_engine_image(c, img, seed, durable, durable + 1 + 24)
        c.assert_reads_like_qemu(img, leaks_ok=True)
    if durable_all < 16:
        raise Fail("the writers never got past their first flush")


def case_check(c):
    """vireo-img check and qemu-img check agree on damaged refcounts: a
    count too low is a corruption (exit 2), one too high a leak (exit 3);
    and vireo-img's own errors are one line with exit status 2."""
    img = c.p("check.qcow2")
    run(c.vireo_img, "create", "-o", "cluster_size=65536", img, "8M")
    run(c.image_io, "write", img, 70, 20, c.p("check.expect"))
    with open(img, "rb") as f:
        head = f.read(64)
        rt = int.from_bytes(head[48:56], "big")
        f.seek(rt)
        block = int.from_bytes(f.read(8), "big")
        f.seek(0, os.SEEK_END)
        clusters = f.tell() // 65536
    last = block + (clusters - 1) * 2

    def poke(offset, value):
        with open(img, "r+b") as f:
            f.seek(offset)
            f.write(value.to_bytes(2, "big"))

    poke(last, 0)
    for tool in (("qemu-img", "check"), (c.vireo_img, "check")):
        run(*tool, img, ok=(2,))
    poke(last, 1)
    with open(img, "r+b") as f:
        f.truncate((clusters + 1) * 65536)
    poke(last + 2, 1)
    for tool in (("qemu-img", "check"), (c.vireo_img, "check")):
        run(*tool, img, ok=(3,))
    poke(last + 2, 0)
    run("qemu-img", "check", img)
    run(c.vireo_img, "check", img)
    c.checks += 1

    for args in (("create", img, "12Q"), ("info", c.p("missing.qcow2")),
                 ("create", "-o", "cluster_size=1000", c.p("x.qcow2"), "1M"),
                 ("create", "-b", "missing.qcow2", c.p("y.qcow2")), ("frobnicate",)):
        p = run(c.vireo_img, *args, ok=(2,))
        if p.stdout or p.stderr.count("\n") != 1 or not p.stderr.startswith("vireo-img: "):
            raise Fail("vireo-img %s: want one line on stderr, got %r" % (" ".join(args), p.stderr))


CASES = {
    "check": case_check,
    "read-formats": case_read_formats,
    "read-compressed": case_read_compressed,
    "read-chain": case_read_chain,
    "read-snapshot": case_read_snapshot,
    "write-new": case_write_new,
    "write-qemu": case_write_qemu,
    "write-overlay": case_write_overlay,
    "crash": case_crash,
    "crash-engine": case_crash_engine,
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        print("usage: storage_interop.py {%s} IMAGE_IO VIREO_IMG" % ",".join(CASES),
              file=sys.stderr)
        return 2
    if shutil.which("qemu-img") is None or shutil.which("qemu-io") is None:
        print("qemu-img/qemu-io not installed (Debian: qemu-utils): skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="vireo-interop-")
    c = Case(tmp, os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]))
    try:
        CASES[sys.argv[1]](c)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: %s (%d images checked)" % (sys.argv[1], c.checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
