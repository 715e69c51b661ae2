/* vireo-display-pointer.c
 *
 * The display widget's pointer: absolute positions in SPICE's client mouse
 * mode, relative motion while captured in its server mode, buttons and
 * wheel, and the guest's pointer image (the host's pointer over the
 * display in client mode, drawn in the frame in server mode).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <spice-client.h>

#include "vireo-display-private.h"
#include "vireo-spice-link.h"

/* In server mouse mode the pointer goes with the keyboard; a click while
 * only the keyboard is grabbed (the mode changed since) captures it too. */
static void
capture_pointer (VireoDisplay *self,
                 double        x,
                 double        y)
{
  int dx, dy;

  if (self->captured || !self->relative || self->session == NULL)
    return;
  self->captured = TRUE;
  vireo_relative_pointer_reset (&self->track);
  vireo_relative_pointer_motion (&self->track, x, y, 0, 0, &dx, &dy);
  vireo_display_apply_host_cursor (self);
  vireo_display_show_hint (self);
  g_object_notify (G_OBJECT (self), "pointer-captured");
}

void
vireo_display_release_pointer (VireoDisplay *self)
{
  if (!self->captured)
    return;
  self->captured = FALSE;
  vireo_display_apply_host_cursor (self);
  g_object_notify (G_OBJECT (self), "pointer-captured");
}

static gboolean
to_guest (VireoDisplay *self,
          double        x,
          double        y,
          int          *gx,
          int          *gy)
{
  if (self->width <= 0 || self->area.size.width <= 0 || self->area.size.height <= 0)
    return FALSE;
  *gx = (int) floor ((x - self->area.origin.x) * self->width / self->area.size.width);
  *gy = (int) floor ((y - self->area.origin.y) * self->height / self->area.size.height);
  *gx = CLAMP (*gx, 0, self->width - 1);
  *gy = CLAMP (*gy, 0, self->height - 1);
  return TRUE;
}

static void
send_position (VireoDisplay *self,
               double        x,
               double        y)
{
  int gx, gy;

  if (self->inputs != NULL && to_guest (self, x, y, &gx, &gy))
    spice_inputs_channel_position (self->inputs, gx, gy, 0, (int) self->buttons);
}

static void
on_motion_cb (GtkEventControllerMotion *controller,
              double                    x,
              double                    y,
              VireoDisplay             *self)
{
  int dx, dy;

  if (!self->relative)
    {
      send_position (self, x, y);
      return;
    }
  /* Motion of the host pointer over the display while not captured is
   * not the guest's. The scale is the frame's, as for absolute positions:
   * the guest's pointer keeps up with the host's across the frame. */
  if (!self->captured || self->inputs == NULL || self->width <= 0 ||
      self->area.size.width <= 0 || self->area.size.height <= 0)
    return;
  if (vireo_relative_pointer_motion (&self->track, x, y,
                                     self->width / self->area.size.width,
                                     self->height / self->area.size.height, &dx, &dy))
    spice_inputs_channel_motion (self->inputs, dx, dy, (int) self->buttons);
}

/* Entering from outside is a jump, not motion: the track starts anew. */
static void
on_enter_cb (GtkEventControllerMotion *controller,
             double                    x,
             double                    y,
             VireoDisplay             *self)
{
  vireo_relative_pointer_reset (&self->track);
}

void
vireo_display_on_mouse_mode (GObject      *main,
                             GParamSpec   *pspec,
                             VireoDisplay *self)
{
  int mode = 0;

  g_object_get (main, "mouse-mode", &mode, NULL);
  if (self->relative == (mode == SPICE_MOUSE_MODE_SERVER))
    return;
  self->relative = mode == SPICE_MOUSE_MODE_SERVER;
  g_debug ("display: %s mouse mode", self->relative ? "server" : "client");
  /* The guest's pointer has a new device; nothing stays pressed across. */
  vireo_display_release_all (self);
  vireo_display_release_pointer (self);
  vireo_display_apply_host_cursor (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify (G_OBJECT (self), "relative-pointer");
}

/* GDK's button numbers: 1 left, 2 middle, 3 right, 8 back, 9 forward. */
static int
spice_button (guint button,
              guint *mask)
{
  switch (button)
    {
    case GDK_BUTTON_PRIMARY:
      *mask = SPICE_MOUSE_BUTTON_MASK_LEFT;
      return SPICE_MOUSE_BUTTON_LEFT;
    case GDK_BUTTON_MIDDLE:
      *mask = SPICE_MOUSE_BUTTON_MASK_MIDDLE;
      return SPICE_MOUSE_BUTTON_MIDDLE;
    case GDK_BUTTON_SECONDARY:
      *mask = SPICE_MOUSE_BUTTON_MASK_RIGHT;
      return SPICE_MOUSE_BUTTON_RIGHT;
    case 8:
      *mask = SPICE_MOUSE_BUTTON_MASK_SIDE;
      return SPICE_MOUSE_BUTTON_SIDE;
    case 9:
      *mask = SPICE_MOUSE_BUTTON_MASK_EXTRA;
      return SPICE_MOUSE_BUTTON_EXTRA;
    default:
      *mask = 0;
      return 0;
    }
}

static void
on_pressed_cb (GtkGestureClick *gesture,
               int              n_press,
               double           x,
               double           y,
               VireoDisplay    *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (gesture));
  guint mask;
  int sb = spice_button (button, &mask);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  vireo_display_grab_keyboard (self, event);
  /* The click that captures the pointer is the user's way in, not a
   * click for the guest (whose pointer may be anywhere). */
  if (self->relative && !self->captured)
    {
      capture_pointer (self, x, y);
      return;
    }
  if (sb == 0 || self->inputs == NULL)
    return;
  if (!self->relative)
    send_position (self, x, y);
  self->buttons |= mask;
  spice_inputs_channel_button_press (self->inputs, sb, (int) self->buttons);
}

