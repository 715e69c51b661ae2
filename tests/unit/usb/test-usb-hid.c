/* test-usb-hid.c: the scancode table and the display glue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/usb-hid.h"
#include "usb/usb-input.h"

#include <errno.h>
#include <string.h>

/* The 105 keys of an ISO PC keyboard as set-1 scancodes, and the HID usage
 * each must produce (HID Usage Tables, Keyboard/Keypad page). */
static const struct {
  uint16_t scancode;
  uint8_t usage;
} keys105[] = {
  { 0x01, 0x29 }, { 0x3b, 0x3a }, { 0x3c, 0x3b }, { 0x3d, 0x3c }, { 0x3e, 0x3d },
  { 0x3f, 0x3e }, { 0x40, 0x3f }, { 0x41, 0x40 }, { 0x42, 0x41 }, { 0x43, 0x42 },
  { 0x44, 0x43 }, { 0x57, 0x44 }, { 0x58, 0x45 },                   /* Esc F1..F12 */
  { 0xe037, 0x46 }, { 0x46, 0x47 }, { 0xe11d, 0x48 },              /* PrtSc ScrLk Pause */
  { 0x29, 0x35 }, { 0x02, 0x1e }, { 0x03, 0x1f }, { 0x04, 0x20 }, { 0x05, 0x21 },
  { 0x06, 0x22 }, { 0x07, 0x23 }, { 0x08, 0x24 }, { 0x09, 0x25 }, { 0x0a, 0x26 },
  { 0x0b, 0x27 }, { 0x0c, 0x2d }, { 0x0d, 0x2e }, { 0x0e, 0x2a },  /* ` 1..0 - = BS */
  { 0x0f, 0x2b }, { 0x10, 0x14 }, { 0x11, 0x1a }, { 0x12, 0x08 }, { 0x13, 0x15 },
  { 0x14, 0x17 }, { 0x15, 0x1c }, { 0x16, 0x18 }, { 0x17, 0x0c }, { 0x18, 0x12 },
  { 0x19, 0x13 }, { 0x1a, 0x2f }, { 0x1b, 0x30 }, { 0x1c, 0x28 },  /* Tab Q..P [ ] Enter */
  { 0x3a, 0x39 }, { 0x1e, 0x04 }, { 0x1f, 0x16 }, { 0x20, 0x07 }, { 0x21, 0x09 },
  { 0x22, 0x0a }, { 0x23, 0x0b }, { 0x24, 0x0d }, { 0x25, 0x0e }, { 0x26, 0x0f },
  { 0x27, 0x33 }, { 0x28, 0x34 }, { 0x2b, 0x31 },                  /* Caps A..L ; ' # */
  { 0x2a, 0xe1 }, { 0x56, 0x64 }, { 0x2c, 0x1d }, { 0x2d, 0x1b }, { 0x2e, 0x06 },
  { 0x2f, 0x19 }, { 0x30, 0x05 }, { 0x31, 0x11 }, { 0x32, 0x10 }, { 0x33, 0x36 },
  { 0x34, 0x37 }, { 0x35, 0x38 }, { 0x36, 0xe5 },                  /* LShift < Z..M , . / RShift */
  { 0x1d, 0xe0 }, { 0xe05b, 0xe3 }, { 0x38, 0xe2 }, { 0x39, 0x2c }, { 0xe038, 0xe6 },
  { 0xe05c, 0xe7 }, { 0xe05d, 0x65 }, { 0xe01d, 0xe4 },            /* bottom row */
  { 0xe052, 0x49 }, { 0xe047, 0x4a }, { 0xe049, 0x4b }, { 0xe053, 0x4c }, { 0xe04f, 0x4d },
  { 0xe051, 0x4e },                                                /* Ins Home PgUp Del End PgDn */
  { 0xe048, 0x52 }, { 0xe04b, 0x50 }, { 0xe050, 0x51 }, { 0xe04d, 0x4f }, /* arrows */
  { 0x45, 0x53 }, { 0xe035, 0x54 }, { 0x37, 0x55 }, { 0x4a, 0x56 }, { 0x47, 0x5f },
  { 0x48, 0x60 }, { 0x49, 0x61 }, { 0x4e, 0x57 }, { 0x4b, 0x5c }, { 0x4c, 0x5d },
  { 0x4d, 0x5e }, { 0x4f, 0x59 }, { 0x50, 0x5a }, { 0x51, 0x5b }, { 0xe01c, 0x58 },
  { 0x52, 0x62 }, { 0x53, 0x63 },                                  /* keypad */
};

