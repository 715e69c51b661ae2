/* vireo-machine-properties-dialog.c
 *
 * A machine's settings: name, memory, processors, firmware, boot device,
 * the kernel of a directly booted machine, disks (add, remove, grow) and
 * CD-ROM media (change, eject).
 *
 * Nothing changes until Save: the dialog edits its own copy of the disk
 * list, checks everything first (a taken name, more memory than the host
 * has, a missing ISO, no room for a new disk), then grows and creates disk
 * images in a worker thread, and only then writes the profile, atomically,
 * through the store. A failure shows on top of the dialog and leaves the
 * saved profile as it was.
 *
 * A running machine keeps the settings it started with, so the dialog
 * says that changes apply at next start, and disks grow only while the
 * machine is stopped (the monitor holds them open).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-disk-util.h"
#include "vireo-machine-properties-dialog.h"

#define FIRMWARE_ROW_BIOS 0
#define FIRMWARE_ROW_UEFI 1

/* Positions in boot_row's list. */
static const VireoBootDevice boot_devices[] = {
  VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_NETWORK,
};

/* One disk or CD-ROM drive as edited. */
typedef struct {
  VireoDiskDevice  device;
  char            *path;
  VireoDiskFormat  format;
  VireoDiskBus     bus;
  guint64          size;       /* as found, 0 if unknown */
  guint64          new_size;   /* what Save makes it */
  gboolean         is_new;     /* created by Save */
  GtkWidget       *row;
  GtkSpinButton   *size_spin;  /* disks that can grow */
  AdwEntryRow     *media;      /* CD-ROM drives */
} DiskEdit;

struct _VireoMachinePropertiesDialog
{
  AdwWindow            parent_instance;

  VireoMachine        *machine;
  VireoProfileStore   *store;
  GPtrArray           *disks;   /* of DiskEdit */
  GCancellable        *cancellable;
  GtkFileChooserNative *chooser;
  gboolean             running;
  guint                saving : 1;

  /* Template widgets */
  AdwWindowTitle      *window_title;
  GtkButton           *save_button;
  GtkLabel            *running_label;
  GtkLabel            *error_label;
  AdwEntryRow         *name_entry;
  GtkSpinButton       *memory_spin;
  GtkSpinButton       *vcpus_spin;
  AdwComboRow         *firmware_row;
  AdwComboRow         *boot_row;
  AdwPreferencesGroup *kernel_group;
  AdwEntryRow         *kernel_entry;
  AdwEntryRow         *initrd_entry;
  AdwEntryRow         *cmdline_entry;
  AdwPreferencesGroup *disks_group;
  AdwActionRow        *add_disk_row;
  GtkSpinButton       *add_disk_spin;
  AdwPreferencesGroup *cdrom_group;
  AdwActionRow        *add_cdrom_row;
};

G_DEFINE_FINAL_TYPE (VireoMachinePropertiesDialog, vireo_machine_properties_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void rebuild_disk_rows (VireoMachinePropertiesDialog *self);

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
disk_edit_free (gpointer data)
{
  DiskEdit *disk = data;

  g_free (disk->path);
  g_free (disk);
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
                          error != NULL || self->running);
}

static DiskEdit *
find_disk_of_widget (VireoMachinePropertiesDialog *self,
                     GtkWidget                    *widget)
{
  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);

      if (disk->row != NULL && gtk_widget_is_ancestor (widget, disk->row))
        return disk;
    }
  return NULL;
}

static void
on_remove_clicked_cb (VireoMachinePropertiesDialog *self,
                      GtkButton                    *button)
{
  DiskEdit *disk = find_disk_of_widget (self, GTK_WIDGET (button));

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (disk == NULL)
    return;
  rebuild_disk_rows (self);
  g_ptr_array_remove (self->disks, disk);
  rebuild_disk_rows (self);
  show_error (self, NULL);
}

