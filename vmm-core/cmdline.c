/* cmdline.c: what the monitor reads from the guest kernel's command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cmdline.h"

#include <string.h>

gboolean
vmm_cmdline_reboots_by_triple_fault (const char *cmdline)
{
  g_auto(GStrv) words = NULL;
  gboolean triple = FALSE;

  if (cmdline == NULL)
    return FALSE;
  words = g_strsplit_set (cmdline, " \t\n", -1);
  /* Linux applies every reboot= in order; a later one can override the
   * method, so the last method named wins. */
  for (unsigned i = 0; words[i] != NULL; i++)
    {
      g_auto(GStrv) opts = NULL;
      if (!g_str_has_prefix (words[i], "reboot="))
        continue;
      opts = g_strsplit (words[i] + strlen ("reboot="), ",", -1);
      for (unsigned j = 0; opts[j] != NULL; j++)
        {
          switch (opts[j][0])
            {
            case 't':
              triple = TRUE;
              break;
            case 'a': case 'b': case 'e': case 'k': case 'p':
              triple = FALSE;
              break;
            default:
              /* warm, cold, gpio, smp, force: not a method */
              break;
            }
        }
    }
  return triple;
}
