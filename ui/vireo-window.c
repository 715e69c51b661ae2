/* vireo-window.c
 *
 * The main window: the library (a grid of machines with search) and the
 * console of one machine, as two pages of a leaflet, with toasts and
 * banners for whatever goes wrong.
 *
 * Everything the user can do to a machine is a window action taking the
 * machine's UUID (win.machine-start, …): the cards and the console page
 * forward their menus here, so confirmations and error reporting live in
 * one place, and the ui tests reach them through app.test-window-action.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "dialogs/vireo-machine-properties-dialog.h"
#include "dialogs/vireo-new-machine-dialog.h"
#include "vireo-application.h"
#include "vireo-console-page.h"
#include "vireo-library-view.h"
#include "vireo-preferences-window.h"
#include "vireo-window.h"

/* How long guests get to shut down when the window closes before they
 * are forced off. */
#define SHUT_DOWN_TIMEOUT_SECONDS 30
/* Toasts kept for win.test-dump, newest last. */
#define TOAST_LOG_MAX 32

struct _VireoWindow
{
  AdwApplicationWindow  parent_instance;

  VireoLibrary         *library;
  GPtrArray            *toast_log;
  /* The open confirmation, for the tests to answer. */
  AdwMessageDialog     *dialog;
  GtkCheckButton       *dialog_check;
  /* The open Import Machine chooser. */
  GtkFileChooserNative *import_chooser;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkRevealer          *kvm_banner;
  GtkLabel             *kvm_label;
  GtkRevealer          *problems_banner;
  GtkLabel             *problems_label;
  VireoLibraryView     *library_view;
  VireoConsolePage     *console_page;

  guint                 settings_bound : 1;
  guint                 may_close : 1;
};

G_DEFINE_FINAL_TYPE (VireoWindow, vireo_window, ADW_TYPE_APPLICATION_WINDOW)

/* A toast with @title; when there is more to say, its Details button
 * shows @detail in a dialog (toasts have room for one short line). */
static void
show_error (VireoWindow *self,
            const char  *title,
            const char  *detail)
{
  AdwToast *toast = adw_toast_new (title);
  g_autofree char *logged = NULL;

  /* The newest error shows at once rather than queueing behind an old
   * one, and stays a while: a toast that goes unread is lost. */
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 10);
  if (detail != NULL)
    {
      g_autofree char *message = g_strdup_printf ("%s\n\n%s", title, detail);

      adw_toast_set_button_label (toast, _("_Details"));
      adw_toast_set_action_name (toast, "win.show-message");
      adw_toast_set_action_target_value (toast, g_variant_new_string (message));
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);

  logged = detail != NULL ? g_strdup_printf ("%s: %s", title, detail) : g_strdup (title);
  if (self->toast_log->len == TOAST_LOG_MAX)
    g_ptr_array_remove_index (self->toast_log, 0);
  g_ptr_array_add (self->toast_log, g_steal_pointer (&logged));
}

static void
show_toast (VireoWindow *self,
            const char  *message)
{
  show_error (self, message, NULL);
}

static void
show_message_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  g_auto(GStrv) parts = g_strsplit (g_variant_get_string (param, NULL), "\n\n", 2);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (widget), parts[0], parts[1]);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static VireoMachine *
find_machine (VireoWindow *self,
              GVariant    *param)
{
  VireoMachine *machine = NULL;

  if (self->library != NULL && param != NULL)
    machine = vireo_library_find (self->library, g_variant_get_string (param, NULL));
  if (machine == NULL)
    show_toast (self, _("That machine is no longer in the library"));
  return machine;
}

/* Library loading and KVM ------------------------------------------------- */

static void
update_load_problems (VireoWindow *self)
{
  VireoApplication *app = VIREO_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GPtrArray *problems = vireo_application_get_load_problems (app);
  g_autofree char *text = NULL;

  if (problems->len == 0)
    return;

  if (problems->len == 1)
    text = g_strdup (((GError *) g_ptr_array_index (problems, 0))->message);
  else
    text = g_strdup_printf (ngettext ("%u machine could not be read and was set aside",
                                      "%u machines could not be read and were set aside",
                                      problems->len),
                            problems->len);
  gtk_label_set_label (self->problems_label, text);
  gtk_revealer_set_reveal_child (self->problems_banner, TRUE);
}

