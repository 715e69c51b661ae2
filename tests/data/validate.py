#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks for Vireo's data files, Flatpak manifest and translations.

Every check first makes sure the thing it validates is really there: the
upstream validators happily "pass" when given an empty folder or a file
that was never generated, and a test that cannot fail proves nothing.

Usage:
  validate.py desktop FILE [--translated LANG...]
  validate.py metainfo FILE
  validate.py schemas DIR
  validate.py icon FILE SIZE
  validate.py flatpak MANIFEST
  validate.py potfiles SRCDIR
  validate.py po SRCDIR

Exit status 0 means the check passed; anything else is a failure, with the
reasons on stderr.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


class CheckFailed(Exception):
    pass


def require_file(path):
    """The file exists, is a regular file and has content."""
    if not os.path.isfile(path):
        raise CheckFailed(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise CheckFailed(f"{path}: file is empty")


def require_tool(name):
    tool = shutil.which(name)
    if tool is None:
        raise CheckFailed(f"{name} is not installed (build-aux/install-deps.sh check installs it)")
    return tool


def run(argv, cwd=None):
    """Run a command, echo its output, return (status, stdout + stderr)."""
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if proc.stdout:
        sys.stdout.write(proc.stdout)
    return proc.returncode, proc.stdout


# ---------------------------------------------------------------- data files

def check_desktop(args):
    if not args:
        raise CheckFailed("desktop: missing FILE")
    path = args[0]
    langs = []
    if len(args) > 1:
        if args[1] != "--translated":
            raise CheckFailed(f"desktop: unknown option {args[1]}")
        langs = args[2:]
    require_file(path)
    status, _ = run([require_tool("desktop-file-validate"), path])
    if status != 0:
        raise CheckFailed(f"desktop-file-validate rejected {path}")

    # The merge through po/ must have happened: a desktop file without the
    # translated keys means i18n.merge_file did not see the catalogues.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for lang in langs:
        for key in ("Name", "GenericName", "Comment", "Keywords"):
            if not re.search(rf"^{key}\[{re.escape(lang)}\]=\S", text, re.MULTILINE):
                raise CheckFailed(f"{path}: no {key}[{lang}]: the {lang} translation is missing or was not merged")


def check_metainfo(args):
    if len(args) != 1:
        raise CheckFailed("metainfo: expected FILE")
    path = args[0]
    require_file(path)
    status, _ = run([require_tool("appstreamcli"), "validate", "--no-net", "--explain", path])
    if status != 0:
        raise CheckFailed(f"appstreamcli rejected {path}")


def check_schemas(args):
    if len(args) != 1:
        raise CheckFailed("schemas: expected DIR")
    folder = args[0]
    if not os.path.isdir(folder):
        raise CheckFailed(f"{folder}: no such folder")
    schemas = sorted(n for n in os.listdir(folder) if n.endswith(".gschema.xml"))
    if not schemas:
        raise CheckFailed(f"{folder}: no *.gschema.xml in it")
    for name in schemas:
        require_file(os.path.join(folder, name))
    status, _ = run([require_tool("glib-compile-schemas"), "--strict", "--dry-run", folder])
    if status != 0:
        raise CheckFailed(f"glib-compile-schemas --strict rejected {folder}")


def check_icon(args):
    """An SVG icon that parses and is drawn on the canvas the theme expects."""
    if len(args) != 2:
        raise CheckFailed("icon: expected FILE SIZE")
    path, size = args[0], args[1]
    require_file(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise CheckFailed(f"{path}: not well-formed XML: {e}") from e
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        raise CheckFailed(f"{path}: the root element is {root.tag}, not an SVG <svg>")
    expected = {"width": size, "height": size, "viewBox": f"0 0 {size} {size}"}
    for attr, value in expected.items():
        if root.get(attr) != value:
            raise CheckFailed(f"{path}: {attr} is {root.get(attr)!r}, not {value!r}")
    if len(root) == 0:
        raise CheckFailed(f"{path}: draws nothing")


# ------------------------------------------------------------------- flatpak

FLATPAK_APP_ID = "dev.vireo.Vireo"
FLATPAK_FINISH_ARGS = (
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--share=ipc",
    "--share=network",
)
# Either grants /dev/kvm: "kvm" on flatpak >= 1.15.6, "all" before that.
FLATPAK_KVM_ARGS = ("--device=kvm", "--device=all")
FLATPAK_MODULES = (
    "libslirp", "liburing", "usbredir", "spice-protocol", "spice",
    "spice-gtk", "libvirt", "libvirt-glib", "osinfo-db-tools", "osinfo-db",
    "libosinfo", "seabios", "ovmf", "vireo",
)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


def check_source(where, src, problems):
    if not isinstance(src, dict):
        problems.append(f"{where}: a source must be an object")
        return
    kind = src.get("type")
    if kind in ("archive", "file"):
        if "url" in src:
            if not str(src["url"]).startswith("https://"):
                problems.append(f"{where}: {src['url']} is not fetched over https")
            if not SHA256_RE.match(str(src.get("sha256", ""))):
                problems.append(f"{where}: {src['url']} has no sha256")
        elif "path" not in src:
            problems.append(f"{where}: {kind} source with neither url nor path")
    elif kind == "git":
        # A tag or branch can move; only a commit pins what gets built.
        if not COMMIT_RE.match(str(src.get("commit", ""))):
            problems.append(f"{where}: git source {src.get('url')} is not pinned to a commit")
    elif kind in ("dir", "patch"):
        if "path" not in src:
            problems.append(f"{where}: {kind} source without a path")
    elif kind in ("script", "shell"):
        if not src.get("commands"):
            problems.append(f"{where}: {kind} source without commands")
    else:
        problems.append(f"{where}: unsupported source type {kind!r}")


def walk_modules(modules, base, names, problems, depth=0):
    if depth > 8:
        problems.append("modules nest deeper than 8 levels")
        return
    if not isinstance(modules, list):
        problems.append("modules must be a list")
        return
    for module in modules:
        if isinstance(module, str):
            # flatpak-builder accepts a path to a module file instead.
            path = os.path.join(base, module)
            try:
                with open(path, encoding="utf-8") as f:
                    module = json.load(f)
            except (OSError, ValueError) as e:
                problems.append(f"module file {module}: {e}")
                continue
        if not isinstance(module, dict) or not module.get("name"):
            problems.append("a module without a name")
            continue
        name = module["name"]
        names.append(name)
        sources = module.get("sources")
        if not isinstance(sources, list) or not sources:
            problems.append(f"module {name}: no sources")
        else:
            for i, src in enumerate(sources):
                check_source(f"module {name}, source {i}", src, problems)
        walk_modules(module.get("modules", []), base, names, problems, depth + 1)


def check_flatpak(args):
    if len(args) != 1:
        raise CheckFailed("flatpak: expected MANIFEST")
    path = args[0]
    require_file(path)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except ValueError as e:
        raise CheckFailed(f"{path}: not valid JSON: {e}") from e
    if not isinstance(manifest, dict):
        raise CheckFailed(f"{path}: the top level must be an object")

    problems = []
    app_id = manifest.get("id", manifest.get("app-id"))
    expected = {
        "runtime": "org.gnome.Platform",
        "runtime-version": "51",
        "sdk": "org.gnome.Sdk",
        "command": "vireo",
    }
    if app_id != FLATPAK_APP_ID:
        problems.append(f"app id is {app_id!r}, not {FLATPAK_APP_ID}")
    for key, value in expected.items():
        if manifest.get(key) != value:
            problems.append(f"{key} is {manifest.get(key)!r}, not {value!r}")

    finish_args = manifest.get("finish-args", [])
    if not isinstance(finish_args, list):
        problems.append("finish-args must be a list")
        finish_args = []
    for arg in FLATPAK_FINISH_ARGS:
        if arg not in finish_args:
            problems.append(f"finish-args lack {arg}")
    if not any(arg in finish_args for arg in FLATPAK_KVM_ARGS):
        problems.append("finish-args give no access to /dev/kvm (--device=kvm or --device=all)")

    names = []
    walk_modules(manifest.get("modules"), os.path.dirname(path), names, problems)
    for name in FLATPAK_MODULES:
        if name not in names:
            problems.append(f"no module {name}")
    if names and names[-1] != "vireo":
        problems.append(f"the last module is {names[-1]}, not vireo: everything it needs must be built first")

    if problems:
        raise CheckFailed(f"{path}:\n  " + "\n  ".join(problems))
    print(f"{path}: {len(names)} modules, every source pinned")


# -------------------------------------------------------------- translations

# The source folders whose strings reach the user, and what marks a string.
I18N_DIRS = ("app", "ui", "vmm-core", "data")
C_MARK_RE = re.compile(r"(?<![A-Za-z0-9_])(?:N_|C_|NC_|_)\s*\(")
UI_MARK_RE = re.compile(r"translatable\s*=\s*[\"']yes[\"']")
DATA_SUFFIXES = (".desktop.in", ".metainfo.xml.in", ".gschema.xml")
XGETTEXT_ARGS = (
    "--from-code=UTF-8", "--add-comments", "--force-po",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
)


def read_potfiles(srcdir):
    path = os.path.join(srcdir, "po", "POTFILES.in")
    if not os.path.isfile(path):
        raise CheckFailed(f"{path}: no such file")
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                entries.append(line)
    return entries


def has_translatable_strings(path):
    name = os.path.basename(path)
    if name.endswith(DATA_SUFFIXES):
        return True
    if not name.endswith((".c", ".h", ".ui")):
        return False
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if name.endswith(".ui"):
        return UI_MARK_RE.search(text) is not None
    return C_MARK_RE.search(text) is not None


def check_potfiles(args):
    if len(args) != 1:
        raise CheckFailed("potfiles: expected SRCDIR")
    srcdir = args[0]
    listed = read_potfiles(srcdir)
    problems = []
    for entry in listed:
        if not os.path.isfile(os.path.join(srcdir, entry)):
            problems.append(f"POTFILES.in lists {entry}, which does not exist")
    if len(set(listed)) != len(listed):
        problems.append("POTFILES.in lists a file twice")

    found = 0
    for top in I18N_DIRS:
        for root, dirs, files in os.walk(os.path.join(srcdir, top)):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                if not has_translatable_strings(path):
                    continue
                found += 1
                rel = os.path.relpath(path, srcdir)
                if rel not in listed:
                    problems.append(f"{rel} has translatable strings but is not in po/POTFILES.in")
    if problems:
        raise CheckFailed("\n".join(problems))
    print(f"POTFILES.in: {len(listed)} entries, {found} files with translatable strings, all listed")


def po_statistics(msgfmt, po_path):
    """(translated, fuzzy, untranslated) as msgfmt --check counts them."""
    status, out = run([msgfmt, "--check", "--statistics", "-o", os.devnull, po_path])
    if status != 0:
        raise CheckFailed(f"msgfmt --check rejected {po_path}")
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for number, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", out):
        counts[kind] = int(number)
    return counts["translated"], counts["fuzzy"], counts["untranslated"]


def check_po(args):
    if len(args) != 1:
        raise CheckFailed("po: expected SRCDIR")
    srcdir = os.path.abspath(args[0])
    podir = os.path.join(srcdir, "po")
    linguas_path = os.path.join(podir, "LINGUAS")
    require_file(linguas_path)
    with open(linguas_path, encoding="utf-8") as f:
        langs = [w for line in f if not line.lstrip().startswith("#") for w in line.split()]
    if not langs:
        raise CheckFailed(f"{linguas_path}: no languages")
    msgfmt = require_tool("msgfmt")
    xgettext = require_tool("xgettext")
    msgmerge = require_tool("msgmerge")

    problems = []
    with tempfile.TemporaryDirectory(prefix="vireo-po-") as tmp:
        # Regenerate the template from today's sources: a catalogue that is
        # complete against an old template still misses every new string.
        listed = read_potfiles(srcdir)
        files_from = os.path.join(tmp, "POTFILES")
        with open(files_from, "w", encoding="utf-8") as f:
            f.write("\n".join(listed) + "\n")
        pot = os.path.join(tmp, "vireo.pot")
        status, _ = run([xgettext, *XGETTEXT_ARGS, "--files-from", files_from,
                         "--directory", srcdir, "--output", pot])
        if status != 0:
            raise CheckFailed("xgettext failed on the files in POTFILES.in")
        with open(pot, encoding="utf-8") as f:
            template_msgs = len(re.findall(r"^msgid ", f.read(), re.MULTILINE)) - 1
        if template_msgs <= 0:
            raise CheckFailed("no translatable messages in the files POTFILES.in lists")

        for lang in langs:
            po_path = os.path.join(podir, f"{lang}.po")
            if not os.path.isfile(po_path):
                problems.append(f"{lang} is in LINGUAS but po/{lang}.po does not exist")
                continue
            translated, fuzzy, untranslated = po_statistics(msgfmt, po_path)
            if fuzzy or untranslated:
                problems.append(f"po/{lang}.po: {fuzzy} fuzzy, {untranslated} untranslated")

            merged = os.path.join(tmp, f"{lang}.po")
            status, _ = run([msgmerge, "--quiet", "--output-file", merged, po_path, pot])
            if status != 0:
                problems.append(f"msgmerge failed on po/{lang}.po")
                continue
            translated, fuzzy, untranslated = po_statistics(msgfmt, merged)
            if fuzzy or untranslated:
                problems.append(f"po/{lang}.po against the current sources: "
                                f"{fuzzy} fuzzy, {untranslated} untranslated "
                                f"(new or changed strings need a translation)")
            print(f"{lang}: {translated} of {template_msgs} current messages translated")
    if problems:
        raise CheckFailed("\n".join(problems))


CHECKS = {
    "desktop": check_desktop,
    "metainfo": check_metainfo,
    "schemas": check_schemas,
    "icon": check_icon,
    "flatpak": check_flatpak,
    "potfiles": check_potfiles,
    "po": check_po,
}


def main(argv):
    if len(argv) < 2 or argv[1] not in CHECKS:
        sys.stderr.write(__doc__)
        return 2
    try:
        CHECKS[argv[1]](argv[2:])
    except CheckFailed as e:
        sys.stderr.write(f"FAIL: {e}\n")
        return 1
    print(f"PASS: {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
