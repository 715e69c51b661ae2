/* vireo-display.c
 *
 * The guest's screen: a widget over spice-client-glib. It shows the SPICE
 * primary surface scaled to fit (aspect ratio kept, pixel-exact when the
 * guest's mode matches the widget's size in device pixels), sends the
 * keyboard as PC scancodes and the pointer as absolute positions, shows the
 * guest's pointer image, and asks the guest for the widget's size.
 *
 * Absolute positions need a pointer device the guest drives (the USB
 * tablet). Without one the server puts its clients in server mouse mode,
 * where it takes relative motion only: then a click captures the pointer
 * (the host's pointer is hidden over the display, the guest's is drawn in
 * the frame where the guest says it is, and motion goes to the guest as
 * deltas) together with the keyboard, until Ctrl+Alt. GTK cannot keep the
 * host's pointer inside a widget on X11 or Wayland, so motion stops at the
 * widget's edge; moving back the other way still works.
 *
 * Every SPICE channel is a socket the owner hands over through the open-fd
 * function, so the widget neither knows nor cares whether the server is
 * the monitor in this process or a remote host.
 *
 * The keyboard belongs to the guest once the user clicks into the display
 * ("grabbed"): keys go to the guest and the desktop's own shortcuts are
 * inhibited, until Ctrl+Alt gives it back. Every key the guest saw go down
 * is released when the display loses the keyboard, so no key is left stuck
 * in the guest.
 *
 * Drawing reads the client's canvas (the SPICE primary surface, which
 * spice-client-glib updates on this thread) when GTK draws, not when the
 * server's updates arrive: a burst of updates costs one upload. With GL,
 * only the bounding box of what changed since the last frame is uploaded,
 * straight from the canvas, into one texture (glTexSubImage2D through
 * libepoxy, in a context GTK shares with its renderer) and handed to GTK as
 * a GdkGLTexture, in the canvas's own byte order (BGRA) so that uploading
 * is a plain copy. Its alpha is the canvas's filler byte as the server
 * sent it (vireo-vmm sends 0xff; a swizzle to one would cost llvmpipe its
 * fast path, 2 ms more per 1080p frame). Without GL, one copy
 * of the canvas with alpha forced opaque becomes a GdkMemoryTexture per
 * frame drawn. Either way the last frame stays shown while the guest
 * switches modes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <math.h>
#ifdef __GLIBC__
# include <malloc.h>
#endif
#include <string.h>
#include <spice-client.h>

#include "vireo-display.h"
#include "vireo-keymap.h"
#include "vireo-display-private.h"
#include "vireo-spice-link.h"

G_DEFINE_FINAL_TYPE (VireoDisplay, vireo_display, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONNECTED,
  PROP_KEYBOARD_GRABBED,
  PROP_POINTER_CAPTURED,
  PROP_RELATIVE_POINTER,
  PROP_RESIZE_GUEST,
  N_PROPS
};

enum {
  FRAME_UPDATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void compute_area (VireoDisplay *self,
                          int           width,
                          int           height);

/* ---- keyboard ---- */

static gboolean
key_is_pressed (VireoDisplay *self,
                guint         scancode)
{
  return (self->pressed[scancode / 32] >> (scancode % 32)) & 1;
}

static void
set_key_pressed (VireoDisplay *self,
                 guint         scancode,
                 gboolean      pressed)
{
  if (pressed)
    self->pressed[scancode / 32] |= 1u << (scancode % 32);
  else
    self->pressed[scancode / 32] &= ~(1u << (scancode % 32));
}

/* Releases in the guest whatever it saw go down: keys and buttons. */
void
vireo_display_release_all (VireoDisplay *self)
{
  for (guint sc = 0; sc < N_SCANCODES; sc++)
    {
      if (!key_is_pressed (self, sc))
        continue;
      set_key_pressed (self, sc, FALSE);
      if (self->inputs != NULL)
        spice_inputs_channel_key_release (self->inputs, sc);
    }
  if (self->buttons != 0 && self->inputs != NULL)
    {
      static const int spice_buttons[] = {
        SPICE_MOUSE_BUTTON_LEFT, SPICE_MOUSE_BUTTON_MIDDLE, SPICE_MOUSE_BUTTON_RIGHT,
        0, 0, SPICE_MOUSE_BUTTON_SIDE, SPICE_MOUSE_BUTTON_EXTRA,
      };

      for (guint i = 0; i < G_N_ELEMENTS (spice_buttons); i++)
        {
          if (spice_buttons[i] != 0 && (self->buttons & (1u << i)))
            {
              self->buttons &= ~(1u << i);
              spice_inputs_channel_button_release (self->inputs, spice_buttons[i], (int) self->buttons);
            }
        }
    }
  self->buttons = 0;
}