static void
on_library_loaded_cb (VireoWindow      *self,
                      GParamSpec       *pspec,
                      VireoApplication *app)
{
  g_assert (VIREO_IS_WINDOW (self));

  if (!vireo_application_get_library_loaded (app))
    return;

  vireo_library_view_set_loaded (self->library_view, TRUE);
  update_load_problems (self);
}

static void
on_kvm_problem_cb (VireoWindow      *self,
                   GParamSpec       *pspec,
                   VireoApplication *app)
{
  const char *problem = vireo_application_get_kvm_problem (app);
  g_autofree char *text = NULL;

  g_assert (VIREO_IS_WINDOW (self));

  if (problem == NULL)
    return;

  text = g_strdup_printf ("%s %s",
                          _("This computer can't run virtual machines: hardware virtualization "
                            "(VT-x or AMD-V) is off or missing."),
                          problem);
  gtk_label_set_label (self->kvm_label, text);
  gtk_revealer_set_reveal_child (self->kvm_banner, TRUE);
}

static void
on_application_changed_cb (VireoWindow *self,
                           GParamSpec  *pspec,
                           gpointer     user_data)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GSettings *settings;

  g_assert (VIREO_IS_WINDOW (self));

  if (!VIREO_IS_APPLICATION (app) || self->settings_bound)
    return;

  /* "application" is not a construct property, so the settings are only
   * reachable once it is set, and that happens before the window is
   * shown. The size is bound rather than saved on close so that a crash
   * or a killed session still leaves the last size behind. GTK keeps
   * default-width and default-height at the unmaximized size while
   * maximized, which is the size to come back to. */
  settings = vireo_application_get_settings (VIREO_APPLICATION (app));
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  self->settings_bound = TRUE;

  self->library = g_object_ref (vireo_application_get_library (VIREO_APPLICATION (app)));
  vireo_library_view_set_library (self->library_view, self->library);
  g_signal_connect_object (app, "notify::library-loaded",
                           G_CALLBACK (on_library_loaded_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::kvm-problem",
                           G_CALLBACK (on_kvm_problem_cb), self, G_CONNECT_SWAPPED);
  on_library_loaded_cb (self, NULL, VIREO_APPLICATION (app));
  on_kvm_problem_cb (self, NULL, VIREO_APPLICATION (app));
}

static void
show_load_problems_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoApplication *app = VIREO_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GPtrArray *problems = vireo_application_get_load_problems (app);
  g_autoptr(GString) body = g_string_new (NULL);
  GtkWidget *dialog;

  for (guint i = 0; i < problems->len; i++)
    {
      if (i > 0)
        g_string_append (body, "\n\n");
      g_string_append (body, ((GError *) g_ptr_array_index (problems, i))->message);
    }

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Machines Set Aside"), body->str);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
dismiss_load_problems_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);

  gtk_revealer_set_reveal_child (self->problems_banner, FALSE);
}

/* Pages and search ------------------------------------------------------- */

static void
on_leaflet_page_cb (VireoWindow *self,
                    GParamSpec  *pspec,
                    AdwLeaflet  *leaflet)
{
  gboolean library = g_strcmp0 (adw_leaflet_get_visible_child_name (leaflet), "library") == 0;

  /* Typing in the console will go to the guest, not the search. */
  vireo_library_view_set_key_capture (self->library_view, library ? GTK_WIDGET (self) : NULL);
}

static void
show_library_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);

  adw_leaflet_set_visible_child_name (self->leaflet, "library");
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  gboolean enabled;

  adw_leaflet_set_visible_child_name (self->leaflet, "library");
  g_object_get (self->library_view, "search-mode-enabled", &enabled, NULL);
  g_object_set (self->library_view, "search-mode-enabled", !enabled, NULL);
}

static void
machine_open_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);

  if (machine == NULL)
    return;

  vireo_console_page_set_machine (self->console_page, machine);
  adw_leaflet_set_visible_child_name (self->leaflet, "console");
}

/* Running machines -------------------------------------------------------- */

