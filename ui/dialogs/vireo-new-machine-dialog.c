/* vireo-new-machine-dialog.c
 *
 * The New Machine wizard: source, operating system, resources, name and
 * review, then Create. The decisions and their checks live in
 * VireoNewMachine (app/); this file only shows them and carries what the
 * user types into the model, so every rule is unit-tested without a
 * display.
 *
 * Each page is checked when the user presses Next, and a problem is shown
 * on that page in words, never as a dialog on top of a dialog. Every
 * control is reachable with Tab, the source choices and fields have
 * mnemonics, Enter in an entry means Next, Alt+Left/Right go back and
 * forth, and Escape cancels.
 *
 * A disk image the monitor cannot open (VMDK, VDI, VHDX) is converted to
 * qcow2 when Create is pressed; the review page then shows the progress
 * and a Stop button, and closing the wizard stops the conversion too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-new-machine.h"
#include "vireo-new-machine-dialog.h"

typedef enum {
  PAGE_SOURCE,
  PAGE_OS,
  PAGE_RESOURCES,
  PAGE_REVIEW,
  N_PAGES
} Page;

static const char * const page_names[N_PAGES] = { "source", "os", "resources", "review" };

/* Positions in firmware_row's list. */
#define FIRMWARE_ROW_BIOS 0
#define FIRMWARE_ROW_UEFI 1

/* Typing a path fires "changed" per key; the ISO is read once typing
 * pauses this long. */
#define DETECT_DELAY_MS 400

struct _VireoNewMachineDialog
{
  AdwWindow           parent_instance;

  VireoLibrary       *library;
  VireoNewMachine    *model;
  GCancellable       *cancellable;
  GCancellable       *detect_cancellable;
  GtkFileChooserNative *chooser;
  GtkCustomFilter    *os_filter;
  GtkSingleSelection *os_selection;
  char               *os_search_text;
  char               *detected_for;
  GError             *detect_error;
  Page                page;
  guint               detect_source;
  guint               scroll_tick;
  guint               scroll_to;
  guint               syncing : 1;
  guint               name_edited : 1;
  guint               next_after_detect : 1;
  guint               creating : 1;
  guint               closed : 1;

  /* Template widgets */
  AdwWindowTitle     *window_title;
  GtkButton          *cancel_button;
  GtkButton          *back_button;
  GtkButton          *next_button;
  GtkButton          *create_button;
  GtkStack           *stack;
  GtkCheckButton     *iso_check;
  GtkCheckButton     *disk_check;
  GtkCheckButton     *kernel_check;
  AdwPreferencesGroup *iso_group;
  AdwPreferencesGroup *disk_group;
  AdwPreferencesGroup *kernel_group;
  AdwEntryRow        *iso_entry;
  AdwActionRow       *detected_row;
  AdwEntryRow        *disk_entry;
  AdwEntryRow        *kernel_entry;
  AdwEntryRow        *initrd_entry;
  AdwEntryRow        *cmdline_entry;
  GtkLabel           *source_error;
  GtkLabel           *os_hint;
  GtkSearchEntry     *os_search;
  GtkListView        *os_list;
  GtkLabel           *os_error;
  AdwPreferencesGroup *resources_group;
  GtkSpinButton      *memory_spin;
  GtkSpinButton      *vcpus_spin;
  AdwComboRow        *firmware_row;
  AdwPreferencesGroup *disk_size_group;
  AdwActionRow       *create_disk_row;
  GtkSwitch          *create_disk_switch;
  AdwActionRow       *disk_size_row;
  GtkSpinButton      *disk_size_spin;
  GtkLabel           *resources_error;
  AdwEntryRow        *name_entry;
  GtkLabel           *name_error;
  AdwActionRow       *review_source;
  AdwActionRow       *review_os;
  AdwActionRow       *review_resources;
  AdwActionRow       *review_disk;
  AdwActionRow       *review_firmware;
  AdwPreferencesGroup *conversion_group;
  GtkLabel           *conversion_label;
  GtkProgressBar     *conversion_bar;
};

G_DEFINE_FINAL_TYPE (VireoNewMachineDialog, vireo_new_machine_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_LIBRARY,
  N_PROPS
};

enum {
  MACHINE_CREATED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void set_page (VireoNewMachineDialog *self,
                      Page                   page);

/**
 * vireo_new_machine_dialog_new:
 * @parent: the window the wizard is modal to
 * @library: where the new machine goes
 *
 * The caller presents the dialog and connects to
 * #VireoNewMachineDialog::machine-created to start the new machine.
 */
VireoNewMachineDialog *
vireo_new_machine_dialog_new (GtkWindow    *parent,
                              VireoLibrary *library)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (VIREO_IS_LIBRARY (library), NULL);

  return g_object_new (VIREO_TYPE_NEW_MACHINE_DIALOG,
                       "transient-for", parent,
                       "library", library,
                       NULL);
}

