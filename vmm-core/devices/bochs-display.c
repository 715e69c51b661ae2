/* bochs-display.c: the Bochs VBE linear framebuffer on PCI.
 *
 * The framebuffer BAR is host memory mapped into the VM as a KVM slot with
 * dirty logging, so guest drawing never exits; a refresh thread asks KVM
 * which pages changed and reports the rows they cover. Where the platform
 * cannot map memory (unit tests) the BAR is served by MMIO instead and
 * every refresh repaints the whole screen.
 *
 * The MMIO BAR follows QEMU's layout, which the drivers expect: the EDID at
 * 0x000, the VBE registers (16-bit, one per index) at 0x500, and QEMU's
 * extended registers at 0x600 (their size, and the framebuffer's byte
 * order, which is always little-endian here).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/bochs-display.h"
#include "devices/edid.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define VBE_ID              0x0
#define VBE_XRES            0x1
#define VBE_YRES            0x2
#define VBE_BPP             0x3
#define VBE_ENABLE          0x4
#define VBE_BANK            0x5
#define VBE_VIRT_WIDTH      0x6
#define VBE_VIRT_HEIGHT     0x7
#define VBE_X_OFFSET        0x8
#define VBE_Y_OFFSET        0x9
#define VBE_VIDEO_MEMORY_64K 0xa
#define VBE_NREGS           0xb

#define VBE_ID_MIN          0xb0c0
#define VBE_ID_MAX          0xb0c5
#define VBE_ENABLED         0x01
#define VBE_GETCAPS         0x02
#define VBE_NOCLEARMEM      0x80

#define MMIO_SIZE           0x1000
#define MMIO_EDID           0x000
#define MMIO_VBE            0x500
#define MMIO_QEXT           0x600
#define QEXT_SIZE           8
#define QEXT_LITTLE_ENDIAN  0x1e1e1e1e

#define VRAM_BAR            0
#define MMIO_BAR            2
#define PAGE                4096u
#define REFRESH_USEC        (G_USEC_PER_SEC / 60)

struct _VmmBochsDisplay {
  VmmPlatform *platform;
  VmmDisplay *display;
  VmmPciDevice *pci;
  uint8_t *vram;

  GMutex lock;                  /* registers and mode */
  uint16_t reg[VBE_NREGS];
  uint8_t edid[VMM_EDID_SIZE];
  gboolean mode_valid;          /* the guest enabled a mode that fits */
  uint32_t width, height, stride, bytes;
  uint64_t offset;              /* of the visible area in vram */
  gboolean mode_changed;        /* publish a new surface at the next refresh */

  int slot;                     /* KVM slot of the framebuffer, or -1 */
  uint64_t watch_starts;        /* the display's count when last refreshed */
  unsigned long *dirty;         /* one bit per vram page */
  gboolean mmio_vram;           /* the BAR is served by vram_ops instead */

  GThread *thread;
  GMutex thread_lock;
  GCond thread_cond;
  gboolean quit;
};

static VmmDisplayFormat
format_for_bpp (unsigned bpp)
{
  switch (bpp)
    {
    case 32: return VMM_DISPLAY_FORMAT_XRGB8888;
    case 24: return VMM_DISPLAY_FORMAT_RGB888;
    case 16: return VMM_DISPLAY_FORMAT_RGB565;
    default: return VMM_DISPLAY_FORMAT_INVALID;
    }
}

/* Called with the lock held after ENABLE or a geometry register changed:
 * the mode the guest set, if it fits the framebuffer and the display. */
static void
update_mode (VmmBochsDisplay *bd)
{
  uint32_t bpp = bd->reg[VBE_BPP], w = bd->reg[VBE_XRES], h = bd->reg[VBE_YRES];
  uint32_t vw = bd->reg[VBE_VIRT_WIDTH] ? bd->reg[VBE_VIRT_WIDTH] : w;
  uint32_t bytes = bpp / 8;
  uint64_t stride = (uint64_t) vw * bytes;
  uint64_t offset = (uint64_t) bd->reg[VBE_Y_OFFSET] * stride + (uint64_t) bd->reg[VBE_X_OFFSET] * bytes;
  gboolean valid = (bd->reg[VBE_ENABLE] & VBE_ENABLED) && format_for_bpp (bpp) != VMM_DISPLAY_FORMAT_INVALID
                   && w > 0 && h > 0 && w <= VMM_DISPLAY_MAX_WIDTH && h <= VMM_DISPLAY_MAX_HEIGHT
                   && vw >= w && offset + stride * (h - 1) + (uint64_t) w * bytes <= VMM_BOCHS_DISPLAY_VRAM_SIZE;

  if (valid == bd->mode_valid && w == bd->width && h == bd->height && stride == bd->stride
      && offset == bd->offset && bytes == bd->bytes)
    return;
  bd->mode_valid = valid;
  bd->width = w;
  bd->height = h;
  bd->stride = (uint32_t) stride;
  bd->bytes = bytes;
  bd->offset = offset;
  bd->mode_changed = TRUE;
}

