/* test-keymap.c: the display widget's keycode table against the scancodes
 * a PC keyboard sends (set 1, as documented for the IBM PC/AT and used by
 * every BIOS and OS).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/vireo-keymap.h"

#include <linux/input-event-codes.h>

/* Hardware keycodes as GDK reports them: evdev + 8. */
#define KC(evdev) ((evdev) + 8)

static void
test_known_keys (void)
{
  static const struct {
    guint keycode;
    guint scancode;
    const char *name;
  } keys[] = {
    { 9, 0x01, "Escape (X11 keycode 9)" },
    { KC (KEY_1), 0x02, "1" },
    { KC (KEY_0), 0x0b, "0" },
    { KC (KEY_BACKSPACE), 0x0e, "Backspace" },
    { KC (KEY_TAB), 0x0f, "Tab" },
    { KC (KEY_Q), 0x10, "Q" },
    { KC (KEY_ENTER), 0x1c, "Enter" },
    { KC (KEY_LEFTCTRL), 0x1d, "left Ctrl" },
    { 38, 0x1e, "A (X11 keycode 38)" },
    { KC (KEY_LEFTSHIFT), 0x2a, "left Shift" },
    { KC (KEY_Z), 0x2c, "Z" },
    { KC (KEY_RIGHTSHIFT), 0x36, "right Shift" },
    { KC (KEY_KPASTERISK), 0x37, "keypad *" },
    { KC (KEY_LEFTALT), 0x38, "left Alt" },
    { KC (KEY_SPACE), 0x39, "Space" },
    { KC (KEY_CAPSLOCK), 0x3a, "Caps Lock" },
    { KC (KEY_F1), 0x3b, "F1" },
    { KC (KEY_F10), 0x44, "F10" },
    { KC (KEY_NUMLOCK), 0x45, "Num Lock" },
    { KC (KEY_SCROLLLOCK), 0x46, "Scroll Lock" },
    { KC (KEY_KP7), 0x47, "keypad 7" },
    { KC (KEY_KPDOT), 0x53, "keypad ." },
    { KC (KEY_102ND), 0x56, "ISO extra key <>" },
    { KC (KEY_F11), 0x57, "F11" },
    { KC (KEY_F12), 0x58, "F12" },
    { KC (KEY_ZENKAKUHANKAKU), 0x76, "Zenkaku/Hankaku" },
    { KC (KEY_RO), 0x73, "Ro" },
    { KC (KEY_YEN), 0x7d, "Yen" },
    { KC (KEY_KPENTER), 0x11c, "keypad Enter" },
    { 105, 0x11d, "right Ctrl (X11 keycode 105)" },
    { KC (KEY_KPSLASH), 0x135, "keypad /" },
    { KC (KEY_SYSRQ), 0x137, "Print Screen" },
    { 108, 0x138, "right Alt / AltGr (X11 keycode 108)" },
    { KC (KEY_HOME), 0x147, "Home" },
    { 111, 0x148, "Up (X11 keycode 111)" },
    { KC (KEY_PAGEUP), 0x149, "Page Up" },
    { KC (KEY_LEFT), 0x14b, "Left" },
    { KC (KEY_RIGHT), 0x14d, "Right" },
    { KC (KEY_END), 0x14f, "End" },
    { KC (KEY_DOWN), 0x150, "Down" },
    { KC (KEY_PAGEDOWN), 0x151, "Page Down" },
    { KC (KEY_INSERT), 0x152, "Insert" },
    { 119, 0x153, "Delete (X11 keycode 119)" },
    { KC (KEY_LEFTMETA), 0x15b, "left Super" },
    { KC (KEY_RIGHTMETA), 0x15c, "right Super" },
    { KC (KEY_COMPOSE), 0x15d, "Menu" },
    { KC (KEY_PAUSE), 0x145, "Pause (e0 45 on the SPICE wire)" },
    { KC (KEY_MUTE), 0x120, "Mute" },
    { KC (KEY_VOLUMEDOWN), 0x12e, "Volume Down" },
    { KC (KEY_VOLUMEUP), 0x130, "Volume Up" },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (keys); i++) {
    g_test_message ("%s", keys[i].name);
    g_assert_cmphex (vireo_keymap_keycode_to_scancode (keys[i].keycode), ==, keys[i].scancode);
  }
}

static void
test_unknown_keys (void)
{
  /* X11's reserved keycodes, the unassigned evdev code 84, keys a PC
   * keyboard lacks, and codes past the table. */
  static const guint unknown[] = {
    0, 1, 7, KC (84), KC (KEY_MACRO), KC (KEY_BRIGHTNESSUP), KC (KEY_MAX), KC (KEY_MAX) + 1,
    G_MAXUINT16, G_MAXUINT,
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_cmphex (vireo_keymap_keycode_to_scancode (unknown[i]), ==, 0);
}

static void
test_no_collisions (void)
{
  /* Two keys with one scancode would make the guest see the wrong key. */
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint keycode = 8; keycode < 8 + KEY_MAX + 1; keycode++) {
    guint sc = vireo_keymap_keycode_to_scancode (keycode);

    if (sc == 0)
      continue;
    g_assert_true ((sc & 0x7f) != 0 && (sc & ~0x17fu) == 0);
    if (g_hash_table_contains (seen, GUINT_TO_POINTER (sc)))
      g_error ("keycode %u: scancode %#x is taken by keycode %u", keycode, sc,
               GPOINTER_TO_UINT (g_hash_table_lookup (seen, GUINT_TO_POINTER (sc))));
    g_hash_table_insert (seen, GUINT_TO_POINTER (sc), GUINT_TO_POINTER (keycode));
  }
  g_assert_cmpuint (g_hash_table_size (seen), >=, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/display/keymap/known-keys", test_known_keys);
  g_test_add_func ("/display/keymap/unknown-keys", test_unknown_keys);
  g_test_add_func ("/display/keymap/no-collisions", test_no_collisions);
  return g_test_run ();
}
