/* vireo-machine-properties-dialog.c
 *
 * A machine's settings: name, memory, processors, firmware, boot device,
 * the kernel of a directly booted machine, disks (add, remove, grow) and
 * CD-ROM media (change, eject).
 *
 * The rules live in VireoMachineEditor (app/): nothing changes until Save,
 * which checks everything, grows and makes disk images, and writes the
 * profile atomically through the store. This file shows the editor's copy
 * and carries what the user types into it; a failure shows at the top of
 * the dialog, in words.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-machine-editor.h"
#include "vireo-machine-properties-dialog.h"

#define FIRMWARE_ROW_BIOS 0
#define FIRMWARE_ROW_UEFI 1

/* Positions in boot_row's list. */
static const VireoBootDevice boot_devices[] = {
  VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_NETWORK,
};

/* The widgets of one disk or drive, at the editor's index of the same
 * position in self->rows. */
typedef struct {
  GtkWidget     *row;
  GtkSpinButton *size_spin;   /* disks that can grow */
  AdwEntryRow   *media;       /* CD-ROM drives */
} DiskRow;

struct _VireoMachinePropertiesDialog
{
  AdwWindow             parent_instance;

  VireoMachine         *machine;
  VireoMachineEditor   *editor;
  GArray               *rows;   /* of DiskRow */
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  guint                 saving : 1;

  /* Template widgets */
  AdwWindowTitle       *window_title;
  GtkButton            *save_button;
  GtkLabel             *running_label;
  GtkLabel             *error_label;
  AdwEntryRow          *name_entry;
  GtkSpinButton        *memory_spin;
  GtkSpinButton        *vcpus_spin;
  AdwComboRow          *firmware_row;
  AdwComboRow          *boot_row;
  AdwPreferencesGroup  *kernel_group;
  AdwEntryRow          *kernel_entry;
  AdwEntryRow          *initrd_entry;
  AdwEntryRow          *cmdline_entry;
  AdwPreferencesGroup  *disks_group;
  AdwActionRow         *add_disk_row;
  GtkSpinButton        *add_disk_spin;
  AdwPreferencesGroup  *cdrom_group;
  AdwActionRow         *add_cdrom_row;
};

G_DEFINE_FINAL_TYPE (VireoMachinePropertiesDialog, vireo_machine_properties_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void take_rows_out (VireoMachinePropertiesDialog *self);
static void put_rows_in   (VireoMachinePropertiesDialog *self);

/**
 * vireo_machine_properties_dialog_new:
 * @parent: the window the dialog is modal to
 * @machine: the machine to edit
 */
VireoMachinePropertiesDialog *
vireo_machine_properties_dialog_new (GtkWindow    *parent,
                                     VireoMachine *machine)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (VIREO_IS_MACHINE (machine), NULL);

  return g_object_new (VIREO_TYPE_MACHINE_PROPERTIES_DIALOG,
                       "transient-for", parent,
                       "machine", machine,
                       NULL);
}

static void
show_error (VireoMachinePropertiesDialog *self,
            const GError                 *error)
{
  gtk_label_set_text (self->error_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  /* Their group would take a group's spacing even when empty. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->error_label),
                                                   ADW_TYPE_PREFERENCES_GROUP),
                          error != NULL || vireo_machine_editor_get_running (self->editor));
}

/* The editor's index of the disk whose row holds @widget, or -1. */
static int
index_of_widget (VireoMachinePropertiesDialog *self,
                 GtkWidget                    *widget)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      DiskRow *row = &g_array_index (self->rows, DiskRow, i);

      if (row->row != NULL && gtk_widget_is_ancestor (widget, row->row))
        return (int) i;
    }
  return -1;
}

static void
on_remove_clicked_cb (VireoMachinePropertiesDialog *self,
                      GtkButton                    *button)
{
  int index = index_of_widget (self, GTK_WIDGET (button));

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (index < 0)
    return;
  take_rows_out (self);
  vireo_machine_editor_remove_disk (self->editor, (guint) index);
  put_rows_in (self);
  show_error (self, NULL);
}

static void
on_eject_clicked_cb (VireoMachinePropertiesDialog *self,
                     GtkButton                    *button)
{
  int index = index_of_widget (self, GTK_WIDGET (button));

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (index >= 0)
    gtk_editable_set_text (GTK_EDITABLE (g_array_index (self->rows, DiskRow, index).media), "");
}

static void
on_chooser_response_cb (VireoMachinePropertiesDialog *self,
                        int                           response,
                        GtkNativeDialog              *chooser)
{
  g_autoptr(GFile) file = NULL;
  AdwEntryRow *entry = g_object_get_data (G_OBJECT (chooser), "entry");

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL && g_file_peek_path (file) != NULL && entry != NULL)
    gtk_editable_set_text (GTK_EDITABLE (entry), g_file_peek_path (file));

  g_clear_object (&self->chooser);
}

