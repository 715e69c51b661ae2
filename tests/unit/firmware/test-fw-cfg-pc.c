/* test-fw-cfg-pc.c: the PC's fw_cfg items as firmware reads them: counts,
 * etc/e820, etc/system-states, bootorder, and a kernel for
 * firmware-mediated direct boot with its patched setup header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fw-cfg-guest.h"

#include <gio/gio.h>

#include "firmware/fw-cfg-pc.h"
#include "x86/bzimage.h"
#include "x86/layout.h"

#define SCRATCH_GPA 0x2000ull
#define SETUP_LEN   (5 * 512)
#define KERNEL_LEN  8192

static uint64_t
read_int (Guest *g, uint16_t key, unsigned len)
{
  uint8_t buf[8] = { 0 };

  guest_select (g, key);
  guest_read_data (g, buf, len);
  return vmm_le_get (buf, len);
}

static VmmFwCfgPcConfig
pc_config (uint64_t ram, unsigned cpus)
{
  VmmFwCfgPcConfig cfg = {
    .ram_size = ram,
    .lowmem_size = MIN (ram, VMM_LOWMEM_LIMIT),
    .n_cpus = cpus,
    .max_cpus = cpus,
  };

  return cfg;
}

static void
test_pc_items (void)
{
  g_autoptr(GError) error = NULL;
  VmmFwCfgPcConfig cfg = pc_config (3ull << 30, 2);
  g_autofree uint8_t *e820 = NULL, *states = NULL, *order = NULL, *sercon = NULL;
  uint32_t size;
  Guest g;

  cfg.max_cpus = 4;
  cfg.bootorder = "/pci@i0cf8/ide@1f,2/drive@0/disk@0\n";
  cfg.sercon_port = 0x3f8;
  guest_init (&g);
  g_assert_true (vmm_fw_cfg_setup_pc (g.fw, &cfg, &error));
  g_assert_no_error (error);

  g_assert_cmphex (read_int (&g, FW_CFG_RAM_SIZE, 8), ==, 3ull << 30);
  g_assert_cmpuint (read_int (&g, FW_CFG_NB_CPUS, 2), ==, 2);
  g_assert_cmpuint (read_int (&g, FW_CFG_MAX_CPUS, 2), ==, 4);

  /* Low RAM up to 2 GiB, the rest from 4 GiB: 20-byte entries. */
  e820 = guest_read_file (&g, "etc/e820", &size, SCRATCH_GPA);
  g_assert_nonnull (e820);
  g_assert_cmpuint (size, ==, 40);
  g_assert_cmphex (vmm_le_get (e820, 8), ==, 0);
  g_assert_cmphex (vmm_le_get (e820 + 8, 8), ==, VMM_LOWMEM_LIMIT);
  g_assert_cmpuint (vmm_le_get (e820 + 16, 4), ==, 1);
  g_assert_cmphex (vmm_le_get (e820 + 20, 8), ==, VMM_HIGHMEM_BASE);
  g_assert_cmphex (vmm_le_get (e820 + 28, 8), ==, (3ull << 30) - VMM_LOWMEM_LIMIT);
  g_assert_cmpuint (vmm_le_get (e820 + 36, 4), ==, 1);

  states = guest_read_file (&g, "etc/system-states", &size, SCRATCH_GPA);
  g_assert_nonnull (states);
  g_assert_cmpuint (size, ==, 6);
  g_assert_cmphex (states[0], ==, 0x80);
  g_assert_cmphex (states[3], ==, 0);   /* no S3: firmware must not offer it */
  g_assert_cmphex (states[4], ==, 0);
  g_assert_cmphex (states[5], ==, 0x80 | VMM_ACPI_SLP_TYP_S5);

  order = guest_read_file (&g, "bootorder", &size, SCRATCH_GPA);
  g_assert_nonnull (order);
  g_assert_cmpstr ((const char *) order, ==, cfg.bootorder);
  g_assert_cmpuint (size, ==, strlen (cfg.bootorder) + 1);

  sercon = guest_read_file (&g, "etc/sercon-port", &size, SCRATCH_GPA);
  g_assert_nonnull (sercon);
  g_assert_cmpuint (size, ==, 4);
  g_assert_cmphex (vmm_le_get (sercon, 4), ==, 0x3f8);
  guest_clear (&g);
}

