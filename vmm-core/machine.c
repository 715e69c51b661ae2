/* machine.c: a machine's life cycle.
 *
 * Everything that changes the machine as a whole (start, reset, power-off,
 * crash, pause, kill) is carried out by the machine's control thread, so
 * that requests from vCPU threads (the guest rebooting) and from the API
 * (the user pressing stop) are serialised without the two ever waiting on
 * each other's locks. API calls post a request and wait for it to be done.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "machine-private.h"
#include "cmdline.h"
#include "devices/lpc-ich9.h"
#include "devices/pci-host.h"
#include "devices/ps2-mouse.h"
#include "block/virtio-blk.h"
#include "devices/bochs-display.h"
#include "screen-copy.h"
#include "gpu/virtio-gpu.h"
#include "usb/xhci.h"
#include "ahci/ahci.h"
#include "firmware/bootorder.h"
#include "net/e1000e.h"
#include "net/slirp.h"
#include "net/virtio-net.h"
#include "net/virtio-rng.h"
#include "storage/image.h"
#include "x86/acpi.h"
#include "x86/e820.h"
#include "x86/layout.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

G_DEFINE_QUARK (vmm-error-quark, vmm_error)

const char *
vmm_state_to_string (VmmState state)
{
  switch (state)
    {
    case VMM_STATE_STOPPED: return "stopped";
    case VMM_STATE_RUNNING: return "running";
    case VMM_STATE_PAUSED: return "paused";
    case VMM_STATE_CRASHED: return "crashed";
    default: return "unknown";
    }
}

void
vmm_config_init (VmmConfig *config)
{
  g_return_if_fail (config != NULL);
  memset (config, 0, sizeof *config);
  config->memory = 512ULL << 20;
  config->cpus = 1;
}

gboolean
vmm_check_kvm (GError **error)
{
  VmmKvm kvm;

  if (!vmm_kvm_open (&kvm, "/dev/kvm", error))
    return FALSE;
  vmm_kvm_close (&kvm);
  return TRUE;
}

static void
serial_out (void *opaque, const uint8_t *data, size_t len)
{
  VmmMachine *m = opaque;

  if (m->serial_sink != NULL)
    m->serial_sink (data, len, m->serial_data);
}

static void
guest_reset (void *opaque)
{
  vmm_machine_request (opaque, VMM_REQ_RESET);
}

static void
guest_poweroff (void *opaque)
{
  vmm_machine_request (opaque, VMM_REQ_POWEROFF);
}

/* Sizes the firmware of a later issue reads from CMOS. */
static void
set_cmos_memory (VmmMachine *m)
{
  uint64_t above_1m = m->lowmem_size > (1 << 20) ? m->lowmem_size - (1 << 20) : 0;
  uint64_t ext_kib = MIN (above_1m >> 10, 0xffffULL);
  uint64_t above_16m = m->lowmem_size > (16 << 20) ? (m->lowmem_size - (16 << 20)) >> 16 : 0;
  uint64_t above_4g = (m->ram_size - m->lowmem_size) >> 16;

  above_16m = MIN (above_16m, 0xffffULL);
  vmm_rtc_set_nvram (m->rtc, 0x15, 640 & 0xff);
  vmm_rtc_set_nvram (m->rtc, 0x16, 640 >> 8);
  vmm_rtc_set_nvram (m->rtc, 0x17, (uint8_t) ext_kib);
  vmm_rtc_set_nvram (m->rtc, 0x18, (uint8_t) (ext_kib >> 8));
  vmm_rtc_set_nvram (m->rtc, 0x30, (uint8_t) ext_kib);
  vmm_rtc_set_nvram (m->rtc, 0x31, (uint8_t) (ext_kib >> 8));
  vmm_rtc_set_nvram (m->rtc, 0x34, (uint8_t) above_16m);
  vmm_rtc_set_nvram (m->rtc, 0x35, (uint8_t) (above_16m >> 8));
  vmm_rtc_set_nvram (m->rtc, 0x5b, (uint8_t) above_4g);
  vmm_rtc_set_nvram (m->rtc, 0x5c, (uint8_t) (above_4g >> 8));
  vmm_rtc_set_nvram (m->rtc, 0x5d, (uint8_t) (above_4g >> 16));
}

/* PCI slots: 0 is the host bridge; devices follow in a fixed order so that
 * a machine's guest sees the same topology at every boot. */
#define SLOT_FIRST_DISK 1
#define SLOT_NET        (SLOT_FIRST_DISK + VMM_DISKS_MAX)
#define SLOT_RNG        (SLOT_NET + 1)
#define SLOT_DISPLAY    (SLOT_RNG + 1)
#define SLOT_USB        (SLOT_DISPLAY + 1)
#define SLOT_AHCI       (SLOT_USB + 1)

