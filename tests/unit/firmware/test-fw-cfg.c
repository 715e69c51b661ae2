/* test-fw-cfg.c: the fw_cfg device driven from the guest side: the port
 * interface, the file directory, DMA reads, skips, selects and writes, and
 * DMA requests a hostile guest might make.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fw-cfg-guest.h"

#include <errno.h>

#define ACCESS_GPA  0x2000ull
#define BUFFER_GPA  0x3000ull

static void
test_signature_and_id (void)
{
  Guest g;
  uint8_t buf[8], id[4];

  guest_init (&g);
  guest_select (&g, FW_CFG_SIGNATURE);
  guest_read_data (&g, buf, 5);
  g_assert_cmpmem (buf, 4, "QEMU", 4);
  g_assert_cmpuint (buf[4], ==, 0);   /* past the end: zeros */

  guest_select (&g, FW_CFG_ID);
  guest_read_data (&g, id, 4);
  g_assert_cmpuint (id[0] & (FW_CFG_VERSION | FW_CFG_VERSION_DMA), ==,
                    FW_CFG_VERSION | FW_CFG_VERSION_DMA);

  /* The DMA register reads "QEMU CFG" in big-endian order. */
  vmm_fw_cfg_pio_read (g.fw, VMM_FW_CFG_PORT_DMA, buf, 4);
  vmm_fw_cfg_pio_read (g.fw, VMM_FW_CFG_PORT_DMA + 4, buf + 4, 4);
  g_assert_cmpmem (buf, 8, "QEMU CFG", 8);

  /* Reselecting starts over at offset 0. */
  guest_select (&g, FW_CFG_SIGNATURE);
  guest_read_data (&g, buf, 2);
  guest_select (&g, FW_CFG_SIGNATURE);
  guest_read_data (&g, buf, 4);
  g_assert_cmpmem (buf, 4, "QEMU", 4);
  guest_clear (&g);
}

static void
test_items (void)
{
  Guest g;
  uint8_t buf[8];

  guest_init (&g);
  g_assert_cmpint (vmm_fw_cfg_set_u64 (g.fw, FW_CFG_RAM_SIZE, 0x123456789ull), ==, 0);
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_NB_CPUS, 3), ==, 0);
  g_assert_cmpint (vmm_fw_cfg_set_u32 (g.fw, VMM_FW_CFG_X86_IRQ0_OVERRIDE, 1), ==, 0);
  /* The device's own keys and file keys cannot be set this way. */
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_SIGNATURE, 0), ==, -EINVAL);
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_ID, 0), ==, -EINVAL);
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_FILE_DIR, 0), ==, -EINVAL);
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_FILE_FIRST, 0), ==, -EINVAL);
  g_assert_cmpint (vmm_fw_cfg_set_u16 (g.fw, FW_CFG_RAM_SIZE | FW_CFG_WRITE_CHANNEL, 0), ==, -EINVAL);

  guest_select (&g, FW_CFG_RAM_SIZE);
  guest_read_data (&g, buf, 8);
  g_assert_cmpmem (buf, 8, "\x89\x67\x45\x23\x01\x00\x00\x00", 8);
  /* The write-channel bit selects the same item. */
  guest_select (&g, FW_CFG_NB_CPUS | FW_CFG_WRITE_CHANNEL);
  guest_read_data (&g, buf, 2);
  g_assert_cmpuint (buf[0], ==, 3);
  guest_select (&g, VMM_FW_CFG_X86_IRQ0_OVERRIDE);
  guest_read_data (&g, buf, 4);
  g_assert_cmpuint (buf[0], ==, 1);
  guest_clear (&g);
}

