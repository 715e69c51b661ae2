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
 * A machine also runs here, in-process, through vmm-core. Everything that
 * waits for the monitor (creating the VM, pausing vCPUs, pulling the plug)
 * happens in a worker thread, and the monitor's state changes, which
 * arrive on its own threads, are carried to the machine's main context:
 * the UI never blocks on a guest.
 *
 * The thumbnail is a small copy of the running guest's screen, read from
 * the monitor and shrunk on a worker thread when whoever shows it asks
 * (vireo_machine_update_thumbnail_async()), so it costs nothing while no
 * one looks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "vireo-vmm.h"

#include "vireo-machine.h"
#include "vireo-machine-private.h"
#include "vireo-firmware-files.h"
#include "vireo-thumbnail.h"

/* One boot of the machine: the monitor instance and what its threads need
 * to find their way back. Reference-counted because worker threads use
 * the VmmMachine while the main thread may already have moved on (the
 * guest powered off); the last reference frees the monitor, which joins
 * its threads, so never from a monitor callback. */
typedef struct
{
  gatomicrefcount  ref_count;
  VmmMachine      *vmm;
  GWeakRef         machine;
  GMainContext    *context;
  guint64          generation;
} VireoRun;

static void vireo_run_unref (VireoRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VireoRun, vireo_run_unref)

struct _VireoMachine
{
  GObject            parent_instance;

  VireoProfileStore *store;
  VireoProfile      *profile;
  char              *os_name;
  GdkPaintable      *thumbnail;
  char              *sort_key;
  VireoMachineState  state;

  VireoRun          *run;
  guint64            generation;
  char              *realmode_image;
  /* Set while vireo_machine_start_async() has not completed: state
   * changes seen meanwhile are read back from the monitor at the end. */
  guint              start_pending : 1;
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
  g_clear_pointer (&self->run, vireo_run_unref);

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
  g_clear_pointer (&self->realmode_image, g_free);

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

/* Running ----------------------------------------------------------------- */

/**
 * vireo_machine_boot_order_for_vmm:
 * @devices: (array length=n_devices): a profile's boot order, first first
 * @out: where the monitor's boot order goes
 *
 * The profile's boot order as the monitor takes it (VmmConfig.boot_order).
 * The monitor boots from disks and CD-ROM drives only: network boot is
 * left out without complaint, so a profile that also names it (as
 * virt-manager may write) still boots from its drives in their order.
 * Repeats are dropped and at most VMM_BOOT_DEVICES_MAX kinds are kept.
 *
 * Returns: how many entries of @out were filled
 */
guint
vireo_machine_boot_order_for_vmm (const VireoBootDevice *devices,
                                  guint                  n_devices,
                                  VmmBootDevice          out[VMM_BOOT_DEVICES_MAX])
{
  guint n = 0;

  g_return_val_if_fail (devices != NULL || n_devices == 0, 0);
  g_return_val_if_fail (out != NULL, 0);

  for (guint i = 0; i < n_devices && n < VMM_BOOT_DEVICES_MAX; i++)
    {
      VmmBootDevice kind;
      gboolean seen = FALSE;

      switch (devices[i])
        {
        case VIREO_BOOT_DEVICE_HD:
          kind = VMM_BOOT_DISK;
          break;
        case VIREO_BOOT_DEVICE_CDROM:
          kind = VMM_BOOT_CDROM;
          break;
        case VIREO_BOOT_DEVICE_NETWORK:
        default:
          continue;
        }
      for (guint j = 0; j < n; j++)
        seen |= out[j] == kind;
      if (!seen)
        out[n++] = kind;
    }
  return n;
}

static VireoRun *
vireo_run_new (VireoMachine *machine,
               guint64       generation)
{
  VireoRun *run = g_new0 (VireoRun, 1);

  g_atomic_ref_count_init (&run->ref_count);
  g_weak_ref_init (&run->machine, machine);
  run->context = g_main_context_ref_thread_default ();
  run->generation = generation;
  return run;
}

static VireoRun *
vireo_run_ref (VireoRun *run)
{
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

static void
vireo_run_free (VireoRun *run)
{
  /* Joins the monitor's threads; their last state callbacks still find
   * the run (and a cleared weak reference) until this returns. */
  g_clear_pointer (&run->vmm, vmm_machine_free);
  g_weak_ref_clear (&run->machine);
  g_main_context_unref (run->context);
  g_free (run);
}

static void
free_run_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  vireo_run_free (task_data);
}

static void
vireo_run_unref (VireoRun *run)
{
  g_autoptr(GTask) task = NULL;

  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;

  /* Freeing a monitor kills its vCPUs and waits for them; that is not
   * for the main thread. */
  if (run->vmm == NULL)
    {
      vireo_run_free (run);
      return;
    }
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, run, NULL);
  g_task_run_in_thread (task, free_run_thread);
}