static gboolean
add_pci (VmmMachine *m, unsigned slot, VmmPciDevice *dev, const char *what, GError **error)
{
  int r = vmm_pci_bus_add (m->pci, VMM_PCI_DEVFN (slot, 0), dev);

  if (r < 0)
    {
      vmm_pci_device_free (dev);
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED, "%s: no PCI slot: %s", what,
                   g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_net (VmmMachine *m, GError **error)
{
  VmmNetSlirpConfig slirp = {
    .restricted = m->net_restricted,
    .hostfwd = (const char *const *) m->net_forwards,
  };
  VmmVirtioNetConfig cfg = { .mtu = 0 };
  g_autoptr(GError) local = NULL;
  g_autofree char *seed = NULL;
  VmmNetBackend *be;
  VmmPciDevice *dev;

  be = vmm_net_slirp_new (&slirp, &local);
  if (be == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_NETWORK, "Networking: %s", local->message);
      return FALSE;
    }
  /* Without a seed the address still stays the same for the same guest
   * files, so a DHCP lease survives a restart of the runner. */
  seed = m->net_mac_seed != NULL ? g_strdup (m->net_mac_seed)
         : g_strdup_printf ("%s|%s", m->kernel_path != NULL ? m->kernel_path : "",
                            m->n_disks > 0 ? m->disks[0].path : "");
  vmm_net_mac_from_seed (seed, cfg.mac);
  if (m->net_model == VMM_NET_MODEL_E1000E)
    {
      VmmE1000eConfig e1k;

      memcpy (e1k.mac, cfg.mac, sizeof e1k.mac);
      dev = vmm_e1000e_new (&m->platform, &e1k, be, &local);
    }
  else
    dev = vmm_virtio_net_new (&m->platform, &cfg, be, &local);
  if (dev == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_NETWORK, "Networking: %s", local->message);
      return FALSE;
    }
  return add_pci (m, SLOT_NET, dev, "Networking", error);
}

static gboolean
add_rng (VmmMachine *m, GError **error)
{
  /* A guest reading /dev/hwrng in a loop gets 1 MiB/s, plenty to seed its
   * own generator, without draining the host's pool. */
  VmmVirtioRngConfig cfg = { .max_bytes_per_sec = 1 << 20 };
  VmmPciDevice *dev = vmm_virtio_rng_new (&m->platform, &cfg, error);

  return dev != NULL && add_pci (m, SLOT_RNG, dev, "Random number generator", error);
}

/* Until the guest drives the USB keyboard (firmware without a USB stack,
 * early boot), the viewer types on the PS/2 one. */
static void
display_key (void *opaque, uint16_t scancode, bool pressed)
{
  VmmMachine *m = opaque;

  vmm_i8042_key (m->i8042, scancode, pressed);
}

/* Relative motion (SPICE's server mouse mode) moves the PS/2 mouse, whose
 * buttons are numbered as the USB tablet's. */
G_STATIC_ASSERT (VMM_PS2_MOUSE_BUTTON_LEFT == VMM_USB_BUTTON_LEFT
                 && VMM_PS2_MOUSE_BUTTON_RIGHT == VMM_USB_BUTTON_RIGHT
                 && VMM_PS2_MOUSE_BUTTON_MIDDLE == VMM_USB_BUTTON_MIDDLE
                 && VMM_PS2_MOUSE_BUTTON_SIDE == VMM_USB_BUTTON_SIDE
                 && VMM_PS2_MOUSE_BUTTON_EXTRA == VMM_USB_BUTTON_EXTRA);

static void
display_motion (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  VmmMachine *m = opaque;

  vmm_i8042_mouse_event (m->i8042, dx, dy, dz, vmm_usb_input_buttons_from_display (buttons));
}

static const VmmDisplayInputOps ps2_input = { .key = display_key, .motion = display_motion };
G_STATIC_ASSERT (VMM_I8042_SCANCODE_PAUSE == VMM_DISPLAY_SCANCODE_PAUSE);

/* SeaBIOS draws on bochs-display through this VGA BIOS, found in the
 * device's ROM BAR as on QEMU: SeaBIOS runs a display's ROM with the
 * device's address, which the BIOS needs to find the framebuffer. OVMF
 * has its own drivers for both screens. SeaBIOS's builds ship their VGA
 * BIOSes next to the BIOS (Debian's /usr/share/seabios, the Flatpak's
 * /app/share/seabios), so it is looked for there. */
#define BOCHS_VGA_BIOS "vgabios-bochs-display.bin"

static gboolean
add_vga_bios (VmmMachine *m, VmmPciDevice *dev, const char *bios_path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) rom = NULL;
  g_autofree char *dir = g_path_get_dirname (bios_path);
  g_autofree char *path = g_build_filename (dir, BOCHS_VGA_BIOS, NULL);
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "Cannot read the VGA BIOS (%s); install the “seabios” package", local->message);
      return FALSE;
    }
  rom = g_bytes_new_take (data, len);
  if (vmm_pci_device_set_rom (dev, rom) < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The VGA BIOS “%s” is empty or too large", path);
      return FALSE;
    }
  /* SeaBIOS copies it out four bytes at a time: ten thousand exits, most
   * of a second in the nested lab, unless it is memory. */
  vmm_pci_device_map_rom_on (dev, &m->platform);
  return TRUE;
}

