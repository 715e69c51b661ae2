/* bus.c: port-I/O and MMIO dispatch.
 *
 * A machine has a few dozen ranges, so a flat array searched linearly is
 * both simpler and faster than a tree here. The array is copied on every
 * change and published with one atomic store, so that vCPU threads dispatch
 * without a lock while the guest remaps BARs on another vCPU (a lock would
 * also deadlock: a config write that moves a BAR arrives through ECAM,
 * itself a range of this bus). Replaced tables are kept until the bus is
 * freed, since a vCPU may still be reading one; BAR moves happen a handful
 * of times per boot.
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

typedef struct {
  guint n;
  VmmBusRange range[];
} VmmBusTable;

struct _VmmBus {
  char *name;
  GMutex lock;          /* serializes writers */
  VmmBusTable *table;   /* read with g_atomic_pointer_get */
  GPtrArray *retired;
};

static VmmBusTable *
table_new (guint n)
{
  VmmBusTable *t = g_malloc0 (sizeof (VmmBusTable) + n * sizeof (VmmBusRange));

  t->n = n;
  return t;
}

VmmBus *
vmm_bus_new (const char *name)
{
  VmmBus *bus = g_new0 (VmmBus, 1);

  bus->name = g_strdup (name);
  g_mutex_init (&bus->lock);
  bus->table = table_new (0);
  bus->retired = g_ptr_array_new_with_free_func (g_free);
  return bus;
}

void
vmm_bus_free (VmmBus *bus)
{
  if (bus == NULL)
    return;
  g_ptr_array_unref (bus->retired);
  g_free (bus->table);
  g_mutex_clear (&bus->lock);
  g_free (bus->name);
  g_free (bus);
}

static gboolean
ranges_overlap (uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
  return a < b + blen && b < a + alen;
}

static void
publish (VmmBus *bus, VmmBusTable *t)
{
  g_ptr_array_add (bus->retired, bus->table);
  g_atomic_pointer_set (&bus->table, t);
}

int
vmm_bus_register (VmmBus *bus, uint64_t base, uint64_t len, unsigned widths,
                  const VmmBusOps *ops, void *opaque)
{
  VmmBusTable *old, *t;

  g_return_val_if_fail (bus != NULL && ops != NULL, -EINVAL);
  if (len == 0 || base + len < base || (widths & VMM_BUS_WANY) == 0)
    return -EINVAL;

  g_mutex_lock (&bus->lock);
  old = bus->table;
  for (guint i = 0; i < old->n; i++)
    {
      const VmmBusRange *o = &old->range[i];
      if (ranges_overlap (o->base, o->len, base, len) && (o->widths & widths) != 0)
        {
          g_mutex_unlock (&bus->lock);
          return -EEXIST;
        }
    }
  t = table_new (old->n + 1);
  memcpy (t->range, old->range, old->n * sizeof (VmmBusRange));
  t->range[old->n] = (VmmBusRange) { base, len, widths, ops, opaque };
  publish (bus, t);
  g_mutex_unlock (&bus->lock);
  return 0;
}

int
vmm_bus_unregister (VmmBus *bus, uint64_t base, void *opaque)
{
  VmmBusTable *old, *t;
  guint j = 0;
  gboolean found = FALSE;

  g_return_val_if_fail (bus != NULL, -EINVAL);
  g_mutex_lock (&bus->lock);
  old = bus->table;
  t = table_new (old->n);
  for (guint i = 0; i < old->n; i++)
    {
      if (!found && old->range[i].base == base && old->range[i].opaque == opaque)
        found = TRUE;
      else
        t->range[j++] = old->range[i];
    }
  if (!found)
    {
      g_free (t);
      g_mutex_unlock (&bus->lock);
      return -ENOENT;
    }
  t->n = j;
  publish (bus, t);
  g_mutex_unlock (&bus->lock);
  return 0;
}

static gboolean
bus_find (VmmBus *bus, uint64_t addr, unsigned len, VmmBusRange *out)
{
  const VmmBusTable *t = g_atomic_pointer_get (&bus->table);
  unsigned w = len <= 8 ? (1u << len) : 0;

  for (guint i = 0; i < t->n; i++)
    {
      const VmmBusRange *r = &t->range[i];
      /* The whole access must fall inside the range. */
      if (addr >= r->base && addr - r->base < r->len && len <= r->len - (addr - r->base)
          && (r->widths & w) != 0)
        {
          *out = *r;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
vmm_bus_read (VmmBus *bus, uint64_t addr, uint8_t *data, unsigned len)
{
  VmmBusRange r;
  gboolean found = bus_find (bus, addr, len, &r);

  if (!found || r.ops->read == NULL)
    {
      memset (data, 0xff, len);
      return found;
    }
  r.ops->read (r.opaque, addr - r.base, data, len);
  return TRUE;
}

gboolean
vmm_bus_write (VmmBus *bus, uint64_t addr, const uint8_t *data, unsigned len)
{
  VmmBusRange r;

  if (!bus_find (bus, addr, len, &r))
    return FALSE;
  if (r.ops->write != NULL)
    r.ops->write (r.opaque, addr - r.base, data, len);
  return TRUE;
}
