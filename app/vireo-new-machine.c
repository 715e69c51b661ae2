/* vireo-new-machine.c
 *
 * What the New Machine wizard decides, without the widgets: where the
 * machine boots from, which OS it runs (found on the installation media by
 * libosinfo, or picked by the user), how much memory, processors and disk
 * it gets (libosinfo's recommendations, bounded by this computer), its
 * firmware and its name. What libosinfo is asked is in vireo-os-util.c. Each wizard page checks its part with one of the
 * validate functions, whose errors are sentences for the user.
 *
 * Creating first converts a disk image the monitor cannot open (VMDK,
 * VDI, VHDX) to qcow2 in the images folder (VireoImageConverter), then
 * writes the new disk in a worker thread (it touches the disk), saves the
 * profile through the store and adds the machine to the library; a disk
 * made or converted for a machine that could not be saved is removed
 * again, so a failed or cancelled Create leaves nothing behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vireo-new-machine.h"
#include "vireo-os-util.h"

/* When libosinfo has no recommendation (a generic Linux, a kernel). */
#define DEFAULT_MEMORY     (2 * VIREO_GIB)
#define DEFAULT_VCPUS      2
#define DEFAULT_DISK_SIZE  (20 * VIREO_GIB)
/* Below this no installer of the last decades starts. */
#define MIN_MEMORY         (128 * VIREO_MIB)
#define MIN_DISK_SIZE      (VIREO_GIB)
/* qcow2 with 64 KiB clusters addresses this much; more is a typo. */
#define MAX_DISK_SIZE      (G_GUINT64_CONSTANT (64) * 1024 * VIREO_GIB)
#define GENERIC_LINUX_ID   "http://libosinfo.org/linux/2022"

struct _VireoNewMachine
{
  GObject          parent_instance;

  VireoLibrary    *library;
  OsinfoDb        *os_db;

  VireoSourceKind  source_kind;
  char            *iso;
  char            *disk_image;
  char            *kernel;
  char            *initrd;
  char            *cmdline;

  OsinfoOs        *detected_os;
  OsinfoOs        *os;
  VireoImageConverter *converter;

  guint64          memory;
  guint            vcpus;
  gboolean         create_disk;
  guint64          disk_size;
  VireoFirmware    firmware;
  char            *name;

  guint64          host_memory;
  guint            host_cpus;
};

