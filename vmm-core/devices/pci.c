/* pci.c: PCI configuration space and the bus that routes config cycles.
 *
 * Only bus 0 exists: devices sit directly on the root complex, as on a
 * microvm-sized q35. Config cycles arrive through the legacy 0xcf8/0xcfc
 * mechanism or through ECAM; both end in vmm_pci_bus_config_read/write.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/pci.h"
#include "x86/layout.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define CMD_WRITABLE   0x0547 /* I/O, memory, master, parity, SERR, INTx disable */
#define STATUS_W1C     0xf900
#define CAP_FIRST      0x40
#define ROM_ENABLE     0x1u
#define ROM_MIN_SIZE   2048u        /* the ROM BAR's address bits start at 11 */
#define ROM_MAX_SIZE   (16u << 20)

struct _VmmPciBus {
  GMutex lock;
  uint32_t config_address;
  VmmPciDevice *devices[256];
  VmmBus *pio, *mmio;        /* where BARs are mapped, once registered */
  uint64_t ecam_base;        /* where ECAM decodes, or VMM_PCI_BAR_UNMAPPED */
  VmmPciIntxRoute intx_route;
};

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static void
put32 (uint8_t *p, uint32_t v)
{
  for (unsigned i = 0; i < 4; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

VmmPciDevice *
vmm_pci_device_new (uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision)
{
  VmmPciDevice *dev = g_new0 (VmmPciDevice, 1);

  put16 (dev->cfg + VMM_PCI_VENDOR_ID, vendor);
  put16 (dev->cfg + VMM_PCI_DEVICE_ID, device);
  dev->cfg[VMM_PCI_REVISION] = revision;
  dev->cfg[VMM_PCI_CLASS_PROG] = (uint8_t) class_code;
  dev->cfg[VMM_PCI_CLASS_PROG + 1] = (uint8_t) (class_code >> 8);
  dev->cfg[VMM_PCI_CLASS_PROG + 2] = (uint8_t) (class_code >> 16);
  put16 (dev->wmask + VMM_PCI_COMMAND, CMD_WRITABLE);
  put16 (dev->w1cmask + VMM_PCI_STATUS, STATUS_W1C);
  dev->wmask[VMM_PCI_INTERRUPT_LINE] = 0xff;
  dev->cap_next = CAP_FIRST;
  for (unsigned i = 0; i < VMM_PCI_BARS; i++)
    dev->bar_mapped[i] = VMM_PCI_BAR_UNMAPPED;
  dev->rom_mapped = VMM_PCI_BAR_UNMAPPED;
  dev->rom_slot = -1;
  dev->intx_gsi = -1;
  return dev;
}

void
vmm_pci_device_free (VmmPciDevice *dev)
{
  if (dev == NULL)
    return;
  if (dev->ops != NULL && dev->ops->destroy != NULL)
    dev->ops->destroy (dev, dev->opaque);
  if (dev->rom_slot >= 0)
    dev->rom_platform->ops->ram_unmap (dev->rom_platform->opaque, dev->rom_slot);
  if (dev->rom_host != NULL)
    munmap (dev->rom_host, dev->rom_size);
  g_clear_pointer (&dev->rom, g_bytes_unref);
  g_free (dev);
}

void
vmm_pci_device_set_subsystem (VmmPciDevice *dev, uint16_t vendor, uint16_t id)
{
  put16 (dev->cfg + VMM_PCI_SUBSYS_VENDOR, vendor);
  put16 (dev->cfg + VMM_PCI_SUBSYS_ID, id);
}

void
vmm_pci_device_set_ops (VmmPciDevice *dev, const VmmPciDeviceOps *ops, void *opaque)
{
  dev->ops = ops;
  dev->opaque = opaque;
}

int
vmm_pci_device_add_bar (VmmPciDevice *dev, unsigned bar, VmmPciBarKind kind, uint64_t size)
{
  gboolean is64 = kind == VMM_PCI_BAR_MEM64 || kind == VMM_PCI_BAR_MEM64_PREFETCH;
  unsigned off = VMM_PCI_BAR0 + 4 * bar;
  uint64_t mask;
  uint32_t flags;

  if (bar >= VMM_PCI_BARS || (is64 && bar + 1 >= VMM_PCI_BARS))
    return -EINVAL;
  if (size == 0 || (size & (size - 1)) != 0)
    return -EINVAL;
  if (kind == VMM_PCI_BAR_IO ? (size < 4 || size > 256) : size < 16)
    return -EINVAL;
  if (kind != VMM_PCI_BAR_MEM64 && kind != VMM_PCI_BAR_MEM64_PREFETCH && size > 0x80000000ULL)
    return -EINVAL;
  if (dev->bar_size[bar] != 0 || (is64 && dev->bar_size[bar + 1] != 0))
    return -EBUSY;

  switch (kind)
    {
    case VMM_PCI_BAR_IO:
      flags = 0x1;
      break;
    case VMM_PCI_BAR_MEM32:
      flags = 0x0;
      break;
    case VMM_PCI_BAR_MEM64:
      flags = 0x4;
      break;
    case VMM_PCI_BAR_MEM64_PREFETCH:
    default:
      flags = 0x4 | 0x8;
      break;
    }

  /* The sizing protocol falls out of the write mask: the low bits below
   * the size stay zero, so all-ones reads back as ~(size - 1) | flags. */
  mask = ~(size - 1) & (kind == VMM_PCI_BAR_IO ? ~(uint64_t) 0x3 : ~(uint64_t) 0xf);
  if (!is64)
    mask &= 0xffffffffULL;
  put32 (dev->cfg + off, flags);
  put32 (dev->wmask + off, (uint32_t) mask);
  dev->bar_size[bar] = size;
  dev->bar_kind[bar] = kind;
  if (is64)
    {
      put32 (dev->wmask + off + 4, (uint32_t) (mask >> 32));
      /* The upper half is not a BAR of its own. */
      dev->bar_size[bar + 1] = size;
      dev->bar_kind[bar + 1] = kind;
    }
  return 0;
}

int
vmm_pci_device_set_bar_ops (VmmPciDevice *dev, unsigned bar, const VmmBusOps *ops,
                            unsigned widths, void *opaque)
{
  if (bar >= VMM_PCI_BARS || dev->bar_size[bar] == 0 || (widths & VMM_BUS_WANY) == 0)
    return -EINVAL;
  dev->bar_ops[bar] = ops;
  dev->bar_widths[bar] = widths;
  dev->bar_opaque[bar] = opaque;
  return 0;
}

/* Reads past the image's end find the BAR's padding: zeros. Writes to a
 * ROM go nowhere. */
static void
rom_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmPciDevice *dev = opaque;
  size_t size;
  const uint8_t *p = g_bytes_get_data (dev->rom, &size);

  for (unsigned i = 0; i < len; i++)
    data[i] = offset + i < size ? p[offset + i] : 0;
}

static void
rom_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
}

