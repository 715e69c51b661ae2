/* test-cpuid.c: CPUID filtering on a synthetic KVM_GET_SUPPORTED_CPUID.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cpuid.h"

#include <errno.h>
#include <string.h>

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* Shaped like a 16-thread Intel host: its topology must not leak through. */
static const struct kvm_cpuid_entry2 host[] = {
  { .function = 0x0, .eax = 0x1f, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
  { .function = 0x1, .eax = 0x000906ea, .ebx = 0x05100800,
    .ecx = 0x7ffafbbf | (1u << 27), .edx = 0xbfebfbff & ~(1u << 28) },
  { .function = 0x4, .index = 0, .flags = SIG, .eax = 0x1c004121 },
  { .function = 0x4, .index = 1, .flags = SIG, .eax = 0x1c004122 },
  { .function = 0x4, .index = 2, .flags = SIG, .eax = 0x1c004143 },
  { .function = 0x4, .index = 3, .flags = SIG, .eax = 0x1c03c163 },
  { .function = 0x4, .index = 4, .flags = SIG, .eax = 0 },
  { .function = 0x7, .index = 0, .flags = SIG, .ebx = 0x029c6fbf },
  { .function = 0xb, .index = 0, .flags = SIG, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 5 },
  { .function = 0xb, .index = 1, .flags = SIG, .eax = 4, .ebx = 16, .ecx = 0x201, .edx = 5 },
  { .function = 0x1f, .index = 0, .flags = SIG, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 5 },
  { .function = 0x40000000, .eax = 0x40000001 },
  { .function = 0x40000001, .eax = 0xffffffff, .edx = 0x1 },
  { .function = 0x80000000, .eax = 0x80000008 },
  { .function = 0x80000001, .ecx = 0x121, .edx = 0x2c100800 },
  { .function = 0x80000008, .eax = 0x3027, .ecx = 0x700f },
};

static const struct kvm_cpuid_entry2 *
lookup (const struct kvm_cpuid_entry2 *t, int n, uint32_t function, uint32_t index)
{
  const struct kvm_cpuid_entry2 *found = NULL;

  for (int i = 0; i < n; i++)
    if (t[i].function == function && (!(t[i].flags & SIG) || t[i].index == index))
      {
        /* Exactly one entry may answer. */
        g_assert_null (found);
        found = &t[i];
      }
  return found;
}

static void
check_topology (unsigned n_vcpus, unsigned pow2, unsigned bits)
{
  for (unsigned idx = 0; idx < n_vcpus; idx++)
    {
      struct kvm_cpuid_entry2 out[G_N_ELEMENTS (host) + VMM_CPUID_EXTRA_ENTRIES];
      const struct kvm_cpuid_entry2 *e;
      int n = vmm_cpuid_build (host, G_N_ELEMENTS (host), idx, n_vcpus, TRUE,
                               out, G_N_ELEMENTS (out));

      g_assert_cmpint (n, >, 0);

      e = lookup (out, n, 1, 0);
      g_assert_nonnull (e);
      g_assert_cmpuint (e->ebx >> 24, ==, idx);
      g_assert_cmpuint ((e->ebx >> 16) & 0xff, ==, pow2);
      g_assert_cmphex (e->ebx & 0xffff, ==, 0x0800); /* CLFLUSH size kept */
      g_assert_cmpuint (!!(e->edx & (1u << 28)), ==, n_vcpus > 1);
      g_assert_true (e->ecx & (1u << 31));
      g_assert_false (e->ecx & (1u << 27));
      g_assert_true (e->ecx & (1u << 24));
      g_assert_true (e->edx & (1u << 9));

      /* Leaf 4: cores per package, and which caches are shared. */
      for (uint32_t sub = 0; sub < 4; sub++)
        {
          e = lookup (out, n, 4, sub);
          g_assert_nonnull (e);
          g_assert_cmpuint (e->eax >> 26, ==, pow2 - 1);
          g_assert_cmpuint ((e->eax >> 14) & 0xfff, ==, sub == 3 ? pow2 - 1 : 0);
          g_assert_cmphex (e->eax & 0x3fff, ==, host[2 + sub].eax & 0x3fff);
        }
      e = lookup (out, n, 4, 4);
      g_assert_cmphex (e->eax, ==, 0);

      for (uint32_t f = 0xb; f <= 0x1f; f += 0x1f - 0xb)
        {
          e = lookup (out, n, f, 0);
          g_assert_nonnull (e);
          g_assert_cmpuint (e->eax, ==, 0);
          g_assert_cmpuint (e->ebx, ==, 1);
          g_assert_cmphex (e->ecx, ==, 0x100);
          g_assert_cmpuint (e->edx, ==, idx);
          e = lookup (out, n, f, 1);
          g_assert_nonnull (e);
          g_assert_cmpuint (e->eax, ==, bits);
          g_assert_cmpuint (e->ebx, ==, n_vcpus);
          g_assert_cmphex (e->ecx, ==, 0x201);
          g_assert_cmpuint (e->edx, ==, idx);
          e = lookup (out, n, f, 2);
          g_assert_nonnull (e);
          g_assert_cmphex (e->ecx & 0xff00, ==, 0);
          g_assert_cmpuint (e->ebx, ==, 0);
        }

      e = lookup (out, n, 0x40000000, 0);
      g_assert_nonnull (e);
      g_assert_cmphex (e->ebx, ==, 0x4b4d564b);
      g_assert_cmphex (e->ecx, ==, 0x564b4d56);
      g_assert_cmphex (e->edx, ==, 0x4d);
      e = lookup (out, n, 0x40000001, 0);
      g_assert_nonnull (e);
      g_assert_true (e->eax & (1u << KVM_FEATURE_CLOCKSOURCE2));
      g_assert_true (e->eax & (1u << KVM_FEATURE_PV_EOI));
      g_assert_true (e->eax & (1u << KVM_FEATURE_PV_UNHALT));
      g_assert_false (e->eax & (1u << KVM_FEATURE_ASYNC_PF));
      g_assert_cmphex (e->edx, ==, 0);

      e = lookup (out, n, 0x80000008, 0);
      g_assert_cmpuint (e->ecx & 0xff, ==, n_vcpus - 1);
      g_assert_cmpuint ((e->ecx >> 12) & 0xf, ==, bits);
      e = lookup (out, n, 0x80000001, 0);
      g_assert_cmpuint (e->ecx & 0x2, ==, n_vcpus > 1 ? 0x2 : 0);

      /* Everything else passes through untouched. */
      e = lookup (out, n, 7, 0);
      g_assert_cmphex (e->ebx, ==, 0x029c6fbf);
    }
}

static void
test_one_vcpu (void)
{
  check_topology (1, 1, 0);
}

static void
test_two_vcpus (void)
{
  check_topology (2, 2, 1);
}

static void
test_eight_vcpus (void)
{
  check_topology (8, 8, 3);
}

static void
test_odd_count_rounds_up (void)
{
  check_topology (3, 4, 2);
}

static void
test_bad_arguments (void)
{
  struct kvm_cpuid_entry2 out[G_N_ELEMENTS (host) + VMM_CPUID_EXTRA_ENTRIES];

  g_assert_cmpint (vmm_cpuid_build (host, G_N_ELEMENTS (host), 2, 2, FALSE, out, G_N_ELEMENTS (out)),
                   ==, -EINVAL);
  g_assert_cmpint (vmm_cpuid_build (host, G_N_ELEMENTS (host), 0, 0, FALSE, out, G_N_ELEMENTS (out)),
                   ==, -EINVAL);
  g_assert_cmpint (vmm_cpuid_build (host, G_N_ELEMENTS (host), 0, 1, FALSE, out, 4), ==, -ENOSPC);
  g_assert_cmpint (vmm_cpuid_build (host, G_N_ELEMENTS (host), 0, 1, FALSE, out, 0), ==, -ENOSPC);
}

static void
test_no_tsc_deadline (void)
{
  struct kvm_cpuid_entry2 out[G_N_ELEMENTS (host) + VMM_CPUID_EXTRA_ENTRIES];
  int n = vmm_cpuid_build (host, G_N_ELEMENTS (host), 0, 1, FALSE, out, G_N_ELEMENTS (out));

  g_assert_cmpint (n, >, 0);
  g_assert_false (lookup (out, n, 1, 0)->ecx & (1u << 24));
}

static void
test_signature_added_and_old_leaves (void)
{
  /* An old, small table: no 0xb, no KVM signature leaf, but PV features. */
  static const struct kvm_cpuid_entry2 small[] = {
    { .function = 0x0, .eax = 0xa },
    { .function = 0x1, .ebx = 0x00010800 },
    { .function = 0x40000001, .eax = 1u << KVM_FEATURE_CLOCKSOURCE2 },
  };
  struct kvm_cpuid_entry2 out[G_N_ELEMENTS (small) + VMM_CPUID_EXTRA_ENTRIES];
  int n = vmm_cpuid_build (small, G_N_ELEMENTS (small), 1, 2, FALSE, out, G_N_ELEMENTS (out));

  g_assert_cmpint (n, ==, 4);
  g_assert_null (lookup (out, n, 0xb, 0));
  g_assert_nonnull (lookup (out, n, 0x40000000, 0));
  g_assert_cmphex (lookup (out, n, 0x40000000, 0)->eax, ==, 0x40000001);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/cpuid/1-vcpu", test_one_vcpu);
  g_test_add_func ("/vmm/cpuid/2-vcpus", test_two_vcpus);
  g_test_add_func ("/vmm/cpuid/8-vcpus", test_eight_vcpus);
  g_test_add_func ("/vmm/cpuid/3-vcpus", test_odd_count_rounds_up);
  g_test_add_func ("/vmm/cpuid/bad-arguments", test_bad_arguments);
  g_test_add_func ("/vmm/cpuid/no-tsc-deadline", test_no_tsc_deadline);
  g_test_add_func ("/vmm/cpuid/old-table", test_signature_added_and_old_leaves);
  return g_test_run ();
}
