/* fuzz-profile.c
 *
 * libFuzzer target for reading a profile (vireo_profile_new_from_xml),
 * the one parser in app/ that sees files from anywhere: the machines
 * folder and imported XML. Beyond "no crash", it checks the property the
 * store relies on: whatever was accepted is written out as XML that reads
 * back to the same XML.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vireo-profile.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
quiet_log (const char     *log_domain,
           GLogLevelFlags  log_level,
           const char     *message,
           gpointer        user_data)
{
  /* Criticals are our g_return_if_fail() guards firing: a bug. */
  if (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL))
    {
      g_printerr ("%s: %s\n", log_domain != NULL ? log_domain : "", message);
      __builtin_trap ();
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* libvirt-gconfig logs every unknown element at debug level; that is
   * noise here, while a critical from our code must stop the run. */
  g_log_set_default_handler (quiet_log, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_malloc (size + 1);
  g_autoptr(VireoProfile) profile = NULL;
  g_autoptr(VireoProfile) again = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *xml2 = NULL;

  memcpy (text, data, size);
  text[size] = '\0';

  profile = vireo_profile_new_from_xml (text, &dropped, NULL);
  if (profile == NULL)
    return 0;

  xml = vireo_profile_to_xml (profile, NULL);
  if (xml == NULL)
    __builtin_trap ();
  again = vireo_profile_new_from_xml (xml, NULL, NULL);
  if (again == NULL)
    __builtin_trap ();
  xml2 = vireo_profile_to_xml (again, NULL);
  if (xml2 == NULL || strcmp (xml, xml2) != 0)
    __builtin_trap ();

  return 0;
}
