/* block-engine.c: io_uring and worker-thread execution of disk requests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block-engine.h"

/* qcow2 serialises every request on its metadata mutex, so one worker
 * per qcow2 image is all that can run; raw images on hosts without
 * io_uring get a few to keep several requests in the kernel at once. */
#define RAW_POOL_THREADS 4
#define QCOW2_POOL_THREADS 1
/* Bigger multi-segment qcow2 transfers go segment by segment instead of
 * through one bounce buffer. */
#define QCOW2_BOUNCE_MAX (4u << 20)

struct _VmmBlockBackend {
  VmmImage    *image;
  uint64_t     size;
  bool         raw;
  bool         read_only;
  bool         uring;          /* queues have a ring */
  bool         mapped;         /* qcow2 on the ring: the overlap rule applies */
  unsigned     n_queues;
  int          fd;             /* the image's own descriptor */
  int          direct_fd;      /* the same file with O_DIRECT, or -1 */
  uint32_t     mem_align;      /* what O_DIRECT needs of buffers ... */
  uint32_t     off_align;      /* ... and of offsets and lengths */
  gint         direct_broken;  /* atomic: the fs refused an aligned request */
  GThreadPool *pool;
};

struct _VmmBlockQueue {
  VmmBlockBackend *backend;
  int              efd;
  bool             has_ring;
  struct io_uring  ring;
  unsigned         depth;
  unsigned         ring_busy;     /* requests holding a ring slot */
  unsigned         unsubmitted;   /* SQEs prepared since the last kick */
  unsigned         in_flight;     /* submitted, @done not yet run */
  VmmBlockRequest *backlog_head;  /* waiting for a ring slot */
  VmmBlockRequest *backlog_tail;
  /* qcow2 on the ring: requests in arrival order, not yet routed, and
   * what is in flight of each kind (never both at once). */
  VmmBlockRequest *wait_head;
  VmmBlockRequest *wait_tail;
  unsigned         mapped_busy;
  unsigned         pool_busy;

  GMutex           lock;          /* the finished list, filled by workers */
  VmmBlockRequest *finished_head;
  VmmBlockRequest *finished_tail;
};

static uint64_t
iov_total (const struct iovec *iov, unsigned niov)
{
  uint64_t total = 0;

  for (unsigned i = 0; i < niov; i++)
    total += iov[i].iov_len;
  return total;
}

/* Drops @n bytes from the front of the request's vector after a short
 * transfer, so the rest can be resubmitted as it is. */
static void
iov_advance (VmmBlockRequest *req, uint64_t n)
{
  while (req->niov > 0 && n >= req->iov[0].iov_len)
    {
      n -= req->iov[0].iov_len;
      req->iov++;
      req->niov--;
    }
  if (req->niov > 0)
    {
      req->iov[0].iov_base = (uint8_t *) req->iov[0].iov_base + n;
      req->iov[0].iov_len -= n;
    }
}

static void
iov_zero (const struct iovec *iov, unsigned niov)
{
  for (unsigned i = 0; i < niov; i++)
    memset (iov[i].iov_base, 0, iov[i].iov_len);
}

/* ---- synchronous execution (the worker pool) --------------------------- */

