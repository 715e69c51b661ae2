/* test-relative-pointer.c: the display widget's relative motion (SPICE's
 * server mouse mode) from the host pointer's positions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/vireo-relative-pointer.h"

#include <math.h>

static void
test_first_position_only_starts (void)
{
  VireoRelativePointer p = { 0 };
  int dx, dy;

  vireo_relative_pointer_reset (&p);
  g_assert_false (vireo_relative_pointer_motion (&p, 300, 200, 1, 1, &dx, &dy));
  g_assert_cmpint (dx, ==, 0);
  g_assert_cmpint (dy, ==, 0);
  g_assert_true (vireo_relative_pointer_motion (&p, 310, 195, 1, 1, &dx, &dy));
  g_assert_cmpint (dx, ==, 10);
  g_assert_cmpint (dy, ==, -5);
  /* Leaving and coming back elsewhere is no motion. */
  vireo_relative_pointer_reset (&p);
  g_assert_false (vireo_relative_pointer_motion (&p, 10, 10, 1, 1, &dx, &dy));
  g_assert_true (vireo_relative_pointer_motion (&p, 9, 12, 1, 1, &dx, &dy));
  g_assert_cmpint (dx, ==, -1);
  g_assert_cmpint (dy, ==, 2);
}

static void
test_scaled (void)
{
  VireoRelativePointer p = { 0 };
  int dx, dy;

  /* A 1280x960 guest shown in 640x480: two guest pixels per widget pixel. */
  vireo_relative_pointer_motion (&p, 100, 100, 2, 2, &dx, &dy);
  g_assert_true (vireo_relative_pointer_motion (&p, 103, 96, 2, 2, &dx, &dy));
  g_assert_cmpint (dx, ==, 6);
  g_assert_cmpint (dy, ==, -8);
}

/* A guest shown larger than its size: a third of a guest pixel per widget
 * pixel. Moving one pixel at a time must still move the guest, one pixel
 * for every three, in both directions. */
static void
test_slow_motion_adds_up (void)
{
  VireoRelativePointer p = { 0 };
  int dx, dy, sum_x = 0, sum_y = 0, sends = 0;

  vireo_relative_pointer_motion (&p, 0, 0, 1.0 / 3, 1.0 / 3, &dx, &dy);
  for (int i = 1; i <= 30; i++)
    {
      if (vireo_relative_pointer_motion (&p, i, -i, 1.0 / 3, 1.0 / 3, &dx, &dy))
        sends++;
      sum_x += dx;
      sum_y += dy;
    }
  g_assert_cmpint (sum_x, ==, 10);
  g_assert_cmpint (sum_y, ==, -10);
  g_assert_cmpint (sends, ==, 10);
  /* Sub-pixel positions, as touchpads and HiDPI screens give them. */
  for (int i = 1; i <= 40; i++)
    {
      vireo_relative_pointer_motion (&p, 30 - 0.25 * i, -30 + 0.25 * i, 1, 1, &dx, &dy);
      sum_x += dx;
      sum_y += dy;
    }
  g_assert_cmpint (sum_x, ==, 0);
  g_assert_cmpint (sum_y, ==, 0);
}

static void
test_bad_input (void)
{
  VireoRelativePointer p = { 0 };
  int dx, dy;

  vireo_relative_pointer_motion (&p, 0, 0, 1, 1, &dx, &dy);
  g_assert_false (vireo_relative_pointer_motion (&p, NAN, 5, 1, 1, &dx, &dy));
  g_assert_false (vireo_relative_pointer_motion (&p, 5, INFINITY, 1, 1, &dx, &dy));
  /* No frame yet: no scale, no motion, but the track goes on. */
  g_assert_false (vireo_relative_pointer_motion (&p, 50, 50, 0, 0, &dx, &dy));
  g_assert_true (vireo_relative_pointer_motion (&p, 51, 50, 1, 1, &dx, &dy));
  g_assert_cmpint (dx, ==, 1);
  /* A huge jump is cut to a bounded step, never an overflowing int. */
  g_assert_true (vireo_relative_pointer_motion (&p, 1e300, -1e300, 1e10, 1e10, &dx, &dy));
  g_assert_cmpint (dx, ==, 4096);
  g_assert_cmpint (dy, ==, -4096);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/display/relative-pointer/first-position-only-starts", test_first_position_only_starts);
  g_test_add_func ("/display/relative-pointer/scaled", test_scaled);
  g_test_add_func ("/display/relative-pointer/slow-motion-adds-up", test_slow_motion_adds_up);
  g_test_add_func ("/display/relative-pointer/bad-input", test_bad_input);
  return g_test_run ();
}