static GdkToplevel *
get_toplevel (VireoDisplay *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GdkSurface *surface = native != NULL ? gtk_native_get_surface (native) : NULL;

  return GDK_IS_TOPLEVEL (surface) ? GDK_TOPLEVEL (surface) : NULL;
}

static gboolean
on_hint_timeout_cb (gpointer user_data)
{
  VireoDisplay *self = user_data;

  self->hint_timeout = 0;
  gtk_widget_set_visible (self->hint, FALSE);
  return G_SOURCE_REMOVE;
}

void
vireo_display_show_hint (VireoDisplay *self)
{
  gtk_label_set_text (GTK_LABEL (self->hint),
                      self->captured ? _("Press Ctrl+Alt to release the keyboard and mouse")
                                     : _("Press Ctrl+Alt to release the keyboard"));
  gtk_widget_set_visible (self->hint, TRUE);
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  self->hint_timeout = g_timeout_add_seconds (HINT_SECONDS, on_hint_timeout_cb, self);
}

void
vireo_display_grab_keyboard (VireoDisplay *self,
                             GdkEvent     *event)
{
  GdkToplevel *toplevel;

  if (self->grabbed || self->session == NULL)
    return;
  self->grabbed = TRUE;
  toplevel = get_toplevel (self);
  if (toplevel != NULL)
    gdk_toplevel_inhibit_system_shortcuts (toplevel, event);
  vireo_display_show_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYBOARD_GRABBED]);
}

void
vireo_display_release_keyboard (VireoDisplay *self)
{
  GdkToplevel *toplevel;

  g_return_if_fail (VIREO_IS_DISPLAY (self));

  vireo_display_release_all (self);
  vireo_display_release_pointer (self);
  if (!self->grabbed)
    return;
  self->grabbed = FALSE;
  toplevel = get_toplevel (self);
  if (toplevel != NULL)
    gdk_toplevel_restore_system_shortcuts (toplevel);
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  gtk_widget_set_visible (self->hint, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYBOARD_GRABBED]);
}

static gboolean
is_ctrl_alt (guint           keyval,
             GdkModifierType state)
{
  gboolean ctrl = keyval == GDK_KEY_Control_L || keyval == GDK_KEY_Control_R;
  gboolean alt = keyval == GDK_KEY_Alt_L || keyval == GDK_KEY_Alt_R ||
                 keyval == GDK_KEY_Meta_L || keyval == GDK_KEY_Meta_R;

  return (ctrl && (state & GDK_ALT_MASK)) || (alt && (state & GDK_CONTROL_MASK));
}

static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   VireoDisplay          *self)
{
  guint sc;

  if (!self->grabbed || self->inputs == NULL)
    return FALSE;
  if (is_ctrl_alt (keyval, state))
    {
      vireo_display_release_keyboard (self);
      return TRUE;
    }
  sc = vireo_keymap_keycode_to_scancode (keycode);
  if (sc == 0)
    return TRUE;
  /* Held keys repeat as repeated presses, as on a PC keyboard. */
  set_key_pressed (self, sc, TRUE);
  spice_inputs_channel_key_press (self->inputs, sc);
  return TRUE;
}

static void
on_key_released_cb (GtkEventControllerKey *controller,
                    guint                  keyval,
                    guint                  keycode,
                    GdkModifierType        state,
                    VireoDisplay          *self)
{
  guint sc = vireo_keymap_keycode_to_scancode (keycode);

  /* Released even without the grab: the guest saw it go down. */
  if (sc == 0 || !key_is_pressed (self, sc))
    return;
  set_key_pressed (self, sc, FALSE);
  if (self->inputs != NULL)
    spice_inputs_channel_key_release (self->inputs, sc);
}

static void
on_focus_leave_cb (GtkEventControllerFocus *controller,
                   VireoDisplay            *self)
{
  vireo_display_release_keyboard (self);
}

static void
on_window_active_cb (GtkWindow    *window,
                     GParamSpec   *pspec,
                     VireoDisplay *self)
{
  if (!gtk_window_is_active (window))
    vireo_display_release_keyboard (self);
}

void
vireo_display_send_keys (VireoDisplay *self,
                         const guint  *scancodes,
                         guint         n_scancodes)
{
  g_return_if_fail (VIREO_IS_DISPLAY (self));

  if (self->inputs == NULL)
    return;
  for (guint i = 0; i < n_scancodes; i++)
    spice_inputs_channel_key_press (self->inputs, scancodes[i]);
  for (guint i = n_scancodes; i > 0; i--)
    spice_inputs_channel_key_release (self->inputs, scancodes[i - 1]);
}

