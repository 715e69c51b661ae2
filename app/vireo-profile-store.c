/* vireo-profile-store.c
 *
 * The machines' profiles on disk: $XDG_CONFIG_HOME/vireo/machines/<uuid>.xml,
 * and the folder of the disk images Vireo creates, $XDG_DATA_HOME/vireo/images.
 *
 * The file is named after the UUID, not the name, so renaming a machine
 * is one atomic rewrite of one file and two machines can never fight over
 * a file name. Every write goes to a temporary file that is synced and
 * renamed over the old one: a crash leaves the old profile or the new one,
 * never half of each. A profile that cannot be read is never deleted: it
 * is set aside as *.broken so the user (or a bug report) still has it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>

#include "vireo-image-converter.h"
#include "vireo-image-format.h"
#include "vireo-profile-store.h"

/* Real profiles are a few KiB; anything far larger is not one of ours and
 * is not worth the memory to parse. */
#define MAX_PROFILE_SIZE (1024 * 1024)

struct _VireoProfileStore
{
  GObject     parent_instance;

  GFile      *machines_dir;
  GFile      *images_dir;
  /* uuid -> casefolded name: what is_name_taken() compares against. */
  GHashTable *names;
};

G_DEFINE_FINAL_TYPE (VireoProfileStore, vireo_profile_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MACHINES_DIR,
  PROP_IMAGES_DIR,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
vireo_profile_store_finalize (GObject *object)
{
  VireoProfileStore *self = (VireoProfileStore *)object;

  g_clear_object (&self->machines_dir);
  g_clear_object (&self->images_dir);
  g_clear_pointer (&self->names, g_hash_table_unref);

  G_OBJECT_CLASS (vireo_profile_store_parent_class)->finalize (object);
}

static void
vireo_profile_store_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  VireoProfileStore *self = VIREO_PROFILE_STORE (object);

  switch (prop_id)
    {
    case PROP_MACHINES_DIR:
      g_value_set_object (value, self->machines_dir);
      break;

    case PROP_IMAGES_DIR:
      g_value_set_object (value, self->images_dir);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_profile_store_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  VireoProfileStore *self = VIREO_PROFILE_STORE (object);

  switch (prop_id)
    {
    case PROP_MACHINES_DIR:
      self->machines_dir = g_value_dup_object (value);
      break;

    case PROP_IMAGES_DIR:
      self->images_dir = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_profile_store_constructed (GObject *object)
{
  VireoProfileStore *self = (VireoProfileStore *)object;

  G_OBJECT_CLASS (vireo_profile_store_parent_class)->constructed (object);

  if (self->machines_dir == NULL)
    self->machines_dir = g_file_new_build_filename (g_get_user_config_dir (), "vireo", "machines", NULL);
  if (self->images_dir == NULL)
    self->images_dir = g_file_new_build_filename (g_get_user_data_dir (), "vireo", "images", NULL);
}

static void
vireo_profile_store_class_init (VireoProfileStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* libxml2 2.9 must be initialised before threads use it, and profiles
   * are parsed in the load thread while the UI thread may import one. */
  xmlInitParser ();

  object_class->constructed = vireo_profile_store_constructed;
  object_class->finalize = vireo_profile_store_finalize;
  object_class->get_property = vireo_profile_store_get_property;
  object_class->set_property = vireo_profile_store_set_property;

  properties [PROP_MACHINES_DIR] =
    g_param_spec_object ("machines-dir", NULL, NULL, G_TYPE_FILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties [PROP_IMAGES_DIR] =
    g_param_spec_object ("images-dir", NULL, NULL, G_TYPE_FILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_profile_store_init (VireoProfileStore *self)
{
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * vireo_profile_store_new:
 *
 * Creates a store in the user's XDG folders.
 */
VireoProfileStore *
vireo_profile_store_new (void)
{
  return g_object_new (VIREO_TYPE_PROFILE_STORE, NULL);
}

/**
 * vireo_profile_store_new_for_dirs:
 *
 * Creates a store in other folders (tests, a second library).
 */
VireoProfileStore *
vireo_profile_store_new_for_dirs (GFile *machines_dir,
                                  GFile *images_dir)
{
  g_return_val_if_fail (G_IS_FILE (machines_dir), NULL);
  g_return_val_if_fail (G_IS_FILE (images_dir), NULL);

  return g_object_new (VIREO_TYPE_PROFILE_STORE,
                       "machines-dir", machines_dir,
                       "images-dir", images_dir,
                       NULL);
}

GFile *
vireo_profile_store_get_machines_dir (VireoProfileStore *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);

  return self->machines_dir;
}

/**
 * vireo_profile_store_get_images_dir:
 *
 * Returns: (transfer none): where new disk images belong; only images in
 *   it are deleted with their machine
 */
GFile *
vireo_profile_store_get_images_dir (VireoProfileStore *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);

  return self->images_dir;
}

/**
 * vireo_profile_store_get_file:
 *
 * Returns: (transfer full): the file that holds @profile
 */
GFile *
vireo_profile_store_get_file (VireoProfileStore *self,
                              VireoProfile      *profile)
{
  g_autofree char *basename = NULL;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), NULL);

  basename = g_strconcat (vireo_profile_get_uuid (profile), ".xml", NULL);
  return g_file_get_child (self->machines_dir, basename);
}

static gboolean ensure_dir (GFile   *dir,
                            GError **error);

/**
 * vireo_profile_store_new_image_file:
 * @suffix: what follows the UUID, e.g. "disk0.qcow2" or "VARS.fd"
 *
 * Names a file in the images folder for @profile (a new disk, the UEFI
 * variable store), creating the folder. Named after the UUID, so it
 * cannot collide with another machine's and stays valid after a rename;
 * being in the images folder, it is deleted with the machine.
 *
 * Returns: (transfer full): "<images>/<uuid>-@suffix", or %NULL with
 *   @error set if the folder cannot be created
 */
GFile *
vireo_profile_store_new_image_file (VireoProfileStore  *self,
                                    VireoProfile       *profile,
                                    const char         *suffix,
                                    GError            **error)
{
  g_autofree char *basename = NULL;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (suffix != NULL && suffix[0] != '\0' && strchr (suffix, '/') == NULL, NULL);

  if (!ensure_dir (self->images_dir, error))
    return NULL;

  basename = g_strdup_printf ("%s-%s", vireo_profile_get_uuid (profile), suffix);
  return g_file_get_child (self->images_dir, basename);
}

static char *
fold_name (const char *name)
{
  g_autofree char *normal = g_utf8_normalize (name, -1, G_NORMALIZE_ALL);

  return g_utf8_casefold (normal != NULL ? normal : name, -1);
}

static void
remember_name (VireoProfileStore *self,
               VireoProfile      *profile)
{
  g_hash_table_replace (self->names,
                        g_strdup (vireo_profile_get_uuid (profile)),
                        fold_name (vireo_profile_get_name (profile)));
}

/**
 * vireo_profile_store_is_name_taken:
 * @except_uuid: (nullable): a machine whose own name does not count, for
 *   renaming it
 *
 * Names compare without regard to case, so the library never shows two
 * machines a user cannot tell apart.
 */
gboolean
vireo_profile_store_is_name_taken (VireoProfileStore *self,
                                   const char        *name,
                                   const char        *except_uuid)
{
  g_autofree char *folded = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  folded = fold_name (name);
  g_hash_table_iter_init (&iter, self->names);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_strcmp0 (key, except_uuid) != 0 && g_str_equal (value, folded))
        return TRUE;
    }

  return FALSE;
}

/**
 * vireo_profile_store_propose_name:
 * @base: the name wanted, e.g. the OS name
 *
 * Returns: (transfer full): @base if it is free, else "@base (2)",
 *   "@base (3)", ... whichever comes first
 */
char *
vireo_profile_store_propose_name (VireoProfileStore *self,
                                  const char        *base)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (base != NULL, NULL);

  if (!vireo_profile_store_is_name_taken (self, base, NULL))
    return g_strdup (base);

  /* There are fewer names than this in any table, so the loop ends. */
  for (guint n = 2; ; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s (%u)", base, n);

      if (!vireo_profile_store_is_name_taken (self, candidate, NULL))
        return g_steal_pointer (&candidate);
    }
}

