/* vireo-console-page.c
 *
 * One machine, full window: a header bar with the way back to the
 * library, the machine's name and state, and its menu; below it the
 * guest's screen (VireoDisplay) while the machine runs, or a status page
 * that says in words what the machine is doing and offers to run it.
 *
 * The display connects when the machine is running and disconnects when it
 * stops, so a restarted machine gets a fresh connection. The embedded
 * SPICE server takes one viewer at a time (a new one replaces the old), so
 * this page's connection is also where the library card's thumbnail comes
 * from: a scaled copy of the frame, at most every THUMBNAIL_SECONDS.
 *
 * Like the library cards, the menu items are the page's own actions,
 * enabled from the machine's state, forwarding to the window's actions
 * with the machine's UUID; the display's own items (keys, screenshot)
 * are enabled while it is connected.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vireo-console-page.h"
#include "display/vireo-display.h"
#include "vireo-machine-card.h"

/* Thumbnails are drawn at most this often, and at most this large (the
 * card's picture at twice its size, for HiDPI). */
#define THUMBNAIL_SECONDS 2
#define THUMBNAIL_WIDTH   416
#define THUMBNAIL_HEIGHT  312

/* PC scancodes (set 1; 0x1xx for the E0-prefixed ones). */
#define SCANCODE_CTRL 0x1d
#define SCANCODE_ALT  0x38
#define SCANCODE_DEL  0x153

struct _VireoConsolePage
{
  GtkWidget        parent_instance;

  VireoMachine    *machine;
  GSignalGroup    *machine_signals;
  guint            thumbnail_timeout;
  /* Why the running machine's screen could not be reached, if it could
   * not: shown instead of the screen until the machine stops. */
  GError          *display_error;
  gboolean         fullscreen;

  /* Template widgets */
  AdwHeaderBar    *header_bar;
  AdwWindowTitle  *window_title;
  GtkStack        *stack;
  AdwStatusPage   *status_page;
  GtkButton       *start_button;
  VireoDisplay    *display;
  GMenu           *fkey_menu;
};