static VireoMachineState
state_from_vmm (VmmState state)
{
  switch (state)
    {
    case VMM_STATE_RUNNING:
      return VIREO_MACHINE_STATE_RUNNING;
    case VMM_STATE_PAUSED:
      return VIREO_MACHINE_STATE_PAUSED;
    case VMM_STATE_CRASHED:
      return VIREO_MACHINE_STATE_CRASHED;
    case VMM_STATE_STOPPED:
    default:
      return VIREO_MACHINE_STATE_STOPPED;
    }
}

/* Takes the monitor's word for the state. A guest that powered off or
 * crashed is done with its monitor: the next start makes a new one. */
static void
apply_vmm_state (VireoMachine *self,
                 VmmState      vmm_state)
{
  VireoMachineState state = state_from_vmm (vmm_state);

  if (state == VIREO_MACHINE_STATE_STOPPED || state == VIREO_MACHINE_STATE_CRASHED)
    g_clear_pointer (&self->run, vireo_run_unref);
  /* A power-button press leaves the guest running until it powers off;
   * the machine stays "stopping" meanwhile. */
  if (state == VIREO_MACHINE_STATE_RUNNING && self->state == VIREO_MACHINE_STATE_STOPPING)
    return;
  vireo_machine_set_state (self, state);
}

typedef struct
{
  VireoMachine *machine;
  guint64       generation;
  VmmState      state;
} StateChange;

static void
state_change_free (gpointer data)
{
  StateChange *change = data;

  g_object_unref (change->machine);
  g_free (change);
}

static gboolean
apply_state_change_cb (gpointer data)
{
  StateChange *change = data;
  VireoMachine *self = change->machine;

  /* A change of an earlier boot, or one that the end of start will read
   * back anyway. */
  if (self->run == NULL || self->run->generation != change->generation || self->start_pending)
    return G_SOURCE_REMOVE;

  apply_vmm_state (self, change->state);
  return G_SOURCE_REMOVE;
}

/* Called on a monitor thread. */
static void
on_vmm_state_cb (VmmMachine *vmm,
                 VmmState    state,
                 gpointer    user_data)
{
  VireoRun *run = user_data;
  StateChange *change;
  VireoMachine *machine = g_weak_ref_get (&run->machine);

  if (machine == NULL)
    return;

  /* The reference keeps the machine alive until the main context has
   * seen the change. */
  change = g_new0 (StateChange, 1);
  change->machine = machine;
  change->generation = run->generation;
  change->state = state;
  g_main_context_invoke_full (run->context, G_PRIORITY_DEFAULT,
                              apply_state_change_cb, change, state_change_free);
}

gboolean
vireo_machine_is_active (VireoMachine *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);

  return self->state != VIREO_MACHINE_STATE_STOPPED &&
         self->state != VIREO_MACHINE_STATE_CRASHED;
}

/**
 * vireo_machine_can:
 * @operation: what the user would like to do
 *
 * Whether @operation fits the machine's state now, for enabling menu
 * items; the operation itself still checks.
 */