static void
on_started_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(VireoWindow) self = user_data;
  VireoMachine *machine = VIREO_MACHINE (object);
  g_autoptr(GError) error = NULL;

  if (!vireo_machine_start_finish (machine, result, &error))
    {
      g_autofree char *title = NULL;

      /* What the monitor cannot do yet is said as it is: the message is
       * its own explanation, the first sentence its headline. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        {
          g_auto(GStrv) parts = g_strsplit (error->message, "; ", 2);

          show_error (self, parts[0], parts[1]);
          return;
        }
      title = g_strdup_printf (_("“%s” could not start"), vireo_machine_get_name (machine));
      show_error (self, title, error->message);
    }
}

static void
machine_start_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);

  if (machine != NULL)
    vireo_machine_start_async (machine, NULL, on_started_cb, g_object_ref (self));
}

static void
on_operated_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(VireoWindow) self = user_data;
  VireoMachine *machine = VIREO_MACHINE (object);
  g_autoptr(GError) error = NULL;

  if (!vireo_machine_operate_finish (machine, result, &error))
    {
      g_autofree char *title = g_strdup_printf (_("Could not change the state of “%s”"),
                                                vireo_machine_get_name (machine));
      show_error (self, title, error->message);
    }
}

static void
machine_operate_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);
  VireoMachineOperation operation;

  if (machine == NULL)
    return;

  if (g_str_equal (action_name, "win.machine-pause"))
    operation = VIREO_MACHINE_OPERATION_PAUSE;
  else if (g_str_equal (action_name, "win.machine-resume"))
    operation = VIREO_MACHINE_OPERATION_RESUME;
  else
    operation = VIREO_MACHINE_OPERATION_SHUT_DOWN;

  vireo_machine_operate_async (machine, operation, NULL, on_operated_cb, g_object_ref (self));
}

static void
on_dialog_destroyed_cb (VireoWindow *self,
                        GtkWidget   *dialog)
{
  if ((GtkWidget *) self->dialog == dialog)
    {
      self->dialog = NULL;
      self->dialog_check = NULL;
    }
}

/* A confirmation whose default and Escape answer is "cancel". */
static AdwMessageDialog *
new_confirmation (VireoWindow *self,
                  const char  *heading,
                  const char  *body)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));

  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  self->dialog = dialog;
  self->dialog_check = NULL;
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (on_dialog_destroyed_cb), self, G_CONNECT_SWAPPED);
  return dialog;
}

static void
on_force_off_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          VireoWindow      *self)
{
  const char *uuid = g_object_get_data (G_OBJECT (dialog), "uuid");
  VireoMachine *machine;

  if (!g_str_equal (response, "force-off") || self->library == NULL)
    return;

  machine = vireo_library_find (self->library, uuid);
  if (machine != NULL)
    vireo_machine_operate_async (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, NULL,
                                 on_operated_cb, g_object_ref (self));
}

