/* test-file-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *test_tmp_path   (const char *name);
void  test_write_file (const char *path,
                       const void *contents,
                       gssize      len);

G_END_DECLS
