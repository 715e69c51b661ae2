/* vireo-keymap.c: evdev key codes to PC scancode set 1.
 *
 * Keycodes come from the hardware (the same key gives the same code
 * whatever the host's layout), so the guest applies its own layout to
 * them, as it would on a real keyboard. The table follows the key codes
 * in <linux/input-event-codes.h> and the set 1 scancodes of the IBM PC
 * keyboard; codes 1 to 83 and 86 to 88 were defined to be the set 1 codes
 * themselves.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-keymap.h"

#include <linux/input-event-codes.h>

#define E0(code) (0x100 | (code))

/* Beyond the block that maps to itself. */
static const guint16 extended[KEY_MAX + 1] = {
  [KEY_ZENKAKUHANKAKU] = 0x76,
  [KEY_RO] = 0x73,
  [KEY_KATAKANA] = 0x78,
  [KEY_HIRAGANA] = 0x77,
  [KEY_HENKAN] = 0x79,
  [KEY_KATAKANAHIRAGANA] = 0x70,
  [KEY_MUHENKAN] = 0x7b,
  [KEY_KPJPCOMMA] = 0x5c,
  [KEY_KPENTER] = E0 (0x1c),
  [KEY_RIGHTCTRL] = E0 (0x1d),
  [KEY_KPSLASH] = E0 (0x35),
  [KEY_SYSRQ] = E0 (0x37),
  [KEY_RIGHTALT] = E0 (0x38),
  [KEY_HOME] = E0 (0x47),
  [KEY_UP] = E0 (0x48),
  [KEY_PAGEUP] = E0 (0x49),
  [KEY_LEFT] = E0 (0x4b),
  [KEY_RIGHT] = E0 (0x4d),
  [KEY_END] = E0 (0x4f),
  [KEY_DOWN] = E0 (0x50),
  [KEY_PAGEDOWN] = E0 (0x51),
  [KEY_INSERT] = E0 (0x52),
  [KEY_DELETE] = E0 (0x53),
  [KEY_MUTE] = E0 (0x20),
  [KEY_VOLUMEDOWN] = E0 (0x2e),
  [KEY_VOLUMEUP] = E0 (0x30),
  [KEY_POWER] = E0 (0x5e),
  /* Really e1 1d 45, which spice-client-glib cannot send: the monitor
   * turns e0 45 (no PC key's code) back into Pause. */
  [KEY_PAUSE] = E0 (0x45),
  [KEY_KPEQUAL] = 0x59,
  [KEY_KPCOMMA] = 0x7e,
  [KEY_HANGEUL] = 0x72,
  [KEY_HANJA] = 0x71,
  [KEY_YEN] = 0x7d,
  [KEY_LEFTMETA] = E0 (0x5b),
  [KEY_RIGHTMETA] = E0 (0x5c),
  [KEY_COMPOSE] = E0 (0x5d),
  [KEY_SLEEP] = E0 (0x5f),
  [KEY_WAKEUP] = E0 (0x63),
  [KEY_NEXTSONG] = E0 (0x19),
  [KEY_PLAYPAUSE] = E0 (0x22),
  [KEY_PREVIOUSSONG] = E0 (0x10),
  [KEY_STOPCD] = E0 (0x24),
  [KEY_CALC] = E0 (0x21),
  [KEY_MAIL] = E0 (0x6c),
  [KEY_HOMEPAGE] = E0 (0x32),
  [KEY_SEARCH] = E0 (0x65),
  [KEY_BACK] = E0 (0x6a),
  [KEY_FORWARD] = E0 (0x69),
  [KEY_REFRESH] = E0 (0x67),
};

guint
vireo_keymap_keycode_to_scancode (guint keycode)
{
  guint evdev;

  /* X11 reserves keycodes 0 to 7. */
  if (keycode < 8)
    return 0;
  evdev = keycode - 8;
  /* 84 was never assigned, and 85 came later with a code of its own. */
  if ((evdev >= KEY_ESC && evdev <= KEY_KPDOT) || (evdev >= KEY_102ND && evdev <= KEY_F12))
    return evdev;
  if (evdev > KEY_MAX)
    return 0;
  return extended[evdev];
}