G_DEFINE_FINAL_TYPE (VireoNewMachine, vireo_new_machine, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (VireoSourceKind, vireo_source_kind,
  G_DEFINE_ENUM_VALUE (VIREO_SOURCE_ISO, "iso"),
  G_DEFINE_ENUM_VALUE (VIREO_SOURCE_DISK_IMAGE, "disk-image"),
  G_DEFINE_ENUM_VALUE (VIREO_SOURCE_KERNEL, "kernel"))

enum {
  PROP_0,
  PROP_LIBRARY,
  PROP_SOURCE_KIND,
  PROP_ISO,
  PROP_DISK_IMAGE,
  PROP_KERNEL,
  PROP_INITRD,
  PROP_CMDLINE,
  PROP_DETECTED_OS,
  PROP_OS,
  PROP_MEMORY,
  PROP_VCPUS,
  PROP_CREATE_DISK,
  PROP_DISK_SIZE,
  PROP_FIRMWARE,
  PROP_NAME,
  PROP_CONVERTER,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
vireo_new_machine_dispose (GObject *object)
{
  VireoNewMachine *self = (VireoNewMachine *)object;

  g_clear_object (&self->detected_os);
  g_clear_object (&self->os);
  g_clear_object (&self->converter);
  g_clear_object (&self->os_db);
  g_clear_object (&self->library);

  G_OBJECT_CLASS (vireo_new_machine_parent_class)->dispose (object);
}

static void
vireo_new_machine_finalize (GObject *object)
{
  VireoNewMachine *self = (VireoNewMachine *)object;

  g_clear_pointer (&self->iso, g_free);
  g_clear_pointer (&self->disk_image, g_free);
  g_clear_pointer (&self->kernel, g_free);
  g_clear_pointer (&self->initrd, g_free);
  g_clear_pointer (&self->cmdline, g_free);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (vireo_new_machine_parent_class)->finalize (object);
}

static void
vireo_new_machine_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VireoNewMachine *self = VIREO_NEW_MACHINE (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      g_value_set_object (value, self->library);
      break;

    case PROP_SOURCE_KIND:
      g_value_set_enum (value, self->source_kind);
      break;

    case PROP_ISO:
      g_value_set_string (value, self->iso);
      break;

    case PROP_DISK_IMAGE:
      g_value_set_string (value, self->disk_image);
      break;

    case PROP_KERNEL:
      g_value_set_string (value, self->kernel);
      break;

    case PROP_INITRD:
      g_value_set_string (value, self->initrd);
      break;

    case PROP_CMDLINE:
      g_value_set_string (value, self->cmdline);
      break;

    case PROP_DETECTED_OS:
      g_value_set_object (value, self->detected_os);
      break;

    case PROP_OS:
      g_value_set_object (value, self->os);
      break;

    case PROP_MEMORY:
      g_value_set_uint64 (value, self->memory);
      break;

    case PROP_VCPUS:
      g_value_set_uint (value, self->vcpus);
      break;

    case PROP_CREATE_DISK:
      g_value_set_boolean (value, self->create_disk);
      break;

    case PROP_DISK_SIZE:
      g_value_set_uint64 (value, self->disk_size);
      break;

    case PROP_FIRMWARE:
      g_value_set_uint (value, self->firmware);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_CONVERTER:
      g_value_set_object (value, self->converter);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_new_machine_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  VireoNewMachine *self = VIREO_NEW_MACHINE (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      self->library = g_value_dup_object (value);
      break;

    case PROP_SOURCE_KIND:
      vireo_new_machine_set_source_kind (self, g_value_get_enum (value));
      break;

    case PROP_ISO:
      vireo_new_machine_set_iso (self, g_value_get_string (value));
      break;

    case PROP_DISK_IMAGE:
      vireo_new_machine_set_disk_image (self, g_value_get_string (value));
      break;

    case PROP_KERNEL:
      vireo_new_machine_set_kernel (self, g_value_get_string (value));
      break;

    case PROP_INITRD:
      vireo_new_machine_set_initrd (self, g_value_get_string (value));
      break;

    case PROP_CMDLINE:
      vireo_new_machine_set_cmdline (self, g_value_get_string (value));
      break;

    case PROP_OS:
      vireo_new_machine_set_os (self, g_value_get_object (value));
      break;

    case PROP_MEMORY:
      vireo_new_machine_set_memory (self, g_value_get_uint64 (value));
      break;

    case PROP_VCPUS:
      vireo_new_machine_set_vcpus (self, g_value_get_uint (value));
      break;

    case PROP_CREATE_DISK:
      vireo_new_machine_set_create_disk (self, g_value_get_boolean (value));
      break;

    case PROP_DISK_SIZE:
      vireo_new_machine_set_disk_size (self, g_value_get_uint64 (value));
      break;

    case PROP_FIRMWARE:
      vireo_new_machine_set_firmware (self, g_value_get_uint (value));
      break;

    case PROP_NAME:
      vireo_new_machine_set_name (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_new_machine_constructed (GObject *object)
{
  VireoNewMachine *self = (VireoNewMachine *)object;

  G_OBJECT_CLASS (vireo_new_machine_parent_class)->constructed (object);

  g_assert (VIREO_IS_LIBRARY (self->library));

  if (self->os_db == NULL && vireo_library_get_os_db (self->library) != NULL)
    self->os_db = g_object_ref (vireo_library_get_os_db (self->library));
}

static void
vireo_new_machine_class_init (VireoNewMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = vireo_new_machine_constructed;
  object_class->dispose = vireo_new_machine_dispose;
  object_class->finalize = vireo_new_machine_finalize;
  object_class->get_property = vireo_new_machine_get_property;
  object_class->set_property = vireo_new_machine_set_property;

  properties [PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, VIREO_TYPE_LIBRARY,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties [PROP_SOURCE_KIND] =
    g_param_spec_enum ("source-kind", NULL, NULL, VIREO_TYPE_SOURCE_KIND, VIREO_SOURCE_ISO, rw);
  properties [PROP_ISO] = g_param_spec_string ("iso", NULL, NULL, NULL, rw);
  properties [PROP_DISK_IMAGE] = g_param_spec_string ("disk-image", NULL, NULL, NULL, rw);
  properties [PROP_KERNEL] = g_param_spec_string ("kernel", NULL, NULL, NULL, rw);
  properties [PROP_INITRD] = g_param_spec_string ("initrd", NULL, NULL, NULL, rw);
  properties [PROP_CMDLINE] = g_param_spec_string ("cmdline", NULL, NULL, NULL, rw);
  properties [PROP_DETECTED_OS] =
    g_param_spec_object ("detected-os", NULL, NULL, OSINFO_TYPE_OS,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties [PROP_OS] = g_param_spec_object ("os", NULL, NULL, OSINFO_TYPE_OS, rw);
  properties [PROP_MEMORY] =
    g_param_spec_uint64 ("memory", NULL, NULL, 0, G_MAXUINT64, DEFAULT_MEMORY, rw);
  properties [PROP_VCPUS] = g_param_spec_uint ("vcpus", NULL, NULL, 1, G_MAXUINT, DEFAULT_VCPUS, rw);
  properties [PROP_CREATE_DISK] = g_param_spec_boolean ("create-disk", NULL, NULL, TRUE, rw);
  properties [PROP_DISK_SIZE] =
    g_param_spec_uint64 ("disk-size", NULL, NULL, 0, G_MAXUINT64, DEFAULT_DISK_SIZE, rw);
  properties [PROP_FIRMWARE] =
    g_param_spec_uint ("firmware", NULL, NULL, VIREO_FIRMWARE_BIOS, VIREO_FIRMWARE_UEFI,
                       VIREO_FIRMWARE_BIOS, rw);
  properties [PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);
  /* While Create converts the disk image: its progress, for the wizard. */
  properties [PROP_CONVERTER] =
    g_param_spec_object ("converter", NULL, NULL, VIREO_TYPE_IMAGE_CONVERTER,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_new_machine_init (VireoNewMachine *self)
{
  self->source_kind = VIREO_SOURCE_ISO;
  self->memory = DEFAULT_MEMORY;
  self->vcpus = DEFAULT_VCPUS;
  self->create_disk = TRUE;
  self->disk_size = DEFAULT_DISK_SIZE;
  self->firmware = VIREO_FIRMWARE_BIOS;
  self->host_memory = vireo_host_memory ();
  self->host_cpus = MAX (1, g_get_num_processors ());
  self->vcpus = MIN (self->vcpus, self->host_cpus);
}

/**
 * vireo_new_machine_new:
 * @library: where the new machine goes; its OS database is used once
 *   loaded (see vireo_new_machine_set_os_db())
 */
VireoNewMachine *
vireo_new_machine_new (VireoLibrary *library)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY (library), NULL);

  return g_object_new (VIREO_TYPE_NEW_MACHINE, "library", library, NULL);
}

VireoLibrary *
vireo_new_machine_get_library (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->library;
}

/**
 * vireo_new_machine_get_os_db:
 *
 * Returns: (transfer none) (nullable): the OS database, if loaded
 */
OsinfoDb *
vireo_new_machine_get_os_db (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->os_db;
}

void
vireo_new_machine_set_os_db (VireoNewMachine *self,
                             OsinfoDb        *db)
{
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));
  g_return_if_fail (db == NULL || OSINFO_IS_DB (db));

  g_set_object (&self->os_db, db);
}

/* Replaces a path or text field; empty counts as unset. */
static gboolean
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

VireoSourceKind
vireo_new_machine_get_source_kind (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), VIREO_SOURCE_ISO);

  return self->source_kind;
}

/**
 * vireo_new_machine_set_source_kind:
 *
 * A kernel boots directly, so it needs no firmware choice; an existing
 * disk image is the machine's disk, so no new one is made.
 */
void
vireo_new_machine_set_source_kind (VireoNewMachine *self,
                                   VireoSourceKind  kind)
{
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));
  g_return_if_fail (kind <= VIREO_SOURCE_KERNEL);

  if (self->source_kind == kind)
    return;

  self->source_kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SOURCE_KIND]);
  vireo_new_machine_set_create_disk (self, kind != VIREO_SOURCE_DISK_IMAGE);
  if (kind == VIREO_SOURCE_KERNEL)
    vireo_new_machine_set_firmware (self, VIREO_FIRMWARE_BIOS);
}