static uint16_t
vbe_read (VmmBochsDisplay *bd, unsigned index)
{
  if (index >= VBE_NREGS)
    return 0;
  if (bd->reg[VBE_ENABLE] & VBE_GETCAPS)
    switch (index)
      {
      case VBE_XRES: return VMM_DISPLAY_MAX_WIDTH;
      case VBE_YRES: return VMM_DISPLAY_MAX_HEIGHT;
      case VBE_BPP: return 32;
      default: break;
      }
  if (index == VBE_ID)
    return bd->reg[VBE_ID] ? bd->reg[VBE_ID] : VBE_ID_MAX;
  if (index == VBE_VIDEO_MEMORY_64K)
    return VMM_BOCHS_DISPLAY_VRAM_SIZE / 65536;
  if (index == VBE_VIRT_WIDTH && bd->reg[index] == 0)
    return bd->reg[VBE_XRES];
  if (index == VBE_VIRT_HEIGHT && bd->reg[index] == 0)
    return bd->reg[VBE_XRES] && bd->reg[VBE_BPP] >= 8
           ? (uint16_t) MIN (65535u, VMM_BOCHS_DISPLAY_VRAM_SIZE / (bd->reg[VBE_XRES] * (bd->reg[VBE_BPP] / 8u)))
           : 0;
  return bd->reg[index];
}

static void
vbe_write (VmmBochsDisplay *bd, unsigned index, uint16_t v)
{
  switch (index)
    {
    case VBE_ID:
      if (v >= VBE_ID_MIN && v <= VBE_ID_MAX)
        bd->reg[VBE_ID] = v;
      return;
    case VBE_ENABLE:
      /* Enabling a mode clears the screen and resets panning, unless the
       * guest asks to keep memory (a firmware handing over its screen). */
      if ((v & VBE_ENABLED) && !(bd->reg[VBE_ENABLE] & VBE_ENABLED))
        {
          bd->reg[VBE_VIRT_WIDTH] = 0;
          bd->reg[VBE_VIRT_HEIGHT] = 0;
          bd->reg[VBE_X_OFFSET] = 0;
          bd->reg[VBE_Y_OFFSET] = 0;
          if (!(v & VBE_NOCLEARMEM))
            memset (bd->vram, 0, VMM_BOCHS_DISPLAY_VRAM_SIZE);
        }
      bd->reg[VBE_ENABLE] = v;
      break;
    case VBE_XRES: case VBE_YRES: case VBE_BPP: case VBE_BANK:
    case VBE_VIRT_WIDTH: case VBE_VIRT_HEIGHT: case VBE_X_OFFSET: case VBE_Y_OFFSET:
      bd->reg[index] = v;
      break;
    default:
      return;
    }
  update_mode (bd);
}

static void
mmio_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmBochsDisplay *bd = opaque;
  uint64_t v = 0;

  g_mutex_lock (&bd->lock);
  if (offset + len <= MMIO_EDID + VMM_EDID_SIZE)
    memcpy (data, bd->edid + offset, len);
  else
    {
      if (offset >= MMIO_VBE && offset < MMIO_VBE + 2 * VBE_NREGS && len == 2 && !(offset & 1))
        v = vbe_read (bd, (unsigned) (offset - MMIO_VBE) / 2);
      else if (offset == MMIO_QEXT && len == 4)
        v = QEXT_SIZE;
      else if (offset == MMIO_QEXT + 4 && len == 4)
        v = QEXT_LITTLE_ENDIAN;
      vmm_le_put (data, len, v);
    }
  g_mutex_unlock (&bd->lock);
}

static void
mmio_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmBochsDisplay *bd = opaque;

  /* The byte-order register only accepts little-endian here; the VGA
   * ports QEMU mirrors at 0x400 do not exist on a display without VGA. */
  if (offset < MMIO_VBE || offset >= MMIO_VBE + 2 * VBE_NREGS || len != 2 || (offset & 1))
    return;
  g_mutex_lock (&bd->lock);
  vbe_write (bd, (unsigned) (offset - MMIO_VBE) / 2, (uint16_t) vmm_le_get (data, len));
  g_mutex_unlock (&bd->lock);
}

static const VmmBusOps mmio_ops = { .read = mmio_read, .write = mmio_write };

