/* test-library.c
 *
 * VireoMachine and VireoLibrary: the library loads the store, keeps the
 * machines sorted by name as they are renamed, filters by name and OS
 * name, reports broken profiles, and deletes machines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vireo-library.h"
#include "test-profile-util.h"

static OsinfoDb *
make_os_db (void)
{
  static const char * const oses[][2] = {
    { "http://debian.org/debian/12", "Debian 12" },
    { "http://microsoft.com/win/11", "Microsoft Windows 11" },
  };
  OsinfoDb *db = osinfo_db_new ();

  for (guint i = 0; i < G_N_ELEMENTS (oses); i++)
    {
      g_autoptr(OsinfoOs) os = osinfo_os_new (oses[i][0]);

      osinfo_entity_set_param (OSINFO_ENTITY (os), OSINFO_PRODUCT_PROP_NAME, oses[i][1]);
      osinfo_db_add_os (db, os);
    }
  return db;
}

static void
save_profile (VireoProfileStore *store,
              const char        *name,
              const char        *os_id)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new (name);
  g_autoptr(GError) error = NULL;

  vireo_profile_set_os_id (profile, os_id);
  vireo_profile_store_save (store, profile, NULL, &error);
  g_assert_no_error (error);
}

/* The names in @model, in order, joined with "|". */
static char *
names_of (GListModel *model)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(VireoMachine) machine = g_list_model_get_item (model, i);

      if (i > 0)
        g_string_append_c (names, '|');
      g_string_append (names, vireo_machine_get_name (machine));
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static VireoLibrary *
load_library (GPtrArray **broken)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(OsinfoDb) db = make_os_db ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  VireoLibrary *library = vireo_library_new (store);

  vireo_library_set_os_db (library, db);
  vireo_library_load_async (library, NULL, test_on_ready_cb, &result);
  g_assert_true (vireo_library_load_finish (library, test_wait_for (&result), broken, &error));
  g_assert_no_error (error);
  return library;
}

typedef struct {
  guint changes;
} ItemsChanged;

static void
on_items_changed_cb (GListModel   *model,
                     guint         position,
                     guint         removed,
                     guint         added,
                     ItemsChanged *counter)
{
  counter->changes++;
}

