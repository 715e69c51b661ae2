/* vireo-relative-pointer.h: turns the host pointer's positions over the
 * display into the relative motion SPICE's server mouse mode takes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* The last position seen, in widget coordinates, when have_last. */
  gboolean have_last;
  double   last_x;
  double   last_y;
  /* Motion in guest pixels not sent yet (always less than one pixel). */
  double   rem_x;
  double   rem_y;
} VireoRelativePointer;

/* Forgets the last position: the next one only starts a new track. For
 * when the pointer enters the widget or is captured, so a jump from
 * outside does not move the guest's pointer. */
void     vireo_relative_pointer_reset  (VireoRelativePointer *p);

/* The host pointer is at (x, y); scale_x and scale_y are guest pixels per
 * widget pixel. Sets *dx and *dy to the whole guest pixels the guest's
 * pointer moves, keeping the fraction for the next motion so that slow
 * motion still adds up. Returns FALSE when there is nothing to send. */
gboolean vireo_relative_pointer_motion (VireoRelativePointer *p,
                                        double                x,
                                        double                y,
                                        double                scale_x,
                                        double                scale_y,
                                        int                  *dx,
                                        int                  *dy);

G_END_DECLS