/**
 * vireo_profile_store_claim_name:
 *
 * Counts @profile's current name as taken before the profile is saved,
 * so a second rename or a new machine cannot take it meanwhile.
 */
void
vireo_profile_store_claim_name (VireoProfileStore *self,
                                VireoProfile      *profile)
{
  g_return_if_fail (VIREO_IS_PROFILE_STORE (self));
  g_return_if_fail (VIREO_IS_PROFILE (profile));

  remember_name (self, profile);
}

static gboolean
ensure_dir (GFile   *dir,
            GError **error)
{
  g_autofree char *path = g_file_get_path (dir);

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the folder “%s”: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* The rename that replaced the profile lives in the directory; only a
 * synced directory makes it survive a power cut. */
static gboolean
sync_dir (GFile   *dir,
          GError **error)
{
  g_autofree char *path = g_file_get_path (dir);
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }

  errsv = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not save the folder “%s”: %s"), path, g_strerror (errsv));
  return FALSE;
}

static gboolean
write_profile (GFile       *dir,
               GFile       *file,
               const char  *xml,
               GError     **error)
{
  g_autofree char *path = g_file_get_path (file);

  return ensure_dir (dir, error) &&
         g_file_set_contents_full (path, xml, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error) &&
         sync_dir (dir, error);
}