static void
show_error (GtkLabel     *label,
            const GError *error)
{
  GtkWidget *group = gtk_widget_get_ancestor (GTK_WIDGET (label), ADW_TYPE_PREFERENCES_GROUP);

  gtk_label_set_text (label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), error != NULL);
  /* An empty group would still take a group's spacing. */
  if (group != NULL)
    gtk_widget_set_visible (group, error != NULL);
}

static const char *
os_name (OsinfoOs *os)
{
  return os != NULL ? osinfo_product_get_name (OSINFO_PRODUCT (os)) : NULL;
}

static char *
format_memory (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

/* Source page ------------------------------------------------------------- */

static VireoSourceKind
checked_source (VireoNewMachineDialog *self)
{
  if (gtk_check_button_get_active (self->disk_check))
    return VIREO_SOURCE_DISK_IMAGE;
  if (gtk_check_button_get_active (self->kernel_check))
    return VIREO_SOURCE_KERNEL;
  return VIREO_SOURCE_ISO;
}

/* The first field of the chosen source. */
static GtkWidget *
source_entry (VireoNewMachineDialog *self)
{
  switch (checked_source (self))
    {
    case VIREO_SOURCE_DISK_IMAGE:
      return GTK_WIDGET (self->disk_entry);
    case VIREO_SOURCE_KERNEL:
      return GTK_WIDGET (self->kernel_entry);
    case VIREO_SOURCE_ISO:
    default:
      return GTK_WIDGET (self->iso_entry);
    }
}

static void
on_source_toggled_cb (VireoNewMachineDialog *self,
                      GtkCheckButton        *button)
{
  VireoSourceKind kind;

  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  /* Both the old and the new button toggle; act once, on the new one. */
  if (!gtk_check_button_get_active (button))
    return;

  kind = checked_source (self);
  vireo_new_machine_set_source_kind (self->model, kind);
  gtk_widget_set_visible (GTK_WIDGET (self->iso_group), kind == VIREO_SOURCE_ISO);
  gtk_widget_set_visible (GTK_WIDGET (self->disk_group), kind == VIREO_SOURCE_DISK_IMAGE);
  gtk_widget_set_visible (GTK_WIDGET (self->kernel_group), kind == VIREO_SOURCE_KERNEL);
  show_error (self->source_error, NULL);
  /* Choosing a source leads on to its file, so the keyboard user types
   * the path next. */
  gtk_widget_grab_focus (source_entry (self));
}

static void
update_detected_row (VireoNewMachineDialog *self)
{
  const char *iso = vireo_new_machine_get_iso (self->model);
  OsinfoOs *os = vireo_new_machine_get_detected_os (self->model);

  if (iso == NULL)
    adw_action_row_set_subtitle (self->detected_row, _("Choose a file to find out"));
  else if (g_strcmp0 (self->detected_for, iso) != 0)
    adw_action_row_set_subtitle (self->detected_row, _("Looking at the disc…"));
  else if (self->detect_error != NULL)
    adw_action_row_set_subtitle (self->detected_row, self->detect_error->message);
  else if (os != NULL)
    adw_action_row_set_subtitle (self->detected_row, os_name (os));
  else
    adw_action_row_set_subtitle (self->detected_row,
                                 _("Not recognized: you can choose it on the next page"));
}

static void
on_detect_finished_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(VireoNewMachineDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  vireo_new_machine_detect_os_finish (VIREO_NEW_MACHINE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->detect_cancellable);
  g_free (self->detected_for);
  self->detected_for = g_strdup (vireo_new_machine_get_iso (self->model));
  g_clear_error (&self->detect_error);
  self->detect_error = g_steal_pointer (&error);
  update_detected_row (self);

  if (self->next_after_detect)
    {
      self->next_after_detect = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), TRUE);
      if (self->detect_error != NULL)
        show_error (self->source_error, self->detect_error);
      else
        set_page (self, PAGE_OS);
    }
}

static void
start_detection (VireoNewMachineDialog *self)
{
  const char *iso = vireo_new_machine_get_iso (self->model);

  g_clear_handle_id (&self->detect_source, g_source_remove);
  g_cancellable_cancel (self->detect_cancellable);
  g_clear_object (&self->detect_cancellable);

  if (iso == NULL)
    return;

  self->detect_cancellable = g_cancellable_new ();
  vireo_new_machine_detect_os_async (self->model, iso, self->detect_cancellable,
                                     on_detect_finished_cb, g_object_ref (self));
}

static gboolean
on_detect_timeout_cb (gpointer user_data)
{
  VireoNewMachineDialog *self = user_data;

  self->detect_source = 0;
  start_detection (self);
  return G_SOURCE_REMOVE;
}

