/* platform.h: what the machine offers a PCI device model beyond its
 * registers: guest RAM, interrupt lines, MSI delivery and the KVM fast
 * paths (irqfd, ioeventfd).
 *
 * The machine implements these on its KVM VM; unit tests implement them in
 * memory, so device models and transports run without KVM. Every op may be
 * called from any thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "guest-mem.h"

#include <glib.h>
#include <stdint.h>

/* ram_map flags. */
#define VMM_RAM_LOG_DIRTY  0x1u   /* record the pages the guest writes */
#define VMM_RAM_READ_ONLY  0x2u   /* guest writes exit as MMIO instead */

typedef struct {
  /* Drives an interrupt line (an IOAPIC GSI) to @level. */
  void (*set_irq)           (void *opaque, unsigned gsi, gboolean level);
  /* Delivers one MSI now. */
  void (*signal_msi)        (void *opaque, uint64_t addr, uint32_t data);
  /* Routes a GSI to an MSI message: @gsi < 0 allocates one. Returns the
   * GSI or -errno (-ENOSYS where the platform has no routing: then use
   * signal_msi). */
  int  (*msi_route)         (void *opaque, int gsi, uint64_t addr, uint32_t data);
  void (*msi_route_release) (void *opaque, int gsi);
  /* Makes a write to eventfd @fd raise @gsi inside the kernel. */
  int  (*irqfd)             (void *opaque, int gsi, int fd, gboolean assign);
  /* Makes a guest write of @len bytes at @addr (port I/O when @pio)
   * signal eventfd @fd instead of exiting to the monitor. -ENOSYS when
   * unavailable: the device then sees the write on its bus ops. */
  int  (*ioeventfd)         (void *opaque, gboolean pio, uint64_t addr, unsigned len,
                             int fd, gboolean assign);
  /* Maps @size bytes of host memory at @host into the guest at @gpa, as
   * RAM the guest reads and writes without exits (a framebuffer BAR);
   * @flags: VMM_RAM_LOG_DIRTY records which pages the guest wrote,
   * VMM_RAM_READ_ONLY sends the guest's writes to the MMIO bus (a ROM).
   * Returns a handle >= 0 or -errno (-ENOSYS without a VM to map into). */
  int  (*ram_map)           (void *opaque, uint64_t gpa, uint64_t size, void *host,
                             unsigned flags);
  void (*ram_unmap)         (void *opaque, int handle);
  /* Sets a bit per 4 KiB page written since the previous call (@bitmap has
   * room for size / 4096 bits, in unsigned longs) and clears the record. */
  int  (*ram_dirty_log)     (void *opaque, int handle, unsigned long *bitmap);
} VmmPlatformOps;

typedef struct {
  const VmmPlatformOps *ops;
  void *opaque;
  VmmGuestMem mem;
} VmmPlatform;