#define STRING_ACCESSORS(field, PROP)                                         \
const char *                                                                  \
vireo_new_machine_get_##field (VireoNewMachine *self)                         \
{                                                                             \
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);                   \
  return self->field;                                                         \
}                                                                             \
                                                                              \
void                                                                          \
vireo_new_machine_set_##field (VireoNewMachine *self,                         \
                               const char      *value)                        \
{                                                                             \
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));                             \
  if (set_string (&self->field, value))                                       \
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP]);            \
}

STRING_ACCESSORS (iso, PROP_ISO)
STRING_ACCESSORS (disk_image, PROP_DISK_IMAGE)
STRING_ACCESSORS (kernel, PROP_KERNEL)
STRING_ACCESSORS (initrd, PROP_INITRD)
STRING_ACCESSORS (cmdline, PROP_CMDLINE)

#undef STRING_ACCESSORS

/* Detecting the OS ------------------------------------------------------- */

static void
set_detected_os (VireoNewMachine *self,
                 OsinfoOs        *os)
{
  g_set_object (&self->detected_os, os);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DETECTED_OS]);
  if (os != NULL)
    vireo_new_machine_set_os (self, os);
}

/**
 * vireo_new_machine_detect_os:
 * @iso: an installation disc image
 *
 * Finds which OS @iso installs. Blocks on file I/O; the wizard uses the
 * async variant. The result is kept as #VireoNewMachine:detected-os and,
 * when known, becomes the chosen OS.
 *
 * Returns: (transfer none) (nullable): the OS, or %NULL (without @error)
 *   when the disc is an installer that libosinfo does not know
 */
