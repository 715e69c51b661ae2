/* net-backend.h: where a guest network card's frames go.
 *
 * A back-end (user-mode networking through libslirp today, TAP later)
 * carries ethernet frames between one guest NIC and the outside. The NIC
 * is its "peer": it transmits with vmm_net_backend_send and receives
 * through the receive callback it registered.
 *
 * Flow control, both ways, so that neither side drops frames only
 * because the other was briefly slower:
 *   - guest to back-end: vmm_net_backend_can_send says whether the
 *     back-end has room. When it says no, the back-end calls the peer's
 *     tx_resume once room is back; until then the NIC leaves the guest's
 *     frames in its ring.
 *   - back-end to guest: receive returns 0 when the guest has no receive
 *     buffers. The back-end keeps that frame (and the ones after it, up to
 *     a bound) and delivers nothing more until the NIC calls
 *     vmm_net_backend_rx_resume, typically when the driver adds buffers.
 *
 * Threads: receive and tx_resume run on the back-end's thread: its own,
 * or the NIC's I/O thread once the NIC attached it there (then a frame
 * sent from that thread goes through without a thread switch). send,
 * can_send and rx_resume may be called from any thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ioloop.h"

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The largest frame either way: a 64 KiB IP packet, its ethernet header
 * and a VLAN tag. */
#define VMM_NET_MAX_FRAME (65535 + 14 + 4)
/* The smallest: an ethernet header. */
#define VMM_NET_MIN_FRAME 14

typedef struct _VmmNetBackend VmmNetBackend;

typedef struct {
  /* A frame for the guest. Returns its length when delivered, 0 when the
   * guest has no room now (the back-end keeps the frame and waits for
   * vmm_net_backend_rx_resume), or -errno when the frame was dropped. */
  ssize_t (*receive)   (void *opaque, const struct iovec *iov, unsigned n);
  /* Room again after vmm_net_backend_can_send returned FALSE. */
  void    (*tx_resume) (void *opaque);
} VmmNetPeerOps;

typedef struct {
  uint64_t tx_frames;        /* frames from the guest passed on */
  uint64_t tx_dropped;       /* frames from the guest refused: size, link down */
  uint64_t rx_frames;        /* frames delivered to the guest */
  uint64_t rx_dropped;       /* frames for the guest dropped: queue full, no peer */
  uint64_t rx_deferred;      /* times the guest had no receive buffers */
  uint64_t guest_errors;     /* malformed packets the stack complained about */
} VmmNetStats;

typedef struct {
  int      (*send)      (VmmNetBackend *be, const struct iovec *iov, unsigned n);
  gboolean (*can_send)  (VmmNetBackend *be);
  void     (*rx_resume) (VmmNetBackend *be);
  void     (*set_peer)  (VmmNetBackend *be, const VmmNetPeerOps *ops, void *opaque);
  int      (*attach)    (VmmNetBackend *be, VmmIoLoop *loop);
  void     (*get_stats) (VmmNetBackend *be, VmmNetStats *stats);
  void     (*destroy)   (VmmNetBackend *be);
} VmmNetBackendOps;

struct _VmmNetBackend {
  const VmmNetBackendOps *ops;
  /* Every frame this back-end delivers carries correct IP, TCP, UDP and
   * ICMP checksums (it builds them itself), so the NIC may tell the guest
   * not to verify them again. */
  gboolean rx_csum_valid;
  /* The back-end takes an IPv4 TCP packet larger than the link's MTU as
   * it is (a TSO frame from the guest, checksum completed) and segments
   * or streams it itself, so the NIC may offer TCP segmentation offload. */
  gboolean tx_tso4;
};

/* Sends one frame from the guest: the concatenation of @iov. Returns 0 or
 * -errno (-EMSGSIZE for a frame outside VMM_NET_MIN_FRAME ..
 * VMM_NET_MAX_FRAME). The frame is copied; a frame sent after can_send
 * said FALSE is still taken. */
static inline int
vmm_net_backend_send (VmmNetBackend *be, const struct iovec *iov, unsigned n)
{
  return be->ops->send (be, iov, n);
}

/* FALSE when the back-end's transmit queue is full; then tx_resume
 * follows once it has drained. */
static inline gboolean
vmm_net_backend_can_send (VmmNetBackend *be)
{
  return be->ops->can_send (be);
}

/* The guest added receive buffers: deliver what is queued. */
static inline void
vmm_net_backend_rx_resume (VmmNetBackend *be)
{
  be->ops->rx_resume (be);
}

/* Attaches the NIC (or detaches it, @ops NULL). When this returns, the
 * previous peer's callbacks are not running and will not run again. */
static inline void
vmm_net_backend_set_peer (VmmNetBackend *be, const VmmNetPeerOps *ops, void *opaque)
{
  be->ops->set_peer (be, ops, opaque);
}

/* Moves the back-end's work (and so the peer's callbacks) onto @loop, the
 * NIC's I/O thread, which must outlive the back-end or be left with
 * another attach. Returns 0 or -errno (the back-end then stays where it
 * was). */
static inline int
vmm_net_backend_attach (VmmNetBackend *be, VmmIoLoop *loop)
{
  return be->ops->attach (be, loop);
}

static inline void
vmm_net_backend_get_stats (VmmNetBackend *be, VmmNetStats *stats)
{
  be->ops->get_stats (be, stats);
}

/* Stops the back-end's thread and frees it; the peer must be detached. */
static inline void
vmm_net_backend_free (VmmNetBackend *be)
{
  if (be != NULL)
    be->ops->destroy (be);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmNetBackend, vmm_net_backend_free)