static void
on_choose_media_clicked_cb (VireoMachinePropertiesDialog *self,
                            GtkButton                    *button)
{
  int index = index_of_widget (self, GTK_WIDGET (button));
  g_autoptr(GtkFileFilter) iso = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (index < 0)
    return;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Choose a Disc Image"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_filter_set_name (iso, _("Disc images"));
  gtk_file_filter_add_pattern (iso, "*.iso");
  gtk_file_filter_add_pattern (iso, "*.ISO");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), iso);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  g_object_set_data (G_OBJECT (self->chooser), "entry", g_array_index (self->rows, DiskRow, index).media);
  g_signal_connect_object (self->chooser, "response",
                           G_CALLBACK (on_chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static GtkWidget *
flat_icon_button (const char *icon,
                  const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static void
make_disk_row (VireoMachinePropertiesDialog *self,
               guint                         index,
               guint                         number,
               DiskRow                      *out)
{
  const VireoEditedDisk *disk = vireo_machine_editor_get_disk (self->editor, index);
  g_autofree char *basename = g_path_get_basename (disk->path);
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove;
  const char *format = disk->format == VIREO_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";

  /* Translators: a machine's disks are numbered, "Disk 1", "Disk 2" */
  title = g_strdup_printf (_("Disk %u"), number);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_tooltip_text (row, disk->path);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  if (disk->is_new)
    {
      g_autofree char *size = g_format_size_full (disk->new_size, G_FORMAT_SIZE_IEC_UNITS);

      /* Translators: e.g. "New qcow2 disk of 20.0 GiB, made when you save" */
      subtitle = g_strdup_printf (_("New %s disk of %s, made when you save"), format, size);
    }
  else if (disk->size > 0)
    {
      g_autofree char *size = g_format_size_full (disk->size, G_FORMAT_SIZE_IEC_UNITS);

      /* Translators: the format, the size and the file name, e.g.
       * "qcow2, 20.0 GiB · fedora.qcow2" */
      subtitle = g_strdup_printf (_("%s, %s · %s"), format, size, basename);
    }
  else
    subtitle = g_strdup_printf ("%s · %s", format, basename);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  if (vireo_machine_editor_can_grow (self->editor, index))
    {
      double current = (double) ((disk->size + VIREO_GIB - 1) / VIREO_GIB);
      GtkWidget *spin = gtk_spin_button_new_with_range (current, 65536, 1);

      gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), (double) ((disk->new_size + VIREO_GIB - 1) / VIREO_GIB));
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (spin, _("Size in GiB; a disk can only grow"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      out->size_spin = GTK_SPIN_BUTTON (spin);
    }

  remove = flat_icon_button ("user-trash-symbolic", _("Remove the Disk (Its File Is Kept)"));
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_clicked_cb), self, G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  out->row = row;
}

static void
make_cdrom_row (VireoMachinePropertiesDialog *self,
                guint                         index,
                DiskRow                      *out)
{
  const VireoEditedDisk *disk = vireo_machine_editor_get_disk (self->editor, index);
  GtkWidget *row = adw_entry_row_new ();
  GtkWidget *open = flat_icon_button ("document-open-symbolic", _("Choose a Disc Image"));
  GtkWidget *eject = flat_icon_button ("media-eject-symbolic", _("Eject"));
  GtkWidget *remove = flat_icon_button ("user-trash-symbolic", _("Remove the Drive"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Disc image in the drive"));
  gtk_editable_set_text (GTK_EDITABLE (row), disk->path != NULL ? disk->path : "");
  g_signal_connect_object (open, "clicked", G_CALLBACK (on_choose_media_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (eject, "clicked", G_CALLBACK (on_eject_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_clicked_cb), self, G_CONNECT_SWAPPED);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), open);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), eject);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), remove);
  out->row = row;
  out->media = ADW_ENTRY_ROW (row);
}