OsinfoOs *
vireo_new_machine_detect_os (VireoNewMachine  *self,
                             const char       *iso,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_autoptr(OsinfoOs) os = NULL;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);
  g_return_val_if_fail (iso != NULL, NULL);

  if (!vireo_os_identify_iso (self->os_db, iso, cancellable, &os, error))
    return NULL;

  set_detected_os (self, os);
  return self->detected_os;
}

typedef struct {
  char     *iso;
  OsinfoDb *db;
} DetectData;

static void
detect_data_free (gpointer data)
{
  DetectData *detect = data;

  g_free (detect->iso);
  g_clear_object (&detect->db);
  g_free (detect);
}

static void
detect_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DetectData *detect = task_data;
  GError *error = NULL;
  OsinfoOs *os = NULL;

  if (vireo_os_identify_iso (detect->db, detect->iso, cancellable, &os, &error))
    g_task_return_pointer (task, os, g_object_unref);
  else
    g_task_return_error (task, error);
}

/**
 * vireo_new_machine_detect_os_async:
 *
 * vireo_new_machine_detect_os() in a worker thread.
 */
void
vireo_new_machine_detect_os_async (VireoNewMachine     *self,
                                   const char          *iso,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DetectData *detect;

  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));
  g_return_if_fail (iso != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_new_machine_detect_os_async);
  detect = g_new0 (DetectData, 1);
  detect->iso = g_strdup (iso);
  detect->db = self->os_db != NULL ? g_object_ref (self->os_db) : NULL;
  g_task_set_task_data (task, detect, detect_data_free);
  g_task_run_in_thread (task, detect_thread);
}

/**
 * vireo_new_machine_detect_os_finish:
 *
 * Returns: (transfer none) (nullable): as vireo_new_machine_detect_os()
 */
OsinfoOs *
vireo_new_machine_detect_os_finish (VireoNewMachine  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OsinfoOs) os = NULL;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  os = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  set_detected_os (self, os);
  return self->detected_os;
}

/**
 * vireo_new_machine_get_detected_os:
 *
 * Returns: (transfer none) (nullable): what the last detection found
 */
OsinfoOs *
vireo_new_machine_get_detected_os (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->detected_os;
}

/**
 * vireo_new_machine_get_os:
 *
 * Returns: (transfer none) (nullable): the OS the machine will run
 */
OsinfoOs *
vireo_new_machine_get_os (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->os;
}

/* libosinfo's count is a gint, the other figures gint64. */
static gint64
get_n_cpus (OsinfoResources *res)
{
  return osinfo_resources_get_n_cpus (res);
}

static guint64
round_up (guint64 value,
          guint64 step)
{
  return (value + step - 1) / step * step;
}

/**
 * vireo_new_machine_get_recommended_memory:
 *
 * Returns: libosinfo's recommendation for the chosen OS, or a default,
 *   never more than half of this computer's memory
 */
guint64
vireo_new_machine_get_recommended_memory (VireoNewMachine *self)
{
  gint64 ram;
  guint64 memory;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 0);

  ram = self->os != NULL ? vireo_os_get_resource (self->os, osinfo_resources_get_ram) : -1;
  memory = ram > 0 ? round_up ((guint64) ram, 256 * VIREO_MIB) : DEFAULT_MEMORY;
  /* The host keeps room for itself and the app. */
  if (self->host_memory > 0)
    memory = MIN (memory, MAX (MIN_MEMORY, self->host_memory / 2 / (256 * VIREO_MIB) * (256 * VIREO_MIB)));
  return memory;
}

guint
vireo_new_machine_get_recommended_vcpus (VireoNewMachine *self)
{
  gint64 n;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 1);

  n = self->os != NULL ? vireo_os_get_resource (self->os, get_n_cpus) : -1;
  /* libosinfo's numbers are minimums for installers; two processors make
   * any modern guest noticeably faster where the host has them. */
  n = MAX (n, DEFAULT_VCPUS);
  return (guint) MIN ((guint64) n, (guint64) self->host_cpus);
}