static void
test_selector_out_of_range (void)
{
  static const uint16_t keys[] = { 0x3fff, 0x7fff, 0x8fff, 0xbfff, 0xffff, FW_CFG_INVALID, 0x20 };
  Guest g;

  guest_init (&g);
  for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      uint8_t buf[16];

      memset (buf, 0xaa, sizeof buf);
      guest_select (&g, keys[i]);
      guest_read_data (&g, buf, sizeof buf);
      for (size_t j = 0; j < sizeof buf; j++)
        g_assert_cmpuint (buf[j], ==, 0);
      /* A DMA read of a missing item fills zeros and succeeds. */
      memset (guest_ptr (&g, BUFFER_GPA), 0xaa, 16);
      g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_READ, 16, BUFFER_GPA), ==, 0);
      g_assert_cmpuint (guest_ptr (&g, BUFFER_GPA)[15], ==, 0);
      /* Writing to it is refused. */
      g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_WRITE, 4, BUFFER_GPA), ==,
                        FW_CFG_DMA_CTL_ERROR);
    }
  guest_clear (&g);
}

static void
test_bad_port_widths (void)
{
  Guest g;
  uint8_t buf[4] = { 0 }, w[4] = { 1, 0, 0, 0 };

  guest_init (&g);
  /* Byte writes to the selector, dword reads of the data port and
   * accesses between the registers do nothing and read as all-ones. */
  guest_select (&g, FW_CFG_SIGNATURE);
  vmm_fw_cfg_pio_write (g.fw, VMM_FW_CFG_PORT_SELECTOR, w, 1);
  vmm_fw_cfg_pio_read (g.fw, VMM_FW_CFG_PORT_DATA, buf, 4);
  g_assert_cmphex (vmm_le_get (buf, 4), ==, 0xffffffff);
  vmm_fw_cfg_pio_read (g.fw, 0x512, buf, 1);
  g_assert_cmphex (buf[0], ==, 0xff);
  vmm_fw_cfg_pio_write (g.fw, VMM_FW_CFG_PORT_DMA + 2, w, 4);
  vmm_fw_cfg_pio_write (g.fw, VMM_FW_CFG_PORT_DMA + 4, w, 2);
  guest_read_data (&g, buf, 1);
  g_assert_cmpuint (buf[0], ==, 'Q');
  guest_clear (&g);
}

static void
test_directory (void)
{
  Guest g;
  g_autoptr(GBytes) a = g_bytes_new_static ("alpha", 5);
  g_autoptr(GBytes) b = g_bytes_new_static ("bravo!", 6);
  g_autoptr(GBytes) c = g_bytes_new_static ("", 0);
  char long_name[FW_CFG_MAX_FILE_PATH + 1];
  const char *expect[] = { "bootorder", "etc/a", "etc/e820", "genroms/x.bin" };
  uint8_t hdr[4], e[64], data[8];
  int key_b, key_a;
  uint32_t size = 0;
  g_autofree uint8_t *contents = NULL;

  guest_init (&g);
  key_b = vmm_fw_cfg_add_file (g.fw, "etc/e820", b, FALSE);
  key_a = vmm_fw_cfg_add_file (g.fw, "bootorder", a, FALSE);
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, "genroms/x.bin", c, FALSE), >=, FW_CFG_FILE_FIRST);
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, "etc/a", a, FALSE), >=, FW_CFG_FILE_FIRST);
  g_assert_cmpint (key_a, >=, FW_CFG_FILE_FIRST);
  g_assert_cmpint (key_b, >=, FW_CFG_FILE_FIRST);
  g_assert_cmpint (key_a, !=, key_b);
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, "bootorder"), ==, key_a);
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, "nope"), ==, -ENOENT);

  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, "bootorder", a, FALSE), ==, -EEXIST);
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, "", a, FALSE), ==, -EINVAL);
  memset (long_name, 'x', FW_CFG_MAX_FILE_PATH);
  long_name[FW_CFG_MAX_FILE_PATH] = 0;
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, long_name, a, FALSE), ==, -ENAMETOOLONG);
  long_name[FW_CFG_MAX_FILE_PATH - 1] = 0;    /* 55 characters fit */
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, long_name, a, FALSE), >=, FW_CFG_FILE_FIRST);

  /* Sorted by name, sizes and keys big-endian, names NUL-padded. */
  guest_select (&g, FW_CFG_FILE_DIR);
  guest_read_data (&g, hdr, 4);
  g_assert_cmpuint (be32_get (hdr), ==, 5);
  for (size_t i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      guest_read_data (&g, e, sizeof e);
      g_assert_cmpstr ((const char *) e + 8, ==, expect[i]);
      g_assert_cmpuint (e[8 + strlen (expect[i])], ==, 0);
      if (strcmp (expect[i], "bootorder") == 0)
        {
          g_assert_cmpuint (be32_get (e), ==, 5);
          g_assert_cmpint (e[4] << 8 | e[5], ==, key_a);
        }
      if (strcmp (expect[i], "etc/e820") == 0)
        {
          g_assert_cmpuint (be32_get (e), ==, 6);
          g_assert_cmpint (e[4] << 8 | e[5], ==, key_b);
        }
    }
  guest_read_data (&g, e, sizeof e);
  g_assert_cmpuint (e[8], ==, 'x');
  g_assert_cmpuint (e[8 + FW_CFG_MAX_FILE_PATH - 1], ==, 0);

  /* A file through the data port. */
  guest_select (&g, (uint16_t) key_b);
  guest_read_data (&g, data, 7);
  g_assert_cmpmem (data, 7, "bravo!\0", 7);

  contents = guest_read_file (&g, "etc/a", &size, BUFFER_GPA);
  g_assert_nonnull (contents);
  g_assert_cmpmem (contents, size, "alpha", 5);
  guest_clear (&g);
}

