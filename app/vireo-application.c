/* vireo-application.c
 *
 * The application object: one per process, unique on the session bus so a
 * second `vireo` activates the first. It owns what outlives a window (the
 * settings and the machine library) and the application-wide actions.
 *
 * The library is loaded in worker threads from startup on, so the window
 * appears at once and fills in when the profiles have been read.
 *
 * app/ holds models only, so the application does not know the window's
 * class: main.c, the composition root, passes the GType in and activation
 * instantiates it. That keeps the layering of DESIGN.md (ui → app).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-vmm.h"

#include "vireo-application.h"
#include "vireo-machine-private.h"

struct _VireoApplication
{
  AdwApplication  parent_instance;

  GType           window_type;
  GSettings      *settings;
  VireoLibrary   *library;
  GCancellable   *load_cancellable;
  /* GError: profiles set aside as broken, or the folder that could not
   * be read, for the window to report. */
  GPtrArray      *load_problems;
  /* Why this computer cannot run machines, or NULL. */
  char           *kvm_problem;
  guint           library_loaded : 1;
  guint           held_for_machines : 1;
};

G_DEFINE_FINAL_TYPE (VireoApplication, vireo_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_WINDOW_TYPE,
  PROP_LIBRARY_LOADED,
  PROP_KVM_PROBLEM,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

VireoApplication *
vireo_application_new (GType window_type)
{
  g_return_val_if_fail (g_type_is_a (window_type, GTK_TYPE_APPLICATION_WINDOW), NULL);

  return g_object_new (VIREO_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/dev/vireo/Vireo",
                       "window-type", window_type,
                       NULL);
}

/**
 * vireo_application_get_settings:
 *
 * Returns: (transfer none): the application's settings (dev.vireo.Vireo).
 */
GSettings *
vireo_application_get_settings (VireoApplication *self)
{
  g_return_val_if_fail (VIREO_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * vireo_application_get_library:
 *
 * Returns: (transfer none): every machine of the user. It exists from
 *   startup on and fills in asynchronously; see
 *   #VireoApplication:library-loaded.
 */
VireoLibrary *
vireo_application_get_library (VireoApplication *self)
{
  g_return_val_if_fail (VIREO_IS_APPLICATION (self), NULL);

  return self->library;
}

/**
 * vireo_application_get_library_loaded:
 *
 * Returns: whether the library has been read from disk (successfully or
 *   not: see vireo_application_get_load_problems())
 */
gboolean
vireo_application_get_library_loaded (VireoApplication *self)
{
  g_return_val_if_fail (VIREO_IS_APPLICATION (self), FALSE);

  return self->library_loaded;
}

/**
 * vireo_application_get_load_problems:
 *
 * Returns: (transfer none) (element-type GError): what went wrong while
 *   loading the library, as messages for the user: each profile set
 *   aside as `*.broken`, or the machines folder that could not be read
 */
GPtrArray *
vireo_application_get_load_problems (VireoApplication *self)
{
  g_return_val_if_fail (VIREO_IS_APPLICATION (self), NULL);

  return self->load_problems;
}

static void
on_library_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(VireoApplication) self = user_data;
  g_autoptr(GPtrArray) broken = NULL;
  GError *error = NULL;

  if (!vireo_library_load_finish (VIREO_LIBRARY (object), result, &broken, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_error_free (error);
          return;
        }
      g_ptr_array_add (self->load_problems, error);
    }
  else
    {
      for (guint i = 0; i < broken->len; i++)
        g_ptr_array_add (self->load_problems, g_error_copy (g_ptr_array_index (broken, i)));
    }

  self->library_loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LIBRARY_LOADED]);
}

/**
 * vireo_application_get_kvm_problem:
 *
 * Returns: (nullable): why this computer cannot run virtual machines
 *   (no KVM, no permission, a missing capability), in words for the
 *   user; %NULL while unknown or when KVM works
 */
const char *
vireo_application_get_kvm_problem (VireoApplication *self)
{
  g_return_val_if_fail (VIREO_IS_APPLICATION (self), NULL);

  return self->kvm_problem;
}

static void
check_kvm_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;

  if (vmm_check_kvm (&error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_kvm_checked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VireoApplication *self = VIREO_APPLICATION (object);
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->kvm_problem = g_strdup (error->message);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_KVM_PROBLEM]);
}

static void
on_n_active_cb (VireoApplication *self,
                GParamSpec       *pspec,
                VireoLibrary     *library)
{
  g_assert (VIREO_IS_APPLICATION (self));

  if (self->held_for_machines && vireo_library_get_n_active (library) == 0)
    {
      self->held_for_machines = FALSE;
      g_application_release (G_APPLICATION (self));
    }
}

/**
 * vireo_application_hold_for_machines:
 *
 * Keeps the application alive without a window for as long as machines
 * run: the user chose to leave them running in the background.
 */
void
vireo_application_hold_for_machines (VireoApplication *self)
{
  g_return_if_fail (VIREO_IS_APPLICATION (self));

  if (self->held_for_machines || vireo_library_get_n_active (self->library) == 0)
    return;

  self->held_for_machines = TRUE;
  g_application_hold (G_APPLICATION (self));
}

static void
vireo_application_activate (GApplication *app)
{
  VireoApplication *self = VIREO_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = g_object_new (self->window_type, "application", self, NULL);

  gtk_window_present (window);
}

static int
vireo_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* Go on: register, then activate the primary instance. */
  return -1;
}

