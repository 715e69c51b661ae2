/* vireo-os-util.c
 *
 * What the New Machine wizard asks libosinfo: which OS an installation
 * disc installs, what resources and firmware that OS wants, whether it
 * drives virtio devices out of the box, and the OSes a user can pick
 * from. Only x86 matters: that is what the monitor runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "vireo-disk-util.h"
#include "vireo-os-util.h"

static gboolean
is_x86 (const char *arch)
{
  return arch == NULL || g_str_equal (arch, "all") ||
         g_str_equal (arch, "x86_64") || g_str_equal (arch, "i686");
}

/**
 * vireo_os_identify_iso:
 * @db: (nullable): the OS database; without one no OS is identified
 * @os: (out) (transfer full) (nullable): the OS @iso installs
 *
 * Reads the ISO's volume descriptor and looks it up in @db. Blocks on
 * file I/O.
 *
 * Returns: FALSE with @error for a file that is no installation disc;
 *   TRUE with *@os %NULL for one libosinfo does not know
 */
gboolean
vireo_os_identify_iso (OsinfoDb      *db,
                       const char    *iso,
                       GCancellable  *cancellable,
                       OsinfoOs     **os,
                       GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OsinfoMedia) media = NULL;
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (db == NULL || OSINFO_IS_DB (db), FALSE);
  g_return_val_if_fail (iso != NULL, FALSE);
  g_return_val_if_fail (os != NULL, FALSE);

  *os = NULL;
  if (!vireo_check_readable_file (iso, error))
    return FALSE;

  /* libosinfo's blocking call runs its async one in a main loop on the
   * thread-default context; in a worker thread that is the global
   * default context, which the UI thread owns, and the two threads then
   * take turns on it or wait for each other for good. A context of our
   * own keeps the reading in this thread. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  media = osinfo_media_create_from_location_with_flags (iso, cancellable,
                                                        OSINFO_MEDIA_DETECT_REQUIRE_BOOTABLE,
                                                        &local_error);
  g_main_context_pop_thread_default (context);
  if (media == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else if (g_error_matches (local_error, OSINFO_MEDIA_ERROR, OSINFO_MEDIA_ERROR_NOT_BOOTABLE))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("This disc image cannot start a computer: it is not an installation disc"));
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("This file is not an installation disc image (ISO)"));
      return FALSE;
    }

  /* Discs for other architectures are identified too, but would not boot
   * here. */
  if (db != NULL && osinfo_db_identify_media (db, media) &&
      is_x86 (osinfo_media_get_architecture (media)))
    *os = g_object_ref (osinfo_media_get_os (media));

  return TRUE;
}

/* The first resources entry for this computer's architecture. */
static OsinfoResources *
find_resources (OsinfoResourcesList *list)
{
  OsinfoResources *fallback = NULL;
  gint n;

  if (list == NULL)
    return NULL;

  n = osinfo_list_get_length (OSINFO_LIST (list));
  for (gint i = 0; i < n; i++)
    {
      OsinfoResources *res = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *arch = osinfo_resources_get_architecture (res);

      if (g_strcmp0 (arch, "x86_64") == 0)
        return res;
      if (fallback == NULL && is_x86 (arch))
        fallback = res;
    }

  return fallback;
}

/**
 * vireo_os_get_resource:
 * @getter: the figure wanted, e.g. osinfo_resources_get_ram
 *
 * Walks @os and what it derives from, since a point release often lists
 * no resources of its own.
 *
 * Returns: the figure libosinfo recommends for @os on x86 or, failing
 *   that, its minimum; -1 when it lists none
 */
gint64
vireo_os_get_resource (OsinfoOs               *os,
                       VireoOsResourceGetter   getter)
{
  g_return_val_if_fail (OSINFO_IS_OS (os), -1);
  g_return_val_if_fail (getter != NULL, -1);

  for (guint depth = 0; os != NULL && depth < 16; depth++)
    {
      g_autoptr(OsinfoResourcesList) recommended = osinfo_os_get_recommended_resources (os);
      g_autoptr(OsinfoResourcesList) minimum = osinfo_os_get_minimum_resources (os);
      g_autoptr(OsinfoProductList) parents = NULL;
      OsinfoResources *res;

      res = find_resources (recommended);
      if (res != NULL && getter (res) > 0)
        return getter (res);
      res = find_resources (minimum);
      if (res != NULL && getter (res) > 0)
        return getter (res);

      parents = osinfo_product_get_related (OSINFO_PRODUCT (os), OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM);
      os = osinfo_list_get_length (OSINFO_LIST (parents)) > 0
           ? OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (parents), 0))
           : NULL;
    }

  return -1;
}