static const VmmBusOps rom_ops = { .read = rom_read, .write = rom_write };

int
vmm_pci_device_set_rom (VmmPciDevice *dev, GBytes *rom)
{
  size_t len = rom != NULL ? g_bytes_get_size (rom) : 0;
  uint64_t size = ROM_MIN_SIZE;

  if (len == 0 || len > ROM_MAX_SIZE || dev->rom != NULL)
    return -EINVAL;
  while (size < len)
    size <<= 1;
  dev->rom = g_bytes_ref (rom);
  dev->rom_size = size;
  put32 (dev->cfg + VMM_PCI_ROM_ADDRESS, 0);
  put32 (dev->wmask + VMM_PCI_ROM_ADDRESS, (uint32_t) ~(size - 1) | ROM_ENABLE);
  return 0;
}

int
vmm_pci_device_map_rom_on (VmmPciDevice *dev, VmmPlatform *platform)
{
  size_t len;
  const void *data;
  void *host;

  if (dev->rom == NULL || dev->rom_platform != NULL || platform == NULL)
    return -EINVAL;
  /* KVM maps whole pages; a smaller ROM keeps exiting, which is rare
   * enough not to matter. */
  if (platform->ops->ram_map == NULL || dev->rom_size % 4096 != 0)
    return 0;
  host = mmap (NULL, dev->rom_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (host == MAP_FAILED)
    return 0;
  /* The padding past the image reads as zeros, as rom_read answers. */
  data = g_bytes_get_data (dev->rom, &len);
  memcpy (host, data, len);
  mprotect (host, dev->rom_size, PROT_READ);
  dev->rom_host = host;
  dev->rom_platform = platform;
  return 0;
}

static uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

uint64_t
vmm_pci_device_bar_address (const VmmPciDevice *dev, unsigned bar)
{
  unsigned off = VMM_PCI_BAR0 + 4 * bar;
  uint64_t addr;

  if (bar >= VMM_PCI_BARS || dev->bar_size[bar] == 0)
    return 0;
  addr = get32 (dev->cfg + off);
  switch (dev->bar_kind[bar])
    {
    case VMM_PCI_BAR_IO:
      return addr & ~(uint64_t) 0x3;
    case VMM_PCI_BAR_MEM32:
      return addr & ~(uint64_t) 0xf;
    default:
      return (addr & ~(uint64_t) 0xf) | ((uint64_t) get32 (dev->cfg + off + 4) << 32);
    }
}

int
vmm_pci_device_add_capability (VmmPciDevice *dev, uint8_t id, unsigned len)
{
  unsigned off = (dev->cap_next + 3) & ~3u;

  /* Capabilities live in the first 256 bytes, where legacy config
   * cycles reach them. */
  if (len < 2 || off + len > VMM_PCI_LEGACY_CFG_SIZE)
    return -ENOSPC;
  dev->cfg[off] = id;
  dev->cfg[off + 1] = 0;
  if (dev->cap_last == 0)
    dev->cfg[VMM_PCI_CAP_PTR] = (uint8_t) off;
  else
    dev->cfg[dev->cap_last + 1] = (uint8_t) off;
  dev->cfg[VMM_PCI_STATUS] |= VMM_PCI_STATUS_CAP_LIST;
  dev->cap_last = off;
  dev->cap_next = off + len;
  return (int) off;
}

static gboolean
is_upper_half (const VmmPciDevice *dev, unsigned bar)
{
  return bar > 0 && dev->bar_size[bar - 1] != 0
         && (dev->bar_kind[bar - 1] == VMM_PCI_BAR_MEM64
             || dev->bar_kind[bar - 1] == VMM_PCI_BAR_MEM64_PREFETCH);
}

/* Where @bar should decode now: the programmed address if the matching
 * command bit is set and the range is sane (not while the guest sizes it:
 * an all-ones address wraps or lands on top of the APIC). */
static uint64_t
bar_target (const VmmPciDevice *dev, unsigned bar)
{
  uint16_t cmd = (uint16_t) (dev->cfg[VMM_PCI_COMMAND] | dev->cfg[VMM_PCI_COMMAND + 1] << 8);
  uint64_t addr = vmm_pci_device_bar_address (dev, bar);
  uint64_t size = dev->bar_size[bar];
  gboolean io = dev->bar_kind[bar] == VMM_PCI_BAR_IO;

  if (!(cmd & (io ? 0x1 : 0x2)) || addr == 0 || addr + size < addr)
    return VMM_PCI_BAR_UNMAPPED;
  if (io && addr + size > 0x10000)
    return VMM_PCI_BAR_UNMAPPED;
  return addr;
}

/* The expansion ROM follows its enable bit and the memory bit; an
 * address the guest left at zero, or one running past 4 GiB, does not
 * decode. */
static void
update_rom_mapping (VmmPciDevice *dev)
{
  VmmPciBus *bus = dev->bus;
  uint16_t cmd = (uint16_t) (dev->cfg[VMM_PCI_COMMAND] | dev->cfg[VMM_PCI_COMMAND + 1] << 8);
  uint32_t reg = get32 (dev->cfg + VMM_PCI_ROM_ADDRESS);
  uint64_t addr = reg & ~(uint32_t) (ROM_MIN_SIZE - 1), want = VMM_PCI_BAR_UNMAPPED;

  if (dev->rom == NULL || bus->mmio == NULL)
    return;
  if ((cmd & 0x2) && (reg & ROM_ENABLE) && addr != 0 && addr + dev->rom_size <= (1ULL << 32))
    want = addr;
  if (want == dev->rom_mapped)
    return;
  if (dev->rom_slot >= 0)
    dev->rom_platform->ops->ram_unmap (dev->rom_platform->opaque, dev->rom_slot);
  dev->rom_slot = -1;
  if (dev->rom_mapped != VMM_PCI_BAR_UNMAPPED)
    vmm_bus_unregister (bus->mmio, dev->rom_mapped, dev);
  dev->rom_mapped = VMM_PCI_BAR_UNMAPPED;
  if (want != VMM_PCI_BAR_UNMAPPED
      && vmm_bus_register (bus->mmio, want, dev->rom_size, VMM_BUS_WANY, &rom_ops, dev) == 0)
    dev->rom_mapped = want;
  else if (want != VMM_PCI_BAR_UNMAPPED)
    g_debug ("PCI %02x.%x: ROM at 0x%" G_GINT64_MODIFIER "x conflicts; not mapped",
             dev->devfn >> 3, dev->devfn & 7, want);
  /* On top of the bus registration, which still takes the writes (and
   * the reads where the platform cannot map it). The BAR is aligned to
   * its size, a whole number of pages here. */
  if (dev->rom_mapped != VMM_PCI_BAR_UNMAPPED && dev->rom_host != NULL)
    {
      int slot = dev->rom_platform->ops->ram_map (dev->rom_platform->opaque, want, dev->rom_size,
                                                  dev->rom_host, VMM_RAM_READ_ONLY);

      if (slot >= 0)
        dev->rom_slot = slot;
      else
        g_debug ("PCI %02x.%x: ROM not mapped as memory (%s); served by MMIO",
                 dev->devfn >> 3, dev->devfn & 7, g_strerror (-slot));
    }
}

/* Called with the bus lock held after any config write. A BAR with bus
 * ops is registered on its bus; one without (a framebuffer backed by host
 * memory, mapped straight into the VM) only has its device told. */
static void
update_mappings (VmmPciDevice *dev)
{
  VmmPciBus *bus = dev->bus;

  if (bus == NULL)
    return;
  update_rom_mapping (dev);
  for (unsigned bar = 0; bar < VMM_PCI_BARS; bar++)
    {
      VmmBus *space;
      uint64_t want;

      if (dev->bar_size[bar] == 0 || is_upper_half (dev, bar))
        continue;
      space = dev->bar_kind[bar] == VMM_PCI_BAR_IO ? bus->pio : bus->mmio;
      if (dev->bar_ops[bar] != NULL && space == NULL)
        continue;
      want = bar_target (dev, bar);
      if (want == dev->bar_mapped[bar])
        continue;
      if (dev->bar_mapped[bar] != VMM_PCI_BAR_UNMAPPED && dev->bar_ops[bar] != NULL)
        vmm_bus_unregister (space, dev->bar_mapped[bar], dev->bar_opaque[bar]);
      dev->bar_mapped[bar] = VMM_PCI_BAR_UNMAPPED;
      /* A guest may place a BAR over RAM or another device; it then just
       * does not decode, as on hardware where the outcome is undefined. */
      if (want != VMM_PCI_BAR_UNMAPPED
          && (dev->bar_ops[bar] == NULL
              || vmm_bus_register (space, want, dev->bar_size[bar], dev->bar_widths[bar],
                                   dev->bar_ops[bar], dev->bar_opaque[bar]) == 0))
        dev->bar_mapped[bar] = want;
      else if (want != VMM_PCI_BAR_UNMAPPED)
        g_debug ("PCI %02x.%x: BAR%u at 0x%" G_GINT64_MODIFIER "x conflicts; not mapped",
                 dev->devfn >> 3, dev->devfn & 7, bar, want);
      if (dev->ops != NULL && dev->ops->bar_moved != NULL)
        dev->ops->bar_moved (dev, bar, dev->bar_mapped[bar], dev->opaque);
    }
}

void
vmm_pci_device_config_read (VmmPciDevice *dev, unsigned offset, uint8_t *data, unsigned len)
{
  for (unsigned i = 0; i < len; i++)
    data[i] = offset + i < VMM_PCI_CFG_SIZE ? dev->cfg[offset + i] : 0xff;
}

void
vmm_pci_device_config_write (VmmPciDevice *dev, unsigned offset, const uint8_t *data, unsigned len)
{
  for (unsigned i = 0; i < len && offset + i < VMM_PCI_CFG_SIZE; i++)
    {
      unsigned o = offset + i;
      dev->cfg[o] = (uint8_t) ((dev->cfg[o] & ~dev->wmask[o]) | (data[i] & dev->wmask[o]));
      dev->cfg[o] &= (uint8_t) ~(data[i] & dev->w1cmask[o]);
    }
  update_mappings (dev);
  if (dev->ops != NULL && dev->ops->config_written != NULL)
    dev->ops->config_written (dev, offset, len, dev->opaque);
}

VmmPciBus *
vmm_pci_bus_new (void)
{
  VmmPciBus *bus = g_new0 (VmmPciBus, 1);

  g_mutex_init (&bus->lock);
  bus->ecam_base = VMM_PCI_BAR_UNMAPPED;
  return bus;
}

void
vmm_pci_bus_free (VmmPciBus *bus)
{
  if (bus == NULL)
    return;
  for (unsigned i = 0; i < G_N_ELEMENTS (bus->devices); i++)
    vmm_pci_device_free (bus->devices[i]);
  g_mutex_clear (&bus->lock);
  g_free (bus);
}

void
vmm_pci_bus_set_intx_route (VmmPciBus *bus, VmmPciIntxRoute route)
{
  bus->intx_route = route;
}

int
vmm_pci_bus_add (VmmPciBus *bus, uint8_t devfn, VmmPciDevice *dev)
{
  unsigned pin;

  if (bus->devices[devfn] != NULL)
    return -EBUSY;
  bus->devices[devfn] = dev;
  dev->bus = bus;
  dev->devfn = devfn;
  pin = dev->cfg[VMM_PCI_INTERRUPT_PIN];
  if (bus->intx_route != NULL && pin >= 1 && pin <= 4)
    {
      dev->intx_gsi = (int) bus->intx_route (devfn >> 3, pin - 1u);
      /* What firmware would write: the line, for drivers that look. */
      dev->cfg[VMM_PCI_INTERRUPT_LINE] = (uint8_t) dev->intx_gsi;
    }
  memcpy (dev->cfg_reset, dev->cfg, sizeof dev->cfg);
  return 0;
}

void
vmm_pci_bus_reset (VmmPciBus *bus)
{
  g_mutex_lock (&bus->lock);
  bus->config_address = 0;
  for (unsigned i = 0; i < G_N_ELEMENTS (bus->devices); i++)
    {
      VmmPciDevice *dev = bus->devices[i];
      if (dev == NULL)
        continue;
      memcpy (dev->cfg, dev->cfg_reset, sizeof dev->cfg);
      update_mappings (dev);
      if (dev->ops != NULL && dev->ops->reset != NULL)
        dev->ops->reset (dev, dev->opaque);
    }
  g_mutex_unlock (&bus->lock);
}

typedef struct {
  VmmPciDevice *dev;
  unsigned bar;
} BarRef;

static gint
bar_by_size_desc (gconstpointer a, gconstpointer b)
{
  const BarRef *x = a, *y = b;
  uint64_t sx = x->dev->bar_size[x->bar], sy = y->dev->bar_size[y->bar];

  return sx < sy ? 1 : sx > sy ? -1 : 0;
}

static void
set_bar_address (VmmPciDevice *dev, unsigned bar, uint64_t addr)
{
  unsigned off = VMM_PCI_BAR0 + 4 * bar;
  uint32_t flags = get32 (dev->cfg + off) & (dev->bar_kind[bar] == VMM_PCI_BAR_IO ? 0x3 : 0xf);

  put32 (dev->cfg + off, (uint32_t) addr | flags);
  if (dev->bar_kind[bar] == VMM_PCI_BAR_MEM64 || dev->bar_kind[bar] == VMM_PCI_BAR_MEM64_PREFETCH)
    put32 (dev->cfg + off + 4, (uint32_t) (addr >> 32));
}

int
vmm_pci_bus_assign_bars (VmmPciBus *bus, uint64_t mmio_base, uint64_t mmio_size,
                         uint64_t io_base, uint64_t io_size)
{
  g_autoptr (GArray) bars = g_array_new (FALSE, FALSE, sizeof (BarRef));
  uint64_t mmio_next = mmio_base, io_next = io_base;
  int r = 0;

  g_mutex_lock (&bus->lock);
  for (unsigned i = 0; i < G_N_ELEMENTS (bus->devices); i++)
    {
      VmmPciDevice *dev = bus->devices[i];
      for (unsigned bar = 0; dev != NULL && bar < VMM_PCI_BARS; bar++)
        if (dev->bar_size[bar] != 0 && !is_upper_half (dev, bar))
          g_array_append_val (bars, ((BarRef) { dev, bar }));
    }
  g_array_sort (bars, bar_by_size_desc);

  for (guint i = 0; i < bars->len && r == 0; i++)
    {
      BarRef *b = &g_array_index (bars, BarRef, i);
      uint64_t size = b->dev->bar_size[b->bar];
      gboolean io = b->dev->bar_kind[b->bar] == VMM_PCI_BAR_IO;
      uint64_t *next = io ? &io_next : &mmio_next;
      uint64_t end = io ? io_base + io_size : mmio_base + mmio_size;
      uint64_t addr = (*next + size - 1) & ~(size - 1);

      if (addr < *next || addr + size > end)
        {
          r = -ENOSPC;
          break;
        }
      set_bar_address (b->dev, b->bar, addr);
      *next = addr + size;
    }
  for (unsigned i = 0; i < G_N_ELEMENTS (bus->devices) && r == 0; i++)
    {
      VmmPciDevice *dev = bus->devices[i];
      gboolean has_io = FALSE, has_mem = FALSE;
      uint16_t cmd;

      if (dev == NULL || i == 0)
        continue;
      for (unsigned bar = 0; bar < VMM_PCI_BARS; bar++)
        if (dev->bar_size[bar] != 0)
          {
            has_io |= dev->bar_kind[bar] == VMM_PCI_BAR_IO;
            has_mem |= dev->bar_kind[bar] != VMM_PCI_BAR_IO;
          }
      cmd = (uint16_t) (dev->cfg[VMM_PCI_COMMAND] | dev->cfg[VMM_PCI_COMMAND + 1] << 8);
      cmd |= (has_io ? 0x1 : 0) | (has_mem ? 0x2 : 0) | 0x4;
      put16 (dev->cfg + VMM_PCI_COMMAND, cmd);
      update_mappings (dev);
    }
  g_mutex_unlock (&bus->lock);
  return r;
}

static VmmPciDevice *
lookup (VmmPciBus *bus, uint8_t busnr, uint8_t devfn)
{
  return busnr == 0 ? bus->devices[devfn] : NULL;
}

static void
config_read_locked (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                    unsigned offset, uint8_t *data, unsigned len)
{
  VmmPciDevice *dev = lookup (bus, busnr, devfn);

  if (dev == NULL || offset >= VMM_PCI_CFG_SIZE || len > VMM_PCI_CFG_SIZE - offset)
    memset (data, 0xff, len);
  else
    vmm_pci_device_config_read (dev, offset, data, len);
}

static void
config_write_locked (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                     unsigned offset, const uint8_t *data, unsigned len)
{
  VmmPciDevice *dev = lookup (bus, busnr, devfn);

  if (dev != NULL && offset < VMM_PCI_CFG_SIZE && len <= VMM_PCI_CFG_SIZE - offset)
    vmm_pci_device_config_write (dev, offset, data, len);
}

void
vmm_pci_bus_config_read (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                         unsigned offset, uint8_t *data, unsigned len)
{
  g_mutex_lock (&bus->lock);
  config_read_locked (bus, busnr, devfn, offset, data, len);
  g_mutex_unlock (&bus->lock);
}

void
vmm_pci_bus_config_write (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                          unsigned offset, const uint8_t *data, unsigned len)
{
  g_mutex_lock (&bus->lock);
  config_write_locked (bus, busnr, devfn, offset, data, len);
  g_mutex_unlock (&bus->lock);
}

/* CONFIG_ADDRESS: enable bit 31, bus 23:16, device/function 15:8,
 * dword register 7:2. */
static void
addr_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;

  g_mutex_lock (&bus->lock);
  vmm_le_put (data, len, bus->config_address);
  g_mutex_unlock (&bus->lock);
}

