/* spice-private.h: what the SPICE server's files share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "display.h"

#include <glib.h>
#include <spice.h>
#include <stdbool.h>

/* The SpiceCoreInterface on the calling thread's GMainContext (see
 * spice-core.c for why that is the right context). */
SpiceCoreInterface *vmm_spice_core_interface (void);

/* The stand-in guest agent (spice-agent.c). Server thread only. */
typedef struct {
  SpiceCharDeviceInstance sin;
  bool attached;
  GByteArray *in;           /* chunk stream from the viewer */
  GByteArray *message;      /* chunk payloads: agent messages */
  size_t skip;              /* bytes of an oversized message still to drop */
  GByteArray *out;          /* replies not yet read by spice-server */
  GSource *wakeup_source;
} VmmSpiceAgent;

/* Sets up the buffers; attach does it too. The device is then driven
 * through agent->sin.base.sif as spice-server would drive it. */
/* The keyboard, tablet and mouse interfaces (spice-input.c), towards a
 * VmmDisplay. Server thread only. */
typedef struct {
  VmmDisplay *display;
  SpiceKbdInstance kbd;
  SpiceTabletInstance tablet;
  SpiceMouseInstance mouse;
  bool tablet_added;
  uint8_t kbd_seq[3];       /* a prefixed scancode being put together */
  unsigned kbd_len;
  int32_t pointer_x, pointer_y;
  uint32_t buttons;         /* VMM_DISPLAY_BUTTON_* */
} VmmSpiceInput;

void vmm_spice_input_init         (VmmSpiceInput *in, VmmDisplay *display);
/* Adds the keyboard and the mouse, and the tablet if the display has an
 * absolute pointer. */
bool vmm_spice_input_attach       (VmmSpiceInput *in, SpiceServer *server);
/* Adds or removes the tablet to match vmm_display_get_pointer_absolute(). */
void vmm_spice_input_sync_tablet  (VmmSpiceInput *in, SpiceServer *server);
void vmm_spice_input_leds_changed (VmmSpiceInput *in);

void vmm_spice_agent_init   (VmmSpiceAgent *agent);
bool vmm_spice_agent_attach (VmmSpiceAgent *agent, SpiceServer *server);
/* After spice_server_destroy(). */
void vmm_spice_agent_clear  (VmmSpiceAgent *agent);
