/* vireo-profile.c
 *
 * A machine's settings, and their libvirt domain XML form.
 *
 * The file format is libvirt's, so a profile can be checked with
 * virt-xml-validate, imported from virt-manager and read by other tools.
 * The XML is written through libvirt-gconfig; where libvirt-gconfig has no
 * setter (nvram, the passt port forwards) the element is built as escaped
 * XML text and handed to its *_new_from_xml() constructor, so the document
 * stays libvirt-gconfig's own.
 *
 * Reading takes the domain's scalars (name, UUID, title, description,
 * memory with its unit, vCPUs) from libvirt-gconfig and the rest with
 * XPath through libxml2, which libvirt-gconfig already uses: libvirt-gconfig
 * 4.0 has no getter for kernel, loader, nvram or port forwards, its enum
 * getters g_critical() on values they do not know (fuzz-profile found
 * that), and its disk bus getter always answers IDE.
 *
 * Only what Vireo runs is kept: reading a domain drops what Vireo cannot
 * honour (and says what, for the import dialog), and writing regenerates
 * the fixed devices (SPICE, virtio video, USB tablet and keyboard on xHCI)
 * so every profile describes the machine the monitor really builds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "vireo-profile.h"

/* libvirt-gconfig 4.0 (Debian 12) declares no g_autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDisk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainInterfaceUser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainGraphicsSpice, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainVideo, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainInput, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainControllerUsb, g_object_unref)

#define DEFAULT_MACHINE_TYPE "q35"
#define DEFAULT_MEMORY_KIB   (G_GUINT64_CONSTANT (2) * 1024 * 1024)
#define MAX_BOOT_DEVICES     4
/* KVM's limit on x86 (KVM_MAX_VCPUS); more cannot be a real machine. */
#define MAX_VCPUS            1024

struct _VireoProfile
{
  GObject          parent_instance;

  char            *uuid;
  char            *name;
  char            *title;
  char            *description;
  char            *os_id;
  guint64          memory_kib;
  guint            vcpus;
  char            *machine_type;
  VireoFirmware    firmware;
  VireoNicModel    nic_model;
  char            *loader;
  char            *nvram;
  char            *kernel;
  char            *initrd;
  char            *cmdline;
  VireoBootDevice  boot[MAX_BOOT_DEVICES];
  guint            n_boot;
  GPtrArray       *disks;          /* of VireoProfileDisk */
  GArray          *port_forwards;  /* of VireoPortForward */
  GDateTime       *created;
};

G_DEFINE_FINAL_TYPE (VireoProfile, vireo_profile, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_UUID,
  PROP_NAME,
  PROP_OS_ID,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
disk_free (gpointer data)
{
  VireoProfileDisk *disk = data;

  g_free (disk->path);
  g_free (disk);
}

static void
vireo_profile_finalize (GObject *object)
{
  VireoProfile *self = (VireoProfile *)object;

  g_clear_pointer (&self->uuid, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->os_id, g_free);
  g_clear_pointer (&self->machine_type, g_free);
  g_clear_pointer (&self->loader, g_free);
  g_clear_pointer (&self->nvram, g_free);
  g_clear_pointer (&self->kernel, g_free);
  g_clear_pointer (&self->initrd, g_free);
  g_clear_pointer (&self->cmdline, g_free);
  g_clear_pointer (&self->disks, g_ptr_array_unref);
  g_clear_pointer (&self->port_forwards, g_array_unref);
  g_clear_pointer (&self->created, g_date_time_unref);

  G_OBJECT_CLASS (vireo_profile_parent_class)->finalize (object);
}

static void
vireo_profile_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VireoProfile *self = VIREO_PROFILE (object);

  switch (prop_id)
    {
    case PROP_UUID:
      g_value_set_string (value, self->uuid);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_OS_ID:
      g_value_set_string (value, self->os_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_profile_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VireoProfile *self = VIREO_PROFILE (object);

  switch (prop_id)
    {
    case PROP_UUID:
      vireo_profile_set_uuid (self, g_value_get_string (value));
      break;

    case PROP_NAME:
      vireo_profile_set_name (self, g_value_get_string (value));
      break;

    case PROP_OS_ID:
      vireo_profile_set_os_id (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_profile_class_init (VireoProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vireo_profile_finalize;
  object_class->get_property = vireo_profile_get_property;
  object_class->set_property = vireo_profile_set_property;

  properties [PROP_UUID] =
    g_param_spec_string ("uuid", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_OS_ID] =
    g_param_spec_string ("os-id", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vireo_profile_init (VireoProfile *self)
{
  self->uuid = g_uuid_string_random ();
  self->memory_kib = DEFAULT_MEMORY_KIB;
  self->vcpus = 1;
  self->machine_type = g_strdup (DEFAULT_MACHINE_TYPE);
  self->boot[0] = VIREO_BOOT_DEVICE_HD;
  self->n_boot = 1;
  self->disks = g_ptr_array_new_with_free_func (disk_free);
  self->port_forwards = g_array_new (FALSE, FALSE, sizeof (VireoPortForward));
  /* Whole seconds, as the XML keeps it (see vireo_profile_set_created()). */
  self->created = g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC);
}

/**
 * vireo_profile_new:
 * @name: the machine's name, as the user sees it
 *
 * Creates a profile with a fresh random UUID and Vireo's defaults.
 */
VireoProfile *
vireo_profile_new (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (VIREO_TYPE_PROFILE, "name", name, NULL);
}

/**
 * vireo_profile_copy:
 *
 * Returns: (transfer full): a deep copy, e.g. for a properties dialog to
 *   edit without touching the running machine's profile.
 */
VireoProfile *
vireo_profile_copy (VireoProfile *self)
{
  VireoProfile *copy;

  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  copy = vireo_profile_new (self->name);
  vireo_profile_set_uuid (copy, self->uuid);
  vireo_profile_set_title (copy, self->title);
  vireo_profile_set_description (copy, self->description);
  vireo_profile_set_os_id (copy, self->os_id);
  copy->memory_kib = self->memory_kib;
  copy->vcpus = self->vcpus;
  vireo_profile_set_machine_type (copy, self->machine_type);
  copy->firmware = self->firmware;
  copy->nic_model = self->nic_model;
  vireo_profile_set_loader (copy, self->loader);
  vireo_profile_set_nvram (copy, self->nvram);
  vireo_profile_set_kernel (copy, self->kernel);
  vireo_profile_set_initrd (copy, self->initrd);
  vireo_profile_set_cmdline (copy, self->cmdline);
  vireo_profile_set_boot_order (copy, self->boot, self->n_boot);
  for (guint i = 0; i < self->disks->len; i++)
    {
      const VireoProfileDisk *disk = g_ptr_array_index (self->disks, i);

      vireo_profile_add_disk (copy, disk->device, disk->path, disk->format, disk->bus);
    }
  g_array_append_vals (copy->port_forwards, self->port_forwards->data, self->port_forwards->len);
  vireo_profile_set_created (copy, self->created);

  return copy;
}

/* Replaces a string field; returns whether it changed, for notify. */
static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  /* An empty string means "not set": the XML does not keep empty
   * elements apart from absent ones either. */
  *field = (value != NULL && value[0] != '\0') ? g_strdup (value) : NULL;
  return TRUE;
}

const char *
vireo_profile_get_uuid (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->uuid;
}

/**
 * vireo_profile_set_uuid:
 * @uuid: a UUID in its canonical text form
 *
 * The UUID names the profile's file, so it must be a valid one.
 */
void
vireo_profile_set_uuid (VireoProfile *self,
                        const char   *uuid)
{
  g_autofree char *lower = NULL;

  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));

  /* One spelling per machine, so the file name and the XML agree. */
  lower = g_ascii_strdown (uuid, -1);
  if (set_string (&self->uuid, lower))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_UUID]);
}

const char *
vireo_profile_get_name (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->name;
}

void
vireo_profile_set_name (VireoProfile *self,
                        const char   *name)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (name != NULL && name[0] != '\0');

  if (set_string (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_NAME]);
}