static void
machine_force_off_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  if (machine == NULL)
    return;

  heading = g_strdup_printf (_("Force Off “%s”?"), vireo_machine_get_name (machine));
  dialog = new_confirmation (self, heading,
                             _("The machine stops at once, as if its power cord were pulled. "
                               "Unsaved work inside it is lost."));
  adw_message_dialog_add_response (dialog, "force-off", _("_Force Off"));
  adw_message_dialog_set_response_appearance (dialog, "force-off", ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "uuid", g_strdup (vireo_machine_get_uuid (machine)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_force_off_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Whether the machine has a disk image that deleting it would remove. */
static gboolean
has_own_images (VireoMachine *machine)
{
  VireoProfile *profile = vireo_machine_get_profile (machine);
  g_autoptr(VireoProfileStore) store = NULL;

  g_object_get (machine, "store", &store, NULL);
  for (guint i = 0; i < vireo_profile_get_n_disks (profile); i++)
    {
      const VireoProfileDisk *disk = vireo_profile_get_disk (profile, i);

      if (disk->path != NULL && disk->device == VIREO_DISK_DEVICE_DISK &&
          vireo_profile_store_owns_image (store, disk->path))
        return TRUE;
    }
  return FALSE;
}

static void
on_delete_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       VireoWindow      *self)
{
  const char *uuid = g_object_get_data (G_OBJECT (dialog), "uuid");
  GtkCheckButton *check = g_object_get_data (G_OBJECT (dialog), "images-check");
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  VireoMachine *machine;

  if (!g_str_equal (response, "delete") || self->library == NULL)
    return;

  machine = vireo_library_find (self->library, uuid);
  if (machine == NULL)
    return;

  name = g_strdup (vireo_machine_get_name (machine));
  if (vireo_console_page_get_machine (self->console_page) == machine)
    {
      adw_leaflet_set_visible_child_name (self->leaflet, "library");
      vireo_console_page_set_machine (self->console_page, NULL);
    }

  if (!vireo_library_delete (self->library, machine,
                             check != NULL && gtk_check_button_get_active (check), &error))
    {
      g_autofree char *title = g_strdup_printf (_("“%s” could not be deleted"), name);

      show_error (self, title, error->message);
      return;
    }
}

static void
machine_delete_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  if (machine == NULL)
    return;

  heading = g_strdup_printf (_("Delete “%s”?"), vireo_machine_get_name (machine));
  dialog = new_confirmation (self, heading, _("The machine and its settings will be deleted."));
  adw_message_dialog_add_response (dialog, "delete", _("_Delete"));
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);

  /* Disks elsewhere (an imported image) are the user's and always stay. */
  if (has_own_images (machine))
    {
      GtkWidget *check = gtk_check_button_new_with_mnemonic (_("Also delete its _disk images"));

      gtk_widget_set_halign (check, GTK_ALIGN_CENTER);
      adw_message_dialog_set_extra_child (dialog, check);
      g_object_set_data (G_OBJECT (dialog), "images-check", check);
      self->dialog_check = GTK_CHECK_BUTTON (check);
    }

  g_object_set_data_full (G_OBJECT (dialog), "uuid", g_strdup (vireo_machine_get_uuid (machine)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Creating and editing ---------------------------------------------------- */

static void
on_machine_created_cb (VireoWindow           *self,
                       VireoMachine          *machine,
                       VireoNewMachineDialog *dialog)
{
  const char *uuid = vireo_machine_get_uuid (machine);

  /* As the user expects after Create: there it is, running. */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.machine-open", "s", uuid);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.machine-start", "s", uuid);
}

static void
new_machine_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoNewMachineDialog *dialog;

  if (self->library == NULL)
    return;

  dialog = vireo_new_machine_dialog_new (GTK_WINDOW (self), self->library);
  g_signal_connect_object (dialog, "machine-created", G_CALLBACK (on_machine_created_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
machine_properties_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  VireoMachine *machine = find_machine (self, param);

  if (machine != NULL)
    gtk_window_present (GTK_WINDOW (vireo_machine_properties_dialog_new (GTK_WINDOW (self), machine)));
}

/* Importing --------------------------------------------------------------- */

typedef struct
{
  VireoWindow  *self;
  VireoLibrary *library;
  GFile        *file;
} ImportRequest;

static void
import_request_free (ImportRequest *request)
{
  g_object_unref (request->self);
  g_object_unref (request->library);
  g_object_unref (request->file);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ImportRequest, import_request_free)

static void
on_imported_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ImportRequest) request = user_data;
  VireoWindow *self = request->self;
  GFile *file = request->file;
  g_autoptr(VireoProfile) profile = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  VireoMachine *machine;

  profile = vireo_profile_store_import_finish (VIREO_PROFILE_STORE (object), result, &dropped, &error);
  /* The store has saved it; the library's model is what the cards show.
   * It outlives the window, which may have closed meanwhile. */
  machine = profile != NULL ? vireo_library_add (request->library, profile) : NULL;
  if (self->library == NULL)
    return;
  if (profile == NULL)
    {
      g_autofree char *basename = g_file_get_basename (file);

      title = g_strdup_printf (_("“%s” could not be imported"), basename);
      show_error (self, title, error->message);
      return;
    }

  adw_leaflet_set_visible_child_name (self->leaflet, "library");
  title = g_strdup_printf (_("“%s” imported"), vireo_machine_get_name (machine));
  /* What the description asked for that Vireo has no equivalent of is
   * worth reading once, not silently lost. */
  if (dropped != NULL && dropped->len > 0)
    {
      g_autofree char *list = NULL;

      g_ptr_array_add (dropped, NULL);
      list = g_strjoinv ("\n", (char **) dropped->pdata);
      g_ptr_array_remove_index (dropped, dropped->len - 1);
      detail = g_strdup_printf (_("Left out, as Vireo has no equivalent:\n%s"), list);
    }
  show_error (self, title, detail);
}