static void
on_iso_changed_cb (VireoNewMachineDialog *self,
                   GtkEditable           *editable)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  vireo_new_machine_set_iso (self->model, gtk_editable_get_text (editable));
  show_error (self->source_error, NULL);
  g_clear_handle_id (&self->detect_source, g_source_remove);
  g_cancellable_cancel (self->detect_cancellable);
  g_clear_object (&self->detect_cancellable);
  g_clear_pointer (&self->detected_for, g_free);
  update_detected_row (self);
  if (vireo_new_machine_get_iso (self->model) != NULL)
    self->detect_source = g_timeout_add (DETECT_DELAY_MS, on_detect_timeout_cb, self);
}

#define ENTRY_CHANGED_CB(field)                                               \
static void                                                                   \
on_##field##_changed_cb (VireoNewMachineDialog *self,                         \
                         GtkEditable           *editable)                     \
{                                                                             \
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));                              \
  vireo_new_machine_set_##field (self->model, gtk_editable_get_text (editable)); \
  show_error (self->source_error, NULL);                                      \
}

ENTRY_CHANGED_CB (kernel)
ENTRY_CHANGED_CB (initrd)
ENTRY_CHANGED_CB (cmdline)

#undef ENTRY_CHANGED_CB

static void
on_disk_changed_cb (VireoNewMachineDialog *self,
                    GtkEditable           *editable)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  vireo_new_machine_set_disk_image (self->model, gtk_editable_get_text (editable));
  show_error (self->source_error, NULL);
}

static void
on_chooser_response_cb (VireoNewMachineDialog *self,
                        int                    response,
                        GtkNativeDialog       *chooser)
{
  g_autoptr(GFile) file = NULL;
  AdwEntryRow *entry = g_object_get_data (G_OBJECT (chooser), "entry");

  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL && g_file_peek_path (file) != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (entry), g_file_peek_path (file));
      gtk_widget_grab_focus (GTK_WIDGET (entry));
    }

  g_clear_object (&self->chooser);
}

static void
add_filter (GtkFileChooser *chooser,
            const char     *name,
            const char     *pattern,
            ...)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  va_list args;

  gtk_file_filter_set_name (filter, name);
  va_start (args, pattern);
  for (const char *p = pattern; p != NULL; p = va_arg (args, const char *))
    gtk_file_filter_add_pattern (filter, p);
  va_end (args);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (widget);
  const char *which = g_variant_get_string (param, NULL);
  const char *title;
  AdwEntryRow *entry;

  if (g_str_equal (which, "iso"))
    {
      title = _("Choose an Installation Disc Image");
      entry = self->iso_entry;
    }
  else if (g_str_equal (which, "disk"))
    {
      title = _("Choose a Disk Image");
      entry = self->disk_entry;
    }
  else if (g_str_equal (which, "kernel"))
    {
      title = _("Choose a Linux Kernel");
      entry = self->kernel_entry;
    }
  else
    {
      title = _("Choose an Initial RAM Disk");
      entry = self->initrd_entry;
    }

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (entry == self->iso_entry)
    add_filter (GTK_FILE_CHOOSER (self->chooser), _("Disc images"), "*.iso", "*.ISO", NULL);
  else if (entry == self->disk_entry)
    add_filter (GTK_FILE_CHOOSER (self->chooser), _("Disk images"),
                "*.qcow2", "*.img", "*.raw", NULL);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("All files"), "*", NULL);
  g_object_set_data (G_OBJECT (self->chooser), "entry", entry);
  g_signal_connect_object (self->chooser, "response",
                           G_CALLBACK (on_chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* OS page ----------------------------------------------------------------- */

static gboolean
os_matches (gpointer item,
            gpointer user_data)
{
  VireoNewMachineDialog *self = user_data;
  g_autofree char *name = NULL;
  g_auto(GStrv) words = NULL;

  if (self->os_search_text == NULL)
    return TRUE;

  name = g_utf8_casefold (os_name (OSINFO_OS (item)), -1);
  words = g_strsplit (self->os_search_text, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] != '\0' && strstr (name, words[i]) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
on_os_item_setup_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_item_set_child (item, label);
}

static void
on_os_item_bind_cb (GtkSignalListItemFactory *factory,
                    GtkListItem              *item,
                    gpointer                  user_data)
{
  OsinfoOs *os = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), os_name (os));
}

static OsinfoOs *
selected_os (VireoNewMachineDialog *self)
{
  return self->os_selection != NULL ? gtk_single_selection_get_selected_item (self->os_selection) : NULL;
}

/* GTK 4.8's list view loses its rows when asked to scroll before it has
 * a size, so the scroll waits for a frame in which the list is shown. */
static gboolean
on_scroll_tick_cb (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  VireoNewMachineDialog *self = user_data;

  if (!gtk_widget_get_mapped (widget) || gtk_widget_get_height (widget) == 0)
    return G_SOURCE_CONTINUE;

  self->scroll_tick = 0;
  gtk_widget_activate_action (widget, "list.scroll-to-item", "u", self->scroll_to);
  return G_SOURCE_REMOVE;
}

