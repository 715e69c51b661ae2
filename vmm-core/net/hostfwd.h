/* hostfwd.h: host port forwards for user-mode networking.
 *
 * A forward makes a port on the host reach a port in the guest, written
 * the way QEMU's `hostfwd=` is, so that users can reuse what they know:
 *
 *   [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 *
 * e.g. "tcp:127.0.0.1:2222-:22". An empty HOSTADDR listens on every
 * address; an empty GUESTADDR is the address the guest gets by DHCP.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <stdint.h>

typedef struct {
  gboolean udp;
  struct in_addr host_addr;     /* INADDR_ANY for every address */
  uint16_t host_port;           /* 1 .. 65535 */
  struct in_addr guest_addr;    /* INADDR_ANY for the DHCP address */
  uint16_t guest_port;          /* 1 .. 65535 */
} VmmNetHostFwd;

/* Parses @spec. On failure the error (VMM_ERROR_INVALID_CONFIG) quotes
 * the spec and says which part is wrong. */
gboolean vmm_net_hostfwd_parse  (const char *spec, VmmNetHostFwd *fwd, GError **error);

/* The canonical text of @fwd, for messages: "tcp:127.0.0.1:2222-10.0.2.15:22". */
char    *vmm_net_hostfwd_to_string (const VmmNetHostFwd *fwd, struct in_addr default_guest);
