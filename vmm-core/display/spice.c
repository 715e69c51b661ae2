/* spice.c: the embedded SPICE server; see spice.h.
 *
 * Simple-display mode, as a display without a QXL device drives
 * spice-server: one host memory slot covering the whole address space (so
 * QXL "physical" addresses are plain pointers), a primary surface in
 * memory of our own, and every change of the guest's screen sent as a
 * QXL_DRAW_COPY of a private copy of the changed pixels. The copy is taken
 * lazily, when spice-server's worker asks for the next command, so a burst
 * of updates to the same area costs one copy.
 *
 * Threads: the server thread owns the SpiceServer (every spice_server_*
 * call and every core callback happens there); spice-server's worker
 * thread calls the QXL interface (commands, releases); the display's
 * producers call the listener. `lock` guards what those share: the dirty
 * rectangles, the pending cursor commands, the primary's identity and the
 * commands handed to the worker.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "spice.h"
#include "spice-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_DIRTY 16
#define MEMSLOT_GROUP 0
/* What viewers see while the guest has no mode set. */
#define BLANK_WIDTH 640
#define BLANK_HEIGHT 480

/* Both kinds of command start with their kind: release_info.id points at
 * the command, and that is how a release finds out what it frees. */
enum { COMMAND_DRAW, COMMAND_CURSOR };

typedef struct {
  int kind;
  QXLCommandExt ext;
  QXLDrawable drawable;
  QXLImage image;
  uint8_t *pixels;
  size_t pixels_size;
} DrawCommand;

typedef struct {
  int kind;
  QXLCommandExt ext;
  QXLCursorCmd cmd;
  QXLCursor *shape;         /* with its pixels after it; NULL for a move */
} CursorCommand;

typedef struct {
  VmmSpice *spice;
  int fd;
  GSource *source;
  char *path;               /* unix: removed on close */
} Listener;

struct _VmmSpice {
  VmmDisplay *display;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex sync_lock;
  GCond sync_cond;
  bool started;
  GError *start_error;

  /* Server thread only. */
  SpiceServer *server;
  QXLInstance qxl;
  VmmSpiceInput input;
  VmmSpiceAgent agent;
  bool qxl_added;
  uint8_t *primary_mem;
  GPtrArray *listeners;

  GMutex lock;
  bool primary;             /* a primary surface exists for primary_serial */
  uint64_t primary_serial;
  uint32_t primary_width, primary_height;
  bool mode_pending;        /* a mode switch is scheduled on the server thread */
  VmmDisplayRect dirty[MAX_DIRTY];
  unsigned n_dirty;
  bool notify_display, notify_cursor;
  CursorCommand *cursor_set, *cursor_move;
  GHashTable *handed_out;   /* commands the worker has not released */
  uint32_t unique;
  /* The pixels of the last large command released, for the next one: a
   * fresh full-screen buffer every frame would cost the page faults of
   * mapping it again (megabytes, thousands of faults) each time. */
  uint8_t *spare_pixels;
  size_t spare_size;
};

#define SPICE_OF(ptr, member) \
  ((VmmSpice *) (void *) ((char *) (ptr) - G_STRUCT_OFFSET (VmmSpice, member)))

/* ---- running things on the server thread ---- */

typedef struct {
  VmmSpice *spice;
  void (*func) (VmmSpice *spice, void *data);
  void *data;
  bool done;
} SyncCall;

static gboolean
on_sync_call_cb (gpointer user_data)
{
  SyncCall *call = user_data;

  call->func (call->spice, call->data);
  g_mutex_lock (&call->spice->sync_lock);
  call->done = true;
  g_cond_broadcast (&call->spice->sync_cond);
  g_mutex_unlock (&call->spice->sync_lock);
  return G_SOURCE_REMOVE;
}

/* Calls func on the server thread and waits for it. */
static void
run_sync (VmmSpice *spice, void (*func) (VmmSpice *, void *), void *data)
{
  SyncCall call = { spice, func, data, false };
  GSource *source;

  if (g_main_context_is_owner (spice->context)) {
    func (spice, data);
    return;
  }
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, on_sync_call_cb, &call, NULL);
  g_source_attach (source, spice->context);
  g_source_unref (source);

  g_mutex_lock (&spice->sync_lock);
  while (!call.done)
    g_cond_wait (&spice->sync_cond, &spice->sync_lock);
  g_mutex_unlock (&spice->sync_lock);
}

/* Queues func on the server thread without waiting. Never runs it inline,
 * even on the server thread, because callers may be inside spice-server. */
static void
run_async (VmmSpice *spice, GSourceFunc func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, func, spice, NULL);
  g_source_attach (source, spice->context);
  g_source_unref (source);
}

/* ---- commands ---- */

/* Buffers smaller than this come from malloc's free lists anyway. */
#define SPARE_MIN_SIZE (256 * 1024)