static void
import_file (VireoWindow *self,
             GFile       *file)
{
  ImportRequest *request;

  if (self->library == NULL)
    return;

  request = g_new0 (ImportRequest, 1);
  request->self = g_object_ref (self);
  request->library = g_object_ref (self->library);
  request->file = g_object_ref (file);
  vireo_profile_store_import_async (vireo_library_get_store (self->library), file, NULL,
                                    on_imported_cb, request);
}

static void
on_import_chooser_response_cb (VireoWindow     *self,
                               int              response,
                               GtkNativeDialog *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        import_file (self, file);
    }
  g_clear_object (&self->import_chooser);
}

static void
add_filter (GtkFileChooser *chooser,
            const char     *name,
            ...)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  const char *pattern;
  va_list args;

  gtk_file_filter_set_name (filter, name);
  va_start (args, name);
  while ((pattern = va_arg (args, const char *)) != NULL)
    gtk_file_filter_add_pattern (filter, pattern);
  va_end (args);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  GtkFileChooser *chooser;

  if (self->library == NULL || self->import_chooser != NULL)
    return;

  self->import_chooser = gtk_file_chooser_native_new (_("Import Machine"), GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_OPEN,
                                                      _("_Import"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->import_chooser), TRUE);
  chooser = GTK_FILE_CHOOSER (self->import_chooser);
  add_filter (chooser, _("Machine descriptions and disk images"),
              "*.xml", "*.qcow2", "*.img", "*.raw", NULL);
  add_filter (chooser, _("Machine descriptions"), "*.xml", NULL);
  add_filter (chooser, _("Disk images"), "*.qcow2", "*.img", "*.raw", NULL);
  add_filter (chooser, _("All files"), "*", NULL);
  g_signal_connect_object (self->import_chooser, "response",
                           G_CALLBACK (on_import_chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->import_chooser));
}

/* Closing with machines running ------------------------------------------- */

static void
on_stopped_all_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(VireoWindow) self = user_data;
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  vireo_library_stop_all_finish (VIREO_LIBRARY (object), result, NULL);
  if (app != NULL)
    g_application_release (G_APPLICATION (app));
  gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
close_later_cb (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_close_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      VireoWindow      *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (g_str_equal (response, "background"))
    {
      vireo_application_hold_for_machines (VIREO_APPLICATION (app));
      self->may_close = TRUE;
      /* Not from inside the dialog's response: closing the window takes
       * its dialog down with it. */
      g_idle_add_full (G_PRIORITY_DEFAULT, close_later_cb, g_object_ref (self), g_object_unref);
    }
  else if (g_str_equal (response, "shut-down"))
    {
      /* The window goes at once; the process stays until the guests are
       * down (or forced off), so none is left half-written. */
      g_application_hold (G_APPLICATION (app));
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      vireo_library_stop_all_async (self->library, SHUT_DOWN_TIMEOUT_SECONDS, NULL,
                                    on_stopped_all_cb, g_object_ref (self));
    }
}

static gboolean
vireo_window_close_request (GtkWindow *window)
{
  VireoWindow *self = VIREO_WINDOW (window);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  guint n_active;

  if (self->may_close || self->library == NULL || vireo_library_get_n_active (self->library) == 0)
    return GTK_WINDOW_CLASS (vireo_window_parent_class)->close_request (window);
  if (self->dialog != NULL)
    return TRUE;

  n_active = vireo_library_get_n_active (self->library);
  body = g_strdup_printf (ngettext ("%u machine is still running. It can go on running in the "
                                    "background, or shut down now.",
                                    "%u machines are still running. They can go on running in the "
                                    "background, or shut down now.",
                                    n_active),
                          n_active);
  dialog = new_confirmation (self, _("Machines Are Running"), body);
  adw_message_dialog_add_response (dialog, "shut-down", _("_Shut Down"));
  adw_message_dialog_add_response (dialog, "background", _("_Keep Running"));
  adw_message_dialog_set_response_appearance (dialog, "shut-down", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

/* Test hooks -------------------------------------------------------------- */

static void
dump_line (GString    *out,
           const char *key,
           const char *value)
{
  g_autofree char *flat = g_strdup (value != NULL ? value : "");

  g_strdelimit (flat, "\n", ' ');
  g_string_append_printf (out, "%s=%s\n", key, flat);
}

/* A machine's thumbnail for the dump: its size and how many colours it
 * has (a blank screen has one). */
static char *
describe_thumbnail (VireoMachine *machine)
{
  GdkPaintable *paintable = vireo_machine_get_thumbnail (machine);
  g_autoptr(GHashTable) colours = NULL;
  g_autofree guint32 *pixels = NULL;
  int width, height;

  if (!GDK_IS_TEXTURE (paintable))
    return NULL;
  width = gdk_texture_get_width (GDK_TEXTURE (paintable));
  height = gdk_texture_get_height (GDK_TEXTURE (paintable));
  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (GDK_TEXTURE (paintable), (guchar *) pixels, (gsize) width * 4);
  colours = g_hash_table_new (NULL, NULL);
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));
  return g_strdup_printf ("%s|%dx%d|%u", vireo_machine_get_uuid (machine), width, height,
                          g_hash_table_size (colours));
}

