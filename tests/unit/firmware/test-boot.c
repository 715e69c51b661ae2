/* test-boot.c: VmmFirmwareBoot as a machine uses it, without KVM: what
 * the firmware finds on the buses, the kernel path for SeaBIOS, OVMF's
 * variable flash, and errors that leave the buses as they were.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "firmware/firmware-boot.h"
#include "firmware/fw-cfg-pc.h"
#include "x86/layout.h"

#define RAM_SIZE (32ull << 20)

typedef struct {
  uint8_t *ram;
  VmmGuestMem mem;
  VmmBus *pio, *mmio;
  VmmAcpiConfig acpi;
  uint32_t apic_ids[2];
  VmmFirmwareBootConfig cfg;
  GString *log;
} Fixture;

static void
on_debug (void *opaque, const uint8_t *data, size_t len)
{
  g_string_append_len (opaque, (const char *) data, (gssize) len);
}

static char *
write_temp (const uint8_t *data, size_t len)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("vireo-boot-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (write (fd, data, len), ==, (ssize_t) len);
  close (fd);
  return path;
}

static char *
fake_bios (void)
{
  g_autofree uint8_t *d = g_malloc0 (0x20000);

  d[0x20000 - 16] = 0xea;
  d[0x20000 - 1] = 0x77;
  return write_temp (d, 0x20000);
}

static char *
fake_volume (size_t len)
{
  g_autofree uint8_t *d = g_malloc0 (len);

  memcpy (d + 40, "_FVH", 4);
  return write_temp (d, len);
}

static void
fixture_init (Fixture *f)
{
  memset (f, 0, sizeof *f);
  f->ram = g_malloc0 (RAM_SIZE);
  vmm_guest_mem_init (&f->mem);
  g_assert_cmpint (vmm_guest_mem_add (&f->mem, 0, RAM_SIZE, f->ram), ==, 0);
  f->pio = vmm_bus_new ("pio");
  f->mmio = vmm_bus_new ("mmio");
  f->apic_ids[0] = 0;
  f->apic_ids[1] = 1;
  f->acpi = (VmmAcpiConfig) {
    .n_cpus = 2,
    .apic_ids = f->apic_ids,
    .pci_mmio64_base = VMM_HIGHMEM_BASE,
    .has_ecam = TRUE,
  };
  f->log = g_string_new (NULL);
  f->cfg = (VmmFirmwareBootConfig) {
    .ram_size = RAM_SIZE,
    .lowmem_size = RAM_SIZE,
    .n_cpus = 2,
    .max_cpus = 2,
    .acpi = &f->acpi,
    .debug_out = on_debug,
    .debug_opaque = f->log,
  };
}

static void
fixture_clear (Fixture *f)
{
  vmm_bus_free (f->pio);
  vmm_bus_free (f->mmio);
  g_string_free (f->log, TRUE);
  g_free (f->ram);
}

/* Reads a file through the fw_cfg ports on the bus, byte by byte. */
static GBytes *
bus_read_file (VmmBus *pio, const char *name)
{
  uint8_t sel[2] = { FW_CFG_FILE_DIR, 0 }, b[4], e[64];
  uint32_t count, size;

  g_assert_true (vmm_bus_write (pio, VMM_FW_CFG_PORT_SELECTOR, sel, 2));
  for (int i = 0; i < 4; i++)
    vmm_bus_read (pio, VMM_FW_CFG_PORT_DATA, &b[i], 1);
  count = (uint32_t) b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
  for (uint32_t i = 0; i < count; i++)
    {
      for (int j = 0; j < 64; j++)
        vmm_bus_read (pio, VMM_FW_CFG_PORT_DATA, &e[j], 1);
      if (strcmp ((const char *) e + 8, name) == 0)
        {
          uint8_t *data;

          size = (uint32_t) e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
          sel[0] = e[5];
          sel[1] = e[4];
          g_assert_true (vmm_bus_write (pio, VMM_FW_CFG_PORT_SELECTOR, sel, 2));
          data = g_malloc (size + 1);
          for (uint32_t j = 0; j < size; j++)
            vmm_bus_read (pio, VMM_FW_CFG_PORT_DATA, &data[j], 1);
          data[size] = 0;
          return g_bytes_new_take (data, size);
        }
    }
  return NULL;
}

