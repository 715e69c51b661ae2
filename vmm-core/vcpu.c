/* vcpu.c: vCPU creation, register state and the KVM_RUN loop.
 *
 * Each vCPU thread runs KVM_RUN until the control thread asks it to pause
 * or stop. Asking is two steps: set the flag under the machine lock, then
 * kick (immediate_exit plus a signal), so a vCPU either sees the flag
 * before entering the guest or is thrown out of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "machine-private.h"
#include "cpuid.h"
#include "x86/layout.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MSR_IA32_MISC_ENABLE   0x1a0
#define MSR_MTRR_DEF_TYPE      0x2ff
#define MSR_IA32_APIC_BASE     0x1b
#define APIC_BASE_BSP          0x100
#define APIC_BASE_ENABLE       0x800
#define MISC_ENABLE_FAST_STRING 0x1
#define MTRR_ENABLE_WB         0xc06  /* E, FE, default type write-back */

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static int
kick_signal (void)
{
  return SIGRTMIN;
}

static void
kick_handler (int sig)
{
  /* Only here to make KVM_RUN return -EINTR. */
}

/* The one piece of process-wide state: a signal handler that does
 * nothing, installed once for every machine. */
static gpointer
install_kick_handler (gpointer data)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = kick_handler;
  sigemptyset (&sa.sa_mask);
  sigaction (kick_signal (), &sa, NULL);
  return NULL;
}

