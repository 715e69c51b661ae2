/* vireo-machine.c
 *
 * One virtual machine as the UI sees it: its profile (what it is) and its
 * runtime state (what it is doing), as properties the library cards and
 * the console page bind to.
 *
 * The name and OS id live in the profile, so there is one truth for what
 * is saved; the machine re-announces their changes as its own properties.
 * The OS's display name is not saved: it is looked up in libosinfo by
 * whoever owns the OS database (the library), so it follows the database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "vireo-machine.h"

struct _VireoMachine
{
  GObject            parent_instance;

  VireoProfileStore *store;
  VireoProfile      *profile;
  char              *os_name;
  GdkPaintable      *thumbnail;
  char              *sort_key;
  VireoMachineState  state;
};

G_DEFINE_FINAL_TYPE (VireoMachine, vireo_machine, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (VireoMachineState, vireo_machine_state,
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_STARTING, "starting"),
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_STOPPING, "stopping"),
  G_DEFINE_ENUM_VALUE (VIREO_MACHINE_STATE_CRASHED, "crashed"))

enum {
  PROP_0,
  PROP_STORE,
  PROP_PROFILE,
  PROP_NAME,
  PROP_OS_ID,
  PROP_OS_NAME,
  PROP_STATE,
  PROP_THUMBNAIL,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/**
 * vireo_machine_new:
 * @store: where the profile is saved
 * @profile: the machine's settings
 */
VireoMachine *
vireo_machine_new (VireoProfileStore *store,
                   VireoProfile      *profile)
{
  g_return_val_if_fail (VIREO_IS_PROFILE_STORE (store), NULL);
  g_return_val_if_fail (VIREO_IS_PROFILE (profile), NULL);

  return g_object_new (VIREO_TYPE_MACHINE,
                       "store", store,
                       "profile", profile,
                       NULL);
}

static void
update_sort_key (VireoMachine *self)
{
  g_autofree char *folded = g_utf8_casefold (vireo_profile_get_name (self->profile), -1);

  g_free (self->sort_key);
  self->sort_key = g_utf8_collate_key (folded, -1);
}

static void
on_profile_notify_name_cb (VireoMachine *self,
                           GParamSpec   *pspec,
                           VireoProfile *profile)
{
  g_assert (VIREO_IS_MACHINE (self));

  update_sort_key (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_NAME]);
}

static void
on_profile_notify_os_id_cb (VireoMachine *self,
                            GParamSpec   *pspec,
                            VireoProfile *profile)
{
  g_assert (VIREO_IS_MACHINE (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OS_ID]);
}

