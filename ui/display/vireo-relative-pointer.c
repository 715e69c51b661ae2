/* vireo-relative-pointer.c: the host pointer's track over the display as
 * relative motion in guest pixels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-relative-pointer.h"

#include <math.h>

/* A single motion larger than this is a jump (a pointer warped by the
 * desktop, a broken event), not something a hand did. */
#define MAX_STEP 4096.0

void
vireo_relative_pointer_reset (VireoRelativePointer *p)
{
  p->have_last = FALSE;
  p->rem_x = p->rem_y = 0.0;
}

/* The whole pixels of *acc, towards zero; the fraction stays in *acc. */
static int
take_whole (double *acc)
{
  double whole = trunc (*acc);

  *acc -= whole;
  return (int) whole;
}

gboolean
vireo_relative_pointer_motion (VireoRelativePointer *p,
                               double                x,
                               double                y,
                               double                scale_x,
                               double                scale_y,
                               int                  *dx,
                               int                  *dy)
{
  double mx, my;
  gboolean had_last = p->have_last;

  *dx = *dy = 0;
  if (!isfinite (x) || !isfinite (y))
    return FALSE;
  mx = x - p->last_x;
  my = y - p->last_y;
  p->last_x = x;
  p->last_y = y;
  p->have_last = TRUE;
  if (!had_last || !isfinite (scale_x) || !isfinite (scale_y) || scale_x <= 0 || scale_y <= 0)
    return FALSE;
  p->rem_x += CLAMP (mx * scale_x, -MAX_STEP, MAX_STEP);
  p->rem_y += CLAMP (my * scale_y, -MAX_STEP, MAX_STEP);
  *dx = take_whole (&p->rem_x);
  *dy = take_whole (&p->rem_y);
  return *dx != 0 || *dy != 0;
}
