/* usb-input.h: routes a VmmDisplay's input (what the SPICE client does) to
 * the USB keyboard and tablet, and the guest's keyboard LEDs back.
 *
 * Until the guest configures a USB device (firmware without a USB stack, a
 * guest without usbhid), its events go to the fallback ops, normally the
 * PS/2 devices, so input works before and without the USB drivers.
 * Relative motion always goes there: the USB tablet is absolute only.
 * The display is told whether the guest drives the tablet
 * (vmm_display_set_pointer_absolute), so that viewers send relative
 * motion while it does not.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "display/display.h"
#include "usb/usb-hid.h"

typedef struct _VmmUsbInput VmmUsbInput;

/* Installs itself as @display's input ops. @fallback may be NULL. The
 * devices and @display must outlive the router. */
VmmUsbInput *vmm_usb_input_new  (VmmDisplay *display, VmmUsbHid *keyboard, VmmUsbHid *tablet,
                                 const VmmDisplayInputOps *fallback, void *fallback_opaque);
/* Uninstalls the input ops and frees the router. */
void         vmm_usb_input_free (VmmUsbInput *in);

/* The display-independent parts, for tests: surface coordinates to the
 * tablet's 0..0x7fff range, and the two LED and button encodings. */
uint32_t     vmm_usb_input_scale        (uint32_t pos, uint32_t size);
uint32_t     vmm_usb_input_leds_to_display (uint32_t usb_leds);
uint32_t     vmm_usb_input_buttons_from_display (uint32_t display_buttons);
