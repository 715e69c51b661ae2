/* vireo-display-private.h: the display widget's instance, shared by
 * vireo-display.c (screen, keyboard, connection) and
 * vireo-display-pointer.c (pointer).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <spice-client.h>

#include "vireo-display.h"
#include "vireo-relative-pointer.h"

G_BEGIN_DECLS

/* Scancodes are below 0x200 (0x100 marks the 0xe0 prefix). */
#define N_SCANCODES 0x200
/* The window's size settles before the guest is asked to follow it. */
#define RESIZE_DELAY_MS 300
#define HINT_SECONDS 3
#define MIN_GUEST_WIDTH 320
#define MIN_GUEST_HEIGHT 200

struct _VireoDisplay
{
  GtkWidget               parent_instance;

  VireoDisplayOpenFdFunc  open_fd;
  gpointer                open_fd_data;
  GDestroyNotify          open_fd_destroy;

  SpiceSession           *session;
  SpiceMainChannel       *main;
  SpiceChannel           *display_channel;
  SpiceInputsChannel     *inputs;
  SpiceChannel           *cursor_channel;
  /* The display channel has finished its link: "connected". */
  gboolean                display_linked;

  /* The size of the guest's screen (the primary surface). */
  int                     width;
  int                     height;
  GdkTexture             *texture;
  gboolean                texture_stale;
  /* What changed since the last upload, as a bounding box. */
  int                     dirty_x1, dirty_y1, dirty_x2, dirty_y2;
  /* NULL: no GL, the memory texture path. */
  GdkGLContext           *gl;
  guint                   gl_texture;
  int                     gl_width;
  int                     gl_height;
  /* GL_NEAREST when the frame is shown 1:1 in device pixels. */
  int                     gl_filter;
  gboolean                one_to_one;
  /* Where the frame was drawn, in widget coordinates. */
  graphene_rect_t         area;

  /* The guest's pointer image (R G B A), shown at the frame's scale. */
  GBytes                 *cursor_pixels;
  int                     cursor_width;
  int                     cursor_height;
  int                     cursor_hot_x;
  int                     cursor_hot_y;
  gboolean                cursor_shown;
  /* The guest asked for no pointer at all (not: the host's default). */
  gboolean                cursor_hidden;
  double                  cursor_scale;
  /* The image at the frame's scale, and where the guest last put its hot
   * spot: drawn in the frame in server mouse mode. */
  GdkTexture             *cursor_texture;
  int                     cursor_texture_hot_x;
  int                     cursor_texture_hot_y;
  gboolean                guest_cursor_known;
  int                     guest_cursor_x;
  int                     guest_cursor_y;

  /* SPICE_MOUSE_MODE_SERVER: relative motion, captured by a click. */
  gboolean                relative;
  gboolean                captured;
  VireoRelativePointer    track;

  guint32                 pressed[N_SCANCODES / 32];
  guint                   buttons;
  double                  scroll;
  gboolean                grabbed;
  GtkWindow              *window;

  GtkWidget              *hint;
  guint                   hint_timeout;

  gboolean                resize_guest;
  guint                   resize_timeout;
  int                     request_width;
  int                     request_height;
};

/* vireo-display.c */
void vireo_display_release_all   (VireoDisplay *self);
void vireo_display_grab_keyboard (VireoDisplay *self,
                                  GdkEvent     *event);
void vireo_display_show_hint     (VireoDisplay *self);

/* vireo-display-pointer.c */
void vireo_display_add_pointer_controllers (VireoDisplay          *self);
void vireo_display_watch_cursor            (VireoDisplay          *self,
                                            SpiceChannel          *channel);
void vireo_display_on_mouse_mode           (GObject               *main,
                                            GParamSpec            *pspec,
                                            VireoDisplay          *self);
void vireo_display_release_pointer         (VireoDisplay          *self);
void vireo_display_update_cursor           (VireoDisplay          *self,
                                            gboolean               force);
void vireo_display_apply_host_cursor       (VireoDisplay          *self);
void vireo_display_snapshot_guest_pointer  (VireoDisplay          *self,
                                            GtkSnapshot           *snapshot,
                                            const graphene_rect_t *area);

G_END_DECLS
