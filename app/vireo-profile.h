/* vireo-profile.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VIREO_TYPE_PROFILE (vireo_profile_get_type ())

G_DECLARE_FINAL_TYPE (VireoProfile, vireo_profile, VIREO, PROFILE, GObject)

/* The namespaces of the <metadata> children, as other tools write them. */
#define VIREO_PROFILE_NS_URI    "https://vireo.dev/xmlns/domain/1.0"
#define VIREO_PROFILE_NS_PREFIX "vireo"
#define VIREO_LIBOSINFO_NS_URI  "http://libosinfo.org/xmlns/libvirt/domain/1.0"

typedef enum {
  VIREO_FIRMWARE_BIOS,
  VIREO_FIRMWARE_UEFI,
} VireoFirmware;

/* The network card: virtio where the guest has the driver, an Intel
 * 82574L (e1000e) where it does not (Windows installers). */
typedef enum {
  VIREO_NIC_MODEL_VIRTIO,
  VIREO_NIC_MODEL_E1000E,
} VireoNicModel;

typedef enum {
  VIREO_DISK_DEVICE_DISK,
  VIREO_DISK_DEVICE_CDROM,
} VireoDiskDevice;

typedef enum {
  VIREO_DISK_FORMAT_RAW,
  VIREO_DISK_FORMAT_QCOW2,
} VireoDiskFormat;

typedef enum {
  VIREO_DISK_BUS_VIRTIO,
  VIREO_DISK_BUS_SATA,
} VireoDiskBus;

typedef enum {
  VIREO_BOOT_DEVICE_HD,
  VIREO_BOOT_DEVICE_CDROM,
  VIREO_BOOT_DEVICE_NETWORK,
} VireoBootDevice;

typedef enum {
  VIREO_PORT_PROTO_TCP,
  VIREO_PORT_PROTO_UDP,
} VireoPortProto;

/* A disk or CD-ROM drive. A CD-ROM without media has path == NULL. */
typedef struct {
  VireoDiskDevice  device;
  char            *path;
  VireoDiskFormat  format;
  VireoDiskBus     bus;
} VireoProfileDisk;

/* A host port forwarded to a guest port (user-mode networking). */
typedef struct {
  VireoPortProto proto;
  guint16        host_port;
  guint16        guest_port;
} VireoPortForward;

VireoProfile           *vireo_profile_new                  (const char        *name);
VireoProfile           *vireo_profile_new_from_xml         (const char        *xml,
                                                            GPtrArray        **dropped,
                                                            GError           **error);
char                   *vireo_profile_to_xml               (VireoProfile      *self,
                                                            GError           **error);
VireoProfile           *vireo_profile_copy                 (VireoProfile      *self);

const char             *vireo_profile_get_uuid             (VireoProfile      *self);
void                    vireo_profile_set_uuid             (VireoProfile      *self,
                                                            const char        *uuid);
const char             *vireo_profile_get_name             (VireoProfile      *self);
void                    vireo_profile_set_name             (VireoProfile      *self,
                                                            const char        *name);
const char             *vireo_profile_get_title            (VireoProfile      *self);
void                    vireo_profile_set_title            (VireoProfile      *self,
                                                            const char        *title);
const char             *vireo_profile_get_description      (VireoProfile      *self);
void                    vireo_profile_set_description      (VireoProfile      *self,
                                                            const char        *description);
const char             *vireo_profile_get_os_id            (VireoProfile      *self);
void                    vireo_profile_set_os_id            (VireoProfile      *self,
                                                            const char        *os_id);
guint64                 vireo_profile_get_memory_kib       (VireoProfile      *self);
void                    vireo_profile_set_memory_kib       (VireoProfile      *self,
                                                            guint64            memory_kib);
guint                   vireo_profile_get_vcpus            (VireoProfile      *self);
void                    vireo_profile_set_vcpus            (VireoProfile      *self,
                                                            guint              vcpus);
const char             *vireo_profile_get_machine_type     (VireoProfile      *self);
void                    vireo_profile_set_machine_type     (VireoProfile      *self,
                                                            const char        *machine_type);
VireoFirmware           vireo_profile_get_firmware         (VireoProfile      *self);
void                    vireo_profile_set_firmware         (VireoProfile      *self,
                                                            VireoFirmware      firmware);
VireoNicModel           vireo_profile_get_nic_model        (VireoProfile      *self);
void                    vireo_profile_set_nic_model        (VireoProfile      *self,
                                                            VireoNicModel      model);
const char             *vireo_profile_get_loader           (VireoProfile      *self);
void                    vireo_profile_set_loader           (VireoProfile      *self,
                                                            const char        *loader);
const char             *vireo_profile_get_nvram            (VireoProfile      *self);
void                    vireo_profile_set_nvram            (VireoProfile      *self,
                                                            const char        *nvram);
const char             *vireo_profile_get_kernel           (VireoProfile      *self);
void                    vireo_profile_set_kernel           (VireoProfile      *self,
                                                            const char        *kernel);
const char             *vireo_profile_get_initrd           (VireoProfile      *self);
void                    vireo_profile_set_initrd           (VireoProfile      *self,
                                                            const char        *initrd);
const char             *vireo_profile_get_cmdline          (VireoProfile      *self);
void                    vireo_profile_set_cmdline          (VireoProfile      *self,
                                                            const char        *cmdline);
const VireoBootDevice  *vireo_profile_get_boot_order       (VireoProfile      *self,
                                                            guint             *n_devices);
void                    vireo_profile_set_boot_order       (VireoProfile      *self,
                                                            const VireoBootDevice *devices,
                                                            guint              n_devices);
guint                   vireo_profile_get_n_disks          (VireoProfile      *self);
const VireoProfileDisk *vireo_profile_get_disk             (VireoProfile      *self,
                                                            guint              index);
void                    vireo_profile_add_disk             (VireoProfile      *self,
                                                            VireoDiskDevice    device,
                                                            const char        *path,
                                                            VireoDiskFormat    format,
                                                            VireoDiskBus       bus);
void                    vireo_profile_remove_disk          (VireoProfile      *self,
                                                            guint              index);
guint                   vireo_profile_get_n_port_forwards  (VireoProfile      *self);
const VireoPortForward *vireo_profile_get_port_forward     (VireoProfile      *self,
                                                            guint              index);
void                    vireo_profile_add_port_forward     (VireoProfile      *self,
                                                            VireoPortProto     proto,
                                                            guint16            host_port,
                                                            guint16            guest_port);
void                    vireo_profile_remove_port_forward  (VireoProfile      *self,
                                                            guint              index);
GDateTime              *vireo_profile_get_created          (VireoProfile      *self);
void                    vireo_profile_set_created          (VireoProfile      *self,
                                                            GDateTime         *created);

G_END_DECLS
