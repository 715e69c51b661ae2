/* cpuid.h: the CPUID table each vCPU sees.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <linux/kvm.h>
#include <asm/kvm_para.h>
#include <stdint.h>

/* Extra entries vmm_cpuid_build() may add beyond the supported table. */
#define VMM_CPUID_EXTRA_ENTRIES 16

/* Builds vCPU @vcpu_index's table (of @n_vcpus, one socket, one thread per
 * core, APIC ID = index) from KVM_GET_SUPPORTED_CPUID's @supported.
 * Pure: no KVM access, so it is unit-tested on synthetic tables.
 * Returns the number of entries written to @out, or -ENOSPC when @max is
 * too small (n_supported + VMM_CPUID_EXTRA_ENTRIES always suffices), or
 * -EINVAL for a vCPU index outside the topology. */
int vmm_cpuid_build (const struct kvm_cpuid_entry2 *supported, unsigned n_supported,
                     unsigned vcpu_index, unsigned n_vcpus, gboolean tsc_deadline,
                     struct kvm_cpuid_entry2 *out, unsigned max);