static void
vireo_machine_constructed (GObject *object)
{
  VireoMachine *self = (VireoMachine *)object;

  G_OBJECT_CLASS (vireo_machine_parent_class)->constructed (object);

  g_assert (VIREO_IS_PROFILE_STORE (self->store));
  g_assert (VIREO_IS_PROFILE (self->profile));

  update_sort_key (self);
  g_signal_connect_object (self->profile, "notify::name",
                           G_CALLBACK (on_profile_notify_name_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::os-id",
                           G_CALLBACK (on_profile_notify_os_id_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
vireo_machine_dispose (GObject *object)
{
  VireoMachine *self = (VireoMachine *)object;

  g_clear_object (&self->thumbnail);

  G_OBJECT_CLASS (vireo_machine_parent_class)->dispose (object);
}

static void
vireo_machine_finalize (GObject *object)
{
  VireoMachine *self = (VireoMachine *)object;

  g_clear_object (&self->store);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->os_name, g_free);
  g_clear_pointer (&self->sort_key, g_free);

  G_OBJECT_CLASS (vireo_machine_parent_class)->finalize (object);
}

static void
vireo_machine_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VireoMachine *self = VIREO_MACHINE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;

    case PROP_NAME:
      g_value_set_string (value, vireo_machine_get_name (self));
      break;

    case PROP_OS_ID:
      g_value_set_string (value, vireo_machine_get_os_id (self));
      break;

    case PROP_OS_NAME:
      g_value_set_string (value, self->os_name);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_THUMBNAIL:
      g_value_set_object (value, self->thumbnail);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_machine_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VireoMachine *self = VIREO_MACHINE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;

    case PROP_OS_NAME:
      vireo_machine_set_os_name (self, g_value_get_string (value));
      break;

    case PROP_STATE:
      vireo_machine_set_state (self, g_value_get_enum (value));
      break;

    case PROP_THUMBNAIL:
      vireo_machine_set_thumbnail (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_machine_class_init (VireoMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = vireo_machine_constructed;
  object_class->dispose = vireo_machine_dispose;
  object_class->finalize = vireo_machine_finalize;
  object_class->get_property = vireo_machine_get_property;
  object_class->set_property = vireo_machine_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, VIREO_TYPE_PROFILE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties [PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL, VIREO_TYPE_PROFILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /* Read-only here: renaming can fail (a taken name), which a property
   * setter cannot report. Use vireo_machine_rename(). */
  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties [PROP_OS_ID] =
    g_param_spec_string ("os-id", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties [PROP_OS_NAME] =
    g_param_spec_string ("os-name", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       VIREO_TYPE_MACHINE_STATE, VIREO_MACHINE_STATE_STOPPED,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_PAINTABLE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_machine_init (VireoMachine *self)
{
  self->state = VIREO_MACHINE_STATE_STOPPED;
}

/**
 * vireo_machine_get_profile:
 *
 * Returns: (transfer none): the machine's settings
 */
VireoProfile *
vireo_machine_get_profile (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return self->profile;
}

const char *
vireo_machine_get_uuid (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return vireo_profile_get_uuid (self->profile);
}

const char *
vireo_machine_get_name (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return vireo_profile_get_name (self->profile);
}

/**
 * vireo_machine_rename:
 * @name: the new name
 *
 * Renames the machine unless another machine has that name. Only the
 * name inside the profile changes (the file is named after the UUID);
 * save with vireo_machine_save_async(). The new name counts as taken at
 * once, saved or not.
 *
 * Returns: %FALSE with @error set when @name is empty or taken
 */
gboolean
vireo_machine_rename (VireoMachine  *self,
                      const char    *name,
                      GError       **error)
{
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  stripped = g_strstrip (g_strdup (name));
  if (stripped[0] == '\0' || !g_utf8_validate (stripped, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name cannot be empty"));
      return FALSE;
    }
  if (vireo_profile_store_is_name_taken (self->store, stripped, vireo_machine_get_uuid (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("There is already a machine named “%s”"), stripped);
      return FALSE;
    }

  vireo_profile_set_name (self->profile, stripped);
  vireo_profile_store_claim_name (self->store, self->profile);
  return TRUE;
}

const char *
vireo_machine_get_os_id (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return vireo_profile_get_os_id (self->profile);
}

/**
 * vireo_machine_get_os_name:
 *
 * Returns: (nullable): the OS's name for display, e.g. "Debian 12"
 */
const char *
vireo_machine_get_os_name (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return self->os_name;
}

void
vireo_machine_set_os_name (VireoMachine *self,
                           const char   *os_name)
{
  g_return_if_fail (VIREO_IS_MACHINE (self));

  if (g_strcmp0 (self->os_name, os_name) == 0)
    return;

  g_free (self->os_name);
  self->os_name = g_strdup (os_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OS_NAME]);
}

VireoMachineState
vireo_machine_get_state (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), VIREO_MACHINE_STATE_STOPPED);

  return self->state;
}

/**
 * vireo_machine_set_state:
 *
 * Called by whoever runs the machine; the UI only reads it.
 */
void
vireo_machine_set_state (VireoMachine      *self,
                         VireoMachineState  state)
{
  g_return_if_fail (VIREO_IS_MACHINE (self));
  g_return_if_fail (state <= VIREO_MACHINE_STATE_CRASHED);

  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATE]);
}

/**
 * vireo_machine_get_thumbnail:
 *
 * Returns: (transfer none) (nullable): the last picture of the guest's
 *   screen, set by the display code
 */
GdkPaintable *
vireo_machine_get_thumbnail (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return self->thumbnail;
}

void
vireo_machine_set_thumbnail (VireoMachine *self,
                             GdkPaintable *thumbnail)
{
  g_return_if_fail (VIREO_IS_MACHINE (self));
  g_return_if_fail (thumbnail == NULL || GDK_IS_PAINTABLE (thumbnail));

  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_THUMBNAIL]);
}

/**
 * vireo_machine_get_sort_key:
 *
 * Returns: a collation key of the name, for sorting as the user's
 *   language does without re-collating on every comparison
 */
const char *
vireo_machine_get_sort_key (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), NULL);

  return self->sort_key;
}

static gboolean
contains_folded (const char *haystack,
                 const char *folded_needle)
{
  g_autofree char *normal = NULL;
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;

  normal = g_utf8_normalize (haystack, -1, G_NORMALIZE_ALL);
  folded = g_utf8_casefold (normal != NULL ? normal : haystack, -1);
  return strstr (folded, folded_needle) != NULL;
}

/**
 * vireo_machine_matches:
 * @search: (nullable): what the user typed
 *
 * Whether the name or the OS name contains @search, ignoring case.
 * An empty search matches every machine.
 */
gboolean
vireo_machine_matches (VireoMachine *self,
                       const char   *search)
{
  g_autofree char *normal = NULL;
  g_autofree char *needle = NULL;

  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);

  if (search == NULL || search[0] == '\0')
    return TRUE;
  if (!g_utf8_validate (search, -1, NULL))
    return FALSE;

  normal = g_utf8_normalize (search, -1, G_NORMALIZE_ALL);
  needle = g_utf8_casefold (normal, -1);
  return contains_folded (vireo_machine_get_name (self), needle) ||
         contains_folded (self->os_name, needle);
}

static void
on_save_cb (GObject      *object,
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

/**
 * vireo_machine_save_async:
 *
 * Saves the profile as it is now, atomically, without blocking.
 */
void
vireo_machine_save_async (VireoMachine        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIREO_IS_MACHINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_machine_save_async);
  vireo_profile_store_save_async (self->store, self->profile, cancellable, on_save_cb, task);
}

gboolean
vireo_machine_save_finish (VireoMachine  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