const char *
vireo_profile_get_title (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->title;
}

void
vireo_profile_set_title (VireoProfile *self,
                         const char   *title)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->title, title);
}

const char *
vireo_profile_get_description (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->description;
}

void
vireo_profile_set_description (VireoProfile *self,
                               const char   *description)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->description, description);
}

const char *
vireo_profile_get_os_id (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->os_id;
}

/**
 * vireo_profile_set_os_id:
 * @os_id: (nullable): a libosinfo OS id such as "http://debian.org/debian/12"
 */
void
vireo_profile_set_os_id (VireoProfile *self,
                         const char   *os_id)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  if (set_string (&self->os_id, os_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_OS_ID]);
}

guint64
vireo_profile_get_memory_kib (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), 0);

  return self->memory_kib;
}

void
vireo_profile_set_memory_kib (VireoProfile *self,
                              guint64       memory_kib)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (memory_kib > 0);

  self->memory_kib = memory_kib;
}

guint
vireo_profile_get_vcpus (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), 0);

  return self->vcpus;
}

void
vireo_profile_set_vcpus (VireoProfile *self,
                         guint         vcpus)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (vcpus > 0);

  self->vcpus = vcpus;
}

const char *
vireo_profile_get_machine_type (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->machine_type;
}

void
vireo_profile_set_machine_type (VireoProfile *self,
                                const char   *machine_type)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->machine_type, machine_type);
}

VireoFirmware
vireo_profile_get_firmware (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), VIREO_FIRMWARE_BIOS);

  return self->firmware;
}

void
vireo_profile_set_firmware (VireoProfile  *self,
                            VireoFirmware  firmware)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (firmware == VIREO_FIRMWARE_BIOS || firmware == VIREO_FIRMWARE_UEFI);

  self->firmware = firmware;
}

VireoNicModel
vireo_profile_get_nic_model (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), VIREO_NIC_MODEL_VIRTIO);

  return self->nic_model;
}

void
vireo_profile_set_nic_model (VireoProfile  *self,
                             VireoNicModel  model)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (model == VIREO_NIC_MODEL_VIRTIO || model == VIREO_NIC_MODEL_E1000E);

  self->nic_model = model;
}

const char *
vireo_profile_get_loader (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->loader;
}

/**
 * vireo_profile_set_loader:
 * @loader: (nullable): the UEFI firmware image; %NULL lets the monitor pick
 *   the system's OVMF. Only used with %VIREO_FIRMWARE_UEFI.
 */
void
vireo_profile_set_loader (VireoProfile *self,
                          const char   *loader)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->loader, loader);
}

const char *
vireo_profile_get_nvram (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->nvram;
}