/**
 * vireo_profile_store_save:
 *
 * Writes @profile atomically. Blocks on disk I/O; the UI uses
 * vireo_profile_store_save_async().
 */
gboolean
vireo_profile_store_save (VireoProfileStore  *self,
                          VireoProfile       *profile,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autofree char *xml = NULL;
  g_autoptr(GFile) file = NULL;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  xml = vireo_profile_to_xml (profile, error);
  if (xml == NULL)
    return FALSE;

  file = vireo_profile_store_get_file (self, profile);
  if (!write_profile (self->machines_dir, file, xml, error))
    return FALSE;

  remember_name (self, profile);
  return TRUE;
}

typedef struct {
  GFile *dir;
  GFile *file;
  char  *xml;
} SaveData;

static void
save_data_free (gpointer data)
{
  SaveData *save = data;

  g_clear_object (&save->dir);
  g_clear_object (&save->file);
  g_free (save->xml);
  g_free (save);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *save = task_data;
  GError *error = NULL;

  if (write_profile (save->dir, save->file, save->xml, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * vireo_profile_store_save_async:
 *
 * Like vireo_profile_store_save(), with the disk I/O in a worker thread.
 * The XML is made at once, so later changes to @profile are not saved.
 */
void
vireo_profile_store_save_async (VireoProfileStore   *self,
                                VireoProfile        *profile,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  SaveData *save;
  char *xml;

  g_return_if_fail (VIREO_IS_PROFILE_STORE (self));
  g_return_if_fail (VIREO_IS_PROFILE (profile));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_profile_store_save_async);

  xml = vireo_profile_to_xml (profile, &error);
  if (xml == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Taken now rather than when the write lands: a second save started
   * meanwhile must already see the new name as taken. */
  remember_name (self, profile);

  save = g_new0 (SaveData, 1);
  save->dir = g_object_ref (self->machines_dir);
  save->file = vireo_profile_store_get_file (self, profile);
  save->xml = xml;
  g_task_set_task_data (task, save, save_data_free);
  g_task_run_in_thread (task, save_thread);
}

gboolean
vireo_profile_store_save_finish (VireoProfileStore  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Loading ----------------------------------------------------------------- */

/* Moves @path out of the way to "<path>.broken", or "<path>.<n>.broken"
 * when that exists. link() refuses to replace a file, so an earlier broken
 * copy is never overwritten even if another process races us. */
static char *
set_aside (const char  *path,
           GError     **error)
{
  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *target = NULL;

      if (n == 1)
        target = g_strconcat (path, ".broken", NULL);
      else
        target = g_strdup_printf ("%s.%u.broken", path, n);

      if (link (path, target) == 0)
        {
          if (g_unlink (path) != 0)
            {
              int errsv = errno;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                           "%s", g_strerror (errsv));
              return NULL;
            }
          return g_steal_pointer (&target);
        }
      if (errno != EEXIST)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s", g_strerror (errsv));
          return NULL;
        }
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Too many broken copies"));
  return NULL;
}

static VireoProfile *
load_one (GFile         *file,
          const char    *basename,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(VireoProfile) profile = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  gsize len;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, error);
  if (info == NULL)
    return NULL;
  if (g_file_info_get_size (info) > MAX_PROFILE_SIZE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The file is too large"));
      return NULL;
    }

  if (!g_file_load_contents (file, cancellable, &contents, &len, NULL, error))
    return NULL;
  if (len > MAX_PROFILE_SIZE || memchr (contents, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The file is not a machine profile"));
      return NULL;
    }

  profile = vireo_profile_new_from_xml (contents, NULL, error);
  if (profile == NULL)
    return NULL;

  /* A copied or hand-edited file would otherwise give two machines one
   * UUID, and saving one would overwrite the other's file. */
  expected = g_strconcat (vireo_profile_get_uuid (profile), ".xml", NULL);
  if (!g_str_equal (expected, basename))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The UUID inside does not match the file name"));
      return NULL;
    }

  return g_steal_pointer (&profile);
}

typedef struct {
  GPtrArray *profiles;
  GPtrArray *broken;
} LoadResult;

static void
load_result_free (gpointer data)
{
  LoadResult *result = data;

  g_clear_pointer (&result->profiles, g_ptr_array_unref);
  g_clear_pointer (&result->broken, g_ptr_array_unref);
  g_free (result);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* A conversion that was interrupted (the app killed, the computer
 * switched off) leaves its hidden partial image in the images folder;
 * qemu-img writes to a running one all the time, so one untouched for
 * this long is a leftover, not another window's conversion. */
#define PART_STALE_SECONDS (10 * 60)

static void
remove_conversion_leftovers (GFile        *images_dir,
                             GCancellable *cancellable)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  enumerator = g_file_enumerate_children (images_dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                          G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  while (enumerator != NULL)
    {
      g_autoptr(GDateTime) modified = NULL;
      GFileInfo *info;
      GFile *child;
      const char *name;

      if (!g_file_enumerator_iterate (enumerator, &info, &child, cancellable, NULL) || info == NULL)
        break;
      name = g_file_info_get_name (info);
      if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR
          || !g_str_has_prefix (name, VIREO_IMAGE_CONVERTER_PART_PREFIX)
          || !g_str_has_suffix (name, VIREO_IMAGE_CONVERTER_PART_SUFFIX))
        continue;
      modified = g_file_info_get_modification_date_time (info);
      if (modified != NULL
          && g_date_time_difference (now, modified) >= PART_STALE_SECONDS * G_TIME_SPAN_SECOND)
        /* Best effort: a file that cannot go stays for the next start. */
        g_file_delete (child, cancellable, NULL);
    }
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  VireoProfileStore *self = source_object;
  GFile *dir = task_data;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) basenames = g_ptr_array_new_with_free_func (g_free);
  LoadResult *result;
  GError *error = NULL;

  enumerator = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, &error);
  if (enumerator == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  /* No folder yet: the first run, an empty library. */
  g_clear_error (&error);

  while (enumerator != NULL)
    {
      GFileInfo *info;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
          g_str_has_suffix (g_file_info_get_name (info), ".xml"))
        g_ptr_array_add (basenames, g_strdup (g_file_info_get_name (info)));
    }
  /* Directory order is arbitrary; a stable order makes the broken-file
   * report and tests reproducible. */
  g_ptr_array_sort (basenames, compare_names);

  result = g_new0 (LoadResult, 1);
  result->profiles = g_ptr_array_new_with_free_func (g_object_unref);
  result->broken = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  for (guint i = 0; i < basenames->len; i++)
    {
      const char *basename = g_ptr_array_index (basenames, i);
      g_autoptr(GFile) file = g_file_get_child (dir, basename);
      g_autoptr(GError) load_error = NULL;
      g_autoptr(GError) aside_error = NULL;
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *aside = NULL;
      VireoProfile *profile;

      profile = load_one (file, basename, cancellable, &load_error);
      if (profile != NULL)
        {
          g_ptr_array_add (result->profiles, profile);
          continue;
        }
      if (g_error_matches (load_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          load_result_free (result);
          g_task_return_error (task, g_steal_pointer (&load_error));
          return;
        }

      aside = set_aside (path, &aside_error);
      if (aside != NULL)
        {
          g_autofree char *aside_name = g_path_get_basename (aside);

          g_ptr_array_add (result->broken,
                           g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                        _("The machine profile “%s” could not be read (%s). It was moved to “%s”."),
                                        basename, load_error->message, aside_name));
        }
      else
        g_ptr_array_add (result->broken,
                         g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                      _("The machine profile “%s” could not be read (%s), nor moved aside (%s)."),
                                      basename, load_error->message, aside_error->message));
    }

  /* images_dir is set at construction and never changes. */
  remove_conversion_leftovers (self->images_dir, cancellable);

  g_task_return_pointer (task, result, load_result_free);
}

