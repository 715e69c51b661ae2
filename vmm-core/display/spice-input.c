/* spice-input.c: the embedded SPICE server's input interfaces (keyboard,
 * tablet, mouse) towards VmmDisplay; see spice-private.h.
 *
 * Everything here runs on the server thread: spice-server calls the
 * interfaces from its main loop, and VmmSpice calls the functions below
 * from the same thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice.h"
#include "spice-private.h"

#include <string.h>

/* spice-server 0.15 allocates a keyboard's and a mouse's state in
 * spice_server_add_interface() and never frees them (it cannot remove
 * either), two small blocks per server (tests/unit/display/lsan.supp).
 * Under AddressSanitizer those blocks are marked as known, so that every
 * program embedding the server (the app, the runner, their tests) does
 * not report them at exit. */
#if defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define VMM_HAVE_LSAN 1
# endif
#endif
#if !defined(VMM_HAVE_LSAN) && defined(__SANITIZE_ADDRESS__)
# define VMM_HAVE_LSAN 1
#endif
#ifdef VMM_HAVE_LSAN
# include <sanitizer/lsan_interface.h>
# define LSAN_DISABLE() __lsan_disable ()
# define LSAN_ENABLE() __lsan_enable ()
#else
# define LSAN_DISABLE() do { } while (0)
# define LSAN_ENABLE() do { } while (0)
#endif

#define INPUT_OF(ptr, member) \
  ((VmmSpiceInput *) (void *) ((char *) (ptr) - G_STRUCT_OFFSET (VmmSpiceInput, member)))

/* spice-server hands over the scancode bytes one by one; put the prefixed
 * sequences back together into one key. */
static void
kbd_push_scan_freg (SpiceKbdInstance *sin, uint8_t byte)
{
  VmmSpiceInput *in = INPUT_OF (sin, kbd);

  if (in->kbd_len == 0) {
    if (byte == 0xe0 || byte == 0xe1) {
      in->kbd_seq[in->kbd_len++] = byte;
      return;
    }
    if ((byte & 0x7f) != 0)
      vmm_display_key (in->display, byte & 0x7f, !(byte & 0x80));
    return;
  }
  if (in->kbd_seq[0] == 0xe0) {
    in->kbd_len = 0;
    /* spice-client-glib cannot send e1 sequences: viewers send Pause as
     * e0 45, a code no PC key uses. */
    if ((byte & 0x7f) == 0x45)
      vmm_display_key (in->display, VMM_DISPLAY_SCANCODE_PAUSE, !(byte & 0x80));
    else if ((byte & 0x7f) != 0)
      vmm_display_key (in->display, (uint16_t) (0xe000 | (byte & 0x7f)), !(byte & 0x80));
    return;
  }
  /* 0xe1: only Pause uses it, as e1 1d 45 (press) and e1 9d c5 (release). */
  in->kbd_seq[in->kbd_len++] = byte;
  if (in->kbd_len < 3)
    return;
  in->kbd_len = 0;
  if ((in->kbd_seq[1] & 0x7f) == 0x1d && (in->kbd_seq[2] & 0x7f) == 0x45)
    vmm_display_key (in->display, VMM_DISPLAY_SCANCODE_PAUSE, !(in->kbd_seq[1] & 0x80));
}

static uint8_t
kbd_get_leds (SpiceKbdInstance *sin)
{
  VmmSpiceInput *in = INPUT_OF (sin, kbd);

  /* VMM_DISPLAY_LED_* are SPICE's bits. */
  return (uint8_t) vmm_display_get_leds (in->display);
}

static const SpiceKbdInterface kbd_interface = {
  .base = {
    .type = SPICE_INTERFACE_KEYBOARD,
    .description = "vireo keyboard",
    .major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
    .minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
  },
  .push_scan_freg = kbd_push_scan_freg,
  .get_leds = kbd_get_leds,
};

/* spice-server (0.15: RED_MOUSE_STATE_TO_LOCAL in inputs-channel.cpp)
 * passes buttons to the tablet and the mouse in the order left, right,
 * middle (bits 0, 1, 2), and the buttons after the wheel's one bit higher
 * than on the wire: side at bit 6, extra at bit 7. The display uses
 * SPICE's wire order. */
#define LOCAL_BUTTON_RIGHT  (1u << 1)
#define LOCAL_BUTTON_MIDDLE (1u << 2)
#define LOCAL_BUTTON_SIDE   (1u << 6)
#define LOCAL_BUTTON_EXTRA  (1u << 7)

uint32_t
vmm_spice_buttons_to_display (uint32_t state)
{
  uint32_t buttons = state & VMM_DISPLAY_BUTTON_LEFT;

  if (state & LOCAL_BUTTON_RIGHT)
    buttons |= VMM_DISPLAY_BUTTON_RIGHT;
  if (state & LOCAL_BUTTON_MIDDLE)
    buttons |= VMM_DISPLAY_BUTTON_MIDDLE;
  if (state & LOCAL_BUTTON_SIDE)
    buttons |= VMM_DISPLAY_BUTTON_SIDE;
  if (state & LOCAL_BUTTON_EXTRA)
    buttons |= VMM_DISPLAY_BUTTON_EXTRA;
  return buttons;
}