static const struct {
  uint16_t scancode;
  uint16_t usage;
} media[] = {
  { 0xe020, 0xe2 }, { 0xe02e, 0xea }, { 0xe030, 0xe9 }, { 0xe022, 0xcd }, { 0xe024, 0xb7 },
  { 0xe010, 0xb6 }, { 0xe019, 0xb5 }, { 0xe06c, 0x18a }, { 0xe021, 0x192 }, { 0xe032, 0x223 },
  { 0xe06a, 0x224 }, { 0xe069, 0x225 }, { 0xe065, 0x221 }, { 0xe06b, 0x194 }, { 0xe06d, 0x183 },
  { 0xe067, 0x227 }, { 0xe068, 0x226 }, { 0xe066, 0x22a },
};

static void
test_keymap_105 (void)
{
  gboolean seen[256] = { FALSE };

  g_assert_cmpuint (G_N_ELEMENTS (keys105), ==, 105);
  for (unsigned i = 0; i < G_N_ELEMENTS (keys105); i++)
    {
      unsigned page = 0, usage = vmm_usb_hid_usage (keys105[i].scancode, &page);
      if (usage != keys105[i].usage || page != VMM_HID_PAGE_KEYBOARD)
        g_error ("scancode 0x%x: usage 0x%x page %u, expected 0x%x", keys105[i].scancode,
                 usage, page, keys105[i].usage);
      /* Every key is distinct. */
      g_assert_false (seen[usage]);
      seen[usage] = TRUE;
    }
}

static void
test_keymap_media (void)
{
  unsigned page;

  for (unsigned i = 0; i < G_N_ELEMENTS (media); i++)
    {
      g_assert_cmphex (vmm_usb_hid_usage (media[i].scancode, &page), ==, media[i].usage);
      g_assert_cmpuint (page, ==, VMM_HID_PAGE_CONSUMER);
    }
  g_assert_cmphex (vmm_usb_hid_usage (0xe05e, &page), ==, 0x81);     /* Power */
  g_assert_cmpuint (page, ==, VMM_HID_PAGE_DESKTOP);
  g_assert_cmphex (vmm_usb_hid_usage (0xe05f, &page), ==, 0x82);     /* Sleep */
  g_assert_cmphex (vmm_usb_hid_usage (0xe063, &page), ==, 0x83);     /* Wake */
  /* The F13..F24 row and the Japanese keys. */
  g_assert_cmphex (vmm_usb_hid_usage (0x64, &page), ==, 0x68);
  g_assert_cmphex (vmm_usb_hid_usage (0x76, &page), ==, 0x73);
  g_assert_cmphex (vmm_usb_hid_usage (0x7d, &page), ==, 0x89);
  g_assert_cmphex (vmm_usb_hid_usage (0x73, &page), ==, 0x87);
  /* Nothing for the fake shifts, unknown prefixes, release codes. */
  g_assert_cmphex (vmm_usb_hid_usage (0xe02a, &page), ==, 0);
  g_assert_cmphex (vmm_usb_hid_usage (0xe12a, &page), ==, 0);
  g_assert_cmphex (vmm_usb_hid_usage (0x00, &page), ==, 0);
  g_assert_cmphex (vmm_usb_hid_usage (0x9e, &page), ==, 0);
  g_assert_cmphex (vmm_usb_hid_usage (0xffff, &page), ==, 0);
}

