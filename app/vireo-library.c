/* vireo-library.c
 *
 * Every machine of the user, as a GListModel of VireoMachine sorted by
 * name, plus a second model filtered by the search text. The library
 * grid binds to the filtered one.
 *
 * Sorting and filtering use GtkSortListModel and GtkFilterListModel.
 * They are list models, not widgets, so app/ keeps DESIGN.md's rule (no
 * widgets below ui/), and they already do what a hand-written model would
 * have to: keep positions right as items change, and tell a GtkGridView
 * exactly which items moved.
 *
 * The library owns the OS database only to turn libosinfo ids into names;
 * loading it reads hundreds of files, so it happens in a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "vireo-library.h"

struct _VireoLibrary
{
  GObject             parent_instance;

  VireoProfileStore  *store;
  OsinfoDb           *os_db;
  GListStore         *machines;
  GtkCustomSorter    *sorter;
  GtkSortListModel   *sorted;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  char               *search;
  guint               n_active;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VireoLibrary, vireo_library, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_OS_DB,
  PROP_SEARCH,
  PROP_N_ACTIVE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static GType
vireo_library_get_item_type (GListModel *model)
{
  return VIREO_TYPE_MACHINE;
}

static guint
vireo_library_get_n_items (GListModel *model)
{
  VireoLibrary *self = VIREO_LIBRARY (model);

  return g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
}

static gpointer
vireo_library_get_item (GListModel *model,
                        guint       position)
{
  VireoLibrary *self = VIREO_LIBRARY (model);

  return g_list_model_get_item (G_LIST_MODEL (self->sorted), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = vireo_library_get_item_type;
  iface->get_n_items = vireo_library_get_n_items;
  iface->get_item = vireo_library_get_item;
}

static int
compare_machines (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  VireoMachine *ma = VIREO_MACHINE ((gpointer) a);
  VireoMachine *mb = VIREO_MACHINE ((gpointer) b);
  int cmp = strcmp (vireo_machine_get_sort_key (ma), vireo_machine_get_sort_key (mb));

  /* Equal keys (names differing only in case) still get one fixed order. */
  if (cmp == 0)
    cmp = strcmp (vireo_machine_get_uuid (ma), vireo_machine_get_uuid (mb));

  return cmp < 0 ? GTK_ORDERING_SMALLER : cmp > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static gboolean
filter_machine (gpointer item,
                gpointer user_data)
{
  VireoLibrary *self = user_data;

  return vireo_machine_matches (VIREO_MACHINE (item), self->search);
}

static void
on_sorted_items_changed_cb (VireoLibrary *self,
                            guint         position,
                            guint         removed,
                            guint         added,
                            GListModel   *model)
{
  g_assert (VIREO_IS_LIBRARY (self));

  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
vireo_library_dispose (GObject *object)
{
  VireoLibrary *self = (VireoLibrary *)object;

  if (self->sorted != NULL)
    g_signal_handlers_disconnect_by_func (self->sorted, on_sorted_items_changed_cb, self);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorted);
  g_clear_object (&self->sorter);
  g_clear_object (&self->machines);
  g_clear_object (&self->os_db);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (vireo_library_parent_class)->dispose (object);
}

static void
vireo_library_finalize (GObject *object)
{
  VireoLibrary *self = (VireoLibrary *)object;

  g_clear_pointer (&self->search, g_free);

  G_OBJECT_CLASS (vireo_library_parent_class)->finalize (object);
}