/* ---- the guest's screen ---- */

/* The client's canvas, if it is the surface we were told about. */
static gboolean
get_primary (VireoDisplay        *self,
             SpiceDisplayPrimary *primary)
{
  return self->display_channel != NULL &&
         spice_display_channel_get_primary (self->display_channel, 0, primary) &&
         primary->width == self->width && primary->height == self->height &&
         primary->format == SPICE_SURFACE_FMT_32_xRGB && primary->data != NULL &&
         primary->stride >= self->width * 4 && primary->stride % 4 == 0;
}

static void
add_dirty (VireoDisplay *self,
           int           x,
           int           y,
           int           w,
           int           h)
{
  /* The server's rectangles should lie inside the surface; make sure. */
  x = CLAMP (x, 0, self->width);
  y = CLAMP (y, 0, self->height);
  w = CLAMP (w, 0, self->width - x);
  h = CLAMP (h, 0, self->height - y);
  if (w <= 0 || h <= 0)
    return;
  if (!self->texture_stale)
    {
      self->dirty_x1 = x, self->dirty_y1 = y;
      self->dirty_x2 = x + w, self->dirty_y2 = y + h;
    }
  else
    {
      self->dirty_x1 = MIN (self->dirty_x1, x);
      self->dirty_y1 = MIN (self->dirty_y1, y);
      self->dirty_x2 = MAX (self->dirty_x2, x + w);
      self->dirty_y2 = MAX (self->dirty_y2, y + h);
    }
  self->texture_stale = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[FRAME_UPDATED], 0);
}

static void
on_primary_create_cb (SpiceChannel *channel,
                      int           format,
                      int           width,
                      int           height,
                      int           stride,
                      int           shmid,
                      gpointer      data,
                      VireoDisplay *self)
{
  vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_DONE);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    return;
  self->width = width;
  self->height = height;
  /* The old texture stays on screen until the new surface is uploaded. */
  self->texture_stale = FALSE;
  add_dirty (self, 0, 0, width, height);
  /* A new mode is shown at a new scale, and so is the pointer. */
  if (gtk_widget_get_width (GTK_WIDGET (self)) > 0 && gtk_widget_get_height (GTK_WIDGET (self)) > 0)
    {
      compute_area (self, gtk_widget_get_width (GTK_WIDGET (self)),
                    gtk_widget_get_height (GTK_WIDGET (self)));
      vireo_display_update_cursor (self, FALSE);
    }
}

static void
on_primary_destroy_cb (SpiceChannel *channel,
                       VireoDisplay *self)
{
  /* The last frame stays until the next surface arrives: a mode switch
   * should not flash black. */
}

static void
on_invalidate_cb (SpiceChannel *channel,
                  int           x,
                  int           y,
                  int           w,
                  int           h,
                  VireoDisplay *self)
{
  add_dirty (self, x, y, w, h);
}

static void
gl_release (VireoDisplay *self)
{
  if (self->gl == NULL)
    return;
  g_clear_object (&self->texture);
  if (self->gl_texture != 0)
    {
      gdk_gl_context_make_current (self->gl);
      glDeleteTextures (1, &self->gl_texture);
      self->gl_texture = 0;
    }
  gdk_gl_context_clear_current ();
  g_clear_object (&self->gl);
}

/* Uploads what changed; FALSE if GL failed, and the memory path takes
 * over for good. */