static int
raw_rw_sync (VmmBlockBackend *b, VmmBlockRequest *req, bool write)
{
  struct iovec *iov = req->iov;
  unsigned niov = req->niov;
  uint64_t offset = req->offset;

  while (niov > 0)
    {
      int cnt = (int) MIN (niov, (unsigned) IOV_MAX);
      ssize_t n = write ? pwritev (b->fd, iov, cnt, (off_t) offset)
                        : preadv (b->fd, iov, cnt, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        {
          /* Reading at end of file: the file shrank under us. */
          if (write)
            return -EIO;
          iov_zero (iov, niov);
          return 0;
        }
      offset += (uint64_t) n;
      req->moved += (uint64_t) n;
      /* Consumes the vector in place, as the io_uring path does. */
      req->iov = iov;
      req->niov = niov;
      iov_advance (req, (uint64_t) n);
      iov = req->iov;
      niov = req->niov;
    }
  return 0;
}

static int
image_rw_sync (VmmBlockBackend *b, VmmBlockRequest *req, bool write)
{
  uint64_t total = iov_total (req->iov, req->niov);
  uint64_t offset = req->offset;
  g_autofree uint8_t *bounce = NULL;
  uint64_t pos = 0;
  int r = 0;

  /* The image layer takes one buffer: a vector of many small segments
   * (the guest's pages) costs one metadata walk through a bounce buffer
   * instead of one per segment. */
  if (req->niov > 1 && total <= QCOW2_BOUNCE_MAX)
    {
      bounce = g_malloc (total);
      if (write)
        for (unsigned i = 0; i < req->niov; i++)
          {
            memcpy (bounce + pos, req->iov[i].iov_base, req->iov[i].iov_len);
            pos += req->iov[i].iov_len;
          }
      r = write ? vmm_image_write (b->image, bounce, offset, total)
                : vmm_image_read (b->image, bounce, offset, total);
      if (r == 0 && !write)
        for (unsigned i = 0; i < req->niov; i++)
          {
            memcpy (req->iov[i].iov_base, bounce + pos, req->iov[i].iov_len);
            pos += req->iov[i].iov_len;
          }
      return r;
    }
  for (unsigned i = 0; i < req->niov && r == 0; i++)
    {
      r = write ? vmm_image_write (b->image, req->iov[i].iov_base, offset, req->iov[i].iov_len)
                : vmm_image_read (b->image, req->iov[i].iov_base, offset, req->iov[i].iov_len);
      offset += req->iov[i].iov_len;
    }
  return r;
}

static int
execute_sync (VmmBlockBackend *b, VmmBlockRequest *req)
{
  switch (req->op)
    {
    case VMM_BLOCK_OP_READ:
    case VMM_BLOCK_OP_WRITE:
      if (b->raw)
        return raw_rw_sync (b, req, req->op == VMM_BLOCK_OP_WRITE);
      return image_rw_sync (b, req, req->op == VMM_BLOCK_OP_WRITE);
    case VMM_BLOCK_OP_FLUSH:
      return vmm_image_flush (b->image);
    case VMM_BLOCK_OP_DISCARD:
      return vmm_image_discard (b->image, req->offset, req->len);
    case VMM_BLOCK_OP_WRITE_ZEROES:
      return vmm_image_write_zeroes (b->image, req->offset, req->len);
    default:
      return -EINVAL;
    }
}

/* Hands a finished request back to its queue. The eventfd is written
 * under the lock: once the queue thread has seen the request it may free
 * the queue, and the worker must be done with it by then. */
static void
finish_async (VmmBlockRequest *req)
{
  VmmBlockQueue *q = req->queue;

  g_mutex_lock (&q->lock);
  req->next = NULL;
  if (q->finished_tail != NULL)
    q->finished_tail->next = req;
  else
    q->finished_head = req;
  q->finished_tail = req;
  (void) eventfd_write (q->efd, 1);
  g_mutex_unlock (&q->lock);
}

static void
pool_run (gpointer data, gpointer user_data)
{
  VmmBlockRequest *req = data;
  VmmBlockBackend *b = user_data;

  req->result = execute_sync (b, req);
  finish_async (req);
}

/* ---- backend ----------------------------------------------------------- */

static bool
uring_available (void)
{
  struct io_uring ring;

  /* Seccomp filters (containers, some sandboxes) and kernels built
   * without io_uring fail here, and the pool takes over. */
  if (io_uring_queue_init (2, &ring, 0) < 0)
    return false;
  io_uring_queue_exit (&ring);
  return true;
}

/* O_DIRECT skips the host's page cache (the guest has its own), as QEMU's
 * cache=none does. Reopening through /proc gives the same file even if
 * its name has changed since the image was opened. Where the file system
 * refuses O_DIRECT (tmpfs, some FUSE), buffered I/O stays. */
static void
open_direct (VmmBlockBackend *b)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", b->fd);
  struct statx stx;

  b->direct_fd = open (proc, (b->read_only ? O_RDONLY : O_RDWR) | O_DIRECT | O_CLOEXEC);
  if (b->direct_fd < 0)
    return;
  b->mem_align = 4096;
  b->off_align = 4096;
  if (statx (b->direct_fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0
      && (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_mem_align != 0
      && stx.stx_dio_offset_align != 0)
    {
      b->mem_align = stx.stx_dio_mem_align;
      b->off_align = stx.stx_dio_offset_align;
    }
}

VmmBlockBackend *
vmm_block_backend_new (VmmImage *image, const VmmBlockBackendConfig *cfg, GError **error)
{
  static const VmmBlockBackendConfig defaults = { 0 };
  VmmBlockBackend *b;
  unsigned threads;
  bool have_uring;

  g_return_val_if_fail (image != NULL, NULL);
  if (cfg == NULL)
    cfg = &defaults;

  b = g_new0 (VmmBlockBackend, 1);
  b->image = image;
  b->size = vmm_image_get_size (image);
  b->raw = vmm_image_get_format (image) == VMM_IMAGE_FORMAT_RAW;
  b->read_only = vmm_image_is_read_only (image);
  b->fd = vmm_image_get_fd (image);
  b->direct_fd = -1;

  have_uring = cfg->kind != VMM_BLOCK_ENGINE_POOL && uring_available ();
  if (cfg->kind == VMM_BLOCK_ENGINE_URING && !have_uring)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "io_uring is not available on this host");
      g_free (b);
      return NULL;
    }
  b->uring = have_uring;
  b->mapped = have_uring && !b->raw;
  if (b->uring && !cfg->no_direct)
    open_direct (b);

  threads = cfg->pool_threads;
  if (threads == 0)
    threads = b->raw ? RAW_POOL_THREADS : QCOW2_POOL_THREADS;
  if (!b->raw)
    threads = QCOW2_POOL_THREADS;
  b->pool = g_thread_pool_new (pool_run, b, (gint) threads, FALSE, error);
  if (b->pool == NULL)
    {
      vmm_block_backend_free (b);
      return NULL;
    }
  return b;
}

