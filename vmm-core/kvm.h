/* kvm.h: opening /dev/kvm and checking what it can do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <linux/kvm.h>

typedef struct {
  int fd;
  int vcpu_mmap_size;
  int max_vcpus;
  gboolean tsc_deadline;
  struct kvm_cpuid2 *supported_cpuid;
} VmmKvm;

/* Opens @path (normally /dev/kvm), checks the API version and every
 * capability the machine relies on. Errors are VMM_ERROR_KVM_* with a
 * message that says what to do about it. */
gboolean vmm_kvm_open  (VmmKvm *kvm, const char *path, GError **error);
void     vmm_kvm_close (VmmKvm *kvm);
