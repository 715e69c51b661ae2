/* vm.c: the KVM VM of a machine: memory slots, in-kernel irqchip and PIT.
 *
 * A reset throws the VM away and makes a new one: a fresh VM has the
 * interrupt controllers, timers and every vCPU in their power-on state
 * without this monitor having to know all of their state.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "machine-private.h"
#include "x86/acpi.h"
#include "x86/layout.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The real-mode TSS and EPT identity map need three pages and one page
 * that the guest never uses; these sit below the 16 MiB flash window at
 * the top of 4 GiB (where QEMU puts them too), clear of the LAPIC and of
 * PCI. */
#define KVM_TSS_ADDR          0xfeffd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL

static gboolean
set_slot (int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *host, GError **error)
{
  struct kvm_userspace_memory_region region = {
    .slot = slot,
    .guest_phys_addr = gpa,
    .memory_size = size,
    .userspace_addr = (uint64_t) (uintptr_t) host,
  };

  if (ioctl (vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_SET_USER_MEMORY_REGION failed: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* The MADT names the IOAPIC with an ID no CPU uses; the in-kernel IOAPIC
 * starts at 0 and must say the same. */
static gboolean
set_ioapic_id (VmmMachine *m, int vm_fd, GError **error)
{
  struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
  uint32_t apic_ids[VMM_CPUS_MAX];
  VmmAcpiConfig cfg = { .n_cpus = m->n_cpus, .apic_ids = apic_ids };

  for (unsigned i = 0; i < m->n_cpus; i++)
    apic_ids[i] = i;
  if (ioctl (vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
    goto fail;
  chip.chip.ioapic.id = vmm_acpi_ioapic_id (&cfg);
  if (ioctl (vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
               "Setting the IOAPIC's ID failed: %s", g_strerror (errno));
  return FALSE;
}

gboolean
vmm_vm_create (VmmMachine *m, GError **error)
{
  struct kvm_pit_config pit = { .flags = 0 };
  uint64_t identity = KVM_IDENTITY_MAP_ADDR;
  int fd;

  /* Creating a VM can be interrupted by a signal (the runner's SIGUSR1
   * or the app's), and is then simply tried again. */
  do
    fd = ioctl (m->kvm.fd, KVM_CREATE_VM, 0);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_CREATE_VM failed: %s", g_strerror (errno));
      return FALSE;
    }

  if (ioctl (fd, KVM_SET_TSS_ADDR, (unsigned long) KVM_TSS_ADDR) < 0
      || ioctl (fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "Setting KVM's real-mode TSS failed: %s", g_strerror (errno));
      goto fail;
    }
  if (ioctl (fd, KVM_CREATE_IRQCHIP, 0) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_CREATE_IRQCHIP failed: %s", g_strerror (errno));
      goto fail;
    }
  if (ioctl (fd, KVM_CREATE_PIT2, &pit) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_CREATE_PIT2 failed: %s", g_strerror (errno));
      goto fail;
    }

  if (!set_ioapic_id (m, fd, error))
    goto fail;
  if (!set_slot (fd, 0, 0, m->lowmem_size, m->ram, error))
    goto fail;
  if (m->ram_size > m->lowmem_size
      && !set_slot (fd, 1, VMM_HIGHMEM_BASE, m->ram_size - m->lowmem_size,
                    m->ram + m->lowmem_size, error))
    goto fail;

  g_rw_lock_writer_lock (&m->vm_lock);
  m->vm_fd = fd;
  g_rw_lock_writer_unlock (&m->vm_lock);
  return TRUE;

fail:
  close (fd);
  return FALSE;
}

void
vmm_vm_destroy (VmmMachine *m)
{
  int fd;

  g_rw_lock_writer_lock (&m->vm_lock);
  fd = m->vm_fd;
  m->vm_fd = -1;
  g_rw_lock_writer_unlock (&m->vm_lock);
  if (fd >= 0)
    close (fd);
}

void
vmm_vm_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  VmmMachine *m = opaque;
  struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

  g_rw_lock_reader_lock (&m->vm_lock);
  /* Between two VMs of a reset, lines are dropped: the new VM starts with
   * every line low and the devices are reset to match. */
  if (m->vm_fd >= 0 && ioctl (m->vm_fd, KVM_IRQ_LINE, &irq) < 0)
    g_warning ("KVM_IRQ_LINE %u failed: %s", gsi, g_strerror (errno));
  g_rw_lock_reader_unlock (&m->vm_lock);
}
