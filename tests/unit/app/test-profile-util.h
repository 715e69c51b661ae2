/* test-profile-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include "vireo-profile.h"

G_BEGIN_DECLS

VireoProfile *test_profile_new_full     (const char   *name);
void          test_profile_assert_equal (VireoProfile *a,
                                         VireoProfile *b);

void          test_on_ready_cb          (GObject       *object,
                                         GAsyncResult  *result,
                                         gpointer       user_data);
GAsyncResult *test_wait_for             (GAsyncResult **slot);

G_END_DECLS