/* Writes what the window shows, one key=value per line, for the ui tests:
 * they check the UI through this rather than through pixels. */
static void
test_dump_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  VireoMachine *console_machine = vireo_console_page_get_machine (self->console_page);
  gboolean search_mode;

  dump_line (out, "page", adw_leaflet_get_visible_child_name (self->leaflet));
  dump_line (out, "library", vireo_library_view_get_page (self->library_view));
  g_object_get (self->library_view, "search-mode-enabled", &search_mode, NULL);
  dump_line (out, "search-mode", search_mode ? "true" : "false");
  if (self->library != NULL)
    {
      GListModel *shown = vireo_library_get_filtered (self->library);

      dump_line (out, "search", vireo_library_get_search (self->library));
      for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
        {
          g_autoptr(VireoMachine) machine = g_list_model_get_item (shown, i);
          g_autofree char *line = NULL;
          g_autoptr(GEnumClass) states = g_type_class_ref (VIREO_TYPE_MACHINE_STATE);

          line = g_strdup_printf ("%s|%s|%s", vireo_machine_get_uuid (machine),
                                  g_enum_get_value (states, vireo_machine_get_state (machine))->value_nick,
                                  vireo_machine_get_name (machine));
          dump_line (out, "card", line);
          /* Only while the card shows it: a stopped machine's shows its icon. */
          if (vireo_machine_is_active (machine))
            {
              g_autofree char *thumbnail = describe_thumbnail (machine);

              if (thumbnail != NULL)
                dump_line (out, "thumbnail", thumbnail);
            }
        }
    }
  if (console_machine != NULL)
    {
      dump_line (out, "console", vireo_machine_get_name (console_machine));
      dump_line (out, "display", vireo_console_page_get_display_state (self->console_page));
      dump_line (out, "fullscreen", gtk_window_is_fullscreen (GTK_WINDOW (self)) ? "true" : "false");
    }
  for (guint i = 0; i < self->toast_log->len; i++)
    dump_line (out, "toast", g_ptr_array_index (self->toast_log, i));
  if (gtk_revealer_get_reveal_child (self->kvm_banner))
    dump_line (out, "banner", gtk_label_get_label (self->kvm_label));
  if (gtk_revealer_get_reveal_child (self->problems_banner))
    dump_line (out, "banner", gtk_label_get_label (self->problems_label));
  if (self->dialog != NULL)
    dump_line (out, "dialog", adw_message_dialog_get_heading (self->dialog));

  if (!g_file_set_contents (g_variant_get_string (param, NULL), out->str, out->len, &error))
    g_printerr ("test-dump: %s\n", error->message);
}

/* Activates one of the console page's own actions (console.screenshot,
 * console.send-ctrl-alt-del, …) with a target in GVariant text form ("" for
 * none), for the ui tests: they live on the page, below the window, so
 * app.test-window-action cannot reach them by name. */
static void
test_console_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  g_autoptr(GVariant) target = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  const char *target_text;

  g_variant_get (param, "(&s&s)", &name, &target_text);
  if (target_text[0] != '\0')
    {
      target = g_variant_parse (NULL, target_text, NULL, NULL, &error);
      if (target == NULL)
        {
          g_printerr ("test-console-action %s: %s\n", name, error->message);
          return;
        }
    }
  if (!gtk_widget_activate_action_variant (GTK_WIDGET (self->console_page), name, target))
    g_printerr ("test-console-action %s: no such action\n", name);
}

