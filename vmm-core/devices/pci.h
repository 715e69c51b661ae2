/* pci.h: PCI configuration space and the bus that routes config cycles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "platform.h"

#define VMM_PCI_CFG_SIZE        4096
#define VMM_PCI_LEGACY_CFG_SIZE 256
#define VMM_PCI_DEVFN(dev, fn)  ((uint8_t) (((dev) << 3) | (fn)))
#define VMM_PCI_BARS            6

#define VMM_PCI_VENDOR_ID       0x00
#define VMM_PCI_DEVICE_ID       0x02
#define VMM_PCI_COMMAND         0x04
#define VMM_PCI_STATUS          0x06
#define VMM_PCI_REVISION        0x08
#define VMM_PCI_CLASS_PROG      0x09
#define VMM_PCI_HEADER_TYPE     0x0e
#define VMM_PCI_BAR0            0x10
#define VMM_PCI_SUBSYS_VENDOR   0x2c
#define VMM_PCI_SUBSYS_ID       0x2e
#define VMM_PCI_CAP_PTR         0x34
#define VMM_PCI_ROM_ADDRESS     0x30
#define VMM_PCI_INTERRUPT_LINE  0x3c
#define VMM_PCI_INTERRUPT_PIN   0x3d

#define VMM_PCI_STATUS_CAP_LIST 0x0010

/* BAR kinds for vmm_pci_device_add_bar(). */
typedef enum {
  VMM_PCI_BAR_IO,
  VMM_PCI_BAR_MEM32,
  VMM_PCI_BAR_MEM64,          /* takes this BAR and the next */
  VMM_PCI_BAR_MEM64_PREFETCH,
} VmmPciBarKind;

typedef struct _VmmPciDevice VmmPciDevice;

#define VMM_PCI_BAR_UNMAPPED    UINT64_MAX

typedef struct _VmmPciBus VmmPciBus;

/* Device hooks, all optional. config_written runs after the guest wrote
 * config space, with the bus lock held (BAR mappings already updated).
 * bar_moved tells the device where a BAR now decodes (VMM_PCI_BAR_UNMAPPED
 * when it stopped decoding), for fast paths keyed on guest addresses such
 * as ioeventfds. reset runs at a machine reset after config space went back
 * to its power-on contents. destroy frees what the device hung on @opaque. */
typedef struct {
  void (*config_written) (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque);
  void (*bar_moved)      (VmmPciDevice *dev, unsigned bar, uint64_t addr, void *opaque);
  void (*reset)          (VmmPciDevice *dev, void *opaque);
  void (*destroy)        (VmmPciDevice *dev, void *opaque);
} VmmPciDeviceOps;

/* Config space with per-byte write masks, so that BAR sizing (write all
 * ones, read back the size mask) and read-only fields work without
 * per-device code. */
struct _VmmPciDevice {
  uint8_t cfg[VMM_PCI_CFG_SIZE];
  uint8_t wmask[VMM_PCI_CFG_SIZE];   /* bits the guest may write */
  uint8_t w1cmask[VMM_PCI_CFG_SIZE]; /* bits the guest clears by writing one */
  uint64_t bar_size[VMM_PCI_BARS];
  VmmPciBarKind bar_kind[VMM_PCI_BARS];
  const VmmBusOps *bar_ops[VMM_PCI_BARS]; /* how a mapped BAR is served */
  void *bar_opaque[VMM_PCI_BARS];
  unsigned bar_widths[VMM_PCI_BARS];
  uint64_t bar_mapped[VMM_PCI_BARS];  /* where it decodes now, or VMM_PCI_BAR_UNMAPPED */
  uint8_t cfg_reset[VMM_PCI_CFG_SIZE]; /* config space at power-on */
  VmmPciBus *bus;
  uint8_t devfn;
  int intx_gsi;                       /* where INTx# goes once on a bus, or -1 */
  unsigned cap_next;                  /* where the next capability goes */
  unsigned cap_last;                  /* the last capability's offset, 0 if none */
  GBytes *rom;                        /* the expansion ROM's contents, or NULL */
  uint64_t rom_size;                  /* its BAR's size: a power of two */
  uint64_t rom_mapped;                /* where it decodes now, or VMM_PCI_BAR_UNMAPPED */
  VmmPlatform *rom_platform;          /* maps the ROM as memory, or NULL */
  uint8_t *rom_host;                  /* its page-aligned copy mapped there */
  int rom_slot;                       /* the platform's handle, or -1 */
  const VmmPciDeviceOps *ops;
  void *opaque;
};

VmmPciDevice *vmm_pci_device_new            (uint16_t vendor, uint16_t device,
                                             uint32_t class_code, uint8_t revision);
void          vmm_pci_device_free           (VmmPciDevice *dev);
void          vmm_pci_device_set_subsystem  (VmmPciDevice *dev, uint16_t vendor, uint16_t id);
void          vmm_pci_device_set_ops        (VmmPciDevice *dev, const VmmPciDeviceOps *ops,
                                             void *opaque);
