/* test-kvm-open.c: what the user is told when /dev/kvm cannot be used.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kvm.h"
#include "vireo-vmm.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void
test_missing (void)
{
  g_autoptr(GError) error = NULL;
  VmmKvm kvm;

  g_assert_false (vmm_kvm_open (&kvm, "/nonexistent/kvm", &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_KVM_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "kvm_intel"));
  g_assert_nonnull (strstr (error->message, "kvm_amd"));
  g_assert_nonnull (strstr (error->message, "virtualization"));
  g_assert_cmpint (kvm.fd, ==, -1);
}

static void
test_not_kvm (void)
{
  g_autoptr(GError) error = NULL;
  VmmKvm kvm;

  /* Opens fine but does not answer the KVM API. */
  g_assert_false (vmm_kvm_open (&kvm, "/dev/null", &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_KVM_CAPABILITY);
  g_assert_nonnull (strstr (error->message, "API version"));
  g_assert_cmpint (kvm.fd, ==, -1);
}

static void
test_permission (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *path = NULL;
  VmmKvm kvm;

  if (geteuid () == 0)
    {
      g_test_skip ("root opens any file: permissions cannot be tested");
      return;
    }
  dir = g_dir_make_tmp (NULL, NULL);
  path = g_build_filename (dir, "kvm", NULL);
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  g_assert_false (vmm_kvm_open (&kvm, path, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_KVM_PERMISSION);
  g_assert_nonnull (strstr (error->message, "group"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_real_kvm (void)
{
  g_autoptr(GError) error = NULL;
  VmmKvm kvm;

  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("no usable /dev/kvm");
      return;
    }
  g_assert_true (vmm_kvm_open (&kvm, "/dev/kvm", &error));
  g_assert_no_error (error);
  g_assert_cmpint (kvm.fd, >=, 0);
  g_assert_nonnull (kvm.supported_cpuid);
  g_assert_cmpuint (kvm.supported_cpuid->nent, >, 0);
  g_assert_cmpint (kvm.max_vcpus, >=, 1);
  vmm_kvm_close (&kvm);
  g_assert_cmpint (kvm.fd, ==, -1);
  g_assert_true (vmm_check_kvm (&error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/kvm/missing", test_missing);
  g_test_add_func ("/vmm/kvm/not-kvm", test_not_kvm);
  g_test_add_func ("/vmm/kvm/permission", test_permission);
  g_test_add_func ("/vmm/kvm/real", test_real_kvm);
  return g_test_run ();
}
