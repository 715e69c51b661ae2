/* test-pci.c: PCI configuration space through 0xcf8/0xcfc and ECAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/pci.h"
#include "devices/pci-host.h"
#include "devices/reset-control.h"
#include "x86/layout.h"

#include <errno.h>
#include <string.h>

typedef struct {
  VmmBus *pio, *mmio;
  VmmPciBus *pci;
  VmmPciDevice *dev;
  VmmResetControl *rcr;
  unsigned resets;
  unsigned written;
} Fixture;

static void
on_reset (void *opaque)
{
  Fixture *f = opaque;

  f->resets++;
}

static void
config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  Fixture *f = opaque;

  f->written++;
}

static const VmmPciDeviceOps dev_ops = { config_written };

static void
setup (Fixture *f, gconstpointer data)
{
  f->pio = vmm_bus_new ("pio");
  f->mmio = vmm_bus_new ("mmio");
  f->pci = vmm_pci_bus_new ();
  f->rcr = vmm_reset_control_new (on_reset, f);
  g_assert_cmpint (vmm_pci_bus_register (f->pci, f->pio, f->mmio, VMM_PCI_ECAM_BASE,
                                         VMM_PCI_ECAM_SIZE), ==, 0);
  g_assert_cmpint (vmm_reset_control_register (f->rcr, f->pio), ==, 0);
  g_assert_cmpint (vmm_pci_bus_add (f->pci, VMM_PCI_DEVFN (0, 0), vmm_pci_host_bridge_new ()), ==, 0);

  f->dev = vmm_pci_device_new (0x1af4, 0x1041, 0x020000, 1);
  vmm_pci_device_set_ops (f->dev, &dev_ops, f);
  g_assert_cmpint (vmm_pci_device_add_bar (f->dev, 0, VMM_PCI_BAR_MEM32, 0x1000), ==, 0);
  g_assert_cmpint (vmm_pci_device_add_bar (f->dev, 2, VMM_PCI_BAR_MEM64_PREFETCH, 1ULL << 33), ==, 0);
  g_assert_cmpint (vmm_pci_device_add_bar (f->dev, 4, VMM_PCI_BAR_IO, 0x20), ==, 0);
  g_assert_cmpint (vmm_pci_bus_add (f->pci, VMM_PCI_DEVFN (3, 0), f->dev), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->pci, vmm_pci_bus_free);
  vmm_reset_control_free (f->rcr);
  vmm_bus_free (f->pio);
  vmm_bus_free (f->mmio);
}

static uint64_t
pio_read (Fixture *f, uint16_t port, unsigned len)
{
  uint8_t buf[4];

  vmm_bus_read (f->pio, port, buf, len);
  return vmm_le_get (buf, len);
}

static void
pio_write (Fixture *f, uint16_t port, unsigned len, uint64_t v)
{
  uint8_t buf[4];

  vmm_le_put (buf, len, v);
  vmm_bus_write (f->pio, port, buf, len);
}

static uint32_t
cfg_read (Fixture *f, unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned len)
{
  pio_write (f, 0xcf8, 4, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
  return (uint32_t) pio_read (f, (uint16_t) (0xcfc + (reg & 3)), len);
}

static void
cfg_write (Fixture *f, unsigned dev, unsigned reg, unsigned len, uint32_t v)
{
  pio_write (f, 0xcf8, 4, 0x80000000u | dev << 11 | (reg & 0xfc));
  pio_write (f, (uint16_t) (0xcfc + (reg & 3)), len, v);
}

static uint64_t
ecam_read (Fixture *f, uint64_t offset, unsigned len)
{
  uint8_t buf[8];

  vmm_bus_read (f->mmio, VMM_PCI_ECAM_BASE + offset, buf, len);
  return vmm_le_get (buf, len);
}

static void
ecam_write (Fixture *f, uint64_t offset, unsigned len, uint64_t v)
{
  uint8_t buf[8];

  vmm_le_put (buf, len, v);
  vmm_bus_write (f->mmio, VMM_PCI_ECAM_BASE + offset, buf, len);
}

static void
test_host_bridge_legacy (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x00, 4), ==, 0x29c08086);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x02, 2), ==, 0x29c0);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x01, 1), ==, 0x80);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x08, 4), ==, 0x06000000);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x2c, 4), ==, 0x11001af4);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x0e, 1), ==, 0x00);
  /* CONFIG_ADDRESS reads back, without its reserved low bits. */
  pio_write (f, 0xcf8, 4, 0x80001807);
  g_assert_cmphex (pio_read (f, 0xcf8, 4), ==, 0x80001804);
}

