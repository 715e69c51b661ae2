/* test-bus.c: port-bus dispatch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"

#include <errno.h>

typedef struct {
  uint64_t last_offset;
  unsigned last_len;
  uint64_t last_value;
  unsigned reads, writes;
  uint8_t fill;
} Dev;

static void
dev_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  Dev *d = opaque;

  d->reads++;
  d->last_offset = offset;
  d->last_len = len;
  for (unsigned i = 0; i < len; i++)
    data[i] = (uint8_t) (d->fill + i);
}

static void
dev_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  Dev *d = opaque;

  d->writes++;
  d->last_offset = offset;
  d->last_len = len;
  d->last_value = vmm_le_get (data, len);
}

static const VmmBusOps ops = { dev_read, dev_write };
static const VmmBusOps write_only_ops = { NULL, dev_write };

static void
test_dispatch (void)
{
  VmmBus *bus = vmm_bus_new ("pio");
  Dev a = { .fill = 0x10 }, b = { .fill = 0x20 };
  uint8_t buf[4] = { 0x78, 0x56, 0x34, 0x12 };

  g_assert_cmpint (vmm_bus_register (bus, 0x100, 8, VMM_BUS_WANY, &ops, &a), ==, 0);
  g_assert_cmpint (vmm_bus_register (bus, 0x200, 2, VMM_BUS_W1, &ops, &b), ==, 0);

  g_assert_true (vmm_bus_write (bus, 0x104, buf, 4));
  g_assert_cmpuint (a.last_offset, ==, 4);
  g_assert_cmpuint (a.last_len, ==, 4);
  g_assert_cmphex (a.last_value, ==, 0x12345678);

  g_assert_true (vmm_bus_read (bus, 0x201, buf, 1));
  g_assert_cmpuint (b.last_offset, ==, 1);
  g_assert_cmphex (buf[0], ==, 0x20);
  g_assert_cmpuint (a.reads, ==, 0);
  vmm_bus_free (bus);
}

static void
test_unassigned_reads_all_ones (void)
{
  VmmBus *bus = vmm_bus_new ("pio");
  Dev a = { 0 };
  uint8_t buf[8] = { 0 };

  g_assert_cmpint (vmm_bus_register (bus, 0x100, 4, VMM_BUS_WANY, &ops, &a), ==, 0);
  g_assert_false (vmm_bus_read (bus, 0x80, buf, 4));
  for (unsigned i = 0; i < 4; i++)
    g_assert_cmphex (buf[i], ==, 0xff);
  g_assert_false (vmm_bus_write (bus, 0x80, buf, 1));
  /* Straddling the end of a range is not an access to it. */
  g_assert_false (vmm_bus_read (bus, 0x102, buf, 4));
  g_assert_false (vmm_bus_read (bus, 0xff, buf, 2));
  /* Nor are widths that are not 1, 2, 4 or 8. */
  g_assert_false (vmm_bus_read (bus, 0x100, buf, 3));
  g_assert_cmpuint (a.reads, ==, 0);
  vmm_bus_free (bus);
}

static void
test_width_overlap (void)
{
  VmmBus *bus = vmm_bus_new ("pio");
  Dev addr = { .fill = 0xa0 }, rcr = { .fill = 0xb0 };
  uint8_t buf[4];

  /* The 0xcf8/0xcf9 arrangement. */
  g_assert_cmpint (vmm_bus_register (bus, 0xcf8, 4, VMM_BUS_W4, &ops, &addr), ==, 0);
  g_assert_cmpint (vmm_bus_register (bus, 0xcf9, 1, VMM_BUS_W1, &ops, &rcr), ==, 0);
  g_assert_cmpint (vmm_bus_register (bus, 0xcf8, 2, VMM_BUS_W4, &ops, &rcr), ==, -EEXIST);
  g_assert_cmpint (vmm_bus_register (bus, 0xcf0, 0, VMM_BUS_W1, &ops, &rcr), ==, -EINVAL);
  g_assert_cmpint (vmm_bus_register (bus, 0xcf0, 1, 0, &ops, &rcr), ==, -EINVAL);
  g_assert_cmpint (vmm_bus_register (bus, G_MAXUINT64, 2, VMM_BUS_W1, &ops, &rcr), ==, -EINVAL);

  g_assert_true (vmm_bus_read (bus, 0xcf8, buf, 4));
  g_assert_cmphex (buf[0], ==, 0xa0);
  g_assert_true (vmm_bus_read (bus, 0xcf9, buf, 1));
  g_assert_cmphex (buf[0], ==, 0xb0);
  g_assert_false (vmm_bus_read (bus, 0xcf8, buf, 1));
  g_assert_false (vmm_bus_read (bus, 0xcf8, buf, 2));
  vmm_bus_free (bus);
}

static void
test_write_only_device (void)
{
  VmmBus *bus = vmm_bus_new ("pio");
  Dev a = { 0 };
  uint8_t buf[2] = { 0 };

  g_assert_cmpint (vmm_bus_register (bus, 0x80, 1, VMM_BUS_W1, &write_only_ops, &a), ==, 0);
  /* Claimed, but there is nothing to read: the bus floats. */
  g_assert_true (vmm_bus_read (bus, 0x80, buf, 1));
  g_assert_cmphex (buf[0], ==, 0xff);
  g_assert_true (vmm_bus_write (bus, 0x80, buf, 1));
  g_assert_cmpuint (a.writes, ==, 1);
  vmm_bus_free (bus);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/bus/dispatch", test_dispatch);
  g_test_add_func ("/vmm/bus/unassigned", test_unassigned_reads_all_ones);
  g_test_add_func ("/vmm/bus/width-overlap", test_width_overlap);
  g_test_add_func ("/vmm/bus/write-only", test_write_only_device);
  return g_test_run ();
}
