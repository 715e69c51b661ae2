/* test-smbios.c: the SMBIOS entry point and structures as firmware and
 * an OS read them: checksums, the structure walk with its string sets,
 * the UUID's byte order and the memory ranges.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fw-cfg-guest.h"

#include <gio/gio.h>

#include "firmware/smbios.h"
#include "x86/layout.h"

#define SCRATCH_GPA 0x2000ull

static const uint8_t uuid[16] = {
  0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

static uint8_t
byte_sum (const uint8_t *p, size_t len)
{
  uint8_t s = 0;

  for (size_t i = 0; i < len; i++)
    s = (uint8_t) (s + p[i]);
  return s;
}

/* String @n (from 1) of the structure at @s, checked to lie inside. */
static const char *
string_of (const uint8_t *s, const uint8_t *end, unsigned n)
{
  const char *p = (const char *) s + s[1];

  g_assert_cmpuint (n, >, 0);
  for (unsigned i = 1; i < n; i++)
    {
      p += strlen (p) + 1;
      g_assert_true ((const uint8_t *) p < end);
    }
  g_assert_cmpuint (strlen (p), >, 0);
  return p;
}

typedef struct {
  const uint8_t *s[32];
  unsigned n;
} Walk;

/* Splits the table into structures, checking every length. */
static void
walk (const uint8_t *t, uint32_t len, Walk *w, guint *max_size)
{
  const uint8_t *p = t, *end = t + len;

  w->n = 0;
  *max_size = 0;
  while (p < end)
    {
      const uint8_t *q;

      g_assert_true (p + 4 <= end);
      g_assert_cmpuint (p[1], >=, 4);
      g_assert_cmpuint (w->n, <, G_N_ELEMENTS (w->s));
      w->s[w->n++] = p;
      /* The string set ends at the first double NUL after the formatted
       * area. */
      q = p + p[1];
      while (q + 1 < end && !(q[0] == 0 && q[1] == 0))
        q++;
      g_assert_true (q + 2 <= end);
      *max_size = MAX (*max_size, (guint) (q + 2 - p));
      if (p[0] == 127)
        {
          g_assert_true (q + 2 == end);
          return;
        }
      p = q + 2;
    }
  g_assert_not_reached ();
}

static const uint8_t *
find (const Walk *w, uint8_t type, unsigned nth)
{
  for (unsigned i = 0; i < w->n; i++)
    if (w->s[i][0] == type && nth-- == 0)
      return w->s[i];
  return NULL;
}

