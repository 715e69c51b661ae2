/* vireo-machine-editor.c
 *
 * What the Properties dialog edits, without the widgets: a copy of a
 * machine's settings, including its list of disks and CD-ROM drives, that
 * changes nothing until saved.
 *
 * Saving checks everything first (a taken name, more memory or
 * processors than the host has, a kernel or disc image that cannot be
 * read, no room for new disks, a disk made smaller), then grows and
 * creates disk images in a worker thread, and only then copies the
 * settings into the machine's profile and writes it atomically through
 * the store. A failure leaves the saved profile as it was.
 *
 * A running machine keeps the settings it started with; they apply at its
 * next start. Its disks are held open by the monitor, so they are neither
 * probed nor grown while it runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-machine-editor.h"

#define MIN_MEMORY (128 * VIREO_MIB)

struct _VireoMachineEditor
{
  GObject          parent_instance;

  VireoMachine    *machine;
  VireoProfileStore *store;
  gboolean         running;
  guint64          host_memory;
  guint            host_cpus;

  char            *name;
  guint64          memory;
  guint            vcpus;
  VireoFirmware    firmware;
  VireoBootDevice  boot_first;
  char            *kernel;
  char            *initrd;
  char            *cmdline;
  GPtrArray       *disks;   /* of VireoEditedDisk */
};

G_DEFINE_FINAL_TYPE (VireoMachineEditor, vireo_machine_editor, G_TYPE_OBJECT)

static void
edited_disk_free (gpointer data)
{
  VireoEditedDisk *disk = data;

  g_free (disk->path);
  g_free (disk);
}

static void
vireo_machine_editor_finalize (GObject *object)
{
  VireoMachineEditor *self = (VireoMachineEditor *)object;

  g_clear_object (&self->machine);
  g_clear_object (&self->store);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->kernel, g_free);
  g_clear_pointer (&self->initrd, g_free);
  g_clear_pointer (&self->cmdline, g_free);
  g_clear_pointer (&self->disks, g_ptr_array_unref);

  G_OBJECT_CLASS (vireo_machine_editor_parent_class)->finalize (object);
}

static void
vireo_machine_editor_class_init (VireoMachineEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vireo_machine_editor_finalize;
}

static void
vireo_machine_editor_init (VireoMachineEditor *self)
{
  self->disks = g_ptr_array_new_with_free_func (edited_disk_free);
  self->host_memory = vireo_host_memory ();
  self->host_cpus = MAX (1, g_get_num_processors ());
}

/**
 * vireo_machine_editor_new:
 * @machine: the machine whose settings are edited
 *
 * Takes a copy of @machine's settings as they are now.
 */
VireoMachineEditor *
vireo_machine_editor_new (VireoMachine *machine)
{
  VireoMachineEditor *self;
  VireoProfile *profile;
  const VireoBootDevice *boot;
  VireoMachineState state;
  guint n_boot = 0;

  g_return_val_if_fail (VIREO_IS_MACHINE (machine), NULL);

  self = g_object_new (VIREO_TYPE_MACHINE_EDITOR, NULL);
  self->machine = g_object_ref (machine);
  g_object_get (machine, "store", &self->store, NULL);
  state = vireo_machine_get_state (machine);
  self->running = state != VIREO_MACHINE_STATE_STOPPED && state != VIREO_MACHINE_STATE_CRASHED;

  profile = vireo_machine_get_profile (machine);
  self->name = g_strdup (vireo_profile_get_name (profile));
  self->memory = vireo_profile_get_memory_kib (profile) * 1024;
  self->vcpus = vireo_profile_get_vcpus (profile);
  self->firmware = vireo_profile_get_firmware (profile);
  boot = vireo_profile_get_boot_order (profile, &n_boot);
  self->boot_first = n_boot > 0 ? boot[0] : VIREO_BOOT_DEVICE_HD;
  self->kernel = g_strdup (vireo_profile_get_kernel (profile));
  self->initrd = g_strdup (vireo_profile_get_initrd (profile));
  self->cmdline = g_strdup (vireo_profile_get_cmdline (profile));

  for (guint i = 0; i < vireo_profile_get_n_disks (profile); i++)
    {
      const VireoProfileDisk *src = vireo_profile_get_disk (profile, i);
      VireoEditedDisk *disk = g_new0 (VireoEditedDisk, 1);

      disk->device = src->device;
      disk->path = g_strdup (src->path);
      disk->format = src->format;
      disk->bus = src->bus;
      if (src->device == VIREO_DISK_DEVICE_DISK && src->path != NULL && !self->running)
        vireo_disk_image_probe (src->path, NULL, &disk->size, NULL);
      disk->new_size = disk->size;
      g_ptr_array_add (self->disks, disk);
    }

  return self;
}

