#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests for validate.py: each check must reject what it exists to catch.

The data-tier tests only mean something if their checks can fail, so every
check is fed a broken input here (a missing file, an empty folder, an
unpinned source, an untranslated string, ...) and must say FAIL, and is fed a
minimal correct input and must say PASS.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "validate.py")
SRCDIR = os.path.dirname(os.path.dirname(HERE))
MANIFEST = os.path.join(SRCDIR, "flatpak", "dev.vireo.Vireo.json")

GOOD_DESKTOP = """[Desktop Entry]
Name=Vireo
Name[es]=Vireo
GenericName=Virtual Machine Manager
GenericName[es]=Gestor de máquinas virtuales
Comment=Run virtual machines
Comment[es]=Ejecute máquinas virtuales
Keywords=vm;
Keywords[es]=mv;
Exec=vireo
Icon=dev.vireo.Vireo
Type=Application
Categories=System;Emulator;
"""

GOOD_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<schemalist>
  <schema id="dev.vireo.Test" path="/dev/vireo/Test/">
    <key name="width" type="i">
      <default>10</default>
      <summary>Width</summary>
    </key>
  </schema>
</schemalist>
"""

PO_HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"""


def validate(*args):
    proc = subprocess.run([sys.executable, VALIDATE, *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    return proc.returncode, proc.stdout


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vireo-validate-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write(self, rel, text):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def assertFails(self, *args, reason=None):
        status, out = validate(*args)
        self.assertNotEqual(status, 0, f"check passed but should have failed:\n{out}")
        self.assertIn("FAIL", out)
        if reason is not None:
            self.assertIn(reason, out)

    def assertPasses(self, *args):
        status, out = validate(*args)
        self.assertEqual(status, 0, f"check failed but should have passed:\n{out}")


class FileChecks(Tmp):
    def test_missing_files_fail(self):
        missing = os.path.join(self.tmp, "nothing-here")
        self.assertFails("desktop", missing, reason="no such file")
        self.assertFails("metainfo", missing, reason="no such file")
        self.assertFails("flatpak", missing, reason="no such file")
        self.assertFails("schemas", missing, reason="no such folder")

    def test_empty_files_fail(self):
        empty = self.write("empty.desktop", "")
        self.assertFails("desktop", empty, reason="empty")
        self.assertFails("metainfo", self.write("x.metainfo.xml", ""), reason="empty")

    def test_desktop(self):
        good = self.write("good.desktop", GOOD_DESKTOP)
        self.assertPasses("desktop", good, "--translated", "es")
        self.assertFails("desktop", good, "--translated", "fr", reason="Name[fr]")
        bad = self.write("bad.desktop", GOOD_DESKTOP.replace("Type=Application\n", ""))
        self.assertFails("desktop", bad)

    def test_metainfo(self):
        broken = self.write("broken.metainfo.xml",
                            '<?xml version="1.0"?>\n<component type="desktop-application">\n'
                            "  <id>dev.vireo.Broken</id>\n</component>\n")
        self.assertFails("metainfo", broken)

    def test_schemas(self):
        folder = os.path.join(self.tmp, "schemas")
        os.makedirs(folder)
        self.assertFails("schemas", folder, reason="no *.gschema.xml")
        self.write("schemas/dev.vireo.Test.gschema.xml", GOOD_SCHEMA)
        self.assertPasses("schemas", folder)
        # --strict turns an out-of-range default into an error.
        self.write("schemas/dev.vireo.Test.gschema.xml",
                   GOOD_SCHEMA.replace("<default>10</default>",
                                       '<default>10</default><range min="20" max="30"/>'))
        self.assertFails("schemas", folder)

    def test_icon(self):
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">{}</svg>'
        good = self.write("good.svg", svg.format('<rect width="4" height="4"/>'))
        self.assertPasses("icon", good, "16")
        self.assertFails("icon", good, "128", reason="width")
        self.assertFails("icon", self.write("empty.svg", svg.format("")), "16", reason="draws nothing")
        self.assertFails("icon", self.write("broken.svg", svg.format("<rect>")), "16",
                         reason="not well-formed")
        self.assertFails("icon", self.write("png.svg", '<png xmlns="http://www.w3.org/2000/svg"/>'), "16",
                         reason="not an SVG")


class FlatpakChecks(Tmp):
    def setUp(self):
        super().setUp()
        with open(MANIFEST, encoding="utf-8") as f:
            self.manifest = json.load(f)

    def check(self, manifest):
        path = os.path.join(self.tmp, "dev.vireo.Vireo.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        return path

    def module(self, manifest, name):
        for module in manifest["modules"]:
            if module["name"] == name:
                return module
        self.fail(f"the manifest has no module {name}")
        return None

    def test_real_manifest_passes(self):
        self.assertPasses("flatpak", self.check(self.manifest))

    def test_not_json(self):
        path = self.write("broken.json", '{"id": "dev.vireo.Vireo",')
        self.assertFails("flatpak", path, reason="not valid JSON")

    def test_unpinned_archive(self):
        m = copy.deepcopy(self.manifest)
        del self.module(m, "libvirt")["sources"][0]["sha256"]
        self.assertFails("flatpak", self.check(m), reason="has no sha256")

    def test_malformed_sha256(self):
        m = copy.deepcopy(self.manifest)
        self.module(m, "spice")["sources"][0]["sha256"] = "0123"
        self.assertFails("flatpak", self.check(m), reason="has no sha256")

    def test_git_branch_is_not_a_pin(self):
        m = copy.deepcopy(self.manifest)
        self.module(m, "libslirp")["sources"] = [
            {"type": "git", "url": "https://gitlab.freedesktop.org/slirp/libslirp.git",
             "branch": "master"}]
        self.assertFails("flatpak", self.check(m), reason="not pinned to a commit")
        self.module(m, "libslirp")["sources"][0]["commit"] = "3ad1710a96678fe79066b1469cead4058713a1d9"
        self.assertPasses("flatpak", self.check(m))

    def test_missing_kvm(self):
        m = copy.deepcopy(self.manifest)
        m["finish-args"] = [a for a in m["finish-args"] if a != "--device=kvm"]
        self.assertFails("flatpak", self.check(m), reason="/dev/kvm")
        m["finish-args"].append("--device=all")
        self.assertPasses("flatpak", self.check(m))

    def test_missing_finish_arg(self):
        for arg in ("--socket=wayland", "--socket=fallback-x11", "--device=dri",
                    "--share=ipc", "--share=network"):
            m = copy.deepcopy(self.manifest)
            m["finish-args"].remove(arg)
            self.assertFails("flatpak", self.check(m), reason=arg)

    def test_missing_module(self):
        m = copy.deepcopy(self.manifest)
        m["modules"] = [mod for mod in m["modules"] if mod["name"] != "spice-gtk"]
        self.assertFails("flatpak", self.check(m), reason="no module spice-gtk")

    def test_vireo_built_last(self):
        m = copy.deepcopy(self.manifest)
        m["modules"].insert(0, m["modules"].pop())
        self.assertFails("flatpak", self.check(m), reason="last module")

    def test_wrong_runtime(self):
        m = copy.deepcopy(self.manifest)
        m["runtime-version"] = "44"
        self.assertFails("flatpak", self.check(m), reason="runtime-version")


class TranslationChecks(Tmp):
    """A miniature source tree: app/, po/, and the checks run against it."""

    def tree(self, potfiles, po_body, linguas="es\n"):
        self.write("app/main.c", '/* test */\nconst char *s = _("Hello");\n')
        self.write("app/quiet.c", "int quiet (void) { return 0; }\n")
        self.write("ui/window.ui",
                   '<?xml version="1.0"?>\n<interface>\n  <object class="GtkLabel">\n'
                   '    <property name="label" translatable="yes">Window</property>\n'
                   "  </object>\n</interface>\n")
        self.write("po/POTFILES.in", potfiles)
        self.write("po/LINGUAS", linguas)
        self.write("po/es.po", PO_HEADER + po_body)
        return self.tmp

    COMPLETE = '\nmsgid "Hello"\nmsgstr "Hola"\n\nmsgid "Window"\nmsgstr "Ventana"\n'
    LISTED = "app/main.c\nui/window.ui\n"

    def test_complete_tree_passes(self):
        src = self.tree(self.LISTED, self.COMPLETE)
        self.assertPasses("potfiles", src)
        self.assertPasses("po", src)

    def test_unlisted_c_file(self):
        src = self.tree("ui/window.ui\n", self.COMPLETE)
        self.assertFails("potfiles", src, reason="app/main.c has translatable strings")

    def test_unlisted_ui_file(self):
        src = self.tree("app/main.c\n", self.COMPLETE)
        self.assertFails("potfiles", src, reason="ui/window.ui has translatable strings")

    def test_unlisted_data_file(self):
        src = self.tree(self.LISTED, self.COMPLETE)
        self.write("data/dev.vireo.Test.desktop.in", "[Desktop Entry]\nName=Test\n")
        self.assertFails("potfiles", src, reason="data/dev.vireo.Test.desktop.in")

    def test_listed_file_missing(self):
        src = self.tree(self.LISTED + "app/gone.c\n", self.COMPLETE)
        self.assertFails("potfiles", src, reason="app/gone.c, which does not exist")

    def test_untranslated(self):
        src = self.tree(self.LISTED, '\nmsgid "Hello"\nmsgstr ""\n\nmsgid "Window"\nmsgstr "Ventana"\n')
        self.assertFails("po", src, reason="untranslated")

    def test_fuzzy(self):
        src = self.tree(self.LISTED,
                        '\n#, fuzzy\nmsgid "Hello"\nmsgstr "Hola"\n\nmsgid "Window"\nmsgstr "Ventana"\n')
        self.assertFails("po", src, reason="fuzzy")

    def test_new_string_without_translation(self):
        # es.po is complete on its own, but the sources gained a string.
        src = self.tree(self.LISTED, self.COMPLETE)
        self.write("app/main.c", '/* test */\nconst char *s = _("Hello");\n'
                                 'const char *t = N_("Goodbye");\n')
        self.assertFails("po", src, reason="against the current sources")

    def test_context_keyword(self):
        src = self.tree(self.LISTED, self.COMPLETE)
        self.write("app/main.c", '/* test */\nconst char *s = _("Hello");\n'
                                 'const char *t = C_("menu", "Open");\n')
        self.assertFails("po", src, reason="against the current sources")
        self.write("po/es.po", PO_HEADER + self.COMPLETE
                   + '\nmsgctxt "menu"\nmsgid "Open"\nmsgstr "Abrir"\n')
        self.assertPasses("po", src)

    def test_language_without_catalogue(self):
        src = self.tree(self.LISTED, self.COMPLETE, linguas="es fr\n")
        self.assertFails("po", src, reason="po/fr.po does not exist")

    def test_no_strings_at_all(self):
        src = self.tree("app/quiet.c\n", "")
        self.assertFails("po", src, reason="no translatable messages")


if __name__ == "__main__":
    unittest.main(verbosity=2)