/* The framebuffer through exits, where the platform cannot map it. */
static void
vram_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmBochsDisplay *bd = opaque;

  memcpy (data, bd->vram + offset, len);
}

static void
vram_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmBochsDisplay *bd = opaque;

  memcpy (bd->vram + offset, data, len);
}

static const VmmBusOps vram_ops = { .read = vram_read, .write = vram_write };

void
vmm_bochs_display_refresh (VmmBochsDisplay *bd)
{
  const VmmPlatformOps *ops = bd->platform->ops;
  uint32_t first = UINT32_MAX, last = 0;
  gboolean changed, valid, whole;
  VmmDisplaySurface s = { 0 };
  uint64_t starts;
  bool watched = vmm_display_is_watched (bd->display, &starts);

  g_mutex_lock (&bd->lock);
  changed = bd->mode_changed;
  /* Nobody looks: no dirty log to read, so the guest's drawing stops
   * faulting on write-protected pages (the VGA BIOS draws text a glyph
   * row at a time: 24,000 faults before a CD boot's kernel). A viewer
   * that comes gets the whole frame. */
  if (!watched && !changed)
    {
      g_mutex_unlock (&bd->lock);
      return;
    }
  whole = starts != bd->watch_starts;
  bd->watch_starts = starts;
  bd->mode_changed = FALSE;
  valid = bd->mode_valid;
  if (valid)
    s = (VmmDisplaySurface) {
      .format = format_for_bpp (bd->bytes * 8), .width = bd->width, .height = bd->height,
      .stride = bd->stride, .pixels = bd->vram + bd->offset,
      .size = VMM_BOCHS_DISPLAY_VRAM_SIZE - bd->offset,
    };
  if (valid && !changed && !whole && bd->slot >= 0
      && ops->ram_dirty_log (bd->platform->opaque, bd->slot, bd->dirty) == 0)
    {
      /* Pages to rows: a page may hold the end of one row and the start
       * of the next. */
      for (unsigned p = 0; p < VMM_BOCHS_DISPLAY_VRAM_SIZE / PAGE; p++)
        if (bd->dirty[p / (8 * sizeof (unsigned long))] & (1UL << (p % (8 * sizeof (unsigned long)))))
          {
            uint64_t lo = (uint64_t) p * PAGE, hi = lo + PAGE;
            if (hi <= bd->offset || lo >= bd->offset + (uint64_t) bd->stride * bd->height)
              continue;
            lo = lo > bd->offset ? lo - bd->offset : 0;
            hi -= bd->offset;
            first = MIN (first, (uint32_t) (lo / bd->stride));
            last = MAX (last, (uint32_t) MIN ((hi - 1) / bd->stride, (uint64_t) bd->height - 1));
          }
    }
  else if (valid)
    {
      first = 0;
      last = bd->height - 1;
    }
  g_mutex_unlock (&bd->lock);

  if (changed)
    vmm_display_set_surface (bd->display, valid ? &s : NULL);
  if (valid && first <= last)
    vmm_display_update (bd->display, 0, first, s.width, last - first + 1);
}

static gpointer
refresh_thread (gpointer data)
{
  VmmBochsDisplay *bd = data;

  g_mutex_lock (&bd->thread_lock);
  while (!bd->quit)
    {
      gint64 until = g_get_monotonic_time () + REFRESH_USEC;
      g_mutex_unlock (&bd->thread_lock);
      vmm_bochs_display_refresh (bd);
      g_mutex_lock (&bd->thread_lock);
      while (!bd->quit && g_cond_wait_until (&bd->thread_cond, &bd->thread_lock, until))
        ;
    }
  g_mutex_unlock (&bd->thread_lock);
  return NULL;
}

static int
request_size (void *opaque, uint32_t width, uint32_t height)
{
  VmmBochsDisplay *bd = opaque;

  /* The guest reads the EDID when it sets a mode; bochs-drm has no
   * hot-plug interrupt to be told now. */
  g_mutex_lock (&bd->lock);
  vmm_edid_build (bd->edid, width, height);
  g_mutex_unlock (&bd->lock);
  return -ENOTSUP;
}

static const VmmDisplayDeviceOps device_ops = { .request_size = request_size };

static void
unmap_vram (VmmBochsDisplay *bd)
{
  if (bd->slot >= 0)
    bd->platform->ops->ram_unmap (bd->platform->opaque, bd->slot);
  bd->slot = -1;
}

