/* usb-hid.h: USB HID devices: an absolute pointing tablet and a keyboard.
 *
 * Both are full-speed devices with one interface and one interrupt IN
 * endpoint (1). Input functions may be called from any thread; each
 * change becomes a report queued for the guest, and the host controller is
 * woken to deliver it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "usb/usb-device.h"

#include <glib.h>
#include <stdint.h>

#define VMM_USB_TABLET_MAX 0x7fff

/* Tablet buttons (bit n is button n + 1). */
#define VMM_USB_BUTTON_LEFT    (1u << 0)
#define VMM_USB_BUTTON_RIGHT   (1u << 1)
#define VMM_USB_BUTTON_MIDDLE  (1u << 2)
#define VMM_USB_BUTTON_SIDE    (1u << 3)
#define VMM_USB_BUTTON_EXTRA   (1u << 4)

/* Keyboard LEDs as HID numbers them (usage page 0x08, usages 1..3). */
#define VMM_USB_LED_NUM_LOCK    (1u << 0)
#define VMM_USB_LED_CAPS_LOCK   (1u << 1)
#define VMM_USB_LED_SCROLL_LOCK (1u << 2)

/* HID usage pages the scancode table maps to. */
#define VMM_HID_PAGE_DESKTOP  0x01   /* system control: power, sleep, wake */
#define VMM_HID_PAGE_KEYBOARD 0x07
#define VMM_HID_PAGE_CONSUMER 0x0c

typedef struct _VmmUsbHid VmmUsbHid;

/* Called when the guest sets the keyboard LEDs (VMM_USB_LED_* bits), from
 * the thread that runs the host controller, with the controller's lock
 * held: it must not call back into the USB devices. */
typedef void (*VmmUsbLedsFunc) (void *opaque, uint32_t leds);
/* Called when the guest configures or unconfigures the device (a driver
 * takes it or lets it go, or the port is reset), same thread and lock. */
typedef void (*VmmUsbConfigFunc) (void *opaque, gboolean configured);

VmmUsbHid    *vmm_usb_tablet_new      (void);
VmmUsbHid    *vmm_usb_keyboard_new    (void);
void          vmm_usb_hid_free        (VmmUsbHid *hid);
VmmUsbDevice *vmm_usb_hid_device      (VmmUsbHid *hid);
/* Whether the guest configured the device, i.e. a driver uses it. */
gboolean      vmm_usb_hid_configured  (VmmUsbHid *hid);
void          vmm_usb_hid_set_config_func (VmmUsbHid *hid, VmmUsbConfigFunc func, void *opaque);

/* Keyboard: @scancode as VmmDisplay passes it (set 1, 0xe0xx for prefixed
 * keys, 0xe11d for Pause). Unknown codes are ignored. */
void          vmm_usb_kbd_key         (VmmUsbHid *hid, uint16_t scancode, gboolean pressed);
void          vmm_usb_kbd_set_leds_func (VmmUsbHid *hid, VmmUsbLedsFunc func, void *opaque);
uint32_t      vmm_usb_kbd_leds        (VmmUsbHid *hid);

/* Tablet: @x and @y in 0..VMM_USB_TABLET_MAX (clamped), @buttons as
 * VMM_USB_BUTTON_*, @wheel and @hwheel in detents (positive: up / right). */
void          vmm_usb_tablet_event    (VmmUsbHid *hid, uint32_t x, uint32_t y, uint32_t buttons,
                                       int32_t wheel, int32_t hwheel);

/* The scancode table (usb-hid-keymap.c): the HID usage of a set-1 scancode
 * and its page, or 0 when the code has none. */
unsigned      vmm_usb_hid_usage       (uint16_t scancode, unsigned *page);
