/* fuzz-devices.c: libFuzzer target for the legacy devices and PCI config
 * space: the input is a stream of guest port-I/O and ECAM accesses. The
 * PM block sits behind the ICH9 LPC bridge and ECAM behind the host
 * bridge's PCIEXBAR, as in the machine, so accesses also move them; the
 * device has an expansion ROM to map.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/i8042.h"
#include "devices/lpc-ich9.h"
#include "devices/pci.h"
#include "devices/pci-host.h"
#include "devices/pm.h"
#include "devices/reset-control.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "x86/layout.h"

#include <string.h>

typedef struct {
  gint64 now;
  unsigned resets, poweroffs;
} Sink;

static void irq_set (void *opaque, unsigned gsi, gboolean level) { }
static void out_fn (void *opaque, const uint8_t *data, size_t len) { }
static void on_reset (void *opaque) { ((Sink *) opaque)->resets++; }
static void on_poweroff (void *opaque) { ((Sink *) opaque)->poweroffs++; }

static gint64
fake_clock (void *opaque)
{
  Sink *s = opaque;

  return s->now += 977;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const unsigned widths[4] = { 1, 2, 4, 8 };
  Sink sink = { 0 };
  VmmIrqLine line = { irq_set, NULL, 0 };
  VmmBus *pio = vmm_bus_new ("pio"), *mmio = vmm_bus_new ("mmio");
  VmmSerial *uart = vmm_serial_new (&line, out_fn, NULL);
  VmmI8042 *kbc = vmm_i8042_new (&line, &line, on_reset, &sink);
  VmmRtc *rtc = vmm_rtc_new (fake_clock, &sink);
  VmmPm *pm = vmm_pm_new (&line, fake_clock, &sink, on_poweroff, &sink);
  VmmResetControl *rcr = vmm_reset_control_new (on_reset, &sink);
  VmmPciBus *pci = vmm_pci_bus_new ();
  VmmPciDevice *dev = vmm_pci_device_new (0x1af4, 0x1000, 0x020000, 0);
  g_autoptr(GBytes) rom = g_bytes_new_static ("\x55\xaa\x01", 3);

  vmm_serial_register (uart, pio, VMM_PORT_COM1);
  vmm_i8042_register (kbc, pio);
  vmm_rtc_register (rtc, pio);
  vmm_reset_control_register (rcr, pio);
  vmm_pci_bus_register (pci, pio, mmio, VMM_PCI_ECAM_BASE, VMM_PCI_ECAM_SIZE);
  vmm_pci_bus_add (pci, 0, vmm_pci_host_bridge_new ());
  vmm_pci_bus_add (pci, VMM_LPC_DEVFN, vmm_lpc_ich9_new (pm, pio, VMM_PORT_PM_BASE));
  vmm_pci_device_set_rom (dev, rom);
  vmm_pci_device_add_bar (dev, 0, VMM_PCI_BAR_MEM64, 0x4000);
  vmm_pci_device_add_bar (dev, 2, VMM_PCI_BAR_IO, 0x40);
  vmm_pci_device_add_capability (dev, 0x11, 12);
  vmm_pci_bus_add (pci, VMM_PCI_DEVFN (1, 0), dev);

  /* Each access: kind/width byte, a 4-byte address, an 8-byte value. */
  while (size >= 13)
    {
      uint8_t op = data[0];
      uint32_t addr = (uint32_t) vmm_le_get (data + 1, 4);
      uint8_t buf[8];
      unsigned len = widths[(op >> 1) & 3];
      gboolean is_mmio = (op & 0x8) != 0;

      memcpy (buf, data + 5, 8);
      if (is_mmio)
        {
          uint64_t gpa = VMM_PCI_ECAM_BASE + (addr % (VMM_PCI_ECAM_SIZE + 16));
          if (op & 1)
            vmm_bus_write (mmio, gpa, buf, len);
          else
            vmm_bus_read (mmio, gpa, buf, len);
        }
      else
        {
          uint16_t port = (uint16_t) addr;
          if (op & 1)
            vmm_bus_write (pio, port, buf, len);
          else
            vmm_bus_read (pio, port, buf, len);
        }
      if (op & 0x10)
        vmm_serial_receive (uart, data + 5, 8);
      if (op & 0x20)
        vmm_pm_power_button (pm);
      data += 13;
      size -= 13;
    }

  vmm_pci_bus_free (pci);
  vmm_reset_control_free (rcr);
  vmm_pm_free (pm);
  vmm_rtc_free (rtc);
  vmm_i8042_free (kbc);
  vmm_serial_free (uart);
  vmm_bus_free (pio);
  vmm_bus_free (mmio);
  return 0;
}