guint64
vireo_new_machine_get_recommended_disk_size (VireoNewMachine *self)
{
  gint64 storage;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 0);

  storage = self->os != NULL ? vireo_os_get_resource (self->os, osinfo_resources_get_storage) : -1;
  return storage > 0 ? round_up ((guint64) storage, VIREO_GIB) : DEFAULT_DISK_SIZE;
}

/**
 * vireo_new_machine_get_uefi_supported:
 *
 * Returns: whether the chosen OS boots with UEFI on x86-64 according to
 *   libosinfo (inherited from the OS it derives from, as listed)
 */
gboolean
vireo_new_machine_get_uefi_supported (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), FALSE);

  return self->os != NULL && vireo_os_supports_uefi (self->os);
}

/**
 * vireo_new_machine_set_os:
 * @os: (nullable): the OS the machine will run
 *
 * Also resets memory, processors, disk size and firmware to what suits
 * @os, as the wizard's resources page starts from them.
 */
void
vireo_new_machine_set_os (VireoNewMachine *self,
                          OsinfoOs        *os)
{
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));
  g_return_if_fail (os == NULL || OSINFO_IS_OS (os));

  if (!g_set_object (&self->os, os))
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OS]);
  vireo_new_machine_set_memory (self, vireo_new_machine_get_recommended_memory (self));
  vireo_new_machine_set_vcpus (self, vireo_new_machine_get_recommended_vcpus (self));
  vireo_new_machine_set_disk_size (self, vireo_new_machine_get_recommended_disk_size (self));
  if (self->source_kind != VIREO_SOURCE_KERNEL)
    vireo_new_machine_set_firmware (self, vireo_new_machine_get_uefi_supported (self)
                                          ? VIREO_FIRMWARE_UEFI : VIREO_FIRMWARE_BIOS);
}

/**
 * vireo_new_machine_list_oses:
 *
 * Returns: (transfer full): a list model of #OsinfoOs, every OS of the
 *   database that has a name, sorted by name with numbers in order
 *   ("Debian 9" before "Debian 10"); empty without a database
 */
GListModel *
vireo_new_machine_list_oses (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return vireo_os_list_named (self->os_db);
}

/* Resources --------------------------------------------------------------- */

#define NUMBER_ACCESSORS(type, field, PROP)                                   \
type                                                                          \
vireo_new_machine_get_##field (VireoNewMachine *self)                         \
{                                                                             \
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 0);                      \
  return self->field;                                                         \
}                                                                             \
                                                                              \
void                                                                          \
vireo_new_machine_set_##field (VireoNewMachine *self,                         \
                               type             value)                        \
{                                                                             \
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));                             \
  if (self->field == value)                                                   \
    return;                                                                   \
  self->field = value;                                                        \
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP]);              \
}

NUMBER_ACCESSORS (guint64, memory, PROP_MEMORY)
NUMBER_ACCESSORS (guint, vcpus, PROP_VCPUS)
NUMBER_ACCESSORS (gboolean, create_disk, PROP_CREATE_DISK)
NUMBER_ACCESSORS (guint64, disk_size, PROP_DISK_SIZE)
NUMBER_ACCESSORS (VireoFirmware, firmware, PROP_FIRMWARE)

#undef NUMBER_ACCESSORS

guint64
vireo_new_machine_get_host_memory (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 0);

  return self->host_memory;
}

/**
 * vireo_new_machine_set_host_memory:
 *
 * Overrides the memory size read from the system, for tests.
 */
void
vireo_new_machine_set_host_memory (VireoNewMachine *self,
                                   guint64          bytes)
{
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));

  self->host_memory = bytes;
}

guint
vireo_new_machine_get_host_cpus (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), 1);

  return self->host_cpus;
}

/* Name -------------------------------------------------------------------- */

const char *
vireo_new_machine_get_name (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->name;
}

void
vireo_new_machine_set_name (VireoNewMachine *self,
                            const char      *name)
{
  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));

  if (set_string (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_NAME]);
}

/* "debian-12.iso" → "debian-12"; NULL if nothing usable is left. */
static char *
file_stem (const char *path)
{
  g_autofree char *base = NULL;
  char *dot;

  if (path == NULL)
    return NULL;

  base = g_path_get_basename (path);
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  if (base[0] == '\0' || g_str_equal (base, ".") || g_str_equal (base, G_DIR_SEPARATOR_S) ||
      !g_utf8_validate (base, -1, NULL))
    return NULL;
  return g_steal_pointer (&base);
}