/* Called with the lock held. */
static uint8_t *
pixels_take (VmmSpice *spice, size_t size)
{
  uint8_t *pixels;

  if (size < SPARE_MIN_SIZE || spice->spare_pixels == NULL || spice->spare_size < size ||
      spice->spare_size / 2 > size)
    return g_malloc (size);
  pixels = g_steal_pointer (&spice->spare_pixels);
  spice->spare_size = 0;
  return pixels;
}

static void
command_free (VmmSpice *spice, void *command)
{
  if (*(int *) command == COMMAND_DRAW) {
    DrawCommand *draw = command;
    uint8_t *old = NULL;

    /* The larger buffer is kept: full-screen frames are the costly ones. */
    if (spice != NULL && draw->pixels_size >= SPARE_MIN_SIZE) {
      g_mutex_lock (&spice->lock);
      if (draw->pixels_size > spice->spare_size) {
        old = spice->spare_pixels;
        spice->spare_pixels = g_steal_pointer (&draw->pixels);
        spice->spare_size = draw->pixels_size;
      }
      g_mutex_unlock (&spice->lock);
    }
    g_free (old);
    g_free (draw->pixels);
    g_free (draw);
  } else {
    CursorCommand *cursor = command;

    g_free (cursor->shape);
    g_free (cursor);
  }
}

static uint32_t
mm_time_now (void)
{
  return (uint32_t) (g_get_monotonic_time () / 1000);
}

/* Called with the lock held. */
static DrawCommand *
draw_command_new (VmmSpice *spice, const VmmDisplayRect *r)
{
  DrawCommand *draw = g_new0 (DrawCommand, 1);
  QXLDrawable *d = &draw->drawable;
  QXLImage *image = &draw->image;

  draw->kind = COMMAND_DRAW;
  draw->pixels_size = (size_t) r->width * r->height * 4;
  draw->pixels = pixels_take (spice, draw->pixels_size);
  draw->ext.cmd.type = QXL_CMD_DRAW;
  draw->ext.cmd.data = (QXLPHYSICAL) (uintptr_t) d;
  draw->ext.group_id = MEMSLOT_GROUP;

  d->release_info.id = (uint64_t) (uintptr_t) draw;
  d->surface_id = 0;
  d->effect = QXL_EFFECT_OPAQUE;
  d->type = QXL_DRAW_COPY;
  d->bbox.left = (int32_t) r->x;
  d->bbox.top = (int32_t) r->y;
  d->bbox.right = (int32_t) (r->x + r->width);
  d->bbox.bottom = (int32_t) (r->y + r->height);
  d->clip.type = SPICE_CLIP_TYPE_NONE;
  d->mm_time = mm_time_now ();
  d->surfaces_dest[0] = d->surfaces_dest[1] = d->surfaces_dest[2] = -1;
  d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
  d->u.copy.src_bitmap = (QXLPHYSICAL) (uintptr_t) image;
  d->u.copy.src_area.right = (int32_t) r->width;
  d->u.copy.src_area.bottom = (int32_t) r->height;

  /* Every copy is new pixels: a unique id and no caching flag. */
  QXL_SET_IMAGE_ID (image, QXL_IMAGE_GROUP_DEVICE, spice->unique++);
  image->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
  image->descriptor.width = r->width;
  image->descriptor.height = r->height;
  image->bitmap.format = SPICE_BITMAP_FMT_32BIT;
  image->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
  image->bitmap.x = r->width;
  image->bitmap.y = r->height;
  image->bitmap.stride = r->width * 4;
  image->bitmap.data = (QXLPHYSICAL) (uintptr_t) draw->pixels;
  return draw;
}

static CursorCommand *
cursor_command_new (uint8_t type)
{
  CursorCommand *c = g_new0 (CursorCommand, 1);

  c->kind = COMMAND_CURSOR;

  c->ext.cmd.type = QXL_CMD_CURSOR;
  c->ext.cmd.data = (QXLPHYSICAL) (uintptr_t) &c->cmd;
  c->ext.group_id = MEMSLOT_GROUP;
  c->cmd.release_info.id = (uint64_t) (uintptr_t) c;
  c->cmd.type = type;
  return c;
}

static bool
rects_touch (const VmmDisplayRect *a, const VmmDisplayRect *b)
{
  return a->x <= b->x + b->width && b->x <= a->x + a->width &&
         a->y <= b->y + b->height && b->y <= a->y + a->height;
}

static void
rect_union (VmmDisplayRect *dst, const VmmDisplayRect *r)
{
  uint32_t x2 = MAX (dst->x + dst->width, r->x + r->width);
  uint32_t y2 = MAX (dst->y + dst->height, r->y + r->height);

  dst->x = MIN (dst->x, r->x);
  dst->y = MIN (dst->y, r->y);
  dst->width = x2 - dst->x;
  dst->height = y2 - dst->y;
}

