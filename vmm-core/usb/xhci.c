/* xhci.c: the xHCI controller's PCI function and its register file
 * (capability, operational and doorbell registers; the runtime registers
 * are in xhci-event.c, ports in xhci-port.c).
 *
 * IDs: 1b36:000d is the "QEMU XHCI Host Controller" ID from the Red Hat
 * range that QEMU hands to emulated devices. Linux (xhci-pci), Windows 8+
 * (usbxhci.sys, bound by class code) and OVMF (XhciDxe, also by class)
 * drive it with their inbox drivers and without quirks meant for real
 * silicon, which is exactly what an emulated controller wants.
 *
 * BAR 0 (64-bit memory, 16 KiB):
 *   0x0000 capability registers, 0x0040 operational, 0x0440 port sets,
 *   0x0800 extended capabilities (supported protocols), 0x1000 runtime,
 *   0x2000 doorbells, 0x3000 MSI-X table, 0x3800 PBA.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <errno.h>
#include <string.h>

#define XHCI_VENDOR      0x1b36
#define XHCI_DEVICE      0x000d
#define XHCI_CLASS       0x0c0330

#define BAR              0
#define BAR_SIZE         0x4000
#define CAP_LENGTH       0x40
#define OP_OFF           CAP_LENGTH
#define PORT_OFF         (OP_OFF + 0x400)
#define XECP_OFF         0x800
#define RT_OFF           0x1000
#define DB_OFF           0x2000
#define MSIX_OFF         0x3000
#define PBA_OFF          0x3800

#define PCI_SBRN         0x60
#define PCI_FLADJ        0x61

static uint32_t
cap_read32 (VmmXhci *x, uint64_t off)
{
  switch (off)
    {
    case 0x00:
      return CAP_LENGTH | (0x0100u << 16);                  /* xHCI 1.0 */
    case 0x04:
      return XHCI_MAX_SLOTS | (XHCI_N_INTRS << 8) | ((uint32_t) XHCI_N_PORTS << 24);
    case 0x08:
      return XHCI_ERST_MAX << 4;
    case 0x10:
      /* 64-bit addressing, 32-byte contexts, ports always powered. */
      return 1u | ((uint32_t) (XECP_OFF / 4) << 16);
    case 0x14:
      return DB_OFF;
    case 0x18:
      return RT_OFF;
    default:
      return 0;
    }
}

/* Two Supported Protocol capabilities (xHCI 7.2): which ports speak USB 2
 * and which USB 3. */
static uint32_t
xecp_read32 (uint64_t off)
{
  static const uint32_t caps[8] = {
    0x02000402, 0x20425355, 1 | (VMM_XHCI_USB2_PORTS << 8), 0,
    0x03000002, 0x20425355, (VMM_XHCI_USB2_PORTS + 1) | (VMM_XHCI_USB3_PORTS << 8), 0,
  };

  return off / 4 < G_N_ELEMENTS (caps) ? caps[off / 4] : 0;
}

static uint32_t
op_read32 (VmmXhci *x, uint64_t off)
{
  if (off >= 0x400)
    {
      unsigned port = (unsigned) ((off - 0x400) / 0x10);
      if (port < XHCI_N_PORTS && (off & 0xf) == 0)
        return xhci_portsc_read (x, port);
      return 0;
    }
  switch (off)
    {
    case 0x00:
      return x->usbcmd;
    case 0x04:
      return x->usbsts;
    case 0x08:
      return 1;                                             /* 4 KiB pages */
    case 0x14:
      return x->dnctrl;
    case 0x18:
      /* The ring pointer reads as zero; only Command Ring Running shows. */
      return x->crr ? 1u << 3 : 0;
    case 0x30:
      return (uint32_t) x->dcbaap;
    case 0x34:
      return (uint32_t) (x->dcbaap >> 32);
    case 0x38:
      return x->config;
    default:
      return 0;
    }
}