G_DEFINE_FINAL_TYPE (VireoConsolePage, vireo_console_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static const struct {
  const char            *page_action;
  const char            *window_action;
  VireoMachineOperation  operation;
} page_actions[] = {
  { "console.start", "win.machine-start", VIREO_MACHINE_OPERATION_START },
  { "console.pause", "win.machine-pause", VIREO_MACHINE_OPERATION_PAUSE },
  { "console.resume", "win.machine-resume", VIREO_MACHINE_OPERATION_RESUME },
  { "console.shut-down", "win.machine-shut-down", VIREO_MACHINE_OPERATION_SHUT_DOWN },
  { "console.force-off", "win.machine-force-off", VIREO_MACHINE_OPERATION_FORCE_OFF },
};

/* Actions that need the display connected. */
static const char *display_actions[] = {
  "console.send-ctrl-alt-del",
  "console.send-ctrl-alt-fn",
  "console.screenshot",
};

/* Toasts go to the window's overlay, where its other toasts are: two
 * overlays would draw their toasts on top of each other. */
static void
add_toast (VireoConsolePage *self,
           AdwToast         *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

static void
show_toast (VireoConsolePage *self,
            const char       *title)
{
  add_toast (self, adw_toast_new (title));
}

/* The screen is shown from when the guest runs until it is off: a paused
 * guest keeps its last frame, and one shutting down shows how far it got. */
static gboolean
state_shows_display (VireoMachineState state)
{
  return state == VIREO_MACHINE_STATE_RUNNING ||
         state == VIREO_MACHINE_STATE_PAUSED ||
         state == VIREO_MACHINE_STATE_STOPPING;
}

static int
open_display_fd (gpointer   user_data,
                 GError   **error)
{
  return vireo_machine_open_display_fd (VIREO_MACHINE (user_data), error);
}

static void
disconnect_display (VireoConsolePage *self)
{
  g_clear_handle_id (&self->thumbnail_timeout, g_source_remove);
  g_clear_error (&self->display_error);
  vireo_display_disconnect (self->display);
}

/* Connects when the machine starts running (once per run: a machine
 * without a screen is not asked again until it restarts), disconnects
 * when it stops. */
static void
sync_display (VireoConsolePage  *self,
              VireoMachineState  state)
{
  if (self->machine == NULL || !state_shows_display (state))
    {
      disconnect_display (self);
      /* A picture of the last run would otherwise greet the next one. */
      if (self->machine != NULL && !vireo_machine_is_active (self->machine))
        vireo_machine_set_thumbnail (self->machine, NULL);
      return;
    }
  /* A machine paused or shutting down before we looked still has a screen,
   * but only a running one is sure to have its server up. */
  if (vireo_display_get_connected (self->display) || self->display_error != NULL ||
      state != VIREO_MACHINE_STATE_RUNNING)
    return;
  if (vireo_display_connect (self->display, &self->display_error))
    gtk_widget_grab_focus (GTK_WIDGET (self->display));
}

static void
update (VireoConsolePage *self)
{
  VireoMachineState state = VIREO_MACHINE_STATE_STOPPED;
  g_autofree char *no_screen = NULL;
  const char *icon = "computer-symbolic";
  const char *title = NULL;
  const char *description = NULL;
  gboolean connected;

  if (self->machine != NULL)
    state = vireo_machine_get_state (self->machine);

  adw_window_title_set_title (self->window_title,
                              self->machine != NULL ? vireo_machine_get_name (self->machine) : "");
  adw_window_title_set_subtitle (self->window_title, vireo_machine_state_to_label (state));

  sync_display (self, state);
  connected = vireo_display_get_connected (self->display);

  switch (state)
    {
    case VIREO_MACHINE_STATE_STARTING:
      title = _("Starting");
      description = _("The machine is being set up");
      break;

    case VIREO_MACHINE_STATE_RUNNING:
      title = _("Running");
      if (self->display_error != NULL)
        no_screen = g_strdup_printf (_("Its screen cannot be shown: %s"), self->display_error->message);
      description = no_screen;
      break;

    case VIREO_MACHINE_STATE_PAUSED:
      icon = "media-playback-pause-symbolic";
      title = _("Paused");
      description = _("The machine is paused");
      break;

    case VIREO_MACHINE_STATE_STOPPING:
      icon = "system-shutdown-symbolic";
      title = _("Shutting Down");
      description = _("The machine was asked to shut down. A machine that does not respond can be forced off from the menu.");
      break;

    case VIREO_MACHINE_STATE_CRASHED:
      icon = "dialog-warning-symbolic";
      title = _("Crashed");
      description = _("The machine stopped because of an error inside it");
      break;

    case VIREO_MACHINE_STATE_STOPPED:
    default:
      title = _("Stopped");
      description = _("The machine is not running");
      break;
    }

  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->stack, connected ? "display" : "status");

  /* The one thing to do next, as a button: run it, or let it go on. */
  if (state == VIREO_MACHINE_STATE_PAUSED)
    {
      gtk_button_set_label (self->start_button, _("_Resume"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->start_button), "console.resume");
    }
  else
    {
      gtk_button_set_label (self->start_button, _("_Run"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->start_button), "console.start");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->start_button),
                          self->machine != NULL &&
                          (state == VIREO_MACHINE_STATE_PAUSED || !vireo_machine_is_active (self->machine)));

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), page_actions[i].page_action,
                                   self->machine != NULL &&
                                   vireo_machine_can (self->machine, page_actions[i].operation));
  /* Keys go to a guest that runs; a paused one would get them all at once
   * when it resumes. */
  for (guint i = 0; i < G_N_ELEMENTS (display_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), display_actions[i],
                                   connected &&
                                   (state == VIREO_MACHINE_STATE_RUNNING ||
                                    g_str_equal (display_actions[i], "console.screenshot")));
}