static void
vireo_library_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VireoLibrary *self = VIREO_LIBRARY (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_OS_DB:
      g_value_set_object (value, self->os_db);
      break;

    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;

    case PROP_N_ACTIVE:
      g_value_set_uint (value, self->n_active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_library_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VireoLibrary *self = VIREO_LIBRARY (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_OS_DB:
      vireo_library_set_os_db (self, g_value_get_object (value));
      break;

    case PROP_SEARCH:
      vireo_library_set_search (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_library_class_init (VireoLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vireo_library_dispose;
  object_class->finalize = vireo_library_finalize;
  object_class->get_property = vireo_library_get_property;
  object_class->set_property = vireo_library_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, VIREO_TYPE_PROFILE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties [PROP_OS_DB] =
    g_param_spec_object ("os-db", NULL, NULL, OSINFO_TYPE_DB,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_SEARCH] =
    g_param_spec_string ("search", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  /* Machines that are not stopped or crashed: what closing the window
   * asks about, and what keeps the application alive in the background. */
  properties [PROP_N_ACTIVE] =
    g_param_spec_uint ("n-active", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_library_init (VireoLibrary *self)
{
  self->machines = g_list_store_new (VIREO_TYPE_MACHINE);
  self->sorter = gtk_custom_sorter_new (compare_machines, NULL, NULL);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->machines)),
                                          GTK_SORTER (g_object_ref (self->sorter)));
  self->filter = gtk_custom_filter_new (filter_machine, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->sorted)),
                                              GTK_FILTER (g_object_ref (self->filter)));

  g_signal_connect_object (self->sorted, "items-changed",
                           G_CALLBACK (on_sorted_items_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

/**
 * vireo_library_new:
 * @store: where the machines' profiles live
 *
 * Creates an empty library; fill it with vireo_library_load_async().
 */
VireoLibrary *
vireo_library_new (VireoProfileStore *store)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (store), NULL);

  return g_object_new (VIREO_TYPE_LIBRARY, "store", store, NULL);
}

/**
 * vireo_library_get_store:
 *
 * Returns: (transfer none): the profile store
 */
VireoProfileStore *
vireo_library_get_store (VireoLibrary *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);

  return self->store;
}

/**
 * vireo_library_get_os_db:
 *
 * Returns: (transfer none) (nullable): the OS database, once loaded; the
 *   wizard can share it instead of loading its own
 */
OsinfoDb *
vireo_library_get_os_db (VireoLibrary *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);

  return self->os_db;
}

static void
update_os_name (VireoLibrary *self,
                VireoMachine *machine)
{
  const char *os_id = vireo_machine_get_os_id (machine);
  OsinfoOs *os = NULL;

  if (self->os_db != NULL && os_id != NULL)
    os = osinfo_db_get_os (self->os_db, os_id);

  vireo_machine_set_os_name (machine, os != NULL ? osinfo_product_get_name (OSINFO_PRODUCT (os)) : NULL);
}

/**
 * vireo_library_set_os_db:
 * @db: (nullable): the libosinfo database that names the machines' OSes
 */
void
vireo_library_set_os_db (VireoLibrary *self,
                         OsinfoDb     *db)
{
  guint n;

  g_return_if_fail (VIREO_IS_LIBRARY (self));
  g_return_if_fail (db == NULL || OSINFO_IS_DB (db));

  if (!g_set_object (&self->os_db, db))
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->machines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (G_LIST_MODEL (self->machines), i);

      update_os_name (self, machine);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OS_DB]);
}

static void
update_n_active (VireoLibrary *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->machines));
  guint n_active = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (G_LIST_MODEL (self->machines), i);

      n_active += vireo_machine_is_active (machine);
    }

  if (n_active == self->n_active)
    return;
  self->n_active = n_active;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ACTIVE]);
}

/**
 * vireo_library_get_n_active:
 *
 * Returns: how many machines are starting, running, paused or stopping
 */
guint
vireo_library_get_n_active (VireoLibrary *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), 0);

  return self->n_active;
}