static void
select_os (VireoNewMachineDialog *self,
           OsinfoOs              *os)
{
  GListModel *model;
  guint n;

  if (self->os_selection == NULL || os == NULL)
    return;

  model = G_LIST_MODEL (self->os_selection);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsinfoOs) item = g_list_model_get_item (model, i);

      if (item == os)
        {
          gtk_single_selection_set_selected (self->os_selection, i);
          self->scroll_to = i;
          if (self->scroll_tick == 0)
            self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->os_list),
                                                              on_scroll_tick_cb, self, NULL);
          return;
        }
    }
}

/* The list is made when first needed: the OS database may still be
 * loading when the wizard opens. */
static void
ensure_os_list (VireoNewMachineDialog *self)
{
  g_autoptr(GListModel) oses = NULL;
  GtkFilterListModel *filtered;
  GtkListItemFactory *factory;

  if (self->os_selection != NULL || vireo_new_machine_get_os_db (self->model) == NULL)
    return;

  oses = vireo_new_machine_list_oses (self->model);
  self->os_filter = gtk_custom_filter_new (os_matches, self, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (oses), g_object_ref (GTK_FILTER (self->os_filter)));
  self->os_selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (on_os_item_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (on_os_item_bind_cb), NULL);
  gtk_list_view_set_factory (self->os_list, factory);
  gtk_list_view_set_model (self->os_list, GTK_SELECTION_MODEL (self->os_selection));
  g_object_unref (factory);
}

static void
on_os_search_changed_cb (VireoNewMachineDialog *self,
                         GtkSearchEntry        *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  g_clear_pointer (&self->os_search_text, g_free);
  if (text[0] != '\0')
    self->os_search_text = g_utf8_casefold (text, -1);
  if (self->os_filter != NULL)
    gtk_filter_changed (GTK_FILTER (self->os_filter), GTK_FILTER_CHANGE_DIFFERENT);
  show_error (self->os_error, NULL);
}

static void
on_os_search_activate_cb (VireoNewMachineDialog *self,
                          GtkSearchEntry        *entry)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "wizard.next", NULL);
}

static void
on_os_list_activate_cb (VireoNewMachineDialog *self,
                        guint                  position,
                        GtkListView           *list)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "wizard.next", NULL);
}

static gboolean
on_os_search_key_cb (VireoNewMachineDialog *self,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     GtkEventControllerKey *controller)
{
  /* Down from the search field goes into the list, as in a file chooser. */
  if (keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down)
    {
      gtk_widget_child_focus (GTK_WIDGET (self->os_list), GTK_DIR_TAB_FORWARD);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
enter_os_page (VireoNewMachineDialog *self)
{
  OsinfoOs *os = vireo_new_machine_get_os (self->model);
  OsinfoOs *detected = vireo_new_machine_get_detected_os (self->model);
  VireoSourceKind kind = vireo_new_machine_get_source_kind (self->model);
  g_autofree char *hint = NULL;

  ensure_os_list (self);

  /* A kernel is Linux; start from the generic entry. */
  if (os == NULL && kind == VIREO_SOURCE_KERNEL && vireo_new_machine_get_os_db (self->model) != NULL)
    {
      os = osinfo_db_get_os (vireo_new_machine_get_os_db (self->model), "http://libosinfo.org/linux/2022");
      vireo_new_machine_set_os (self->model, os);
    }

  if (kind == VIREO_SOURCE_ISO && detected != NULL)
    hint = g_strdup_printf (_("The installation media is %s. If that is wrong, choose the right system."),
                            os_name (detected));
  else if (kind == VIREO_SOURCE_ISO)
    hint = g_strdup (_("The system on the installation media was not recognized. Choose it, or the closest match."));
  else if (kind == VIREO_SOURCE_DISK_IMAGE)
    hint = g_strdup (_("Choose the system installed on the disk image."));
  else
    hint = g_strdup (_("Choose the system the kernel belongs to."));
  gtk_label_set_text (self->os_hint, hint);

  if (self->os_search_text != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->os_search), "");
  select_os (self, os);
  show_error (self->os_error, NULL);
}

/* Resources page ---------------------------------------------------------- */

static void
on_resources_changed_cb (VireoNewMachineDialog *self)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  if (self->syncing)
    return;

  vireo_new_machine_set_memory (self->model, (guint64) gtk_spin_button_get_value_as_int (self->memory_spin) * VIREO_MIB);
  vireo_new_machine_set_vcpus (self->model, (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin));
  vireo_new_machine_set_firmware (self->model,
                                  adw_combo_row_get_selected (self->firmware_row) == FIRMWARE_ROW_UEFI
                                  ? VIREO_FIRMWARE_UEFI : VIREO_FIRMWARE_BIOS);
  if (vireo_new_machine_get_source_kind (self->model) == VIREO_SOURCE_KERNEL)
    vireo_new_machine_set_create_disk (self->model, gtk_switch_get_active (self->create_disk_switch));
  vireo_new_machine_set_disk_size (self->model, (guint64) gtk_spin_button_get_value_as_int (self->disk_size_spin) * VIREO_GIB);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_size_row), vireo_new_machine_get_create_disk (self->model));
  show_error (self->resources_error, NULL);
}