static void
test_bios (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bios = fake_bios ();
  g_autoptr(GBytes) e820 = NULL, tables = NULL, loader = NULL, rom = NULL;
  uint8_t b = 'X';
  Fixture f;
  VmmFirmwareBoot *boot;

  fixture_init (&f);
  f.cfg.bios_path = bios;
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_boot_base (boot), ==, 0xfffe0000);
  g_assert_nonnull (vmm_firmware_boot_get_fw_cfg (boot));

  e820 = bus_read_file (f.pio, "etc/e820");
  g_assert_nonnull (e820);
  g_assert_cmpuint (g_bytes_get_size (e820), ==, 20);
  tables = bus_read_file (f.pio, "etc/acpi/tables");
  loader = bus_read_file (f.pio, "etc/table-loader");
  g_assert_nonnull (tables);
  g_assert_nonnull (loader);
  /* No kernel: no option ROM. */
  rom = bus_read_file (f.pio, VMM_FW_LINUXBOOT_ROM);
  g_assert_null (rom);

  /* The debug console is on the bus. */
  g_assert_true (vmm_bus_write (f.pio, VMM_DEBUGCON_PORT, &b, 1));
  g_assert_cmpstr (f.log->str, ==, "X");

  vmm_firmware_boot_free (boot);
  fixture_clear (&f);
  g_unlink (bios);
}

/* A bzImage the parser accepts: 4 setup sectors, protocol 2.15. */
static GBytes *
fake_kernel (void)
{
  uint8_t *d = g_malloc0 (5 * 512 + 4096);

  d[0x1f1] = 4;
  vmm_le_put (d + 0x1f4, 4, 4096 / 16);
  d[0x1fe] = 0x55;
  d[0x1ff] = 0xaa;
  d[0x200] = 0xeb;
  d[0x201] = 0x6a;
  memcpy (d + 0x202, "HdrS", 4);
  vmm_le_put (d + 0x206, 2, 0x020f);
  d[0x211] = 1;
  vmm_le_put (d + 0x214, 4, 0x100000);
  vmm_le_put (d + 0x22c, 4, 0x7fffffff);
  vmm_le_put (d + 0x230, 4, 0x200000);
  d[0x234] = 1;
  vmm_le_put (d + 0x236, 2, 0x3);
  vmm_le_put (d + 0x238, 4, 255);
  vmm_le_put (d + 0x258, 4, 0x400000);
  vmm_le_put (d + 0x260, 4, 0x100000);
  return g_bytes_new_take (d, 5 * 512 + 4096);
}

static void
test_bios_kernel (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bios = fake_bios ();
  g_autoptr(GBytes) kernel = fake_kernel ();
  g_autoptr(GBytes) order = NULL, rom = NULL;
  Fixture f;
  VmmFirmwareBoot *boot;

  fixture_init (&f);
  f.cfg.bios_path = bios;
  f.cfg.kernel = kernel;
  f.cfg.cmdline = "quiet";
  f.cfg.bootorder = "/pci@i0cf8/*@1f,2/drive@0/disk@0\n";
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  /* The ROM is there and boots first, before the machine's own order. */
  rom = bus_read_file (f.pio, VMM_FW_LINUXBOOT_ROM);
  g_assert_nonnull (rom);
  order = bus_read_file (f.pio, "bootorder");
  g_assert_cmpstr (g_bytes_get_data (order, NULL), ==,
                   VMM_FW_LINUXBOOT_BOOTORDER "\n/pci@i0cf8/*@1f,2/drive@0/disk@0\n");
  vmm_firmware_boot_free (boot);
  fixture_clear (&f);
  g_unlink (bios);
}

/* The machine's boot order replaces the config's, and a kernel's ROM
 * stays ahead of it. */
static void
test_bootorder (void)
{
  static const char drives[] = "/pci@i0cf8/pci8086,2922@c/drive@1/disk@0\n"
                               "/pci@i0cf8/scsi@1/disk@0,0\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *bios = fake_bios ();
  g_autoptr(GBytes) kernel = fake_kernel ();
  g_autoptr(GBytes) order = NULL, again = NULL;
  Fixture f;
  VmmFirmwareBoot *boot;

  fixture_init (&f);
  f.cfg.bios_path = bios;
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  g_assert_null (bus_read_file (f.pio, "bootorder"));
  g_assert_true (vmm_firmware_boot_set_bootorder (boot, drives, &error));
  g_assert_no_error (error);
  order = bus_read_file (f.pio, "bootorder");
  g_assert_nonnull (order);
  g_assert_cmpstr (g_bytes_get_data (order, NULL), ==, drives);
  /* The NUL goes with it, as QEMU's does. */
  g_assert_cmpuint (g_bytes_get_size (order), ==, sizeof drives);
  vmm_firmware_boot_free (boot);
  fixture_clear (&f);

  fixture_init (&f);
  f.cfg.bios_path = bios;
  f.cfg.kernel = kernel;
  f.cfg.bootorder = "/pci@i0cf8/*@1f,2/drive@0/disk@0\n";
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  g_assert_true (vmm_firmware_boot_set_bootorder (boot, drives, &error));
  again = bus_read_file (f.pio, "bootorder");
  g_assert_cmpstr (g_bytes_get_data (again, NULL), ==,
                   VMM_FW_LINUXBOOT_BOOTORDER "\n"
                   "/pci@i0cf8/pci8086,2922@c/drive@1/disk@0\n"
                   "/pci@i0cf8/scsi@1/disk@0,0\n");
  vmm_firmware_boot_free (boot);
  fixture_clear (&f);
  g_unlink (bios);
}