static void
addr_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;

  g_mutex_lock (&bus->lock);
  bus->config_address = (uint32_t) vmm_le_get (data, len) & 0x80fffffcu;
  g_mutex_unlock (&bus->lock);
}

static void
data_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;
  uint32_t a;

  g_mutex_lock (&bus->lock);
  a = bus->config_address;
  if (!(a & 0x80000000u))
    memset (data, 0xff, len);
  else
    config_read_locked (bus, (uint8_t) (a >> 16), (uint8_t) (a >> 8),
                        (a & 0xfc) + (unsigned) offset, data, len);
  g_mutex_unlock (&bus->lock);
}

static void
data_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;
  uint32_t a;

  g_mutex_lock (&bus->lock);
  a = bus->config_address;
  if (a & 0x80000000u)
    config_write_locked (bus, (uint8_t) (a >> 16), (uint8_t) (a >> 8),
                         (a & 0xfc) + (unsigned) offset, data, len);
  g_mutex_unlock (&bus->lock);
}

/* ECAM: bus 27:20, device/function 19:12, register 11:0. An access that
 * would run past its function's 4 KiB is not a config cycle at all. */
static void
ecam_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;
  unsigned reg = (unsigned) (offset & 0xfff);

  if (reg + len > VMM_PCI_CFG_SIZE)
    {
      memset (data, 0xff, len);
      return;
    }
  vmm_pci_bus_config_read (bus, (uint8_t) (offset >> 20), (uint8_t) (offset >> 12), reg, data, len);
}