static void
enter_resources_page (VireoNewMachineDialog *self)
{
  VireoNewMachine *model = self->model;
  VireoSourceKind kind = vireo_new_machine_get_source_kind (model);
  OsinfoOs *os = vireo_new_machine_get_os (model);
  g_autofree char *memory = format_memory (vireo_new_machine_get_recommended_memory (model));
  g_autofree char *disk = g_format_size_full (vireo_new_machine_get_recommended_disk_size (model),
                                              G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *host_memory = format_memory (vireo_new_machine_get_host_memory (model));
  g_autofree char *description = NULL;
  g_autofree char *memory_subtitle = NULL;
  g_autofree char *vcpus_subtitle = NULL;
  guint vcpus = vireo_new_machine_get_recommended_vcpus (model);

  self->syncing = TRUE;
  gtk_spin_button_set_value (self->memory_spin, (double) (vireo_new_machine_get_memory (model) / VIREO_MIB));
  gtk_spin_button_set_value (self->vcpus_spin, vireo_new_machine_get_vcpus (model));
  adw_combo_row_set_selected (self->firmware_row,
                              vireo_new_machine_get_firmware (model) == VIREO_FIRMWARE_UEFI
                              ? FIRMWARE_ROW_UEFI : FIRMWARE_ROW_BIOS);
  gtk_switch_set_active (self->create_disk_switch, vireo_new_machine_get_create_disk (model));
  gtk_spin_button_set_value (self->disk_size_spin, (double) (vireo_new_machine_get_disk_size (model) / VIREO_GIB));
  self->syncing = FALSE;

  if (os != NULL)
    /* Translators: the recommendation for an OS, e.g. "Recommended for
     * Debian 11: 1 GiB of memory, 2 processors and a 20 GiB disk" */
    description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "Recommended for %s: %s of memory, %u processor and a %s disk",
                                                "Recommended for %s: %s of memory, %u processors and a %s disk",
                                                vcpus),
                                   os_name (os), memory, vcpus, disk);
  adw_preferences_group_set_description (self->resources_group, description);

  memory_subtitle = g_strdup_printf (_("This computer has %s"), host_memory);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (gtk_widget_get_ancestor (GTK_WIDGET (self->memory_spin),
                                                                          ADW_TYPE_ACTION_ROW)),
                               memory_subtitle);
  vcpus_subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "This computer has %u processor",
                                                 "This computer has %u processors",
                                                 vireo_new_machine_get_host_cpus (model)),
                                    vireo_new_machine_get_host_cpus (model));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (gtk_widget_get_ancestor (GTK_WIDGET (self->vcpus_spin),
                                                                          ADW_TYPE_ACTION_ROW)),
                               vcpus_subtitle);

  if (kind != VIREO_SOURCE_KERNEL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->firmware_row),
                                 vireo_new_machine_get_uefi_supported (model)
                                 ? _("This system supports UEFI")
                                 : _("This system is not known to support UEFI"));
  /* A kernel starts without firmware; a disk image is its own disk. */
  gtk_widget_set_visible (GTK_WIDGET (self->firmware_row), kind != VIREO_SOURCE_KERNEL);
  gtk_widget_set_visible (GTK_WIDGET (self->disk_size_group), kind != VIREO_SOURCE_DISK_IMAGE);
  gtk_widget_set_visible (GTK_WIDGET (self->create_disk_row), kind == VIREO_SOURCE_KERNEL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_size_row), vireo_new_machine_get_create_disk (model));
  show_error (self->resources_error, NULL);
}

/* Review page ------------------------------------------------------------- */

static void
on_name_changed_cb (VireoNewMachineDialog *self,
                    GtkEditable           *editable)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  if (!self->syncing)
    self->name_edited = TRUE;
  vireo_new_machine_set_name (self->model, gtk_editable_get_text (editable));
  show_error (self->name_error, NULL);
}