/**
 * vireo_profile_set_nvram:
 * @nvram: (nullable): the machine's own copy of the UEFI variable store
 */
void
vireo_profile_set_nvram (VireoProfile *self,
                         const char   *nvram)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->nvram, nvram);
}

const char *
vireo_profile_get_kernel (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->kernel;
}

/**
 * vireo_profile_set_kernel:
 * @kernel: (nullable): a bzImage for direct Linux boot, %NULL to boot
 *   from the firmware
 */
void
vireo_profile_set_kernel (VireoProfile *self,
                          const char   *kernel)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->kernel, kernel);
}

const char *
vireo_profile_get_initrd (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->initrd;
}

void
vireo_profile_set_initrd (VireoProfile *self,
                          const char   *initrd)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->initrd, initrd);
}

const char *
vireo_profile_get_cmdline (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->cmdline;
}

void
vireo_profile_set_cmdline (VireoProfile *self,
                           const char   *cmdline)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));

  set_string (&self->cmdline, cmdline);
}

/**
 * vireo_profile_get_boot_order:
 * @n_devices: (out): the number of entries
 *
 * Returns: (array length=n_devices): the devices to boot from, first first
 */
const VireoBootDevice *
vireo_profile_get_boot_order (VireoProfile *self,
                              guint        *n_devices)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);
  g_return_val_if_fail (n_devices != NULL, NULL);

  *n_devices = self->n_boot;
  return self->boot;
}

/**
 * vireo_profile_set_boot_order:
 * @devices: (array length=n_devices): the devices, without repeats
 *
 * Repeated devices are dropped (libvirt allows each once).
 */
void
vireo_profile_set_boot_order (VireoProfile          *self,
                              const VireoBootDevice *devices,
                              guint                  n_devices)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (devices != NULL || n_devices == 0);

  self->n_boot = 0;
  for (guint i = 0; i < n_devices; i++)
    {
      gboolean seen = FALSE;

      g_return_if_fail (devices[i] <= VIREO_BOOT_DEVICE_NETWORK);
      for (guint j = 0; j < self->n_boot; j++)
        seen |= self->boot[j] == devices[i];
      if (!seen && self->n_boot < MAX_BOOT_DEVICES)
        self->boot[self->n_boot++] = devices[i];
    }
}

guint
vireo_profile_get_n_disks (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), 0);

  return self->disks->len;
}

/**
 * vireo_profile_get_disk:
 *
 * Returns: (transfer none): the disk or CD-ROM drive at @index, in the
 *   order the guest sees them
 */
const VireoProfileDisk *
vireo_profile_get_disk (VireoProfile *self,
                        guint         index)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);
  g_return_val_if_fail (index < self->disks->len, NULL);

  return g_ptr_array_index (self->disks, index);
}

/**
 * vireo_profile_add_disk:
 * @path: (nullable): the image; %NULL only for an empty CD-ROM drive
 *
 * Adds a drive after the existing ones. CD-ROM drives are always
 * read-only raw media on SATA, as firmware and installers expect.
 */
void
vireo_profile_add_disk (VireoProfile    *self,
                        VireoDiskDevice  device,
                        const char      *path,
                        VireoDiskFormat  format,
                        VireoDiskBus     bus)
{
  VireoProfileDisk *disk;

  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (device == VIREO_DISK_DEVICE_DISK || device == VIREO_DISK_DEVICE_CDROM);
  g_return_if_fail (path != NULL || device == VIREO_DISK_DEVICE_CDROM);
  g_return_if_fail (format == VIREO_DISK_FORMAT_RAW || format == VIREO_DISK_FORMAT_QCOW2);
  g_return_if_fail (bus == VIREO_DISK_BUS_VIRTIO || bus == VIREO_DISK_BUS_SATA);

  disk = g_new0 (VireoProfileDisk, 1);
  disk->device = device;
  disk->path = (path != NULL && path[0] != '\0') ? g_strdup (path) : NULL;
  disk->format = device == VIREO_DISK_DEVICE_CDROM ? VIREO_DISK_FORMAT_RAW : format;
  disk->bus = device == VIREO_DISK_DEVICE_CDROM ? VIREO_DISK_BUS_SATA : bus;
  g_ptr_array_add (self->disks, disk);
}

void
vireo_profile_remove_disk (VireoProfile *self,
                           guint         index)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (index < self->disks->len);

  g_ptr_array_remove_index (self->disks, index);
}

guint
vireo_profile_get_n_port_forwards (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), 0);

  return self->port_forwards->len;
}

const VireoPortForward *
vireo_profile_get_port_forward (VireoProfile *self,
                                guint         index)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);
  g_return_val_if_fail (index < self->port_forwards->len, NULL);

  return &g_array_index (self->port_forwards, VireoPortForward, index);
}

/**
 * vireo_profile_add_port_forward:
 * @host_port: the port opened on the host, 1..65535
 * @guest_port: the guest's port it reaches, 1..65535
 */
void
vireo_profile_add_port_forward (VireoProfile   *self,
                                VireoPortProto  proto,
                                guint16         host_port,
                                guint16         guest_port)
{
  VireoPortForward fwd = { proto, host_port, guest_port };

  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (proto == VIREO_PORT_PROTO_TCP || proto == VIREO_PORT_PROTO_UDP);
  g_return_if_fail (host_port != 0 && guest_port != 0);

  g_array_append_val (self->port_forwards, fwd);
}