static void
check_tables (uint64_t ram, uint64_t lowmem, unsigned cpus)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *ep = NULL, *t = NULL;
  g_autoptr(GBytes) fw_uuid = NULL;
  VmmSmbiosConfig cfg = { .uuid = uuid, .n_cpus = cpus, .ram_size = ram, .lowmem_size = lowmem };
  const uint8_t *s, *end;
  uint32_t ep_len, t_len;
  guint max_size;
  uint64_t mapped = 0;
  Walk w;
  Guest g;

  guest_init (&g);
  g_assert_true (vmm_fw_cfg_add_smbios (g.fw, &cfg, &error));
  g_assert_no_error (error);
  ep = guest_read_file (&g, VMM_SMBIOS_ANCHOR_FILE, &ep_len, SCRATCH_GPA);
  t = guest_read_file (&g, VMM_SMBIOS_TABLES_FILE, &t_len, SCRATCH_GPA);
  g_assert_nonnull (ep);
  g_assert_nonnull (t);
  end = t + t_len;

  /* The entry point: both checksums, and numbers that match the table. */
  g_assert_cmpuint (ep_len, ==, 0x1f);
  g_assert_cmpmem (ep, 4, "_SM_", 4);
  g_assert_cmpuint (ep[5], ==, 0x1f);
  g_assert_cmpuint (byte_sum (ep, 0x1f), ==, 0);
  g_assert_cmpmem (ep + 0x10, 5, "_DMI_", 5);
  g_assert_cmpuint (byte_sum (ep + 0x10, 0xf), ==, 0);
  g_assert_cmpuint (vmm_le_get (ep + 0x16, 2), ==, t_len);
  walk (t, t_len, &w, &max_size);
  g_assert_cmpuint (vmm_le_get (ep + 0x1c, 2), ==, w.n);
  g_assert_cmpuint (vmm_le_get (ep + 8, 2), ==, max_size);

  /* Unique handles. */
  for (unsigned i = 0; i < w.n; i++)
    for (unsigned j = i + 1; j < w.n; j++)
      g_assert_cmpuint (vmm_le_get (w.s[i] + 2, 2), !=, vmm_le_get (w.s[j] + 2, 2));

  s = find (&w, 1, 0);
  g_assert (s != NULL);
  g_assert_cmpstr (string_of (s, end, s[4]), ==, "Vireo");
  g_assert_cmpstr (string_of (s, end, s[5]), ==, "Vireo Virtual Machine");
  g_assert_cmpmem (s + 8, 8, "\x78\x56\x34\x12\xbc\x9a\xf0\xde", 8);
  g_assert_cmpmem (s + 16, 8, uuid + 8, 8);
  fw_uuid = vmm_fw_cfg_get_item (g.fw, FW_CFG_UUID);
  g_assert_cmpmem (g_bytes_get_data (fw_uuid, NULL), g_bytes_get_size (fw_uuid), uuid, 16);

  s = find (&w, 4, 0);
  g_assert (s != NULL);
  g_assert_cmpuint (s[0x23], ==, cpus);
  g_assert_cmpstr (string_of (s, end, s[4]), ==, "CPU 0");
  g_assert_null (find (&w, 4, 1));

  /* The memory device holds all RAM; the mapped ranges cover exactly
   * the RAM regions. */
  s = find (&w, 17, 0);
  g_assert (s != NULL);
  if (vmm_le_get (s + 0xc, 2) == 0x7fff)
    g_assert_cmpuint (vmm_le_get (s + 0x1c, 4), ==, ram >> 20);
  else
    g_assert_cmpuint (vmm_le_get (s + 0xc, 2), ==, ram >> 20);
  g_assert_cmpuint (vmm_le_get (s + 4, 2), ==, vmm_le_get (find (&w, 16, 0) + 2, 2));
  for (unsigned i = 0; (s = find (&w, 19, i)) != NULL; i++)
    {
      uint64_t start, last;

      if (vmm_le_get (s + 4, 4) == 0xffffffff)
        {
          start = vmm_le_get (s + 0xf, 8);
          last = vmm_le_get (s + 0x17, 8);
        }
      else
        {
          start = vmm_le_get (s + 4, 4) << 10;
          last = (vmm_le_get (s + 8, 4) << 10) | 0x3ff;
        }
      g_assert_true (start == 0 || start == VMM_HIGHMEM_BASE);
      g_assert_cmphex (last - start + 1, ==, start == 0 ? lowmem : ram - lowmem);
      mapped += last - start + 1;
    }
  g_assert_cmphex (mapped, ==, ram);
  g_assert_nonnull (find (&w, 32, 0));

  /* A second time: the files exist. */
  g_assert_false (vmm_fw_cfg_add_smbios (g.fw, &cfg, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  guest_clear (&g);
}

static void
test_small (void)
{
  check_tables (256ull << 20, 256ull << 20, 1);
}

static void
test_large (void)
{
  /* 40 GiB: sizes beyond the 16-bit MiB field and 32-bit KiB addresses. */
  check_tables (40ull << 30, VMM_LOWMEM_LIMIT, 8);
}

static void
test_invalid (void)
{
  VmmSmbiosConfig bad[] = {
    { .n_cpus = 0, .ram_size = 1 << 30, .lowmem_size = 1 << 30 },
    { .n_cpus = 256, .ram_size = 1 << 30, .lowmem_size = 1 << 30 },
    { .n_cpus = 1, .ram_size = 1 << 30, .lowmem_size = 2ull << 30 },
    { .n_cpus = 1, .ram_size = 0, .lowmem_size = 0 },
  };
  Guest g;

  guest_init (&g);
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vmm_fw_cfg_add_smbios (g.fw, &bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, VMM_SMBIOS_TABLES_FILE), <, 0);
  guest_clear (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/smbios/small", test_small);
  g_test_add_func ("/smbios/large", test_large);
  g_test_add_func ("/smbios/invalid", test_invalid);
  return g_test_run ();
}