gboolean
vireo_machine_can (VireoMachine          *self,
                   VireoMachineOperation  operation)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);

  switch (operation)
    {
    case VIREO_MACHINE_OPERATION_START:
      return !vireo_machine_is_active (self);
    case VIREO_MACHINE_OPERATION_PAUSE:
      return self->state == VIREO_MACHINE_STATE_RUNNING;
    case VIREO_MACHINE_OPERATION_RESUME:
      return self->state == VIREO_MACHINE_STATE_PAUSED;
    case VIREO_MACHINE_OPERATION_SHUT_DOWN:
      return self->state == VIREO_MACHINE_STATE_RUNNING ||
             self->state == VIREO_MACHINE_STATE_PAUSED ||
             self->state == VIREO_MACHINE_STATE_STOPPING;
    case VIREO_MACHINE_OPERATION_FORCE_OFF:
      return vireo_machine_is_active (self) && !self->start_pending;
    default:
      g_return_val_if_reached (FALSE);
    }
}

typedef struct
{
  VireoRun *run;
  char     *kernel;
  char     *initrd;
  char     *cmdline;
  char     *realmode_image;
  guint64   memory;
  guint     cpus;
  /* Copies of the profile's disks and CD-ROM drives, as the monitor
   * takes them: paths (NULL for an empty drive), formats, and kinds. */
  GPtrArray *disk_paths;
  GPtrArray *disk_formats;
  GArray    *disk_kinds;       /* DiskKind */
  char      *bios;             /* firmware boot; NULL boots the kernel directly */
  char      *uefi_code;        /* or UEFI: OVMF's code and the machine's own */
  char      *uefi_vars;        /*   variable store, made at the first start */
  /* User-mode networking with the profile's port forwards, NULL-ended;
   * NULL for the real-mode test programs, which have no PCI driver. */
  GPtrArray *net_forwards;
  VmmNetModel net_model;
  char      *uuid;
  /* Firmware boot: the profile's boot order, as the monitor takes it. */
  VmmBootDevice boot_order[VMM_BOOT_DEVICES_MAX];
  guint      n_boot_order;
} StartData;

typedef enum {
  DISK_KIND_VIRTIO,
  DISK_KIND_SATA,
  DISK_KIND_CDROM,
} DiskKind;

static void
start_data_free (gpointer data)
{
  StartData *start = data;

  g_clear_pointer (&start->run, vireo_run_unref);
  g_free (start->kernel);
  g_free (start->initrd);
  g_free (start->cmdline);
  g_free (start->realmode_image);
  g_clear_pointer (&start->disk_paths, g_ptr_array_unref);
  g_clear_pointer (&start->disk_formats, g_ptr_array_unref);
  g_clear_pointer (&start->disk_kinds, g_array_unref);
  g_free (start->bios);
  g_free (start->uefi_code);
  g_free (start->uefi_vars);
  g_clear_pointer (&start->net_forwards, g_ptr_array_unref);
  g_free (start->uuid);
  g_free (start);
}