/* A copy of @frame at most THUMBNAIL_WIDTH × THUMBNAIL_HEIGHT: the card
 * shows it small, and the machine keeps it after the console closes. */
static GdkTexture *
scale_frame (GdkTexture *frame)
{
  int width = gdk_texture_get_width (frame);
  int height = gdk_texture_get_height (frame);
  double scale = MIN ((double) THUMBNAIL_WIDTH / width, (double) THUMBNAIL_HEIGHT / height);
  g_autofree guchar *pixels = NULL;
  g_autoptr(GBytes) bytes = NULL;
  cairo_surface_t *source, *target;
  cairo_t *cr;
  int target_width, target_height, stride;

  if (scale >= 1.0)
    return g_object_ref (frame);

  target_width = MAX (1, (int) (width * scale));
  target_height = MAX (1, (int) (height * scale));
  /* gdk_texture_download() writes GDK_MEMORY_DEFAULT, cairo's ARGB32. */
  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (frame, pixels, (gsize) width * 4);
  source = cairo_image_surface_create_for_data (pixels, CAIRO_FORMAT_ARGB32, width, height, width * 4);
  target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, target_width, target_height);
  cr = cairo_create (target);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, source, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (source);
  cairo_surface_flush (target);

  stride = cairo_image_surface_get_stride (target);
  bytes = g_bytes_new (cairo_image_surface_get_data (target), (gsize) stride * target_height);
  cairo_surface_destroy (target);
  return gdk_memory_texture_new (target_width, target_height, GDK_MEMORY_DEFAULT, bytes, stride);
}

static void
update_thumbnail (VireoConsolePage *self)
{
  GdkTexture *frame = vireo_display_get_frame (self->display);
  g_autoptr(GdkTexture) thumbnail = NULL;

  if (self->machine == NULL || frame == NULL)
    return;
  thumbnail = scale_frame (frame);
  vireo_machine_set_thumbnail (self->machine, GDK_PAINTABLE (thumbnail));
}

static gboolean
on_thumbnail_timeout_cb (gpointer user_data)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (user_data);

  self->thumbnail_timeout = 0;
  update_thumbnail (self);
  return G_SOURCE_REMOVE;
}

static void
on_frame_updated_cb (VireoConsolePage *self,
                     VireoDisplay     *display)
{
  if (self->thumbnail_timeout == 0)
    self->thumbnail_timeout = g_timeout_add_seconds (THUMBNAIL_SECONDS, on_thumbnail_timeout_cb, self);
}

static void
on_machine_notify_cb (VireoConsolePage *self,
                      GParamSpec       *pspec,
                      VireoMachine     *machine)
{
  update (self);
}

static void
page_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (widget);

  if (self->machine == NULL)
    return;

  if (g_str_equal (action_name, "console.properties"))
    {
      gtk_widget_activate_action (widget, "win.machine-properties", "s",
                                  vireo_machine_get_uuid (self->machine));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    {
      if (g_str_equal (action_name, page_actions[i].page_action))
        {
          gtk_widget_activate_action (widget, page_actions[i].window_action, "s",
                                      vireo_machine_get_uuid (self->machine));
          return;
        }
    }
}

static void
send_keys_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (widget);
  /* F1–F10 are consecutive; F11 and F12 came later and are not. */
  static const guint fkeys[] = { 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x57, 0x58 };
  guint keys[] = { SCANCODE_CTRL, SCANCODE_ALT, SCANCODE_DEL };

  if (param != NULL)
    {
      guint n = g_variant_get_uint32 (param);

      if (n < 1 || n > G_N_ELEMENTS (fkeys))
        return;
      keys[2] = fkeys[n - 1];
    }
  vireo_display_send_keys (self->display, keys, G_N_ELEMENTS (keys));
}

static void
on_open_screenshot_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(VireoConsolePage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    show_toast (self, error->message);
}