static void
on_color_scheme_changed_cb (VireoApplication *self,
                            const char       *key,
                            GSettings        *settings)
{
  g_autofree char *nick = g_settings_get_string (settings, "color-scheme");
  AdwColorScheme scheme = ADW_COLOR_SCHEME_DEFAULT;

  g_assert (VIREO_IS_APPLICATION (self));

  if (g_str_equal (nick, "light"))
    scheme = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_str_equal (nick, "dark"))
    scheme = ADW_COLOR_SCHEME_FORCE_DARK;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), scheme);
}

static void
vireo_application_startup (GApplication *app)
{
  VireoApplication *self = VIREO_APPLICATION (app);
  g_autoptr(VireoProfileStore) store = NULL;
  g_autoptr(GTask) kvm_task = NULL;

  G_APPLICATION_CLASS (vireo_application_parent_class)->startup (app);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (on_color_scheme_changed_cb), self,
                           G_CONNECT_SWAPPED);
  on_color_scheme_changed_cb (self, "color-scheme", self->settings);

  store = vireo_profile_store_new ();
  self->library = vireo_library_new (store);
  self->load_cancellable = g_cancellable_new ();
  vireo_library_load_async (self->library, self->load_cancellable,
                            on_library_loaded_cb, g_object_ref (self));
  g_signal_connect_object (self->library, "notify::n-active",
                           G_CALLBACK (on_n_active_cb), self, G_CONNECT_SWAPPED);

  /* Opening /dev/kvm is quick, but not something to wait for before the
   * window shows. */
  kvm_task = g_task_new (self, self->load_cancellable, on_kvm_checked_cb, NULL);
  g_task_run_in_thread (kvm_task, check_kvm_thread);
}

static void
vireo_application_shutdown (GApplication *app)
{
  VireoApplication *self = VIREO_APPLICATION (app);

  /* Window geometry is written through bindings as it changes; make sure
   * the last change reaches the backend before the process ends. */
  if (self->settings != NULL)
    g_settings_sync ();

  g_cancellable_cancel (self->load_cancellable);

  G_APPLICATION_CLASS (vireo_application_parent_class)->shutdown (app);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows;

  /* Close rather than g_application_quit(): each window saves its state
   * and may ask about running machines in its close-request handler. The
   * application ends by itself when its last window is gone. */
  windows = g_list_copy (gtk_application_get_windows (app));
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
};

/* The ui tests drive the window's own actions over D-Bus through this:
 * GtkApplication exports only GActionMap actions, not those a widget
 * class installs. Only there when VIREO_UI_TEST is set. */
static void
test_window_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (app);
  g_autoptr(GVariant) target = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  const char *target_text;

  g_variant_get (param, "(&s&s)", &name, &target_text);
  if (window == NULL)
    return;
  if (target_text[0] != '\0')
    {
      target = g_variant_parse (NULL, target_text, NULL, NULL, &error);
      if (target == NULL)
        {
          g_printerr ("test-window-action %s: %s\n", name, error->message);
          return;
        }
    }
  gtk_widget_activate_action_variant (GTK_WIDGET (window), name, target);
}

/* Lets the ui tests run a machine on hosts where no Linux guest boots:
 * the machine with this UUID runs the given real-mode test program. */
static void
test_realmode_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  VireoApplication *self = VIREO_APPLICATION (user_data);
  VireoMachine *machine;
  const char *uuid;
  const char *path;

  g_variant_get (param, "(&s&s)", &uuid, &path);
  machine = vireo_library_find (self->library, uuid);
  if (machine != NULL)
    vireo_machine_set_realmode_image (machine, path);
}

static const GActionEntry test_actions[] = {
  { .name = "test-window-action", .activate = test_window_action, .parameter_type = "(ss)" },
  { .name = "test-realmode", .activate = test_realmode_action, .parameter_type = "(ss)" },
};

static void
vireo_application_finalize (GObject *object)
{
  VireoApplication *self = (VireoApplication *)object;

  g_clear_object (&self->settings);
  g_clear_object (&self->library);
  g_clear_object (&self->load_cancellable);
  g_clear_pointer (&self->load_problems, g_ptr_array_unref);
  g_clear_pointer (&self->kvm_problem, g_free);

  G_OBJECT_CLASS (vireo_application_parent_class)->finalize (object);
}

static void
vireo_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VireoApplication *self = VIREO_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_WINDOW_TYPE:
      g_value_set_gtype (value, self->window_type);
      break;

    case PROP_LIBRARY_LOADED:
      g_value_set_boolean (value, self->library_loaded);
      break;

    case PROP_KVM_PROBLEM:
      g_value_set_string (value, self->kvm_problem);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_application_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  VireoApplication *self = VIREO_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_WINDOW_TYPE:
      self->window_type = g_value_get_gtype (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_application_class_init (VireoApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = vireo_application_finalize;
  object_class->get_property = vireo_application_get_property;
  object_class->set_property = vireo_application_set_property;

  app_class->activate = vireo_application_activate;
  app_class->handle_local_options = vireo_application_handle_local_options;
  app_class->startup = vireo_application_startup;
  app_class->shutdown = vireo_application_shutdown;

  properties [PROP_WINDOW_TYPE] =
    g_param_spec_gtype ("window-type", NULL, NULL,
                        GTK_TYPE_APPLICATION_WINDOW,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties [PROP_LIBRARY_LOADED] =
    g_param_spec_boolean ("library-loaded", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_KVM_PROBLEM] =
    g_param_spec_string ("kvm-problem", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_application_init (VireoApplication *self)
{
  static const GOptionEntry main_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { NULL }
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  self->load_problems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Run Windows and Linux virtual machines"));

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  if (g_getenv ("VIREO_UI_TEST") != NULL)
    g_action_map_add_action_entries (G_ACTION_MAP (self), test_actions,
                                     G_N_ELEMENTS (test_actions), self);
}
