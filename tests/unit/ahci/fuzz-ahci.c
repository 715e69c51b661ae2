/* fuzz-ahci.c: arbitrary command lists, command tables, FISes, PRDTs and
 * ATAPI packets against an HBA with a disk and a CD-ROM.
 *
 * The input is guest RAM from address 0: the command list (CLB = 0), the
 * command tables and PRDTs wherever its headers point, and the data
 * buffers. Its first bytes choose the port and the slots to issue. Every
 * run starts with an HBA reset. With bit 1 of the first byte set, the
 * input is also read as a program of ABAR writes (2-byte offset, 4-byte
 * value, 1 byte whether to let the HBA finish its work then), so that
 * resets, stops and reprogrammed lists meet commands in flight.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

#include "ahci-test-driver.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static Atd *atd;

static VmmImage *
make_image (const char *dir, const char *name, uint64_t size, bool ro)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  VmmImage *img;

  if (!vmm_image_create_raw (path, size, &error))
    g_error ("%s", error->message);
  img = vmm_image_open (path, VMM_IMAGE_FORMAT_RAW, ro, &error);
  if (img == NULL)
    g_error ("%s", error->message);
  /* Open files outlive their names. */
  g_unlink (path);
  return img;
}

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fuzz-ahci-XXXXXX", &error);
  VmmAhciConfig cfg = { 0 };

  if (dir == NULL)
    g_error ("%s", error->message);
  cfg.drives[0] = (VmmAhciDrive) { VMM_AHCI_DRIVE_DISK, make_image (dir, "d", 1 << 20, false),
                                   false, NULL };
  cfg.drives[1] = (VmmAhciDrive) { VMM_AHCI_DRIVE_CDROM, make_image (dir, "c", 1 << 20, true),
                                   false, NULL };
  g_rmdir (dir);
  atd = atd_new (&cfg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  unsigned port;
  uint8_t mode;
  uint32_t ci;
  uint8_t *ram;

  if (size < 5)
    return 0;
  if (atd == NULL)
    setup ();
  ram = atd_ram (atd);
  mode = data[0];
  port = mode & 1;
  ci = (uint32_t) vmm_le_get (data + 1, 4);
  data += 5;
  size -= 5;

  atd_write (atd, 0x04, 1);                 /* HBA reset */
  memset (ram, 0, 0x40000);
  memcpy (ram, data, MIN (size, (size_t) 0x40000));
  atd_write (atd, 0x04, 0x80000002u);
  atd_port_write (atd, port, ATD_PX_CLB, 0);
  atd_port_write (atd, port, ATD_PX_FB, 0x3ff00);
  atd_port_write (atd, port, ATD_PX_IE, 0xffffffffu);
  atd_port_write (atd, port, ATD_PX_CMD, (1u << 4) | 1);
  /* Slots whose header asks for NCQ get their tag bit too, as drivers do. */
  atd_port_write (atd, port, ATD_PX_SACT, ci);
  atd_port_write (atd, port, ATD_PX_CI, ci);
  vmm_ahci_drain (atd_pci (atd));
  /* A second round on the same state: slots freed by the first. */
  atd_port_write (atd, port, ATD_PX_CI, ci);
  vmm_ahci_drain (atd_pci (atd));
  if (mode & 2)
    for (size_t i = 0; i + 7 <= size && i < 7 * 64; i += 7)
      {
        unsigned off = (unsigned) vmm_le_get (data + i, 2) & 0xffc;

        atd_write (atd, off, (uint32_t) vmm_le_get (data + i + 2, 4));
        if (data[i + 6] & 1)
          vmm_ahci_drain (atd_pci (atd));
      }
  vmm_ahci_drain (atd_pci (atd));
  atd_port_write (atd, port, ATD_PX_CMD, 0);
  return 0;
}
