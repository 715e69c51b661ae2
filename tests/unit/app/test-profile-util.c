/* test-profile-util.c
 *
 * A profile with every setting Vireo has set to a value that differs from
 * the default, and a field-by-field comparison, shared by the tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "test-profile-util.h"

VireoProfile *
test_profile_new_full (const char *name)
{
  VireoProfile *profile = vireo_profile_new (name);
  g_autoptr(GDateTime) created = g_date_time_new_utc (2024, 2, 29, 12, 30, 45);
  const VireoBootDevice boot[] = { VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_NETWORK };

  vireo_profile_set_title (profile, "Debian's test machine");
  vireo_profile_set_description (profile, "For <testing> & \"quoting\"");
  vireo_profile_set_os_id (profile, "http://debian.org/debian/12");
  vireo_profile_set_memory_kib (profile, 3 * 1024 * 1024 + 512);
  vireo_profile_set_vcpus (profile, 3);
  vireo_profile_set_machine_type (profile, "pc");
  vireo_profile_set_firmware (profile, VIREO_FIRMWARE_UEFI);
  vireo_profile_set_loader (profile, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  vireo_profile_set_nvram (profile, "/nvram/debian_VARS.fd");
  vireo_profile_set_kernel (profile, "/boot/vmlinuz-6.1.0-13-amd64");
  vireo_profile_set_initrd (profile, "/boot/initrd.img-6.1.0-13-amd64");
  vireo_profile_set_cmdline (profile, "console=ttyS0 quiet <&>");
  vireo_profile_set_boot_order (profile, boot, G_N_ELEMENTS (boot));
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, "/images/debian.qcow2",
                          VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, "/images/data.raw",
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_CDROM, "/isos/debian-12.iso",
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_CDROM, NULL,
                          VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_port_forward (profile, VIREO_PORT_PROTO_TCP, 2222, 22);
  vireo_profile_add_port_forward (profile, VIREO_PORT_PROTO_UDP, 6000, 60000);
  vireo_profile_set_created (profile, created);

  return profile;
}

void
test_profile_assert_equal (VireoProfile *a,
                           VireoProfile *b)
{
  const VireoBootDevice *boot_a, *boot_b;
  guint n_boot_a, n_boot_b;

  g_assert_cmpstr (vireo_profile_get_uuid (a), ==, vireo_profile_get_uuid (b));
  g_assert_cmpstr (vireo_profile_get_name (a), ==, vireo_profile_get_name (b));
  g_assert_cmpstr (vireo_profile_get_title (a), ==, vireo_profile_get_title (b));
  g_assert_cmpstr (vireo_profile_get_description (a), ==, vireo_profile_get_description (b));
  g_assert_cmpstr (vireo_profile_get_os_id (a), ==, vireo_profile_get_os_id (b));
  g_assert_cmpuint (vireo_profile_get_memory_kib (a), ==, vireo_profile_get_memory_kib (b));
  g_assert_cmpuint (vireo_profile_get_vcpus (a), ==, vireo_profile_get_vcpus (b));
  g_assert_cmpstr (vireo_profile_get_machine_type (a), ==, vireo_profile_get_machine_type (b));
  g_assert_cmpint (vireo_profile_get_firmware (a), ==, vireo_profile_get_firmware (b));
  g_assert_cmpint (vireo_profile_get_nic_model (a), ==, vireo_profile_get_nic_model (b));
  g_assert_cmpstr (vireo_profile_get_loader (a), ==, vireo_profile_get_loader (b));
  g_assert_cmpstr (vireo_profile_get_nvram (a), ==, vireo_profile_get_nvram (b));
  g_assert_cmpstr (vireo_profile_get_kernel (a), ==, vireo_profile_get_kernel (b));
  g_assert_cmpstr (vireo_profile_get_initrd (a), ==, vireo_profile_get_initrd (b));
  g_assert_cmpstr (vireo_profile_get_cmdline (a), ==, vireo_profile_get_cmdline (b));

  boot_a = vireo_profile_get_boot_order (a, &n_boot_a);
  boot_b = vireo_profile_get_boot_order (b, &n_boot_b);
  g_assert_cmpmem (boot_a, n_boot_a * sizeof *boot_a, boot_b, n_boot_b * sizeof *boot_b);

  g_assert_cmpuint (vireo_profile_get_n_disks (a), ==, vireo_profile_get_n_disks (b));
  for (guint i = 0; i < vireo_profile_get_n_disks (a); i++)
    {
      const VireoProfileDisk *da = vireo_profile_get_disk (a, i);
      const VireoProfileDisk *db = vireo_profile_get_disk (b, i);

      g_assert_cmpint (da->device, ==, db->device);
      g_assert_cmpstr (da->path, ==, db->path);
      g_assert_cmpint (da->format, ==, db->format);
      g_assert_cmpint (da->bus, ==, db->bus);
    }

  g_assert_cmpuint (vireo_profile_get_n_port_forwards (a), ==, vireo_profile_get_n_port_forwards (b));
  for (guint i = 0; i < vireo_profile_get_n_port_forwards (a); i++)
    {
      const VireoPortForward *fa = vireo_profile_get_port_forward (a, i);
      const VireoPortForward *fb = vireo_profile_get_port_forward (b, i);

      g_assert_cmpint (fa->proto, ==, fb->proto);
      g_assert_cmpuint (fa->host_port, ==, fb->host_port);
      g_assert_cmpuint (fa->guest_port, ==, fb->guest_port);
    }

  g_assert_true (g_date_time_equal (vireo_profile_get_created (a), vireo_profile_get_created (b)));
}

/* Stores the result of an async call in the GAsyncResult* that user_data
 * points to, so a test can run the default main context until it is set. */
void
test_on_ready_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Iterates the default main context until test_on_ready_cb() filled *slot. */
GAsyncResult *
test_wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}