void
vireo_profile_remove_port_forward (VireoProfile *self,
                                   guint         index)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (index < self->port_forwards->len);

  g_array_remove_index (self->port_forwards, index);
}

/**
 * vireo_profile_get_created:
 *
 * Returns: (transfer none): when the machine was created (UTC)
 */
GDateTime *
vireo_profile_get_created (VireoProfile *self)
{
  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);

  return self->created;
}

void
vireo_profile_set_created (VireoProfile *self,
                           GDateTime    *created)
{
  g_return_if_fail (VIREO_IS_PROFILE (self));
  g_return_if_fail (created != NULL);

  g_clear_pointer (&self->created, g_date_time_unref);
  /* Whole seconds in UTC: exactly what the XML keeps, so a profile and
   * its reloaded copy compare equal. */
  self->created = g_date_time_new_from_unix_utc (g_date_time_to_unix (created));
}

/* XML ------------------------------------------------------------------- */

static const char * const boot_device_names[] = {
  [VIREO_BOOT_DEVICE_HD] = "hd",
  [VIREO_BOOT_DEVICE_CDROM] = "cdrom",
  [VIREO_BOOT_DEVICE_NETWORK] = "network",
};

G_GNUC_PRINTF (2, 3)
static void
append_escaped (GString    *str,
                const char *format,
                ...)
{
  g_autofree char *escaped = NULL;
  va_list args;

  va_start (args, format);
  escaped = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (str, escaped);
}

/* "vda", "vdb", ..., "vdz", "vdaa": the same naming libvirt uses, so a
 * profile never has two drives on one target. */
static char *
target_dev_name (const char *prefix,
                 guint       index)
{
  GString *name = g_string_new (NULL);

  do
    {
      g_string_prepend_c (name, 'a' + (index % 26));
      index = index / 26;
    }
  while (index-- > 0);
  g_string_prepend (name, prefix);

  return g_string_free (name, FALSE);
}

static GVirConfigDomainOs *
build_os (VireoProfile  *self,
          GError       **error)
{
  g_autoptr(GString) xml = g_string_new ("<os");
  gboolean uefi = self->firmware == VIREO_FIRMWARE_UEFI;

  /* Without a loader path, let the firmware be chosen by type, which is
   * how virt-manager writes UEFI machines too. */
  if (uefi && self->loader == NULL)
    g_string_append (xml, " firmware=\"efi\"");
  g_string_append_c (xml, '>');
  append_escaped (xml, "<type arch=\"x86_64\" machine=\"%s\">hvm</type>",
                  self->machine_type != NULL ? self->machine_type : DEFAULT_MACHINE_TYPE);
  if (uefi && self->loader != NULL)
    append_escaped (xml, "<loader readonly=\"yes\" type=\"pflash\">%s</loader>", self->loader);
  if (uefi && self->nvram != NULL)
    append_escaped (xml, "<nvram>%s</nvram>", self->nvram);
  if (self->kernel != NULL)
    append_escaped (xml, "<kernel>%s</kernel>", self->kernel);
  if (self->initrd != NULL)
    append_escaped (xml, "<initrd>%s</initrd>", self->initrd);
  if (self->cmdline != NULL)
    append_escaped (xml, "<cmdline>%s</cmdline>", self->cmdline);
  for (guint i = 0; i < self->n_boot; i++)
    append_escaped (xml, "<boot dev=\"%s\"/>", boot_device_names[self->boot[i]]);
  g_string_append (xml, "</os>");

  return gvir_config_domain_os_new_from_xml (xml->str, error);
}

static void
add_disks (VireoProfile     *self,
           GVirConfigDomain *domain)
{
  guint n_virtio = 0;
  guint n_sata = 0;

  for (guint i = 0; i < self->disks->len; i++)
    {
      const VireoProfileDisk *d = g_ptr_array_index (self->disks, i);
      g_autoptr(GVirConfigDomainDisk) disk = gvir_config_domain_disk_new ();
      g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new ();
      g_autofree char *target = NULL;
      gboolean cdrom = d->device == VIREO_DISK_DEVICE_CDROM;

      gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
      gvir_config_domain_disk_set_guest_device_type (disk, cdrom ? GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM
                                                                 : GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
      /* "qemu" is the driver name libvirt requires for these formats; it
       * describes the image format, not which program runs it. */
      gvir_config_domain_disk_driver_set_name (driver, "qemu");
      gvir_config_domain_disk_driver_set_format (driver, d->format == VIREO_DISK_FORMAT_QCOW2
                                                           ? GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2
                                                           : GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW);
      gvir_config_domain_disk_set_driver (disk, driver);
      if (d->path != NULL)
        gvir_config_domain_disk_set_source (disk, d->path);
      if (d->bus == VIREO_DISK_BUS_VIRTIO)
        target = target_dev_name ("vd", n_virtio++);
      else
        target = target_dev_name ("sd", n_sata++);
      gvir_config_domain_disk_set_target_dev (disk, target);
      gvir_config_domain_disk_set_target_bus (disk, d->bus == VIREO_DISK_BUS_VIRTIO
                                                      ? GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO
                                                      : GVIR_CONFIG_DOMAIN_DISK_BUS_SATA);
      if (cdrom)
        gvir_config_domain_disk_set_readonly (disk, TRUE);
      gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (disk));
    }
}