static void
tablet_set_logical_size (SpiceTabletInstance *sin, int width, int height)
{
}

static void
tablet_position (SpiceTabletInstance *sin, int x, int y, uint32_t buttons_state)
{
  VmmSpiceInput *in = INPUT_OF (sin, tablet);

  in->pointer_x = x;
  in->pointer_y = y;
  in->buttons = vmm_spice_buttons_to_display (buttons_state);
  vmm_display_pointer (in->display, x, y, in->buttons);
}

/* In client pointer mode spice-server reports every button press here,
 * with motion 0 unless the button is a wheel step; releases come through
 * buttons(). */
static void
tablet_wheel (SpiceTabletInstance *sin, int motion, uint32_t buttons_state)
{
  VmmSpiceInput *in = INPUT_OF (sin, tablet);
  uint32_t buttons = vmm_spice_buttons_to_display (buttons_state);

  if (buttons != in->buttons) {
    in->buttons = buttons;
    vmm_display_pointer (in->display, in->pointer_x, in->pointer_y, buttons);
  }
  vmm_display_wheel (in->display, motion, buttons);
}

static void
tablet_buttons_cb (SpiceTabletInstance *sin, uint32_t buttons_state)
{
  VmmSpiceInput *in = INPUT_OF (sin, tablet);

  in->buttons = vmm_spice_buttons_to_display (buttons_state);
  vmm_display_pointer (in->display, in->pointer_x, in->pointer_y, in->buttons);
}

static const SpiceTabletInterface tablet_interface = {
  .base = {
    .type = SPICE_INTERFACE_TABLET,
    .description = "vireo tablet",
    .major_version = SPICE_INTERFACE_TABLET_MAJOR,
    .minor_version = SPICE_INTERFACE_TABLET_MINOR,
  },
  .set_logical_size = tablet_set_logical_size,
  .position = tablet_position,
  .wheel = tablet_wheel,
  .buttons = tablet_buttons_cb,
};

/* Server mouse mode (a viewer that asked for it, or a server without a
 * tablet): relative motion, and presses with the wheel as dz, for the
 * PS/2 mouse. */
static void
mouse_motion (SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons_state)
{
  VmmSpiceInput *in = INPUT_OF (sin, mouse);

  in->buttons = vmm_spice_buttons_to_display (buttons_state);
  vmm_display_motion (in->display, dx, dy, dz, in->buttons);
}

static void
mouse_buttons (SpiceMouseInstance *sin, uint32_t buttons_state)
{
  VmmSpiceInput *in = INPUT_OF (sin, mouse);

  in->buttons = vmm_spice_buttons_to_display (buttons_state);
  vmm_display_motion (in->display, 0, 0, 0, in->buttons);
}

static const SpiceMouseInterface mouse_interface = {
  .base = {
    .type = SPICE_INTERFACE_MOUSE,
    .description = "vireo mouse",
    .major_version = SPICE_INTERFACE_MOUSE_MAJOR,
    .minor_version = SPICE_INTERFACE_MOUSE_MINOR,
  },
  .motion = mouse_motion,
  .buttons = mouse_buttons,
};

void
vmm_spice_input_init (VmmSpiceInput *in, VmmDisplay *display)
{
  memset (in, 0, sizeof *in);
  in->display = display;
  in->kbd.base.sif = &kbd_interface.base;
  in->tablet.base.sif = &tablet_interface.base;
  in->mouse.base.sif = &mouse_interface.base;
}

bool
vmm_spice_input_attach (VmmSpiceInput *in, SpiceServer *server)
{
  bool ok;

  LSAN_DISABLE ();
  ok = spice_server_add_interface (server, &in->kbd.base) == 0
       && spice_server_add_interface (server, &in->mouse.base) == 0;
  LSAN_ENABLE ();
  if (ok)
    vmm_spice_input_sync_tablet (in, server);
  return ok;
}

/* spice-server offers client pointer mode while a tablet interface is
 * registered, and switches its clients to server mode (relative motion,
 * the PS/2 mouse) when it goes: so the tablet is registered exactly while
 * the display has an absolute pointer (the guest drives the USB tablet). */
void
vmm_spice_input_sync_tablet (VmmSpiceInput *in, SpiceServer *server)
{
  bool want = vmm_display_get_pointer_absolute (in->display);

  if (want == in->tablet_added)
    return;
  if (want)
    in->tablet_added = spice_server_add_interface (server, &in->tablet.base) == 0;
  else if (spice_server_remove_interface (&in->tablet.base) == 0)
    in->tablet_added = false;
}

void
vmm_spice_input_leds_changed (VmmSpiceInput *in)
{
  spice_server_kbd_leds (&in->kbd, (int) vmm_display_get_leds (in->display));
}