static void
test_uefi (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = fake_volume (0x8000), *vars = fake_volume (0x4000);
  g_autoptr(GBytes) kernel = fake_kernel ();
  g_autoptr(GBytes) rom = NULL;
  uint64_t vars_base = 0x100000000ull - 0x8000 - 0x4000;
  uint8_t v;
  Fixture f;
  VmmFirmwareBoot *boot;

  fixture_init (&f);
  f.cfg.uefi_code_path = code;
  f.cfg.uefi_vars_path = vars;
  f.cfg.kernel = kernel;
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_boot_base (boot), ==, vars_base);
  /* OVMF loads kernels itself: no ROM. */
  rom = bus_read_file (f.pio, VMM_FW_LINUXBOOT_ROM);
  g_assert_null (rom);
  /* The flash answers on the MMIO bus: read status after clear. */
  v = 0x50;
  g_assert_true (vmm_bus_write (f.mmio, vars_base, &v, 1));
  v = 0x70;
  g_assert_true (vmm_bus_write (f.mmio, vars_base, &v, 1));
  g_assert_true (vmm_bus_read (f.mmio, vars_base, &v, 1));
  g_assert_cmphex (v, ==, 0);
  vmm_firmware_boot_flush (boot);
  vmm_firmware_boot_free (boot);
  fixture_clear (&f);
  g_unlink (code);
  g_unlink (vars);
}

static void
test_add_rom (void)
{
  g_autofree char *bios = fake_bios ();
  g_autofree char *rom_path = write_temp ((const uint8_t *) "\x55\xaa\x01rom", 6);
  g_autoptr(GBytes) rom = NULL;
  GError *error = NULL;
  Fixture f;
  VmmFirmwareBoot *boot;

  fixture_init (&f);
  f.cfg.bios_path = bios;
  boot = vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error);
  g_assert_no_error (error);
  g_assert_true (vmm_firmware_boot_add_rom (boot, "vgaroms/test.bin", rom_path, "seabios", &error));
  g_assert_no_error (error);
  rom = bus_read_file (f.pio, "vgaroms/test.bin");
  g_assert_cmpmem (g_bytes_get_data (rom, NULL), g_bytes_get_size (rom), "\x55\xaa\x01rom", 6);

  g_assert_false (vmm_firmware_boot_add_rom (boot, "vgaroms/test.bin", rom_path, "seabios", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (vmm_firmware_boot_add_rom (boot, "vgaroms/none.bin", "/nonexistent/vgabios.bin",
                                             "seabios", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“seabios”"));
  g_clear_error (&error);

  vmm_firmware_boot_free (boot);
  fixture_clear (&f);
  g_unlink (bios);
  g_unlink (rom_path);
}

static void
noop_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  memset (data, 0x42, len);
}

static void
noop_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
}

static const VmmBusOps noop_ops = { noop_read, noop_write };

static void
test_errors (void)
{
  g_autofree char *bios = fake_bios ();
  g_autoptr(GBytes) junk = g_bytes_new_static ("junk", 4);
  uint8_t sel[2] = { 0, 0 }, b;
  int other;
  Fixture f;

  fixture_init (&f);

  /* A missing firmware names its package. */
  {
    g_autoptr(GError) error = NULL;

    f.cfg.bios_path = "/nonexistent/bios-256k.bin";
    g_assert_null (vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "seabios"));
  }
  /* A kernel that is not one. */
  {
    g_autoptr(GError) error = NULL;

    f.cfg.bios_path = bios;
    f.cfg.kernel = junk;
    g_assert_null (vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    f.cfg.kernel = NULL;
  }
  /* The debug port is taken: an error, and fw_cfg does not stay behind
   * on the bus. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (vmm_bus_register (f.pio, VMM_DEBUGCON_PORT, 1, VMM_BUS_W1, &noop_ops, &other),
                     ==, 0);
    g_assert_null (vmm_firmware_boot_new (&f.cfg, &f.mem, f.pio, f.mmio, &error));
    g_assert_nonnull (error);
    g_assert_false (vmm_bus_write (f.pio, VMM_FW_CFG_PORT_SELECTOR, sel, 2));
    g_assert_false (vmm_bus_read (f.pio, VMM_FW_CFG_PORT_DATA, &b, 1));
    g_assert_true (vmm_bus_read (f.pio, VMM_DEBUGCON_PORT, &b, 1));
    g_assert_cmphex (b, ==, 0x42);
  }
  fixture_clear (&f);
  g_unlink (bios);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/firmware-boot/bios", test_bios);
  g_test_add_func ("/firmware-boot/bios-kernel", test_bios_kernel);
  g_test_add_func ("/firmware-boot/bootorder", test_bootorder);
  g_test_add_func ("/firmware-boot/uefi", test_uefi);
  g_test_add_func ("/firmware-boot/errors", test_errors);
  g_test_add_func ("/firmware-boot/add-rom", test_add_rom);
  return g_test_run ();
}
