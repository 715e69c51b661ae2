/* kvm.c: opening /dev/kvm and checking what it can do.
 *
 * Every capability is checked before a VM exists, so a host that cannot
 * run the machine is reported in one clear sentence instead of an ioctl
 * failing half-way through set-up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kvm.h"
#include "vireo-vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  int cap;
  const char *name;
  const char *why;
} RequiredCap;

static const RequiredCap required_caps[] = {
  { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
  { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "the in-kernel interrupt controllers" },
  { KVM_CAP_PIT2, "KVM_CAP_PIT2", "the in-kernel timer" },
  { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", "device notifications" },
  { KVM_CAP_IRQFD, "KVM_CAP_IRQFD", "device interrupts" },
  { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the CPU model" },
  { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "real-mode emulation" },
  { KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR", "real-mode emulation" },
  { KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "starting secondary CPUs" },
  { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "pausing and stopping CPUs" },
};

static void
set_open_error (const char *path, int err, GError **error)
{
  struct stat st;
  struct group *gr;

  if (err == ENOENT || err == ENODEV || err == ENXIO)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_UNAVAILABLE,
                   "KVM is not available (%s is missing): enable virtualization "
                   "(VT-x or AMD-V) in the firmware settings and load the kvm_intel "
                   "or kvm_amd module", path);
      return;
    }
  if (err == EACCES || err == EPERM)
    {
      if (stat (path, &st) == 0 && (gr = getgrgid (st.st_gid)) != NULL && st.st_gid != 0)
        g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_PERMISSION,
                     "Permission denied opening %s: add your user to the “%s” group "
                     "(for example: sudo usermod -aG %s $USER) and log in again",
                     path, gr->gr_name, gr->gr_name);
      else
        g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_PERMISSION,
                     "Permission denied opening %s: ask your administrator for access "
                     "to it (usually through the “kvm” group)", path);
      return;
    }
  g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_UNAVAILABLE,
               "Cannot open %s: %s", path, g_strerror (err));
}

static struct kvm_cpuid2 *
get_supported_cpuid (int fd, GError **error)
{
  /* The table's size is not known up front: grow until it fits. */
  for (unsigned n = 64; n <= 4096; n *= 2)
    {
      struct kvm_cpuid2 *c = g_malloc0 (sizeof *c + n * sizeof (struct kvm_cpuid_entry2));
      c->nent = n;
      if (ioctl (fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
        return c;
      g_free (c);
      if (errno != E2BIG)
        break;
    }
  g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
               "KVM_GET_SUPPORTED_CPUID failed: %s", g_strerror (errno));
  return NULL;
}

gboolean
vmm_kvm_open (VmmKvm *kvm, const char *path, GError **error)
{
  int version, r;

  memset (kvm, 0, sizeof *kvm);
  kvm->fd = open (path, O_RDWR | O_CLOEXEC);
  if (kvm->fd < 0)
    {
      set_open_error (path, errno, error);
      return FALSE;
    }

  version = ioctl (kvm->fd, KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_CAPABILITY,
                   "%s speaks KVM API version %d, but version %d is needed",
                   path, version, KVM_API_VERSION);
      goto fail;
    }

  for (unsigned i = 0; i < G_N_ELEMENTS (required_caps); i++)
    {
      if (ioctl (kvm->fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_CAPABILITY,
                       "The host's KVM lacks %s, needed for %s",
                       required_caps[i].name, required_caps[i].why);
          goto fail;
        }
    }

  kvm->vcpu_mmap_size = ioctl (kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (kvm->vcpu_mmap_size < (int) sizeof (struct kvm_run))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
                   "KVM_GET_VCPU_MMAP_SIZE failed: %s", g_strerror (errno));
      goto fail;
    }

  r = ioctl (kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
  if (r <= 0)
    r = ioctl (kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
  kvm->max_vcpus = r > 0 ? r : 4; /* the API's documented minimum */
  kvm->tsc_deadline = ioctl (kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

  kvm->supported_cpuid = get_supported_cpuid (kvm->fd, error);
  if (kvm->supported_cpuid == NULL)
    goto fail;
  return TRUE;

fail:
  vmm_kvm_close (kvm);
  return FALSE;
}

void
vmm_kvm_close (VmmKvm *kvm)
{
  if (kvm->fd >= 0)
    close (kvm->fd);
  kvm->fd = -1;
  g_clear_pointer (&kvm->supported_cpuid, g_free);
}
