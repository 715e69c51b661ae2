/* block-engine.h: disk requests executed off the vCPU threads.
 *
 * A VmmBlockBackend wraps one open image and chooses how its requests run:
 * raw images go to io_uring (with O_DIRECT when the file system takes it).
 * So do qcow2 reads and writes that land on allocated clusters the image
 * owns (vmm_image_map), and writes to clusters not allocated yet (whole
 * ones, or any part of ones that read as zeros): the image allocates them
 * first, the data goes to the ring straight from the caller's buffers,
 * and the new L2 entries are committed when it completes
 * (vmm_image_alloc). Every other qcow2 request (partial clusters over a
 * backing file, zeroing, discard, flush, compressed or shared clusters),
 * and everything on hosts without io_uring, goes to a small
 * pool of worker threads calling the synchronous image layer, which
 * serialises each qcow2 image on its own metadata mutex. Those may free
 * clusters, so on qcow2 the two kinds never overlap: a pool request waits
 * for mapped I/O in flight, and mapping waits for the pool (see dispatch
 * in block-engine.c).
 *
 * A VmmBlockQueue is where one I/O thread submits requests and collects
 * their completions: it owns an io_uring ring (when the backend uses one)
 * and an eventfd that becomes readable when completions are waiting. A
 * device with several virtqueues uses one VmmBlockQueue per thread that
 * serves them, so completions come back on the thread that submitted.
 *
 * Every function on a queue is called from its I/O thread only. A raw
 * backend may be shared by several queues on different threads; a qcow2
 * backend on io_uring serves one queue (the overlap rule above is kept
 * per queue).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "storage/image.h"

typedef enum {
  VMM_BLOCK_ENGINE_AUTO,   /* io_uring when the host has it, else the pool */
  VMM_BLOCK_ENGINE_URING,  /* io_uring; fail if absent */
  VMM_BLOCK_ENGINE_POOL,   /* worker threads for everything */
} VmmBlockEngineKind;

typedef enum {
  VMM_BLOCK_OP_READ,
  VMM_BLOCK_OP_WRITE,
  VMM_BLOCK_OP_FLUSH,
  VMM_BLOCK_OP_DISCARD,
  VMM_BLOCK_OP_WRITE_ZEROES,
} VmmBlockOp;

typedef struct _VmmBlockBackend VmmBlockBackend;
typedef struct _VmmBlockQueue VmmBlockQueue;
typedef struct _VmmBlockRequest VmmBlockRequest;

typedef void (*VmmBlockDoneFunc) (VmmBlockRequest *req, void *opaque);

/* Filled by the caller, which keeps it (and the memory @iov points to)
 * alive until @done runs. The engine may rewrite @iov and @niov while it
 * retries short transfers. */
struct _VmmBlockRequest {
  VmmBlockOp        op;
  uint64_t          offset;   /* bytes into the disk */
  uint64_t          len;      /* DISCARD and WRITE_ZEROES only; READ/WRITE sum @iov */
  struct iovec     *iov;
  unsigned          niov;
  VmmBlockDoneFunc  done;     /* runs on the queue's thread, in vmm_block_queue_complete */
  void             *opaque;
  int               result;   /* 0 or -errno when @done runs */

  /* The engine's. */
  VmmBlockQueue    *queue;
  uint64_t          moved;    /* bytes transferred so far */
  uint64_t          host_offset; /* where the data is in the file (ring only) */
  bool              direct;   /* submitted on the O_DIRECT descriptor */
  bool              mapped;   /* qcow2 data going straight to its clusters */
  bool              barrier;  /* qcow2 request in the pool */
  bool              allocating; /* mapped to clusters allocated for it */
  VmmImageAlloc     alloc;    /* committed when the data is written */
  VmmBlockRequest  *next;
};

typedef struct {
  VmmBlockEngineKind kind;
  unsigned           pool_threads; /* 0: a default */
  bool               no_direct;    /* never open the image with O_DIRECT */
} VmmBlockBackendConfig;

/* @image stays the caller's and must outlive the backend. */
VmmBlockBackend *vmm_block_backend_new      (VmmImage *image, const VmmBlockBackendConfig *cfg,
                                             GError **error);
void             vmm_block_backend_free     (VmmBlockBackend *backend);
VmmImage        *vmm_block_backend_get_image (VmmBlockBackend *backend);
/* Whether requests go to io_uring (raw, or qcow2 data on allocated
 * clusters), and whether on an O_DIRECT fd. */
bool             vmm_block_backend_uses_uring  (VmmBlockBackend *backend);
bool             vmm_block_backend_uses_direct (VmmBlockBackend *backend);

/* @depth bounds the requests in the kernel at once; more wait in the
 * queue. Fails when the backend needs io_uring and cannot get it, or for
 * a second queue on a qcow2 backend on io_uring. */
VmmBlockQueue   *vmm_block_queue_new        (VmmBlockBackend *backend, unsigned depth,
                                             GError **error);
/* Waits for (and completes) every request in flight first. */
void             vmm_block_queue_free       (VmmBlockQueue *queue);
/* Readable when vmm_block_queue_complete has work. */
int              vmm_block_queue_get_fd     (VmmBlockQueue *queue);
/* Queues @req; nothing reaches io_uring before vmm_block_queue_kick, so a
 * batch of requests costs one system call. A request that fails at once
 * (out of range, read-only image) completes on the next complete call. */
void             vmm_block_queue_submit     (VmmBlockQueue *queue, VmmBlockRequest *req);
void             vmm_block_queue_kick       (VmmBlockQueue *queue);
/* Runs @done for every finished request; returns how many. */
unsigned         vmm_block_queue_complete   (VmmBlockQueue *queue);
/* Blocks until no request is in flight, completing them all. */
void             vmm_block_queue_drain      (VmmBlockQueue *queue);
unsigned         vmm_block_queue_in_flight  (VmmBlockQueue *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmBlockBackend, vmm_block_backend_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmBlockQueue, vmm_block_queue_free)