/* Replacing a file's contents changes its size in the directory; a file
 * that was not there is added; a writable one gets the new contents as
 * what a reset restores. */
static void
test_set_file (void)
{
  Guest g;
  g_autoptr(GBytes) a = g_bytes_new_static ("alpha", 5);
  g_autoptr(GBytes) longer = g_bytes_new_static ("a longer text", 13);
  g_autoptr(GBytes) w = g_bytes_new_static ("wxyz", 4);
  g_autoptr(GBytes) got = NULL;
  g_autofree uint8_t *contents = NULL;
  uint32_t size = 0;
  int key;

  guest_init (&g);
  key = vmm_fw_cfg_set_file (g.fw, "bootorder", a);
  g_assert_cmpint (key, >=, FW_CFG_FILE_FIRST);
  g_assert_cmpint (vmm_fw_cfg_set_file (g.fw, "bootorder", longer), ==, key);
  contents = guest_read_file (&g, "bootorder", &size, BUFFER_GPA);
  g_assert_nonnull (contents);
  g_assert_cmpmem (contents, size, "a longer text", 13);
  g_clear_pointer (&contents, g_free);
  g_assert_cmpint (vmm_fw_cfg_set_file (g.fw, "bootorder", a), ==, key);
  contents = guest_read_file (&g, "bootorder", &size, BUFFER_GPA);
  g_assert_cmpmem (contents, size, "alpha", 5);

  key = vmm_fw_cfg_add_file (g.fw, "etc/w", a, TRUE);
  g_assert_cmpint (vmm_fw_cfg_set_file (g.fw, "etc/w", w), ==, key);
  vmm_fw_cfg_reset (g.fw);
  got = vmm_fw_cfg_get_item (g.fw, (uint16_t) key);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), "wxyz", 4);
  g_assert_cmpint (vmm_fw_cfg_set_file (g.fw, "", a), ==, -EINVAL);
  guest_clear (&g);
}

static void
test_too_many_files (void)
{
  Guest g;
  g_autoptr(GBytes) d = g_bytes_new_static ("x", 1);

  guest_init (&g);
  for (int i = 0; i < VMM_FW_CFG_MAX_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("opt/f%d", i);

      g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, name, d, FALSE), ==, FW_CFG_FILE_FIRST + i);
    }
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, "opt/last", d, FALSE), ==, -ENOSPC);
  guest_clear (&g);
}