static void
enter_review_page (VireoNewMachineDialog *self)
{
  VireoNewMachine *model = self->model;
  g_autofree char *memory = format_memory (vireo_new_machine_get_memory (model));
  g_autofree char *resources = NULL;
  g_autofree char *disk = NULL;
  const char *source = NULL;
  const char *os = os_name (vireo_new_machine_get_os (model));

  if (!self->name_edited)
    {
      g_autofree char *name = vireo_new_machine_propose_name (model);

      self->syncing = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
      self->syncing = FALSE;
    }

  switch (vireo_new_machine_get_source_kind (model))
    {
    case VIREO_SOURCE_ISO:
      source = vireo_new_machine_get_iso (model);
      break;
    case VIREO_SOURCE_DISK_IMAGE:
      source = vireo_new_machine_get_disk_image (model);
      break;
    case VIREO_SOURCE_KERNEL:
      source = vireo_new_machine_get_kernel (model);
      break;
    default:
      g_assert_not_reached ();
    }
  adw_action_row_set_subtitle (self->review_source, source);
  adw_action_row_set_subtitle (self->review_os, os != NULL ? os : _("Unknown"));

  resources = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %u processor", "%s, %u processors",
                                            vireo_new_machine_get_vcpus (model)),
                               memory, vireo_new_machine_get_vcpus (model));
  adw_action_row_set_subtitle (self->review_resources, resources);

  if (vireo_new_machine_get_source_kind (model) == VIREO_SOURCE_DISK_IMAGE)
    {
      VireoImageFormat format = VIREO_IMAGE_FORMAT_RAW;

      /* Checked on the source page; read again, as Create will. */
      if (vireo_image_format_detect_file (source, &format, NULL) &&
          vireo_image_format_needs_conversion (format))
        /* Translators: %s is a disk image format, e.g. "VMDK" */
        disk = g_strdup_printf (_("A qcow2 copy of the %s image above, made by Create; the original stays as it is"),
                                vireo_image_format_get_name (format));
      else
        disk = g_strdup (_("The disk image above"));
    }
  else if (vireo_new_machine_get_create_disk (model))
    {
      g_autofree char *size = g_format_size_full (vireo_new_machine_get_disk_size (model),
                                                  G_FORMAT_SIZE_IEC_UNITS);

      /* Translators: %s is a size, e.g. "20.0 GiB" */
      disk = g_strdup_printf (_("A new %s disk"), size);
    }
  else
    disk = g_strdup (_("None"));
  adw_action_row_set_subtitle (self->review_disk, disk);

  gtk_widget_set_visible (GTK_WIDGET (self->review_firmware),
                          vireo_new_machine_get_source_kind (model) != VIREO_SOURCE_KERNEL);
  adw_action_row_set_subtitle (self->review_firmware,
                               vireo_new_machine_get_firmware (model) == VIREO_FIRMWARE_UEFI
                               ? _("UEFI") : _("BIOS"));
  show_error (self->name_error, NULL);
}

/* Navigation -------------------------------------------------------------- */

static void
set_page (VireoNewMachineDialog *self,
          Page                   page)
{
  g_autofree char *subtitle = NULL;
  static const char * const titles[N_PAGES] = {
    N_("Source"), N_("Operating System"), N_("Resources"), N_("Name and Review"),
  };
  GtkWidget *focus = NULL;

  g_assert (page < N_PAGES);

  /* Shown first: the OS list can only scroll to its selection once it
   * has a size. */
  self->page = page;
  gtk_stack_set_visible_child_name (self->stack, page_names[page]);

  switch (page)
    {
    case PAGE_SOURCE:
      focus = source_entry (self);
      break;
    case PAGE_OS:
      enter_os_page (self);
      focus = GTK_WIDGET (self->os_search);
      break;
    case PAGE_RESOURCES:
      enter_resources_page (self);
      focus = GTK_WIDGET (self->memory_spin);
      break;
    case PAGE_REVIEW:
      enter_review_page (self);
      focus = GTK_WIDGET (self->name_entry);
      break;
    case N_PAGES:
    default:
      g_assert_not_reached ();
    }

  /* Translators: e.g. "Step 2 of 4: Operating System" */
  subtitle = g_strdup_printf (_("Step %u of %u: %s"), page + 1, N_PAGES, _(titles[page]));
  adw_window_title_set_subtitle (self->window_title, subtitle);

  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), page == PAGE_SOURCE);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), page != PAGE_SOURCE);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), page != PAGE_REVIEW);
  gtk_widget_set_visible (GTK_WIDGET (self->create_button), page == PAGE_REVIEW);
  gtk_window_set_default_widget (GTK_WINDOW (self),
                                 GTK_WIDGET (page == PAGE_REVIEW ? self->create_button : self->next_button));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.back", page != PAGE_SOURCE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.next", page != PAGE_REVIEW);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.create", page == PAGE_REVIEW);

  if (focus != NULL)
    gtk_widget_grab_focus (focus);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (widget);

  if (self->page > PAGE_SOURCE && !self->creating)
    set_page (self, self->page - 1);
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (widget);
  g_autoptr(GError) error = NULL;

  switch (self->page)
    {
    case PAGE_SOURCE:
      if (!vireo_new_machine_validate_source (self->model, &error))
        {
          show_error (self->source_error, error);
          return;
        }
      if (vireo_new_machine_get_source_kind (self->model) == VIREO_SOURCE_ISO)
        {
          /* The OS page shows what was found, so finish looking first. */
          if (g_strcmp0 (self->detected_for, vireo_new_machine_get_iso (self->model)) != 0)
            {
              self->next_after_detect = TRUE;
              gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), FALSE);
              if (self->detect_cancellable == NULL)
                start_detection (self);
              return;
            }
          if (self->detect_error != NULL)
            {
              show_error (self->source_error, self->detect_error);
              return;
            }
        }
      set_page (self, PAGE_OS);
      break;

    case PAGE_OS:
      if (selected_os (self) == NULL)
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose an operating system from the list"));
          show_error (self->os_error, error);
          return;
        }
      vireo_new_machine_set_os (self->model, selected_os (self));
      set_page (self, PAGE_RESOURCES);
      break;

    case PAGE_RESOURCES:
      if (!vireo_new_machine_validate_resources (self->model, &error))
        {
          show_error (self->resources_error, error);
          return;
        }
      set_page (self, PAGE_REVIEW);
      break;

    case PAGE_REVIEW:
    case N_PAGES:
    default:
      break;
    }
}