static gboolean
add_display (VmmMachine *m, GError **error)
{
  g_autoptr(GError) local = NULL;
  VmmPciDevice *dev;
  VmmXhci *xhci = NULL;

  m->display = vmm_display_new ();
  if (m->display_device == VMM_DISPLAY_DEVICE_BOCHS)
    dev = vmm_bochs_display_new (&m->platform, m->display, NULL, &local);
  else
    dev = vmm_virtio_gpu_new (&m->platform, m->display, &local);
  if (dev != NULL && m->bios_path != NULL && m->display_device == VMM_DISPLAY_DEVICE_BOCHS
      && !add_vga_bios (m, dev, m->bios_path, &local))
    {
      vmm_pci_device_free (dev);
      dev = NULL;
    }
  if (dev == NULL || !add_pci (m, SLOT_DISPLAY, dev, "Display", &local))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY, "The display: %s", local->message);
      return FALSE;
    }
  /* An absolute USB tablet, so the pointer follows the viewer's without
   * a grab, and a USB keyboard, on an xHCI controller. */
  m->usb_keyboard = vmm_usb_keyboard_new ();
  m->usb_tablet = vmm_usb_tablet_new ();
  dev = vmm_xhci_new (&m->platform, &xhci, &local);
  if (dev == NULL || !add_pci (m, SLOT_USB, dev, "USB", &local)
      || vmm_xhci_attach (xhci, 1, vmm_usb_hid_device (m->usb_tablet)) < 0
      || vmm_xhci_attach (xhci, 2, vmm_usb_hid_device (m->usb_keyboard)) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY, "USB input: %s",
                   local != NULL ? local->message : "cannot attach the tablet and keyboard");
      return FALSE;
    }
  m->usb_input = vmm_usb_input_new (m->display, m->usb_keyboard, m->usb_tablet, &ps2_input, m);
  /* The SPICE server is a module (display/spice-module.h): only machines
   * with a screen pay for its libraries. */
  m->spice_module = vmm_spice_module_load (&local);
  if (m->spice_module != NULL)
    m->spice = m->spice_module->server_new (m->display, &local);
  if (m->spice == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY, "The display server: %s", local->message);
      return FALSE;
    }
  if (m->spice_listen != NULL)
    {
      VmmSpiceAddress addr = { 0 };
      gboolean ok = m->spice_module->parse_address (m->spice_listen, &addr, &local)
                    && m->spice_module->listen (m->spice, &addr, &local);
      g_free (addr.path);
      if (!ok)
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY, "SPICE at “%s”: %s",
                       m->spice_listen, local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* Opens a drive's image as its config says. */
static VmmImage *
open_disk (const VmmDiskConfig *d, GError **error)
{
  VmmImageFormat format = d->cdrom ? VMM_IMAGE_FORMAT_RAW : VMM_IMAGE_FORMAT_AUTO;
  g_autoptr(GError) local = NULL;
  VmmImage *img;

  if (d->format != NULL && !vmm_image_format_parse (d->format, &format))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISK,
                   "Disk “%s”: unknown format “%s” (use raw or qcow2)", d->path, d->format);
      return NULL;
    }
  img = vmm_image_open (d->path, format, d->read_only || d->cdrom, &local);
  if (img == NULL)
    g_set_error (error, VMM_ERROR, VMM_ERROR_DISK, "%s “%s”: %s",
                 d->cdrom ? "CD-ROM image" : "Disk", d->path, local->message);
  return img;
}

/* Every SATA disk and CD-ROM drive, on one AHCI controller, ports in
 * config order. */
static gboolean
add_sata (VmmMachine *m, GError **error)
{
  VmmAhciConfig cfg = { 0 };
  g_autoptr(GError) local = NULL;
  unsigned port = 0;

  for (unsigned i = 0; i < m->n_disks; i++)
    {
      const VmmDiskConfig *d = &m->disks[i];
      VmmAhciDrive *drive;

      if (d->bus != VMM_DISK_BUS_SATA && !d->cdrom)
        continue;
      drive = &cfg.drives[port];
      drive->kind = d->cdrom ? VMM_AHCI_DRIVE_CDROM : VMM_AHCI_DRIVE_DISK;
      drive->read_only = d->read_only;
      drive->serial = d->serial;
      if (d->cdrom)
        m->cdrom_port[m->n_cdroms++] = port;
      m->disk_boot_path[i] = vmm_ahci_boot_path (VMM_PCI_DEVFN (SLOT_AHCI, 0), port);
      if (d->path != NULL && (drive->image = open_disk (d, error)) == NULL)
        goto fail;
      port++;
    }
  if (port == 0)
    return TRUE;
  m->ahci = vmm_ahci_new (&m->platform, &cfg, &local);
  if (m->ahci == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISK, "SATA: %s", local->message);
      goto fail;
    }
  return add_pci (m, SLOT_AHCI, m->ahci, "SATA", error);

fail:
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    if (cfg.drives[p].image != NULL)
      vmm_image_close (cfg.drives[p].image);
  return FALSE;
}

static gboolean
add_disk (VmmMachine *m, unsigned i, unsigned slot, GError **error)
{
  const VmmDiskConfig *d = &m->disks[i];
  VmmVirtioBlkConfig cfg = {
    .num_queues = m->n_cpus,
    .read_only = d->read_only,
    .serial = d->serial,
  };
  g_autoptr(GError) local = NULL;
  VmmPciDevice *dev;
  VmmImage *img = open_disk (d, error);

  if (img == NULL)
    return FALSE;
  dev = vmm_virtio_blk_new (&m->platform, img, &cfg, &local);
  if (dev == NULL)
    {
      vmm_image_close (img);
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISK, "Disk “%s”: %s", d->path, local->message);
      return FALSE;
    }
  m->disk_boot_path[i] = vmm_bootorder_virtio_blk_path (VMM_PCI_DEVFN (slot, 0));
  return add_pci (m, slot, dev, d->path, error);
}

