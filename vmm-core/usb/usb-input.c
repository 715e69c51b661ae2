/* usb-input.c: VmmDisplay input to the USB HID devices.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/usb-input.h"

struct _VmmUsbInput {
  VmmDisplay *display;
  VmmUsbHid *keyboard;
  VmmUsbHid *tablet;
  const VmmDisplayInputOps *fallback;
  void *fallback_opaque;
  /* Where the pointer is, for wheel events (the display thread only). */
  uint32_t x, y;
};

uint32_t
vmm_usb_input_scale (uint32_t pos, uint32_t size)
{
  if (size <= 1)
    return 0;
  pos = MIN (pos, size - 1);
  return (uint32_t) (((uint64_t) pos * VMM_USB_TABLET_MAX + (size - 1) / 2) / (size - 1));
}

uint32_t
vmm_usb_input_leds_to_display (uint32_t usb_leds)
{
  return ((usb_leds & VMM_USB_LED_NUM_LOCK) ? VMM_DISPLAY_LED_NUM_LOCK : 0)
         | ((usb_leds & VMM_USB_LED_CAPS_LOCK) ? VMM_DISPLAY_LED_CAPS_LOCK : 0)
         | ((usb_leds & VMM_USB_LED_SCROLL_LOCK) ? VMM_DISPLAY_LED_SCROLL_LOCK : 0);
}

uint32_t
vmm_usb_input_buttons_from_display (uint32_t b)
{
  return ((b & VMM_DISPLAY_BUTTON_LEFT) ? VMM_USB_BUTTON_LEFT : 0)
         | ((b & VMM_DISPLAY_BUTTON_MIDDLE) ? VMM_USB_BUTTON_MIDDLE : 0)
         | ((b & VMM_DISPLAY_BUTTON_RIGHT) ? VMM_USB_BUTTON_RIGHT : 0)
         | ((b & VMM_DISPLAY_BUTTON_SIDE) ? VMM_USB_BUTTON_SIDE : 0)
         | ((b & VMM_DISPLAY_BUTTON_EXTRA) ? VMM_USB_BUTTON_EXTRA : 0);
}

static void
on_key (void *opaque, uint16_t scancode, bool pressed)
{
  VmmUsbInput *in = opaque;

  if (in->keyboard != NULL && vmm_usb_hid_configured (in->keyboard))
    vmm_usb_kbd_key (in->keyboard, scancode, pressed);
  else if (in->fallback != NULL && in->fallback->key != NULL)
    in->fallback->key (in->fallback_opaque, scancode, pressed);
}

static void
on_pointer (void *opaque, uint32_t x, uint32_t y, uint32_t width, uint32_t height,
            uint32_t buttons)
{
  VmmUsbInput *in = opaque;

  if (in->tablet != NULL && vmm_usb_hid_configured (in->tablet))
    {
      in->x = vmm_usb_input_scale (x, width);
      in->y = vmm_usb_input_scale (y, height);
      vmm_usb_tablet_event (in->tablet, in->x, in->y,
                            vmm_usb_input_buttons_from_display (buttons), 0, 0);
    }
  else if (in->fallback != NULL && in->fallback->pointer != NULL)
    in->fallback->pointer (in->fallback_opaque, x, y, width, height, buttons);
}

static void
on_wheel (void *opaque, int32_t dy, uint32_t buttons)
{
  VmmUsbInput *in = opaque;

  /* SPICE counts down as positive, HID counts up as positive. */
  if (in->tablet != NULL && vmm_usb_hid_configured (in->tablet))
    vmm_usb_tablet_event (in->tablet, in->x, in->y,
                          vmm_usb_input_buttons_from_display (buttons), -dy, 0);
  else if (in->fallback != NULL && in->fallback->wheel != NULL)
    in->fallback->wheel (in->fallback_opaque, dy, buttons);
}

/* The tablet is absolute only: relative motion (a viewer in server mouse
 * mode) always goes to the fallback, the PS/2 mouse. */
static void
on_motion (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  VmmUsbInput *in = opaque;

  if (in->fallback != NULL && in->fallback->motion != NULL)
    in->fallback->motion (in->fallback_opaque, dx, dy, dz, buttons);
}

static const VmmDisplayInputOps input_ops = {
  .key = on_key,
  .pointer = on_pointer,
  .wheel = on_wheel,
  .motion = on_motion,
};

/* A tablet the guest does not drive cannot follow an absolute pointer:
 * the display says so, and SPICE viewers switch to relative motion for
 * the PS/2 mouse (server mouse mode) until it does. */
static void
on_tablet_config (void *opaque, gboolean configured)
{
  VmmUsbInput *in = opaque;

  vmm_display_set_pointer_absolute (in->display, configured);
}

static void
on_leds (void *opaque, uint32_t leds)
{
  VmmUsbInput *in = opaque;

  vmm_display_set_keyboard_leds (in->display, vmm_usb_input_leds_to_display (leds));
}

VmmUsbInput *
vmm_usb_input_new (VmmDisplay *display, VmmUsbHid *keyboard, VmmUsbHid *tablet,
                   const VmmDisplayInputOps *fallback, void *fallback_opaque)
{
  VmmUsbInput *in = g_new0 (VmmUsbInput, 1);

  in->display = display;
  in->keyboard = keyboard;
  in->tablet = tablet;
  in->fallback = fallback;
  in->fallback_opaque = fallback_opaque;
  if (keyboard != NULL)
    vmm_usb_kbd_set_leds_func (keyboard, on_leds, in);
  if (tablet != NULL)
    vmm_usb_hid_set_config_func (tablet, on_tablet_config, in);
  vmm_display_set_pointer_absolute (display, tablet != NULL && vmm_usb_hid_configured (tablet));
  vmm_display_set_input_ops (display, &input_ops, in);
  return in;
}

void
vmm_usb_input_free (VmmUsbInput *in)
{
  if (in == NULL)
    return;
  vmm_display_set_input_ops (in->display, NULL, NULL);
  if (in->keyboard != NULL)
    vmm_usb_kbd_set_leds_func (in->keyboard, NULL, NULL);
  if (in->tablet != NULL)
    vmm_usb_hid_set_config_func (in->tablet, NULL, NULL);
  g_free (in);
}