/* The toast's Open button: the toast lives in the window's overlay, above
 * this page, where the page's actions cannot be reached by name. */
static void
on_open_screenshot_clicked_cb (AdwToast         *toast,
                               VireoConsolePage *self)
{
  const char *uri = g_object_get_data (G_OBJECT (toast), "uri");
  g_autoptr(GAppLaunchContext) context = NULL;

  context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self))));
  g_app_info_launch_default_for_uri_async (uri, context, NULL,
                                           on_open_screenshot_cb, g_object_ref (self));
}

/* A new file in Pictures (the home folder where there is none), named
 * after the machine and the time, never over an existing one. */
static char *
screenshot_path (VireoConsolePage *self)
{
  const char *dir = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;

  if (dir == NULL)
    dir = g_get_home_dir ();
  /* A machine's name may hold a slash; a file name may not. */
  base = g_strdelimit (g_strdup_printf ("%s %s", vireo_machine_get_name (self->machine), stamp), "/", '-');
  for (guint i = 1; ; i++)
    {
      g_autofree char *path = NULL;

      g_free (name);
      name = i == 1 ? g_strdup_printf ("%s.png", base) : g_strdup_printf ("%s (%u).png", base, i);
      path = g_build_filename (dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&path);
    }
}

static void
screenshot_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (widget);
  GdkTexture *frame = vireo_display_get_frame (self->display);
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  AdwToast *toast;

  if (frame == NULL)
    {
      show_toast (self, _("The machine has not shown anything on its screen yet"));
      return;
    }

  path = screenshot_path (self);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) != 0 || !gdk_texture_save_to_png (frame, path))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the screenshot in %s"), dir);

      show_toast (self, message);
      return;
    }

  toast = adw_toast_new (_("Screenshot saved"));
  adw_toast_set_button_label (toast, _("_Open"));
  g_object_set_data_full (G_OBJECT (toast), "uri", g_filename_to_uri (path, NULL, NULL), g_free);
  g_signal_connect_object (toast, "button-clicked",
                           G_CALLBACK (on_open_screenshot_clicked_cb), self, 0);
  add_toast (self, toast);
}

static void
on_fullscreened_cb (VireoConsolePage *self,
                    GParamSpec       *pspec,
                    GtkWindow        *window)
{
  self->fullscreen = gtk_window_is_fullscreen (window);
  /* Nothing but the guest's screen; F11 brings the header bar back. */
  gtk_widget_set_visible (GTK_WIDGET (self->header_bar), !self->fullscreen);
}

static void
fullscreen_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (widget));

  if (gtk_window_is_fullscreen (window))
    gtk_window_unfullscreen (window);
  else
    gtk_window_fullscreen (window);
}

static void
vireo_console_page_root (GtkWidget *widget)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (vireo_console_page_parent_class)->root (widget);

  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    {
      g_signal_connect_object (root, "notify::fullscreened",
                               G_CALLBACK (on_fullscreened_cb), self, G_CONNECT_SWAPPED);
      on_fullscreened_cb (self, NULL, GTK_WINDOW (root));
    }
}

static void
vireo_console_page_unroot (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  g_signal_handlers_disconnect_by_func (root, on_fullscreened_cb, widget);

  GTK_WIDGET_CLASS (vireo_console_page_parent_class)->unroot (widget);
}

/**
 * vireo_console_page_get_machine:
 *
 * Returns: (transfer none) (nullable): the machine shown
 */
VireoMachine *
vireo_console_page_get_machine (VireoConsolePage *self)
{
  g_return_val_if_fail (VIREO_IS_CONSOLE_PAGE (self), NULL);

  return self->machine;
}