static gboolean
create_devices (VmmMachine *m, GError **error)
{
  VmmIrqLine com1 = { vmm_vm_set_irq, m, VMM_IRQ_COM1 };
  VmmIrqLine kbd = { vmm_vm_set_irq, m, VMM_IRQ_I8042_KBD };
  VmmIrqLine aux = { vmm_vm_set_irq, m, VMM_IRQ_I8042_AUX };
  VmmIrqLine sci = { vmm_vm_set_irq, m, VMM_IRQ_SCI };
  int r;

  m->pio = vmm_bus_new ("pio");
  m->mmio = vmm_bus_new ("mmio");
  m->serial = vmm_serial_new (&com1, serial_out, m);
  m->i8042 = vmm_i8042_new (&kbd, &aux, guest_reset, m);
  m->rtc = vmm_rtc_new (NULL, NULL);
  m->pm = vmm_pm_new (&sci, NULL, NULL, guest_poweroff, m);
  m->reset_control = vmm_reset_control_new (guest_reset, m);
  m->pci = vmm_pci_bus_new ();
  vmm_pci_bus_set_intx_route (m->pci, vmm_acpi_pci_gsi);
  set_cmos_memory (m);

  r = vmm_serial_register (m->serial, m->pio, VMM_PORT_COM1);
  if (r == 0)
    r = vmm_i8042_register (m->i8042, m->pio);
  if (r == 0)
    r = vmm_rtc_register (m->rtc, m->pio);
  if (r == 0)
    r = vmm_reset_control_register (m->reset_control, m->pio);
  if (r == 0)
    r = vmm_pci_bus_register (m->pci, m->pio, m->mmio, VMM_PCI_ECAM_BASE, VMM_PCI_ECAM_SIZE);
  if (r == 0)
    r = vmm_pci_bus_add (m->pci, VMM_PCI_DEVFN (0, 0), vmm_pci_host_bridge_new ());
  /* The LPC bridge decodes the PM block, where firmware puts it. */
  if (r == 0)
    {
      VmmPciDevice *lpc = vmm_lpc_ich9_new (m->pm, m->pio, VMM_PORT_PM_BASE);

      r = lpc != NULL ? vmm_pci_bus_add (m->pci, VMM_LPC_DEVFN, lpc) : -EEXIST;
      if (r < 0)
        vmm_pci_device_free (lpc);
    }
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "Setting up the machine's devices failed: %s", g_strerror (-r));
      return FALSE;
    }
  for (unsigned i = 0, slot = SLOT_FIRST_DISK; i < m->n_disks; i++)
    if (m->disks[i].bus == VMM_DISK_BUS_VIRTIO && !m->disks[i].cdrom
        && !add_disk (m, i, slot++, error))
      return FALSE;
  if (!add_sata (m, error))
    return FALSE;
  if (m->net_user && !add_net (m, error))
    return FALSE;
  if (m->rng && !add_rng (m, error))
    return FALSE;
  if (m->want_display && !add_display (m, error))
    return FALSE;
  return TRUE;
}

static void
reset_devices (VmmMachine *m)
{
  vmm_serial_reset (m->serial);
  vmm_i8042_reset (m->i8042);
  vmm_rtc_reset (m->rtc);
  vmm_pm_reset (m->pm);
  vmm_reset_control_reset (m->reset_control);
}

/* Linux booted directly finds its PCI devices as firmware would leave
 * them: BARs assigned inside the host bridge's windows, decoding on. Done
 * after the VM exists, since mapping a BAR wires its ioeventfds into it. */
static gboolean
power_on_pci (VmmMachine *m, GError **error)
{
  int r;

  /* Firmware assigns the BARs itself. */
  if (m->firmware != NULL)
    return TRUE;
  r = vmm_pci_bus_assign_bars (m->pci, VMM_PCI_MMIO32_BASE, VMM_PCI_MMIO32_SIZE,
                               VMM_PCI_IO_BASE, VMM_PCI_IO_SIZE);
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The machine's PCI devices do not fit its address space");
      return FALSE;
    }
  return TRUE;
}

/* Guest RAM starts on a huge-page boundary. KVM maps a guest-physical
 * range with a huge page only where the host address has the same offset
 * within the huge page as the guest address; mmap() only promises 4 KiB
 * alignment, and with RAM at an odd address every page the guest touches
 * first costs a nested page fault of its own (about 30,000 exits more
 * than QEMU, which aligns its RAM, on the way to the lab guest's /init). */
#define RAM_ALIGN (2ULL << 20)

static gboolean
alloc_ram (VmmMachine *m, GError **error)
{
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  uint8_t *p, *aligned, *end;
  size_t head, tail;

  m->ram_size = m->memory;
  m->lowmem_size = vmm_e820_lowmem_end (m->memory);
  /* Reserve only: the guest touches what it uses. One huge page more
   * than needed, to cut an aligned range out of. */
  p = mmap (NULL, m->ram_size + RAM_ALIGN, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_NO_MEMORY,
                   "Cannot allocate %" G_GUINT64_FORMAT " MiB of guest memory: %s",
                   m->ram_size >> 20, g_strerror (errno));
      return FALSE;
    }
  aligned = (uint8_t *) (((uintptr_t) p + RAM_ALIGN - 1) & ~(uintptr_t) (RAM_ALIGN - 1));
  head = (size_t) (aligned - p);
  /* Page-rounded: munmap() takes whole pages. */
  end = (uint8_t *) (((uintptr_t) aligned + m->ram_size + page - 1) & ~(uintptr_t) (page - 1));
  tail = (size_t) (p + m->ram_size + RAM_ALIGN - end);
  if (head > 0)
    munmap (p, head);
  if (tail > 0)
    munmap (end, tail);
  m->ram = aligned;
  /* Idle guests share identical pages with KSM, and big guests want huge
   * pages for fewer TLB misses; both are hints that may be refused. */
  madvise (m->ram, m->ram_size, MADV_MERGEABLE);
  madvise (m->ram, m->ram_size, MADV_HUGEPAGE);
  return TRUE;
}

/* The drives of each kind in the config's boot order go first in the
 * firmware's "bootorder", at the paths their devices got. */