static void
on_created_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(VireoNewMachineDialog) self = user_data;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;

  machine = vireo_new_machine_create_finish (VIREO_NEW_MACHINE (object), result, &error);
  /* Closed while creating: nothing is left to show, nothing to start. */
  if (self->closed || self->model == NULL)
    return;

  self->creating = FALSE;
  gtk_button_set_label (self->create_button, _("_Create"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), TRUE);
  gtk_editable_set_editable (GTK_EDITABLE (self->name_entry), TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.stop", FALSE);

  /* Stopped by the user, who knows; the wizard stays for another try. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (machine == NULL)
    {
      show_error (self->name_error, error);
      return;
    }

  g_signal_emit (self, signals [MACHINE_CREATED], 0, machine);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (widget);
  g_autoptr(GError) error = NULL;

  if (self->creating)
    return;

  if (!vireo_new_machine_validate_name (self->model, &error))
    {
      show_error (self->name_error, error);
      return;
    }

  self->creating = TRUE;
  show_error (self->name_error, NULL);
  gtk_button_set_label (self->create_button, _("Creating…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), FALSE);
  /* The name was checked; the profile is built with it after converting.
   * Read-only rather than insensitive: it has the focus, and keeps it. */
  gtk_editable_set_editable (GTK_EDITABLE (self->name_entry), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.stop", TRUE);
  /* A new one each time: the last may have been cancelled by Stop. */
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  vireo_new_machine_create_async (self->model, self->cancellable, on_created_cb, g_object_ref (self));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (widget);

  /* Kills qemu-img; the converter removes what it wrote. */
  if (self->creating)
    g_cancellable_cancel (self->cancellable);
}

/* Conversion progress --------------------------------------------------- */

static void
on_fraction_changed_cb (VireoNewMachineDialog *self,
                        GParamSpec            *pspec,
                        VireoImageConverter   *converter)
{
  double fraction = vireo_image_converter_get_fraction (converter);
  g_autofree char *text = NULL;

  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  /* Closed while converting: the conversion is being stopped. */
  if (self->model == NULL)
    return;

  /* Translators: conversion progress, e.g. "42 %" */
  text = g_strdup_printf (_("%d %%"), (int) (fraction * 100));
  gtk_progress_bar_set_fraction (self->conversion_bar, fraction);
  gtk_progress_bar_set_text (self->conversion_bar, text);
}

static void
on_converter_changed_cb (VireoNewMachineDialog *self,
                         GParamSpec            *pspec,
                         VireoNewMachine       *model)
{
  VireoImageConverter *converter = vireo_new_machine_get_converter (model);
  g_autofree char *label = NULL;

  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  if (self->model == NULL)
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->conversion_group), converter != NULL);
  if (converter == NULL)
    {
      if (self->creating)
        gtk_button_set_label (self->create_button, _("Creating…"));
      return;
    }

  /* Translators: %s is a disk image format, e.g. "VMDK" */
  label = g_strdup_printf (_("Converting the %s image to qcow2…"),
                           vireo_image_format_get_name (vireo_image_converter_get_format (converter)));
  gtk_label_set_text (self->conversion_label, label);
  gtk_button_set_label (self->create_button, _("Converting…"));
  g_signal_connect_object (converter, "notify::fraction",
                           G_CALLBACK (on_fraction_changed_cb), self, G_CONNECT_SWAPPED);
  on_fraction_changed_cb (self, NULL, converter);
}

/* Object ------------------------------------------------------------------ */

static void
on_os_db_changed_cb (VireoNewMachineDialog *self,
                     GParamSpec            *pspec,
                     VireoLibrary          *library)
{
  g_assert (VIREO_IS_NEW_MACHINE_DIALOG (self));

  vireo_new_machine_set_os_db (self->model, vireo_library_get_os_db (library));
  /* What was looked up without the database is looked up again. */
  if (vireo_new_machine_get_iso (self->model) != NULL)
    {
      g_clear_pointer (&self->detected_for, g_free);
      update_detected_row (self);
      start_detection (self);
    }
  if (self->page == PAGE_OS)
    enter_os_page (self);
}

