/* slirp.h: user-mode networking through libslirp.
 *
 * The guest sits on 10.0.2.0/24 behind a NAT that needs no privileges:
 * the gateway 10.0.2.2 is the host (its loopback included), DHCP hands
 * out 10.0.2.15 onwards, 10.0.2.3 forwards DNS to the host's resolver.
 * Connections from the guest become ordinary sockets of this process;
 * host forwards make host ports reach the guest.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/net-backend.h"

#include <glib.h>

#define VMM_NET_SLIRP_MTU_DEFAULT 1500
#define VMM_NET_SLIRP_MTU_MAX     65520

typedef struct {
  /* No traffic from the guest to the outside world; host forwards, DHCP
   * and the gateway's own services still work. */
  gboolean restricted;
  /* Host forwards, each as in hostfwd.h; NULL-terminated, may be NULL. */
  const char *const *hostfwd;
  /* Announced by DHCP; NULL for none. */
  const char *hostname;
  /* The IP MTU of the virtual link, 0 for VMM_NET_SLIRP_MTU_DEFAULT. A
   * larger one means fewer, larger frames; the NIC must tell the guest. */
  unsigned mtu;
} VmmNetSlirpConfig;

/* Creates the stack, sets up the forwards (a spec that does not parse or a
 * host port that cannot be bound fails the whole call, naming the forward)
 * and runs it on a thread of its own until a NIC attaches it to its I/O
 * thread (vmm_net_backend_attach). */
VmmNetBackend *vmm_net_slirp_new (const VmmNetSlirpConfig *config, GError **error);