/* Adds to the dirty set, merging rectangles that touch so that a repaint
 * of one area is sent once; beyond MAX_DIRTY everything becomes one
 * bounding box. Called with the lock held. */
static void
dirty_add (VmmSpice *spice, const VmmDisplayRect *r)
{
  VmmDisplayRect merged = *r;
  unsigned i = 0;

  while (i < spice->n_dirty) {
    if (rects_touch (&spice->dirty[i], &merged)) {
      rect_union (&merged, &spice->dirty[i]);
      spice->dirty[i] = spice->dirty[--spice->n_dirty];
      i = 0;
    } else {
      i++;
    }
  }
  if (spice->n_dirty == MAX_DIRTY) {
    for (i = 1; i < spice->n_dirty; i++)
      rect_union (&spice->dirty[0], &spice->dirty[i]);
    spice->n_dirty = 1;
    rect_union (&spice->dirty[0], &merged);
    return;
  }
  spice->dirty[spice->n_dirty++] = merged;
}

/* ---- the QXL interface (spice-server's worker thread) ---- */

static void
qxl_attached_worker (QXLInstance *qin)
{
}

static void
qxl_set_compression_level (QXLInstance *qin, int level)
{
}

static void
qxl_get_init_info (QXLInstance *qin, QXLDevInitInfo *info)
{
  memset (info, 0, sizeof *info);
  info->num_memslots_groups = 1;
  info->num_memslots = 1;
  info->memslot_gen_bits = 8;
  info->memslot_id_bits = 8;
  info->internal_groupslot_id = 0;
  info->qxl_ram_size = 16 << 20;
  info->n_surfaces = 1;
}

static int
qxl_get_command (QXLInstance *qin, QXLCommandExt *ext)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);

  for (;;) {
    VmmDisplayRect r;
    uint64_t serial;
    DrawCommand *draw;

    g_mutex_lock (&spice->lock);
    if (!spice->primary || spice->mode_pending || spice->n_dirty == 0) {
      g_mutex_unlock (&spice->lock);
      return 0;
    }
    r = spice->dirty[0];
    spice->dirty[0] = spice->dirty[--spice->n_dirty];
    serial = spice->primary_serial;
    draw = draw_command_new (spice, &r);
    g_mutex_unlock (&spice->lock);

    /* Copied outside our lock: the display has its own, and a producer
     * waiting on ours must not wait for a full-screen copy. */
    if (vmm_display_read_xrgb (spice->display, serial, &r, draw->pixels, (size_t) r.width * 4) < 0) {
      /* The mode changed under us; the switch repaints everything. */
      command_free (spice, draw);
      continue;
    }

    g_mutex_lock (&spice->lock);
    g_hash_table_add (spice->handed_out, draw);
    g_mutex_unlock (&spice->lock);
    *ext = draw->ext;
    return 1;
  }
}

static int
qxl_req_cmd_notification (QXLInstance *qin)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);
  int wait;

  g_mutex_lock (&spice->lock);
  wait = !(spice->primary && !spice->mode_pending && spice->n_dirty > 0);
  spice->notify_display = wait;
  g_mutex_unlock (&spice->lock);
  return wait;
}

static void
qxl_release_resource (QXLInstance *qin, QXLReleaseInfoExt release_info)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);
  void *command = (void *) (uintptr_t) release_info.info->id;
  bool ours;

  g_mutex_lock (&spice->lock);
  ours = g_hash_table_remove (spice->handed_out, command);
  g_mutex_unlock (&spice->lock);
  if (ours)
    command_free (spice, command);
  else
    g_warning ("spice: release of a resource that was not handed out");
}

static int
qxl_get_cursor_command (QXLInstance *qin, QXLCommandExt *ext)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);
  CursorCommand *c;

  g_mutex_lock (&spice->lock);
  if (spice->cursor_set != NULL) {
    c = g_steal_pointer (&spice->cursor_set);
  } else if (spice->cursor_move != NULL) {
    c = g_steal_pointer (&spice->cursor_move);
  } else {
    g_mutex_unlock (&spice->lock);
    return 0;
  }
  g_hash_table_add (spice->handed_out, c);
  g_mutex_unlock (&spice->lock);
  *ext = c->ext;
  return 1;
}

static int
qxl_req_cursor_notification (QXLInstance *qin)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);
  int wait;

  g_mutex_lock (&spice->lock);
  wait = spice->cursor_set == NULL && spice->cursor_move == NULL;
  spice->notify_cursor = wait;
  g_mutex_unlock (&spice->lock);
  return wait;
}

/* The next three belong to QXL's native (guest driver) mode, which this
 * display never enters. */
static void
qxl_notify_update (QXLInstance *qin, uint32_t update_id)
{
  g_warning ("spice: unexpected notify_update in simple-display mode");
}