static void
test_dma_read_skip_select (void)
{
  Guest g;
  g_autoptr(GBytes) d = g_bytes_new_static ("0123456789", 10);
  uint8_t *buf;
  int key;

  guest_init (&g);
  key = vmm_fw_cfg_add_file (g.fw, "opt/digits", d, FALSE);
  buf = guest_ptr (&g, BUFFER_GPA);

  /* Select and read in one request. */
  memset (buf, 0xaa, 16);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_READ, 4, BUFFER_GPA), ==, 0);
  g_assert_cmpmem (buf, 4, "0123", 4);
  g_assert_cmpuint (buf[4], ==, 0xaa);

  /* The offset carries on; skip, then read across the end: zeros. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_SKIP, 2, 0), ==, 0);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_READ, 8, BUFFER_GPA), ==, 0);
  g_assert_cmpmem (buf, 8, "6789\0\0\0\0", 8);

  /* A skip past the end stops there; the data port agrees. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0),
                    ==, 0);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_SKIP, 0xffffffff, 0), ==, 0);
  guest_read_data (&g, buf, 1);
  g_assert_cmpuint (buf[0], ==, 0);

  /* Select alone, then the data port reads from the start. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0),
                    ==, 0);
  guest_read_data (&g, buf, 2);
  g_assert_cmpmem (buf, 2, "01", 2);

  /* Read wins over write and skip when several are set. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_WRITE
                               | FW_CFG_DMA_CTL_SKIP, 2, BUFFER_GPA), ==, 0);
  g_assert_cmpmem (buf, 2, "23", 2);

  /* An unaligned access structure is fine. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA + 3, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_READ, 3, BUFFER_GPA + 1), ==, 0);
  g_assert_cmpmem (buf + 1, 3, "012", 3);
  guest_clear (&g);
}

static void
test_dma_write (void)
{
  Guest g;
  g_autoptr(GBytes) ro = g_bytes_new_static ("read-only", 9);
  g_autoptr(GBytes) rw = g_bytes_new_static ("abcdefgh", 8);
  g_autoptr(GBytes) now = NULL;
  uint8_t *buf;
  int key_ro, key_rw;

  guest_init (&g);
  key_ro = vmm_fw_cfg_add_file (g.fw, "etc/ro", ro, FALSE);
  key_rw = vmm_fw_cfg_add_file (g.fw, "etc/rw", rw, TRUE);
  buf = guest_ptr (&g, BUFFER_GPA);
  memcpy (buf, "WXYZ0123456789", 14);

  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key_ro << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_WRITE, 4, BUFFER_GPA), ==, FW_CFG_DMA_CTL_ERROR);
  now = vmm_fw_cfg_get_item (g.fw, (uint16_t) key_ro);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "read-only", 9);
  g_clear_pointer (&now, g_bytes_unref);

  /* Skip 2, write 4: the item changes in place. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key_rw << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_SKIP, 2, 0), ==, 0);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_WRITE, 4, BUFFER_GPA), ==, 0);
  now = vmm_fw_cfg_get_item (g.fw, (uint16_t) key_rw);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "abWXYZgh", 8);
  g_clear_pointer (&now, g_bytes_unref);

  /* Two more bytes fit, three do not: refused whole, nothing changes. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_WRITE, 3, BUFFER_GPA + 4), ==,
                    FW_CFG_DMA_CTL_ERROR);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_WRITE, 0xffffffff, BUFFER_GPA), ==,
                    FW_CFG_DMA_CTL_ERROR);
  now = vmm_fw_cfg_get_item (g.fw, (uint16_t) key_rw);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "abWXYZgh", 8);
  g_clear_pointer (&now, g_bytes_unref);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_WRITE, 2, BUFFER_GPA + 4), ==, 0);
  now = vmm_fw_cfg_get_item (g.fw, (uint16_t) key_rw);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "abWXYZ01", 8);
  g_clear_pointer (&now, g_bytes_unref);

  /* A source outside RAM is an error too. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key_rw << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_WRITE, 4, GUEST_RAM_BASE + GUEST_RAM_SIZE - 2),
                    ==, FW_CFG_DMA_CTL_ERROR);

  /* Reset restores what the machine put there. */
  vmm_fw_cfg_reset (g.fw);
  now = vmm_fw_cfg_get_item (g.fw, (uint16_t) key_rw);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now), "abcdefgh", 8);
  guest_clear (&g);
}