/**
 * vireo_new_machine_propose_name:
 *
 * Returns: (transfer full): a name no machine has yet: the OS's name,
 *   else the disk image's file name, else a generic one, with " (2)"
 *   etc. added when taken
 */
char *
vireo_new_machine_propose_name (VireoNewMachine *self)
{
  g_autofree char *stem = NULL;
  const char *base = NULL;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  if (self->os != NULL)
    base = osinfo_product_get_name (OSINFO_PRODUCT (self->os));
  if (base == NULL && self->source_kind == VIREO_SOURCE_DISK_IMAGE)
    base = stem = file_stem (self->disk_image);
  if (base == NULL && self->source_kind == VIREO_SOURCE_KERNEL)
    base = _("Linux");
  if (base == NULL)
    base = _("New Machine");

  return vireo_profile_store_propose_name (vireo_library_get_store (self->library), base);
}

/* Validation -------------------------------------------------------------- */

/**
 * vireo_new_machine_validate_source:
 *
 * The first page: the chosen source's files exist and can be read.
 */
gboolean
vireo_new_machine_validate_source (VireoNewMachine  *self,
                                   GError          **error)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), FALSE);

  switch (self->source_kind)
    {
    case VIREO_SOURCE_ISO:
      if (self->iso == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose an installation disc image (ISO)"));
          return FALSE;
        }
      return vireo_check_readable_file (self->iso, error);

    case VIREO_SOURCE_DISK_IMAGE:
      {
        VireoImageFormat format;

        if (self->disk_image == NULL)
          {
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                 _("Choose a disk image"));
            return FALSE;
          }
        /* By its contents: the extension may say anything. */
        if (!vireo_image_format_detect_file (self->disk_image, &format, error))
          return FALSE;
        if (vireo_image_format_needs_conversion (format))
          return vireo_image_converter_check_available (format, error) &&
                 vireo_image_format_check_references (self->disk_image, format, error);
        return vireo_disk_image_probe (self->disk_image, NULL, NULL, error);
      }

    case VIREO_SOURCE_KERNEL:
      if (self->kernel == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose a Linux kernel"));
          return FALSE;
        }
      if (!vireo_check_readable_file (self->kernel, error))
        return FALSE;
      if (self->initrd != NULL && !vireo_check_readable_file (self->initrd, error))
        return FALSE;
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

/**
 * vireo_new_machine_validate_resources:
 *
 * The resources page: within what this computer has, and room for the
 * new disk.
 */
gboolean
vireo_new_machine_validate_resources (VireoNewMachine  *self,
                                      GError          **error)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), FALSE);

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

  if (self->create_disk)
    {
      GFile *images;

      if (self->disk_size < MIN_DISK_SIZE || self->disk_size > MAX_DISK_SIZE)
        {
          g_autofree char *min = g_format_size (MIN_DISK_SIZE);
          g_autofree char *max = g_format_size (MAX_DISK_SIZE);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("The disk size must be between %s and %s"), min, max);
          return FALSE;
        }

      images = vireo_profile_store_get_images_dir (vireo_library_get_store (self->library));
      if (!vireo_check_free_space (images, self->disk_size, error))
        return FALSE;
    }

  if (self->firmware == VIREO_FIRMWARE_UEFI && self->source_kind == VIREO_SOURCE_KERNEL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A Linux kernel starts without firmware: choose BIOS"));
      return FALSE;
    }

  return TRUE;
}

/**
 * vireo_new_machine_validate_name:
 *
 * The last page: a name that no other machine has.
 */
gboolean
vireo_new_machine_validate_name (VireoNewMachine  *self,
                                 GError          **error)
{
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), FALSE);

  stripped = g_strstrip (g_strdup (self->name != NULL ? self->name : ""));
  if (stripped[0] == '\0' || !g_utf8_validate (stripped, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name cannot be empty"));
      return FALSE;
    }
  if (vireo_profile_store_is_name_taken (vireo_library_get_store (self->library), stripped, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("There is already a machine named “%s”"), stripped);
      return FALSE;
    }

  return TRUE;
}

/* Creating ---------------------------------------------------------------- */

/* @disk_image: the image a disk-image machine boots from: the user's,
 * or its converted copy */