static void
test_unconfigured (void)
{
  VmmUsbHid *kbd = vmm_usb_keyboard_new ();
  VmmUsbDevice *dev = vmm_usb_hid_device (kbd);
  uint8_t buf[16];
  VmmUsbSetup set_config = { 0x00, 9, 1, 0, 0 };
  VmmUsbSetup bad_config = { 0x00, 9, 2, 0, 0 };
  VmmUsbSetup get_report_desc = { 0x81, 6, 0x2200, 1, 64 };

  /* Input before the guest configured the device is not queued. */
  vmm_usb_kbd_key (kbd, 0x1e, TRUE);
  g_assert_cmpint (dev->ops->data_in (dev, 1, buf, sizeof buf), ==, -EAGAIN);
  g_assert_cmpint (dev->ops->control (dev, &bad_config, buf, 0), ==, -EPIPE);
  g_assert_cmpint (dev->ops->control (dev, &get_report_desc, buf, 16), ==, -EPIPE);
  g_assert_cmpint (dev->ops->control (dev, &set_config, buf, 0), ==, 0);
  g_assert_cmpint (dev->ops->data_in (dev, 1, buf, sizeof buf), ==, -EAGAIN);
  g_assert_cmpint (dev->ops->data_in (dev, 2, buf, sizeof buf), ==, -EAGAIN);
  /* A full queue keeps the newest state. */
  for (unsigned i = 0; i < 40; i++)
    vmm_usb_kbd_key (kbd, (uint16_t) (0x10 + i % 2), i % 4 < 2);
  {
    int n, last = 0;
    unsigned count = 0;
    while ((n = dev->ops->data_in (dev, 1, buf, sizeof buf)) > 0)
      {
        last = n;
        count++;
      }
    g_assert_cmpuint (count, ==, 16);
    g_assert_cmpint (last, ==, 9);
    g_assert_cmphex (buf[3], ==, 0);                                 /* all released */
  }
  vmm_usb_hid_free (kbd);
}

static void
test_input_glue (void)
{
  g_assert_cmpuint (vmm_usb_input_scale (0, 1024), ==, 0);
  g_assert_cmpuint (vmm_usb_input_scale (1023, 1024), ==, VMM_USB_TABLET_MAX);
  g_assert_cmpuint (vmm_usb_input_scale (5000, 1024), ==, VMM_USB_TABLET_MAX);
  g_assert_cmpuint (vmm_usb_input_scale (511, 1023), ==, (VMM_USB_TABLET_MAX + 1) / 2);
  g_assert_cmpuint (vmm_usb_input_scale (7, 1), ==, 0);
  g_assert_cmpuint (vmm_usb_input_leds_to_display (VMM_USB_LED_CAPS_LOCK), ==, VMM_DISPLAY_LED_CAPS_LOCK);
  g_assert_cmpuint (vmm_usb_input_leds_to_display (VMM_USB_LED_NUM_LOCK | VMM_USB_LED_SCROLL_LOCK),
                    ==, VMM_DISPLAY_LED_NUM_LOCK | VMM_DISPLAY_LED_SCROLL_LOCK);
  g_assert_cmpuint (vmm_usb_input_buttons_from_display (VMM_DISPLAY_BUTTON_MIDDLE), ==,
                    VMM_USB_BUTTON_MIDDLE);
  g_assert_cmpuint (vmm_usb_input_buttons_from_display (VMM_DISPLAY_BUTTON_RIGHT
                                                        | VMM_DISPLAY_BUTTON_EXTRA), ==,
                    VMM_USB_BUTTON_RIGHT | VMM_USB_BUTTON_EXTRA);
}

typedef struct {
  int keys;
  int pointers;
  int motions;
  int32_t dx, dy, dz;
  uint32_t buttons;
} Fallback;

static void
fb_key (void *opaque, uint16_t scancode, bool pressed)
{
  ((Fallback *) opaque)->keys++;
}

static void
fb_pointer (void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t b)
{
  ((Fallback *) opaque)->pointers++;
}

static void
fb_motion (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t b)
{
  Fallback *fb = opaque;

  fb->motions++;
  fb->dx += dx, fb->dy += dy, fb->dz += dz, fb->buttons = b;
}