static void
test_dma_malformed (void)
{
  Guest g;
  g_autoptr(GBytes) d = g_bytes_new_static ("0123456789", 10);
  g_autofree uint8_t *before = NULL;
  uint8_t *buf;
  int key;

  guest_init (&g);
  key = vmm_fw_cfg_add_file (g.fw, "opt/digits", d, FALSE);
  buf = guest_ptr (&g, BUFFER_GPA);

  /* Destinations outside RAM, straddling its end, wrapping around 2^64,
   * and lengths past the end of RAM: the error bit, nothing written. */
  struct { uint64_t addr; uint32_t len; } bad[] = {
    { 0, 4 },
    { GUEST_RAM_BASE - 1, 4 },
    { GUEST_RAM_BASE + GUEST_RAM_SIZE - 2, 4 },
    { GUEST_RAM_BASE + GUEST_RAM_SIZE, 1 },
    { UINT64_MAX - 1, 4 },
    { BUFFER_GPA, 0xffffffff },
    { 0x100000000ull + BUFFER_GPA, 4 },
  };
  before = g_memdup2 (g.ram, GUEST_RAM_SIZE);
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT
                                   | FW_CFG_DMA_CTL_READ, bad[i].len, bad[i].addr), ==,
                        FW_CFG_DMA_CTL_ERROR);
      /* Only the control word changed. */
      g_assert_cmpmem (g.ram + 16 + (ACCESS_GPA - GUEST_RAM_BASE), 0x1000,
                       before + 16 + (ACCESS_GPA - GUEST_RAM_BASE), 0x1000);
      g_assert_cmpmem (g.ram, ACCESS_GPA - GUEST_RAM_BASE, before, ACCESS_GPA - GUEST_RAM_BASE);
      g_assert_cmpmem (g.ram + 0x10000, GUEST_RAM_SIZE - 0x10000, before + 0x10000,
                       GUEST_RAM_SIZE - 0x10000);
    }

  /* Unknown control bits, the error bit set on entry: errors. */
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | 0x20
                               | ((uint32_t) FW_CFG_SIGNATURE << 16), 4, BUFFER_GPA), ==,
                    FW_CFG_DMA_CTL_ERROR);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, FW_CFG_DMA_CTL_ERROR | FW_CFG_DMA_CTL_READ, 4,
                               BUFFER_GPA), ==, FW_CFG_DMA_CTL_ERROR);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, 0x8000, 4, BUFFER_GPA), ==, FW_CFG_DMA_CTL_ERROR);

  /* An access structure outside RAM, or straddling its end: dropped, and
   * nothing in RAM changes. */
  memcpy (before, g.ram, GUEST_RAM_SIZE);
  guest_dma_kick (&g, GUEST_RAM_BASE + GUEST_RAM_SIZE - 8);
  guest_dma_kick (&g, 0xfffffff0ull);
  guest_dma_kick (&g, 0xfffffffffffffff8ull);
  g_assert_cmpmem (g.ram, GUEST_RAM_SIZE, before, GUEST_RAM_SIZE);

  /* The register starts from 0 after each request: a low-half write
   * alone reaches below 4 GiB even after a request above it. */
  memset (buf, 0xaa, 4);
  g_assert_cmpuint (guest_dma (&g, ACCESS_GPA, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT
                               | FW_CFG_DMA_CTL_READ, 4, BUFFER_GPA), ==, 0);
  g_assert_cmpmem (buf, 4, "0123", 4);

  /* After all that the device still works. */
  guest_select (&g, FW_CFG_SIGNATURE);
  guest_read_data (&g, buf, 4);
  g_assert_cmpmem (buf, 4, "QEMU", 4);
  guest_clear (&g);
}