static VireoProfile *
build_profile (VireoNewMachine  *self,
               const char       *disk_image,
               GError          **error)
{
  static const VireoBootDevice iso_boot[] = { VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD };
  static const VireoBootDevice disk_boot[] = { VIREO_BOOT_DEVICE_HD };
  g_autoptr(VireoProfile) profile = NULL;
  g_autofree char *name = NULL;
  gboolean virtio_disk;

  name = g_strstrip (g_strdup (self->name != NULL ? self->name : ""));
  profile = vireo_profile_new (name);
  if (self->os != NULL)
    vireo_profile_set_os_id (profile, osinfo_entity_get_id (OSINFO_ENTITY (self->os)));
  else if (self->source_kind == VIREO_SOURCE_KERNEL)
    vireo_profile_set_os_id (profile, GENERIC_LINUX_ID);
  vireo_profile_set_memory_kib (profile, self->memory / 1024);
  vireo_profile_set_vcpus (profile, self->vcpus);
  vireo_profile_set_firmware (profile, self->firmware);
  /* A kernel given directly is Linux, which has virtio-net; an installer
   * or image of an OS libosinfo does not know to have it (Windows, or an
   * OS not recognised) gets the card every OS drives inbox. */
  if (self->source_kind != VIREO_SOURCE_KERNEL
      && (self->os == NULL || !vireo_os_has_virtio (self->os, "net")))
    vireo_profile_set_nic_model (profile, VIREO_NIC_MODEL_E1000E);
  /* The same for the disks: an installer without a virtio-blk driver
   * (Windows) would find no disk to install to. */
  virtio_disk = self->source_kind == VIREO_SOURCE_KERNEL
                || (self->os != NULL && vireo_os_has_virtio (self->os, "block"));

  switch (self->source_kind)
    {
    case VIREO_SOURCE_ISO:
      vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_CDROM, self->iso,
                              VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
      vireo_profile_set_boot_order (profile, iso_boot, G_N_ELEMENTS (iso_boot));
      break;

    case VIREO_SOURCE_DISK_IMAGE:
      {
        VireoDiskFormat format = VIREO_DISK_FORMAT_RAW;

        /* Validated before; probed again in case the file changed. */
        if (!vireo_disk_image_probe (disk_image, &format, NULL, error))
          return NULL;
        vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, disk_image,
                                format, virtio_disk ? VIREO_DISK_BUS_VIRTIO : VIREO_DISK_BUS_SATA);
        vireo_profile_set_boot_order (profile, disk_boot, G_N_ELEMENTS (disk_boot));
      }
      break;

    case VIREO_SOURCE_KERNEL:
      vireo_profile_set_kernel (profile, self->kernel);
      vireo_profile_set_initrd (profile, self->initrd);
      vireo_profile_set_cmdline (profile, self->cmdline);
      break;

    default:
      g_assert_not_reached ();
    }

  /* The machine's own UEFI variables, made from OVMF's template at its
   * first start; named now so that the profile says where they are. */
  if (self->firmware == VIREO_FIRMWARE_UEFI)
    {
      g_autoptr(GFile) vars = vireo_profile_store_new_image_file (vireo_library_get_store (self->library),
                                                                  profile, "VARS.fd", error);

      if (vars == NULL)
        return NULL;
      vireo_profile_set_nvram (profile, g_file_peek_path (vars));
    }

  if (self->create_disk)
    {
      g_autoptr(GFile) file = vireo_profile_store_new_image_file (vireo_library_get_store (self->library),
                                                                  profile, "disk0.qcow2", error);

      if (file == NULL)
        return NULL;
      vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, g_file_peek_path (file),
                              VIREO_DISK_FORMAT_QCOW2,
                              virtio_disk ? VIREO_DISK_BUS_VIRTIO : VIREO_DISK_BUS_SATA);
    }

  return g_steal_pointer (&profile);
}

/**
 * vireo_new_machine_build_profile:
 *
 * Returns: (transfer full): the profile Create saves, with a new UUID;
 *   the new disk's path is set but the disk is not made yet
 */
VireoProfile *
vireo_new_machine_build_profile (VireoNewMachine  *self,
                                 GError          **error)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return build_profile (self, self->disk_image, error);
}

/**
 * vireo_new_machine_get_converter:
 *
 * Returns: (transfer none) (nullable): what converts the disk image
 *   while Create runs, for its progress
 */
VireoImageConverter *
vireo_new_machine_get_converter (VireoNewMachine *self)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);

  return self->converter;
}

typedef struct {
  VireoProfile *profile;
  char         *disk_path;
  guint64       disk_size;
  char         *converted_path;
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *create = data;

  g_clear_object (&create->profile);
  g_free (create->disk_path);
  g_free (create->converted_path);
  g_free (create);
}