static int
qxl_flush_resources (QXLInstance *qin)
{
  g_warning ("spice: unexpected flush_resources in simple-display mode");
  return 0;
}

static void
qxl_async_complete (QXLInstance *qin, uint64_t cookie)
{
  g_warning ("spice: unexpected async_complete in simple-display mode");
}

static void
qxl_update_area_complete (QXLInstance *qin, uint32_t surface_id, QXLRect *updated_rects,
                          uint32_t num_updated_rects)
{
  g_warning ("spice: unexpected update_area_complete in simple-display mode");
}

static void
qxl_set_client_capabilities (QXLInstance *qin, uint8_t client_present,
                             uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
  VmmSpice *spice = SPICE_OF (qin, qxl);

  /* The server calls this as display clients come and go (false once the
   * last has gone): a polling device may rest while nobody looks. */
  vmm_display_set_watched (spice->display, client_present != 0);
}

/* The viewer's window size (server thread). Only the first monitor
 * counts: the display has one head. */
static int
qxl_client_monitors_config (QXLInstance *qin, VDAgentMonitorsConfig *config)
{
  VmmSpice *spice = SPICE_OF (qin, qxl);
  int ret;

  if (config == NULL)
    return 1;
  if (config->num_of_monitors < 1)
    return 1;
  ret = vmm_display_request_size (spice->display, config->monitors[0].width,
                                  config->monitors[0].height);
  if (ret < 0 && ret != -ENOTSUP)
    g_debug ("spice: size %ux%u refused: %s", config->monitors[0].width,
             config->monitors[0].height, g_strerror (-ret));
  return ret != -ENOTSUP;
}

static const QXLInterface qxl_interface = {
  .base = {
    .type = SPICE_INTERFACE_QXL,
    .description = "vireo simple display",
    .major_version = SPICE_INTERFACE_QXL_MAJOR,
    .minor_version = SPICE_INTERFACE_QXL_MINOR,
  },
  .attached_worker = qxl_attached_worker,
  .set_compression_level = qxl_set_compression_level,
  .get_init_info = qxl_get_init_info,
  .get_command = qxl_get_command,
  .req_cmd_notification = qxl_req_cmd_notification,
  .release_resource = qxl_release_resource,
  .get_cursor_command = qxl_get_cursor_command,
  .req_cursor_notification = qxl_req_cursor_notification,
  .notify_update = qxl_notify_update,
  .flush_resources = qxl_flush_resources,
  .async_complete = qxl_async_complete,
  .update_area_complete = qxl_update_area_complete,
  .set_client_capabilities = qxl_set_client_capabilities,
  .client_monitors_config = qxl_client_monitors_config,
};

/* ---- mode switches (server thread) ---- */

static void
destroy_primary (VmmSpice *spice)
{
  bool had;
  uint8_t *spare;

  g_mutex_lock (&spice->lock);
  had = spice->primary;
  spice->primary = false;
  spice->n_dirty = 0;
  /* Sized for the old mode. */
  spare = g_steal_pointer (&spice->spare_pixels);
  spice->spare_size = 0;
  g_mutex_unlock (&spice->lock);
  g_free (spare);
  if (had)
    spice_qxl_destroy_primary_surface (&spice->qxl, 0);
  g_clear_pointer (&spice->primary_mem, g_free);
}

static gboolean
on_mode_changed_cb (gpointer user_data)
{
  VmmSpice *spice = user_data;
  VmmDisplayMode mode;
  QXLDevSurfaceCreate create = { 0 };
  bool blank;
  bool wake;

  g_mutex_lock (&spice->lock);
  spice->mode_pending = false;
  g_mutex_unlock (&spice->lock);
  if (spice->server == NULL)
    return G_SOURCE_REMOVE;

  vmm_display_get_mode (spice->display, &mode);
  destroy_primary (spice);
  /* Without a surface (the screen is off) viewers get a black one: clients
   * take the first primary surface a cursor channel sees after connecting
   * as its initialisation, so there must always be one. */
  blank = !mode.valid;
  if (blank) {
    mode.width = BLANK_WIDTH;
    mode.height = BLANK_HEIGHT;
  }

  /* spice-server renders into this memory: it is what a newly connected
   * client is sent. */
  spice->primary_mem = g_try_malloc0 ((size_t) mode.width * mode.height * 4);
  if (spice->primary_mem == NULL) {
    g_warning ("spice: no memory for a %ux%u screen", mode.width, mode.height);
    return G_SOURCE_REMOVE;
  }
  create.format = SPICE_SURFACE_FMT_32_xRGB;
  create.width = mode.width;
  create.height = mode.height;
  create.stride = -(int32_t) (mode.width * 4);
  create.mouse_mode = 1;    /* the tablet makes client pointer mode possible */
  create.mem = (uint64_t) (uintptr_t) spice->primary_mem;
  create.group_id = MEMSLOT_GROUP;
  spice_qxl_create_primary_surface (&spice->qxl, 0, &create);

  g_mutex_lock (&spice->lock);
  spice->primary = true;
  spice->primary_serial = mode.serial;
  spice->primary_width = mode.width;
  spice->primary_height = mode.height;
  spice->dirty[0] = (VmmDisplayRect) { 0, 0, mode.width, mode.height };
  spice->n_dirty = blank ? 0 : 1;
  /* The worker may have stopped polling while there was no primary, with
   * or without asking to be notified: always wake it for new work. */
  wake = !blank;
  spice->notify_display = false;
  g_mutex_unlock (&spice->lock);
  if (wake)
    spice_qxl_wakeup (&spice->qxl);
  return G_SOURCE_REMOVE;
}