static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StartData *start = task_data;
  VmmConfig config;
  VmmMachine *vmm;
  GError *error = NULL;

  if (start->uefi_vars != NULL && !vireo_firmware_files_ensure_uefi_vars (start->uefi_vars, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  vmm_config_init (&config);
  config.kernel_path = start->kernel;
  config.initrd_path = start->initrd;
  config.cmdline = start->cmdline;
  config.realmode_image_path = start->realmode_image;
  config.bios_path = start->bios;
  config.uefi_code_path = start->uefi_code;
  config.uefi_vars_path = start->uefi_vars;
  config.memory = start->memory;
  config.cpus = start->cpus;
  memcpy (config.boot_order, start->boot_order, sizeof config.boot_order);
  config.n_boot_order = start->n_boot_order;
  config.state_notify = on_vmm_state_cb;
  config.state_data = start->run;
  for (guint i = 0; i < start->disk_paths->len && i < VMM_DISKS_MAX; i++)
    {
      DiskKind kind = g_array_index (start->disk_kinds, DiskKind, i);

      config.disks[i].path = g_ptr_array_index (start->disk_paths, i);
      config.disks[i].format = g_ptr_array_index (start->disk_formats, i);
      config.disks[i].bus = kind == DISK_KIND_VIRTIO ? VMM_DISK_BUS_VIRTIO : VMM_DISK_BUS_SATA;
      config.disks[i].cdrom = kind == DISK_KIND_CDROM;
      config.disks[i].read_only = kind == DISK_KIND_CDROM;
    }
  config.n_disks = MIN (start->disk_paths->len, VMM_DISKS_MAX);
  if (start->net_forwards != NULL)
    {
      config.net_user = TRUE;
      config.net_forwards = (const char *const *) start->net_forwards->pdata;
      /* The same MAC address at every start, so the guest's network
       * configuration sticks. */
      config.net_mac_seed = start->uuid;
      config.net_model = start->net_model;
      config.rng = TRUE;
      /* The screen goes to the console page over SPICE, through
       * vireo_machine_open_display_fd(). A directly booted Linux drives
       * virtio-gpu; what boots through the BIOS (installers, Windows)
       * gets the plain framebuffer every OS can draw on. */
      config.display = TRUE;
      config.display_device = start->bios != NULL || start->uefi_code != NULL
                              ? VMM_DISPLAY_DEVICE_BOCHS : VMM_DISPLAY_DEVICE_VIRTIO_GPU;
    }

  vmm = vmm_machine_new (&config, &error);
  if (vmm == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Published before any state change can reach the main thread. */
  start->run->vmm = vmm;

  if (!vmm_machine_start (vmm, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_start_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VireoMachine *self = VIREO_MACHINE (object);
  g_autoptr(GTask) task = user_data;
  StartData *start = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  self->start_pending = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (self->run == start->run)
        g_clear_pointer (&self->run, vireo_run_unref);
      vireo_machine_set_state (self, VIREO_MACHINE_STATE_STOPPED);
      g_task_return_error (task, error);
      return;
    }

  /* The guest may have paused, powered off or crashed already. */
  if (self->run == start->run)
    apply_vmm_state (self, vmm_machine_get_state (start->run->vmm));
  g_task_return_boolean (task, TRUE);
}

/**
 * vireo_machine_start_async:
 *
 * Boots the machine in-process. The state is "starting" until the
 * monitor runs the guest, then follows the guest. Fails at once when the
 * firmware the machine boots through is not installed. A UEFI machine's
 * variable store is made from OVMF's template at its first start.
 */
void
vireo_machine_start_async (VireoMachine        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  StartData *start;
  gboolean firmware_boot;
  gboolean uefi;

  g_return_if_fail (VIREO_IS_MACHINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_machine_start_async);

  if (vireo_machine_is_active (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("“%s” is already running"), vireo_machine_get_name (self));
      return;
    }
  firmware_boot = vireo_profile_get_kernel (self->profile) == NULL && self->realmode_image == NULL;
  uefi = firmware_boot && vireo_profile_get_firmware (self->profile) == VIREO_FIRMWARE_UEFI;
  if (uefi)
    {
      const char *code = vireo_profile_get_loader (self->profile);
      g_autofree char *system_code = NULL;

      if (code == NULL)
        code = system_code = vireo_firmware_files_find (VIREO_FIRMWARE_FILES_OVMF_CODE);
      if (!g_file_test (code, G_FILE_TEST_IS_REGULAR))
        {
          GError *error = NULL;

          vireo_firmware_files_set_missing (&error, code);
          g_task_return_error (task, error);
          return;
        }
      /* A profile from elsewhere may name no variable store: the
       * machine gets its own in the images folder (deleted with it),
       * kept in the profile at its next save. */
      if (vireo_profile_get_nvram (self->profile) == NULL)
        {
          g_autoptr(GFile) vars = NULL;
          GError *error = NULL;

          vars = vireo_profile_store_new_image_file (self->store, self->profile, "VARS.fd", &error);
          if (vars == NULL)
            {
              g_task_return_error (task, error);
              return;
            }
          vireo_profile_set_nvram (self->profile, g_file_peek_path (vars));
        }
    }

  start = g_new0 (StartData, 1);
  start->run = vireo_run_new (self, ++self->generation);
  start->realmode_image = g_strdup (self->realmode_image);
  if (uefi)
    {
      const char *code = vireo_profile_get_loader (self->profile);

      start->uefi_code = code != NULL ? g_strdup (code) : vireo_firmware_files_find (VIREO_FIRMWARE_FILES_OVMF_CODE);
      start->uefi_vars = g_strdup (vireo_profile_get_nvram (self->profile));
    }
  else if (firmware_boot)
    start->bios = vireo_firmware_files_find (VIREO_FIRMWARE_FILES_SEABIOS);
  if (start->realmode_image == NULL)
    {
      start->kernel = g_strdup (vireo_profile_get_kernel (self->profile));
      start->initrd = g_strdup (vireo_profile_get_initrd (self->profile));
      start->cmdline = g_strdup (vireo_profile_get_cmdline (self->profile));
    }
  if (start->realmode_image == NULL && vireo_profile_get_kernel (self->profile) == NULL)
    {
      guint n_boot;
      const VireoBootDevice *boot = vireo_profile_get_boot_order (self->profile, &n_boot);

      start->n_boot_order = vireo_machine_boot_order_for_vmm (boot, n_boot, start->boot_order);
    }
  start->memory = vireo_profile_get_memory_kib (self->profile) * 1024;
  start->disk_paths = g_ptr_array_new_with_free_func (g_free);
  start->disk_formats = g_ptr_array_new ();
  start->disk_kinds = g_array_new (FALSE, FALSE, sizeof (DiskKind));
  for (guint i = 0; i < vireo_profile_get_n_disks (self->profile); i++)
    {
      const VireoProfileDisk *disk = vireo_profile_get_disk (self->profile, i);
      DiskKind kind = disk->device == VIREO_DISK_DEVICE_CDROM ? DISK_KIND_CDROM
                      : disk->bus == VIREO_DISK_BUS_SATA ? DISK_KIND_SATA : DISK_KIND_VIRTIO;

      /* Real-mode test programs have no PCI drivers. */
      if ((disk->path == NULL && kind != DISK_KIND_CDROM)
          || start->disk_paths->len == VMM_DISKS_MAX || self->realmode_image != NULL)
        continue;
      g_ptr_array_add (start->disk_paths, g_strdup (disk->path));
      g_ptr_array_add (start->disk_formats, (char *) (disk->format == VIREO_DISK_FORMAT_QCOW2 ? "qcow2" : "raw"));
      g_array_append_val (start->disk_kinds, kind);
    }
  start->uuid = g_strdup (vireo_machine_get_uuid (self));
  if (self->realmode_image == NULL)
    {
      start->net_forwards = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < vireo_profile_get_n_port_forwards (self->profile); i++)
        {
          const VireoPortForward *fwd = vireo_profile_get_port_forward (self->profile, i);

          /* Forwards listen on the loopback address only: a machine is
           * not reachable from the network unless the user says so. */
          g_ptr_array_add (start->net_forwards,
                           g_strdup_printf ("%s:127.0.0.1:%u-:%u",
                                            fwd->proto == VIREO_PORT_PROTO_UDP ? "udp" : "tcp",
                                            fwd->host_port, fwd->guest_port));
        }
      g_ptr_array_add (start->net_forwards, NULL);
      start->net_model = vireo_profile_get_nic_model (self->profile) == VIREO_NIC_MODEL_E1000E
                         ? VMM_NET_MODEL_E1000E : VMM_NET_MODEL_VIRTIO;
    }
  /* Real-mode test programs run on one vCPU. */
  start->cpus = self->realmode_image != NULL ? 1 : vireo_profile_get_vcpus (self->profile);

  g_clear_pointer (&self->run, vireo_run_unref);
  self->run = vireo_run_ref (start->run);
  self->start_pending = TRUE;
  vireo_machine_set_state (self, VIREO_MACHINE_STATE_STARTING);
  /* The last run's picture would otherwise greet this one. */
  vireo_machine_set_thumbnail (self, NULL);

  /* Not cancellable once begun: a half-made monitor is cleaned up by
   * the run's last reference either way. */
  worker = g_task_new (self, NULL, on_start_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (worker, start, start_data_free);
  g_task_run_in_thread (worker, start_thread);
}

gboolean
vireo_machine_start_finish (VireoMachine  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  VireoRun              *run;
  VireoMachineOperation  operation;
} OperationData;

static void
operation_data_free (gpointer data)
{
  OperationData *op = data;

  vireo_run_unref (op->run);
  g_free (op);
}

static void
operation_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  OperationData *op = task_data;
  VireoRun *run = op->run;
  VireoMachineOperation operation = op->operation;
  gboolean ok = TRUE;
  GError *error = NULL;

  switch (operation)
    {
    case VIREO_MACHINE_OPERATION_PAUSE:
      ok = vmm_machine_pause (run->vmm, &error);
      break;

    case VIREO_MACHINE_OPERATION_RESUME:
      ok = vmm_machine_resume (run->vmm, &error);
      break;

    case VIREO_MACHINE_OPERATION_SHUT_DOWN:
      /* A paused guest cannot see its power button. */
      if (vmm_machine_get_state (run->vmm) == VMM_STATE_PAUSED)
        ok = vmm_machine_resume (run->vmm, &error);
      if (ok)
        ok = vmm_machine_power_button (run->vmm, &error);
      break;

    case VIREO_MACHINE_OPERATION_FORCE_OFF:
      vmm_machine_kill (run->vmm);
      break;

    case VIREO_MACHINE_OPERATION_START:
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_operation_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  VireoMachine *self = VIREO_MACHINE (object);
  g_autoptr(GTask) task = user_data;
  OperationData *op = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Unless the guest powered off meanwhile, it is now on its way down. */
  if (op->operation == VIREO_MACHINE_OPERATION_SHUT_DOWN && self->run == op->run &&
      vireo_machine_is_active (self))
    vireo_machine_set_state (self, VIREO_MACHINE_STATE_STOPPING);
  g_task_return_boolean (task, TRUE);
}

/**
 * vireo_machine_operate_async:
 * @operation: pause, resume, shut down (the ACPI power button; a paused
 *   machine is resumed first) or force off (the vCPUs stop at once)
 *
 * Asks the running monitor to do @operation, in a worker thread. The
 * state follows when the monitor reports it.
 */
void
vireo_machine_operate_async (VireoMachine          *self,
                             VireoMachineOperation  operation,
                             GCancellable          *cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  OperationData *op;

  g_return_if_fail (VIREO_IS_MACHINE (self));
  g_return_if_fail (operation != VIREO_MACHINE_OPERATION_START);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_machine_operate_async);

  if (!vireo_machine_can (self, operation) || self->run == NULL || self->run->vmm == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("“%s” is not running"), vireo_machine_get_name (self));
      return;
    }

  if (operation == VIREO_MACHINE_OPERATION_FORCE_OFF)
    vireo_machine_set_state (self, VIREO_MACHINE_STATE_STOPPING);

  op = g_new0 (OperationData, 1);
  op->run = vireo_run_ref (self->run);
  op->operation = operation;
  worker = g_task_new (self, NULL, on_operation_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (worker, op, operation_data_free);
  g_task_run_in_thread (worker, operation_thread);
}

gboolean
vireo_machine_operate_finish (VireoMachine  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * vireo_machine_set_realmode_image:
 * @path: (nullable): a raw 16-bit program the monitor runs instead of
 *   the profile's kernel
 *
 * For tests of the running machinery on hosts where a Linux guest
 * cannot boot; see VmmConfig.realmode_image_path.
 */
void
vireo_machine_set_realmode_image (VireoMachine *self,
                                  const char   *path)
{
  g_return_if_fail (VIREO_IS_MACHINE (self));

  g_free (self->realmode_image);
  self->realmode_image = g_strdup (path);
}

/**
 * vireo_machine_open_display_fd:
 *
 * Connects a viewer in this process to the running machine's screen: one
 * call per SPICE channel (spice_session_open_fd() for the main channel,
 * spice_channel_open_fd() for the others).
 *
 * Returns: a connected socket the caller owns, or -1 with @error set
 *   when the machine is not running or has no screen
 */
int
vireo_machine_open_display_fd (VireoMachine  *self,
                               GError       **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), -1);

  if (self->run == NULL || self->run->vmm == NULL || self->start_pending)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   _("“%s” is not running"), vireo_machine_get_name (self));
      return -1;
    }

  return vmm_machine_open_display_fd (self->run->vmm, error);
}

