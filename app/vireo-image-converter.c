/* vireo-image-converter.c
 *
 * Converts a disk image the monitor cannot open (VMDK, VDI, VHDX, VHD) to
 * qcow2 with `qemu-img convert -p`, for the New Machine wizard.
 *
 * The user's file is only read: qemu-img opens the source read-only and
 * writes a new file in Vireo's images folder. That file has a hidden
 * temporary name until qemu-img has finished, the monitor's storage layer
 * has opened it and it is on the disk (fsync); only then is it renamed to
 * its own name, which never replaces another file. A failed or cancelled
 * conversion removes the temporary file, so no half-written image is ever
 * where a machine or the user would take it for a whole one.
 *
 * qemu-img runs with GSubprocess (no shell: the paths are arguments, never
 * parsed), its progress read from its standard output as it comes
 * (VireoQemuImgProgress), the end of its error output kept to say why it
 * failed. Cancel kills it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* renameat2() and RENAME_NOREPLACE */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vireo-disk-util.h"
#include "vireo-image-converter.h"
#include "vireo-qemu-img-progress.h"

/* qemu-img's last words are enough to say what went wrong. */
#define MAX_ERROR_TAIL 4096
/* What a message shows of one line of qemu-img's. */
#define MAX_ERROR_LINE 400
#define MAX_STEM       200
#define READ_SIZE      4096

struct _VireoImageConverter
{
  GObject           parent_instance;

  char             *source;
  VireoImageFormat  format;
  GFile            *destination;
  double            fraction;
  gboolean          running;
};