static void
test_library_sorted (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(VireoMachine) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *renamed = NULL;
  ItemsChanged counter = { 0 };
  VireoMachine *gamma;

  save_profile (store, "gamma", NULL);
  save_profile (store, "Beta", "http://debian.org/debian/12");
  save_profile (store, "alpha", "http://microsoft.com/win/11");

  library = load_library (&broken);
  g_assert_cmpuint (broken->len, ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (library)) == VIREO_TYPE_MACHINE);

  /* Upper and lower case do not scatter the list. (Accents are the
   * locale's business; the test machine has only the C locale.) */
  names = names_of (G_LIST_MODEL (library));
  g_assert_cmpstr (names, ==, "alpha|Beta|gamma");

  first = g_list_model_get_item (G_LIST_MODEL (library), 0);
  g_assert_cmpstr (vireo_machine_get_os_name (first), ==, "Microsoft Windows 11");
  g_assert_cmpint (vireo_machine_get_state (first), ==, VIREO_MACHINE_STATE_STOPPED);

  gamma = g_list_model_get_item (G_LIST_MODEL (library), 2);
  g_object_unref (gamma);
  g_signal_connect (library, "items-changed", G_CALLBACK (on_items_changed_cb), &counter);

  /* Renaming moves the machine to its new place. */
  g_assert_false (vireo_machine_rename (gamma, "BETA", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (vireo_machine_rename (gamma, "   ", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (vireo_machine_rename (gamma, "Aardvark", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (counter.changes, >, 0);
  renamed = names_of (G_LIST_MODEL (library));
  g_assert_cmpstr (renamed, ==, "Aardvark|alpha|Beta");

  /* Taken as soon as renamed, before any save; the old name is free. */
  g_assert_false (vireo_machine_rename (first, "aardvark", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (vireo_machine_rename (first, "Gamma", &error));
  g_assert_no_error (error);
}

static void
test_library_rename_saved (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = NULL;
  g_autoptr(VireoLibrary) reloaded = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *uuid = NULL;
  VireoMachine *machine;

  save_profile (store, "Old name", NULL);
  library = load_library (NULL);
  machine = vireo_library_find (library, vireo_profile_get_uuid (vireo_machine_get_profile (
                                  g_list_model_get_item (G_LIST_MODEL (library), 0))));
  /* find() returns a borrowed pointer; drop the get_item reference. */
  g_object_unref (machine);
  uuid = g_strdup (vireo_machine_get_uuid (machine));
  file = vireo_profile_store_get_file (vireo_library_get_store (library), vireo_machine_get_profile (machine));

  g_assert_true (vireo_machine_rename (machine, "  New name ", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "New name");
  vireo_machine_save_async (machine, NULL, test_on_ready_cb, &result);
  g_assert_true (vireo_machine_save_finish (machine, test_wait_for (&result), &error));
  g_assert_no_error (error);

  /* Same file (named by UUID), new name inside. */
  g_assert_true (g_file_query_exists (file, NULL));
  reloaded = load_library (NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reloaded)), ==, 1);
  g_assert_cmpstr (vireo_machine_get_name (vireo_library_find (reloaded, uuid)), ==, "New name");
}

static void
test_library_filter (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = NULL;
  g_autofree char *all = NULL;
  g_autofree char *by_os = NULL;
  g_autofree char *by_name = NULL;
  g_autofree char *none = NULL;
  g_autofree char *after_rename = NULL;
  g_autofree char *cleared = NULL;
  GListModel *filtered;
  VireoMachine *work;

  save_profile (store, "Work laptop", "http://microsoft.com/win/11");
  save_profile (store, "Build box", "http://debian.org/debian/12");
  save_profile (store, "Test", NULL);
  library = load_library (NULL);
  filtered = vireo_library_get_filtered (library);

  all = names_of (filtered);
  g_assert_cmpstr (all, ==, "Build box|Test|Work laptop");

  vireo_library_set_search (library, "DEBIAN");
  by_os = names_of (filtered);
  g_assert_cmpstr (by_os, ==, "Build box");

  vireo_library_set_search (library, "o");
  by_name = names_of (filtered);
  /* "Build box", "Work laptop" by name, and Windows matches by OS name. */
  g_assert_cmpstr (by_name, ==, "Build box|Work laptop");

  vireo_library_set_search (library, "xyz");
  none = names_of (filtered);
  g_assert_cmpstr (none, ==, "");

  /* A rename re-runs the filter. */
  work = g_list_model_get_item (G_LIST_MODEL (library), 2);
  g_object_unref (work);
  g_assert_true (vireo_machine_rename (work, "xyz machine", NULL));
  after_rename = names_of (filtered);
  g_assert_cmpstr (after_rename, ==, "xyz machine");

  vireo_library_set_search (library, "");
  g_assert_null (vireo_library_get_search (library));
  cleared = names_of (filtered);
  g_assert_cmpstr (cleared, ==, "Build box|Test|xyz machine");
}

static void
test_library_broken_and_delete (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autofree char *path = NULL;
  g_autofree char *names = NULL;

  save_profile (store, "Survivor", NULL);
  save_profile (store, "Doomed", NULL);
  path = g_build_filename (g_get_user_config_dir (), "vireo", "machines",
                           "44444444-4444-4444-8444-444444444444.xml", NULL);
  g_file_set_contents (path, "<domain type='kvm'>", -1, &error);
  g_assert_no_error (error);

  library = load_library (&broken);
  g_assert_cmpuint (broken->len, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 2);

  machine = g_list_model_get_item (G_LIST_MODEL (library), 0);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "Doomed");
  g_assert_true (vireo_library_delete (library, machine, TRUE, &error));
  g_assert_no_error (error);
  names = names_of (G_LIST_MODEL (library));
  g_assert_cmpstr (names, ==, "Survivor");
  g_assert_null (vireo_library_find (library, vireo_machine_get_uuid (machine)));

  /* Not in the library any more. */
  g_assert_false (vireo_library_delete (library, machine, TRUE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
on_notify_cb (GObject      *object,
              GParamSpec   *pspec,
              ItemsChanged *counter)
{
  counter->changes++;
}

static void
test_library_add_and_state (void)
{
  g_autoptr(VireoLibrary) library = load_library (NULL);
  g_autoptr(VireoProfile) profile = test_profile_new_full ("Fresh");
  g_autoptr(GdkPaintable) thumbnail = gdk_paintable_new_empty (64, 48);
  VireoMachine *machine;
  ItemsChanged notifies = { 0 };

  machine = vireo_library_add (library, profile);
  g_assert_true (vireo_library_add (library, profile) == machine);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 1);
  g_assert_cmpstr (vireo_machine_get_os_name (machine), ==, "Debian 12");

  g_signal_connect (machine, "notify::state", G_CALLBACK (on_notify_cb), &notifies);
  vireo_machine_set_state (machine, VIREO_MACHINE_STATE_RUNNING);
  vireo_machine_set_state (machine, VIREO_MACHINE_STATE_RUNNING);
  g_assert_cmpuint (notifies.changes, ==, 1);
  g_assert_cmpint (vireo_machine_get_state (machine), ==, VIREO_MACHINE_STATE_RUNNING);
  g_assert_cmpstr (g_enum_get_value (g_type_class_peek (VIREO_TYPE_MACHINE_STATE),
                                     VIREO_MACHINE_STATE_CRASHED)->value_nick, ==, "crashed");

  vireo_machine_set_thumbnail (machine, thumbnail);
  g_assert_true (vireo_machine_get_thumbnail (machine) == thumbnail);
  vireo_machine_set_thumbnail (machine, NULL);
  g_assert_null (vireo_machine_get_thumbnail (machine));

  /* The OS name follows the profile's OS id. */
  vireo_profile_set_os_id (profile, "http://microsoft.com/win/11");
  g_assert_cmpstr (vireo_machine_get_os_name (machine), ==, "Microsoft Windows 11");
  vireo_profile_set_os_id (profile, "http://example.com/unknown");
  g_assert_null (vireo_machine_get_os_name (machine));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/library/sorted", test_library_sorted);
  g_test_add_func ("/library/rename-saved", test_library_rename_saved);
  g_test_add_func ("/library/filter", test_library_filter);
  g_test_add_func ("/library/broken-and-delete", test_library_broken_and_delete);
  g_test_add_func ("/library/add-and-state", test_library_add_and_state);

  return g_test_run ();
}