/* RAM above 4 GiB: the address register's high half counts. */
static void
test_dma_high_address (void)
{
  g_autofree uint8_t *low = g_malloc0 (0x10000), *high = g_malloc0 (0x10000);
  g_autoptr(GBytes) d = g_bytes_new_static ("high", 4);
  VmmGuestMem mem;
  VmmFwCfg *fw;
  uint8_t hi[4], lo[4];
  uint8_t *a = high + 0x100;
  int key;

  vmm_guest_mem_init (&mem);
  g_assert_cmpint (vmm_guest_mem_add (&mem, 0, 0x10000, low), ==, 0);
  g_assert_cmpint (vmm_guest_mem_add (&mem, 0x100000000ull, 0x10000, high), ==, 0);
  fw = vmm_fw_cfg_new (&mem);
  key = vmm_fw_cfg_add_file (fw, "opt/high", d, FALSE);

  be32_put (a, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
  be32_put (a + 4, 4);
  be32_put (a + 8, 1);
  be32_put (a + 12, 0x200);
  /* The same low half in low RAM holds garbage that must not be used. */
  memset (low + 0x100, 0xff, 16);
  be32_put (hi, 1);
  be32_put (lo, 0x100);
  vmm_fw_cfg_pio_write (fw, VMM_FW_CFG_PORT_DMA, hi, 4);
  vmm_fw_cfg_pio_write (fw, VMM_FW_CFG_PORT_DMA + 4, lo, 4);
  g_assert_cmpuint (be32_get (a), ==, 0);
  g_assert_cmpmem (high + 0x200, 4, "high", 4);
  g_assert_cmpuint (low[0x100], ==, 0xff);
  vmm_fw_cfg_free (fw);
}

static void
test_bus (void)
{
  Guest g;
  VmmBus *pio = vmm_bus_new ("pio");
  uint8_t sel[2] = { FW_CFG_SIGNATURE, 0 }, b;

  guest_init (&g);
  g_assert_cmpint (vmm_fw_cfg_register (g.fw, pio), ==, 0);
  g_assert_true (vmm_bus_write (pio, VMM_FW_CFG_PORT_SELECTOR, sel, 2));
  g_assert_true (vmm_bus_read (pio, VMM_FW_CFG_PORT_DATA, &b, 1));
  g_assert_cmpuint (b, ==, 'Q');
  g_assert_true (vmm_bus_read (pio, VMM_FW_CFG_PORT_DATA, &b, 1));
  g_assert_cmpuint (b, ==, 'E');
  vmm_bus_free (pio);
  guest_clear (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fw-cfg/signature-and-id", test_signature_and_id);
  g_test_add_func ("/fw-cfg/items", test_items);
  g_test_add_func ("/fw-cfg/selector-out-of-range", test_selector_out_of_range);
  g_test_add_func ("/fw-cfg/bad-port-widths", test_bad_port_widths);
  g_test_add_func ("/fw-cfg/directory", test_directory);
  g_test_add_func ("/fw-cfg/set-file", test_set_file);
  g_test_add_func ("/fw-cfg/too-many-files", test_too_many_files);
  g_test_add_func ("/fw-cfg/dma-read-skip-select", test_dma_read_skip_select);
  g_test_add_func ("/fw-cfg/dma-write", test_dma_write);
  g_test_add_func ("/fw-cfg/dma-malformed", test_dma_malformed);
  g_test_add_func ("/fw-cfg/dma-high-address", test_dma_high_address);
  g_test_add_func ("/fw-cfg/bus", test_bus);
  return g_test_run ();
}