static void
test_absent_functions (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (cfg_read (f, 0, 1, 0, 0, 4), ==, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 0, 1, 0, 2), ==, 0xffff);
  g_assert_cmphex (cfg_read (f, 1, 0, 0, 0, 4), ==, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 255, 31, 7, 0xfc, 4), ==, 0xffffffff);
  /* Without the enable bit, no config cycle happens. */
  pio_write (f, 0xcf8, 4, 0x00000000);
  g_assert_cmphex (pio_read (f, 0xcfc, 4), ==, 0xffffffff);
  pio_write (f, 0xcfc, 4, 0);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0, 4), ==, 0x29c08086);
  /* Writes to absent functions go nowhere. */
  pio_write (f, 0xcf8, 4, 0x80000800u);
  pio_write (f, 0xcfc, 4, 0x12345678);
  g_assert_cmphex (cfg_read (f, 0, 1, 0, 0, 4), ==, 0xffffffff);
}

static void
test_reset_register_shares_port (Fixture *f, gconstpointer data)
{
  pio_write (f, 0xcf8, 4, 0x80000000u);
  /* A byte to 0xcf9 is the reset control register, not CONFIG_ADDRESS. */
  pio_write (f, 0xcf9, 1, 0x02);
  g_assert_cmpuint (f->resets, ==, 0);
  g_assert_cmphex (pio_read (f, 0xcf9, 1), ==, 0x02);
  g_assert_cmphex (pio_read (f, 0xcf8, 4), ==, 0x80000000u);
  pio_write (f, 0xcf9, 1, 0x06);
  g_assert_cmpuint (f->resets, ==, 1);
  /* Byte and word accesses to 0xcf8 are not config addresses. */
  pio_write (f, 0xcf8, 1, 0x00);
  pio_write (f, 0xcf8, 2, 0x0000);
  g_assert_cmphex (pio_read (f, 0xcf8, 4), ==, 0x80000000u);
}

static void
test_ecam (Fixture *f, gconstpointer data)
{
  uint64_t dev3 = 3 << 15;

  g_assert_cmphex (ecam_read (f, 0, 4), ==, 0x29c08086);
  g_assert_cmphex (ecam_read (f, 0, 8), ==, 0x0000000029c08086ULL | ((uint64_t) 0x0006 << 32)
                   | ((uint64_t) 0 << 48));
  g_assert_cmphex (ecam_read (f, dev3, 4), ==, 0x10411af4);
  /* Unaligned accesses inside a function's space work byte-wise. */
  g_assert_cmphex (ecam_read (f, 1, 2), ==, 0xc080);
  g_assert_cmphex (ecam_read (f, 3, 4), ==, 0x00000629);
  /* Extended config space exists (and is empty) for present functions. */
  g_assert_cmphex (ecam_read (f, 0x100, 4), ==, 0);
  /* Running past the function's 4 KiB is not a config cycle. */
  g_assert_cmphex (ecam_read (f, 0xffe, 4), ==, 0xffffffff);
  ecam_write (f, dev3 + 0xffe, 4, 0);
  /* Other buses and absent functions. */
  g_assert_cmphex (ecam_read (f, 1 << 20, 4), ==, 0xffffffff);
  g_assert_cmphex (ecam_read (f, VMM_PCI_ECAM_SIZE - 4, 4), ==, 0xffffffff);
  g_assert_cmphex (ecam_read (f, (4 << 15), 2), ==, 0xffff);
  /* Outside the window: not ECAM at all. */
  g_assert_false (vmm_bus_read (f->mmio, VMM_PCI_ECAM_BASE + VMM_PCI_ECAM_SIZE - 2,
                                (uint8_t[4]) { 0 }, 4));
  /* A write through ECAM is visible through 0xcfc. */
  ecam_write (f, dev3 + 0x3c, 1, 0x0b);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x3c, 1), ==, 0x0b);
}