static void
on_eject_clicked_cb (VireoMachinePropertiesDialog *self,
                     GtkButton                    *button)
{
  DiskEdit *disk = find_disk_of_widget (self, GTK_WIDGET (button));

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (disk != NULL)
    gtk_editable_set_text (GTK_EDITABLE (disk->media), "");
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
  DiskEdit *disk = find_disk_of_widget (self, GTK_WIDGET (button));
  g_autoptr(GtkFileFilter) iso = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  g_assert (VIREO_IS_MACHINE_PROPERTIES_DIALOG (self));

  if (disk == NULL)
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
  g_object_set_data (G_OBJECT (self->chooser), "entry", disk->media);
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

static GtkWidget *
make_disk_row (VireoMachinePropertiesDialog *self,
               DiskEdit                     *disk)
{
  g_autofree char *basename = g_path_get_basename (disk->path);
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove;
  const char *format = disk->format == VIREO_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
  guint number = 1;

  for (guint i = 0; i < self->disks->len && g_ptr_array_index (self->disks, i) != disk; i++)
    number += ((DiskEdit *) g_ptr_array_index (self->disks, i))->device == VIREO_DISK_DEVICE_DISK;
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

  /* Growing needs the file to itself: not while the guest runs. */
  if (!disk->is_new && !self->running && disk->size > 0 && vireo_disk_image_can_grow (disk->format))
    {
      double gib = (double) ((disk->new_size + VIREO_GIB - 1) / VIREO_GIB);
      GtkWidget *spin = gtk_spin_button_new_with_range (gib, 65536, 1);

      gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), gib);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (spin, _("Size in GiB; a disk can only grow"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      disk->size_spin = GTK_SPIN_BUTTON (spin);
    }

  remove = flat_icon_button ("user-trash-symbolic", _("Remove the Disk (Its File Is Kept)"));
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_clicked_cb), self, G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static GtkWidget *
make_cdrom_row (VireoMachinePropertiesDialog *self,
                DiskEdit                     *disk)
{
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
  disk->media = ADW_ENTRY_ROW (row);
  return row;
}

/* Reads what the rows hold back into the edits, so a rebuild keeps it. */
static void
collect_rows (VireoMachinePropertiesDialog *self)
{
  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);

      if (disk->size_spin != NULL)
        disk->new_size = (guint64) gtk_spin_button_get_value_as_int (disk->size_spin) * VIREO_GIB;
      if (disk->media != NULL)
        {
          const char *text = gtk_editable_get_text (GTK_EDITABLE (disk->media));

          g_free (disk->path);
          disk->path = text[0] != '\0' ? g_strdup (text) : NULL;
        }
    }
}

/* Takes every disk row out and, unless the list is being edited in
 * between (called twice around a change), puts them back. */
static void
rebuild_disk_rows (VireoMachinePropertiesDialog *self)
{
  gboolean has_cdrom = FALSE;
  gboolean rows_present = FALSE;

  for (guint i = 0; i < self->disks->len; i++)
    rows_present |= ((DiskEdit *) g_ptr_array_index (self->disks, i))->row != NULL;

  if (rows_present)
    {
      collect_rows (self);
      for (guint i = 0; i < self->disks->len; i++)
        {
          DiskEdit *disk = g_ptr_array_index (self->disks, i);

          if (disk->row == NULL)
            continue;
          adw_preferences_group_remove (disk->device == VIREO_DISK_DEVICE_CDROM ? self->cdrom_group
                                                                                : self->disks_group,
                                        disk->row);
          disk->row = NULL;
          disk->size_spin = NULL;
          disk->media = NULL;
        }
      return;
    }

  /* The add rows go last again. */
  g_object_ref (self->add_disk_row);
  adw_preferences_group_remove (self->disks_group, GTK_WIDGET (self->add_disk_row));
  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);

      if (disk->device == VIREO_DISK_DEVICE_CDROM)
        {
          disk->row = make_cdrom_row (self, disk);
          adw_preferences_group_add (self->cdrom_group, disk->row);
          has_cdrom = TRUE;
        }
      else
        {
          disk->row = make_disk_row (self, disk);
          adw_preferences_group_add (self->disks_group, disk->row);
        }
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
  g_autofree char *suffix = NULL;
  g_autoptr(GFile) file = NULL;
  DiskEdit *disk;
  guint n = 0;

  /* A free name: disk1, disk2, ... after what the machine has. */
  do
    {
      g_clear_object (&file);
      g_free (suffix);
      suffix = g_strdup_printf ("disk%u.qcow2", n++);
      file = vireo_profile_store_new_image_file (self->store, vireo_machine_get_profile (self->machine),
                                                 suffix, &error);
      if (file == NULL)
        {
          show_error (self, error);
          return;
        }
      for (guint i = 0; i < self->disks->len; i++)
        {
          DiskEdit *other = g_ptr_array_index (self->disks, i);

          if (g_strcmp0 (other->path, g_file_peek_path (file)) == 0)
            {
              g_clear_object (&file);
              break;
            }
        }
    }
  while (file == NULL || g_file_query_exists (file, NULL));

  rebuild_disk_rows (self);
  disk = g_new0 (DiskEdit, 1);
  disk->device = VIREO_DISK_DEVICE_DISK;
  disk->path = g_file_get_path (file);
  disk->format = VIREO_DISK_FORMAT_QCOW2;
  disk->bus = VIREO_DISK_BUS_VIRTIO;
  disk->new_size = (guint64) gtk_spin_button_get_value_as_int (self->add_disk_spin) * VIREO_GIB;
  disk->is_new = TRUE;
  g_ptr_array_add (self->disks, disk);
  rebuild_disk_rows (self);
  show_error (self, NULL);
}

