/* write-profiles.c
 *
 * Writes profiles through the real profile store into the folder given on
 * the command line (as $XDG_CONFIG_HOME), for validate-profiles.sh to check
 * with libvirt's own schema. One profile per shape a user can create: BIOS
 * with a disk, UEFI with an ISO, direct Linux boot with port forwards,
 * and everything at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include "vireo-profile-store.h"

static gboolean
save (VireoProfileStore *store,
      VireoProfile      *profile)
{
  g_autoptr(GError) error = NULL;

  if (!vireo_profile_store_save (store, profile, NULL, &error))
    {
      g_printerr ("%s: %s\n", vireo_profile_get_name (profile), error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VireoProfileStore) store = NULL;
  g_autoptr(VireoProfile) bios = vireo_profile_new ("BIOS & disk");
  g_autoptr(VireoProfile) uefi = vireo_profile_new ("UEFI <installer>");
  g_autoptr(VireoProfile) kernel = vireo_profile_new ("Direct kernel");
  g_autoptr(VireoProfile) full = vireo_profile_new ("Everything");
  g_autoptr(GFile) machines = NULL;
  g_autoptr(GFile) images = NULL;
  const VireoBootDevice cd_first[] = { VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD };
  const VireoBootDevice all[] = { VIREO_BOOT_DEVICE_NETWORK, VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD };
  gboolean ok = TRUE;

  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return EXIT_FAILURE;
    }

  machines = g_file_new_build_filename (argv[1], "machines", NULL);
  images = g_file_new_build_filename (argv[1], "images", NULL);
  store = vireo_profile_store_new_for_dirs (machines, images);

  vireo_profile_set_os_id (bios, "http://debian.org/debian/12");
  vireo_profile_set_machine_type (bios, "pc");
  vireo_profile_add_disk (bios, VIREO_DISK_DEVICE_DISK, "/images/bios.qcow2",
                          VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);

  vireo_profile_set_os_id (uefi, "http://microsoft.com/win/11");
  vireo_profile_set_firmware (uefi, VIREO_FIRMWARE_UEFI);
  vireo_profile_set_memory_kib (uefi, 4 * 1024 * 1024);
  vireo_profile_set_vcpus (uefi, 2);
  vireo_profile_add_disk (uefi, VIREO_DISK_DEVICE_DISK, "/images/win.qcow2",
                          VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (uefi, VIREO_DISK_DEVICE_CDROM, "/isos/Win11 English.iso",
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_set_boot_order (uefi, cd_first, G_N_ELEMENTS (cd_first));

  vireo_profile_set_kernel (kernel, "/boot/vmlinuz");
  vireo_profile_set_initrd (kernel, "/boot/initrd.img");
  vireo_profile_set_cmdline (kernel, "console=ttyS0 root=/dev/vda1 rw");
  vireo_profile_add_disk (kernel, VIREO_DISK_DEVICE_DISK, "/images/root.raw",
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_port_forward (kernel, VIREO_PORT_PROTO_TCP, 2222, 22);
  vireo_profile_add_port_forward (kernel, VIREO_PORT_PROTO_UDP, 5353, 5353);

  vireo_profile_set_title (full, "A title");
  vireo_profile_set_description (full, "A description with \"quotes\" & <tags>");
  vireo_profile_set_os_id (full, "http://fedoraproject.org/fedora/39");
  vireo_profile_set_firmware (full, VIREO_FIRMWARE_UEFI);
  vireo_profile_set_loader (full, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  vireo_profile_set_nvram (full, "/images/Everything_VARS.fd");
  vireo_profile_set_kernel (full, "/boot/vmlinuz");
  vireo_profile_set_initrd (full, "/boot/initrd.img");
  vireo_profile_set_cmdline (full, "quiet");
  vireo_profile_set_boot_order (full, all, G_N_ELEMENTS (all));
  vireo_profile_add_disk (full, VIREO_DISK_DEVICE_DISK, "/images/a.qcow2",
                          VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (full, VIREO_DISK_DEVICE_DISK, "/images/b.raw",
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (full, VIREO_DISK_DEVICE_CDROM, NULL,
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_port_forward (full, VIREO_PORT_PROTO_TCP, 8080, 80);

  ok &= save (store, bios);
  ok &= save (store, uefi);
  ok &= save (store, kernel);
  ok &= save (store, full);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