static gboolean
gl_upload (VireoDisplay              *self,
           const SpiceDisplayPrimary *primary)
{
  int x1 = self->dirty_x1, y1 = self->dirty_y1;
  int x2 = self->dirty_x2, y2 = self->dirty_y2;
  int filter = self->one_to_one ? GL_NEAREST : GL_LINEAR;

  gdk_gl_context_make_current (self->gl);
  if (self->gl_texture == 0 || self->gl_width != self->width || self->gl_height != self->height)
    {
      if (self->gl_texture != 0)
        glDeleteTextures (1, &self->gl_texture);
      glGenTextures (1, &self->gl_texture);
      glBindTexture (GL_TEXTURE_2D, self->gl_texture);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
      /* The unsized GL_RGBA lets the driver store the texture in the
       * layout the canvas has (BGRA bytes): then an upload is a copy and
       * drawing samples without swizzling. With GL_RGBA8 Mesa's llvmpipe
       * stores RGBA and converts every pixel: 2.5 ms instead of 1.25 ms
       * per 1080p upload, and about 1.5 ms more of drawing per frame. */
      glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA, self->width, self->height, 0,
                    GL_BGRA, GL_UNSIGNED_BYTE, NULL);
      self->gl_width = self->width;
      self->gl_height = self->height;
      self->gl_filter = 0;
      x1 = y1 = 0;
      x2 = self->width;
      y2 = self->height;
    }
  else
    glBindTexture (GL_TEXTURE_2D, self->gl_texture);

  /* Shown 1:1, nearest and linear sampling give the same pixels, and
   * nearest costs less where GL is done in software. */
  if (self->gl_filter != filter)
    {
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
      self->gl_filter = filter;
    }
  if (x2 > x1 && y2 > y1)
    {
      glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
      glPixelStorei (GL_UNPACK_ROW_LENGTH, primary->stride / 4);
      glTexSubImage2D (GL_TEXTURE_2D, 0, x1, y1, x2 - x1, y2 - y1, GL_BGRA, GL_UNSIGNED_BYTE,
                       primary->data + (gsize) y1 * primary->stride + (gsize) x1 * 4);
      glPixelStorei (GL_UNPACK_ROW_LENGTH, 0);
    }
  glBindTexture (GL_TEXTURE_2D, 0);
  /* The renderer's context reads the texture next. */
  glFlush ();
  if (glGetError () != GL_NO_ERROR)
    {
      g_debug ("display: GL upload failed, drawing without GL");
      gl_release (self);
      return FALSE;
    }
  /* A new texture object for every frame: GTK redraws what changed by
   * comparing textures. */
  g_clear_object (&self->texture);
  self->texture = gdk_gl_texture_new (self->gl, self->gl_texture, self->width, self->height,
                                      NULL, NULL);
  self->texture_stale = FALSE;
  return TRUE;
}

/* A memory texture owns its pixels: one copy of the canvas per frame. */
static void
memory_upload (VireoDisplay              *self,
               const SpiceDisplayPrimary *primary)
{
  gsize stride = (gsize) self->width * 4;
  guint8 *pixels = g_malloc (stride * self->height);
  GBytes *bytes;

  for (int row = 0; row < self->height; row++)
    {
      const guint8 *src = primary->data + (gsize) row * primary->stride;
      guint8 *dst = pixels + row * stride;

      /* Whole words, so that the compiler vectorises the loop: this runs
       * over every pixel of every frame. */
      for (int i = 0; i < self->width; i++)
        {
          guint32 v;

          memcpy (&v, src + 4 * i, 4);
          v |= GUINT32_TO_LE (0xff000000u);
          memcpy (dst + 4 * i, &v, 4);
        }
    }
  bytes = g_bytes_new_take (pixels, stride * self->height);
  g_clear_object (&self->texture);
  self->texture = gdk_memory_texture_new (self->width, self->height,
                                          GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, stride);
  g_bytes_unref (bytes);
  self->texture_stale = FALSE;
}

static void
ensure_texture (VireoDisplay *self)
{
  SpiceDisplayPrimary primary;

  if (!self->texture_stale && self->texture != NULL)
    return;
  /* Between surfaces (a mode switch) the last frame stays as it is. */
  if (!get_primary (self, &primary))
    return;
  if (self->gl != NULL && gl_upload (self, &primary))
    return;
  memory_upload (self, &primary);
}

GdkTexture *
vireo_display_get_frame (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), NULL);

  ensure_texture (self);
  return self->texture;
}

/* Fits the frame into the widget, centred, aligned to device pixels. A
 * guest whose mode is (nearly) the widget's size in device pixels is shown
 * 1:1, so its text stays sharp. */
static void
compute_area (VireoDisplay *self,
              int           width,
              int           height)
{
  double sf = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  double scale, w, h;

  scale = MIN ((double) width / self->width, (double) height / self->height);
  self->one_to_one = fabs (scale * sf - 1.0) < 0.02;
  if (self->one_to_one)
    scale = 1.0 / sf;
  w = self->width * scale;
  h = self->height * scale;
  graphene_rect_init (&self->area,
                      floor ((width - w) / 2 * sf) / sf,
                      floor ((height - h) / 2 * sf) / sf,
                      w, h);
}