static gboolean
set_boot_order (VmmMachine *m, GError **error)
{
  VmmBootDrive drives[VMM_DISKS_MAX];
  g_autoptr(GError) local = NULL;
  g_autofree char *paths = NULL;

  for (unsigned i = 0; i < m->n_disks; i++)
    drives[i] = (VmmBootDrive) {
      .kind = m->disks[i].cdrom ? VMM_BOOT_CDROM : VMM_BOOT_DISK,
      .path = m->disk_boot_path[i],
    };
  paths = vmm_bootorder_build (m->boot_order, m->n_boot_order, drives, m->n_disks);
  if (paths != NULL && !vmm_firmware_boot_set_bootorder (m->firmware, paths, &local))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_config (const VmmConfig *config, GError **error)
{
  long host_cpus = sysconf (_SC_NPROCESSORS_ONLN);
  long pages = sysconf (_SC_PHYS_PAGES), page_size = sysconf (_SC_PAGESIZE);
  uint64_t host_mem = pages > 0 && page_size > 0 ? (uint64_t) pages * (uint64_t) page_size : 0;

  gboolean firmware = config->bios_path != NULL || config->uefi_code_path != NULL;

  if (config->bios_path != NULL && config->uefi_code_path != NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "A machine boots through either BIOS or UEFI, not both");
      return FALSE;
    }
  if ((config->uefi_code_path == NULL) != (config->uefi_vars_path == NULL))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "UEFI needs both the firmware code and the machine's variables file");
      return FALSE;
    }
  if (firmware ? config->realmode_image_path != NULL
               : (config->kernel_path == NULL) == (config->realmode_image_path == NULL))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG, "No kernel given");
      return FALSE;
    }
  if (config->memory < VMM_MEMORY_MIN || config->memory > VMM_MEMORY_MAX)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Memory must be between %llu MiB and %llu GiB",
                   VMM_MEMORY_MIN >> 20, VMM_MEMORY_MAX >> 30);
      return FALSE;
    }
  if (config->memory % 4096 != 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Memory must be a multiple of 4 KiB");
      return FALSE;
    }
  if (host_mem != 0 && config->memory > host_mem)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "%" G_GUINT64_FORMAT " MiB of memory is more than this computer has "
                   "(%" G_GUINT64_FORMAT " MiB)", config->memory >> 20, host_mem >> 20);
      return FALSE;
    }
  if (config->cpus < 1 || config->cpus > VMM_CPUS_MAX)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The number of CPUs must be between 1 and %d", VMM_CPUS_MAX);
      return FALSE;
    }
  if (host_cpus > 0 && config->cpus > (unsigned long) host_cpus)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "%u CPUs is more than this computer has (%ld)", config->cpus, host_cpus);
      return FALSE;
    }
  if (config->realmode_image_path != NULL && config->cpus != 1)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "A real-mode guest program runs on one CPU");
      return FALSE;
    }
  if (config->n_boot_order > VMM_BOOT_DEVICES_MAX)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "A boot order names at most %d kinds of drive", VMM_BOOT_DEVICES_MAX);
      return FALSE;
    }
  for (unsigned i = 0; i < config->n_boot_order; i++)
    if (config->boot_order[i] != VMM_BOOT_DISK && config->boot_order[i] != VMM_BOOT_CDROM)
      {
        g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                     "Unknown kind of boot drive %d", (int) config->boot_order[i]);
        return FALSE;
      }
  if (config->n_disks > VMM_DISKS_MAX)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "A machine has at most %d disks", VMM_DISKS_MAX);
      return FALSE;
    }
  {
    unsigned sata = 0;
    for (unsigned i = 0; i < config->n_disks; i++)
      {
        const VmmDiskConfig *d = &config->disks[i];
        if (d->path == NULL && !d->cdrom)
          {
            g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG, "Disk %u has no file", i + 1);
            return FALSE;
          }
        if (d->cdrom || d->bus == VMM_DISK_BUS_SATA)
          sata++;
      }
    if (sata > VMM_SATA_PORTS)
      {
        g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                     "A machine has at most %d SATA disks and CD-ROM drives", VMM_SATA_PORTS);
        return FALSE;
      }
  }
  return TRUE;
}

/* Throws away the VM and makes a new one with the guest loaded. */
static gboolean
rebuild (VmmMachine *m, GError **error)
{
  vmm_vcpus_destroy (m);
  /* PCI devices stop touching guest RAM (and drop their irqfds and
   * ioeventfds) while the old VM still exists, before RAM is wiped. */
  vmm_pci_bus_reset (m->pci);
  vmm_vm_destroy (m);
  vmm_vm_platform_forget_slots (m);
  reset_devices (m);
  /* Fresh zero pages, as after power-on, without unmapping. */
  if (m->vm_dirty)
    madvise (m->ram, m->ram_size, MADV_DONTNEED);
  m->vm_dirty = FALSE;
  if (!vmm_vm_create (m, error) || !vmm_boot_load (m, error) || !power_on_pci (m, error)
      || !vmm_vcpus_create (m, error))
    return FALSE;
  return TRUE;
}

static gboolean
start_guest (VmmMachine *m, GError **error)
{
  if (m->vm_dirty && !rebuild (m, error))
    return FALSE;
  m->vm_dirty = TRUE;
  return vmm_vcpus_start (m, error);
}

static void
notify_state (VmmMachine *m, VmmState state)
{
  g_debug ("machine is %s", vmm_state_to_string (state));
  if (m->state_notify != NULL)
    m->state_notify (m, state, m->state_data);
}

static void
set_state (VmmMachine *m, VmmState state)
{
  gboolean changed;

  g_mutex_lock (&m->lock);
  changed = m->state != state;
  m->state = state;
  g_mutex_unlock (&m->lock);
  if (changed)
    notify_state (m, state);
}