/**
 * vireo_machine_editor_get_machine:
 *
 * Returns: (transfer none): the machine being edited
 */
VireoMachine *
vireo_machine_editor_get_machine (VireoMachineEditor *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), NULL);

  return self->machine;
}

/**
 * vireo_machine_editor_get_running:
 *
 * Returns: whether the machine was running when the editor was made, so
 *   that changes apply at its next start
 */
gboolean
vireo_machine_editor_get_running (VireoMachineEditor *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);

  return self->running;
}

static void
replace_string (char       **field,
                const char  *value)
{
  char *copy = (value != NULL && value[0] != '\0') ? g_strdup (value) : NULL;

  g_free (*field);
  *field = copy;
}

#define STRING_ACCESSORS(field)                                               \
const char *                                                                  \
vireo_machine_editor_get_##field (VireoMachineEditor *self)                   \
{                                                                             \
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), NULL);                \
  return self->field;                                                         \
}                                                                             \
                                                                              \
void                                                                          \
vireo_machine_editor_set_##field (VireoMachineEditor *self,                   \
                                  const char         *value)                  \
{                                                                             \
  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));                          \
  replace_string (&self->field, value);                                       \
}

STRING_ACCESSORS (name)
STRING_ACCESSORS (kernel)
STRING_ACCESSORS (initrd)
STRING_ACCESSORS (cmdline)

#undef STRING_ACCESSORS

#define VALUE_ACCESSORS(type, field)                                          \
type                                                                          \
vireo_machine_editor_get_##field (VireoMachineEditor *self)                   \
{                                                                             \
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), 0);                   \
  return self->field;                                                         \
}                                                                             \
                                                                              \
void                                                                          \
vireo_machine_editor_set_##field (VireoMachineEditor *self,                   \
                                  type                value)                  \
{                                                                             \
  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));                          \
  self->field = value;                                                        \
}

VALUE_ACCESSORS (guint64, memory)
VALUE_ACCESSORS (guint, vcpus)
VALUE_ACCESSORS (VireoFirmware, firmware)
VALUE_ACCESSORS (VireoBootDevice, boot_first)

#undef VALUE_ACCESSORS

/**
 * vireo_machine_editor_set_host_memory:
 *
 * Overrides the memory size read from the system, for tests.
 */
void
vireo_machine_editor_set_host_memory (VireoMachineEditor *self,
                                      guint64             bytes)
{
  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));

  self->host_memory = bytes;
}

/**
 * vireo_machine_editor_get_direct_boot:
 *
 * Returns: whether the machine starts a Linux kernel directly (it had
 *   one when the editor was made); only such machines edit a kernel
 */
gboolean
vireo_machine_editor_get_direct_boot (VireoMachineEditor *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);

  return vireo_profile_get_kernel (vireo_machine_get_profile (self->machine)) != NULL;
}

guint
vireo_machine_editor_get_n_disks (VireoMachineEditor *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), 0);

  return self->disks->len;
}

/**
 * vireo_machine_editor_get_disk:
 *
 * Returns: (transfer none): the disk or drive at @index, valid until the
 *   list changes
 */
const VireoEditedDisk *
vireo_machine_editor_get_disk (VireoMachineEditor *self,
                               guint               index)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), NULL);
  g_return_val_if_fail (index < self->disks->len, NULL);

  return g_ptr_array_index (self->disks, index);
}

/**
 * vireo_machine_editor_can_grow:
 *
 * Returns: whether the disk at @index can be made larger now: an existing
 *   image of a stopped machine, in a format that can grow here
 */
gboolean
vireo_machine_editor_can_grow (VireoMachineEditor *self,
                               guint               index)
{
  VireoEditedDisk *disk;

  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);
  g_return_val_if_fail (index < self->disks->len, FALSE);

  disk = g_ptr_array_index (self->disks, index);
  return disk->device == VIREO_DISK_DEVICE_DISK && !disk->is_new && !self->running &&
         disk->size > 0 && vireo_disk_image_can_grow (disk->format);
}

/**
 * vireo_machine_editor_set_disk_size:
 * @bytes: the size the disk gets when saved; for a disk that exists it
 *   must be at least its current size (checked on save)
 */
void
vireo_machine_editor_set_disk_size (VireoMachineEditor *self,
                                    guint               index,
                                    guint64             bytes)
{
  VireoEditedDisk *disk;

  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));
  g_return_if_fail (index < self->disks->len);

  disk = g_ptr_array_index (self->disks, index);
  g_return_if_fail (disk->is_new || vireo_machine_editor_can_grow (self, index));
  disk->new_size = bytes;
}

/**
 * vireo_machine_editor_set_media:
 * @path: (nullable): the disc image for the CD-ROM drive at @index, or
 *   %NULL to eject
 */