static void
add_cdrom_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (widget);
  DiskEdit *disk;

  rebuild_disk_rows (self);
  disk = g_new0 (DiskEdit, 1);
  disk->device = VIREO_DISK_DEVICE_CDROM;
  disk->format = VIREO_DISK_FORMAT_RAW;
  disk->bus = VIREO_DISK_BUS_SATA;
  g_ptr_array_add (self->disks, disk);
  rebuild_disk_rows (self);
  gtk_widget_grab_focus (GTK_WIDGET (disk->media));
}

/* Saving ------------------------------------------------------------------ */

typedef struct {
  char            *path;
  VireoDiskFormat  format;
  guint64          size;
  gboolean         is_new;
} DiskJob;

static void
disk_job_free (gpointer data)
{
  DiskJob *job = data;

  g_free (job->path);
  g_free (job);
}

static void
disk_jobs_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GPtrArray *jobs = task_data;

  for (guint i = 0; i < jobs->len; i++)
    {
      DiskJob *job = g_ptr_array_index (jobs, i);
      GError *error = NULL;
      gboolean ok = job->is_new ? vireo_disk_image_create (job->path, job->size, &error)
                                : vireo_disk_image_grow (job->path, job->format, job->size, &error);

      if (!ok)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
validate (VireoMachinePropertiesDialog  *self,
          GError                       **error)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_entry))));
  guint64 memory = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin) * VIREO_MIB;
  guint vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);
  guint host_cpus = MAX (1, g_get_num_processors ());
  const char *kernel = gtk_editable_get_text (GTK_EDITABLE (self->kernel_entry));
  const char *initrd = gtk_editable_get_text (GTK_EDITABLE (self->initrd_entry));
  guint64 new_bytes = 0;

  if (name[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The name cannot be empty"));
      return FALSE;
    }
  if (vireo_profile_store_is_name_taken (self->store, name, vireo_machine_get_uuid (self->machine)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("There is already a machine named “%s”"), name);
      return FALSE;
    }
  if (memory > vireo_host_memory ())
    {
      g_autofree char *host = g_format_size_full (vireo_host_memory (), G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("This computer has only %s of memory: the machine cannot have more"), host);
      return FALSE;
    }
  if (vcpus > host_cpus)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "This computer has %u processor: the machine can have 1",
                                "This computer has %u processors: the machine can have 1 to %u",
                                host_cpus),
                   host_cpus, host_cpus);
      return FALSE;
    }
  if (gtk_widget_get_visible (GTK_WIDGET (self->kernel_group)))
    {
      if (kernel[0] == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Choose a Linux kernel"));
          return FALSE;
        }
      if (!vireo_check_readable_file (kernel, error) ||
          (initrd[0] != '\0' && !vireo_check_readable_file (initrd, error)))
        return FALSE;
    }

  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);

      if (disk->device == VIREO_DISK_DEVICE_CDROM && disk->path != NULL &&
          !vireo_check_readable_file (disk->path, error))
        return FALSE;
      if (disk->is_new)
        new_bytes += disk->new_size;
      else if (disk->size_spin != NULL && disk->new_size < disk->size)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A disk can only grow: shrinking it would destroy data"));
          return FALSE;
        }
    }
  if (new_bytes > 0 && !vireo_check_free_space (vireo_profile_store_get_images_dir (self->store),
                                                new_bytes, error))
    return FALSE;

  return TRUE;
}

