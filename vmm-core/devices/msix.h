/* msix.h: an MSI-X capability with its table and pending-bit array, for
 * any PCI device model (virtio, xHCI, e1000e).
 *
 * The device places the table and the PBA inside one of its BARs and
 * forwards accesses there; notify may be called from any thread. Each
 * vector is delivered through an irqfd on its own GSI route where the
 * platform has routing, so that a device thread raises an interrupt with
 * one eventfd write; masked vectors collect a pending bit and fire when
 * unmasked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"
#include "platform.h"

#include <glib.h>

#define VMM_MSIX_MAX_VECTORS 256

typedef struct _VmmMsix VmmMsix;

/* Adds the capability to @dev. @table_off and @pba_off are offsets inside
 * BAR @bar (8-byte aligned). Returns NULL and sets *@err (-errno) when the
 * capability does not fit. */
VmmMsix *vmm_msix_new           (VmmPciDevice *dev, VmmPlatform *platform, unsigned n_vectors,
                                 unsigned bar, uint32_t table_off, uint32_t pba_off, int *err);
void     vmm_msix_free          (VmmMsix *msix);
/* Bytes of BAR space the table and the PBA take. */
uint32_t vmm_msix_table_size    (unsigned n_vectors);
uint32_t vmm_msix_pba_size      (unsigned n_vectors);

/* Whether the guest enabled MSI-X (then INTx is not used). */
gboolean vmm_msix_enabled       (VmmMsix *msix);
/* Raises @vector (or marks it pending while masked). Returns FALSE when
 * MSI-X is disabled or @vector is out of range: nothing was sent. */
gboolean vmm_msix_notify        (VmmMsix *msix, unsigned vector);
/* BAR accesses inside the table and the PBA, @offset relative to each. */
void     vmm_msix_table_read    (VmmMsix *msix, uint64_t offset, uint8_t *data, unsigned len);
void     vmm_msix_table_write   (VmmMsix *msix, uint64_t offset, const uint8_t *data, unsigned len);
void     vmm_msix_pba_read      (VmmMsix *msix, uint64_t offset, uint8_t *data, unsigned len);
/* Call from the device's config_written hook: the enable and function-mask
 * bits live in config space. */
void     vmm_msix_config_written (VmmMsix *msix);
/* Power-on state: every vector masked, routes released. */
void     vmm_msix_reset         (VmmMsix *msix);