/* Thumbnails -------------------------------------------------------------- */

typedef struct
{
  VireoRun *run;
  guint     max_width;
  guint     max_height;
  /* The result: B G R A bytes, opaque, rows packed. */
  GBytes   *pixels;
  guint     width;
  guint     height;
} ThumbnailData;

static void
thumbnail_data_free (gpointer data)
{
  ThumbnailData *td = data;

  vireo_run_unref (td->run);
  g_clear_pointer (&td->pixels, g_bytes_unref);
  g_free (td);
}

/* Copying a whole screen (up to 256 MiB for the largest mode) and
 * averaging it down is work for a worker thread, never the UI's. */
static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ThumbnailData *td = task_data;
  g_autofree uint32_t *screen = NULL;
  uint32_t width, height;
  guint8 *small;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!vmm_machine_read_screen (td->run->vmm, &width, &height, &screen))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The machine’s screen is off"));
      return;
    }
  small = vireo_thumbnail_scale ((const guint8 *) screen, width, height,
                                 td->max_width, td->max_height, &td->width, &td->height);
  td->pixels = g_bytes_new_take (small, (gsize) td->width * td->height * 4);
  g_task_return_boolean (task, TRUE);
}

static void
on_thumbnail_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  VireoMachine *self = VIREO_MACHINE (object);
  g_autoptr(GTask) task = user_data;
  ThumbnailData *td = g_task_get_task_data (G_TASK (result));
  g_autoptr(GdkTexture) texture = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* A picture of a run that ended meanwhile is not this machine's screen
   * any more. */
  if (self->run != td->run || !vireo_machine_is_active (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("“%s” is not running"), vireo_machine_get_name (self));
      return;
    }
  /* vmm-core's XRGB8888 with x = 0xff is opaque B8G8R8A8 in memory, on
   * either byte order. */
  texture = gdk_memory_texture_new ((int) td->width, (int) td->height,
                                    GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, td->pixels,
                                    (gsize) td->width * 4);
  vireo_machine_set_thumbnail (self, GDK_PAINTABLE (texture));
  g_task_return_boolean (task, TRUE);
}