/* ---- the display's listener (producer threads) ---- */

static void
on_surface_changed (void *opaque)
{
  VmmSpice *spice = opaque;
  bool schedule;

  g_mutex_lock (&spice->lock);
  spice->n_dirty = 0;
  schedule = !spice->mode_pending;
  spice->mode_pending = true;
  g_mutex_unlock (&spice->lock);
  if (schedule)
    run_async (spice, on_mode_changed_cb);
}

static void
on_update (void *opaque, const VmmDisplayRect *rect)
{
  VmmSpice *spice = opaque;
  bool wake = false;

  g_mutex_lock (&spice->lock);
  /* Until the mode switch has run, the full repaint it queues covers this. */
  if (spice->primary && !spice->mode_pending) {
    VmmDisplayRect r = *rect;

    /* The display clipped to its surface, which may be newer than ours. */
    if (r.x < spice->primary_width && r.y < spice->primary_height) {
      r.width = MIN (r.width, spice->primary_width - r.x);
      r.height = MIN (r.height, spice->primary_height - r.y);
      /* Wake the worker when it asked to be, and whenever work appears
       * where there was none: spice-server's worker may stop polling
       * without asking (after its poll retries), and a spare wakeup costs
       * one message. */
      wake = spice->notify_display || spice->n_dirty == 0;
      dirty_add (spice, &r);
      spice->notify_display = false;
    }
  }
  g_mutex_unlock (&spice->lock);
  /* spice_qxl_wakeup() only posts a message to the worker: safe anywhere. */
  if (wake)
    spice_qxl_wakeup (&spice->qxl);
}

static void
queue_cursor (VmmSpice *spice, CursorCommand *c, bool is_set)
{
  CursorCommand *old_set = NULL, *old_move = NULL;
  bool wake;

  g_mutex_lock (&spice->lock);
  if (is_set) {
    /* A new shape supersedes any shape and move not yet sent. */
    old_set = spice->cursor_set;
    old_move = spice->cursor_move;
    spice->cursor_set = c;
    spice->cursor_move = NULL;
  } else {
    old_move = spice->cursor_move;
    spice->cursor_move = c;
  }
  wake = (spice->notify_cursor || (old_set == NULL && old_move == NULL)) && spice->qxl_added;
  spice->notify_cursor = false;
  g_mutex_unlock (&spice->lock);
  if (old_set != NULL)
    command_free (spice, old_set);
  if (old_move != NULL)
    command_free (spice, old_move);
  if (wake)
    spice_qxl_wakeup (&spice->qxl);
}

static void
on_cursor_changed (void *opaque)
{
  VmmSpice *spice = opaque;
  VmmDisplayCursor cursor;
  g_autofree uint32_t *pixels = NULL;
  CursorCommand *c;
  size_t size;

  if (!vmm_display_get_cursor (spice->display, &cursor, &pixels)) {
    queue_cursor (spice, cursor_command_new (QXL_CURSOR_HIDE), true);
    return;
  }
  size = (size_t) cursor.width * cursor.height * 4;
  c = cursor_command_new (QXL_CURSOR_SET);
  c->shape = g_malloc0 (sizeof (QXLCursor) + size);
  c->shape->header.unique = 0;
  c->shape->header.type = SPICE_CURSOR_TYPE_ALPHA;
  c->shape->header.width = (uint16_t) cursor.width;
  c->shape->header.height = (uint16_t) cursor.height;
  c->shape->header.hot_spot_x = (uint16_t) cursor.hot_x;
  c->shape->header.hot_spot_y = (uint16_t) cursor.hot_y;
  c->shape->data_size = (uint32_t) size;
  c->shape->chunk.data_size = (uint32_t) size;
  memcpy (c->shape->chunk.data, pixels, size);
  c->cmd.u.set.visible = 1;
  c->cmd.u.set.shape = (QXLPHYSICAL) (uintptr_t) c->shape;
  queue_cursor (spice, c, true);
}

static void
on_cursor_moved (void *opaque, int32_t x, int32_t y)
{
  CursorCommand *c = cursor_command_new (QXL_CURSOR_MOVE);

  c->cmd.u.position.x = (int16_t) CLAMP (x, INT16_MIN, INT16_MAX);
  c->cmd.u.position.y = (int16_t) CLAMP (y, INT16_MIN, INT16_MAX);
  queue_cursor (opaque, c, false);
}