static void
pause_vcpus (VmmMachine *m)
{
  unsigned running = 0;

  for (unsigned i = 0; i < m->n_cpus; i++)
    running += m->vcpus[i].thread != NULL;
  g_mutex_lock (&m->lock);
  m->vcpus_pause = TRUE;
  g_mutex_unlock (&m->lock);
  vmm_vcpus_kick (m);
  g_mutex_lock (&m->lock);
  /* A vCPU that exits on its own (a crash in flight) also counts as
   * stopped: the pending request it posted is handled next. */
  while (m->vcpus_waiting < running && (m->requests & (VMM_REQ_CRASH | VMM_REQ_RESET
                                                        | VMM_REQ_POWEROFF)) == 0)
    g_cond_wait (&m->cond, &m->lock);
  g_mutex_unlock (&m->lock);
}

static void
handle_requests (VmmMachine *m, guint req)
{
  g_autoptr(GError) error = NULL;
  VmmState state;

  g_mutex_lock (&m->lock);
  state = m->state;
  g_mutex_unlock (&m->lock);

  if (req & (VMM_REQ_KILL | VMM_REQ_POWEROFF))
    {
      vmm_vcpus_stop (m);
      if (m->firmware != NULL)
        vmm_firmware_boot_flush (m->firmware);
      set_state (m, VMM_STATE_STOPPED);
      return;
    }
  if (req & VMM_REQ_CRASH)
    {
      vmm_vcpus_stop (m);
      set_state (m, VMM_STATE_CRASHED);
      return;
    }
  /* A reset of a running or paused machine leaves it running; a pause or
   * resume asked for at the same time is then applied to the new boot. */
  if ((req & VMM_REQ_RESET) && (state == VMM_STATE_RUNNING || state == VMM_STATE_PAUSED))
    {
      g_debug ("guest reset");
      vmm_vcpus_stop (m);
      if (rebuild (m, &error))
        {
          m->vm_dirty = TRUE;
          vmm_vcpus_start (m, &error);
        }
      if (error != NULL)
        {
          g_message ("Restarting the guest failed: %s", error->message);
          set_state (m, VMM_STATE_CRASHED);
          return;
        }
      set_state (m, VMM_STATE_RUNNING);
      state = VMM_STATE_RUNNING;
    }
  if ((req & VMM_REQ_START) && (state == VMM_STATE_STOPPED || state == VMM_STATE_CRASHED))
    {
      if (!start_guest (m, &error))
        {
          vmm_vcpus_stop (m);
          /* Handed to vmm_machine_start(), which is waiting for it. */
          g_mutex_lock (&m->lock);
          g_clear_error (&m->start_error);
          m->start_error = g_steal_pointer (&error);
          g_mutex_unlock (&m->lock);
          set_state (m, VMM_STATE_CRASHED);
          return;
        }
      set_state (m, VMM_STATE_RUNNING);
      state = VMM_STATE_RUNNING;
    }
  if ((req & VMM_REQ_PAUSE) && state == VMM_STATE_RUNNING)
    {
      pause_vcpus (m);
      set_state (m, VMM_STATE_PAUSED);
      state = VMM_STATE_PAUSED;
    }
  if ((req & VMM_REQ_RESUME) && state == VMM_STATE_PAUSED)
    {
      g_mutex_lock (&m->lock);
      m->vcpus_pause = FALSE;
      g_cond_broadcast (&m->cond);
      g_mutex_unlock (&m->lock);
      set_state (m, VMM_STATE_RUNNING);
    }
}

static gpointer
control_thread (gpointer data)
{
  VmmMachine *m = data;

  for (;;)
    {
      guint req;
      guint64 seq;

      g_mutex_lock (&m->lock);
      while (m->requests == 0)
        g_cond_wait (&m->cond, &m->lock);
      req = m->requests;
      m->requests = 0;
      seq = m->request_seq;
      g_mutex_unlock (&m->lock);

      handle_requests (m, req);

      g_mutex_lock (&m->lock);
      m->done_seq = seq;
      g_cond_broadcast (&m->cond);
      g_mutex_unlock (&m->lock);
      if (req & VMM_REQ_QUIT)
        break;
    }
  return NULL;
}

void
vmm_machine_request (VmmMachine *m, VmmRequest req)
{
  g_mutex_lock (&m->lock);
  m->requests |= req;
  m->request_seq++;
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
}

/* Posts @req and waits until the control thread has handled it. */
static void
request_sync (VmmMachine *m, VmmRequest req)
{
  guint64 seq;

  g_mutex_lock (&m->lock);
  m->requests |= req;
  seq = ++m->request_seq;
  g_cond_broadcast (&m->cond);
  while (m->done_seq < seq)
    g_cond_wait (&m->cond, &m->lock);
  g_mutex_unlock (&m->lock);
}