static void
pci_bar_moved (VmmPciDevice *dev, unsigned bar, uint64_t addr, void *opaque)
{
  VmmBochsDisplay *bd = opaque;
  int slot;

  if (bar != VRAM_BAR || bd->mmio_vram)
    return;
  g_mutex_lock (&bd->lock);
  unmap_vram (bd);
  if (addr != VMM_PCI_BAR_UNMAPPED)
    {
      slot = bd->platform->ops->ram_map (bd->platform->opaque, addr, VMM_BOCHS_DISPLAY_VRAM_SIZE,
                                         bd->vram, VMM_RAM_LOG_DIRTY);
      if (slot >= 0)
        bd->slot = slot;
      else
        g_warning ("bochs-display: cannot map the framebuffer at 0x%" G_GINT64_MODIFIER "x: %s",
                   addr, g_strerror (-slot));
      /* A fresh mapping logs nothing yet: repaint it all once. */
      bd->mode_changed = TRUE;
    }
  g_mutex_unlock (&bd->lock);
}

static void
pci_reset (VmmPciDevice *dev, void *opaque)
{
  VmmBochsDisplay *bd = opaque;

  g_mutex_lock (&bd->lock);
  memset (bd->reg, 0, sizeof bd->reg);
  vmm_edid_build (bd->edid, 1024, 768);
  update_mode (bd);
  g_mutex_unlock (&bd->lock);
}

static void
pci_destroy (VmmPciDevice *dev, void *opaque)
{
  VmmBochsDisplay *bd = opaque;

  g_mutex_lock (&bd->thread_lock);
  bd->quit = TRUE;
  g_cond_signal (&bd->thread_cond);
  g_mutex_unlock (&bd->thread_lock);
  if (bd->thread != NULL)
    g_thread_join (bd->thread);
  vmm_display_set_device_ops (bd->display, NULL, NULL);
  vmm_display_set_surface (bd->display, NULL);
  unmap_vram (bd);
  munmap (bd->vram, VMM_BOCHS_DISPLAY_VRAM_SIZE);
  g_free (bd->dirty);
  g_mutex_clear (&bd->thread_lock);
  g_cond_clear (&bd->thread_cond);
  g_mutex_clear (&bd->lock);
  g_free (bd);
}

static const VmmPciDeviceOps pci_ops = {
  .bar_moved = pci_bar_moved,
  .reset = pci_reset,
  .destroy = pci_destroy,
};

VmmPciDevice *
vmm_bochs_display_new (VmmPlatform *platform, VmmDisplay *display, VmmBochsDisplay **out,
                       GError **error)
{
  VmmBochsDisplay *bd;
  VmmPciDevice *dev;
  void *vram;
  int r;

  vram = mmap (NULL, VMM_BOCHS_DISPLAY_VRAM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (vram == MAP_FAILED)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot allocate the display's memory: %s", g_strerror (errno));
      return NULL;
    }
  bd = g_new0 (VmmBochsDisplay, 1);
  bd->platform = platform;
  bd->display = display;
  bd->vram = vram;
  bd->slot = -1;
  bd->dirty = g_new0 (unsigned long, VMM_BOCHS_DISPLAY_VRAM_SIZE / PAGE / (8 * sizeof (unsigned long)));
  /* Without memory slots (unit tests) the framebuffer is plain MMIO. */
  bd->mmio_vram = platform->ops->ram_map == NULL;
  g_mutex_init (&bd->lock);
  g_mutex_init (&bd->thread_lock);
  g_cond_init (&bd->thread_cond);
  vmm_edid_build (bd->edid, 1024, 768);

  /* QEMU's IDs, which the drivers match; display class "other" since
   * there is no VGA behind it. */
  dev = vmm_pci_device_new (0x1234, 0x1111, 0x038000, 2);
  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  bd->pci = dev;
  r = vmm_pci_device_add_bar (dev, VRAM_BAR, VMM_PCI_BAR_MEM32, VMM_BOCHS_DISPLAY_VRAM_SIZE);
  if (r == 0)
    r = vmm_pci_device_add_bar (dev, MMIO_BAR, VMM_PCI_BAR_MEM32, MMIO_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, MMIO_BAR, &mmio_ops, VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4, bd);
  if (r == 0 && bd->mmio_vram)
    r = vmm_pci_device_set_bar_ops (dev, VRAM_BAR, &vram_ops, VMM_BUS_WANY, bd);
  if (r == 0)
    bd->thread = g_thread_try_new ("bochs-display", refresh_thread, bd, error);
  if (r < 0 || bd->thread == NULL)
    {
      if (r < 0)
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (-r),
                     "Cannot create the display device: %s", g_strerror (-r));
      vmm_pci_device_set_ops (dev, &pci_ops, bd);
      vmm_pci_device_free (dev);
      return NULL;
    }
  vmm_pci_device_set_ops (dev, &pci_ops, bd);
  vmm_display_set_device_ops (display, &device_ops, bd);
  if (out != NULL)
    *out = bd;
  return dev;
}