static gboolean
on_leds_changed_cb (gpointer user_data)
{
  VmmSpice *spice = user_data;

  if (spice->server != NULL)
    vmm_spice_input_leds_changed (&spice->input);
  return G_SOURCE_REMOVE;
}

static void
on_leds_changed (void *opaque, uint32_t leds)
{
  run_async (opaque, on_leds_changed_cb);
}

static gboolean
on_absolute_changed_cb (gpointer user_data)
{
  VmmSpice *spice = user_data;

  if (spice->server != NULL)
    vmm_spice_input_sync_tablet (&spice->input, spice->server);
  return G_SOURCE_REMOVE;
}

static void
on_absolute_changed (void *opaque, bool absolute)
{
  run_async (opaque, on_absolute_changed_cb);
}

static const VmmDisplayListenerOps listener_ops = {
  .surface_changed = on_surface_changed,
  .update = on_update,
  .cursor_changed = on_cursor_changed,
  .cursor_moved = on_cursor_moved,
  .leds_changed = on_leds_changed,
  .absolute_changed = on_absolute_changed,
};

/* ---- the server thread ---- */

static bool
server_start (VmmSpice *spice, GError **error)
{
  QXLDevMemSlot slot = { 0 };

  spice->server = spice_server_new ();
  if (spice->server == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not create the SPICE server");
    return false;
  }
  spice_server_set_noauth (spice->server);
  /* The fast path is a local socket: compression would only cost CPU and
   * latency, and video streaming would blur the guest's screen. */
  spice_server_set_image_compression (spice->server, SPICE_IMAGE_COMPRESSION_OFF);
  spice_server_set_jpeg_compression (spice->server, SPICE_WAN_COMPRESSION_NEVER);
  spice_server_set_zlib_glz_compression (spice->server, SPICE_WAN_COMPRESSION_NEVER);
  spice_server_set_streaming_video (spice->server, SPICE_STREAM_VIDEO_OFF);
  spice_server_set_agent_mouse (spice->server, 0);
  if (spice_server_init (spice->server, vmm_spice_core_interface ()) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not start the SPICE server");
    return false;
  }

  spice->qxl.base.sif = &qxl_interface.base;
  spice->qxl.id = 0;
  if (spice_server_add_interface (spice->server, &spice->qxl.base) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not add the SPICE display");
    return false;
  }
  /* One slot over the whole address space: QXL addresses are pointers. */
  slot.slot_group_id = MEMSLOT_GROUP;
  slot.slot_id = 0;
  slot.virt_start = 0;
  slot.virt_end = ~(uintptr_t) 0;
  spice_qxl_add_memslot (&spice->qxl, &slot);

  if (!vmm_spice_input_attach (&spice->input, spice->server)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not add the SPICE input devices");
    return false;
  }
  if (!vmm_spice_agent_attach (&spice->agent, spice->server)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not add the SPICE display agent");
    return false;
  }
  spice_server_vm_start (spice->server);

  g_mutex_lock (&spice->lock);
  spice->qxl_added = true;
  g_mutex_unlock (&spice->lock);
  return true;
}

static gpointer
server_thread (gpointer data)
{
  VmmSpice *spice = data;
  GError *error = NULL;
  bool ok;

  g_main_context_push_thread_default (spice->context);
  ok = server_start (spice, &error);

  g_mutex_lock (&spice->sync_lock);
  spice->started = true;
  spice->start_error = error;
  g_cond_broadcast (&spice->sync_cond);
  g_mutex_unlock (&spice->sync_lock);

  if (ok)
    g_main_loop_run (spice->loop);
  g_main_context_pop_thread_default (spice->context);
  return NULL;
}

static void
listener_close (Listener *l)
{
  if (l->source != NULL) {
    g_source_destroy (l->source);
    g_source_unref (l->source);
  }
  if (l->fd >= 0)
    close (l->fd);
  if (l->path != NULL)
    unlink (l->path);
  g_free (l->path);
  g_free (l);
}

static void
server_stop (VmmSpice *spice, void *data)
{
  g_clear_pointer (&spice->listeners, g_ptr_array_unref);
  if (spice->server != NULL) {
    /* Destroying the server stops its worker, which releases what it
     * holds; whatever it does not release is freed below. (spice-server
     * 0.15 keeps the keyboard's and the mouse's small states, see
     * spice-input.c.) */
    spice_server_destroy (spice->server);
    spice->server = NULL;
  }
  vmm_spice_agent_clear (&spice->agent);
  g_clear_pointer (&spice->primary_mem, g_free);
  g_main_loop_quit (spice->loop);
}