/**
 * vireo_machine_update_thumbnail_async:
 * @max_width: the largest thumbnail wanted, in pixels
 * @max_height: likewise
 *
 * Takes a picture of the running machine's screen, shrunk to fit
 * @max_width × @max_height, and makes it the machine's thumbnail. The
 * copy and the shrinking happen on a worker thread; the property changes
 * on the caller's main context. Fails, leaving the thumbnail as it was,
 * when the machine is not running or its screen is off.
 */
void
vireo_machine_update_thumbnail_async (VireoMachine        *self,
                                      guint                max_width,
                                      guint                max_height,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  ThumbnailData *td;

  g_return_if_fail (VIREO_IS_MACHINE (self));
  g_return_if_fail (max_width > 0 && max_height > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_machine_update_thumbnail_async);

  if (self->run == NULL || self->run->vmm == NULL || self->start_pending)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("“%s” is not running"), vireo_machine_get_name (self));
      return;
    }

  td = g_new0 (ThumbnailData, 1);
  td->run = vireo_run_ref (self->run);
  td->max_width = max_width;
  td->max_height = max_height;
  worker = g_task_new (self, cancellable, on_thumbnail_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (worker, td, thumbnail_data_free);
  g_task_run_in_thread (worker, thumbnail_thread);
}

gboolean
vireo_machine_update_thumbnail_finish (VireoMachine  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (VIREO_IS_MACHINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