static void
on_machine_changed_cb (VireoLibrary *self,
                       GParamSpec   *pspec,
                       VireoMachine *machine)
{
  g_assert (VIREO_IS_LIBRARY (self));

  if (g_str_equal (pspec->name, "state"))
    {
      update_n_active (self);
      return;
    }
  if (g_str_equal (pspec->name, "os-id"))
    update_os_name (self, machine);
  if (g_str_equal (pspec->name, "name"))
    gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  if (self->search != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/**
 * vireo_library_find:
 *
 * Returns: (transfer none) (nullable): the machine with this UUID
 */
VireoMachine *
vireo_library_find (VireoLibrary *self,
                    const char   *uuid)
{
  guint n;

  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (uuid != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->machines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (G_LIST_MODEL (self->machines), i);

      if (g_ascii_strcasecmp (vireo_machine_get_uuid (machine), uuid) == 0)
        return machine;
    }

  return NULL;
}

/**
 * vireo_library_add:
 * @profile: a profile already in the library's store (saved, or
 *   imported)
 *
 * Returns: (transfer none): the machine now in the library; if one with
 *   the same UUID was there, that one
 */
VireoMachine *
vireo_library_add (VireoLibrary *self,
                   VireoProfile *profile)
{
  g_autoptr(VireoMachine) machine = NULL;
  VireoMachine *existing;

  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), NULL);

  existing = vireo_library_find (self, vireo_profile_get_uuid (profile));
  if (existing != NULL)
    return existing;

  machine = vireo_machine_new (self->store, profile);
  update_os_name (self, machine);
  g_signal_connect_object (machine, "notify::name", G_CALLBACK (on_machine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (machine, "notify::os-id", G_CALLBACK (on_machine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (machine, "notify::os-name", G_CALLBACK (on_machine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (machine, "notify::state", G_CALLBACK (on_machine_changed_cb), self, G_CONNECT_SWAPPED);
  g_list_store_append (self->machines, machine);

  /* Owned by the list store from here on. */
  return machine;
}

/**
 * vireo_library_delete:
 * @delete_images: also delete the disk images inside Vireo's images folder
 *
 * Deletes the machine's profile and takes it out of the library. A
 * machine that is not stopped cannot be deleted.
 */
gboolean
vireo_library_delete (VireoLibrary  *self,
                      VireoMachine  *machine,
                      gboolean       delete_images,
                      GError       **error)
{
  guint position;

  g_return_val_if_fail (VIREO_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (VIREO_IS_MACHINE (machine), FALSE);

  if (!g_list_store_find (self->machines, machine, &position))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine is not in the library"));
      return FALSE;
    }
  if (vireo_machine_is_active (machine))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("“%s” is still running; shut it down before deleting it"),
                   vireo_machine_get_name (machine));
      return FALSE;
    }

  if (!vireo_profile_store_delete (self->store, vireo_machine_get_profile (machine),
                                   delete_images, NULL, error))
    return FALSE;

  g_signal_handlers_disconnect_by_func (machine, on_machine_changed_cb, self);
  g_list_store_remove (self->machines, position);
  update_n_active (self);
  return TRUE;
}

/**
 * vireo_library_get_filtered:
 *
 * Returns: (transfer none): the sorted machines that match the search
 */
GListModel *
vireo_library_get_filtered (VireoLibrary *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

const char *
vireo_library_get_search (VireoLibrary *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), NULL);

  return self->search;
}

/**
 * vireo_library_set_search:
 * @search: (nullable): text to look for in names and OS names
 */
void
vireo_library_set_search (VireoLibrary *self,
                          const char   *search)
{
  g_return_if_fail (VIREO_IS_LIBRARY (self));

  if (search != NULL && search[0] == '\0')
    search = NULL;
  if (g_strcmp0 (self->search, search) == 0)
    return;

  g_free (self->search);
  self->search = g_strdup (search);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SEARCH]);
}

/* Loading ----------------------------------------------------------------- */

static void
load_os_db_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_autoptr(OsinfoLoader) loader = osinfo_loader_new ();
  GError *error = NULL;

  osinfo_loader_process_default_path (loader, &error);
  /* A partly broken database still names most OSes; names are a nicety,
   * not a reason to show no machines. */
  g_clear_error (&error);
  g_task_return_pointer (task, g_object_ref (osinfo_loader_get_db (loader)), g_object_unref);
}

static void
on_store_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoLibrary *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) profiles = NULL;
  GPtrArray *broken = NULL;
  GError *error = NULL;

  profiles = vireo_profile_store_load_finish (VIREO_PROFILE_STORE (object), result, &broken, &error);
  if (profiles == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < profiles->len; i++)
    vireo_library_add (self, g_ptr_array_index (profiles, i));

  g_task_return_pointer (task, broken, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_os_db_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoLibrary *self = VIREO_LIBRARY (object);
  g_autoptr(OsinfoDb) db = g_task_propagate_pointer (G_TASK (result), NULL);

  if (self->os_db == NULL)
    vireo_library_set_os_db (self, db);

  vireo_profile_store_load_async (self->store, g_task_get_cancellable (task),
                                  on_store_loaded_cb, g_object_ref (task));
}

/**
 * vireo_library_load_async:
 *
 * Reads every profile of the store (and, unless one was set, the OS
 * database) in worker threads, and adds a machine for each profile.
 */