VmmSpice *
vmm_spice_new (VmmDisplay *display, GError **error)
{
  VmmSpice *spice;

  g_return_val_if_fail (display != NULL, NULL);

  spice = g_new0 (VmmSpice, 1);
  spice->display = display;
  vmm_spice_input_init (&spice->input, display);
  spice->context = g_main_context_new ();
  spice->loop = g_main_loop_new (spice->context, FALSE);
  g_mutex_init (&spice->sync_lock);
  g_cond_init (&spice->sync_cond);
  g_mutex_init (&spice->lock);
  spice->handed_out = g_hash_table_new (NULL, NULL);
  spice->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) listener_close);

  spice->thread = g_thread_try_new ("vireo-spice", server_thread, spice, error);
  if (spice->thread == NULL) {
    vmm_spice_free (spice);
    return NULL;
  }
  g_mutex_lock (&spice->sync_lock);
  while (!spice->started)
    g_cond_wait (&spice->sync_cond, &spice->sync_lock);
  g_mutex_unlock (&spice->sync_lock);
  if (spice->start_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&spice->start_error));
    vmm_spice_free (spice);
    return NULL;
  }

  /* No client yet; the server says when one comes. */
  vmm_display_set_watched (display, false);
  vmm_display_set_listener (display, &listener_ops, spice);
  /* Show what the display has now, and the pointer if it has one. */
  on_surface_changed (spice);
  on_cursor_changed (spice);
  /* A change between the server's start and the listener. */
  on_absolute_changed (spice, true);
  return spice;
}

void
vmm_spice_free (VmmSpice *spice)
{
  GHashTableIter iter;
  gpointer key;

  if (spice == NULL)
    return;

  /* Waits for a producer inside one of our callbacks. */
  vmm_display_set_listener (spice->display, NULL, NULL);
  vmm_display_set_watched (spice->display, true);
  if (spice->thread != NULL) {
    if (spice->server != NULL)
      run_sync (spice, server_stop, NULL);
    else
      g_main_loop_quit (spice->loop);
    g_thread_join (spice->thread);
  }
  if (spice->server != NULL) {
    /* The thread failed half-way through server_start(). */
    spice_server_destroy (spice->server);
    spice->server = NULL;
  }
  vmm_spice_agent_clear (&spice->agent);
  g_clear_pointer (&spice->listeners, g_ptr_array_unref);
  g_clear_pointer (&spice->primary_mem, g_free);

  g_hash_table_iter_init (&iter, spice->handed_out);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    command_free (NULL, key);
  g_hash_table_unref (spice->handed_out);
  if (spice->cursor_set != NULL)
    command_free (NULL, spice->cursor_set);
  if (spice->cursor_move != NULL)
    command_free (NULL, spice->cursor_move);
  g_free (spice->spare_pixels);
  g_clear_error (&spice->start_error);

  g_main_loop_unref (spice->loop);
  g_main_context_unref (spice->context);
  g_mutex_clear (&spice->sync_lock);
  g_cond_clear (&spice->sync_cond);
  g_mutex_clear (&spice->lock);
  g_free (spice);
}

/* ---- clients ---- */

typedef struct {
  int fd;
  int ret;
} AddClient;

static void
add_client (VmmSpice *spice, void *data)
{
  AddClient *add = data;

  add->ret = spice_server_add_client (spice->server, add->fd, 0);
}