/* Ends a Create that failed after converting: the copy is nobody's. */
static void
create_fail (GTask  *task,
             GError *error)
{
  CreateData *create = g_task_get_task_data (task);

  if (create->converted_path != NULL)
    g_unlink (create->converted_path);
  g_task_return_error (task, error);
}

static void
create_disk_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  CreateData *create = task_data;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (create->disk_path == NULL || vireo_disk_image_create (create->disk_path, create->disk_size, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_profile_saved_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoNewMachine *self = g_task_get_source_object (task);
  CreateData *create = g_task_get_task_data (task);
  GError *error = NULL;
  VireoMachine *machine;

  if (!vireo_profile_store_save_finish (VIREO_PROFILE_STORE (object), result, &error))
    {
      if (create->disk_path != NULL)
        g_unlink (create->disk_path);
      create_fail (task, error);
      return;
    }

  machine = vireo_library_add (self->library, create->profile);
  g_task_return_pointer (task, g_object_ref (machine), g_object_unref);
}

static void
on_disk_created_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VireoNewMachine *self = g_task_get_source_object (task);
  CreateData *create = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      create_fail (task, error);
      return;
    }

  vireo_profile_store_save_async (vireo_library_get_store (self->library), create->profile,
                                  g_task_get_cancellable (task),
                                  on_profile_saved_cb, g_object_ref (task));
}

/* Builds the profile, makes its new disk and saves it. */
static void
create_continue (GTask *task)
{
  VireoNewMachine *self = g_task_get_source_object (task);
  CreateData *create = g_task_get_task_data (task);
  g_autoptr(GTask) disk_task = NULL;
  GError *error = NULL;

  create->profile = build_profile (self, create->converted_path != NULL ? create->converted_path
                                                                        : self->disk_image, &error);
  if (create->profile == NULL)
    {
      create_fail (task, error);
      g_object_unref (task);
      return;
    }

  if (self->create_disk)
    {
      /* build_profile() added the new disk last. */
      const VireoProfileDisk *disk =
        vireo_profile_get_disk (create->profile, vireo_profile_get_n_disks (create->profile) - 1);

      create->disk_path = g_strdup (disk->path);
      create->disk_size = self->disk_size;
    }

  /* The outer task owns the data and outlives the thread's task, which
   * holds it until its callback. */
  disk_task = g_task_new (self, g_task_get_cancellable (task), on_disk_created_cb, task);
  g_task_set_task_data (disk_task, create, NULL);
  g_task_run_in_thread (disk_task, create_disk_thread);
}

static void
on_converted_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  VireoNewMachine *self = g_task_get_source_object (task);
  CreateData *create = g_task_get_task_data (task);
  GError *error = NULL;

  create->converted_path = vireo_image_converter_run_finish (VIREO_IMAGE_CONVERTER (object), result, &error);
  g_clear_object (&self->converter);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERTER]);
  if (create->converted_path == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  create_continue (task);
}

/**
 * vireo_new_machine_create_async:
 *
 * Validates every page again, converts a disk image that needs it (see
 * vireo_new_machine_get_converter()), makes the new disk, saves the
 * profile and adds the machine to the library. Cancelling stops the
 * conversion and removes what it wrote.
 */
void
vireo_new_machine_create_async (VireoNewMachine     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  VireoImageFormat format = VIREO_IMAGE_FORMAT_RAW;

  g_return_if_fail (VIREO_IS_NEW_MACHINE (self));
  g_return_if_fail (self->converter == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vireo_new_machine_create_async);
  g_task_set_task_data (task, g_new0 (CreateData, 1), create_data_free);

  if (!vireo_new_machine_validate_source (self, &error) ||
      !vireo_new_machine_validate_resources (self, &error) ||
      !vireo_new_machine_validate_name (self, &error) ||
      (self->source_kind == VIREO_SOURCE_DISK_IMAGE &&
       !vireo_image_format_detect_file (self->disk_image, &format, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (vireo_image_format_needs_conversion (format))
    {
      GFile *images = vireo_profile_store_get_images_dir (vireo_library_get_store (self->library));

      self->converter = vireo_image_converter_new (self->disk_image, format, images);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONVERTER]);
      vireo_image_converter_run_async (self->converter, cancellable, on_converted_cb,
                                       g_steal_pointer (&task));
      return;
    }

  create_continue (g_steal_pointer (&task));
}

/**
 * vireo_new_machine_create_finish:
 *
 * Returns: (transfer full): the new machine, now in the library
 */
VireoMachine *
vireo_new_machine_create_finish (VireoNewMachine  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (VIREO_IS_NEW_MACHINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