static void
test_bar_sizing (Fixture *f, gconstpointer data)
{
  unsigned before = f->written;

  cfg_write (f, 3, 0x10, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x10, 4), ==, 0xfffff000);
  cfg_write (f, 3, 0x10, 4, 0xfebf1234);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x10, 4), ==, 0xfebf1000);
  g_assert_cmphex (vmm_pci_device_bar_address (f->dev, 0), ==, 0xfebf1000);
  g_assert_cmpuint (f->written, >, before);

  /* 64-bit prefetchable, 8 GiB: low dword holds only flags. */
  cfg_write (f, 3, 0x18, 4, 0xffffffff);
  cfg_write (f, 3, 0x1c, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x18, 4), ==, 0x0000000c);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x1c, 4), ==, 0xfffffffe);
  cfg_write (f, 3, 0x18, 4, 0);
  cfg_write (f, 3, 0x1c, 4, 0x8);
  g_assert_cmphex (vmm_pci_device_bar_address (f->dev, 2), ==, 0x800000000ULL);

  cfg_write (f, 3, 0x20, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x20, 4), ==, 0xffffffe1);
  /* An unimplemented BAR reads zero whatever is written. */
  cfg_write (f, 3, 0x24, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x24, 4), ==, 0);
  g_assert_cmphex (vmm_pci_device_bar_address (f->dev, 5), ==, 0);
}

static void
test_bar_arguments (Fixture *f, gconstpointer data)
{
  VmmPciDevice *d = vmm_pci_device_new (1, 2, 0, 0);

  g_assert_cmpint (vmm_pci_device_add_bar (d, 6, VMM_PCI_BAR_MEM32, 0x1000), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 5, VMM_PCI_BAR_MEM64, 0x1000), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 0, VMM_PCI_BAR_MEM32, 0x1800), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 0, VMM_PCI_BAR_MEM32, 8), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 0, VMM_PCI_BAR_IO, 512), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 0, VMM_PCI_BAR_MEM64, 0x4000), ==, 0);
  g_assert_cmpint (vmm_pci_device_add_bar (d, 1, VMM_PCI_BAR_MEM32, 0x4000), ==, -EBUSY);
  g_assert_cmpint (vmm_pci_bus_add (f->pci, VMM_PCI_DEVFN (3, 0), d), ==, -EBUSY);
  vmm_pci_device_free (d);
}

static void
test_read_only_fields (Fixture *f, gconstpointer data)
{
  cfg_write (f, 3, 0x00, 4, 0);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x00, 4), ==, 0x10411af4);
  cfg_write (f, 3, 0x04, 2, 0xffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x04, 2), ==, 0x0547);
  cfg_write (f, 3, 0x08, 4, 0);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x08, 4), ==, 0x02000001);
}

static void
test_capabilities (Fixture *f, gconstpointer data)
{
  int a, b, n = 0;

  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x06, 2) & VMM_PCI_STATUS_CAP_LIST, ==, 0);
  a = vmm_pci_device_add_capability (f->dev, 0x09, 6);
  b = vmm_pci_device_add_capability (f->dev, 0x11, 12);
  g_assert_cmpint (a, ==, 0x40);
  g_assert_cmpint (b, ==, 0x48);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x06, 2) & VMM_PCI_STATUS_CAP_LIST, ==, VMM_PCI_STATUS_CAP_LIST);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x34, 1), ==, 0x40);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x40, 2), ==, 0x4809);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x48, 2), ==, 0x0011);
  /* The list is read-only for the guest. */
  cfg_write (f, 3, 0x40, 2, 0);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x40, 2), ==, 0x4809);
  /* Capabilities stay in the first 256 bytes. */
  while (vmm_pci_device_add_capability (f->dev, 0x05, 16) > 0)
    n++;
  g_assert_cmpint (n, ==, (0x100 - 0x54) / 16);
  g_assert_cmpint (vmm_pci_device_add_capability (f->dev, 0x05, 1), ==, -ENOSPC);
}

