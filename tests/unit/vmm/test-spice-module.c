/* test-spice-module.c: the SPICE server is loaded as a module, on first
 * use only (vmm-core/display/spice-module.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/spice-module.h"

#include <string.h>

/* Whether a library whose file name contains `name` is mapped. */
static gboolean
mapped (const char *name)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, name) != NULL;
}

static void
test_load_on_demand (void)
{
  g_autoptr(GError) error = NULL;
  const VmmSpiceModule *mod;

  /* Linking libvireo-vmm does not bring spice-server in ... */
  g_assert_false (mapped ("libspice-server"));
  g_assert_false (mapped ("vireo-vmm-spice"));

  /* ... loading the module does, once. */
  mod = vmm_spice_module_load (&error);
  g_assert_no_error (error);
  g_assert_nonnull (mod);
  g_assert_cmpuint (mod->abi, ==, VMM_SPICE_MODULE_ABI);
  g_assert_cmpuint (mod->size, ==, sizeof (VmmSpiceModule));
  g_assert_true (mapped ("vireo-vmm-spice"));
  g_assert_true (mapped ("libspice-server"));
  g_assert_true (vmm_spice_module_load (NULL) == mod);
}

static void
test_parse_address (void)
{
  g_autoptr(GError) error = NULL;
  const VmmSpiceModule *mod = vmm_spice_module_load (NULL);
  VmmSpiceAddress a = { 0 };

  g_assert_nonnull (mod);
  g_assert_true (mod->parse_address ("unix:/run/vm.sock", &a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.kind, ==, VMM_SPICE_LISTEN_UNIX);
  g_assert_cmpstr (a.path, ==, "/run/vm.sock");
  g_clear_pointer (&a.path, g_free);
  g_assert_false (mod->parse_address ("vnc:1", &a, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
}

/* A server from the module takes the display it was given (it registers
 * itself as the display's listener and reads its mode): the module reaches
 * VmmDisplay through the symbols the executable exports. A client that
 * connects is display-spice's business. */
static void
test_server (void)
{
  g_autoptr(GError) error = NULL;
  const VmmSpiceModule *mod = vmm_spice_module_load (NULL);
  VmmDisplay *display = vmm_display_new ();
  VmmSpice *spice;

  g_assert_nonnull (mod);
  spice = mod->server_new (display, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spice);
  mod->server_free (spice);
  vmm_display_free (display);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* In this order: the first test needs a process without the module. */
  g_test_add_func ("/vmm/spice-module/load-on-demand", test_load_on_demand);
  g_test_add_func ("/vmm/spice-module/parse-address", test_parse_address);
  g_test_add_func ("/vmm/spice-module/server", test_server);
  return g_test_run ();
}