/**
 * vireo_os_supports_uefi:
 *
 * Returns: whether @os boots with UEFI on x86-64 according to libosinfo
 *   (inherited from the OS it derives from, as listed)
 */
gboolean
vireo_os_supports_uefi (OsinfoOs *os)
{
  g_autoptr(OsinfoFirmwareList) list = NULL;
  gint n;

  g_return_val_if_fail (OSINFO_IS_OS (os), FALSE);

  list = osinfo_os_get_complete_firmware_list (os, NULL);
  n = osinfo_list_get_length (OSINFO_LIST (list));
  for (gint i = 0; i < n; i++)
    {
      OsinfoFirmware *fw = OSINFO_FIRMWARE (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_strcmp0 (osinfo_firmware_get_architecture (fw), "x86_64") == 0 &&
          g_strcmp0 (osinfo_firmware_get_firmware_type (fw), "efi") == 0 &&
          osinfo_firmware_is_supported (fw))
        return TRUE;
    }

  return FALSE;
}

/**
 * vireo_os_has_virtio:
 * @dev_class: a libosinfo device class ("net", "block")
 *
 * Returns: whether libosinfo lists a virtio device (PCI vendor 1af4) of
 *   @dev_class among the OS's devices, i.e. whether it drives one out of
 *   the box
 */
gboolean
vireo_os_has_virtio (OsinfoOs   *os,
                     const char *dev_class)
{
  g_autoptr(OsinfoFilter) filter = NULL;
  g_autoptr(OsinfoDeviceList) devices = NULL;
  gint n;

  g_return_val_if_fail (OSINFO_IS_OS (os), FALSE);
  g_return_val_if_fail (dev_class != NULL, FALSE);

  filter = osinfo_filter_new ();
  osinfo_filter_add_constraint (filter, OSINFO_DEVICE_PROP_CLASS, dev_class);
  devices = osinfo_os_get_all_devices (os, filter);
  n = osinfo_list_get_length (OSINFO_LIST (devices));
  for (gint i = 0; i < n; i++)
    {
      OsinfoDevice *dev = OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devices), i));

      if (g_ascii_strcasecmp (osinfo_device_get_vendor_id (dev) ?: "", "1af4") == 0)
        return TRUE;
    }
  return FALSE;
}

static int
compare_os (gconstpointer a,
            gconstpointer b,
            gpointer      user_data)
{
  const char *na = osinfo_product_get_name (OSINFO_PRODUCT ((gpointer) a));
  const char *nb = osinfo_product_get_name (OSINFO_PRODUCT ((gpointer) b));
  g_autofree char *ka = g_utf8_collate_key_for_filename (na != NULL ? na : "", -1);
  g_autofree char *kb = g_utf8_collate_key_for_filename (nb != NULL ? nb : "", -1);

  return strcmp (ka, kb);
}

/**
 * vireo_os_list_named:
 * @db: (nullable): the OS database
 *
 * Returns: (transfer full): a list model of #OsinfoOs, every OS of @db
 *   that has a name, sorted by name with numbers in order ("Debian 9"
 *   before "Debian 10"); empty without a database
 */
GListModel *
vireo_os_list_named (OsinfoDb *db)
{
  GListStore *store;
  g_autoptr(OsinfoOsList) oses = NULL;
  gint n;

  g_return_val_if_fail (db == NULL || OSINFO_IS_DB (db), NULL);

  store = g_list_store_new (OSINFO_TYPE_OS);
  if (db == NULL)
    return G_LIST_MODEL (store);

  oses = osinfo_db_get_os_list (db);
  n = osinfo_list_get_length (OSINFO_LIST (oses));
  for (gint i = 0; i < n; i++)
    {
      OsinfoEntity *os = osinfo_list_get_nth (OSINFO_LIST (oses), i);

      if (osinfo_product_get_name (OSINFO_PRODUCT (os)) != NULL)
        g_list_store_append (store, os);
    }
  g_list_store_sort (store, compare_os, NULL);

  return G_LIST_MODEL (store);
}