/* Every queue on the backend must be freed first. */
void
vmm_block_backend_free (VmmBlockBackend *b)
{
  if (b == NULL)
    return;
  if (b->pool != NULL)
    g_thread_pool_free (b->pool, FALSE, TRUE);
  if (b->direct_fd >= 0)
    close (b->direct_fd);
  g_free (b);
}

VmmImage *
vmm_block_backend_get_image (VmmBlockBackend *b)
{
  return b->image;
}

bool
vmm_block_backend_uses_uring (VmmBlockBackend *b)
{
  return b->uring;
}

bool
vmm_block_backend_uses_direct (VmmBlockBackend *b)
{
  return b->direct_fd >= 0 && !g_atomic_int_get (&b->direct_broken);
}

/* ---- queue ------------------------------------------------------------- */

VmmBlockQueue *
vmm_block_queue_new (VmmBlockBackend *b, unsigned depth, GError **error)
{
  VmmBlockQueue *q;
  int r;

  if (b->mapped && b->n_queues > 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                   "a qcow2 image on io_uring is served by one queue");
      return NULL;
    }
  q = g_new0 (VmmBlockQueue, 1);
  b->n_queues++;
  q->backend = b;
  q->depth = CLAMP (depth, 1, 4096);
  g_mutex_init (&q->lock);
  q->efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (q->efd < 0)
    {
      int e = errno;

      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "eventfd: %s", g_strerror (e));
      b->n_queues--;
      g_mutex_clear (&q->lock);
      g_free (q);
      return NULL;
    }
  if (b->uring)
    {
      r = io_uring_queue_init (q->depth, &q->ring, 0);
      if (r == 0)
        {
          q->has_ring = true;
          r = io_uring_register_eventfd (&q->ring, q->efd);
        }
      if (r < 0)
        {
          g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "io_uring: %s",
                       g_strerror (-r));
          vmm_block_queue_free (q);
          return NULL;
        }
      /* The ring may have rounded the depth up; never use more than it has. */
      q->depth = MIN (q->depth, q->ring.sq.ring_entries);
    }
  return q;
}

void
vmm_block_queue_free (VmmBlockQueue *q)
{
  if (q == NULL)
    return;
  vmm_block_queue_drain (q);
  if (q->has_ring)
    io_uring_queue_exit (&q->ring);
  /* A worker may still be inside finish_async for the last request. */
  g_mutex_lock (&q->lock);
  g_mutex_unlock (&q->lock);
  g_mutex_clear (&q->lock);
  close (q->efd);
  q->backend->n_queues--;
  g_free (q);
}