static void
test_pc_small (void)
{
  g_autoptr(GError) error = NULL;
  VmmFwCfgPcConfig cfg = pc_config (64ull << 20, 1);
  g_autofree uint8_t *e820 = NULL;
  uint32_t size;
  Guest g;

  guest_init (&g);
  g_assert_true (vmm_fw_cfg_setup_pc (g.fw, &cfg, &error));
  e820 = guest_read_file (&g, "etc/e820", &size, SCRATCH_GPA);
  g_assert_cmpuint (size, ==, 20);
  g_assert_cmphex (vmm_le_get (e820 + 8, 8), ==, 64ull << 20);
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, "bootorder"), <, 0);
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, "etc/sercon-port"), <, 0);

  /* A second time: the files exist already. */
  g_assert_false (vmm_fw_cfg_setup_pc (g.fw, &cfg, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  guest_clear (&g);
}

static void
test_pc_invalid (void)
{
  VmmFwCfgPcConfig bad[5];
  Guest g;

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    bad[i] = pc_config (1ull << 30, 2);
  bad[0].n_cpus = 0;
  bad[1].max_cpus = 1;
  bad[2].lowmem_size = 2ull << 30;        /* more than all of RAM */
  bad[3].lowmem_size = 0;
  bad[4].ram_size = 8ull << 30;
  bad[4].lowmem_size = 3ull << 30;        /* reaches into the PCI hole */

  guest_init (&g);
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vmm_fw_cfg_setup_pc (g.fw, &bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpint (vmm_fw_cfg_find_file (g.fw, "etc/e820"), <, 0);
  guest_clear (&g);
}

/* A file that passes as a bzImage: 4 setup sectors, protocol 2.15. */
static GBytes *
fake_kernel (void)
{
  uint8_t *d = g_malloc0 (SETUP_LEN + KERNEL_LEN);

  d[0x1f1] = 4;
  vmm_le_put (d + 0x1f4, 4, KERNEL_LEN / 16);
  d[0x1fe] = 0x55;
  d[0x1ff] = 0xaa;
  d[0x200] = 0xeb;                  /* the jump over the header sets its length */
  d[0x201] = 0x6a;
  memcpy (d + 0x202, "HdrS", 4);
  vmm_le_put (d + 0x206, 2, 0x020f);
  d[0x211] = VMM_BOOT_LOADED_HIGH;
  vmm_le_put (d + 0x214, 4, 0x100000);
  vmm_le_put (d + 0x22c, 4, 0x7fffffff);
  vmm_le_put (d + 0x230, 4, 0x200000);
  d[0x234] = 1;
  vmm_le_put (d + 0x236, 2, 0x3);
  vmm_le_put (d + 0x238, 4, 255);
  vmm_le_put (d + 0x258, 4, 0x1000000);
  vmm_le_put (d + 0x260, 4, 0x800000);
  for (size_t i = 0; i < KERNEL_LEN; i++)
    d[SETUP_LEN + i] = (uint8_t) (i * 7);
  return g_bytes_new_take (d, SETUP_LEN + KERNEL_LEN);
}

static void
test_kernel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) kernel = fake_kernel ();
  g_autoptr(GBytes) initrd = g_bytes_new_static ("initrd contents", 15);
  g_autoptr(GBytes) setup = NULL, kdata = NULL, cmdline = NULL, idata = NULL;
  const uint8_t *s, *k = g_bytes_get_data (kernel, NULL);
  uint64_t lowmem = 256ull << 20, initrd_addr;
  Guest g;

  guest_init (&g);
  g_assert_true (vmm_fw_cfg_add_kernel (g.fw, kernel, initrd, "console=ttyS0", lowmem, &error));
  g_assert_no_error (error);

  g_assert_cmphex (read_int (&g, FW_CFG_SETUP_ADDR, 4), ==, VMM_FW_KERNEL_SETUP_ADDR);
  g_assert_cmpuint (read_int (&g, FW_CFG_SETUP_SIZE, 4), ==, SETUP_LEN);
  g_assert_cmphex (read_int (&g, FW_CFG_KERNEL_ADDR, 4), ==, VMM_FW_KERNEL_ADDR);
  g_assert_cmpuint (read_int (&g, FW_CFG_KERNEL_SIZE, 4), ==, KERNEL_LEN);
  g_assert_cmphex (read_int (&g, FW_CFG_CMDLINE_ADDR, 4), ==, VMM_FW_KERNEL_CMDLINE_ADDR);
  g_assert_cmpuint (read_int (&g, FW_CFG_CMDLINE_SIZE, 4), ==, strlen ("console=ttyS0") + 1);
  g_assert_cmpuint (read_int (&g, FW_CFG_INITRD_SIZE, 4), ==, 15);
  initrd_addr = read_int (&g, FW_CFG_INITRD_ADDR, 4);
  /* Page-aligned, above the decompressing kernel, below the firmware's
   * reserve at the top of low RAM. */
  g_assert_cmphex (initrd_addr % 4096, ==, 0);
  g_assert_cmphex (initrd_addr, >=, 0x1000000 + 0x800000);
  g_assert_cmphex (initrd_addr + 15, <=, lowmem - VMM_FW_HIGH_RESERVE);

  setup = vmm_fw_cfg_get_item (g.fw, FW_CFG_SETUP_DATA);
  s = g_bytes_get_data (setup, NULL);
  g_assert_cmpuint (g_bytes_get_size (setup), ==, SETUP_LEN);
  g_assert_cmphex (s[0x210], ==, 0xff);
  g_assert_cmphex (s[0x211], ==, VMM_BOOT_LOADED_HIGH | VMM_BOOT_CAN_USE_HEAP);
  g_assert_cmphex (vmm_le_get (s + 0x218, 4), ==, initrd_addr);
  g_assert_cmpuint (vmm_le_get (s + 0x21c, 4), ==, 15);
  g_assert_cmphex (vmm_le_get (s + 0x224, 2), ==,
                   VMM_FW_KERNEL_CMDLINE_ADDR - VMM_FW_KERNEL_SETUP_ADDR - 0x200);
  g_assert_cmphex (vmm_le_get (s + 0x228, 4), ==, VMM_FW_KERNEL_CMDLINE_ADDR);
  /* The rest of the setup is the file's. */
  g_assert_cmpmem (s, 0x210, k, 0x210);
  g_assert_cmpmem (s + 0x22c, SETUP_LEN - 0x22c, k + 0x22c, SETUP_LEN - 0x22c);

  kdata = vmm_fw_cfg_get_item (g.fw, FW_CFG_KERNEL_DATA);
  g_assert_cmpmem (g_bytes_get_data (kdata, NULL), g_bytes_get_size (kdata), k + SETUP_LEN, KERNEL_LEN);
  cmdline = vmm_fw_cfg_get_item (g.fw, FW_CFG_CMDLINE_DATA);
  g_assert_cmpmem (g_bytes_get_data (cmdline, NULL), g_bytes_get_size (cmdline), "console=ttyS0", 14);
  idata = vmm_fw_cfg_get_item (g.fw, FW_CFG_INITRD_DATA);
  g_assert_cmpmem (g_bytes_get_data (idata, NULL), g_bytes_get_size (idata), "initrd contents", 15);
  guest_clear (&g);
}