/**
 * vireo_profile_store_load_async:
 *
 * Reads every profile in a worker thread. Unreadable ones are moved aside
 * and reported by vireo_profile_store_load_finish(). Partial images an
 * interrupted conversion left in the images folder are removed.
 */
void
vireo_profile_store_load_async (VireoProfileStore   *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIREO_IS_PROFILE_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_profile_store_load_async);
  g_task_set_task_data (task, g_object_ref (self->machines_dir), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/**
 * vireo_profile_store_load_finish:
 * @broken: (out) (optional) (element-type GError) (transfer full): one
 *   error per profile that was set aside, with a message for the user
 *
 * Returns: (transfer full) (element-type VireoProfile): the profiles, or
 *   %NULL with @error set when the folder itself could not be read
 */
GPtrArray *
vireo_profile_store_load_finish (VireoProfileStore  *self,
                                 GAsyncResult       *result,
                                 GPtrArray         **broken,
                                 GError            **error)
{
  LoadResult *load;
  GPtrArray *profiles;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  load = g_task_propagate_pointer (G_TASK (result), error);
  if (load == NULL)
    return NULL;

  /* The names are learned here, in the owner's thread, not in the worker. */
  for (guint i = 0; i < load->profiles->len; i++)
    remember_name (self, g_ptr_array_index (load->profiles, i));

  profiles = g_steal_pointer (&load->profiles);
  if (broken != NULL)
    *broken = g_steal_pointer (&load->broken);
  load_result_free (load);

  return profiles;
}

/* Deleting ---------------------------------------------------------------- */

/**
 * vireo_profile_store_owns_image:
 * @path: an image file named in a profile
 *
 * Whether @path lies inside the images folder, after resolving "..",
 * and symbolic links in its folders. Only such files may be deleted with a
 * machine: a disk the user brought from elsewhere is theirs.
 */
gboolean
vireo_profile_store_owns_image (VireoProfileStore *self,
                                const char        *path)
{
  g_autofree char *images = NULL;
  g_autofree char *images_real = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *dir_real = NULL;
  size_t n;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), FALSE);

  if (path == NULL || !g_path_is_absolute (path))
    return FALSE;

  images = g_file_get_path (self->images_dir);
  images_real = realpath (images, NULL);
  dir = g_path_get_dirname (path);
  dir_real = realpath (dir, NULL);
  if (images_real == NULL || dir_real == NULL)
    return FALSE;

  n = strlen (images_real);
  return strncmp (dir_real, images_real, n) == 0 &&
         (dir_real[n] == '\0' || dir_real[n] == '/');
}