void
vireo_library_load_async (VireoLibrary        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) db_task = NULL;

  g_return_if_fail (VIREO_IS_LIBRARY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_library_load_async);

  if (self->os_db != NULL)
    {
      vireo_profile_store_load_async (self->store, cancellable, on_store_loaded_cb, g_steal_pointer (&task));
      return;
    }

  db_task = g_task_new (self, cancellable, on_os_db_loaded_cb, g_steal_pointer (&task));
  g_task_run_in_thread (db_task, load_os_db_thread);
}

/**
 * vireo_library_load_finish:
 * @broken: (out) (optional) (element-type GError) (transfer full): the
 *   profiles that were set aside as *.broken, as messages for the user
 *
 * Returns: %FALSE with @error set if the machines folder could not be read
 */
gboolean
vireo_library_load_finish (VireoLibrary  *self,
                           GAsyncResult  *result,
                           GPtrArray    **broken,
                           GError       **error)
{
  GPtrArray *errors;

  g_return_val_if_fail (VIREO_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  errors = g_task_propagate_pointer (G_TASK (result), error);
  if (errors == NULL)
    return FALSE;

  if (broken != NULL)
    *broken = errors;
  else
    g_ptr_array_unref (errors);
  return TRUE;
}

/* Stopping everything ------------------------------------------------------ */

typedef struct
{
  guint   timeout_id;
  gulong  notify_id;
} StopAll;

static void
stop_all_free (gpointer data)
{
  StopAll *stop = data;

  g_clear_handle_id (&stop->timeout_id, g_source_remove);
  g_free (stop);
}

static void
stop_all_finish_if_done (GTask *task)
{
  VireoLibrary *self = g_task_get_source_object (task);
  StopAll *stop = g_task_get_task_data (task);

  if (self->n_active > 0 || stop->notify_id == 0)
    return;

  g_clear_signal_handler (&stop->notify_id, self);
  g_clear_handle_id (&stop->timeout_id, g_source_remove);
  g_task_return_boolean (task, TRUE);
  /* The reference the notify handler held. */
  g_object_unref (task);
}

static void
on_stop_all_n_active_cb (VireoLibrary *self,
                         GParamSpec   *pspec,
                         GTask        *task)
{
  stop_all_finish_if_done (task);
}

static void
on_operation_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A guest that is stopped already, or that powered off between the
   * check and the request, is what was wanted. */
  if (!vireo_machine_operate_finish (VIREO_MACHINE (object), result, &error))
    g_debug ("Stopping %s: %s", vireo_machine_get_name (VIREO_MACHINE (object)), error->message);
}

static void
operate_on_active (VireoLibrary          *self,
                   VireoMachineOperation  operation)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->machines));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (G_LIST_MODEL (self->machines), i);

      if (vireo_machine_can (machine, operation))
        vireo_machine_operate_async (machine, operation, NULL, on_operation_done_cb, NULL);
    }
}

static gboolean
on_stop_all_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  VireoLibrary *self = g_task_get_source_object (task);
  StopAll *stop = g_task_get_task_data (task);

  stop->timeout_id = 0;
  operate_on_active (self, VIREO_MACHINE_OPERATION_FORCE_OFF);
  return G_SOURCE_REMOVE;
}

/**
 * vireo_library_stop_all_async:
 * @timeout_seconds: how long guests get to shut down
 *
 * Presses the power button of every running machine and waits for them
 * to power off; those still up after @timeout_seconds are forced off.
 * Completes when no machine is active.
 */
void
vireo_library_stop_all_async (VireoLibrary        *self,
                              guint                timeout_seconds,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  StopAll *stop;

  g_return_if_fail (VIREO_IS_LIBRARY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_library_stop_all_async);

  if (self->n_active == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  stop = g_new0 (StopAll, 1);
  g_task_set_task_data (task, stop, stop_all_free);
  stop->notify_id = g_signal_connect_data (self, "notify::n-active",
                                           G_CALLBACK (on_stop_all_n_active_cb),
                                           g_object_ref (task), NULL, 0);
  /* A machine still starting cannot take a power-button press; the
   * timeout forces it off with the others. */
  stop->timeout_id = g_timeout_add_seconds (timeout_seconds, on_stop_all_timeout_cb, task);
  operate_on_active (self, VIREO_MACHINE_OPERATION_SHUT_DOWN);
}

gboolean
vireo_library_stop_all_finish (VireoLibrary  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