static void
controller_reset (VmmXhci *x)
{
  x->usbcmd = 0;
  x->usbsts = USBSTS_HCH;
  x->dnctrl = 0;
  x->config = 0;
  memset (&x->cmd, 0, sizeof x->cmd);
  x->crr = FALSE;
  x->dcbaap = 0;
  x->start_time = g_get_monotonic_time ();
  xhci_slots_reset (x);
  xhci_intr_reset (x);
  xhci_ports_reset (x);
  xhci_update_intx (x);
}

void
xhci_update_intx (VmmXhci *x)
{
  const VmmPlatformOps *ops = x->platform->ops;
  gboolean level = FALSE;

  if ((x->usbcmd & USBCMD_INTE) && !vmm_msix_enabled (x->msix))
    for (unsigned i = 0; i < XHCI_N_INTRS; i++)
      if ((x->intr[i].iman & 3) == 3)                        /* IP and IE */
        level = TRUE;
  if ((x->usbsts & USBSTS_HSE) && (x->usbcmd & USBCMD_HSEE) && !vmm_msix_enabled (x->msix))
    level = TRUE;
  if (level == x->intx_level)
    return;
  x->intx_level = level;
  if (x->pci->intx_gsi >= 0 && ops->set_irq != NULL)
    ops->set_irq (x->platform->opaque, (unsigned) x->pci->intx_gsi, level);
}

/* The guest gave us something we cannot follow (a command ring or an event
 * ring outside its RAM): Host System Error, and the controller halts, which
 * is how real hardware reports a failed DMA. */
void
xhci_host_error (VmmXhci *x)
{
  if (!(x->usbsts & USBSTS_HSE))
    g_message ("xhci: host system error (bad guest address); halting");
  x->usbsts |= USBSTS_HSE | USBSTS_HCH;
  x->usbcmd &= ~USBCMD_RS;
  x->crr = FALSE;
  if ((x->usbcmd & USBCMD_HSEE) && vmm_msix_enabled (x->msix))
    vmm_msix_notify (x->msix, 0);
  xhci_update_intx (x);
}

static void
write_usbcmd (VmmXhci *x, uint32_t v)
{
  uint32_t old = x->usbcmd;

  if (v & USBCMD_HCRST)
    {
      controller_reset (x);
      return;
    }
  /* R/S, HCRST, INTE, HSEE, LHCRST, CSS, CRS, EWE, EU3S, CME */
  x->usbcmd = v & 0x3f0d;
  if ((v & USBCMD_RS) && !(old & USBCMD_RS) && !(x->usbsts & USBSTS_HSE))
    x->usbsts &= ~USBSTS_HCH;
  else if (!(v & USBCMD_RS) && (old & USBCMD_RS))
    {
      x->usbsts |= USBSTS_HCH;
      x->crr = FALSE;
    }
  if (x->usbsts & USBSTS_HSE)
    x->usbcmd &= ~USBCMD_RS;
  xhci_update_intx (x);
}

static void
write_crcr (VmmXhci *x, gboolean high, uint32_t v)
{
  if (x->crr)
    {
      /* Only Command Stop / Command Abort act while the ring runs; we run
       * commands synchronously, so the ring is idle between doorbells and
       * stops at once (xHCI 4.6.1.2). */
      if (!high && (v & 6))
        {
          XhciTrb ev = { .param = x->cmd.dequeue, .status = 24u << 24,
                         .control = TRB_EV_CMD << 10 };
          x->crr = FALSE;
          xhci_event (x, 0, &ev);
        }
      return;
    }
  if (high)
    x->cmd.dequeue = (x->cmd.dequeue & 0xffffffffULL) | ((uint64_t) v << 32);
  else
    {
      x->cmd.dequeue = (x->cmd.dequeue & ~0xffffffffULL) | (v & ~0x3fu);
      x->cmd.ccs = (v & 1) != 0;
    }
}