static gboolean
delete_owned (VireoProfileStore  *self,
              const char         *path,
              GError            **error)
{
  if (path == NULL || !vireo_profile_store_owns_image (self, path))
    return TRUE;

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not delete “%s”: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/**
 * vireo_profile_store_delete:
 * @delete_images: also delete the disk images and UEFI variables that
 *   live in the images folder; files elsewhere are always kept
 *
 * Removes the machine's profile.
 */
gboolean
vireo_profile_store_delete (VireoProfileStore  *self,
                            VireoProfile       *profile,
                            gboolean            delete_images,
                            GCancellable       *cancellable,
                            GError            **error)
{
  g_autoptr(GFile) file = NULL;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), FALSE);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), FALSE);

  file = vireo_profile_store_get_file (self, profile);
  if (!g_file_delete (file, cancellable, error))
    return FALSE;
  g_hash_table_remove (self->names, vireo_profile_get_uuid (profile));

  if (!delete_images)
    return TRUE;

  /* CD-ROM media are never deleted: an installer ISO is the user's. */
  for (guint i = 0; i < vireo_profile_get_n_disks (profile); i++)
    {
      const VireoProfileDisk *disk = vireo_profile_get_disk (profile, i);

      if (disk->device == VIREO_DISK_DEVICE_DISK && !delete_owned (self, disk->path, error))
        return FALSE;
    }

  return delete_owned (self, vireo_profile_get_nvram (profile), error);
}