static void
vireo_display_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA black = { 0, 0, 0, 1 };

  if (self->width > 0 && width > 0 && height > 0)
    compute_area (self, width, height);
  ensure_texture (self);
  if (self->texture == NULL || width <= 0 || height <= 0)
    {
      gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, height));
    }
  else
    {
      const graphene_rect_t *a = &self->area;

      /* Black only where the frame is not: filling what the frame covers
       * would cost a full-screen pass more for every frame drawn. */
      if (a->origin.x > 0)
        gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, a->origin.x, height));
      if (a->origin.x + a->size.width < width)
        gtk_snapshot_append_color (snapshot, &black,
                                   &GRAPHENE_RECT_INIT (a->origin.x + a->size.width, 0,
                                                        width - a->origin.x - a->size.width, height));
      if (a->origin.y > 0)
        gtk_snapshot_append_color (snapshot, &black,
                                   &GRAPHENE_RECT_INIT (a->origin.x, 0, a->size.width, a->origin.y));
      if (a->origin.y + a->size.height < height)
        gtk_snapshot_append_color (snapshot, &black,
                                   &GRAPHENE_RECT_INIT (a->origin.x, a->origin.y + a->size.height,
                                                        a->size.width,
                                                        height - a->origin.y - a->size.height));
      /* Until a new mode's surface is uploaded, the last frame of the old
       * one fills the new mode's area. */
      gtk_snapshot_append_texture (snapshot, self->texture, a);
      vireo_display_snapshot_guest_pointer (self, snapshot, a);
    }
  gtk_widget_snapshot_child (widget, self->hint, snapshot);
}

/* ---- the guest follows the widget's size ---- */

static void
send_size (VireoDisplay *self)
{
  gboolean agent = FALSE;

  if (self->main == NULL || self->request_width <= 0)
    return;
  /* Viewers only send a monitor configuration to a connected agent; the
   * monitor provides one of its own, remote guests need theirs. */
  g_object_get (self->main, "agent-connected", &agent, NULL);
  if (!agent)
    return;
  spice_main_channel_update_display_enabled (self->main, 0, TRUE, FALSE);
  spice_main_channel_update_display (self->main, 0, 0, 0, self->request_width,
                                     self->request_height, FALSE);
  spice_main_channel_send_monitor_config (self->main);
}

static gboolean
on_resize_timeout_cb (gpointer user_data)
{
  VireoDisplay *self = user_data;

  self->resize_timeout = 0;
  send_size (self);
  return G_SOURCE_REMOVE;
}

static void
on_agent_connected_cb (GObject      *main,
                       GParamSpec   *pspec,
                       VireoDisplay *self)
{
  if (self->resize_guest)
    send_size (self);
}

static void
vireo_display_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);
  int sf = gtk_widget_get_scale_factor (widget);
  int hint_width, hint_height;
  int gw = MAX (width * sf, MIN_GUEST_WIDTH);
  int gh = MAX (height * sf, MIN_GUEST_HEIGHT);

  gtk_widget_measure (self->hint, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &hint_width, NULL, NULL);
  gtk_widget_measure (self->hint, GTK_ORIENTATION_VERTICAL, hint_width, NULL, &hint_height, NULL, NULL);
  hint_width = MIN (hint_width, width);
  gtk_widget_size_allocate (self->hint,
                            &(GtkAllocation) { (width - hint_width) / 2, 12, hint_width, hint_height },
                            -1);

  if (self->width > 0)
    {
      compute_area (self, width, height);
      vireo_display_update_cursor (self, FALSE);
    }
  if (!self->resize_guest || (gw == self->request_width && gh == self->request_height))
    return;
  self->request_width = gw;
  self->request_height = gh;
  g_clear_handle_id (&self->resize_timeout, g_source_remove);
  self->resize_timeout = g_timeout_add (RESIZE_DELAY_MS, on_resize_timeout_cb, self);
}

static void
vireo_display_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);
  int size = orientation == GTK_ORIENTATION_HORIZONTAL ? self->width : self->height;

  /* Any size will do (the frame scales); the guest's mode is preferred. */
  *minimum = 1;
  *natural = MAX (size, 1);
}

/* ---- the connection ---- */

/* ---- the session ---- */

static void
on_open_fd_cb (SpiceChannel *channel,
               int           with_tls,
               VireoDisplay *self)
{
  g_autoptr (GError) error = NULL;
  int fd = -1;

  if (self->open_fd != NULL)
    fd = self->open_fd (self->open_fd_data, &error);
  if (fd < 0)
    {
      g_debug ("no connection for a display channel: %s", error ? error->message : "no open-fd function");
      spice_channel_disconnect (channel, SPICE_CHANNEL_ERROR_CONNECT);
      return;
    }
  vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_LINKING);
  spice_channel_open_fd (channel, fd);
}

typedef struct {
  VireoDisplay *self;
  gpointer      session;      /* compared only: the session that closed */
} ClosedSession;

static void
closed_session_free (gpointer data)
{
  ClosedSession *closed = data;

  g_object_unref (closed->self);
  g_free (closed);
}

static gboolean
on_disconnect_idle_cb (gpointer user_data)
{
  ClosedSession *closed = user_data;

  /* Not a newer session the owner connected in the meantime. */
  if (closed->self->session == closed->session)
    vireo_display_disconnect (closed->self);
  return G_SOURCE_REMOVE;
}

