# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab-driving benchmarks share (boot, disk, net, input, firmware,
boot-trace): the command line every one of them takes, where vireo-vmm and
the output folder are, and the one measuring run.

A benchmark's main() runs on the host and writes a plan (a JSON file in
BUILD_DIR/bench); the same script then runs again with --inner PLAN inside
one run of the nested lab (tests/lab/README.md), or right here where
/dev/kvm is hardware virtualization, measures, and writes the results file
the plan names, which main() reads back to print its table.
"""

import argparse
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lab'))

import labl1  # noqa: E402

WHERE_HARDWARE = 'directly on hardware KVM'
WHERE_LAB = 'inside the nested lab (L1: QEMU TCG, -smp 2; guests under L1 KVM)'


def arg_parser(doc, build_dir_help='meson build folder (lab cache, vireo-vmm)'):
    """The parser with --build-dir and --vireo-vmm; the script adds its own
    options and calls parse_args()."""
    ap = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    ap.add_argument('--build-dir', help=build_dir_help)
    ap.add_argument('--vireo-vmm', help='default: BUILD_DIR/vmm-core/vireo-vmm')
    return ap


def parse_args(ap):
    """Parses the command line; --build-dir is required except for the
    inner run (--inner PLAN), which reads everything from its plan."""
    ap.add_argument('--inner', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.inner and not args.build_dir:
        ap.error('--build-dir is required')
    return args


def vireo_vmm(cache, given):
    """The vireo-vmm to measure (--vireo-vmm, or the build's), or None
    when there is none: then QEMU alone is measured."""
    vireo = given or os.path.join(cache.build_dir, 'vmm-core', 'vireo-vmm')
    if not os.access(vireo, os.X_OK):
        print(f'bench: {vireo} not found: measuring QEMU only', file=sys.stderr)
        return None
    return vireo


def out_dir(cache):
    """BUILD_DIR/bench, made if needed: plans, results, helper programs."""
    path = os.path.join(cache.build_dir, 'bench')
    os.makedirs(path, exist_ok=True)
    return path


def build_guest_program(out, name):
    """Compiles bench/NAME.c (a program the guest runs from its initramfs)
    statically into OUT/NAME. Returns its bytes, or None when it cannot be
    built (said on stderr)."""
    exe = os.path.join(out, name)
    r = subprocess.run(['cc', '-static', '-O2', '-o', exe, os.path.join(HERE, name + '.c')],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f'bench: cannot build {name} (static; libc6-dev needed): {r.stderr.strip()}',
              file=sys.stderr)
        return None
    with open(exe, 'rb') as f:
        return f.read()


def buildtype(build_dir):
    """The build type of the build in build_dir, for the table's heading:
    an unoptimised monitor would be measured unfairly, so say which it
    was."""
    try:
        with open(os.path.join(build_dir, 'meson-info', 'intro-buildoptions.json'),
                  encoding='utf-8') as f:
            opts = {o['name']: o['value'] for o in json.load(f)}
        return f'{opts["buildtype"]}, b_sanitize={opts.get("b_sanitize", "none")}'
    except (OSError, ValueError, KeyError):
        return 'unknown'


def where(hw):
    """Where the measuring run goes, in words for the table's heading."""
    return WHERE_HARDWARE if hw else WHERE_LAB


def write_plan(cache, name, plan):
    """Writes plan as BUILD_DIR/bench/NAME-plan.json; returns its path."""
    path = os.path.join(out_dir(cache), f'{name}-plan.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(plan, f, indent=1)
    return path


def load_plan(path):
    """The inner run's side of write_plan()."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def save_results(plan, results):
    """The inner run's results, to the file the plan names."""
    with open(plan['results'], 'w', encoding='utf-8') as f:
        json.dump(results, f, indent=1)


def run_inner(cache, hw, script, plan_path, cmd_inner, timeout, on_line=None):
    """Runs the measuring part: cmd_inner(plan_path) right here on hardware
    KVM, otherwise `script --inner plan_path` inside one L1 of the lab
    within timeout seconds. Returns its exit status."""
    if hw:
        return cmd_inner(plan_path)
    inner = [sys.executable, os.path.abspath(script), '--inner', plan_path]
    return labl1.run(cache, inner, timeout=timeout, on_line=on_line)


def measure(cache, hw, name, plan, script, cmd_inner, timeout, on_line=None):
    """write_plan() and run_inner() for a plan with a 'results' file (an
    old one is removed first). Returns the results, or None when the
    measuring run failed (said on stderr)."""
    if os.path.exists(plan['results']):
        os.unlink(plan['results'])
    plan_path = write_plan(cache, name, plan)
    status = run_inner(cache, hw, script, plan_path, cmd_inner, timeout, on_line)
    if status != 0 or not os.path.exists(plan['results']):
        print(f'bench: the measuring run failed (status {status})', file=sys.stderr)
        return None
    with open(plan['results'], encoding='utf-8') as f:
        return json.load(f)
