/* bootorder.c: the fw_cfg "bootorder" file from a machine's boot order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/bootorder.h"

char *
vmm_bootorder_virtio_blk_path (uint8_t devfn)
{
  unsigned slot = devfn >> 3, fn = devfn & 7;

  /* Function 0 is left out of the unit address, as for every PCI node. */
  if (fn == 0)
    return g_strdup_printf ("/pci@i0cf8/scsi@%x/disk@0,0", slot);
  return g_strdup_printf ("/pci@i0cf8/scsi@%x,%x/disk@0,0", slot, fn);
}

char *
vmm_bootorder_build (const VmmBootDevice *order, unsigned n_order,
                     const VmmBootDrive *drives, unsigned n_drives)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (order != NULL || n_order == 0, NULL);
  g_return_val_if_fail (drives != NULL || n_drives == 0, NULL);

  for (unsigned i = 0; i < n_order; i++)
    {
      gboolean again = FALSE;

      for (unsigned j = 0; j < i; j++)
        again |= order[j] == order[i];
      if (again)
        continue;
      for (unsigned d = 0; d < n_drives; d++)
        if (drives[d].kind == order[i] && drives[d].path != NULL)
          g_string_append_printf (out, "%s\n", drives[d].path);
    }
  if (out->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