static void
set_display_linked (VireoDisplay *self,
                    gboolean      linked)
{
  if (self->display_linked == linked)
    return;
  self->display_linked = linked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

/* A channel finished its link, or lost it. The display counts as
 * connected only while its display channel is linked. When the main
 * channel goes (the server went away), the session is let go, but not
 * from inside the channel's own signal. */
static void
on_channel_event_cb (SpiceChannel      *channel,
                     SpiceChannelEvent  event,
                     VireoDisplay      *self)
{
  ClosedSession *closed;

  if (event != SPICE_CHANNEL_OPENED && event != SPICE_CHANNEL_CLOSED &&
      event < SPICE_CHANNEL_ERROR_CONNECT)
    return;
  if (event != SPICE_CHANNEL_OPENED || !vireo_spice_link_on_first_message (channel))
    vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_DONE);
  if (channel == self->display_channel)
    set_display_linked (self, event == SPICE_CHANNEL_OPENED);
  if ((gpointer) channel != (gpointer) self->main || event == SPICE_CHANNEL_OPENED)
    return;
  closed = g_new0 (ClosedSession, 1);
  closed->self = g_object_ref (self);
  closed->session = self->session;
  g_idle_add_full (G_PRIORITY_DEFAULT, on_disconnect_idle_cb, closed, closed_session_free);
}

static void
on_channel_new_cb (SpiceSession *session,
                   SpiceChannel *channel,
                   VireoDisplay *self)
{
  if (SPICE_IS_MAIN_CHANNEL (channel))
    {
      self->main = SPICE_MAIN_CHANNEL (channel);
      g_signal_connect (channel, "channel-event", G_CALLBACK (on_channel_event_cb), self);
      g_signal_connect (channel, "notify::agent-connected", G_CALLBACK (on_agent_connected_cb), self);
      g_signal_connect (channel, "notify::mouse-mode", G_CALLBACK (vireo_display_on_mouse_mode), self);
      g_signal_connect (channel, "open-fd", G_CALLBACK (on_open_fd_cb), self);
      return;
    }
  /* One screen: a second display channel would be another monitor. */
  if (SPICE_IS_DISPLAY_CHANNEL (channel) && self->display_channel == NULL)
    {
      self->display_channel = channel;
      g_signal_connect (channel, "display-primary-create", G_CALLBACK (on_primary_create_cb), self);
      g_signal_connect (channel, "display-primary-destroy", G_CALLBACK (on_primary_destroy_cb), self);
      g_signal_connect (channel, "display-invalidate", G_CALLBACK (on_invalidate_cb), self);
    }
  else if (SPICE_IS_INPUTS_CHANNEL (channel))
    self->inputs = SPICE_INPUTS_CHANNEL (channel);
  else if (SPICE_IS_CURSOR_CHANNEL (channel))
    {
      self->cursor_channel = channel;
      vireo_display_watch_cursor (self, channel);
    }
  else
    return;
  g_signal_connect (channel, "channel-event", G_CALLBACK (on_channel_event_cb), self);
  g_signal_connect (channel, "open-fd", G_CALLBACK (on_open_fd_cb), self);
  spice_channel_connect (channel);
}

static void
on_channel_destroy_cb (SpiceSession *session,
                       SpiceChannel *channel,
                       VireoDisplay *self)
{
  g_signal_handlers_disconnect_by_data (channel, self);
  if ((gpointer) channel == (gpointer) self->main)
    self->main = NULL;
  else if (channel == self->display_channel)
    {
      self->display_channel = NULL;
      set_display_linked (self, FALSE);
    }
  else if ((gpointer) channel == (gpointer) self->inputs)
    self->inputs = NULL;
  else if (channel == self->cursor_channel)
    self->cursor_channel = NULL;
}

gboolean
vireo_display_connect (VireoDisplay  *self,
                       GError       **error)
{
  int fd;

  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (self->open_fd != NULL, FALSE);

  /* Connected, or on the way there. */
  if (self->session != NULL)
    return TRUE;
  fd = self->open_fd (self->open_fd_data, error);
  if (fd < 0)
    return FALSE;
  self->session = spice_session_new ();
  g_object_set (self->session, "enable-audio", FALSE, "enable-usbredir", FALSE, NULL);
  g_signal_connect (self->session, "channel-new", G_CALLBACK (on_channel_new_cb), self);
  g_signal_connect (self->session, "channel-destroy", G_CALLBACK (on_channel_destroy_cb), self);
  if (!spice_session_open_fd (self->session, fd))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not connect to the machine’s display"));
      vireo_display_disconnect (self);
      return FALSE;
    }
  /* The main channel, made by open_fd(), links on that socket. */
  if (self->main != NULL)
    vireo_spice_link_set_state (SPICE_CHANNEL (self->main), VIREO_SPICE_LINK_LINKING);
  return TRUE;
}

