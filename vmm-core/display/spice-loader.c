/* spice-loader.c: finds and loads the SPICE server module (spice-module.h).
 *
 * The module is looked for in one place only, never on a search path: the
 * installed copy under LIBDIR/vireo, or, when the running executable is
 * itself inside the build tree (tests, `make run`, the lab), the copy the
 * build made next to it. A build-tree path is not trusted otherwise: an
 * installed monitor must not load code from wherever its package happened
 * to be built.
 *
 * Process-wide state, like vcpu.c's signal handler: a loaded module is a
 * property of the process, shared by every machine in it, and never
 * unloaded (spice-server keeps threads and atexit handlers of its own).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "display/spice-module-paths.h"
#include "spice-module.h"
#include "vireo-vmm.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static GMutex module_lock;
static const VmmSpiceModule *module_table;

/* True when the running executable lives under the build tree. */
static bool
running_from_build_tree (void)
{
  g_autofree char *exe = realpath ("/proc/self/exe", NULL);
  g_autofree char *root = realpath (VMM_BUILD_ROOT, NULL);
  size_t n;

  if (exe == NULL || root == NULL)
    return false;
  n = strlen (root);
  return strncmp (exe, root, n) == 0 && exe[n] == '/';
}

static const VmmSpiceModule *
load (const char *path, GError **error)
{
  const VmmSpiceModule *table;
  void *handle;

  /* RTLD_NOW: a module that does not fit this monitor fails here, not at
   * its first call in the middle of a running machine. RTLD_LOCAL: its
   * libraries' symbols stay out of the monitor's namespace. */
  handle = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY,
                   "Cannot load the SPICE server module: %s", dlerror ());
      return NULL;
    }
  table = dlsym (handle, VMM_SPICE_MODULE_SYMBOL);
  if (table == NULL || table->abi != VMM_SPICE_MODULE_ABI
      || table->size != sizeof (VmmSpiceModule)
      || g_strcmp0 (table->version, PACKAGE_VERSION) != 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_DISPLAY,
                   "The SPICE server module %s does not belong to this version of Vireo (%s)",
                   path, PACKAGE_VERSION);
      dlclose (handle);
      return NULL;
    }
  return table;
}

const VmmSpiceModule *
vmm_spice_module_load (GError **error)
{
  const VmmSpiceModule *table;

  g_mutex_lock (&module_lock);
  if (module_table == NULL)
    module_table = load (running_from_build_tree () ? VMM_SPICE_MODULE_BUILT
                                                    : VMM_SPICE_MODULE_INSTALLED, error);
  table = module_table;
  g_mutex_unlock (&module_lock);
  return table;
}
