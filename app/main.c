/* main.c
 *
 * The composition root: the only place that knows both the application
 * (app/) and its window (ui/).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "vireo-application.h"
#include "vireo-window.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VireoApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Vireo"));

  app = vireo_application_new (VIREO_TYPE_WINDOW);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