static gboolean
add_interface (VireoProfile      *self,
               GVirConfigDomain  *domain,
               GError           **error)
{
  g_autoptr(GVirConfigDomainInterfaceUser) iface = NULL;
  g_autoptr(GString) xml = g_string_new ("<interface type=\"user\">");

  /* libvirt only honours <portForward> with the passt backend; naming it
   * keeps the profile meaningful to virt-manager. Vireo itself provides
   * the same service through libslirp. */
  g_string_append (xml, "<backend type=\"passt\"/>");
  for (guint i = 0; i < self->port_forwards->len; i++)
    {
      const VireoPortForward *fwd = &g_array_index (self->port_forwards, VireoPortForward, i);

      g_string_append_printf (xml,
                              "<portForward proto=\"%s\"><range start=\"%u\" to=\"%u\"/></portForward>",
                              fwd->proto == VIREO_PORT_PROTO_UDP ? "udp" : "tcp",
                              fwd->host_port, fwd->guest_port);
    }
  g_string_append_printf (xml, "<model type=\"%s\"/></interface>",
                          self->nic_model == VIREO_NIC_MODEL_E1000E ? "e1000e" : "virtio");

  iface = gvir_config_domain_interface_user_new_from_xml (xml->str, error);
  if (iface == NULL)
    return FALSE;
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (iface));
  return TRUE;
}

static void
add_fixed_devices (GVirConfigDomain *domain)
{
  g_autoptr(GVirConfigDomainGraphicsSpice) spice = gvir_config_domain_graphics_spice_new ();
  g_autoptr(GVirConfigDomainVideo) video = gvir_config_domain_video_new ();
  g_autoptr(GVirConfigDomainInput) tablet = gvir_config_domain_input_new ();
  g_autoptr(GVirConfigDomainInput) keyboard = gvir_config_domain_input_new ();
  g_autoptr(GVirConfigDomainControllerUsb) xhci = gvir_config_domain_controller_usb_new ();

  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (spice));

  gvir_config_domain_video_set_model (video, GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VIRTIO);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (video));

  gvir_config_domain_input_set_device_type (tablet, GVIR_CONFIG_DOMAIN_INPUT_DEVICE_TABLET);
  gvir_config_domain_input_set_bus (tablet, GVIR_CONFIG_DOMAIN_INPUT_BUS_USB);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (tablet));

  gvir_config_domain_input_set_device_type (keyboard, GVIR_CONFIG_DOMAIN_INPUT_DEVICE_KEYBOARD);
  gvir_config_domain_input_set_bus (keyboard, GVIR_CONFIG_DOMAIN_INPUT_BUS_USB);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (keyboard));

  gvir_config_domain_controller_set_index (GVIR_CONFIG_DOMAIN_CONTROLLER (xhci), 0);
  gvir_config_domain_controller_usb_set_model (xhci, GVIR_CONFIG_DOMAIN_CONTROLLER_USB_MODEL_QEMU_XHCI);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (xhci));
}

static gboolean
set_metadata (VireoProfile      *self,
              GVirConfigDomain  *domain,
              GError           **error)
{
  g_autofree char *created = g_date_time_format_iso8601 (self->created);
  g_autofree char *vireo = g_markup_printf_escaped ("<vireo><created>%s</created></vireo>", created);

  /* The _ns_children variant puts every element in the namespace, which
   * is the shape virt-manager and GNOME Boxes write and look for. */
  if (self->os_id != NULL)
    {
      g_autofree char *osinfo = g_markup_printf_escaped ("<libosinfo><os id=\"%s\"/></libosinfo>", self->os_id);

      if (!gvir_config_domain_set_custom_xml_ns_children (domain, osinfo, "libosinfo",
                                                          VIREO_LIBOSINFO_NS_URI, error))
        return FALSE;
    }

  return gvir_config_domain_set_custom_xml_ns_children (domain, vireo, VIREO_PROFILE_NS_PREFIX,
                                                        VIREO_PROFILE_NS_URI, error);
}

/**
 * vireo_profile_to_xml:
 *
 * Returns: (transfer full): the profile as libvirt domain XML, or %NULL
 *   with @error set
 */
char *
vireo_profile_to_xml (VireoProfile  *self,
                      GError       **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autoptr(GVirConfigDomainOs) os = NULL;
  const char * const features[] = { "acpi", "apic", NULL };

  g_return_val_if_fail (VIREO_IS_PROFILE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  domain = gvir_config_domain_new ();
  gvir_config_domain_set_virt_type (domain, GVIR_CONFIG_DOMAIN_VIRT_KVM);
  gvir_config_domain_set_name (domain, self->name);
  gvir_config_domain_set_uuid (domain, self->uuid);
  gvir_config_domain_set_title (domain, self->title);
  gvir_config_domain_set_description (domain, self->description);
  if (!set_metadata (self, domain, error))
    return NULL;
  gvir_config_domain_set_memory (domain, self->memory_kib);
  gvir_config_domain_set_current_memory (domain, self->memory_kib);
  gvir_config_domain_set_vcpus (domain, self->vcpus);

  os = build_os (self, error);
  if (os == NULL)
    return NULL;
  gvir_config_domain_set_os (domain, os);
  /* The parameter is a GStrv only by its type; libvirt-gconfig copies the
   * strings and never writes to them. */
  gvir_config_domain_set_features (domain, (GStrv) features);

  add_disks (self, domain);
  if (!add_interface (self, domain, error))
    return NULL;
  add_fixed_devices (domain);

  return gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
}

/* Reading ----------------------------------------------------------------- */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

/* The string value of @expr, or %NULL when empty or absent. */
static char *
xpath_string (xmlXPathContext *ctx,
              xmlNode         *node,
              const char      *expr)
{
  g_autoptr(xmlXPathObject) obj = NULL;

  /* Absolute expressions are evaluated from the document node. */
  obj = xmlXPathNodeEval (node != NULL ? node : (xmlNode *) ctx->doc, (const xmlChar *) expr, ctx);
  if (obj == NULL || obj->type != XPATH_STRING ||
      obj->stringval == NULL || obj->stringval[0] == '\0')
    return NULL;

  return g_strdup ((const char *) obj->stringval);
}

static gboolean
parse_port (const char *text,
            guint16    *port)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;
  *port = (guint16) value;
  return TRUE;
}

