/* usb-hid-keymap.c: PC scancodes (set 1) to HID usages (HID Usage Tables
 * 1.3: Keyboard/Keypad page 0x07, Consumer page 0x0c, Generic Desktop
 * system controls).
 *
 * Covers the 105-key ISO layout (104 US keys plus the key left of Z), the
 * F13-F24 row, the Japanese and Brazilian extra keys and the multimedia
 * and ACPI keys keyboards send with the 0xe0 prefix.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/usb-hid.h"

/* Unprefixed codes 0x00..0x7f. */
static const uint8_t plain[128] = {
  [0x01] = 0x29,                                          /* Escape */
  [0x02] = 0x1e, [0x03] = 0x1f, [0x04] = 0x20, [0x05] = 0x21, [0x06] = 0x22,
  [0x07] = 0x23, [0x08] = 0x24, [0x09] = 0x25, [0x0a] = 0x26, [0x0b] = 0x27, /* 1..0 */
  [0x0c] = 0x2d, [0x0d] = 0x2e,                           /* - = */
  [0x0e] = 0x2a, [0x0f] = 0x2b,                           /* Backspace, Tab */
  [0x10] = 0x14, [0x11] = 0x1a, [0x12] = 0x08, [0x13] = 0x15, [0x14] = 0x17,
  [0x15] = 0x1c, [0x16] = 0x18, [0x17] = 0x0c, [0x18] = 0x12, [0x19] = 0x13, /* Q..P */
  [0x1a] = 0x2f, [0x1b] = 0x30,                           /* [ ] */
  [0x1c] = 0x28,                                          /* Enter */
  [0x1d] = 0xe0,                                          /* Left Control */
  [0x1e] = 0x04, [0x1f] = 0x16, [0x20] = 0x07, [0x21] = 0x09, [0x22] = 0x0a,
  [0x23] = 0x0b, [0x24] = 0x0d, [0x25] = 0x0e, [0x26] = 0x0f, /* A..L */
  [0x27] = 0x33, [0x28] = 0x34, [0x29] = 0x35,            /* ; ' ` */
  [0x2a] = 0xe1,                                          /* Left Shift */
  [0x2b] = 0x31,                                          /* \ (ISO: #) */
  [0x2c] = 0x1d, [0x2d] = 0x1b, [0x2e] = 0x06, [0x2f] = 0x19, [0x30] = 0x05,
  [0x31] = 0x11, [0x32] = 0x10,                           /* Z..M */
  [0x33] = 0x36, [0x34] = 0x37, [0x35] = 0x38,            /* , . / */
  [0x36] = 0xe5,                                          /* Right Shift */
  [0x37] = 0x55,                                          /* Keypad * */
  [0x38] = 0xe2,                                          /* Left Alt */
  [0x39] = 0x2c,                                          /* Space */
  [0x3a] = 0x39,                                          /* Caps Lock */
  [0x3b] = 0x3a, [0x3c] = 0x3b, [0x3d] = 0x3c, [0x3e] = 0x3d, [0x3f] = 0x3e,
  [0x40] = 0x3f, [0x41] = 0x40, [0x42] = 0x41, [0x43] = 0x42, [0x44] = 0x43, /* F1..F10 */
  [0x45] = 0x53,                                          /* Num Lock */
  [0x46] = 0x47,                                          /* Scroll Lock */
  [0x47] = 0x5f, [0x48] = 0x60, [0x49] = 0x61,            /* Keypad 7 8 9 */
  [0x4a] = 0x56,                                          /* Keypad - */
  [0x4b] = 0x5c, [0x4c] = 0x5d, [0x4d] = 0x5e,            /* Keypad 4 5 6 */
  [0x4e] = 0x57,                                          /* Keypad + */
  [0x4f] = 0x59, [0x50] = 0x5a, [0x51] = 0x5b,            /* Keypad 1 2 3 */
  [0x52] = 0x62, [0x53] = 0x63,                           /* Keypad 0 . */
  [0x54] = 0x46,                                          /* Alt+SysRq */
  [0x56] = 0x64,                                          /* ISO key left of Z */
  [0x57] = 0x44, [0x58] = 0x45,                           /* F11 F12 */
  [0x59] = 0x67,                                          /* Keypad = */
  [0x5c] = 0x8c,                                          /* International 6 */
  [0x64] = 0x68, [0x65] = 0x69, [0x66] = 0x6a, [0x67] = 0x6b, [0x68] = 0x6c,
  [0x69] = 0x6d, [0x6a] = 0x6e, [0x6b] = 0x6f, [0x6c] = 0x70, [0x6d] = 0x71,
  [0x6e] = 0x72, [0x76] = 0x73,                           /* F13..F24 */
  [0x70] = 0x88,                                          /* Katakana/Hiragana */
  [0x73] = 0x87,                                          /* Ro */
  [0x79] = 0x8a,                                          /* Henkan */
  [0x7b] = 0x8b,                                          /* Muhenkan */
  [0x7d] = 0x89,                                          /* Yen */
  [0x7e] = 0x85,                                          /* Keypad , (Brazil) */
};