static void
test_input_routing (void)
{
  VmmDisplay *d = vmm_display_new ();
  VmmUsbHid *kbd = vmm_usb_keyboard_new ();
  VmmUsbHid *tablet = vmm_usb_tablet_new ();
  static const VmmDisplayInputOps fb_ops = { .key = fb_key, .pointer = fb_pointer,
                                             .motion = fb_motion };
  VmmUsbDevice *tdev = vmm_usb_hid_device (tablet);
  Fallback fb = { 0 };
  VmmUsbInput *in = vmm_usb_input_new (d, kbd, tablet, &fb_ops, &fb);
  VmmUsbDevice *kdev = vmm_usb_hid_device (kbd);
  VmmUsbSetup set_config = { 0x00, 9, 1, 0, 0 };
  VmmUsbSetup leds = { 0x21, 9, 0x0201, 0, 2 };
  uint8_t buf[16], out[2] = { 1, VMM_USB_LED_CAPS_LOCK };

  /* Unconfigured: PS/2 gets the key. */
  vmm_display_key (d, 0x1e, TRUE);
  g_assert_cmpint (fb.keys, ==, 1);
  g_assert_cmpint (kdev->ops->control (kdev, &set_config, buf, 0), ==, 0);
  vmm_display_key (d, 0x1e, TRUE);
  g_assert_cmpint (fb.keys, ==, 1);
  g_assert_cmpint (kdev->ops->data_in (kdev, 1, buf, sizeof buf), ==, 9);
  g_assert_cmphex (buf[3], ==, 0x04);
  /* The guest's LEDs reach the display in its encoding. */
  g_assert_cmpint (kdev->ops->control (kdev, &leds, out, 2), ==, 0);
  g_assert_cmpuint (vmm_display_get_leds (d), ==, VMM_DISPLAY_LED_CAPS_LOCK);

  /* Relative motion goes to PS/2 whether or not the guest drives the
   * tablet: the tablet is absolute only. */
  vmm_display_motion (d, 2, -1, 1, VMM_DISPLAY_BUTTON_EXTRA);
  /* The display hears of the tablet only once the guest drives it. */
  g_assert_false (vmm_display_get_pointer_absolute (d));
  g_assert_cmpint (tdev->ops->control (tdev, &set_config, buf, 0), ==, 0);
  g_assert_true (vmm_usb_hid_configured (tablet));
  g_assert_true (vmm_display_get_pointer_absolute (d));
  vmm_display_motion (d, 3, 0, 0, VMM_DISPLAY_BUTTON_EXTRA);
  g_assert_cmpint (fb.motions, ==, 2);
  g_assert_cmpint (fb.dx, ==, 5);
  g_assert_cmpint (fb.dy, ==, -1);
  g_assert_cmpint (fb.dz, ==, 1);
  g_assert_cmpuint (fb.buttons, ==, VMM_DISPLAY_BUTTON_EXTRA);
  /* The tablet got nothing from it. */
  g_assert_cmpint (tdev->ops->data_in (tdev, 1, buf, sizeof buf), ==, -EAGAIN);
  /* Unconfigured (configuration 0) or reset: no absolute pointer. */
  g_assert_cmpint (tdev->ops->control (tdev, &(VmmUsbSetup) { 0x00, 9, 0, 0, 0 }, buf, 0), ==, 0);
  g_assert_false (vmm_display_get_pointer_absolute (d));
  g_assert_cmpint (tdev->ops->control (tdev, &set_config, buf, 0), ==, 0);
  g_assert_true (vmm_display_get_pointer_absolute (d));
  tdev->ops->reset (tdev);
  g_assert_false (vmm_display_get_pointer_absolute (d));
  vmm_usb_input_free (in);
  vmm_usb_hid_free (kbd);
  vmm_usb_hid_free (tablet);
  vmm_display_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/usb/hid/keymap-105", test_keymap_105);
  g_test_add_func ("/usb/hid/keymap-media", test_keymap_media);
  g_test_add_func ("/usb/hid/unconfigured", test_unconfigured);
  g_test_add_func ("/usb/input/glue", test_input_glue);
  g_test_add_func ("/usb/input/routing", test_input_routing);
  return g_test_run ();
}