static gboolean
set_lapic_virtual_wire (VmmVcpu *vcpu, GError **error)
{
  struct kvm_lapic_state lapic;
  uint32_t v;

  if (ioctl (vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
    goto fail;
  /* What a PC BIOS leaves behind and Linux expects when booted directly:
   * LINT0 delivers the PIC's ExtINT, LINT1 the NMI. */
  memcpy (&v, lapic.regs + APIC_LVT_LINT0, 4);
  v = (v & ~0x700u & ~0x10000u) | (APIC_MODE_EXTINT << 8);
  memcpy (lapic.regs + APIC_LVT_LINT0, &v, 4);
  memcpy (&v, lapic.regs + APIC_LVT_LINT1, 4);
  v = (v & ~0x700u & ~0x10000u) | (APIC_MODE_NMI << 8);
  memcpy (lapic.regs + APIC_LVT_LINT1, &v, 4);
  if (ioctl (vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
               "Setting up vCPU %u's local APIC failed: %s", vcpu->index, g_strerror (errno));
  return FALSE;
}

static gboolean
set_cpuid (VmmMachine *m, VmmVcpu *vcpu, GError **error)
{
  const struct kvm_cpuid2 *sup = m->kvm.supported_cpuid;
  unsigned max = sup->nent + VMM_CPUID_EXTRA_ENTRIES;
  g_autofree struct kvm_cpuid2 *c = g_malloc0 (sizeof *c + max * sizeof (struct kvm_cpuid_entry2));
  int n;

  n = vmm_cpuid_build (sup->entries, sup->nent, vcpu->index, m->n_cpus,
                       m->kvm.tsc_deadline, c->entries, max);
  if (n < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "Building vCPU %u's CPUID failed: %s", vcpu->index, g_strerror (-n));
      return FALSE;
    }
  c->nent = (uint32_t) n;
  if (ioctl (vcpu->fd, KVM_SET_CPUID2, c) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_SET_CPUID2 failed: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void
set_msrs (VmmVcpu *vcpu)
{
  g_autofree struct kvm_msrs *msrs = g_malloc0 (sizeof *msrs + 3 * sizeof (struct kvm_msr_entry));
  int r;

  msrs->nmsrs = 3;
  msrs->entries[0].index = MSR_IA32_MISC_ENABLE;
  msrs->entries[0].data = MISC_ENABLE_FAST_STRING;
  msrs->entries[1].index = MSR_MTRR_DEF_TYPE;
  msrs->entries[1].data = MTRR_ENABLE_WB;
  /* The LAPIC enabled at its usual address; only vCPU 0 is the BSP. */
  msrs->entries[2].index = MSR_IA32_APIC_BASE;
  msrs->entries[2].data = VMM_LAPIC_BASE | APIC_BASE_ENABLE | (vcpu->index == 0 ? APIC_BASE_BSP : 0);
  /* KVM sets as many as it accepts; a missing one costs performance, not
   * correctness, so it is worth a message but not a failure. */
  r = ioctl (vcpu->fd, KVM_SET_MSRS, msrs);
  if (r != 3)
    g_message ("vCPU %u: KVM accepted %d of 3 initial MSRs", vcpu->index, r);
}

static gboolean
set_fpu (VmmVcpu *vcpu, GError **error)
{
  struct kvm_fpu fpu;

  memset (&fpu, 0, sizeof fpu);
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  if (ioctl (vcpu->fd, KVM_SET_FPU, &fpu) < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_SET_FPU failed: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
vcpu_init (VmmMachine *m, VmmVcpu *vcpu, GError **error)
{
  vcpu->fd = ioctl (m->vm_fd, KVM_CREATE_VCPU, (unsigned long) vcpu->index);
  if (vcpu->fd < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_CREATE_VCPU %u failed: %s", vcpu->index, g_strerror (errno));
      return FALSE;
    }
  vcpu->run = mmap (NULL, (size_t) m->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE,
                    MAP_SHARED, vcpu->fd, 0);
  if (vcpu->run == MAP_FAILED)
    {
      vcpu->run = NULL;
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "Mapping vCPU %u's run area failed: %s", vcpu->index, g_strerror (errno));
      return FALSE;
    }
  if (!set_cpuid (m, vcpu, error) || !set_fpu (vcpu, error))
    return FALSE;
  /* MSRs first: the APIC base MSR decides whether the LAPIC state set
   * next is live. */
  set_msrs (vcpu);
  if (!set_lapic_virtual_wire (vcpu, error))
    return FALSE;

  if (vcpu->index == 0)
    return vmm_boot_setup_bsp (m, vcpu, error);

  {
    /* Application processors wait for INIT/SIPI from the guest's SMP
     * bring-up, as on real hardware. */
    struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };
    if (ioctl (vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
      {
        g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                     "KVM_SET_MP_STATE failed: %s", g_strerror (errno));
        return FALSE;
      }
  }
  return TRUE;
}

gboolean
vmm_vcpus_create (VmmMachine *m, GError **error)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, install_kick_handler, NULL);
  for (unsigned i = 0; i < m->n_cpus; i++)
    {
      m->vcpus[i].machine = m;
      m->vcpus[i].index = i;
      m->vcpus[i].fd = -1;
    }
  for (unsigned i = 0; i < m->n_cpus; i++)
    if (!vcpu_init (m, &m->vcpus[i], error))
      {
        vmm_vcpus_destroy (m);
        return FALSE;
      }
  return TRUE;
}

void
vmm_vcpus_destroy (VmmMachine *m)
{
  for (unsigned i = 0; i < m->n_cpus; i++)
    {
      VmmVcpu *v = &m->vcpus[i];
      g_assert (v->thread == NULL);
      if (v->run != NULL)
        munmap (v->run, (size_t) m->kvm.vcpu_mmap_size);
      v->run = NULL;
      if (v->fd >= 0)
        close (v->fd);
      v->fd = -1;
    }
}

void
vmm_vcpu_dump (VmmVcpu *vcpu, const char *why)
{
  struct kvm_regs r;
  struct kvm_sregs s;

  if (ioctl (vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl (vcpu->fd, KVM_GET_SREGS, &s) < 0)
    {
      g_message ("vCPU %u: %s (registers unavailable: %s)", vcpu->index, why, g_strerror (errno));
      return;
    }
  g_message ("vCPU %u: %s\n"
             "  RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
             "  RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
             "  R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
             "  R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
             "  RIP=%016llx RFLAGS=%08llx\n"
             "  CS=%04x base=%016llx l=%u db=%u  SS=%04x base=%016llx\n"
             "  CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx EFER=%016llx\n"
             "  GDT=%016llx/%04x IDT=%016llx/%04x",
             vcpu->index, why,
             r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
             r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
             r.rip, r.rflags,
             s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.ss.selector, s.ss.base,
             s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
             s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

static void
handle_io (VmmMachine *m, struct kvm_run *run, size_t mmap_size)
{
  uint8_t *p = (uint8_t *) run + run->io.data_offset;
  unsigned size = run->io.size;

  /* KVM fills these in; checking them keeps a kernel bug from turning into
   * an access outside the run area. */
  if (size == 0 || size > 4 || run->io.data_offset > mmap_size
      || (uint64_t) run->io.count * size > mmap_size - run->io.data_offset)
    return;
  for (uint32_t i = 0; i < run->io.count; i++, p += size)
    {
      if (run->io.direction == KVM_EXIT_IO_OUT)
        vmm_bus_write (m->pio, run->io.port, p, size);
      else
        vmm_bus_read (m->pio, run->io.port, p, size);
    }
}

static void
handle_mmio (VmmMachine *m, struct kvm_run *run)
{
  unsigned len = run->mmio.len;

  if (len == 0 || len > sizeof run->mmio.data)
    return;
  if (run->mmio.is_write)
    vmm_bus_write (m->mmio, run->mmio.phys_addr, run->mmio.data, len);
  else
    vmm_bus_read (m->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

/* Returns FALSE when the vCPU must stop running. */
static gboolean
handle_exit (VmmVcpu *vcpu)
{
  VmmMachine *m = vcpu->machine;
  struct kvm_run *run = vcpu->run;
  g_autofree char *why = NULL;

  switch (run->exit_reason)
    {
    case KVM_EXIT_IO:
      handle_io (m, run, (size_t) m->kvm.vcpu_mmap_size);
      return TRUE;
    case KVM_EXIT_MMIO:
      handle_mmio (m, run);
      return TRUE;
    case KVM_EXIT_INTR:
      return TRUE;
    case KVM_EXIT_SHUTDOWN:
      if (m->triple_fault_reboots)
        {
          vmm_machine_request (m, VMM_REQ_RESET);
          return FALSE;
        }
      vmm_vcpu_dump (vcpu, "triple fault");
      vmm_machine_request (m, VMM_REQ_CRASH);
      return FALSE;
    case KVM_EXIT_SYSTEM_EVENT:
      switch (run->system_event.type)
        {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
          vmm_machine_request (m, VMM_REQ_POWEROFF);
          return FALSE;
        case KVM_SYSTEM_EVENT_RESET:
          vmm_machine_request (m, VMM_REQ_RESET);
          return FALSE;
        default:
          why = g_strdup_printf ("system event %u", run->system_event.type);
          break;
        }
      break;
    case KVM_EXIT_FAIL_ENTRY:
      why = g_strdup_printf ("VM entry failed (hardware reason 0x%llx)",
                             (unsigned long long) run->fail_entry.hardware_entry_failure_reason);
      break;
    case KVM_EXIT_INTERNAL_ERROR:
      why = g_strdup_printf ("KVM internal error (suberror %u)", run->internal.suberror);
      break;
    case KVM_EXIT_HLT:
      /* With the in-kernel LAPIC, HLT only exits if interrupts can never
       * wake the vCPU again: the guest is dead. */
      why = g_strdup ("halted with interrupts disabled");
      break;
    default:
      why = g_strdup_printf ("unexpected exit reason %u", run->exit_reason);
      break;
    }
  vmm_vcpu_dump (vcpu, why);
  vmm_machine_request (m, VMM_REQ_CRASH);
  return FALSE;
}

static gpointer
vcpu_thread (gpointer data)
{
  VmmVcpu *vcpu = data;
  VmmMachine *m = vcpu->machine;
  sigset_t set;

  g_mutex_lock (&m->lock);
  vcpu->tid = pthread_self ();
  vcpu->tid_valid = TRUE;
  g_mutex_unlock (&m->lock);

  sigemptyset (&set);
  sigaddset (&set, kick_signal ());
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);

  for (;;)
    {
      gboolean stop;

      /* Cleared before looking at the flags, so a kick that comes after
       * the look is never lost. */
      vcpu->run->immediate_exit = 0;
      g_mutex_lock (&m->lock);
      while (m->vcpus_pause && !m->vcpus_stop)
        {
          m->vcpus_waiting++;
          g_cond_broadcast (&m->cond);
          g_cond_wait (&m->cond, &m->lock);
          m->vcpus_waiting--;
        }
      stop = m->vcpus_stop;
      g_mutex_unlock (&m->lock);
      if (stop)
        break;

      if (ioctl (vcpu->fd, KVM_RUN, 0) < 0)
        {
          g_autofree char *why = NULL;

          if (errno == EINTR || errno == EAGAIN)
            continue;
          why = g_strdup_printf ("KVM_RUN failed: %s", g_strerror (errno));
          vmm_vcpu_dump (vcpu, why);
          vmm_machine_request (m, VMM_REQ_CRASH);
          break;
        }
      if (!handle_exit (vcpu))
        break;
    }
  return NULL;
}

gboolean
vmm_vcpus_start (VmmMachine *m, GError **error)
{
  sigset_t set, old;

  /* Threads inherit the mask: keep the kick signal blocked until each
   * vCPU thread is ready for it, and in every thread that is not a vCPU. */
  sigemptyset (&set);
  sigaddset (&set, kick_signal ());
  pthread_sigmask (SIG_BLOCK, &set, &old);

  g_mutex_lock (&m->lock);
  m->vcpus_stop = FALSE;
  m->vcpus_pause = FALSE;
  g_mutex_unlock (&m->lock);

  for (unsigned i = 0; i < m->n_cpus; i++)
    {
      VmmVcpu *v = &m->vcpus[i];
      g_autofree char *name = g_strdup_printf ("vcpu%u", i);
      v->thread = g_thread_try_new (name, vcpu_thread, v, error);
      if (v->thread == NULL)
        {
          pthread_sigmask (SIG_SETMASK, &old, NULL);
          vmm_vcpus_stop (m);
          return FALSE;
        }
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  return TRUE;
}

void
vmm_vcpus_kick (VmmMachine *m)
{
  for (unsigned i = 0; i < m->n_cpus; i++)
    {
      VmmVcpu *v = &m->vcpus[i];
      if (v->thread == NULL || v->run == NULL)
        continue;
      v->run->immediate_exit = 1;
      __atomic_thread_fence (__ATOMIC_SEQ_CST);
      g_mutex_lock (&m->lock);
      if (v->tid_valid)
        pthread_kill (v->tid, kick_signal ());
      g_mutex_unlock (&m->lock);
    }
}

void
vmm_vcpus_stop (VmmMachine *m)
{
  g_mutex_lock (&m->lock);
  m->vcpus_stop = TRUE;
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
  vmm_vcpus_kick (m);
  for (unsigned i = 0; i < m->n_cpus; i++)
    {
      VmmVcpu *v = &m->vcpus[i];
      if (v->thread == NULL)
        continue;
      g_thread_join (v->thread);
      v->thread = NULL;
      g_mutex_lock (&m->lock);
      v->tid_valid = FALSE;
      g_mutex_unlock (&m->lock);
    }
}