static uint32_t
mmio_read32 (Fixture *f, uint64_t addr, gboolean *decoded)
{
  uint8_t buf[4] = { 0 };

  *decoded = vmm_bus_read (f->mmio, addr, buf, 4);
  return (uint32_t) vmm_le_get (buf, 4);
}

/* An option ROM in the expansion ROM BAR: sized like a BAR, decoding only
 * with its enable bit and memory decoding on, read-only, and gone after
 * a reset; absurd addresses never decode. */
static void
test_rom (Fixture *f, gconstpointer data)
{
  static const uint8_t image[3000] = { 0x55, 0xaa, 0x06, [2999] = 0x77 };
  g_autoptr(GBytes) rom = g_bytes_new_static (image, sizeof image);
  g_autoptr(GBytes) empty = g_bytes_new_static (image, 0);
  gboolean decoded;

  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, empty), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, rom), ==, 0);
  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, rom), ==, -EINVAL);
  /* 3000 bytes take a 4 KiB BAR; bits 10:1 are reserved. */
  cfg_write (f, 3, 0x30, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x30, 4), ==, 0xfffff001);
  cfg_write (f, 3, 0x30, 4, 0xfe100000);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  mmio_read32 (f, 0xfe100000, &decoded);
  g_assert_false (decoded);

  cfg_write (f, 3, 0x30, 4, 0xfe100001);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000, &decoded), ==, 0x0006aa55);
  g_assert_true (decoded);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000 + 2996, &decoded), ==, 0x77000000);
  /* Padding up to the BAR's size reads zero; writes change nothing. */
  g_assert_cmphex (mmio_read32 (f, 0xfe100ffc, &decoded), ==, 0);
  vmm_bus_write (f->mmio, 0xfe100000, (uint8_t[4]) { 1, 2, 3, 4 }, 4);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000, &decoded), ==, 0x0006aa55);

  /* Memory decoding off: no ROM. */
  cfg_write (f, 3, 0x04, 2, 0x0000);
  mmio_read32 (f, 0xfe100000, &decoded);
  g_assert_false (decoded);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  /* Moved: decodes at the new place only. */
  cfg_write (f, 3, 0x30, 4, 0xfe200001);
  mmio_read32 (f, 0xfe100000, &decoded);
  g_assert_false (decoded);
  g_assert_cmphex (mmio_read32 (f, 0xfe200000, &decoded), ==, 0x0006aa55);
  /* Over ECAM: refused, nothing mapped, ECAM intact. */
  cfg_write (f, 3, 0x30, 4, (uint32_t) VMM_PCI_ECAM_BASE | 1);
  g_assert_cmphex (ecam_read (f, 0, 4), ==, 0x29c08086);
  /* Zero is "not assigned". */
  cfg_write (f, 3, 0x30, 4, 0x00000001);
  mmio_read32 (f, 0, &decoded);
  g_assert_false (decoded);
  cfg_write (f, 3, 0x30, 4, 0xfe200001);
  g_assert_cmphex (mmio_read32 (f, 0xfe200000, &decoded), ==, 0x0006aa55);
  vmm_pci_bus_reset (f->pci);
  g_assert_cmphex (cfg_read (f, 0, 3, 0, 0x30, 4), ==, 0);
  mmio_read32 (f, 0xfe200000, &decoded);
  g_assert_false (decoded);
}

/* PCIEXBAR moves ECAM (what SeaBIOS and OVMF write: disable, then the
 * base with the enable bit); reserved lengths, colliding and absurd bases
 * leave it off rather than anywhere harmful; a reset brings it back. */
