/* test-bootorder.c: the "bootorder" file from a machine's boot order by
 * kind of drive, with the paths QEMU gives the same drives.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "ahci/ahci.h"
#include "devices/pci.h"
#include "firmware/bootorder.h"

static void
test_paths (void)
{
  g_autofree char *blk = vmm_bootorder_virtio_blk_path (VMM_PCI_DEVFN (4, 0));
  g_autofree char *blk_fn = vmm_bootorder_virtio_blk_path (VMM_PCI_DEVFN (0x1f, 3));
  g_autofree char *sata = vmm_ahci_boot_path (VMM_PCI_DEVFN (0x1f, 2), 1);

  g_assert_cmpstr (blk, ==, "/pci@i0cf8/scsi@4/disk@0,0");
  g_assert_cmpstr (blk_fn, ==, "/pci@i0cf8/scsi@1f,3/disk@0,0");
  g_assert_cmpstr (sata, ==, "/pci@i0cf8/pci8086,2922@1f,2/drive@1/disk@0");
}

static const VmmBootDrive drives[] = {
  { VMM_BOOT_DISK, "/disk-a" },
  { VMM_BOOT_CDROM, "/cd-a" },
  { VMM_BOOT_DISK, "/disk-b" },
  { VMM_BOOT_CDROM, "/cd-b" },
  /* A CD-ROM drive not created: nothing to boot from. */
  { VMM_BOOT_CDROM, NULL },
};

static void
test_build (void)
{
  static const VmmBootDevice cd_first[] = { VMM_BOOT_CDROM, VMM_BOOT_DISK };
  static const VmmBootDevice disk_only[] = { VMM_BOOT_DISK };
  static const VmmBootDevice twice[] = { VMM_BOOT_CDROM, VMM_BOOT_DISK, VMM_BOOT_CDROM };
  g_autofree char *a = vmm_bootorder_build (cd_first, G_N_ELEMENTS (cd_first),
                                            drives, G_N_ELEMENTS (drives));
  g_autofree char *b = vmm_bootorder_build (disk_only, 1, drives, G_N_ELEMENTS (drives));
  g_autofree char *c = vmm_bootorder_build (twice, G_N_ELEMENTS (twice),
                                            drives, G_N_ELEMENTS (drives));

  /* Each kind in turn, drives in config order within it. */
  g_assert_cmpstr (a, ==, "/cd-a\n/cd-b\n/disk-a\n/disk-b\n");
  g_assert_cmpstr (b, ==, "/disk-a\n/disk-b\n");
  /* A kind named again adds nothing. */
  g_assert_cmpstr (c, ==, a);
}

static void
test_nothing_to_boot (void)
{
  static const VmmBootDevice cd[] = { VMM_BOOT_CDROM };

  /* No order, no drives, or no drive of the kinds named: the firmware
   * keeps its own order. */
  g_assert_null (vmm_bootorder_build (NULL, 0, drives, G_N_ELEMENTS (drives)));
  g_assert_null (vmm_bootorder_build (cd, 1, NULL, 0));
  g_assert_null (vmm_bootorder_build (cd, 1, drives, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bootorder/paths", test_paths);
  g_test_add_func ("/bootorder/build", test_build);
  g_test_add_func ("/bootorder/nothing-to-boot", test_nothing_to_boot);
  return g_test_run ();
}