G_DEFINE_FINAL_TYPE (VireoImageConverter, vireo_image_converter, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_FORMAT,
  PROP_DESTINATION,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/* One run: what its asynchronous steps share. */
typedef struct {
  GSubprocess          *process;
  GCancellable         *cancellable;
  gulong                cancelled_id;
  char                 *tmp_path;
  char                 *dir;
  char                 *stem;
  GString              *errors;
  VireoQemuImgProgress  progress;
  /* The two pipes and the process's exit. */
  guint                 pending;
} RunData;

/* Removes the unfinished image, before the run reports how it ended: the
 * caller may look for it at once. */
static void
discard_tmp (RunData *run)
{
  if (run->tmp_path != NULL)
    g_unlink (run->tmp_path);
  g_clear_pointer (&run->tmp_path, g_free);
}

static void
run_data_free (gpointer data)
{
  RunData *run = data;

  if (run->cancelled_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancelled_id);
  /* Never left behind, whatever ended the run. */
  discard_tmp (run);
  g_clear_object (&run->process);
  g_clear_object (&run->cancellable);
  g_free (run->dir);
  g_free (run->stem);
  if (run->errors != NULL)
    g_string_free (run->errors, TRUE);
  g_free (run);
}

static void
vireo_image_converter_dispose (GObject *object)
{
  VireoImageConverter *self = (VireoImageConverter *)object;

  g_clear_object (&self->destination);

  G_OBJECT_CLASS (vireo_image_converter_parent_class)->dispose (object);
}

static void
vireo_image_converter_finalize (GObject *object)
{
  VireoImageConverter *self = (VireoImageConverter *)object;

  g_clear_pointer (&self->source, g_free);

  G_OBJECT_CLASS (vireo_image_converter_parent_class)->finalize (object);
}

static void
vireo_image_converter_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  VireoImageConverter *self = VIREO_IMAGE_CONVERTER (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;

    case PROP_FORMAT:
      g_value_set_int (value, self->format);
      break;

    case PROP_DESTINATION:
      g_value_set_object (value, self->destination);
      break;

    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_image_converter_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  VireoImageConverter *self = VIREO_IMAGE_CONVERTER (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      self->source = g_value_dup_string (value);
      break;

    case PROP_FORMAT:
      self->format = g_value_get_int (value);
      break;

    case PROP_DESTINATION:
      self->destination = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_image_converter_class_init (VireoImageConverterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = vireo_image_converter_dispose;
  object_class->finalize = vireo_image_converter_finalize;
  object_class->get_property = vireo_image_converter_get_property;
  object_class->set_property = vireo_image_converter_set_property;

  properties [PROP_SOURCE] = g_param_spec_string ("source", NULL, NULL, NULL, construct);
  properties [PROP_FORMAT] =
    g_param_spec_int ("format", NULL, NULL, VIREO_IMAGE_FORMAT_RAW, VIREO_IMAGE_FORMAT_VHD,
                      VIREO_IMAGE_FORMAT_RAW, construct);
  properties [PROP_DESTINATION] =
    g_param_spec_object ("destination", NULL, NULL, G_TYPE_FILE, construct);
  properties [PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_image_converter_init (VireoImageConverter *self)
{
}

/**
 * vireo_image_converter_check_available:
 *
 * Returns: %FALSE with @error set to a sentence for the user when
 *   qemu-img, which converts @format, is not installed
 */
gboolean
vireo_image_converter_check_available (VireoImageFormat   format,
                                       GError           **error)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");

  if (qemu_img != NULL)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               /* Translators: %s is a disk image format, e.g. "VMDK" */
               _("Converting %s images needs qemu-img. Install the qemu-utils package and try again."),
               vireo_image_format_get_name (format));
  return FALSE;
}

/**
 * vireo_image_converter_new:
 * @source: the image to convert; it is only read
 * @format: what @source is (vireo_image_format_detect_file())
 * @destination: the folder the qcow2 image goes to, made if missing
 */
VireoImageConverter *
vireo_image_converter_new (const char       *source,
                           VireoImageFormat  format,
                           GFile            *destination)
{
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (vireo_image_format_needs_conversion (format), NULL);
  g_return_val_if_fail (G_IS_FILE (destination), NULL);

  return g_object_new (VIREO_TYPE_IMAGE_CONVERTER,
                       "source", source,
                       "format", format,
                       "destination", destination,
                       NULL);
}

const char *
vireo_image_converter_get_source (VireoImageConverter *self)
{
  g_return_val_if_fail (VIREO_IS_IMAGE_CONVERTER (self), NULL);

  return self->source;
}

VireoImageFormat
vireo_image_converter_get_format (VireoImageConverter *self)
{
  g_return_val_if_fail (VIREO_IS_IMAGE_CONVERTER (self), VIREO_IMAGE_FORMAT_RAW);

  return self->format;
}

GFile *
vireo_image_converter_get_destination (VireoImageConverter *self)
{
  g_return_val_if_fail (VIREO_IS_IMAGE_CONVERTER (self), NULL);

  return self->destination;
}

/**
 * vireo_image_converter_get_fraction:
 *
 * Returns: how much of the conversion is done, from 0 to 1
 */
double
vireo_image_converter_get_fraction (VireoImageConverter *self)
{
  g_return_val_if_fail (VIREO_IS_IMAGE_CONVERTER (self), 0.0);

  return self->fraction;
}

static void
set_fraction (VireoImageConverter *self,
              double               fraction)
{
  if (self->fraction == fraction)
    return;
  self->fraction = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_FRACTION]);
}

/* The new image's name: the source's, without its extension, as long as
 * it is a name a person can read. */
static char *
output_stem (const char *source)
{
  g_autofree char *stem = g_path_get_basename (source);
  char *dot = strrchr (stem, '.');

  if (dot != NULL && dot != stem)
    *dot = '\0';
  if (stem[0] == '\0' || stem[0] == '.' || g_str_equal (stem, G_DIR_SEPARATOR_S) ||
      !g_utf8_validate (stem, -1, NULL))
    return g_strdup ("imported");
  if (strlen (stem) > MAX_STEM)
    *g_utf8_find_prev_char (stem, stem + MAX_STEM + 1) = '\0';
  return g_steal_pointer (&stem);
}

/* The last line qemu-img wrote to its error output, for the message that
 * says why it failed; its own name in front says nothing to the user. */
static char *
last_error_line (GString *errors)
{
  g_auto(GStrv) lines = g_strsplit (errors->str, "\n", -1);
  guint n = g_strv_length (lines);

  for (guint i = n; i > 0; i--)
    {
      char *line = g_strstrip (lines[i - 1]);
      g_autofree char *valid = NULL;

      if (line[0] == '\0')
        continue;
      if (g_str_has_prefix (line, "qemu-img: "))
        line += strlen ("qemu-img: ");
      valid = g_utf8_make_valid (line, -1);
      if (g_utf8_strlen (valid, -1) > MAX_ERROR_LINE)
        {
          g_autofree char *cut = g_utf8_substring (valid, 0, MAX_ERROR_LINE);

          return g_strconcat (cut, "…", NULL);
        }
      return g_steal_pointer (&valid);
    }
  return NULL;
}

/* Finishing, in a worker thread: it waits for the disk. */
static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RunData *run = task_data;
  g_autoptr(GError) error = NULL;
  VireoDiskFormat format;
  int fd;
  int dir_fd;

  /* What qemu-img wrote must be what the monitor opens. */
  if (!vireo_disk_image_probe (run->tmp_path, &format, NULL, &error) || format != VIREO_DISK_FORMAT_QCOW2)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The converted disk image cannot be used: %s"),
                               error != NULL ? error->message : _("it is not qcow2"));
      return;
    }

  fd = g_open (run->tmp_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fsync (fd) != 0)
    {
      int errsv = errno;

      if (fd >= 0)
        close (fd);
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("The converted disk image could not be written: %s"),
                               g_strerror (errsv));
      return;
    }
  close (fd);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The conversion was cancelled"));
      return;
    }

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *name = i == 1 ? g_strdup_printf ("%s.qcow2", run->stem)
                                     : g_strdup_printf ("%s-%u.qcow2", run->stem, i);
      g_autofree char *path = g_build_filename (run->dir, name, NULL);
      int ret;

      /* Never over another file, even one made a moment ago. */
      ret = renameat2 (AT_FDCWD, run->tmp_path, AT_FDCWD, path, RENAME_NOREPLACE);
      if (ret != 0 && (errno == EINVAL || errno == ENOSYS))
        {
          /* A file system without RENAME_NOREPLACE: a hard link is
           * refused just the same when the name is taken. */
          ret = link (run->tmp_path, path);
          if (ret == 0)
            g_unlink (run->tmp_path);
        }
      if (ret != 0 && errno == EEXIST)
        continue;
      if (ret != 0)
        {
          int errsv = errno;

          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                                   _("The converted disk image could not be saved: %s"),
                                   g_strerror (errsv));
          return;
        }

      /* The rename itself must survive a crash too. */
      dir_fd = g_open (run->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (dir_fd >= 0)
        {
          fsync (dir_fd);
          close (dir_fd);
        }
      g_clear_pointer (&run->tmp_path, g_free);
      g_task_return_pointer (task, g_steal_pointer (&path), g_free);
      return;
    }

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                           _("There are too many disk images named “%s” already"), run->stem);
}