/* Carries what the rows hold (sizes typed, media chosen) into the editor. */
static void
collect (VireoMachinePropertiesDialog *self)
{
  vireo_machine_editor_set_name (self->editor, gtk_editable_get_text (GTK_EDITABLE (self->name_entry)));
  vireo_machine_editor_set_memory (self->editor,
                                   (guint64) gtk_spin_button_get_value_as_int (self->memory_spin) * VIREO_MIB);
  vireo_machine_editor_set_vcpus (self->editor, (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin));
  vireo_machine_editor_set_firmware (self->editor,
                                     adw_combo_row_get_selected (self->firmware_row) == FIRMWARE_ROW_UEFI
                                     ? VIREO_FIRMWARE_UEFI : VIREO_FIRMWARE_BIOS);
  vireo_machine_editor_set_boot_first (self->editor,
                                       boot_devices[MIN (adw_combo_row_get_selected (self->boot_row),
                                                         G_N_ELEMENTS (boot_devices) - 1)]);
  vireo_machine_editor_set_kernel (self->editor, gtk_editable_get_text (GTK_EDITABLE (self->kernel_entry)));
  vireo_machine_editor_set_initrd (self->editor, gtk_editable_get_text (GTK_EDITABLE (self->initrd_entry)));
  vireo_machine_editor_set_cmdline (self->editor, gtk_editable_get_text (GTK_EDITABLE (self->cmdline_entry)));

  for (guint i = 0; i < self->rows->len; i++)
    {
      DiskRow *row = &g_array_index (self->rows, DiskRow, i);

      if (row->size_spin != NULL)
        vireo_machine_editor_set_disk_size (self->editor, i,
                                            (guint64) gtk_spin_button_get_value_as_int (row->size_spin) * VIREO_GIB);
      if (row->media != NULL)
        vireo_machine_editor_set_media (self->editor, i, gtk_editable_get_text (GTK_EDITABLE (row->media)));
    }
}

/* Before the editor's list changes: keep what the rows hold, then drop
 * them. */
static void
take_rows_out (VireoMachinePropertiesDialog *self)
{
  collect (self);
  for (guint i = 0; i < self->rows->len; i++)
    {
      DiskRow *row = &g_array_index (self->rows, DiskRow, i);
      const VireoEditedDisk *disk = vireo_machine_editor_get_disk (self->editor, i);

      adw_preferences_group_remove (disk->device == VIREO_DISK_DEVICE_CDROM ? self->cdrom_group
                                                                            : self->disks_group,
                                    row->row);
    }
  g_array_set_size (self->rows, 0);
}

static void
put_rows_in (VireoMachinePropertiesDialog *self)
{
  guint n = vireo_machine_editor_get_n_disks (self->editor);
  gboolean has_cdrom = FALSE;
  guint number = 0;

  /* The "add" row goes last again. */
  g_object_ref (self->add_disk_row);
  adw_preferences_group_remove (self->disks_group, GTK_WIDGET (self->add_disk_row));
  for (guint i = 0; i < n; i++)
    {
      const VireoEditedDisk *disk = vireo_machine_editor_get_disk (self->editor, i);
      DiskRow row = { NULL, NULL, NULL };

      if (disk->device == VIREO_DISK_DEVICE_CDROM)
        {
          make_cdrom_row (self, i, &row);
          adw_preferences_group_add (self->cdrom_group, row.row);
          has_cdrom = TRUE;
        }
      else
        {
          make_disk_row (self, i, ++number, &row);
          adw_preferences_group_add (self->disks_group, row.row);
        }
      g_array_append_val (self->rows, row);
    }
  adw_preferences_group_add (self->disks_group, GTK_WIDGET (self->add_disk_row));
  g_object_unref (self->add_disk_row);
  gtk_widget_set_visible (GTK_WIDGET (self->add_cdrom_row), !has_cdrom);
}

static void
add_disk_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (widget);
  g_autoptr(GError) error = NULL;
  guint64 size = (guint64) gtk_spin_button_get_value_as_int (self->add_disk_spin) * VIREO_GIB;

  take_rows_out (self);
  vireo_machine_editor_add_disk (self->editor, size, &error);
  put_rows_in (self);
  show_error (self, error);
}

static void
add_cdrom_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (widget);

  take_rows_out (self);
  vireo_machine_editor_add_cdrom (self->editor);
  put_rows_in (self);
  gtk_widget_grab_focus (GTK_WIDGET (g_array_index (self->rows, DiskRow, self->rows->len - 1).media));
}

/* Saving ------------------------------------------------------------------ */

static void
on_saved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VireoMachinePropertiesDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (vireo_machine_editor_save_finish (VIREO_MACHINE_EDITOR (object), result, &error))
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->saving = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  gtk_button_set_label (self->save_button, _("_Save"));
  /* New disks made before the failure are listed as they now are. */
  take_rows_out (self);
  put_rows_in (self);
  show_error (self, error);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (widget);
  g_autoptr(GError) error = NULL;

  if (self->saving)
    return;

  collect (self);
  if (!vireo_machine_editor_validate (self->editor, &error))
    {
      show_error (self, error);
      return;
    }

  self->saving = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  gtk_button_set_label (self->save_button, _("Saving…"));
  show_error (self, NULL);
  vireo_machine_editor_save_async (self->editor, self->cancellable, on_saved_cb, g_object_ref (self));
}