/* Importing --------------------------------------------------------------- */

/* The parts of an import that only read files run in a worker thread for
 * vireo_profile_store_import_async(); they touch nothing of the store. The
 * parts that use the store's name table (adopt()) run in its thread. */

static VireoProfile *
read_import_xml (GFile         *file,
                 GPtrArray    **dropped,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_load_contents (file, cancellable, &contents, &len, NULL, error))
    return NULL;
  if (len > MAX_PROFILE_SIZE || memchr (contents, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The file is not a virtual machine description"));
      return NULL;
    }

  return vireo_profile_new_from_xml (contents, dropped, error);
}

static gboolean
read_header (GFile         *file,
             guint8        *header,
             gsize          size,
             gsize         *len,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFileInputStream) stream = g_file_read (file, cancellable, error);

  return stream != NULL &&
         g_input_stream_read_all (G_INPUT_STREAM (stream), header, size, len, cancellable, error);
}

/* A profile that boots from @image, named after the file (made unique
 * later, by adopt()). */
static VireoProfile *
read_import_image (GFile         *image,
                   const guint8  *header,
                   gsize          len,
                   GError       **error)
{
  g_autoptr(VireoProfile) profile = NULL;
  g_autofree char *path = g_file_get_path (image);
  g_autofree char *basename = NULL;
  VireoImageFormat format;
  char *dot;

  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The disk image must be a local file"));
      return NULL;
    }

  /* Recognised so the user gets a clear message instead of a machine
   * that boots from garbage. */
  format = vireo_image_format_detect (header, len);
  if (vireo_image_format_needs_conversion (format))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   /* Translators: %s is a disk image format, e.g. "VMDK" */
                   _("This is a %s disk image: make a new machine from it to convert it to qcow2"),
                   vireo_image_format_get_name (format));
      return NULL;
    }

  basename = g_file_get_basename (image);
  dot = strrchr (basename, '.');
  if (dot != NULL && dot != basename)
    *dot = '\0';
  if (!g_utf8_validate (basename, -1, NULL))
    {
      g_free (basename);
      basename = g_strdup (_("Imported Machine"));
    }

  profile = vireo_profile_new (basename);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, path,
                          format == VIREO_IMAGE_FORMAT_QCOW2 ? VIREO_DISK_FORMAT_QCOW2
                                                             : VIREO_DISK_FORMAT_RAW,
                          VIREO_DISK_BUS_VIRTIO);
  return g_steal_pointer (&profile);
}

/* Gives an imported profile a free UUID and name, so it can never replace
 * a machine that is already there. */
static void
adopt (VireoProfileStore *self,
       VireoProfile      *profile)
{
  g_autoptr(GFile) target = vireo_profile_store_get_file (self, profile);
  g_autofree char *name = NULL;

  if (g_hash_table_contains (self->names, vireo_profile_get_uuid (profile)) ||
      g_file_query_exists (target, NULL))
    {
      g_autofree char *uuid = g_uuid_string_random ();

      vireo_profile_set_uuid (profile, uuid);
    }

  name = vireo_profile_store_propose_name (self, vireo_profile_get_name (profile));
  vireo_profile_set_name (profile, name);
}

/**
 * vireo_profile_store_import_xml:
 * @file: libvirt domain XML, e.g. from `virsh dumpxml`
 * @dropped: (out) (optional) (element-type utf8) (transfer full): what
 *   could not be kept, in words for the user
 *
 * Adds a machine from another tool. It gets a new UUID if its own is taken
 * and a new name if its name is; its disks stay where they are. Blocks on
 * file I/O: the UI uses vireo_profile_store_import_async().
 *
 * Returns: (transfer full): the saved profile, or %NULL with @error set
 */
VireoProfile *
vireo_profile_store_import_xml (VireoProfileStore  *self,
                                GFile              *file,
                                GPtrArray         **dropped,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_autoptr(VireoProfile) profile = NULL;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  profile = read_import_xml (file, dropped, cancellable, error);
  if (profile == NULL)
    return NULL;

  adopt (self, profile);
  if (!vireo_profile_store_save (self, profile, cancellable, error))
    return NULL;

  return g_steal_pointer (&profile);
}