int
vmm_spice_open_client_fd (VmmSpice *spice, GError **error)
{
  AddClient add;
  int fds[2];

  g_return_val_if_fail (spice != NULL, -1);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    int err = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                 "Could not connect to the display: %s", g_strerror (err));
    return -1;
  }
  /* A full-screen frame is megabytes: with the default buffers both ends
   * would wake up for every few hundred kilobytes. */
  for (int i = 0; i < 2; i++) {
    int size = 4 << 20;

    setsockopt (fds[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt (fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  add.fd = fds[0];
  run_sync (spice, add_client, &add);
  if (add.ret != 0) {
    close (fds[0]);
    close (fds[1]);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "The display server refused a client");
    return -1;
  }
  return fds[1];
}

static gboolean
on_accept_cb (int fd, GIOCondition condition, gpointer user_data)
{
  Listener *l = user_data;
  int client = accept4 (fd, NULL, NULL, SOCK_CLOEXEC);

  if (client < 0) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      g_warning ("spice: accept failed: %s", g_strerror (errno));
    return G_SOURCE_CONTINUE;
  }
  if (l->path == NULL) {
    int one = 1;

    setsockopt (client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (spice_server_add_client (l->spice->server, client, 0) != 0) {
    g_warning ("spice: a viewer could not be added");
    close (client);
  }
  return G_SOURCE_CONTINUE;
}

static void
add_listener (VmmSpice *spice, void *data)
{
  Listener *l = data;

  l->source = g_unix_fd_source_new (l->fd, G_IO_IN);
  g_source_set_callback (l->source, G_SOURCE_FUNC (on_accept_cb), l, NULL);
  g_source_attach (l->source, spice->context);
  g_ptr_array_add (spice->listeners, l);
}

static bool
set_errno_error (GError **error, int err, const char *what, const char *where)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s %s: %s", what, where,
               g_strerror (err));
  return false;
}

bool
vmm_spice_listen_unix (VmmSpice *spice, const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;
  Listener *l;
  int fd;

  g_return_val_if_fail (spice != NULL && path != NULL, false);

  if (path[0] == '\0' || strlen (path) >= sizeof addr.sun_path) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "The socket path “%s” is empty or too long", path);
    return false;
  }
  /* A socket left by an earlier run is replaced; anything else is not ours
   * to delete. */
  if (lstat (path, &st) == 0) {
    if (!S_ISSOCK (st.st_mode)) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "Could not listen on %s: a file that is not a socket is in the way", path);
      return false;
    }
    unlink (path);
  }
  memcpy (addr.sun_path, path, strlen (path) + 1);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return set_errno_error (error, errno, "Could not listen on", path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
    int err = errno;

    close (fd);
    return set_errno_error (error, err, "Could not listen on", path);
  }
  /* Owner only. Nobody can connect before listen(), so there is no window
   * in which the socket is open to others. */
  if (chmod (path, 0600) < 0) {
    int err = errno;

    close (fd);
    unlink (path);
    return set_errno_error (error, err, "Could not listen on", path);
  }
  if (listen (fd, 16) < 0) {
    int err = errno;

    close (fd);
    unlink (path);
    return set_errno_error (error, err, "Could not listen on", path);
  }
  l = g_new0 (Listener, 1);
  l->spice = spice;
  l->fd = fd;
  l->path = g_strdup (path);
  run_sync (spice, add_listener, l);
  return true;
}

bool
vmm_spice_listen_tcp (VmmSpice *spice, uint16_t port, uint16_t *bound, GError **error)
{
  struct sockaddr_in addr = {
    .sin_family = AF_INET,
    .sin_port = htons (port),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
  };
  g_autofree char *where = g_strdup_printf ("127.0.0.1:%u", port);
  socklen_t len = sizeof addr;
  Listener *l;
  int one = 1;
  int fd;

  g_return_val_if_fail (spice != NULL, false);

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return set_errno_error (error, errno, "Could not listen on", where);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 16) < 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &len) < 0) {
    int err = errno;

    close (fd);
    return set_errno_error (error, err, "Could not listen on", where);
  }
  if (bound != NULL)
    *bound = ntohs (addr.sin_port);
  l = g_new0 (Listener, 1);
  l->spice = spice;
  l->fd = fd;
  run_sync (spice, add_listener, l);
  return true;
}

bool
vmm_spice_listen (VmmSpice *spice, const VmmSpiceAddress *address, GError **error)
{
  g_return_val_if_fail (spice != NULL && address != NULL, false);

  if (address->kind == VMM_SPICE_LISTEN_UNIX)
    return vmm_spice_listen_unix (spice, address->path, error);
  return vmm_spice_listen_tcp (spice, address->port, NULL, error);
}

bool
vmm_spice_parse_address (const char *spec, VmmSpiceAddress *address, GError **error)
{
  const char *rest;
  guint64 port;

  g_return_val_if_fail (spec != NULL && address != NULL, false);

  memset (address, 0, sizeof *address);
  if (g_str_has_prefix (spec, "unix:")) {
    rest = spec + strlen ("unix:");
    if (rest[0] == '\0' || strlen (rest) >= sizeof ((struct sockaddr_un *) NULL)->sun_path) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s”: the socket path must be 1 to %zu characters", spec,
                   sizeof ((struct sockaddr_un *) NULL)->sun_path - 1);
      return false;
    }
    address->kind = VMM_SPICE_LISTEN_UNIX;
    address->path = g_strdup (rest);
    return true;
  }
  if (g_str_has_prefix (spec, "tcp:")) {
    rest = spec + strlen ("tcp:");
    if (g_str_has_prefix (rest, "127.0.0.1:"))
      rest += strlen ("127.0.0.1:");
    else if (g_str_has_prefix (rest, "localhost:"))
      rest += strlen ("localhost:");
    else {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s”: SPICE has no authentication, so it only listens on "
                   "127.0.0.1 (use tcp:127.0.0.1:PORT, and an SSH tunnel from elsewhere)", spec);
      return false;
    }
    if (!g_ascii_string_to_unsigned (rest, 10, 1, 65535, &port, NULL)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s”: the port must be a number from 1 to 65535", spec);
      return false;
    }
    address->kind = VMM_SPICE_LISTEN_TCP;
    address->port = (uint16_t) port;
    return true;
  }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "“%s”: expected unix:PATH or tcp:127.0.0.1:PORT", spec);
  return false;
}