VmmMachine *
vmm_machine_new (const VmmConfig *config, GError **error)
{
  g_autoptr(VmmMachine) m = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate_config (config, error))
    return NULL;

  m = g_new0 (VmmMachine, 1);
  vmm_vm_platform_init (m);
  g_mutex_init (&m->lock);
  g_cond_init (&m->cond);
  g_rw_lock_init (&m->vm_lock);
  m->vm_fd = -1;
  m->kvm.fd = -1;
  m->kernel_path = g_strdup (config->kernel_path);
  m->initrd_path = g_strdup (config->initrd_path);
  m->cmdline = g_strdup (config->cmdline);
  m->realmode_path = g_strdup (config->realmode_image_path);
  m->bios_path = g_strdup (config->bios_path);
  m->uefi_code_path = g_strdup (config->uefi_code_path);
  m->uefi_vars_path = g_strdup (config->uefi_vars_path);
  if (config->uuid != NULL)
    {
      memcpy (m->uuid, config->uuid, 16);
      m->has_uuid = TRUE;
    }
  m->net_user = config->net_user;
  m->net_restricted = config->net_restricted;
  m->net_forwards = g_strdupv ((char **) config->net_forwards);
  m->net_mac_seed = g_strdup (config->net_mac_seed);
  m->net_model = config->net_model;
  m->rng = config->rng;
  m->want_display = config->display || config->spice_listen != NULL;
  m->display_device = config->display_device;
  m->spice_listen = g_strdup (config->spice_listen);
  m->n_disks = config->n_disks;
  m->n_boot_order = config->n_boot_order;
  memcpy (m->boot_order, config->boot_order, sizeof m->boot_order);
  for (unsigned i = 0; i < m->n_disks; i++)
    {
      m->disks[i] = config->disks[i];
      m->disks[i].path = g_strdup (config->disks[i].path);
      m->disks[i].format = g_strdup (config->disks[i].format);
      m->disks[i].serial = g_strdup (config->disks[i].serial);
    }
  m->memory = config->memory;
  m->n_cpus = config->cpus;
  m->serial_sink = config->serial_sink;
  m->serial_data = config->serial_data;
  m->state_notify = config->state_notify;
  m->state_data = config->state_data;
  m->triple_fault_reboots = vmm_cmdline_reboots_by_triple_fault (config->cmdline);
  m->state = VMM_STATE_STOPPED;
  m->vcpus = g_new0 (VmmVcpu, m->n_cpus);
  for (unsigned i = 0; i < m->n_cpus; i++)
    m->vcpus[i].fd = -1;
  m->lowmem_size = vmm_e820_lowmem_end (m->memory);
  m->ram_size = m->memory;

  if (!vmm_boot_prepare (m, error))
    return NULL;
  if (!vmm_kvm_open (&m->kvm, "/dev/kvm", error))
    return NULL;
  if (m->n_cpus > (unsigned) m->kvm.max_vcpus)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "This host's KVM runs at most %d vCPUs per machine", m->kvm.max_vcpus);
      return NULL;
    }
  if (!alloc_ram (m, error) || !vmm_vm_platform_add_ram (m, error) || !create_devices (m, error))
    return NULL;
  if ((m->bios_path != NULL || m->uefi_code_path != NULL)
      && (!vmm_boot_create_firmware (m, error) || !set_boot_order (m, error)))
    return NULL;
  if (!vmm_vm_create (m, error) || !vmm_boot_load (m, error) || !power_on_pci (m, error)
      || !vmm_vcpus_create (m, error))
    return NULL;

  m->control_thread = g_thread_try_new ("vmm-control", control_thread, m, error);
  if (m->control_thread == NULL)
    return NULL;
  return g_steal_pointer (&m);
}

static gboolean
check_state (VmmMachine *m, const VmmState *allowed, unsigned n, const char *what, GError **error)
{
  VmmState s = vmm_machine_get_state (m);

  for (unsigned i = 0; i < n; i++)
    if (s == allowed[i])
      return TRUE;
  g_set_error (error, VMM_ERROR, VMM_ERROR_BAD_STATE,
               "Cannot %s a machine that is %s", what, vmm_state_to_string (s));
  return FALSE;
}

gboolean
vmm_machine_start (VmmMachine *m, GError **error)
{
  static const VmmState ok[] = { VMM_STATE_STOPPED, VMM_STATE_CRASHED };
  GError *start_error;

  g_return_val_if_fail (m != NULL, FALSE);
  if (!check_state (m, ok, G_N_ELEMENTS (ok), "start", error))
    return FALSE;
  request_sync (m, VMM_REQ_START);
  /* The guest may already have powered off or crashed by now: only a
   * failure to set it up makes the start fail. */
  g_mutex_lock (&m->lock);
  start_error = g_steal_pointer (&m->start_error);
  g_mutex_unlock (&m->lock);
  if (start_error != NULL)
    {
      g_propagate_error (error, start_error);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmm_machine_pause (VmmMachine *m, GError **error)
{
  static const VmmState ok[] = { VMM_STATE_RUNNING };

  g_return_val_if_fail (m != NULL, FALSE);
  if (!check_state (m, ok, G_N_ELEMENTS (ok), "pause", error))
    return FALSE;
  request_sync (m, VMM_REQ_PAUSE);
  return TRUE;
}

gboolean
vmm_machine_resume (VmmMachine *m, GError **error)
{
  static const VmmState ok[] = { VMM_STATE_PAUSED };

  g_return_val_if_fail (m != NULL, FALSE);
  if (!check_state (m, ok, G_N_ELEMENTS (ok), "resume", error))
    return FALSE;
  request_sync (m, VMM_REQ_RESUME);
  return TRUE;
}

gboolean
vmm_machine_power_button (VmmMachine *m, GError **error)
{
  static const VmmState ok[] = { VMM_STATE_RUNNING };

  g_return_val_if_fail (m != NULL, FALSE);
  if (!check_state (m, ok, G_N_ELEMENTS (ok), "press the power button of", error))
    return FALSE;
  vmm_pm_power_button (m->pm);
  return TRUE;
}

gboolean
vmm_machine_reset (VmmMachine *m, GError **error)
{
  static const VmmState ok[] = { VMM_STATE_RUNNING, VMM_STATE_PAUSED };

  g_return_val_if_fail (m != NULL, FALSE);
  if (!check_state (m, ok, G_N_ELEMENTS (ok), "reset", error))
    return FALSE;
  request_sync (m, VMM_REQ_RESET);
  return TRUE;
}

void
vmm_machine_kill (VmmMachine *m)
{
  g_return_if_fail (m != NULL);
  request_sync (m, VMM_REQ_KILL);
}

VmmState
vmm_machine_get_state (VmmMachine *m)
{
  VmmState s;

  g_return_val_if_fail (m != NULL, VMM_STATE_STOPPED);
  g_mutex_lock (&m->lock);
  s = m->state;
  g_mutex_unlock (&m->lock);
  return s;
}

void
vmm_machine_serial_input (VmmMachine *m, const uint8_t *data, size_t len)
{
  g_return_if_fail (m != NULL);
  vmm_serial_receive (m->serial, data, len);
}

gboolean
vmm_machine_change_cdrom (VmmMachine *m, unsigned index, const char *path, GError **error)
{
  VmmDiskConfig d = { .path = path, .cdrom = TRUE, .read_only = TRUE };
  g_autoptr(GError) local = NULL;
  VmmImage *img = NULL;

  g_return_val_if_fail (m != NULL, FALSE);
  if (index >= m->n_cdroms || m->ahci == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_BAD_STATE, "This machine has no CD-ROM drive %u", index + 1);
      return FALSE;
    }
  if (path != NULL && (img = open_disk (&d, error)) == NULL)
    return FALSE;
  if (!vmm_ahci_change_media (m->ahci, m->cdrom_port[index], img, &local))
    {
      if (img != NULL)
        vmm_image_close (img);
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISK, "Cannot change the CD: %s", local->message);
      return FALSE;
    }
  return TRUE;
}