static void
on_released_cb (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                VireoDisplay    *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  guint mask;
  int sb = spice_button (button, &mask);

  if (sb == 0 || !(self->buttons & mask))
    return;
  self->buttons &= ~mask;
  if (self->inputs != NULL)
    spice_inputs_channel_button_release (self->inputs, sb, (int) self->buttons);
}

static void
wheel_step (VireoDisplay *self,
            int           button)
{
  spice_inputs_channel_button_press (self->inputs, button, (int) self->buttons);
  spice_inputs_channel_button_release (self->inputs, button, (int) self->buttons);
}

/* Wheels give whole steps; touchpads give fractions, which add up until
 * they make a step, so slow scrolling still scrolls. */
static gboolean
on_scroll_cb (GtkEventControllerScroll *controller,
              double                    dx,
              double                    dy,
              VireoDisplay             *self)
{
  /* In server mode the wheel is the guest's only while captured. */
  if (self->inputs == NULL || (self->relative && !self->captured))
    return FALSE;
  self->scroll += dy;
  while (self->scroll >= 1.0)
    {
      wheel_step (self, SPICE_MOUSE_BUTTON_DOWN);
      self->scroll -= 1.0;
    }
  while (self->scroll <= -1.0)
    {
      wheel_step (self, SPICE_MOUSE_BUTTON_UP);
      self->scroll += 1.0;
    }
  return TRUE;
}

/* ---- the guest's pointer image ---- */

/* Guest pixels per logical pixel of the widget, as the frame is shown. */
static double
frame_scale (VireoDisplay *self)
{
  if (self->width <= 0 || self->area.size.width <= 0)
    return 1.0;
  return self->area.size.width / self->width;
}

/* The pointer must be as large, relative to the guest's screen, as the
 * guest drew it: a guest shown at half size gets a pointer of half size,
 * and a guest shown 1:1 on a HiDPI screen (half a logical pixel per guest
 * pixel at scale 2) one of its own size in device pixels. GDK takes a
 * cursor texture's size in logical pixels, so the image is scaled here. */
void
vireo_display_update_cursor (VireoDisplay *self,
                             gboolean      force)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkPixbuf) scaled = NULL;
  double scale = frame_scale (self);
  int w, h;

  if (!self->cursor_shown || self->cursor_pixels == NULL)
    return;
  if (!force && fabs (scale - self->cursor_scale) < 0.01)
    return;
  self->cursor_scale = scale;
  w = MAX (1, (int) round (self->cursor_width * scale));
  h = MAX (1, (int) round (self->cursor_height * scale));
  pixbuf = gdk_pixbuf_new_from_bytes (self->cursor_pixels, GDK_COLORSPACE_RGB, TRUE, 8,
                                      self->cursor_width, self->cursor_height,
                                      self->cursor_width * 4);
  if (w == self->cursor_width && h == self->cursor_height)
    scaled = g_object_ref (pixbuf);
  else
    scaled = gdk_pixbuf_scale_simple (pixbuf, w, h, GDK_INTERP_BILINEAR);
  if (scaled == NULL)
    return;
  g_clear_object (&self->cursor_texture);
  self->cursor_texture = gdk_texture_new_for_pixbuf (scaled);
  self->cursor_texture_hot_x = CLAMP ((int) floor (self->cursor_hot_x * scale), 0, w - 1);
  self->cursor_texture_hot_y = CLAMP ((int) floor (self->cursor_hot_y * scale), 0, h - 1);
  vireo_display_apply_host_cursor (self);
}

/* Over the display, the host's pointer is the guest's in client mode. In
 * server mode the guest's pointer is drawn in the frame instead: the
 * host's is hidden while captured and the desktop's own otherwise, so the
 * user sees that a click is needed. */