/* @size must be a power of two (at least 16 for memory, 4 for I/O).
 * Returns 0 or -EINVAL / -EBUSY. */
int           vmm_pci_device_add_bar        (VmmPciDevice *dev, unsigned bar, VmmPciBarKind kind,
                                             uint64_t size);
/* Serves @bar with @ops once the guest maps it (and enables decoding);
 * @widths as for vmm_bus_register. */
int           vmm_pci_device_set_bar_ops    (VmmPciDevice *dev, unsigned bar, const VmmBusOps *ops,
                                             unsigned widths, void *opaque);
/* Gives the device an expansion ROM BAR (config 0x30) holding @rom, as
 * firmware finds a card's option ROM: read-only memory, decoding while
 * its enable bit and the command register's memory bit are set. Returns
 * 0, or -EINVAL for an empty ROM or one over 16 MiB. */
int           vmm_pci_device_set_rom        (VmmPciDevice *dev, GBytes *rom);
/* Maps the ROM set above as read-only memory on @platform wherever it
 * decodes, so firmware copying it out (SeaBIOS reads a VGA BIOS four
 * bytes at a time) does not exit per access; writes still reach the bus
 * and go nowhere. Without a ROM of at least a page, or where the platform
 * cannot map it, the ROM stays served by MMIO. Returns 0 or -EINVAL. */
int           vmm_pci_device_map_rom_on     (VmmPciDevice *dev, VmmPlatform *platform);
/* The address the guest programmed into @bar (flags masked off). */
uint64_t      vmm_pci_device_bar_address    (const VmmPciDevice *dev, unsigned bar);
/* Appends a capability of @len bytes (header included) to the list and
 * returns its config-space offset, or -ENOSPC. */
int           vmm_pci_device_add_capability (VmmPciDevice *dev, uint8_t id, unsigned len);
/* The guest's view of config space, for the device's own code. */
void          vmm_pci_device_config_read    (VmmPciDevice *dev, unsigned offset,
                                             uint8_t *data, unsigned len);
void          vmm_pci_device_config_write   (VmmPciDevice *dev, unsigned offset,
                                             const uint8_t *data, unsigned len);

VmmPciBus    *vmm_pci_bus_new      (void);
/* Frees the bus and every device on it. */
void          vmm_pci_bus_free     (VmmPciBus *bus);
/* How the board wires INTx: the GSI of @pin (0 = INTA#) of @slot. Set it
 * before adding devices; the same mapping must be in the ACPI _PRT. */
typedef unsigned (*VmmPciIntxRoute) (unsigned slot, unsigned pin);
void          vmm_pci_bus_set_intx_route (VmmPciBus *bus, VmmPciIntxRoute route);
/* The bus takes ownership of @dev and sets dev->intx_gsi from the
 * interrupt pin in its config space. Returns -EBUSY if @devfn is taken. */
int           vmm_pci_bus_add      (VmmPciBus *bus, uint8_t devfn, VmmPciDevice *dev);
/* Registers CONFIG_ADDRESS (0xcf8, dword only), CONFIG_DATA (0xcfc-0xcff)
 * on @pio and ECAM at @ecam_base on @mmio. */
int           vmm_pci_bus_register (VmmPciBus *bus, VmmBus *pio, VmmBus *mmio,
                                    uint64_t ecam_base, uint64_t ecam_size);
/* Moves the ECAM window to @base, @size bytes (a whole number of MiB, one
 * per bus), or turns it off with VMM_PCI_BAR_UNMAPPED: the host bridge
 * does this when the guest programs PCIEXBAR. Called before the machine
 * runs or from a device's config_written hook (the bus lock is then
 * held). Returns 0, or -EEXIST when the window would cover another
 * device's range: ECAM then decodes nowhere until moved again. */
int           vmm_pci_bus_move_ecam (VmmPciBus *bus, uint64_t base, uint64_t size);
/* Power-on state for every device: config space restored, BARs unmapped,
 * then each device's reset hook. */
void          vmm_pci_bus_reset    (VmmPciBus *bus);
/* Programs every BAR from the given windows and enables decoding and bus
 * mastering, as firmware would, for guests booted without firmware. Large
 * BARs first so that natural alignment wastes little. Returns 0 or -ENOSPC. */
int           vmm_pci_bus_assign_bars (VmmPciBus *bus, uint64_t mmio_base, uint64_t mmio_size,
                                       uint64_t io_base, uint64_t io_size);
/* A config cycle to bus 0, as the host bridge would route it. Absent
 * functions read all-ones and ignore writes. */
void          vmm_pci_bus_config_read  (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                                        unsigned offset, uint8_t *data, unsigned len);
void          vmm_pci_bus_config_write (VmmPciBus *bus, uint8_t busnr, uint8_t devfn,
                                        unsigned offset, const uint8_t *data, unsigned len);