void
vireo_machine_editor_set_media (VireoMachineEditor *self,
                                guint               index,
                                const char         *path)
{
  VireoEditedDisk *disk;

  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));
  g_return_if_fail (index < self->disks->len);

  disk = g_ptr_array_index (self->disks, index);
  g_return_if_fail (disk->device == VIREO_DISK_DEVICE_CDROM);
  replace_string (&disk->path, path);
}

/**
 * vireo_machine_editor_remove_disk:
 *
 * Takes the disk or drive out of the machine; its file stays where it is.
 */
void
vireo_machine_editor_remove_disk (VireoMachineEditor *self,
                                  guint               index)
{
  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));
  g_return_if_fail (index < self->disks->len);

  g_ptr_array_remove_index (self->disks, index);
}

/**
 * vireo_machine_editor_add_disk:
 * @bytes: its size
 *
 * Adds a new, empty qcow2 disk in the images folder, made when saved.
 *
 * Returns: %FALSE with @error set if the images folder cannot be made
 */
gboolean
vireo_machine_editor_add_disk (VireoMachineEditor  *self,
                               guint64              bytes,
                               GError             **error)
{
  VireoProfile *profile;
  VireoEditedDisk *disk;

  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);

  profile = vireo_machine_get_profile (self->machine);
  /* disk0, disk1, ...: the first name neither on disk nor in the list. */
  for (guint n = 0; ; n++)
    {
      g_autofree char *suffix = g_strdup_printf ("disk%u.qcow2", n);
      g_autoptr(GFile) file = vireo_profile_store_new_image_file (self->store, profile, suffix, error);
      gboolean taken;

      if (file == NULL)
        return FALSE;

      taken = g_file_query_exists (file, NULL);
      for (guint i = 0; !taken && i < self->disks->len; i++)
        taken = g_strcmp0 (((VireoEditedDisk *) g_ptr_array_index (self->disks, i))->path,
                           g_file_peek_path (file)) == 0;
      if (taken)
        continue;

      disk = g_new0 (VireoEditedDisk, 1);
      disk->device = VIREO_DISK_DEVICE_DISK;
      disk->path = g_file_get_path (file);
      disk->format = VIREO_DISK_FORMAT_QCOW2;
      disk->bus = VIREO_DISK_BUS_VIRTIO;
      disk->new_size = bytes;
      disk->is_new = TRUE;
      g_ptr_array_add (self->disks, disk);
      return TRUE;
    }
}

/**
 * vireo_machine_editor_add_cdrom:
 *
 * Adds an empty CD-ROM drive.
 */
void
vireo_machine_editor_add_cdrom (VireoMachineEditor *self)
{
  VireoEditedDisk *disk;

  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));

  disk = g_new0 (VireoEditedDisk, 1);
  disk->device = VIREO_DISK_DEVICE_CDROM;
  disk->format = VIREO_DISK_FORMAT_RAW;
  disk->bus = VIREO_DISK_BUS_SATA;
  g_ptr_array_add (self->disks, disk);
}

/**
 * vireo_machine_editor_validate:
 *
 * Returns: %FALSE with @error set to a sentence for the user when the
 *   settings cannot be saved as they are
 */
gboolean
vireo_machine_editor_validate (VireoMachineEditor  *self,
                               GError             **error)
{
  g_autofree char *name = NULL;
  guint64 new_bytes = 0;

  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);

  name = g_strstrip (g_strdup (self->name != NULL ? self->name : ""));
  if (name[0] == '\0' || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The name cannot be empty"));
      return FALSE;
    }
  if (vireo_profile_store_is_name_taken (self->store, name, vireo_machine_get_uuid (self->machine)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("There is already a machine named “%s”"), name);
      return FALSE;
    }
  if (self->memory < MIN_MEMORY)
    {
      g_autofree char *min = g_format_size_full (MIN_MEMORY, G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("A machine needs at least %s of memory"), min);
      return FALSE;
    }
  if (self->host_memory > 0 && self->memory > self->host_memory)
    {
      g_autofree char *host = g_format_size_full (self->host_memory, G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("This computer has only %s of memory: the machine cannot have more"), host);
      return FALSE;
    }
  if (self->vcpus == 0 || self->vcpus > self->host_cpus)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "This computer has %u processor: the machine can have 1",
                                "This computer has %u processors: the machine can have 1 to %u",
                                self->host_cpus),
                   self->host_cpus, self->host_cpus);
      return FALSE;
    }
  if (vireo_machine_editor_get_direct_boot (self))
    {
      if (self->kernel == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Choose a Linux kernel"));
          return FALSE;
        }
      if (!vireo_check_readable_file (self->kernel, error) ||
          (self->initrd != NULL && !vireo_check_readable_file (self->initrd, error)))
        return FALSE;
    }

  for (guint i = 0; i < self->disks->len; i++)
    {
      VireoEditedDisk *disk = g_ptr_array_index (self->disks, i);

      if (disk->device == VIREO_DISK_DEVICE_CDROM && disk->path != NULL &&
          !vireo_check_readable_file (disk->path, error))
        return FALSE;
      if (disk->is_new)
        new_bytes += disk->new_size;
      else if (disk->new_size < disk->size)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A disk can only grow: shrinking it would destroy data"));
          return FALSE;
        }
    }
  if (new_bytes > 0 &&
      !vireo_check_free_space (vireo_profile_store_get_images_dir (self->store), new_bytes, error))
    return FALSE;

  return TRUE;
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
      gboolean ok;

      if (g_task_return_error_if_cancelled (task))
        return;

      ok = job->is_new ? vireo_disk_image_create (job->path, job->size, &error)
                       : vireo_disk_image_grow (job->path, job->format, job->size, &error);
      if (!ok)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