void
vireo_display_apply_host_cursor (VireoDisplay *self)
{
  g_autoptr (GdkCursor) cursor = NULL;

  if (self->relative)
    {
      if (self->captured)
        gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "none");
      else
        gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (self->cursor_shown && self->cursor_texture != NULL)
    {
      cursor = gdk_cursor_new_from_texture (self->cursor_texture, self->cursor_texture_hot_x,
                                            self->cursor_texture_hot_y, NULL);
      gtk_widget_set_cursor (GTK_WIDGET (self), cursor);
    }
  else if (self->cursor_hidden)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "none");
  else
    gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static void
on_cursor_notify_cb (GObject      *channel,
                     GParamSpec   *pspec,
                     VireoDisplay *self)
{
  SpiceCursorShape *shape = NULL;

  vireo_spice_link_set_state (SPICE_CHANNEL (channel), VIREO_SPICE_LINK_DONE);
  g_object_get (channel, "cursor", &shape, NULL);
  if (shape == NULL)
    return;
  /* Pointer images are small; a remote server's absurd one is ignored. */
  if (shape->type == SPICE_CURSOR_TYPE_ALPHA && shape->width > 0 && shape->height > 0 &&
      shape->width <= 512 && shape->height <= 512 && shape->data != NULL)
    {
      /* spice-client-glib hands the image over as R G B A bytes. */
      g_clear_pointer (&self->cursor_pixels, g_bytes_unref);
      self->cursor_pixels = g_bytes_new (shape->data, (gsize) shape->width * shape->height * 4);
      self->cursor_width = shape->width;
      self->cursor_height = shape->height;
      self->cursor_hot_x = shape->hot_spot_x;
      self->cursor_hot_y = shape->hot_spot_y;
      self->cursor_shown = TRUE;
      self->cursor_hidden = FALSE;
      vireo_display_update_cursor (self, TRUE);
    }
  g_boxed_free (SPICE_TYPE_CURSOR_SHAPE, shape);
}

static void
on_cursor_hide_cb (SpiceChannel *channel,
                   VireoDisplay *self)
{
  vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_DONE);
  self->cursor_shown = FALSE;
  self->cursor_hidden = TRUE;
  vireo_display_apply_host_cursor (self);
}

static void
on_cursor_move_cb (SpiceCursorChannel *channel,
                   int                 x,
                   int                 y,
                   VireoDisplay       *self)
{
  self->guest_cursor_known = TRUE;
  self->guest_cursor_x = x;
  self->guest_cursor_y = y;
  if (self->relative)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_cursor_reset_cb (SpiceChannel *channel,
                    VireoDisplay *self)
{
  vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_DONE);
  self->cursor_shown = FALSE;
  self->cursor_hidden = FALSE;
  vireo_display_apply_host_cursor (self);
}

/* In server mode the guest's pointer is not the host's: it is drawn in
 * the frame (area), at the frame's scale, where the guest last put it. */
void
vireo_display_snapshot_guest_pointer (VireoDisplay          *self,
                                      GtkSnapshot           *snapshot,
                                      const graphene_rect_t *a)
{
  double s = frame_scale (self);
  graphene_rect_t r;

  if (!self->relative || !self->cursor_shown || !self->guest_cursor_known ||
      self->cursor_texture == NULL)
    return;
  r = GRAPHENE_RECT_INIT (a->origin.x + self->guest_cursor_x * s - self->cursor_texture_hot_x,
                          a->origin.y + self->guest_cursor_y * s - self->cursor_texture_hot_y,
                          gdk_texture_get_width (self->cursor_texture),
                          gdk_texture_get_height (self->cursor_texture));
  gtk_snapshot_push_clip (snapshot, a);
  gtk_snapshot_append_texture (snapshot, self->cursor_texture, &r);
  gtk_snapshot_pop (snapshot);
}

void
vireo_display_add_pointer_controllers (VireoDisplay *self)
{
  GtkEventController *controller;

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion_cb), self);
  g_signal_connect (controller, "enter", G_CALLBACK (on_enter_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = GTK_EVENT_CONTROLLER (gtk_gesture_click_new ());
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (controller), 0);
  g_signal_connect (controller, "pressed", G_CALLBACK (on_pressed_cb), self);
  g_signal_connect (controller, "released", G_CALLBACK (on_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

void
vireo_display_watch_cursor (VireoDisplay *self,
                            SpiceChannel *channel)
{
  g_signal_connect (channel, "notify::cursor", G_CALLBACK (on_cursor_notify_cb), self);
  g_signal_connect (channel, "cursor-hide", G_CALLBACK (on_cursor_hide_cb), self);
  g_signal_connect (channel, "cursor-reset", G_CALLBACK (on_cursor_reset_cb), self);
  g_signal_connect (channel, "cursor-move", G_CALLBACK (on_cursor_move_cb), self);
}
