/* test-cmdline.c: reading the reboot method from the kernel command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cmdline.h"

static void
test_reboot_method (void)
{
  g_assert_false (vmm_cmdline_reboots_by_triple_fault (NULL));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault (""));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("console=ttyS0 panic=-1"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("console=ttyS0 reboot=t"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("reboot=triple quiet"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("reboot=warm,t"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("a=1\treboot=cold,triple\n"));
  /* Other methods, and a later one overriding. */
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("reboot=acpi"));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("reboot=t reboot=k"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("reboot=k reboot=t"));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("reboot=t,pci"));
  g_assert_true (vmm_cmdline_reboots_by_triple_fault ("reboot=t,force"));
  /* Not the reboot= parameter. */
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("xreboot=t"));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("reboot"));
  g_assert_false (vmm_cmdline_reboots_by_triple_fault ("reboot= ,,,"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/cmdline/reboot-method", test_reboot_method);
  return g_test_run ();
}
