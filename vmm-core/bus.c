/* bus.c: port-I/O and MMIO dispatch.
 *
 * A machine has a handful of ranges, so a flat array searched linearly is
 * both simpler and faster than a tree here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"

#include <errno.h>
#include <string.h>

typedef struct {
  uint64_t base;
  uint64_t len;
  unsigned widths;
  const VmmBusOps *ops;
  void *opaque;
} VmmBusRange;

struct _VmmBus {
  char *name;
  GArray *ranges;
};

VmmBus *
vmm_bus_new (const char *name)
{
  VmmBus *bus = g_new0 (VmmBus, 1);

  bus->name = g_strdup (name);
  bus->ranges = g_array_new (FALSE, TRUE, sizeof (VmmBusRange));
  return bus;
}

void
vmm_bus_free (VmmBus *bus)
{
  if (bus == NULL)
    return;
  g_array_unref (bus->ranges);
  g_free (bus->name);
  g_free (bus);
}

static gboolean
ranges_overlap (uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
  return a < b + blen && b < a + alen;
}

int
vmm_bus_register (VmmBus *bus, uint64_t base, uint64_t len, unsigned widths,
                  const VmmBusOps *ops, void *opaque)
{
  VmmBusRange r = { base, len, widths, ops, opaque };

  g_return_val_if_fail (bus != NULL && ops != NULL, -EINVAL);
  if (len == 0 || base + len < base || (widths & VMM_BUS_WANY) == 0)
    return -EINVAL;

  for (guint i = 0; i < bus->ranges->len; i++)
    {
      const VmmBusRange *o = &g_array_index (bus->ranges, VmmBusRange, i);
      if (ranges_overlap (o->base, o->len, base, len) && (o->widths & widths) != 0)
        return -EEXIST;
    }
  g_array_append_val (bus->ranges, r);
  return 0;
}

static const VmmBusRange *
bus_find (VmmBus *bus, uint64_t addr, unsigned len)
{
  unsigned w = len <= 8 ? (1u << len) : 0;

  for (guint i = 0; i < bus->ranges->len; i++)
    {
      const VmmBusRange *r = &g_array_index (bus->ranges, VmmBusRange, i);
      /* The whole access must fall inside the range. */
      if (addr >= r->base && addr - r->base < r->len && len <= r->len - (addr - r->base)
          && (r->widths & w) != 0)
        return r;
    }
  return NULL;
}

gboolean
vmm_bus_read (VmmBus *bus, uint64_t addr, uint8_t *data, unsigned len)
{
  const VmmBusRange *r = bus_find (bus, addr, len);

  if (r == NULL || r->ops->read == NULL)
    {
      memset (data, 0xff, len);
      return r != NULL;
    }
  r->ops->read (r->opaque, addr - r->base, data, len);
  return TRUE;
}

gboolean
vmm_bus_write (VmmBus *bus, uint64_t addr, const uint8_t *data, unsigned len)
{
  const VmmBusRange *r = bus_find (bus, addr, len);

  if (r == NULL)
    return FALSE;
  if (r->ops->write != NULL)
    r->ops->write (r->opaque, addr - r->base, data, len);
  return TRUE;
}