static void
vireo_new_machine_dialog_constructed (GObject *object)
{
  VireoNewMachineDialog *self = (VireoNewMachineDialog *)object;
  GtkEventController *keys;

  G_OBJECT_CLASS (vireo_new_machine_dialog_parent_class)->constructed (object);

  g_assert (VIREO_IS_LIBRARY (self->library));

  self->model = vireo_new_machine_new (self->library);
  g_signal_connect_object (self->model, "notify::converter",
                           G_CALLBACK (on_converter_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.stop", FALSE);
  g_signal_connect_object (self->library, "notify::os-db",
                           G_CALLBACK (on_os_db_changed_cb), self, G_CONNECT_SWAPPED);

  keys = gtk_event_controller_key_new ();
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_os_search_key_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->os_search), keys);

  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->vcpus_spin),
                            MAX (vireo_new_machine_get_host_cpus (self->model), 64));
  set_page (self, PAGE_SOURCE);
}

/* GTK disposes a destroyed window only once Create lets go of it, so
 * closing stops Create here: qemu-img is killed and its copy removed,
 * and no machine appears after the wizard is gone. */
static gboolean
vireo_new_machine_dialog_close_request (GtkWindow *window)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (window);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (vireo_new_machine_dialog_parent_class)->close_request (window);
}

static void
vireo_new_machine_dialog_dispose (GObject *object)
{
  VireoNewMachineDialog *self = (VireoNewMachineDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->detect_cancellable);
  g_clear_handle_id (&self->detect_source, g_source_remove);
  if (self->scroll_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->os_list), self->scroll_tick);
  self->scroll_tick = 0;
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->os_list != NULL)
    gtk_list_view_set_model (self->os_list, NULL);
  g_clear_object (&self->os_selection);
  g_clear_object (&self->os_filter);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_NEW_MACHINE_DIALOG);

  g_clear_object (&self->detect_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->model);
  g_clear_object (&self->library);

  G_OBJECT_CLASS (vireo_new_machine_dialog_parent_class)->dispose (object);
}

static void
vireo_new_machine_dialog_finalize (GObject *object)
{
  VireoNewMachineDialog *self = (VireoNewMachineDialog *)object;

  g_clear_pointer (&self->os_search_text, g_free);
  g_clear_pointer (&self->detected_for, g_free);
  g_clear_error (&self->detect_error);

  G_OBJECT_CLASS (vireo_new_machine_dialog_parent_class)->finalize (object);
}

static void
vireo_new_machine_dialog_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      g_value_set_object (value, self->library);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_new_machine_dialog_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  VireoNewMachineDialog *self = VIREO_NEW_MACHINE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      self->library = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_new_machine_dialog_class_init (VireoNewMachineDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = vireo_new_machine_dialog_constructed;
  object_class->dispose = vireo_new_machine_dialog_dispose;
  object_class->finalize = vireo_new_machine_dialog_finalize;
  object_class->get_property = vireo_new_machine_dialog_get_property;
  object_class->set_property = vireo_new_machine_dialog_set_property;
  window_class->close_request = vireo_new_machine_dialog_close_request;

  properties [PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, VIREO_TYPE_LIBRARY,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VireoNewMachineDialog::machine-created:
   * @machine: the new machine, saved and in the library
   *
   * Emitted just before the wizard closes after Create succeeded; the
   * window starts the machine and shows its console.
   */
  signals [MACHINE_CREATED] =
    g_signal_new ("machine-created",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, VIREO_TYPE_MACHINE);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/dialogs/vireo-new-machine-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, back_button);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, next_button);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, iso_check);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_check);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, kernel_check);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, iso_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, kernel_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, iso_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, detected_row);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, kernel_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, initrd_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, cmdline_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, source_error);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, os_hint);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, os_search);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, os_list);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, os_error);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, resources_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, firmware_row);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_size_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, create_disk_row);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, create_disk_switch);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_size_row);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, disk_size_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, resources_error);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, review_source);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, review_os);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, review_resources);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, review_disk);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, review_firmware);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, conversion_group);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, conversion_label);
  gtk_widget_class_bind_template_child (widget_class, VireoNewMachineDialog, conversion_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_source_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_iso_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_disk_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_kernel_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_initrd_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cmdline_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_os_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_os_search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_os_list_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed_cb);

  gtk_widget_class_install_action (widget_class, "wizard.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "wizard.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "wizard.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "wizard.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "wizard.choose-file", "s", choose_file_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "wizard.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "wizard.next", NULL);
}

static void
vireo_new_machine_dialog_init (VireoNewMachineDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