static void
ecam_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmPciBus *bus = opaque;
  unsigned reg = (unsigned) (offset & 0xfff);

  if (reg + len > VMM_PCI_CFG_SIZE)
    return;
  vmm_pci_bus_config_write (bus, (uint8_t) (offset >> 20), (uint8_t) (offset >> 12), reg, data, len);
}

static const VmmBusOps addr_ops = { .read = addr_read, .write = addr_write };
static const VmmBusOps data_ops = { .read = data_read, .write = data_write };
static const VmmBusOps ecam_ops = { .read = ecam_read, .write = ecam_write };

int
vmm_pci_bus_register (VmmPciBus *bus, VmmBus *pio, VmmBus *mmio,
                      uint64_t ecam_base, uint64_t ecam_size)
{
  int r;

  bus->pio = pio;
  bus->mmio = mmio;
  r = vmm_bus_register (pio, VMM_PORT_PCI_CONFIG, 4, VMM_BUS_W4, &addr_ops, bus);
  if (r == 0)
    r = vmm_bus_register (pio, VMM_PORT_PCI_CONFIG + 4, 4, VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4,
                          &data_ops, bus);
  if (r == 0 && mmio != NULL)
    r = vmm_pci_bus_move_ecam (bus, ecam_base, ecam_size);
  return r;
}

int
vmm_pci_bus_move_ecam (VmmPciBus *bus, uint64_t base, uint64_t size)
{
  int r;

  if (bus->mmio == NULL)
    return -EINVAL;
  if (bus->ecam_base != VMM_PCI_BAR_UNMAPPED)
    vmm_bus_unregister (bus->mmio, bus->ecam_base, bus);
  bus->ecam_base = VMM_PCI_BAR_UNMAPPED;
  if (base == VMM_PCI_BAR_UNMAPPED)
    return 0;
  r = vmm_bus_register (bus->mmio, base, size, VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4 | VMM_BUS_W8,
                        &ecam_ops, bus);
  if (r == 0)
    bus->ecam_base = base;
  return r;
}