/* Copies the edits into the machine's profile. The name is taken last
 * through vireo_machine_rename(), which checks it once more (another
 * dialog may have taken it meanwhile). */
static gboolean
apply (VireoMachineEditor  *self,
       GError             **error)
{
  static const VireoBootDevice local[] = { VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_CDROM };
  VireoProfile *profile = vireo_machine_get_profile (self->machine);
  VireoBootDevice order[3];
  guint n_order = 0;

  if (!vireo_machine_rename (self->machine, self->name, error))
    return FALSE;

  vireo_profile_set_memory_kib (profile, self->memory / 1024);
  vireo_profile_set_vcpus (profile, self->vcpus);
  vireo_profile_set_firmware (profile, self->firmware);

  /* The chosen device, then the local ones; the network only if chosen. */
  order[n_order++] = self->boot_first;
  for (guint i = 0; i < G_N_ELEMENTS (local); i++)
    if (local[i] != self->boot_first)
      order[n_order++] = local[i];
  vireo_profile_set_boot_order (profile, order, n_order);

  if (vireo_machine_editor_get_direct_boot (self))
    {
      vireo_profile_set_kernel (profile, self->kernel);
      vireo_profile_set_initrd (profile, self->initrd);
      vireo_profile_set_cmdline (profile, self->cmdline);
    }

  while (vireo_profile_get_n_disks (profile) > 0)
    vireo_profile_remove_disk (profile, 0);
  for (guint i = 0; i < self->disks->len; i++)
    {
      VireoEditedDisk *disk = g_ptr_array_index (self->disks, i);

      vireo_profile_add_disk (profile, disk->device, disk->path, disk->format, disk->bus);
    }
  return TRUE;
}

static void
on_saved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (vireo_machine_save_finish (VIREO_MACHINE (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_disk_jobs_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoMachineEditor *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The images are made and grown now, whatever happens next: saving
   * again must not make them again. */
  for (guint i = 0; i < self->disks->len; i++)
    {
      VireoEditedDisk *disk = g_ptr_array_index (self->disks, i);

      if (disk->device == VIREO_DISK_DEVICE_DISK && (disk->is_new || disk->new_size > disk->size))
        {
          disk->is_new = FALSE;
          disk->size = disk->new_size;
        }
    }

  if (!apply (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  vireo_machine_save_async (self->machine, g_task_get_cancellable (task), on_saved_cb, g_object_ref (task));
}

/**
 * vireo_machine_editor_save_async:
 *
 * Validates, grows and makes disk images, then saves the machine's
 * profile.
 */
void
vireo_machine_editor_save_async (VireoMachineEditor  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) jobs_task = NULL;
  GError *error = NULL;
  GPtrArray *jobs;

  g_return_if_fail (VIREO_IS_MACHINE_EDITOR (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_machine_editor_save_async);

  if (!vireo_machine_editor_validate (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  jobs = g_ptr_array_new_with_free_func (disk_job_free);
  for (guint i = 0; i < self->disks->len; i++)
    {
      VireoEditedDisk *disk = g_ptr_array_index (self->disks, i);
      DiskJob *job;

      if (!disk->is_new && disk->new_size <= disk->size)
        continue;

      job = g_new0 (DiskJob, 1);
      job->path = g_strdup (disk->path);
      job->format = disk->format;
      job->size = disk->new_size;
      job->is_new = disk->is_new;
      g_ptr_array_add (jobs, job);
    }

  jobs_task = g_task_new (self, cancellable, on_disk_jobs_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (jobs_task, jobs, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (jobs_task, disk_jobs_thread);
}

gboolean
vireo_machine_editor_save_finish (VireoMachineEditor  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_EDITOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