void
vireo_display_disconnect (VireoDisplay *self)
{
  SpiceSession *session;

  g_return_if_fail (VIREO_IS_DISPLAY (self));

  if (self->session == NULL)
    return;
  vireo_display_release_keyboard (self);
  session = g_steal_pointer (&self->session);
  /* Channels are destroyed one by one after this; none may call us. */
  g_signal_handlers_disconnect_by_data (session, self);
  if (self->main != NULL)
    g_signal_handlers_disconnect_by_data (self->main, self);
  if (self->display_channel != NULL)
    g_signal_handlers_disconnect_by_data (self->display_channel, self);
  if (self->inputs != NULL)
    g_signal_handlers_disconnect_by_data (self->inputs, self);
  if (self->cursor_channel != NULL)
    g_signal_handlers_disconnect_by_data (self->cursor_channel, self);
  self->main = NULL;
  self->display_channel = NULL;
  self->inputs = NULL;
  self->cursor_channel = NULL;
  /* Channels still linking finish first; the session goes after. */
  vireo_spice_link_close_session (session);
  set_display_linked (self, FALSE);
  /* The next server says its mode itself. */
  self->guest_cursor_known = FALSE;
  if (self->relative)
    {
      self->relative = FALSE;
      vireo_display_apply_host_cursor (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELATIVE_POINTER]);
    }
}

gboolean
vireo_display_get_connected (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);

  return self->session != NULL && self->display_linked;
}

gboolean
vireo_display_get_keyboard_grabbed (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);

  return self->grabbed;
}

gboolean
vireo_display_get_pointer_captured (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);

  return self->captured;
}

gboolean
vireo_display_get_relative_pointer (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);

  return self->relative;
}

gboolean
vireo_display_get_resize_guest (VireoDisplay *self)
{
  g_return_val_if_fail (VIREO_IS_DISPLAY (self), FALSE);

  return self->resize_guest;
}

void
vireo_display_set_resize_guest (VireoDisplay *self,
                                gboolean      resize_guest)
{
  g_return_if_fail (VIREO_IS_DISPLAY (self));

  resize_guest = !!resize_guest;
  if (self->resize_guest == resize_guest)
    return;
  self->resize_guest = resize_guest;
  self->request_width = self->request_height = 0;
  if (resize_guest)
    gtk_widget_queue_allocate (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESIZE_GUEST]);
}

void
vireo_display_set_open_fd_func (VireoDisplay           *self,
                                VireoDisplayOpenFdFunc  func,
                                gpointer                user_data,
                                GDestroyNotify          destroy)
{
  g_return_if_fail (VIREO_IS_DISPLAY (self));

  if (self->open_fd_destroy != NULL)
    self->open_fd_destroy (self->open_fd_data);
  self->open_fd = func;
  self->open_fd_data = user_data;
  self->open_fd_destroy = destroy;
}

/* ---- GObject ---- */

static void
vireo_display_root (GtkWidget *widget)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (vireo_display_parent_class)->root (widget);
  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    {
      self->window = GTK_WINDOW (root);
      g_signal_connect_object (root, "notify::is-active", G_CALLBACK (on_window_active_cb), self, 0);
    }
}

static void
vireo_display_realize (GtkWidget *widget)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);
  g_autoptr (GError) error = NULL;
  GdkSurface *surface;

  GTK_WIDGET_CLASS (vireo_display_parent_class)->realize (widget);

  /* Desktop GL only: GLES may lack BGRA uploads. Without GL (or with
   * GDK_DEBUG=gl-disable) the memory texture path draws. */
  surface = gtk_native_get_surface (gtk_widget_get_native (widget));
  self->gl = gdk_surface_create_gl_context (surface, &error);
  if (self->gl != NULL)
    {
      gdk_gl_context_set_allowed_apis (self->gl, GDK_GL_API_GL);
      if (!gdk_gl_context_realize (self->gl, &error))
        g_clear_object (&self->gl);
    }
  if (self->gl == NULL)
    g_debug ("display: drawing without GL: %s", error ? error->message : "no context");
  /* Whatever texture there was belongs to the other path. */
  g_clear_object (&self->texture);
  self->texture_stale = TRUE;
  self->dirty_x1 = self->dirty_y1 = 0;
  self->dirty_x2 = self->width;
  self->dirty_y2 = self->height;
}

