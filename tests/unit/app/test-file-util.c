/* test-file-util.c
 *
 * Files the app tests make for the models to read: in the test's own
 * isolated folders (g_test_init with G_TEST_OPTION_ISOLATE_DIRS), so
 * nothing is left from other runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "test-file-util.h"

/* Returns: (transfer full): @name in the test's cache folder, which is
 *   made if needed */
char *
test_tmp_path (const char *name)
{
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  return g_build_filename (g_get_user_cache_dir (), name, NULL);
}

/* @len: as for g_file_set_contents(), -1 for a string */
void
test_write_file (const char *path,
                 const void *contents,
                 gssize      len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}