int
vmm_machine_open_display_fd (VmmMachine *m, GError **error)
{
  g_autoptr(GError) local = NULL;
  int fd;

  g_return_val_if_fail (m != NULL, -1);
  if (m->spice == NULL)
    {
      g_set_error_literal (error, VMM_ERROR, VMM_ERROR_DISPLAY, "This machine has no display");
      return -1;
    }
  fd = m->spice_module->open_client_fd (m->spice, &local);
  if (fd < 0)
    g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY, "Cannot connect to the display: %s",
                 local->message);
  return fd;
}

gboolean
vmm_machine_read_screen (VmmMachine *m, uint32_t *width, uint32_t *height, uint32_t **pixels)
{
  g_return_val_if_fail (m != NULL && width != NULL && height != NULL && pixels != NULL, FALSE);

  *pixels = NULL;
  /* The display lives as long as the machine: no lock needed to reach it,
   * and the copy itself runs under the display's own lock. */
  if (m->display == NULL)
    return FALSE;
  return vmm_screen_copy (m->display, width, height, pixels);
}

void
vmm_machine_free (VmmMachine *m)
{
  if (m == NULL)
    return;
  if (m->control_thread != NULL)
    {
      request_sync (m, VMM_REQ_KILL | VMM_REQ_QUIT);
      g_thread_join (m->control_thread);
    }
  if (m->vcpus != NULL)
    {
      vmm_vcpus_stop (m);
      vmm_vcpus_destroy (m);
    }
  /* PCI devices first: their I/O threads may still complete requests
   * into guest RAM and raise interrupts on the VM. */
  /* Input first, so nothing reaches devices being freed; the HID devices
   * outlive their controller; the display outlives every device that
   * publishes into it. */
  g_clear_pointer (&m->usb_input, vmm_usb_input_free);
  vmm_pci_bus_free (m->pci);
  g_clear_pointer (&m->usb_keyboard, vmm_usb_hid_free);
  g_clear_pointer (&m->usb_tablet, vmm_usb_hid_free);
  if (m->spice != NULL)
    m->spice_module->server_free (m->spice);
  vmm_display_free (m->display);
  vmm_vm_destroy (m);
  vmm_vm_platform_clear (m);
  vmm_reset_control_free (m->reset_control);
  vmm_pm_free (m->pm);
  vmm_rtc_free (m->rtc);
  vmm_i8042_free (m->i8042);
  vmm_serial_free (m->serial);
  vmm_bus_free (m->pio);
  vmm_bus_free (m->mmio);
  /* After the buses: the firmware's devices were registered on them. */
  vmm_firmware_boot_free (m->firmware);
  if (m->ram != NULL)
    munmap (m->ram, m->ram_size);
  vmm_kvm_close (&m->kvm);
  g_clear_pointer (&m->kernel, g_bytes_unref);
  g_clear_pointer (&m->initrd, g_bytes_unref);
  g_clear_pointer (&m->realmode, g_bytes_unref);
  g_free (m->vcpus);
  g_free (m->kernel_path);
  g_free (m->initrd_path);
  g_free (m->cmdline);
  g_free (m->realmode_path);
  g_free (m->bios_path);
  g_free (m->uefi_code_path);
  g_free (m->uefi_vars_path);
  g_strfreev (m->net_forwards);
  g_free (m->spice_listen);
  g_free (m->net_mac_seed);
  for (unsigned i = 0; i < m->n_disks; i++)
    {
      g_free ((char *) m->disks[i].path);
      g_free ((char *) m->disks[i].format);
      g_free ((char *) m->disks[i].serial);
      g_free (m->disk_boot_path[i]);
    }
  g_clear_error (&m->start_error);
  g_rw_lock_clear (&m->vm_lock);
  g_cond_clear (&m->cond);
  g_mutex_clear (&m->lock);
  g_free (m);
}