static void
load (VireoMachinePropertiesDialog *self)
{
  VireoMachineEditor *editor = self->editor;
  gboolean direct = vireo_machine_editor_get_direct_boot (editor);

  adw_window_title_set_subtitle (self->window_title, vireo_machine_get_name (self->machine));
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), vireo_machine_editor_get_name (editor));
  gtk_spin_button_set_value (self->memory_spin, (double) (vireo_machine_editor_get_memory (editor) / VIREO_MIB));
  gtk_spin_button_set_value (self->vcpus_spin, vireo_machine_editor_get_vcpus (editor));
  adw_combo_row_set_selected (self->firmware_row,
                              vireo_machine_editor_get_firmware (editor) == VIREO_FIRMWARE_UEFI
                              ? FIRMWARE_ROW_UEFI : FIRMWARE_ROW_BIOS);
  for (guint i = 0; i < G_N_ELEMENTS (boot_devices); i++)
    if (boot_devices[i] == vireo_machine_editor_get_boot_first (editor))
      adw_combo_row_set_selected (self->boot_row, i);

  /* A directly booted machine shows its kernel and needs no firmware or
   * boot device; how a machine starts is chosen in the wizard. */
  gtk_widget_set_visible (GTK_WIDGET (self->kernel_group), direct);
  gtk_widget_set_visible (GTK_WIDGET (self->firmware_row), !direct);
  gtk_widget_set_visible (GTK_WIDGET (self->boot_row), !direct);
  gtk_editable_set_text (GTK_EDITABLE (self->kernel_entry),
                         direct ? vireo_machine_editor_get_kernel (editor) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->initrd_entry),
                         vireo_machine_editor_get_initrd (editor) ? vireo_machine_editor_get_initrd (editor) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->cmdline_entry),
                         vireo_machine_editor_get_cmdline (editor) ? vireo_machine_editor_get_cmdline (editor) : "");

  put_rows_in (self);
  gtk_widget_set_visible (GTK_WIDGET (self->running_label), vireo_machine_editor_get_running (editor));
  show_error (self, NULL);
}

/* Object ------------------------------------------------------------------ */

static void
vireo_machine_properties_dialog_constructed (GObject *object)
{
  VireoMachinePropertiesDialog *self = (VireoMachinePropertiesDialog *)object;

  G_OBJECT_CLASS (vireo_machine_properties_dialog_parent_class)->constructed (object);

  g_assert (VIREO_IS_MACHINE (self->machine));

  self->editor = vireo_machine_editor_new (self->machine);
  load (self);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->save_button));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
}

static void
vireo_machine_properties_dialog_dispose (GObject *object)
{
  VireoMachinePropertiesDialog *self = (VireoMachinePropertiesDialog *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_MACHINE_PROPERTIES_DIALOG);

  g_clear_pointer (&self->rows, g_array_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->editor);
  g_clear_object (&self->machine);

  G_OBJECT_CLASS (vireo_machine_properties_dialog_parent_class)->dispose (object);
}

static void
vireo_machine_properties_dialog_get_property (GObject    *object,
                                              guint       prop_id,
                                              GValue     *value,
                                              GParamSpec *pspec)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (object);

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
vireo_machine_properties_dialog_set_property (GObject      *object,
                                              guint         prop_id,
                                              const GValue *value,
                                              GParamSpec   *pspec)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      self->machine = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_machine_properties_dialog_class_init (VireoMachinePropertiesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vireo_machine_properties_dialog_constructed;
  object_class->dispose = vireo_machine_properties_dialog_dispose;
  object_class->get_property = vireo_machine_properties_dialog_get_property;
  object_class->set_property = vireo_machine_properties_dialog_set_property;

  properties [PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, VIREO_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/dialogs/vireo-machine-properties-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, running_label);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, firmware_row);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, boot_row);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, kernel_group);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, kernel_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, initrd_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, cmdline_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, disks_group);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, add_disk_row);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, add_disk_spin);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, cdrom_group);
  gtk_widget_class_bind_template_child (widget_class, VireoMachinePropertiesDialog, add_cdrom_row);

  gtk_widget_class_install_action (widget_class, "properties.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "properties.add-disk", NULL, add_disk_action);
  gtk_widget_class_install_action (widget_class, "properties.add-cdrom", NULL, add_cdrom_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "properties.save", NULL);
}

static void
vireo_machine_properties_dialog_init (VireoMachinePropertiesDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_array_new (FALSE, TRUE, sizeof (DiskRow));
  gtk_widget_init_template (GTK_WIDGET (self));
}