void
vireo_console_page_set_machine (VireoConsolePage *self,
                                VireoMachine     *machine)
{
  g_return_if_fail (VIREO_IS_CONSOLE_PAGE (self));
  g_return_if_fail (machine == NULL || VIREO_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  /* The last picture of the machine we leave stays on its card. */
  update_thumbnail (self);
  disconnect_display (self);
  g_set_object (&self->machine, machine);
  if (machine != NULL)
    vireo_display_set_open_fd_func (self->display, open_display_fd,
                                    g_object_ref (machine), g_object_unref);

  g_signal_group_set_target (self->machine_signals, machine);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MACHINE]);
}

/**
 * vireo_console_page_get_display_state:
 *
 * For the ui tests' window dump.
 *
 * Returns: "connected" while the guest's screen is shown, "unavailable"
 *   when the running machine's screen could not be reached, "disconnected"
 *   otherwise
 */
const char *
vireo_console_page_get_display_state (VireoConsolePage *self)
{
  g_return_val_if_fail (VIREO_IS_CONSOLE_PAGE (self), NULL);

  if (vireo_display_get_connected (self->display))
    return "connected";
  return self->display_error != NULL ? "unavailable" : "disconnected";
}

static void
vireo_console_page_dispose (GObject *object)
{
  VireoConsolePage *self = (VireoConsolePage *)object;
  GtkWidget *child;

  if (self->machine_signals != NULL)
    g_signal_group_set_target (self->machine_signals, NULL);
  g_clear_object (&self->machine_signals);
  g_clear_handle_id (&self->thumbnail_timeout, g_source_remove);
  g_clear_error (&self->display_error);
  if (self->display != NULL)
    {
      /* Its "connected" going away must not update a page being torn down. */
      g_signal_handlers_disconnect_by_func (self->display, update, self);
      vireo_display_disconnect (self->display);
    }
  g_clear_object (&self->machine);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_CONSOLE_PAGE);
  /* The template's root box is not bound, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (vireo_console_page_parent_class)->dispose (object);
}

static void
vireo_console_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_console_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      vireo_console_page_set_machine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_console_page_class_init (VireoConsolePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vireo_console_page_dispose;
  object_class->get_property = vireo_console_page_get_property;
  object_class->set_property = vireo_console_page_set_property;
  widget_class->root = vireo_console_page_root;
  widget_class->unroot = vireo_console_page_unroot;

  properties [PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, VIREO_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIREO_TYPE_DISPLAY);
  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-console-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, window_title);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, stack);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, status_page);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, start_button);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, display);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, fkey_menu);

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    gtk_widget_class_install_action (widget_class, page_actions[i].page_action, NULL, page_action);
  gtk_widget_class_install_action (widget_class, "console.properties", NULL, page_action);
  gtk_widget_class_install_action (widget_class, "console.send-ctrl-alt-del", NULL, send_keys_action);
  gtk_widget_class_install_action (widget_class, "console.send-ctrl-alt-fn", "u", send_keys_action);
  gtk_widget_class_install_action (widget_class, "console.screenshot", NULL, screenshot_action);
  gtk_widget_class_install_action (widget_class, "console.fullscreen", NULL, fullscreen_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
vireo_console_page_init (VireoConsolePage *self)
{
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint n = 1; n <= 12; n++)
    {
      g_autofree char *label = g_strdup_printf (_("Ctrl+Alt+F%u"), n);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target (item, "console.send-ctrl-alt-fn", "u", n);
      g_menu_append_item (self->fkey_menu, item);
    }

  /* F11 is caught before the display sees it, so that it also leaves
   * fullscreen while the guest has the keyboard. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F11, 0),
                                                          gtk_named_action_new ("console.fullscreen")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  g_signal_connect_object (self->display, "frame-updated",
                           G_CALLBACK (on_frame_updated_cb), self, G_CONNECT_SWAPPED);
  /* The display counts as connected once its display channel has linked,
   * some time after vireo_display_connect(). */
  g_signal_connect_object (self->display, "notify::connected",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);

  self->machine_signals = g_signal_group_new (VIREO_TYPE_MACHINE);
  g_signal_group_connect_object (self->machine_signals, "notify::name",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->machine_signals, "notify::state",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  update (self);
}