static void
test_pciexbar (Fixture *f, gconstpointer data)
{
  static const uint8_t image[16] = { 0x55, 0xaa };
  g_autoptr(GBytes) rom = g_bytes_new_static (image, sizeof image);
  uint8_t b[4];

  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x60, 4), ==, (uint32_t) VMM_PCI_ECAM_BASE | 1);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x64, 4), ==, 0);
  cfg_write (f, 0, 0x60, 4, 0);
  g_assert_false (vmm_bus_read (f->mmio, VMM_PCI_ECAM_BASE, b, 4));
  /* Config cycles still work through 0xcf8. */
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x00, 4), ==, 0x29c08086);
  cfg_write (f, 0, 0x60, 4, 0xb0000001);
  g_assert_cmphex (ecam_read (f, 0, 4), ==, 0x29c08086);

  /* 64 MiB at 0xe0000000: buses 0-63. */
  cfg_write (f, 0, 0x60, 4, 0xe0000005);
  g_assert_false (vmm_bus_read (f->mmio, VMM_PCI_ECAM_BASE, b, 4));
  g_assert_true (vmm_bus_read (f->mmio, 0xe0000000 + (3 << 15), b, 4));
  g_assert_cmphex (vmm_le_get (b, 4), ==, 0x10411af4);
  g_assert_false (vmm_bus_read (f->mmio, 0xe0000000 + (64 << 20), b, 4));
  /* Above 4 GiB, 128 MiB; the base's low bits below the size drop. */
  cfg_write (f, 0, 0x64, 4, 0x8);
  cfg_write (f, 0, 0x60, 4, 0x0c000003);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x64, 4), ==, 0x8);
  g_assert_true (vmm_bus_read (f->mmio, 0x808000000ULL, b, 4));
  g_assert_cmphex (vmm_le_get (b, 4), ==, 0x29c08086);
  /* Bits beyond 36 address bits and below 26 are not writable. */
  cfg_write (f, 0, 0x64, 4, 0xffffffff);
  cfg_write (f, 0, 0x60, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x64, 4), ==, 0xf);
  g_assert_cmphex (cfg_read (f, 0, 0, 0, 0x60, 4), ==, 0xfc000007);
  /* ...and that is the reserved length: ECAM off. */
  g_assert_false (vmm_bus_read (f->mmio, 0xffc000000ULL, b, 4));
  cfg_write (f, 0, 0x64, 4, 0);

  /* On top of a BAR: ECAM off, the BAR keeps its range. */
  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, rom), ==, 0);
  cfg_write (f, 3, 0x30, 4, 0xd0000001);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  cfg_write (f, 0, 0x60, 4, 0xd0000001);
  g_assert_true (vmm_bus_read (f->mmio, 0xd0000000, b, 4));
  g_assert_cmphex (vmm_le_get (b, 4), ==, 0xaa55);

  vmm_pci_bus_reset (f->pci);
  g_assert_cmphex (ecam_read (f, 0, 4), ==, 0x29c08086);
}

/* A platform that records the memory a device maps, as KVM slots would. */
typedef struct {
  unsigned maps, unmaps;
  int live;                     /* the mapped handle, or -1 */
  uint64_t gpa, size;
  const uint8_t *host;
  unsigned flags;
  int fail;                     /* what ram_map answers when < 0 */
} MapRecorder;

static int
rec_map (void *opaque, uint64_t gpa, uint64_t size, void *host, unsigned flags)
{
  MapRecorder *r = opaque;

  if (r->fail < 0)
    return r->fail;
  g_assert_cmpint (r->live, ==, -1);
  r->maps++;
  r->live = 16 + (int) r->maps;
  r->gpa = gpa;
  r->size = size;
  r->host = host;
  r->flags = flags;
  return r->live;
}

static void
rec_unmap (void *opaque, int handle)
{
  MapRecorder *r = opaque;

  g_assert_cmpint (handle, ==, r->live);
  r->unmaps++;
  r->live = -1;
}

static const VmmPlatformOps rec_ops = { .ram_map = rec_map, .ram_unmap = rec_unmap };

/* A ROM of whole pages becomes read-only memory where it decodes, the
 * image then zeros; it follows the BAR and leaves with it, and the bus
 * still answers (for writes, and where mapping failed). */