static void
on_committed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoImageConverter *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *path;

  self->running = FALSE;
  path = g_task_propagate_pointer (G_TASK (result), &error);
  if (path == NULL)
    {
      discard_tmp (g_task_get_task_data (task));
      g_task_return_error (task, error);
      return;
    }
  set_fraction (self, 1.0);
  g_task_return_pointer (task, path, g_free);
}

/* Called once the pipes are at their end and the process has exited. */
static void
process_done (GTask *task)
{
  VireoImageConverter *self = g_task_get_source_object (task);
  RunData *run = g_task_get_task_data (task);
  g_autoptr(GTask) commit = NULL;
  g_autofree char *reason = NULL;

  if (vireo_qemu_img_progress_finish (&run->progress))
    set_fraction (self, MIN (vireo_qemu_img_progress_get_fraction (&run->progress), 0.99));

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      self->running = FALSE;
      discard_tmp (run);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The conversion was cancelled"));
      return;
    }

  if (!g_subprocess_get_if_exited (run->process) || g_subprocess_get_exit_status (run->process) != 0)
    {
      self->running = FALSE;
      discard_tmp (run);
      reason = last_error_line (run->errors);
      if (reason != NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The disk image could not be converted: %s"), reason);
      else if (g_subprocess_get_if_exited (run->process))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The disk image could not be converted: qemu-img failed with status %d"),
                                 g_subprocess_get_exit_status (run->process));
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The disk image could not be converted: qemu-img stopped unexpectedly"));
      return;
    }

  commit = g_task_new (self, run->cancellable, on_committed_cb, g_object_ref (task));
  g_task_set_task_data (commit, run, NULL);
  /* Its own result decides, cancelled or not: a renamed image is reported. */
  g_task_set_check_cancellable (commit, FALSE);
  g_task_run_in_thread (commit, commit_thread);
}

static void
step_done (GTask *task)
{
  RunData *run = g_task_get_task_data (task);

  g_assert (run->pending > 0);
  if (--run->pending == 0)
    process_done (task);
}

static void
on_wait_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  /* Its status is read in process_done(); a failed wait leaves it unset
   * and counts as a failure there. */
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  step_done (task);
}

static void read_stdout (GTask *task);
static void read_stderr (GTask *task);

static void
on_stdout_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoImageConverter *self = g_task_get_source_object (task);
  RunData *run = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  gsize len = 0;
  const char *data;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      step_done (task);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  /* 100% is said once the image is in place, not when qemu-img says so. */
  if (vireo_qemu_img_progress_feed (&run->progress, data, len))
    set_fraction (self, MIN (vireo_qemu_img_progress_get_fraction (&run->progress), 0.99));
  read_stdout (task);
}