/* 0xe0-prefixed keys on the keyboard page. */
static const uint8_t extended[128] = {
  [0x1c] = 0x58,                                          /* Keypad Enter */
  [0x1d] = 0xe4,                                          /* Right Control */
  [0x35] = 0x54,                                          /* Keypad / */
  [0x37] = 0x46,                                          /* Print Screen */
  [0x38] = 0xe6,                                          /* Right Alt (AltGr) */
  [0x46] = 0x48,                                          /* Ctrl+Break */
  [0x47] = 0x4a, [0x48] = 0x52, [0x49] = 0x4b,            /* Home Up PgUp */
  [0x4b] = 0x50, [0x4d] = 0x4f,                           /* Left Right */
  [0x4f] = 0x4d, [0x50] = 0x51, [0x51] = 0x4e,            /* End Down PgDn */
  [0x52] = 0x49, [0x53] = 0x4c,                           /* Insert Delete */
  [0x5b] = 0xe3, [0x5c] = 0xe7,                           /* Left/Right GUI */
  [0x5d] = 0x65,                                          /* Menu */
};

/* 0xe0-prefixed multimedia keys on the consumer page. */
static const struct {
  uint8_t code;
  uint16_t usage;
} consumer[] = {
  { 0x10, 0x0b6 },                                        /* Previous Track */
  { 0x19, 0x0b5 },                                        /* Next Track */
  { 0x20, 0x0e2 },                                        /* Mute */
  { 0x21, 0x192 },                                        /* Calculator */
  { 0x22, 0x0cd },                                        /* Play/Pause */
  { 0x24, 0x0b7 },                                        /* Stop */
  { 0x2e, 0x0ea },                                        /* Volume Down */
  { 0x30, 0x0e9 },                                        /* Volume Up */
  { 0x32, 0x223 },                                        /* WWW Home */
  { 0x65, 0x221 },                                        /* WWW Search */
  { 0x66, 0x22a },                                        /* WWW Favorites */
  { 0x67, 0x227 },                                        /* WWW Refresh */
  { 0x68, 0x226 },                                        /* WWW Stop */
  { 0x69, 0x225 },                                        /* WWW Forward */
  { 0x6a, 0x224 },                                        /* WWW Back */
  { 0x6b, 0x194 },                                        /* My Computer */
  { 0x6c, 0x18a },                                        /* Mail */
  { 0x6d, 0x183 },                                        /* Media Select */
};

unsigned
vmm_usb_hid_usage (uint16_t scancode, unsigned *page)
{
  unsigned code = scancode & 0x7f;

  *page = VMM_HID_PAGE_KEYBOARD;
  if (scancode == 0xe11d)                                 /* Pause */
    return 0x48;
  if (scancode < 0x80)
    return plain[code];
  if ((scancode & 0xff80) != 0xe000)
    return 0;
  if (extended[code] != 0)
    return extended[code];
  for (unsigned i = 0; i < G_N_ELEMENTS (consumer); i++)
    if (consumer[i].code == code)
      {
        *page = VMM_HID_PAGE_CONSUMER;
        return consumer[i].usage;
      }
  /* ACPI keys: System Power Down, Sleep, Wake Up. */
  *page = VMM_HID_PAGE_DESKTOP;
  switch (code)
    {
    case 0x5e: return 0x81;
    case 0x5f: return 0x82;
    case 0x63: return 0x83;
    default: return 0;
    }
}
