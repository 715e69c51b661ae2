/* vm-platform.c: the machine's VmmPlatform: interrupt lines, MSI, GSI
 * routing, irqfd and ioeventfd on the current KVM VM.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so the table is kept here:
 * the in-kernel irqchip's default entries (what KVM_CREATE_IRQCHIP
 * installs: GSI n to IOAPIC pin n, and GSIs 0-15 to the PICs too) plus one
 * MSI entry per vector a device routed. The VM is re-created at every
 * reset; devices release their routes during the reset, and a VM that
 * never saw an MSI route keeps KVM's defaults untouched.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "machine-private.h"
#include "x86/layout.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define FIRST_MSI_GSI VMM_IOAPIC_PINS
#define MAX_GSI       1024

static int
with_vm (VmmMachine *m, unsigned long req, void *arg)
{
  int r;

  g_rw_lock_reader_lock (&m->vm_lock);
  if (m->vm_fd < 0)
    r = -ENODEV;
  else
    r = ioctl (m->vm_fd, req, arg) < 0 ? -errno : 0;
  g_rw_lock_reader_unlock (&m->vm_lock);
  return r;
}

static void
platform_signal_msi (void *opaque, uint64_t addr, uint32_t data)
{
  VmmMachine *m = opaque;
  struct kvm_msi msi = { .address_lo = (uint32_t) addr, .address_hi = (uint32_t) (addr >> 32),
                         .data = data };
  int r = with_vm (m, KVM_SIGNAL_MSI, &msi);

  if (r < 0 && r != -ENODEV)
    g_debug ("KVM_SIGNAL_MSI: %s", g_strerror (-r));
}

/* Called with route_lock held. */
static int
commit_routes (VmmMachine *m)
{
  guint n = 0;
  struct kvm_irq_routing *table;
  int r;

  table = g_malloc0 (sizeof (struct kvm_irq_routing)
                     + (VMM_IOAPIC_PINS + 16 + MAX_GSI) * sizeof (struct kvm_irq_routing_entry));
  for (unsigned gsi = 0; gsi < VMM_IOAPIC_PINS; gsi++)
    {
      struct kvm_irq_routing_entry *e = &table->entries[n++];
      e->gsi = gsi;
      e->type = KVM_IRQ_ROUTING_IRQCHIP;
      e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
      e->u.irqchip.pin = gsi;
      if (gsi < 16)
        {
          e = &table->entries[n++];
          e->gsi = gsi;
          e->type = KVM_IRQ_ROUTING_IRQCHIP;
          e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
          e->u.irqchip.pin = gsi % 8;
        }
    }
  for (unsigned gsi = FIRST_MSI_GSI; gsi < MAX_GSI; gsi++)
    {
      const VmmMsiRoute *rt = &m->msi_routes[gsi];
      struct kvm_irq_routing_entry *e;
      if (!rt->used)
        continue;
      e = &table->entries[n++];
      e->gsi = gsi;
      e->type = KVM_IRQ_ROUTING_MSI;
      e->u.msi.address_lo = (uint32_t) rt->addr;
      e->u.msi.address_hi = (uint32_t) (rt->addr >> 32);
      e->u.msi.data = rt->data;
    }
  table->nr = n;
  r = with_vm (m, KVM_SET_GSI_ROUTING, table);
  g_free (table);
  return r == -ENODEV ? 0 : r;
}

static int
platform_msi_route (void *opaque, int gsi, uint64_t addr, uint32_t data)
{
  VmmMachine *m = opaque;
  int r;

  g_mutex_lock (&m->route_lock);
  if (gsi < 0)
    {
      for (int g = FIRST_MSI_GSI; g < MAX_GSI; g++)
        if (!m->msi_routes[g].used)
          {
            gsi = g;
            break;
          }
      if (gsi < 0)
        {
          g_mutex_unlock (&m->route_lock);
          return -ENOSPC;
        }
    }
  else if (gsi < FIRST_MSI_GSI || gsi >= MAX_GSI || !m->msi_routes[gsi].used)
    {
      g_mutex_unlock (&m->route_lock);
      return -EINVAL;
    }
  m->msi_routes[gsi] = (VmmMsiRoute) { TRUE, addr, data };
  r = commit_routes (m);
  if (r < 0)
    m->msi_routes[gsi].used = FALSE;
  g_mutex_unlock (&m->route_lock);
  return r < 0 ? r : gsi;
}

static void
platform_msi_route_release (void *opaque, int gsi)
{
  VmmMachine *m = opaque;

  if (gsi < FIRST_MSI_GSI || gsi >= MAX_GSI)
    return;
  g_mutex_lock (&m->route_lock);
  if (m->msi_routes[gsi].used)
    {
      m->msi_routes[gsi].used = FALSE;
      commit_routes (m);
    }
  g_mutex_unlock (&m->route_lock);
}

static int
platform_irqfd (void *opaque, int gsi, int fd, gboolean assign)
{
  VmmMachine *m = opaque;
  struct kvm_irqfd irqfd = { .fd = (uint32_t) fd, .gsi = (uint32_t) gsi,
                             .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN };
  int r = with_vm (m, KVM_IRQFD, &irqfd);

  /* Without a VM (between the two halves of a reset) there is nothing to
   * undo; an assign, though, must fail so the caller falls back. */
  return r == -ENODEV && !assign ? 0 : r;
}