/* Imports the file at a path as Import Machine does with the file the
 * chooser returns, for the ui tests: a native chooser is out of their
 * reach. */
static void
test_import_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));

  import_file (VIREO_WINDOW (widget), file);
}

/* Answers the open confirmation as a click would, after setting its
 * check box (if it has one). */
static void
test_respond_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  g_autoptr(AdwMessageDialog) dialog = NULL;
  const char *response;
  gboolean check;

  g_variant_get (param, "(&sb)", &response, &check);
  if (self->dialog == NULL)
    return;

  dialog = g_object_ref (self->dialog);
  if (self->dialog_check != NULL)
    gtk_check_button_set_active (self->dialog_check, check);
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The rest ---------------------------------------------------------------- */

static void
about_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  static const char *developers[] = { "The Vireo developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", widget,
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Vireo"),
                        "developer-name", _("The Vireo developers"),
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_WEBSITE "/issues",
                        "comments", _("Run Windows and Linux virtual machines on your desktop, "
                                      "with a built-in virtual machine monitor."),
                        "copyright", "© 2026 The Vireo developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  VireoPreferencesWindow *prefs;

  g_return_if_fail (VIREO_IS_APPLICATION (app));

  prefs = vireo_preferences_window_new (vireo_application_get_settings (VIREO_APPLICATION (app)));
  gtk_window_set_transient_for (GTK_WINDOW (prefs), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
vireo_window_dispose (GObject *object)
{
  VireoWindow *self = (VireoWindow *)object;

  if (self->import_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->import_chooser));
  g_clear_object (&self->import_chooser);
  g_clear_object (&self->library);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_WINDOW);

  G_OBJECT_CLASS (vireo_window_parent_class)->dispose (object);
}

static void
vireo_window_finalize (GObject *object)
{
  VireoWindow *self = (VireoWindow *)object;

  g_clear_pointer (&self->toast_log, g_ptr_array_unref);

  G_OBJECT_CLASS (vireo_window_parent_class)->finalize (object);
}

static void
vireo_window_class_init (VireoWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = vireo_window_dispose;
  object_class->finalize = vireo_window_finalize;
  window_class->close_request = vireo_window_close_request;

  g_type_ensure (VIREO_TYPE_LIBRARY_VIEW);
  g_type_ensure (VIREO_TYPE_CONSOLE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, kvm_banner);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, kvm_label);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, problems_banner);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, problems_label);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, library_view);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, console_page);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_page_cb);

  gtk_widget_class_install_action (widget_class, "win.about", NULL, about_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-library", NULL, show_library_action);
  gtk_widget_class_install_action (widget_class, "win.show-message", "s", show_message_action);
  gtk_widget_class_install_action (widget_class, "win.show-load-problems", NULL, show_load_problems_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-load-problems", NULL, dismiss_load_problems_action);
  gtk_widget_class_install_action (widget_class, "win.machine-open", "s", machine_open_action);
  gtk_widget_class_install_action (widget_class, "win.machine-start", "s", machine_start_action);
  gtk_widget_class_install_action (widget_class, "win.machine-pause", "s", machine_operate_action);
  gtk_widget_class_install_action (widget_class, "win.machine-resume", "s", machine_operate_action);
  gtk_widget_class_install_action (widget_class, "win.machine-shut-down", "s", machine_operate_action);
  gtk_widget_class_install_action (widget_class, "win.machine-force-off", "s", machine_force_off_action);
  gtk_widget_class_install_action (widget_class, "win.machine-delete", "s", machine_delete_action);
  gtk_widget_class_install_action (widget_class, "win.machine-properties", "s", machine_properties_action);
  gtk_widget_class_install_action (widget_class, "win.new-machine", NULL, new_machine_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.test-dump", "s", test_dump_action);
  gtk_widget_class_install_action (widget_class, "win.test-respond", "(sb)", test_respond_action);
  gtk_widget_class_install_action (widget_class, "win.test-import", "s", test_import_action);
  gtk_widget_class_install_action (widget_class, "win.test-console-action", "(ss)", test_console_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK, "win.preferences", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-machine", NULL);
}

static void
vireo_window_init (VireoWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->toast_log = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (self, "notify::application",
                    G_CALLBACK (on_application_changed_cb), NULL);
  vireo_library_view_set_key_capture (self->library_view, GTK_WIDGET (self));

#ifdef DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}
