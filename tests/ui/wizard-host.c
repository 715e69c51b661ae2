/* wizard-host.c
 *
 * Vireo as main.c composes it (the application, its library and its main
 * window), plus application actions the ui test wizard.py activates over
 * D-Bus: open the New Machine wizard or a machine's Properties, list the
 * library, and print a machine's profile as the app holds it. What they
 * print goes to stdout, which the test reads from the app's log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "vireo-application.h"
#include "dialogs/vireo-machine-properties-dialog.h"
#include "dialogs/vireo-new-machine-dialog.h"
#include "vireo-window.h"

static void
on_machine_created_cb (VireoNewMachineDialog *dialog,
                       VireoMachine          *machine,
                       gpointer               user_data)
{
  g_print ("created %s %s\n", vireo_machine_get_uuid (machine), vireo_machine_get_name (machine));
}

static void
new_machine_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  VireoApplication *app = VIREO_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  VireoNewMachineDialog *dialog;

  dialog = vireo_new_machine_dialog_new (window, vireo_application_get_library (app));
  g_signal_connect (dialog, "machine-created", G_CALLBACK (on_machine_created_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
machine_properties_action (GSimpleAction *action,
                           GVariant      *param,
                           gpointer       user_data)
{
  VireoApplication *app = VIREO_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  VireoMachine *machine = vireo_library_find (vireo_application_get_library (app),
                                              g_variant_get_string (param, NULL));

  if (machine != NULL)
    gtk_window_present (GTK_WINDOW (vireo_machine_properties_dialog_new (window, machine)));
}

static void
list_machines_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  VireoApplication *app = VIREO_APPLICATION (user_data);
  GListModel *library = G_LIST_MODEL (vireo_application_get_library (app));

  g_print ("machines %u loaded=%d\n", g_list_model_get_n_items (library),
           vireo_application_get_library_loaded (app));
  for (guint i = 0; i < g_list_model_get_n_items (library); i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (library, i);

      g_print ("machine %s %s\n", vireo_machine_get_uuid (machine), vireo_machine_get_name (machine));
    }
}

static void
dump_profile_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  VireoApplication *app = VIREO_APPLICATION (user_data);
  VireoMachine *machine = vireo_library_find (vireo_application_get_library (app),
                                              g_variant_get_string (param, NULL));
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (machine != NULL)
    xml = vireo_profile_to_xml (vireo_machine_get_profile (machine), &error);
  g_print ("profile-begin %s\n%s\nprofile-end\n", g_variant_get_string (param, NULL),
           xml != NULL ? xml : "");
}

static const GActionEntry host_actions[] = {
  { .name = "new-machine", .activate = new_machine_action },
  { .name = "machine-properties", .activate = machine_properties_action, .parameter_type = "s" },
  { .name = "list-machines", .activate = list_machines_action },
  { .name = "dump-profile", .activate = dump_profile_action, .parameter_type = "s" },
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VireoApplication) app = NULL;

  /* The test reads stdout while the app runs. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Vireo"));

  app = vireo_application_new (VIREO_TYPE_WINDOW);
  g_action_map_add_action_entries (G_ACTION_MAP (app), host_actions, G_N_ELEMENTS (host_actions), app);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