static void
add_dropped (GPtrArray  *dropped,
             char       *what)
{
  if (dropped != NULL)
    g_ptr_array_add (dropped, what);
  else
    g_free (what);
}

static void
read_port_forwards (VireoProfile    *self,
                    xmlXPathContext *ctx,
                    GPtrArray       *dropped)
{
  g_autoptr(xmlXPathObject) forwards = NULL;

  forwards = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/interface[1]/portForward/range", ctx);
  if (forwards == NULL || forwards->nodesetval == NULL)
    return;

  for (int i = 0; i < forwards->nodesetval->nodeNr; i++)
    {
      xmlNode *range = forwards->nodesetval->nodeTab[i];
      g_autofree char *proto = xpath_string (ctx, range, "string(../@proto)");
      g_autofree char *start = xpath_string (ctx, range, "string(@start)");
      g_autofree char *end = xpath_string (ctx, range, "string(@end)");
      g_autofree char *to = xpath_string (ctx, range, "string(@to)");
      guint16 host_port, guest_port;
      VireoPortProto p;

      if (g_strcmp0 (proto, "tcp") == 0)
        p = VIREO_PORT_PROTO_TCP;
      else if (g_strcmp0 (proto, "udp") == 0)
        p = VIREO_PORT_PROTO_UDP;
      else
        {
          add_dropped (dropped, g_strdup (_("A port forward with an unknown protocol")));
          continue;
        }

      /* Without "to", libvirt forwards to the same port number. Ranges are
       * not something Vireo's settings can express. */
      if (end != NULL || !parse_port (start, &host_port) ||
          !parse_port (to != NULL ? to : start, &guest_port))
        {
          add_dropped (dropped, g_strdup_printf (_("Port forward %s"), start != NULL ? start : "?"));
          continue;
        }

      vireo_profile_add_port_forward (self, p, host_port, guest_port);
    }
}

static void
read_disk (VireoProfile    *self,
           xmlXPathContext *ctx,
           xmlNode         *node,
           GPtrArray       *dropped)
{
  g_autofree char *type = xpath_string (ctx, node, "string(@type)");
  g_autofree char *device = xpath_string (ctx, node, "string(@device)");
  g_autofree char *format = xpath_string (ctx, node, "string(driver/@type)");
  g_autofree char *source = xpath_string (ctx, node, "string(source/@file)");
  g_autofree char *target = xpath_string (ctx, node, "string(target/@dev)");
  g_autofree char *bus = xpath_string (ctx, node, "string(target/@bus)");
  gboolean cdrom = g_strcmp0 (device, "cdrom") == 0;
  VireoDiskFormat disk_format = VIREO_DISK_FORMAT_RAW;

  if (target == NULL)
    target = g_strdup ("?");

  /* libvirt's defaults: a <disk> without device is a disk; one without a
   * driver type is raw. No source on a CD-ROM is an empty drive. */
  if (g_strcmp0 (type, "file") != 0 ||
      (device != NULL && !cdrom && !g_str_equal (device, "disk")) ||
      (source == NULL && !cdrom))
    {
      add_dropped (dropped, g_strdup_printf (_("Drive %s: only image files are supported"), target));
      return;
    }

  if (g_strcmp0 (format, "qcow2") == 0)
    disk_format = VIREO_DISK_FORMAT_QCOW2;
  else if (format != NULL && !g_str_equal (format, "raw"))
    {
      add_dropped (dropped, g_strdup_printf (_("Drive %s: the image format is not supported"), target));
      return;
    }

  /* IDE and SCSI drives become SATA: the guest sees a standard AHCI
   * controller, which every OS since 2006 drives. */
  vireo_profile_add_disk (self,
                          cdrom ? VIREO_DISK_DEVICE_CDROM : VIREO_DISK_DEVICE_DISK,
                          source, disk_format,
                          g_strcmp0 (bus, "virtio") == 0 ? VIREO_DISK_BUS_VIRTIO : VIREO_DISK_BUS_SATA);
}

static void
read_nic_model (VireoProfile    *self,
                xmlXPathContext *ctx,
                GPtrArray       *dropped)
{
  g_autofree char *model = xpath_string (ctx, NULL, "string(/domain/devices/interface[1]/model/@type)");

  /* No model: libvirt's default for a PC is an emulated card, but every
   * profile Vireo writes names one, so a missing one is someone else's
   * guest that already has its drivers. Other emulated cards (e1000,
   * rtl8139) become the e1000e, which the same guests drive inbox. */
  if (model == NULL || g_strcmp0 (model, "virtio") == 0)
    self->nic_model = VIREO_NIC_MODEL_VIRTIO;
  else
    {
      self->nic_model = VIREO_NIC_MODEL_E1000E;
      if (g_strcmp0 (model, "e1000e") != 0)
        add_dropped (dropped, g_strdup_printf (_("Network card “%s” (an e1000e takes its place)"), model));
    }
}