static void
op_write32 (VmmXhci *x, uint64_t off, uint32_t v)
{
  if (off >= 0x400)
    {
      unsigned port = (unsigned) ((off - 0x400) / 0x10);
      if (port < XHCI_N_PORTS && (off & 0xf) == 0)
        xhci_portsc_write (x, port, v);
      return;
    }
  switch (off)
    {
    case 0x00:
      write_usbcmd (x, v);
      break;
    case 0x04:
      /* HSE, EINT, PCD and SRE are write-one-to-clear. */
      x->usbsts &= ~(v & (USBSTS_HSE | USBSTS_EINT | USBSTS_PCD | (1u << 10)));
      xhci_update_intx (x);
      break;
    case 0x14:
      x->dnctrl = v & 0xffff;
      break;
    case 0x18:
      write_crcr (x, FALSE, v);
      break;
    case 0x1c:
      write_crcr (x, TRUE, v);
      break;
    case 0x30:
      x->dcbaap = (x->dcbaap & ~0xffffffffULL) | (v & ~0x3fu);
      break;
    case 0x34:
      x->dcbaap = (x->dcbaap & 0xffffffffULL) | ((uint64_t) v << 32);
      break;
    case 0x38:
      x->config = v & 0x3ff;
      break;
    default:
      break;
    }
}

static void
doorbell_write (VmmXhci *x, unsigned db, uint32_t v)
{
  unsigned target = v & 0xff;

  if (!(x->usbcmd & USBCMD_RS) || (x->usbsts & USBSTS_HCH))
    return;
  if (db == 0)
    {
      if (target == 0)
        xhci_cmd_doorbell (x);
    }
  else if (db <= XHCI_MAX_SLOTS && target >= 1 && target < XHCI_N_DCI)
    xhci_ep_doorbell (x, db, target);
}

static uint32_t
read32 (VmmXhci *x, uint64_t off)
{
  if (off < CAP_LENGTH)
    return cap_read32 (x, off);
  if (off < XECP_OFF)
    return op_read32 (x, off - OP_OFF);
  if (off < RT_OFF)
    return xecp_read32 (off - XECP_OFF);
  if (off < DB_OFF)
    {
      uint8_t b[4];
      xhci_runtime_read (x, off - RT_OFF, b, 4);
      return (uint32_t) vmm_le_get (b, 4);
    }
  return 0;                                                 /* doorbells read 0 */
}

static void
write32 (VmmXhci *x, uint64_t off, uint32_t v)
{
  if (off >= OP_OFF && off < XECP_OFF)
    op_write32 (x, off - OP_OFF, v);
  else if (off >= RT_OFF && off < DB_OFF)
    xhci_runtime_write (x, off - RT_OFF, v, 4);
  else if (off >= DB_OFF && off < MSIX_OFF)
    doorbell_write (x, (unsigned) ((off - DB_OFF) / 4), v);
}

static void
bar_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmXhci *x = opaque;
  uint8_t buf[12];

  if (offset >= MSIX_OFF)
    {
      if (offset < PBA_OFF)
        vmm_msix_table_read (x->msix, offset - MSIX_OFF, data, len);
      else
        vmm_msix_pba_read (x->msix, offset - PBA_OFF, data, len);
      return;
    }
  /* Registers are dwords; narrower or wider reads take the bytes they
   * cover (firmware reads CAPLENGTH as a byte, drivers read 64-bit pairs). */
  g_mutex_lock (&x->lock);
  for (unsigned i = 0; i < 3; i++)
    vmm_le_put (buf + 4 * i, 4, read32 (x, (offset & ~3ULL) + 4 * i));
  g_mutex_unlock (&x->lock);
  memcpy (data, buf + (offset & 3), MIN (len, 8u));
}