static void
on_stderr_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RunData *run = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  gsize len = 0;
  const char *data;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      step_done (task);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  g_string_append_len (run->errors, data, len);
  if (run->errors->len > MAX_ERROR_TAIL)
    g_string_erase (run->errors, 0, run->errors->len - MAX_ERROR_TAIL);
  read_stderr (task);
}

/* The pipes are read to their end even after a cancel: the kill closes
 * them, and only then is the process known to be gone. */
static void
read_stdout (GTask *task)
{
  RunData *run = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (run->process), READ_SIZE,
                                   G_PRIORITY_DEFAULT, NULL, on_stdout_cb, g_object_ref (task));
}

static void
read_stderr (GTask *task)
{
  RunData *run = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (run->process), READ_SIZE,
                                   G_PRIORITY_DEFAULT, NULL, on_stderr_cb, g_object_ref (task));
}

static void
on_cancelled_cb (GCancellable *cancellable,
                 gpointer      user_data)
{
  RunData *run = user_data;

  g_subprocess_force_exit (run->process);
}

/* In the child, before qemu-img starts: it dies with Vireo rather than
 * write on into an image nobody will rename. The signal follows the
 * thread that spawned it, which is the caller's (the main thread). */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * vireo_image_converter_run_async:
 *
 * Converts the source image to a new qcow2 image in the destination
 * folder, named after the source (with "-2" etc. when the name is
 * taken). #VireoImageConverter:fraction follows the progress. Cancelling
 * @cancellable kills qemu-img and removes what it wrote.
 *
 * Call it from the main thread, whose main context runs the conversion.
 */
void
vireo_image_converter_run_async (VireoImageConverter *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *qemu_img = NULL;
  g_autofree char *source = NULL;
  g_autofree char *template = NULL;
  RunData *run;
  int fd;

  g_return_if_fail (VIREO_IS_IMAGE_CONVERTER (self));
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_image_converter_run_async);
  /* Results are decided by process_done(), which waits for qemu-img to be
   * gone and its file removed before it reports a cancel. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  /* The files it names are checked here too, just before qemu-img
   * opens them: the wizard's check was a page or more ago. */
  if (!vireo_image_converter_check_available (self->format, &error) ||
      !vireo_image_format_check_references (self->source, self->format, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  qemu_img = g_find_program_in_path ("qemu-img");

  run = g_new0 (RunData, 1);
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  run->dir = g_file_get_path (self->destination);
  run->stem = output_stem (self->source);
  run->errors = g_string_new (NULL);
  vireo_qemu_img_progress_init (&run->progress);
  g_task_set_task_data (task, run, run_data_free);

  if (g_mkdir_with_parents (run->dir, 0700) != 0)
    {
      int errsv = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("The images folder cannot be made: %s"), g_strerror (errsv));
      return;
    }

  /* Hidden, and named as nothing a machine would use. */
  template = g_build_filename (run->dir, VIREO_IMAGE_CONVERTER_PART_PREFIX "XXXXXX"
                              VIREO_IMAGE_CONVERTER_PART_SUFFIX, NULL);
  fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int errsv = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("The converted disk image could not be written: %s"),
                               g_strerror (errsv));
      return;
    }
  close (fd);
  run->tmp_path = g_steal_pointer (&template);

  /* An absolute path starts with "/", so qemu-img cannot take it for an
   * option or a protocol ("nbd:…"). */
  source = g_canonicalize_filename (self->source, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  run->process = g_subprocess_launcher_spawn (launcher, &error,
                                              qemu_img, "convert", "-p",
                                              "-f", vireo_image_format_get_qemu_name (self->format),
                                              "-O", "qcow2",
                                              source, run->tmp_path, NULL);
  if (run->process == NULL)
    {
      discard_tmp (run);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("qemu-img could not be started: %s"), error->message);
      return;
    }

  self->running = TRUE;
  set_fraction (self, 0.0);
  run->pending = 3;
  read_stdout (task);
  read_stderr (task);
  g_subprocess_wait_async (run->process, NULL, on_wait_cb, g_object_ref (task));
  /* Connected last: when already cancelled it kills at once. */
  run->cancelled_id = g_cancellable_connect (run->cancellable, G_CALLBACK (on_cancelled_cb), run, NULL);
}

/**
 * vireo_image_converter_run_finish:
 *
 * Returns: (transfer full): the new qcow2 image's path, or %NULL with
 *   @error set to a sentence for the user (%G_IO_ERROR_CANCELLED when
 *   cancelled)
 */
char *
vireo_image_converter_run_finish (VireoImageConverter  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  g_return_val_if_fail (VIREO_IS_IMAGE_CONVERTER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