static void
read_devices (VireoProfile    *self,
              xmlXPathContext *ctx,
              GPtrArray       *dropped)
{
  /* Devices Vireo builds itself on every machine; what a foreign profile
   * says about them is replaced, not reported. */
  static const char * const regenerated[] = { "emulator", "graphics", "video", "input", "controller", NULL };
  g_autoptr(xmlXPathObject) children = NULL;
  guint n_interfaces = 0;

  children = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/*", ctx);
  if (children == NULL || children->nodesetval == NULL)
    return;

  for (int i = 0; i < children->nodesetval->nodeNr; i++)
    {
      xmlNode *node = children->nodesetval->nodeTab[i];
      const char *element = (const char *) node->name;

      if (g_strv_contains (regenerated, element))
        continue;

      if (g_str_equal (element, "disk"))
        {
          read_disk (self, ctx, node, dropped);
          continue;
        }

      if (g_str_equal (element, "interface"))
        {
          g_autofree char *type = xpath_string (ctx, node, "string(@type)");

          if (n_interfaces++ > 0)
            add_dropped (dropped, g_strdup (_("Additional network interfaces")));
          else if (g_strcmp0 (type, "user") != 0)
            add_dropped (dropped, g_strdup_printf (_("Network of type “%s” (replaced by user-mode networking)"),
                                                   type != NULL ? type : "?"));
          continue;
        }

      add_dropped (dropped, g_strdup_printf (_("Device “%s”"), element));
    }

  read_port_forwards (self, ctx, dropped);
  read_nic_model (self, ctx, dropped);
}

static void
read_os (VireoProfile    *self,
         xmlXPathContext *ctx,
         GPtrArray       *dropped)
{
  g_autofree char *firmware = xpath_string (ctx, NULL, "string(/domain/os/@firmware)");
  g_autofree char *machine = xpath_string (ctx, NULL, "string(/domain/os/type/@machine)");
  g_autofree char *loader_type = xpath_string (ctx, NULL, "string(/domain/os/loader/@type)");
  g_autofree char *loader = xpath_string (ctx, NULL, "string(/domain/os/loader)");
  g_autofree char *nvram = xpath_string (ctx, NULL, "string(/domain/os/nvram)");
  g_autofree char *kernel = xpath_string (ctx, NULL, "string(/domain/os/kernel)");
  g_autofree char *initrd = xpath_string (ctx, NULL, "string(/domain/os/initrd)");
  g_autofree char *cmdline = xpath_string (ctx, NULL, "string(/domain/os/cmdline)");
  g_autoptr(xmlXPathObject) boots = NULL;
  VireoBootDevice boot[MAX_BOOT_DEVICES];
  guint n_boot = 0;

  vireo_profile_set_machine_type (self, machine != NULL ? machine : DEFAULT_MACHINE_TYPE);
  if (g_strcmp0 (firmware, "efi") == 0 || g_strcmp0 (loader_type, "pflash") == 0)
    {
      self->firmware = VIREO_FIRMWARE_UEFI;
      vireo_profile_set_loader (self, loader);
      vireo_profile_set_nvram (self, nvram);
    }
  else if (loader != NULL)
    add_dropped (dropped, g_strdup (_("Custom BIOS firmware")));
  vireo_profile_set_kernel (self, kernel);
  vireo_profile_set_initrd (self, initrd);
  vireo_profile_set_cmdline (self, cmdline);

  boots = xmlXPathEvalExpression ((const xmlChar *) "/domain/os/boot", ctx);
  for (int i = 0; boots != NULL && boots->nodesetval != NULL && i < boots->nodesetval->nodeNr; i++)
    {
      g_autofree char *dev = xpath_string (ctx, boots->nodesetval->nodeTab[i], "string(@dev)");
      guint j;

      for (j = 0; j < G_N_ELEMENTS (boot_device_names); j++)
        {
          if (g_strcmp0 (dev, boot_device_names[j]) == 0)
            break;
        }
      if (j == G_N_ELEMENTS (boot_device_names))
        add_dropped (dropped, g_strdup_printf (_("Booting from “%s”"), dev != NULL ? dev : "?"));
      else if (n_boot < MAX_BOOT_DEVICES)
        boot[n_boot++] = (VireoBootDevice) j;
    }
  vireo_profile_set_boot_order (self, boot, n_boot);
}

/* libvirt's memory units, as multiples of a byte. */
static const struct {
  const char *name;
  guint64     bytes;
} memory_units[] = {
  { "b", 1 }, { "bytes", 1 },
  { "KB", G_GUINT64_CONSTANT (1000) }, { "k", G_GUINT64_CONSTANT (1) << 10 }, { "KiB", G_GUINT64_CONSTANT (1) << 10 },
  { "MB", G_GUINT64_CONSTANT (1000000) }, { "M", G_GUINT64_CONSTANT (1) << 20 }, { "MiB", G_GUINT64_CONSTANT (1) << 20 },
  { "GB", G_GUINT64_CONSTANT (1000000000) }, { "G", G_GUINT64_CONSTANT (1) << 30 }, { "GiB", G_GUINT64_CONSTANT (1) << 30 },
  { "TB", G_GUINT64_CONSTANT (1000000000000) }, { "T", G_GUINT64_CONSTANT (1) << 40 }, { "TiB", G_GUINT64_CONSTANT (1) << 40 },
};

/* Memory and vCPUs by hand rather than through libvirt-gconfig, whose
 * getters g_critical() on an unknown unit and truncate large counts. */
static void
read_resources (VireoProfile    *self,
                xmlXPathContext *ctx,
                GPtrArray       *dropped)
{
  g_autofree char *memory = xpath_string (ctx, NULL, "string(/domain/memory)");
  g_autofree char *unit = xpath_string (ctx, NULL, "string(/domain/memory/@unit)");
  g_autofree char *vcpus = xpath_string (ctx, NULL, "string(/domain/vcpu)");
  guint64 value;

  if (memory != NULL)
    {
      guint64 bytes = 0;

      for (guint i = 0; i < G_N_ELEMENTS (memory_units); i++)
        {
          if (g_strcmp0 (unit != NULL ? unit : "KiB", memory_units[i].name) == 0)
            bytes = memory_units[i].bytes;
        }

      g_strstrip (memory);
      if (bytes == 0 ||
          !g_ascii_string_to_unsigned (memory, 10, 1, G_MAXUINT64 / bytes, &value, NULL) ||
          value * bytes < 1024)
        add_dropped (dropped, g_strdup_printf (_("Memory size “%s”"), memory));
      else
        /* Rounded up to whole KiB, as libvirt does. */
        self->memory_kib = value * bytes / 1024 + (value * bytes % 1024 != 0);
    }

  if (vcpus != NULL)
    {
      g_strstrip (vcpus);
      if (!g_ascii_string_to_unsigned (vcpus, 10, 1, MAX_VCPUS, &value, NULL))
        add_dropped (dropped, g_strdup_printf (_("Number of CPUs “%s”"), vcpus));
      else
        self->vcpus = (guint) value;
    }
}

/**
 * vireo_profile_new_from_xml:
 * @xml: libvirt domain XML, possibly from another tool
 * @dropped: (out) (optional) (element-type utf8) (transfer full): where to
 *   list, in words for the user, what Vireo could not keep
 *
 * Reads a domain. A document that is not a domain, or has no valid name
 * or UUID, is an error; settings Vireo does not support are dropped.
 *
 * Returns: (transfer full): the profile, or %NULL with @error set
 */
VireoProfile *
vireo_profile_new_from_xml (const char  *xml,
                            GPtrArray  **dropped,
                            GError     **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autoptr(VireoProfile) self = NULL;
  g_autoptr(GPtrArray) lost = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlXPathContext) ctx = NULL;
  g_autofree char *os_id = NULL;
  g_autofree char *created = NULL;
  xmlNode *root;
  const char *name;
  const char *uuid;
  size_t len;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (xml);
  if (len > G_MAXINT)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The file is too large"));
      return NULL;
    }

  /* libxml2 first, and libvirt-gconfig only with a document whose root
   * is a domain: libvirt-gconfig 4.0 dereferences NULL on text that does
   * not parse at all (e.g. an empty file). No network, no external
   * entities: the file may come from anywhere. */
  doc = xmlReadMemory (xml, (int) len, "domain.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The file is not valid XML"));
      return NULL;
    }
  if (root->ns != NULL || !xmlStrEqual (root->name, (const xmlChar *) "domain"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The file does not describe a virtual machine"));
      return NULL;
    }

  domain = gvir_config_domain_new_from_xml (xml, error);
  if (domain == NULL)
    return NULL;

  ctx = xmlXPathNewContext (doc);
  if (ctx == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, g_strerror (ENOMEM));
      return NULL;
    }
  xmlXPathRegisterNs (ctx, (const xmlChar *) "libosinfo", (const xmlChar *) VIREO_LIBOSINFO_NS_URI);
  xmlXPathRegisterNs (ctx, (const xmlChar *) "vireo", (const xmlChar *) VIREO_PROFILE_NS_URI);

  name = gvir_config_domain_get_name (domain);
  uuid = gvir_config_domain_get_uuid (domain);
  if (name == NULL || name[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The machine has no name"));
      return NULL;
    }
  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The machine has no valid UUID"));
      return NULL;
    }
  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The machine’s name is not valid text"));
      return NULL;
    }

  self = vireo_profile_new (name);
  vireo_profile_set_uuid (self, uuid);
  vireo_profile_set_title (self, gvir_config_domain_get_title (domain));
  vireo_profile_set_description (self, gvir_config_domain_get_description (domain));

  os_id = xpath_string (ctx, NULL, "string(/domain/metadata/libosinfo:libosinfo/libosinfo:os/@id)");
  vireo_profile_set_os_id (self, os_id);
  created = xpath_string (ctx, NULL, "string(/domain/metadata/vireo:vireo/vireo:created)");
  if (created != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (created, NULL);

      if (when != NULL)
        vireo_profile_set_created (self, when);
    }

  read_resources (self, ctx, lost);

  read_os (self, ctx, lost);
  read_devices (self, ctx, lost);

  if (dropped != NULL)
    *dropped = g_steal_pointer (&lost);

  return g_steal_pointer (&self);
}