/**
 * vireo_profile_store_import_image:
 * @image: a qcow2 or raw disk image, used where it is
 *
 * Adds a machine that boots from @image, named after the file. Blocks on
 * file I/O: the UI uses vireo_profile_store_import_async().
 *
 * Returns: (transfer full): the saved profile, or %NULL with @error set
 */
VireoProfile *
vireo_profile_store_import_image (VireoProfileStore  *self,
                                  GFile              *image,
                                  GCancellable       *cancellable,
                                  GError            **error)
{
  g_autoptr(VireoProfile) profile = NULL;
  guint8 header[512];
  gsize len = 0;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (G_IS_FILE (image), NULL);

  if (!read_header (image, header, sizeof header, &len, cancellable, error))
    return NULL;
  profile = read_import_image (image, header, len, error);
  if (profile == NULL)
    return NULL;

  adopt (self, profile);
  if (!vireo_profile_store_save (self, profile, cancellable, error))
    return NULL;

  return g_steal_pointer (&profile);
}

typedef struct {
  GFile        *file;
  VireoProfile *profile;
  GPtrArray    *dropped;
} ImportData;

static void
import_data_free (gpointer data)
{
  ImportData *import = data;

  g_clear_object (&import->file);
  g_clear_object (&import->profile);
  g_clear_pointer (&import->dropped, g_ptr_array_unref);
  g_free (import);
}

static void
import_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportData *import = task_data;
  GError *error = NULL;
  guint8 header[512];
  gsize len = 0;
  gsize i = 0;

  if (!read_header (import->file, header, sizeof header, &len, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Domain XML starts with markup. So does a VDI image ("<<< … Disk
   * Image >>>"), which its signature tells apart. */
  while (i < len && g_ascii_isspace (header[i]))
    i++;
  if (i < len && header[i] == '<' && vireo_image_format_detect (header, len) == VIREO_IMAGE_FORMAT_RAW)
    import->profile = read_import_xml (import->file, &import->dropped, cancellable, &error);
  else
    import->profile = read_import_image (import->file, header, len, &error);

  if (import->profile == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_import_saved_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (vireo_profile_store_save_finish (VIREO_PROFILE_STORE (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_import_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoProfileStore *self = VIREO_PROFILE_STORE (object);
  ImportData *import = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  adopt (self, import->profile);
  vireo_profile_store_save_async (self, import->profile, g_task_get_cancellable (task),
                                  on_import_saved_cb, g_object_ref (task));
}

/**
 * vireo_profile_store_import_async:
 * @file: libvirt domain XML, or a qcow2 or raw disk image
 *
 * Adds a machine from @file without blocking: like
 * vireo_profile_store_import_xml() for XML (recognised by its first
 * character) and vireo_profile_store_import_image() for anything else.
 */
void
vireo_profile_store_import_async (VireoProfileStore   *self,
                                  GFile               *file,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) read_task = NULL;
  ImportData *import;

  g_return_if_fail (VIREO_IS_PROFILE_STORE (self));
  g_return_if_fail (G_IS_FILE (file));

  import = g_new0 (ImportData, 1);
  import->file = g_object_ref (file);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_profile_store_import_async);
  g_task_set_task_data (task, import, import_data_free);

  /* The reading task fills the outer task's data; the outer task holds
   * it alive until the profile is saved. */
  read_task = g_task_new (self, cancellable, on_import_read_cb, g_steal_pointer (&task));
  g_task_set_task_data (read_task, import, NULL);
  g_task_run_in_thread (read_task, import_thread);
}

/**
 * vireo_profile_store_import_finish:
 * @dropped: (out) (optional) (element-type utf8) (transfer full): for
 *   XML, what could not be kept; empty for an image
 *
 * Returns: (transfer full): the saved profile, or %NULL with @error set
 */
VireoProfile *
vireo_profile_store_import_finish (VireoProfileStore  *self,
                                   GAsyncResult       *result,
                                   GPtrArray         **dropped,
                                   GError            **error)
{
  ImportData *import;

  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  import = g_task_get_task_data (G_TASK (result));
  if (dropped != NULL)
    *dropped = import->dropped != NULL ? g_ptr_array_ref (import->dropped)
                                       : g_ptr_array_new_with_free_func (g_free);
  return g_object_ref (import->profile);
}