static void
test_rom_memory (Fixture *f, gconstpointer data)
{
  static const uint8_t image[5000] = { 0x55, 0xaa, 0x0a, [4999] = 0x66 };
  g_autoptr(GBytes) rom = g_bytes_new_static (image, sizeof image);
  MapRecorder rec = { .live = -1 };
  VmmPlatform platform = { .ops = &rec_ops, .opaque = &rec };
  gboolean decoded;

  g_assert_cmpint (vmm_pci_device_map_rom_on (f->dev, &platform), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, rom), ==, 0);
  g_assert_cmpint (vmm_pci_device_map_rom_on (f->dev, NULL), ==, -EINVAL);
  g_assert_cmpint (vmm_pci_device_map_rom_on (f->dev, &platform), ==, 0);
  g_assert_cmpint (vmm_pci_device_map_rom_on (f->dev, &platform), ==, -EINVAL);

  cfg_write (f, 3, 0x30, 4, 0xfe100000);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  g_assert_cmpuint (rec.maps, ==, 0);
  cfg_write (f, 3, 0x30, 4, 0xfe100001);
  g_assert_cmpuint (rec.maps, ==, 1);
  g_assert_cmphex (rec.gpa, ==, 0xfe100000);
  g_assert_cmpuint (rec.size, ==, 8192);
  g_assert_cmphex (rec.flags, ==, VMM_RAM_READ_ONLY);
  g_assert_cmpmem (rec.host, sizeof image, image, sizeof image);
  for (size_t i = sizeof image; i < 8192; i++)
    g_assert_cmpuint (rec.host[i], ==, 0);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000, &decoded), ==, 0x000aaa55);
  g_assert_true (decoded);

  /* Moved: unmapped there, mapped here. */
  cfg_write (f, 3, 0x30, 4, 0xfe200001);
  g_assert_cmpuint (rec.unmaps, ==, 1);
  g_assert_cmpuint (rec.maps, ==, 2);
  g_assert_cmphex (rec.gpa, ==, 0xfe200000);
  /* Decoding off, then a reset: nothing stays mapped. */
  cfg_write (f, 3, 0x04, 2, 0x0000);
  g_assert_cmpint (rec.live, ==, -1);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  g_assert_cmpint (rec.live, >=, 0);
  vmm_pci_bus_reset (f->pci);
  g_assert_cmpint (rec.live, ==, -1);

  /* A platform that cannot map it: the bus serves the ROM. */
  rec.fail = -EINVAL;
  cfg_write (f, 3, 0x30, 4, 0xfe100001);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  g_assert_cmpint (rec.live, ==, -1);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000 + 4996, &decoded), ==, 0x66000000);
  g_assert_true (decoded);
  rec.fail = 0;
  cfg_write (f, 3, 0x30, 4, 0xfe200001);
  g_assert_cmpint (rec.live, >=, 0);
  /* Freeing the device (with the bus) unmaps it. */
  vmm_pci_bus_free (f->pci);
  f->pci = NULL;
  g_assert_cmpint (rec.live, ==, -1);
}

/* A ROM smaller than a page cannot be a slot: it stays on the bus. */
static void
test_rom_memory_small (Fixture *f, gconstpointer data)
{
  static const uint8_t image[1000] = { 0x55, 0xaa, 0x02 };
  g_autoptr(GBytes) rom = g_bytes_new_static (image, sizeof image);
  MapRecorder rec = { .live = -1 };
  VmmPlatform platform = { .ops = &rec_ops, .opaque = &rec };
  gboolean decoded;

  g_assert_cmpint (vmm_pci_device_set_rom (f->dev, rom), ==, 0);
  g_assert_cmpint (vmm_pci_device_map_rom_on (f->dev, &platform), ==, 0);
  cfg_write (f, 3, 0x30, 4, 0xfe100001);
  cfg_write (f, 3, 0x04, 2, 0x0002);
  g_assert_cmpuint (rec.maps, ==, 0);
  g_assert_cmphex (mmio_read32 (f, 0xfe100000, &decoded), ==, 0x0002aa55);
  g_assert_true (decoded);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/pci/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("host-bridge-legacy", test_host_bridge_legacy);
  ADD ("absent-functions", test_absent_functions);
  ADD ("reset-register", test_reset_register_shares_port);
  ADD ("ecam", test_ecam);
  ADD ("bar-sizing", test_bar_sizing);
  ADD ("bar-arguments", test_bar_arguments);
  ADD ("read-only-fields", test_read_only_fields);
  ADD ("capabilities", test_capabilities);
  ADD ("rom", test_rom);
  ADD ("rom-memory", test_rom_memory);
  ADD ("rom-memory-small", test_rom_memory_small);
  ADD ("pciexbar", test_pciexbar);
#undef ADD
  return g_test_run ();
}