int
vmm_block_queue_get_fd (VmmBlockQueue *q)
{
  return q->efd;
}

unsigned
vmm_block_queue_in_flight (VmmBlockQueue *q)
{
  return q->in_flight;
}

static bool
direct_ok (VmmBlockBackend *b, VmmBlockRequest *req)
{
  if (b->direct_fd < 0 || g_atomic_int_get (&b->direct_broken))
    return false;
  if (req->host_offset % b->off_align != 0)
    return false;
  for (unsigned i = 0; i < req->niov; i++)
    if ((uintptr_t) req->iov[i].iov_base % b->mem_align != 0
        || req->iov[i].iov_len % b->off_align != 0)
      return false;
  return true;
}

/* Puts @req into the ring; the caller made sure a slot is free. */
static void
prep_ring (VmmBlockQueue *q, VmmBlockRequest *req)
{
  VmmBlockBackend *b = q->backend;
  struct io_uring_sqe *sqe = io_uring_get_sqe (&q->ring);
  unsigned niov = MIN (req->niov, (unsigned) IOV_MAX);
  uint64_t offset = req->host_offset + req->moved;
  int fd;

  g_assert (sqe != NULL);
  switch (req->op)
    {
    case VMM_BLOCK_OP_READ:
    case VMM_BLOCK_OP_WRITE:
      /* Decided once per request: a retry after a short transfer may be
       * unaligned, and then the buffered descriptor takes the rest. */
      req->direct = req->moved == 0 ? direct_ok (b, req) : req->direct && direct_ok (b, req);
      fd = req->direct ? b->direct_fd : b->fd;
      if (req->op == VMM_BLOCK_OP_READ)
        io_uring_prep_readv (sqe, fd, req->iov, niov, offset);
      else
        io_uring_prep_writev (sqe, fd, req->iov, niov, offset);
      break;
    case VMM_BLOCK_OP_FLUSH:
      io_uring_prep_fsync (sqe, b->fd, IORING_FSYNC_DATASYNC);
      break;
    case VMM_BLOCK_OP_DISCARD:
      io_uring_prep_fallocate (sqe, b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                               req->offset, req->len);
      break;
    case VMM_BLOCK_OP_WRITE_ZEROES:
      io_uring_prep_fallocate (sqe, b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                               req->offset, req->len);
      break;
    default:
      g_assert_not_reached ();
    }
  io_uring_sqe_set_data (sqe, req);
  q->ring_busy++;
  q->unsubmitted++;
}

static void
list_push (VmmBlockRequest **head, VmmBlockRequest **tail, VmmBlockRequest *req)
{
  req->next = NULL;
  if (*tail != NULL)
    (*tail)->next = req;
  else
    *head = req;
  *tail = req;
}

static VmmBlockRequest *
list_pop (VmmBlockRequest **head, VmmBlockRequest **tail)
{
  VmmBlockRequest *req = *head;

  *head = req->next;
  if (*head == NULL)
    *tail = NULL;
  req->next = NULL;
  return req;
}

static void
to_ring (VmmBlockQueue *q, VmmBlockRequest *req)
{
  if (q->ring_busy < q->depth && q->backlog_head == NULL)
    prep_ring (q, req);
  else
    list_push (&q->backlog_head, &q->backlog_tail, req);
}

/* Routes waiting qcow2 requests, in order. Data on clusters the image
 * owns goes to the ring at its host offset, and so do writes to
 * clusters that the image can allocate for them at once (committed in
 * vmm_block_queue_complete); anything else goes to the pool, where the
 * image layer may allocate, remap and free clusters. A freed cluster can
 * be handed out again at once, so a mapped transfer still in flight would
 * then read or overwrite another part of the disk: the pool therefore
 * starts only once no mapped I/O is in flight, and nothing is mapped while
 * the pool holds a request (its metadata changes are done when it
 * completes). While the pool is busy, data requests join it rather than
 * wait. A request that touches a cluster whose allocation is in flight
 * is neither mapped (the cluster is not in the L2 table yet) nor
 * allocated again (vmm_image_alloc refuses it): it waits at the head,
 * and goes to the pool once the allocation has been committed, so it
 * sees, and merges with, the data just written. */