static void
test_kernel_bad (void)
{
  g_autoptr(GBytes) kernel = fake_kernel ();
  g_autoptr(GBytes) junk = g_bytes_new_static ("not a kernel at all", 19);
  g_autoptr(GBytes) huge = NULL;
  g_autofree char *long_cmdline = g_strnfill (300, 'x');
  GError *error = NULL;
  Guest g;

  guest_init (&g);
  g_assert_false (vmm_fw_cfg_add_kernel (g.fw, junk, NULL, NULL, 256ull << 20, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (vmm_fw_cfg_add_kernel (g.fw, kernel, NULL, long_cmdline, 256ull << 20, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Too little memory for the kernel itself, then for the initrd. */
  g_assert_false (vmm_fw_cfg_add_kernel (g.fw, kernel, NULL, NULL, 16ull << 20, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);
  huge = g_bytes_new_take (g_malloc0 (8 << 20), 8 << 20);
  g_assert_false (vmm_fw_cfg_add_kernel (g.fw, kernel, huge, NULL, 32ull << 20, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* Nothing was set by the failed calls. */
  g_assert_null (vmm_fw_cfg_get_item (g.fw, FW_CFG_KERNEL_SIZE));
  guest_clear (&g);
}

static uint8_t
byte_sum (const uint8_t *p, size_t len)
{
  uint8_t sum = 0;

  for (size_t i = 0; i < len; i++)
    sum = (uint8_t) (sum + p[i]);
  return sum;
}

/* The option ROM as SeaBIOS checks it: signature, size in 512-byte
 * blocks, a zero byte sum, and a PnP header with a boot entry vector. */
static void
test_linuxboot_rom (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *rom = NULL;
  uint32_t size;
  unsigned pnp, bev;
  Guest g;

  guest_init (&g);
  g_assert_true (vmm_fw_cfg_add_linuxboot (g.fw, &error));
  g_assert_no_error (error);
  rom = guest_read_file (&g, VMM_FW_LINUXBOOT_ROM, &size, SCRATCH_GPA);
  g_assert_nonnull (rom);
  g_assert_cmpuint (size % 512, ==, 0);
  g_assert_cmphex (rom[0], ==, 0x55);
  g_assert_cmphex (rom[1], ==, 0xaa);
  g_assert_cmpuint (rom[2] * 512u, ==, size);
  g_assert_cmphex (byte_sum (rom, size), ==, 0);
  pnp = (unsigned) vmm_le_get (rom + 0x1a, 2);
  g_assert_cmpuint (pnp + 32, <=, size);
  g_assert_cmpmem (rom + pnp, 4, "$PnP", 4);
  g_assert_cmphex (byte_sum (rom + pnp, 32), ==, 0);
  bev = (unsigned) vmm_le_get (rom + pnp + 0x1a, 2);
  g_assert_cmpuint (bev, >, pnp + 32);
  g_assert_cmpuint (bev, <, size);
  /* The init entry returns at once. */
  g_assert_cmphex (rom[3], ==, 0xcb);

  /* Twice: the file exists. */
  g_assert_false (vmm_fw_cfg_add_linuxboot (g.fw, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  guest_clear (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fw-cfg-pc/items", test_pc_items);
  g_test_add_func ("/fw-cfg-pc/small", test_pc_small);
  g_test_add_func ("/fw-cfg-pc/invalid", test_pc_invalid);
  g_test_add_func ("/fw-cfg-pc/kernel", test_kernel);
  g_test_add_func ("/fw-cfg-pc/kernel-bad", test_kernel_bad);
  g_test_add_func ("/fw-cfg-pc/linuxboot-rom", test_linuxboot_rom);
  return g_test_run ();
}