/* Copies the dialog into the machine's profile; everything was checked,
 * but the name is checked once more as it is taken (another dialog may
 * have taken it meanwhile). */
static gboolean
apply (VireoMachinePropertiesDialog  *self,
       GError                       **error)
{
  VireoProfile *profile = vireo_machine_get_profile (self->machine);
  VireoBootDevice order[G_N_ELEMENTS (boot_devices)];
  guint first = adw_combo_row_get_selected (self->boot_row);
  guint n_order = 0;

  if (!vireo_machine_rename (self->machine, gtk_editable_get_text (GTK_EDITABLE (self->name_entry)), error))
    return FALSE;

  vireo_profile_set_memory_kib (profile, (guint64) gtk_spin_button_get_value_as_int (self->memory_spin) * 1024);
  vireo_profile_set_vcpus (profile, (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin));
  vireo_profile_set_firmware (profile, adw_combo_row_get_selected (self->firmware_row) == FIRMWARE_ROW_UEFI
                                       ? VIREO_FIRMWARE_UEFI : VIREO_FIRMWARE_BIOS);

  /* The chosen device, then the local ones; the network only if chosen. */
  if (first >= G_N_ELEMENTS (boot_devices))
    first = 0;
  order[n_order++] = boot_devices[first];
  for (guint i = 0; i < 2; i++)
    if (i != first)
      order[n_order++] = boot_devices[i];
  vireo_profile_set_boot_order (profile, order, n_order);

  if (gtk_widget_get_visible (GTK_WIDGET (self->kernel_group)))
    {
      vireo_profile_set_kernel (profile, gtk_editable_get_text (GTK_EDITABLE (self->kernel_entry)));
      vireo_profile_set_initrd (profile, gtk_editable_get_text (GTK_EDITABLE (self->initrd_entry)));
      vireo_profile_set_cmdline (profile, gtk_editable_get_text (GTK_EDITABLE (self->cmdline_entry)));
    }

  while (vireo_profile_get_n_disks (profile) > 0)
    vireo_profile_remove_disk (profile, 0);
  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);

      vireo_profile_add_disk (profile, disk->device, disk->path, disk->format, disk->bus);
    }
  return TRUE;
}

static void
finish_saving (VireoMachinePropertiesDialog *self,
               const GError                 *error)
{
  self->saving = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  gtk_button_set_label (self->save_button, _("_Save"));
  show_error (self, error);
}