static int
platform_ioeventfd (void *opaque, gboolean pio, uint64_t addr, unsigned len, int fd,
                    gboolean assign)
{
  VmmMachine *m = opaque;
  struct kvm_ioeventfd ev = {
    .addr = addr, .len = len, .fd = fd,
    .flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
  };
  int r = with_vm (m, KVM_IOEVENTFD, &ev);

  return r == -ENODEV && !assign ? 0 : r;
}

/* Device memory (framebuffers) lives in slots above RAM's (0, 1) and the
 * firmware's; the handle given out is the slot number. */
static int
platform_ram_map (void *opaque, uint64_t gpa, uint64_t size, void *host, unsigned flags)
{
  VmmMachine *m = opaque;
  struct kvm_userspace_memory_region region = {
    .guest_phys_addr = gpa,
    .memory_size = size,
    .userspace_addr = (uint64_t) (uintptr_t) host,
    .flags = ((flags & VMM_RAM_LOG_DIRTY) ? KVM_MEM_LOG_DIRTY_PAGES : 0)
             | ((flags & VMM_RAM_READ_ONLY) ? KVM_MEM_READONLY : 0),
  };
  int r = -ENOSPC;

  if (size == 0 || (size & 0xfff) || (gpa & 0xfff) || ((uintptr_t) host & 0xfff))
    return -EINVAL;
  g_mutex_lock (&m->route_lock);
  for (unsigned i = 0; i < VMM_DEVICE_SLOTS; i++)
    if (!m->device_slots[i])
      {
        region.slot = VMM_FIRST_DEVICE_SLOT + i;
        r = with_vm (m, KVM_SET_USER_MEMORY_REGION, &region);
        if (r == 0)
          {
            m->device_slots[i] = TRUE;
            r = (int) region.slot;
          }
        else if (r == -ENODEV)
          r = -ENOSYS;
        break;
      }
  g_mutex_unlock (&m->route_lock);
  return r;
}

static void
platform_ram_unmap (void *opaque, int handle)
{
  VmmMachine *m = opaque;
  struct kvm_userspace_memory_region region = { .slot = (uint32_t) handle, .memory_size = 0 };
  unsigned i = (unsigned) handle - VMM_FIRST_DEVICE_SLOT;

  if (handle < VMM_FIRST_DEVICE_SLOT || i >= VMM_DEVICE_SLOTS)
    return;
  g_mutex_lock (&m->route_lock);
  if (m->device_slots[i])
    {
      /* Size 0 deletes the slot; without a VM it is gone already. */
      with_vm (m, KVM_SET_USER_MEMORY_REGION, &region);
      m->device_slots[i] = FALSE;
    }
  g_mutex_unlock (&m->route_lock);
}

static int
platform_ram_dirty_log (void *opaque, int handle, unsigned long *bitmap)
{
  VmmMachine *m = opaque;
  struct kvm_dirty_log log = { .slot = (uint32_t) handle, .dirty_bitmap = bitmap };

  return with_vm (m, KVM_GET_DIRTY_LOG, &log);
}

static const VmmPlatformOps platform_ops = {
  .ram_map = platform_ram_map,
  .ram_unmap = platform_ram_unmap,
  .ram_dirty_log = platform_ram_dirty_log,
  .set_irq = vmm_vm_set_irq,
  .signal_msi = platform_signal_msi,
  .msi_route = platform_msi_route,
  .msi_route_release = platform_msi_route_release,
  .irqfd = platform_irqfd,
  .ioeventfd = platform_ioeventfd,
};

void
vmm_vm_platform_init (VmmMachine *m)
{
  g_mutex_init (&m->route_lock);
  m->msi_routes = g_new0 (VmmMsiRoute, MAX_GSI);
  m->platform.ops = &platform_ops;
  m->platform.opaque = m;
  vmm_guest_mem_init (&m->platform.mem);
}

void
vmm_vm_platform_forget_slots (VmmMachine *m)
{
  /* A new VM starts without the old one's device slots; their devices map
   * them again when their BARs are assigned. */
  g_mutex_lock (&m->route_lock);
  memset (m->device_slots, 0, sizeof m->device_slots);
  g_mutex_unlock (&m->route_lock);
}

gboolean
vmm_vm_platform_add_ram (VmmMachine *m, GError **error)
{
  int r = vmm_guest_mem_add (&m->platform.mem, 0, m->lowmem_size, m->ram);

  if (r == 0 && m->ram_size > m->lowmem_size)
    r = vmm_guest_mem_add (&m->platform.mem, VMM_HIGHMEM_BASE, m->ram_size - m->lowmem_size,
                           m->ram + m->lowmem_size);
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "Describing guest memory to devices failed: %s", g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

void
vmm_vm_platform_clear (VmmMachine *m)
{
  g_free (m->msi_routes);
  m->msi_routes = NULL;
  g_mutex_clear (&m->route_lock);
}