static void
vireo_display_unrealize (GtkWidget *widget)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);

  gl_release (self);
  g_clear_object (&self->texture);
  self->texture_stale = TRUE;
  self->dirty_x1 = self->dirty_y1 = 0;
  self->dirty_x2 = self->width;
  self->dirty_y2 = self->height;
  GTK_WIDGET_CLASS (vireo_display_parent_class)->unrealize (widget);
}

static void
vireo_display_unroot (GtkWidget *widget)
{
  VireoDisplay *self = VIREO_DISPLAY (widget);

  vireo_display_release_keyboard (self);
  if (self->window != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->window, on_window_active_cb, self);
      self->window = NULL;
    }
  GTK_WIDGET_CLASS (vireo_display_parent_class)->unroot (widget);
}

static void
vireo_display_dispose (GObject *object)
{
  VireoDisplay *self = VIREO_DISPLAY (object);

  vireo_display_disconnect (self);
  vireo_display_set_open_fd_func (self, NULL, NULL, NULL);
  g_clear_handle_id (&self->resize_timeout, g_source_remove);
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  g_clear_pointer (&self->hint, gtk_widget_unparent);
  g_clear_object (&self->texture);
  g_clear_object (&self->cursor_texture);
  g_clear_pointer (&self->cursor_pixels, g_bytes_unref);

  G_OBJECT_CLASS (vireo_display_parent_class)->dispose (object);
}

static void
vireo_display_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VireoDisplay *self = VIREO_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, vireo_display_get_connected (self));
      break;
    case PROP_KEYBOARD_GRABBED:
      g_value_set_boolean (value, self->grabbed);
      break;
    case PROP_POINTER_CAPTURED:
      g_value_set_boolean (value, self->captured);
      break;
    case PROP_RELATIVE_POINTER:
      g_value_set_boolean (value, self->relative);
      break;
    case PROP_RESIZE_GUEST:
      g_value_set_boolean (value, self->resize_guest);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_display_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VireoDisplay *self = VIREO_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_RESIZE_GUEST:
      vireo_display_set_resize_guest (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_display_class_init (VireoDisplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vireo_display_dispose;
  object_class->get_property = vireo_display_get_property;
  object_class->set_property = vireo_display_set_property;

  widget_class->snapshot = vireo_display_snapshot;
  widget_class->measure = vireo_display_measure;
  widget_class->size_allocate = vireo_display_size_allocate;
  widget_class->realize = vireo_display_realize;
  widget_class->unrealize = vireo_display_unrealize;
  widget_class->root = vireo_display_root;
  widget_class->unroot = vireo_display_unroot;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEYBOARD_GRABBED] =
    g_param_spec_boolean ("keyboard-grabbed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Server mouse mode only: the pointer moves the guest's, relatively. */
  properties[PROP_POINTER_CAPTURED] =
    g_param_spec_boolean ("pointer-captured", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The server takes relative motion only (SPICE's server mouse mode):
   * the guest has no absolute pointer device, or the viewer asked. */
  properties[PROP_RELATIVE_POINTER] =
    g_param_spec_boolean ("relative-pointer", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESIZE_GUEST] =
    g_param_spec_boolean ("resize-guest", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A new frame (part of the screen changed) is ready to be drawn. */
  signals[FRAME_UPDATED] =
    g_signal_new ("frame-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "vireo-display");

#ifdef __GLIBC__
  /* spice-client-glib allocates two frame-sized buffers for every
   * full-screen update it receives (the message and a decoded image) and
   * frees them at once. glibc's self-tuning thresholds then either keep
   * that memory or give it back to the kernel after every frame, depending
   * on a few bytes of other allocations; given back, every frame costs
   * thousands of page faults on a fresh mapping (measured: 90-110 ms of
   * CPU per 1080p frame instead of 25-35 ms, in about half of the runs).
   * Fixed thresholds make it the first case always: buffers below 32 MiB
   * (a 4K frame) come from the heap, and up to 32 MiB of free heap is kept. */
  mallopt (M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 32 * 1024 * 1024);
#endif
}

static void
vireo_display_init (VireoDisplay *self)
{
  GtkEventController *controller;

  self->resize_guest = TRUE;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  self->hint = gtk_label_new (_("Press Ctrl+Alt to release the keyboard"));
  gtk_widget_add_css_class (self->hint, "osd");
  gtk_widget_add_css_class (self->hint, "toolbar");
  gtk_widget_set_can_target (self->hint, FALSE);
  gtk_widget_set_visible (self->hint, FALSE);
  gtk_widget_set_parent (self->hint, GTK_WIDGET (self));

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (on_key_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (on_focus_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  vireo_display_add_pointer_controllers (self);
}

GtkWidget *
vireo_display_new (void)
{
  return g_object_new (VIREO_TYPE_DISPLAY, NULL);
}