static void
dispatch (VmmBlockQueue *q)
{
  VmmBlockBackend *b = q->backend;

  while (q->wait_head != NULL)
    {
      VmmBlockRequest *req = q->wait_head;
      bool data = req->op == VMM_BLOCK_OP_READ || req->op == VMM_BLOCK_OP_WRITE;
      uint64_t host;

      if (q->pool_busy == 0 && data
          && vmm_image_map (b->image, req->offset, req->len, req->op == VMM_BLOCK_OP_WRITE,
                            &host) == 1)
        {
          list_pop (&q->wait_head, &q->wait_tail);
          req->mapped = true;
          req->host_offset = host;
          q->mapped_busy++;
          to_ring (q, req);
          continue;
        }
      if (q->pool_busy == 0 && req->op == VMM_BLOCK_OP_WRITE
          && vmm_image_alloc (b->image, req->offset, req->len, &req->alloc) == 1)
        {
          list_pop (&q->wait_head, &q->wait_tail);
          req->mapped = true;
          req->allocating = true;
          req->host_offset = req->alloc.host_offset;
          q->mapped_busy++;
          to_ring (q, req);
          continue;
        }
      if (q->mapped_busy > 0)
        break;
      list_pop (&q->wait_head, &q->wait_tail);
      req->barrier = true;
      q->pool_busy++;
      g_thread_pool_push (b->pool, req, NULL);
    }
}

static void
fail_now (VmmBlockQueue *q, VmmBlockRequest *req, int error)
{
  req->result = error;
  finish_async (req);
}

void
vmm_block_queue_submit (VmmBlockQueue *q, VmmBlockRequest *req)
{
  VmmBlockBackend *b = q->backend;
  bool data = req->op == VMM_BLOCK_OP_READ || req->op == VMM_BLOCK_OP_WRITE;
  uint64_t len = data ? iov_total (req->iov, req->niov) : req->len;

  req->queue = q;
  req->moved = 0;
  req->host_offset = req->offset;
  req->direct = false;
  req->mapped = false;
  req->barrier = false;
  req->allocating = false;
  req->result = 0;
  req->next = NULL;
  q->in_flight++;

  if (req->op > VMM_BLOCK_OP_WRITE_ZEROES)
    {
      fail_now (q, req, -EINVAL);
      return;
    }
  if (req->op != VMM_BLOCK_OP_READ && req->op != VMM_BLOCK_OP_FLUSH && b->read_only)
    {
      fail_now (q, req, -EROFS);
      return;
    }
  if (req->offset > b->size || len > b->size - req->offset)
    {
      fail_now (q, req, -EINVAL);
      return;
    }
  if (req->op != VMM_BLOCK_OP_FLUSH && len == 0)
    {
      fail_now (q, req, 0);
      return;
    }
  if (data)
    req->len = len;

  if (b->mapped)
    {
      list_push (&q->wait_head, &q->wait_tail, req);
      dispatch (q);
    }
  else if (q->has_ring)
    to_ring (q, req);
  else
    g_thread_pool_push (b->pool, req, NULL);
}

void
vmm_block_queue_kick (VmmBlockQueue *q)
{
  int r;

  if (!q->has_ring || q->unsubmitted == 0)
    return;
  do
    r = io_uring_submit (&q->ring);
  while (r == -EINTR || r == -EAGAIN);
  if (r >= 0)
    {
      q->unsubmitted -= MIN ((unsigned) r, q->unsubmitted);
      return;
    }
  /* The kernel took none of them (out of memory, say): the requests stay
   * in the submission ring and go with the next kick; a completion or the
   * next guest notification brings one. */
  g_warning ("io_uring_submit: %s", g_strerror (-r));
}

typedef enum {
  RING_DONE,      /* req->result is final */
  RING_RETRY,     /* the rest of a short transfer, or another try */
  RING_TO_POOL,   /* a worker finishes it */
} RingOutcome;

