/* spice.h: the embedded SPICE server that shows a VmmDisplay.
 *
 * One VmmSpice serves one VmmDisplay. It runs libspice-server on a thread
 * of its own (a GLib main context), turns the display's dirty rectangles
 * into QXL drawables in simple-display mode, feeds the cursor channel, and
 * passes keyboard, tablet (client mouse mode), relative mouse (server mouse
 * mode) and display-size requests back to the display. The tablet is
 * offered only while the display has an absolute pointer, so viewers fall
 * back to relative motion when the guest does not drive the USB tablet.
 *
 * Nothing listens by default. The app in the same process connects with
 * vmm_spice_open_client_fd(), once per SPICE channel; external viewers
 * (remote-viewer) connect after vmm_spice_listen() on a unix socket or a
 * loopback TCP port. There is no authentication: who can reach the socket
 * can see and drive the guest, which is why TCP is only ever bound to
 * 127.0.0.1 and unix sockets are created mode 0600.
 *
 * All functions are called from the owner's thread (not from a VmmDisplay
 * callback) and are thread-safe against the server's own thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "display.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _VmmSpice VmmSpice;

typedef enum {
  VMM_SPICE_LISTEN_UNIX,
  VMM_SPICE_LISTEN_TCP,
} VmmSpiceListenKind;

/* A parsed listening address: `unix:PATH` or `tcp:127.0.0.1:PORT` (also
 * `tcp:localhost:PORT`). */
typedef struct {
  VmmSpiceListenKind kind;
  char *path;               /* unix: g_free() it */
  uint16_t port;            /* tcp: 1..65535 */
} VmmSpiceAddress;

/* Parses an address as the runner's --spice option takes it. False with a
 * G_OPTION_ERROR_BAD_VALUE error saying what is wrong. */
bool      vmm_spice_parse_address  (const char *spec, VmmSpiceAddress *address, GError **error);

/* Starts the server thread for `display`, which must outlive the server.
 * Whatever surface the display has now is shown at once. */
VmmSpice *vmm_spice_new            (VmmDisplay *display, GError **error);
/* Disconnects every client, stops the thread, closes listening sockets and
 * removes their socket files. */
void      vmm_spice_free           (VmmSpice *spice);

/* Starts accepting viewers at a parsed address. */
bool      vmm_spice_listen         (VmmSpice *spice, const VmmSpiceAddress *address,
                                    GError **error);
bool      vmm_spice_listen_unix    (VmmSpice *spice, const char *path, GError **error);
/* Listens on 127.0.0.1:port; port 0 picks a free one, stored in *bound. */
bool      vmm_spice_listen_tcp     (VmmSpice *spice, uint16_t port, uint16_t *bound,
                                    GError **error);

/* A connected socket for one SPICE channel of an in-process client
 * (spice_session_open_fd() for the main channel, spice_channel_open_fd()
 * for the others). The caller owns the returned fd; -1 with an error. */
int       vmm_spice_open_client_fd (VmmSpice *spice, GError **error);

/* spice-server's pointer buttons, as it hands them to the tablet and the
 * mouse interfaces, as VMM_DISPLAY_BUTTON_* (for tests). */
uint32_t  vmm_spice_buttons_to_display (uint32_t spice_local_buttons);
