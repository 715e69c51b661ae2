/* cpuid.c: the CPUID table each vCPU sees.
 *
 * KVM's supported table describes the host, not a machine: the topology
 * fields (APIC IDs, core counts, the x2APIC topology leaves) must be
 * rewritten for the vCPU count, or Linux miscounts CPUs and caches. The
 * paravirtual leaves are trimmed to the features this monitor supports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cpuid.h"

#include <errno.h>
#include <string.h>

#define KVM_SIGNATURE_EBX 0x4b4d564bu /* "KVMK" */
#define KVM_SIGNATURE_ECX 0x564b4d56u /* "VMKV" */
#define KVM_SIGNATURE_EDX 0x0000004du /* "M\0\0\0" */

#define PV_FEATURES ((1u << KVM_FEATURE_CLOCKSOURCE) | (1u << KVM_FEATURE_NOP_IO_DELAY) \
                     | (1u << KVM_FEATURE_CLOCKSOURCE2) | (1u << KVM_FEATURE_PV_EOI) \
                     | (1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_PV_TLB_FLUSH) \
                     | (1u << KVM_FEATURE_PV_SEND_IPI) | (1u << KVM_FEATURE_PV_SCHED_YIELD) \
                     | (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_OSXSAVE      (1u << 27)
#define LEAF1_ECX_HYPERVISOR   (1u << 31)
#define LEAF1_EDX_APIC         (1u << 9)
#define LEAF1_EDX_HTT          (1u << 28)
#define EXT1_ECX_CMP_LEGACY    (1u << 1)

/* Bits needed to number @n things. */
static unsigned
id_bits (unsigned n)
{
  unsigned bits = 0;

  while ((1u << bits) < n)
    bits++;
  return bits;
}

static const struct kvm_cpuid_entry2 *
find (const struct kvm_cpuid_entry2 *t, unsigned n, uint32_t function, uint32_t index)
{
  for (unsigned i = 0; i < n; i++)
    if (t[i].function == function
        && (!(t[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || t[i].index == index))
      return &t[i];
  return NULL;
}

static void
fix_leaf1 (struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned n_vcpus, gboolean tsc_deadline)
{
  unsigned logical = 1u << id_bits (n_vcpus);

  e->ebx = (e->ebx & 0x0000ffffu) | (apic_id << 24) | ((logical & 0xff) << 16);
  if (n_vcpus > 1)
    e->edx |= LEAF1_EDX_HTT;
  else
    e->edx &= ~LEAF1_EDX_HTT;
  e->edx |= LEAF1_EDX_APIC;
  /* OSXSAVE mirrors the guest's CR4; KVM fills it in at run time. */
  e->ecx &= ~LEAF1_ECX_OSXSAVE;
  e->ecx |= LEAF1_ECX_HYPERVISOR;
  if (tsc_deadline)
    e->ecx |= LEAF1_ECX_TSC_DEADLINE;
  else
    e->ecx &= ~LEAF1_ECX_TSC_DEADLINE;
}

static void
fix_leaf4 (struct kvm_cpuid_entry2 *e, unsigned n_vcpus)
{
  unsigned cores = 1u << id_bits (n_vcpus);
  unsigned level = (e->eax >> 5) & 7;
  unsigned sharing = level >= 3 ? cores : 1;

  if ((e->eax & 0x1f) == 0)
    return; /* the terminating "no more caches" subleaf */
  e->eax &= 0x00003fffu;
  e->eax |= ((cores - 1) & 0x3f) << 26;
  e->eax |= ((sharing - 1) & 0xfff) << 14;
}

/* Leaves 0xb and 0x1f: level 0 is SMT (one thread per core), level 1 the
 * cores of the one package, then the terminator. */
static void
topology_leaf (struct kvm_cpuid_entry2 *e, uint32_t function, uint32_t index,
               unsigned apic_id, unsigned n_vcpus)
{
  memset (e, 0, sizeof *e);
  e->function = function;
  e->index = index;
  e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
  e->edx = apic_id;
  switch (index)
    {
    case 0:
      e->eax = 0;
      e->ebx = 1;
      e->ecx = 0 | (1u << 8);
      break;
    case 1:
      e->eax = id_bits (n_vcpus);
      e->ebx = n_vcpus;
      e->ecx = 1 | (2u << 8);
      break;
    default:
      e->ecx = index;
      break;
    }
}

static void
fix_amd_topology (struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned n_vcpus)
{
  switch (e->function)
    {
    case 0x80000001:
      if (n_vcpus > 1)
        e->ecx |= EXT1_ECX_CMP_LEGACY;
      else
        e->ecx &= ~EXT1_ECX_CMP_LEGACY;
      break;
    case 0x80000008:
      e->ecx = (e->ecx & ~0xf0ffu) | (id_bits (n_vcpus) << 12) | ((n_vcpus - 1) & 0xff);
      break;
    case 0x8000001e:
      e->eax = apic_id;
      e->ebx = apic_id & 0xff; /* core id; one thread per core */
      e->ecx = 0;              /* node 0, one node */
      break;
    default:
      break;
    }
}

int
vmm_cpuid_build (const struct kvm_cpuid_entry2 *supported, unsigned n_supported,
                 unsigned vcpu_index, unsigned n_vcpus, gboolean tsc_deadline,
                 struct kvm_cpuid_entry2 *out, unsigned max)
{
  const struct kvm_cpuid_entry2 *leaf0 = find (supported, n_supported, 0, 0);
  uint32_t max_basic = leaf0 != NULL ? leaf0->eax : 0;
  unsigned apic_id = vcpu_index;
  unsigned n = 0;
  gboolean have_kvm_sig = FALSE;

  if (n_vcpus == 0 || vcpu_index >= n_vcpus || n_vcpus > 255)
    return -EINVAL;

  for (unsigned i = 0; i < n_supported; i++)
    {
      struct kvm_cpuid_entry2 e = supported[i];

      /* Rebuilt below from the topology. */
      if (e.function == 0xb || e.function == 0x1f)
        continue;
      if (n >= max)
        return -ENOSPC;
      switch (e.function)
        {
        case 0x1:
          fix_leaf1 (&e, apic_id, n_vcpus, tsc_deadline);
          break;
        case 0x4:
          fix_leaf4 (&e, n_vcpus);
          break;
        case 0x40000000:
          e.eax = 0x40000001;
          e.ebx = KVM_SIGNATURE_EBX;
          e.ecx = KVM_SIGNATURE_ECX;
          e.edx = KVM_SIGNATURE_EDX;
          have_kvm_sig = TRUE;
          break;
        case 0x40000001:
          e.eax &= PV_FEATURES;
          e.ebx = e.ecx = e.edx = 0;
          break;
        default:
          fix_amd_topology (&e, apic_id, n_vcpus);
          break;
        }
      out[n++] = e;
    }

  for (uint32_t f = 0xb; f <= 0x1f; f += 0x1f - 0xb)
    {
      if (max_basic < f)
        continue;
      for (uint32_t idx = 0; idx < 3; idx++)
        {
          if (n >= max)
            return -ENOSPC;
          topology_leaf (&out[n++], f, idx, apic_id, n_vcpus);
        }
    }

  /* Without the signature Linux does not look for kvmclock at all. */
  if (!have_kvm_sig && find (supported, n_supported, 0x40000001, 0) != NULL)
    {
      if (n >= max)
        return -ENOSPC;
      memset (&out[n], 0, sizeof out[n]);
      out[n].function = 0x40000000;
      out[n].eax = 0x40000001;
      out[n].ebx = KVM_SIGNATURE_EBX;
      out[n].ecx = KVM_SIGNATURE_ECX;
      out[n].edx = KVM_SIGNATURE_EDX;
      n++;
    }
  return (int) n;
}
