/* bus.h: port-I/O and MMIO dispatch for one machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Access-width bits for VmmBusOps.widths. */
#define VMM_BUS_W1 (1u << 1)
#define VMM_BUS_W2 (1u << 2)
#define VMM_BUS_W4 (1u << 4)
#define VMM_BUS_W8 (1u << 8)
#define VMM_BUS_WANY (VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4 | VMM_BUS_W8)

/* A device's view of one address range. @offset is relative to the start of
 * the range; @data is little-endian and @len bytes long (1, 2, 4 or 8). */
typedef struct {
  void (*read) (void *opaque, uint64_t offset, uint8_t *data, unsigned len);
  void (*write) (void *opaque, uint64_t offset, const uint8_t *data, unsigned len);
} VmmBusOps;

typedef struct _VmmBus VmmBus;

VmmBus  *vmm_bus_new      (const char *name);
void     vmm_bus_free     (VmmBus *bus);

/* Ranges may overlap only when their @widths are disjoint: the PC puts the
 * byte-wide reset control register at 0xcf9, inside the dword-only PCI
 * address register at 0xcf8. Returns -EEXIST on a conflicting range.
 *
 * Ranges come and go while vCPUs run (the guest moves PCI BARs), yet
 * dispatch takes no lock: it reads an immutable table that registration
 * replaces whole. An @opaque must therefore outlive the bus, not just its
 * registration; device models live as long as their machine. */
int      vmm_bus_register   (VmmBus *bus, uint64_t base, uint64_t len, unsigned widths,
                             const VmmBusOps *ops, void *opaque);
/* Removes the range registered at @base for @opaque. Returns 0 or -ENOENT. */
int      vmm_bus_unregister (VmmBus *bus, uint64_t base, void *opaque);

/* Dispatch one access. Returns FALSE when nothing claims it; an unclaimed
 * read has then been answered with all-ones, as an ISA bus floats high. */
gboolean vmm_bus_read     (VmmBus *bus, uint64_t addr, uint8_t *data, unsigned len);
gboolean vmm_bus_write    (VmmBus *bus, uint64_t addr, const uint8_t *data, unsigned len);

/* Little-endian helpers for device models. */
static inline uint64_t
vmm_le_get (const uint8_t *data, unsigned len)
{
  uint64_t v = 0;
  for (unsigned i = 0; i < len && i < 8; i++)
    v |= (uint64_t) data[i] << (8 * i);
  return v;
}

static inline void
vmm_le_put (uint8_t *data, unsigned len, uint64_t v)
{
  for (unsigned i = 0; i < len && i < 8; i++)
    data[i] = (uint8_t) (v >> (8 * i));
}