/* What a ring completion means for its request. */
static RingOutcome
ring_result (VmmBlockQueue *q, VmmBlockRequest *req, int res)
{
  VmmBlockBackend *b = q->backend;

  if (res == -EINTR || res == -EAGAIN)
    return RING_RETRY;
  switch (req->op)
    {
    case VMM_BLOCK_OP_READ:
    case VMM_BLOCK_OP_WRITE:
      if (res == -EINVAL && req->direct)
        {
          /* Alignment the file system reported but does not honour:
           * buffered I/O from now on, for every queue. */
          g_atomic_int_set (&b->direct_broken, 1);
          req->direct = false;
          return RING_RETRY;
        }
      if (res < 0)
        {
          req->result = res;
          return RING_DONE;
        }
      if (res == 0)
        {
          /* Read at end of file (it shrank): zeros, like the image layer;
           * a write that moves nothing is an error. */
          if (req->op == VMM_BLOCK_OP_READ)
            iov_zero (req->iov, req->niov);
          req->result = req->op == VMM_BLOCK_OP_READ ? 0 : -EIO;
          return RING_DONE;
        }
      req->moved += (uint64_t) res;
      iov_advance (req, (uint64_t) res);
      req->result = 0;
      return req->moved >= req->len ? RING_DONE : RING_RETRY;
    case VMM_BLOCK_OP_DISCARD:
      /* Only a hint: a file system that cannot punch holes still did
       * what the guest may rely on. */
      req->result = 0;
      return RING_DONE;
    case VMM_BLOCK_OP_WRITE_ZEROES:
      if (res == -EOPNOTSUPP || res == -EINVAL || res == -ENOSYS)
        {
          /* No ZERO_RANGE here: the image layer writes zeros instead. */
          g_thread_pool_push (b->pool, req, NULL);
          return RING_TO_POOL;
        }
      req->result = res < 0 ? res : 0;
      return RING_DONE;
    case VMM_BLOCK_OP_FLUSH:
    default:
      req->result = res < 0 ? res : 0;
      return RING_DONE;
    }
}

unsigned
vmm_block_queue_complete (VmmBlockQueue *q)
{
  VmmBlockRequest *done_head = NULL, *done_tail = NULL, *req;
  unsigned count = 0;
  eventfd_t value;

  (void) eventfd_read (q->efd, &value);

  if (q->has_ring)
    {
      struct io_uring_cqe *cqe;

      while (io_uring_peek_cqe (&q->ring, &cqe) == 0)
        {
          req = io_uring_cqe_get_data (cqe);
          int res = cqe->res;

          io_uring_cqe_seen (&q->ring, cqe);
          q->ring_busy--;
          switch (ring_result (q, req, res))
            {
            case RING_RETRY:
              prep_ring (q, req);
              continue;
            case RING_TO_POOL:
              continue;
            case RING_DONE:
            default:
              break;
            }
          req->next = NULL;
          if (done_tail != NULL)
            done_tail->next = req;
          else
            done_head = req;
          done_tail = req;
        }
    }

  g_mutex_lock (&q->lock);
  if (q->finished_head != NULL)
    {
      if (done_tail != NULL)
        done_tail->next = q->finished_head;
      else
        done_head = q->finished_head;
      q->finished_head = q->finished_tail = NULL;
    }
  g_mutex_unlock (&q->lock);

  if (q->backend->mapped)
    {
      for (req = done_head; req != NULL; req = req->next)
        {
          /* The new entries go in before the guest hears of the write,
           * so that its next read finds the data. */
          if (req->allocating)
            {
              int r = vmm_image_alloc_commit (q->backend->image, &req->alloc, req->result);

              if (req->result == 0)
                req->result = r;
              req->allocating = false;
            }
          if (req->mapped)
            q->mapped_busy--;
          if (req->barrier)
            q->pool_busy--;
        }
      dispatch (q);
    }
  if (q->has_ring)
    {
      while (q->backlog_head != NULL && q->ring_busy < q->depth)
        prep_ring (q, list_pop (&q->backlog_head, &q->backlog_tail));
      vmm_block_queue_kick (q);
    }

  /* Callbacks run last: they may submit new requests. */
  while (done_head != NULL)
    {
      req = done_head;
      done_head = req->next;
      req->next = NULL;
      q->in_flight--;
      count++;
      req->done (req, req->opaque);
    }
  return count;
}

void
vmm_block_queue_drain (VmmBlockQueue *q)
{
  vmm_block_queue_kick (q);
  while (q->in_flight > 0)
    {
      struct pollfd pfd = { .fd = q->efd, .events = POLLIN };

      if (vmm_block_queue_complete (q) > 0)
        continue;
      if (q->in_flight > 0)
        (void) poll (&pfd, 1, 100);
    }
}