static void
bar_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmXhci *x = opaque;

  if (offset >= MSIX_OFF)
    {
      if (offset < PBA_OFF)
        vmm_msix_table_write (x->msix, offset - MSIX_OFF, data, len);
      return;
    }
  /* Narrow writes would half-write fields with write-one-to-clear bits;
   * the specification requires dword accesses, so only those count. */
  if ((offset & 3) != 0 || len < 4)
    return;
  g_mutex_lock (&x->lock);
  write32 (x, offset, (uint32_t) vmm_le_get (data, 4));
  if (len == 8)
    write32 (x, offset + 4, (uint32_t) vmm_le_get (data + 4, 4));
  g_mutex_unlock (&x->lock);
}

static const VmmBusOps bar_ops = { .read = bar_read, .write = bar_write };

static void
pci_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  VmmXhci *x = opaque;

  vmm_msix_config_written (x->msix);
  g_mutex_lock (&x->lock);
  xhci_update_intx (x);
  g_mutex_unlock (&x->lock);
}

static void
pci_reset (VmmPciDevice *dev, void *opaque)
{
  VmmXhci *x = opaque;

  g_mutex_lock (&x->lock);
  controller_reset (x);
  g_mutex_unlock (&x->lock);
  vmm_msix_reset (x->msix);
}

static void
pci_destroy (VmmPciDevice *dev, void *opaque)
{
  VmmXhci *x = opaque;

  for (unsigned p = 0; p < XHCI_N_PORTS; p++)
    if (x->port[p].dev != NULL)
      x->port[p].dev->wakeup = NULL;
  vmm_msix_free (x->msix);
  g_mutex_clear (&x->lock);
  g_free (x);
}

static const VmmPciDeviceOps pci_ops = {
  .config_written = pci_config_written,
  .reset = pci_reset,
  .destroy = pci_destroy,
};

VmmPciDevice *
vmm_xhci_new (VmmPlatform *platform, VmmXhci **out_xhci, GError **error)
{
  VmmPciDevice *dev;
  VmmXhci *x;
  int r;

  dev = vmm_pci_device_new (XHCI_VENDOR, XHCI_DEVICE, XHCI_CLASS, 1);
  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  dev->cfg[VMM_PCI_INTERRUPT_PIN] = 1;

  x = g_new0 (VmmXhci, 1);
  x->platform = platform;
  x->pci = dev;
  g_mutex_init (&x->lock);

  r = vmm_pci_device_add_bar (dev, BAR, VMM_PCI_BAR_MEM64, BAR_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, BAR, &bar_ops, VMM_BUS_WANY, x);
  if (r == 0)
    {
      g_assert (vmm_msix_table_size (XHCI_N_INTRS) <= PBA_OFF - MSIX_OFF);
      x->msix = vmm_msix_new (dev, platform, XHCI_N_INTRS, BAR, MSIX_OFF, PBA_OFF, &r);
    }
  if (r == 0 && dev->cap_next > PCI_SBRN)
    r = -ENOSPC;
  if (r < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (-r),
                   "xhci: cannot create the PCI function: %s", g_strerror (-r));
      vmm_msix_free (x->msix);
      g_mutex_clear (&x->lock);
      g_free (x);
      vmm_pci_device_free (dev);
      return NULL;
    }
  /* Serial Bus Release Number (USB 3.0) and the frame length adjustment
   * the specification puts in config space (xHCI 5.2.3, 5.2.4). */
  dev->cfg[PCI_SBRN] = 0x30;
  dev->cfg[PCI_FLADJ] = 0x20;
  dev->wmask[PCI_FLADJ] = 0x3f;

  controller_reset (x);
  vmm_pci_device_set_ops (dev, &pci_ops, x);
  if (out_xhci != NULL)
    *out_xhci = x;
  return dev;
}

int
vmm_xhci_attach (VmmXhci *xhci, unsigned port, VmmUsbDevice *dev)
{
  int r;

  if (port < 1 || port > VMM_XHCI_USB2_PORTS || dev == NULL)
    return -EINVAL;
  g_mutex_lock (&xhci->lock);
  r = xhci_port_attach (xhci, port, dev);
  g_mutex_unlock (&xhci->lock);
  return r;
}