static void
on_saved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VireoMachinePropertiesDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vireo_machine_save_finish (VIREO_MACHINE (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish_saving (self, error);
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_disk_jobs_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(VireoMachinePropertiesDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish_saving (self, error);
      return;
    }

  if (!apply (self, &error))
    {
      finish_saving (self, error);
      return;
    }
  vireo_machine_save_async (self->machine, self->cancellable, on_saved_cb, g_object_ref (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoMachinePropertiesDialog *self = VIREO_MACHINE_PROPERTIES_DIALOG (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  GPtrArray *jobs;

  if (self->saving)
    return;

  collect_rows (self);
  if (!validate (self, &error))
    {
      show_error (self, error);
      return;
    }

  jobs = g_ptr_array_new_with_free_func (disk_job_free);
  for (guint i = 0; i < self->disks->len; i++)
    {
      DiskEdit *disk = g_ptr_array_index (self->disks, i);
      DiskJob *job;

      if (!disk->is_new && (disk->size_spin == NULL || disk->new_size <= disk->size))
        continue;

      job = g_new0 (DiskJob, 1);
      job->path = g_strdup (disk->path);
      job->format = disk->format;
      job->size = disk->new_size;
      job->is_new = disk->is_new;
      g_ptr_array_add (jobs, job);
    }

  self->saving = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  gtk_button_set_label (self->save_button, _("Saving…"));
  show_error (self, NULL);

  task = g_task_new (NULL, self->cancellable, on_disk_jobs_done_cb, g_object_ref (self));
  g_task_set_task_data (task, jobs, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, disk_jobs_thread);
}

/* Object ------------------------------------------------------------------ */

static void
load (VireoMachinePropertiesDialog *self)
{
  VireoProfile *profile = vireo_machine_get_profile (self->machine);
  const VireoBootDevice *boot;
  guint n_boot = 0;

  adw_window_title_set_subtitle (self->window_title, vireo_machine_get_name (self->machine));
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), vireo_machine_get_name (self->machine));
  gtk_spin_button_set_value (self->memory_spin, (double) (vireo_profile_get_memory_kib (profile) / 1024));
  gtk_spin_button_set_value (self->vcpus_spin, vireo_profile_get_vcpus (profile));
  adw_combo_row_set_selected (self->firmware_row,
                              vireo_profile_get_firmware (profile) == VIREO_FIRMWARE_UEFI
                              ? FIRMWARE_ROW_UEFI : FIRMWARE_ROW_BIOS);

  boot = vireo_profile_get_boot_order (profile, &n_boot);
  for (guint i = 0; n_boot > 0 && i < G_N_ELEMENTS (boot_devices); i++)
    if (boot_devices[i] == boot[0])
      adw_combo_row_set_selected (self->boot_row, i);

  /* A directly booted machine shows its kernel; the others do not offer
   * one, since the wizard is where a machine's way of starting is set. */
  gtk_widget_set_visible (GTK_WIDGET (self->kernel_group), vireo_profile_get_kernel (profile) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->kernel_entry),
                         vireo_profile_get_kernel (profile) ? vireo_profile_get_kernel (profile) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->initrd_entry),
                         vireo_profile_get_initrd (profile) ? vireo_profile_get_initrd (profile) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->cmdline_entry),
                         vireo_profile_get_cmdline (profile) ? vireo_profile_get_cmdline (profile) : "");
  gtk_widget_set_visible (GTK_WIDGET (self->firmware_row), vireo_profile_get_kernel (profile) == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->boot_row), vireo_profile_get_kernel (profile) == NULL);

  for (guint i = 0; i < vireo_profile_get_n_disks (profile); i++)
    {
      const VireoProfileDisk *src = vireo_profile_get_disk (profile, i);
      DiskEdit *disk = g_new0 (DiskEdit, 1);

      disk->device = src->device;
      disk->path = g_strdup (src->path);
      disk->format = src->format;
      disk->bus = src->bus;
      /* The monitor holds a running machine's disks locked. */
      if (src->device == VIREO_DISK_DEVICE_DISK && src->path != NULL && !self->running)
        vireo_disk_image_probe (src->path, NULL, &disk->size, NULL);
      disk->new_size = disk->size;
      g_ptr_array_add (self->disks, disk);
    }
  rebuild_disk_rows (self);

  gtk_widget_set_visible (GTK_WIDGET (self->running_label), self->running);
  show_error (self, NULL);
}

static void
vireo_machine_properties_dialog_constructed (GObject *object)
{
  VireoMachinePropertiesDialog *self = (VireoMachinePropertiesDialog *)object;

  G_OBJECT_CLASS (vireo_machine_properties_dialog_parent_class)->constructed (object);

  g_assert (VIREO_IS_MACHINE (self->machine));

  g_object_get (self->machine, "store", &self->store, NULL);
  self->running = vireo_machine_get_state (self->machine) != VIREO_MACHINE_STATE_STOPPED &&
                  vireo_machine_get_state (self->machine) != VIREO_MACHINE_STATE_CRASHED;
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

  g_clear_pointer (&self->disks, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
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
  self->disks = g_ptr_array_new_with_free_func (disk_edit_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}
