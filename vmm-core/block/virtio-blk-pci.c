/* virtio-blk-pci.c: a virtio-blk device on the virtio PCI transport.
 *
 * Apart from virtio-blk.c so that the unit tests can drive the device
 * model through a transport of their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "block/virtio-blk-private.h"

VmmPciDevice *
vmm_virtio_blk_new (VmmPlatform *platform, VmmImage *image, const VmmVirtioBlkConfig *cfg,
                    GError **error)
{
  VmmVirtioDeviceDesc desc;
  VmmVirtioBlk *blk;
  VmmPciDevice *pci;
  VmmVirtio *vio = NULL;
  int r;

  g_return_val_if_fail (platform != NULL && image != NULL && cfg != NULL, NULL);

  blk = vmm_virtio_blk_create (image, cfg, &desc, error);
  if (blk == NULL)
    return NULL;
  pci = vmm_virtio_pci_new (platform, &desc, &vio, error);
  if (pci == NULL)
    {
      vmm_virtio_blk_free_keep_image (blk);
      return NULL;
    }
  r = vmm_virtio_blk_attach (blk, vio);
  if (r < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                   "virtio-blk: cannot watch the I/O engine: %s", g_strerror (-r));
      /* The transport owns the device now; its destroy must not take the
       * image the caller still owns. */
      vmm_virtio_blk_detach_image (blk);
      vmm_pci_device_free (pci);
      return NULL;
    }
  return pci;
}
