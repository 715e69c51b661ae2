/* test-profile.c
 *
 * VireoProfile <-> libvirt domain XML: every setting survives a round
 * trip, the XML is stable, foreign domains are imported with a report of
 * what was dropped, and malformed documents are refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vireo-profile.h"
#include "test-profile-util.h"

static void
test_profile_round_trip (void)
{
  g_autoptr(VireoProfile) profile = test_profile_new_full ("Debian 12");
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *xml2 = NULL;

  xml = vireo_profile_to_xml (profile, &error);
  g_assert_no_error (error);
  g_test_message ("%s", xml);

  /* The elements other tools look for, spelled as they expect. */
  g_assert_nonnull (strstr (xml, "<libosinfo:os id=\"http://debian.org/debian/12\"/>"));
  g_assert_nonnull (strstr (xml, "xmlns:libosinfo=\"" VIREO_LIBOSINFO_NS_URI "\""));
  g_assert_nonnull (strstr (xml, "xmlns:vireo=\"" VIREO_PROFILE_NS_URI "\""));
  g_assert_nonnull (strstr (xml, "<portForward proto=\"tcp\">"));
  g_assert_nonnull (strstr (xml, "<range start=\"2222\" to=\"22\"/>"));
  g_assert_nonnull (strstr (xml, "model=\"qemu-xhci\""));
  g_assert_nonnull (strstr (xml, "<input type=\"tablet\" bus=\"usb\"/>"));
  g_assert_nonnull (strstr (xml, "<input type=\"keyboard\" bus=\"usb\"/>"));
  g_assert_nonnull (strstr (xml, "<graphics type=\"spice\""));
  g_assert_nonnull (strstr (xml, "<model type=\"virtio\""));
  /* Markup in values is escaped, not interpreted. */
  g_assert_nonnull (strstr (xml, "console=ttyS0 quiet &lt;&amp;&gt;"));

  loaded = vireo_profile_new_from_xml (xml, &dropped, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpuint (dropped->len, ==, 0);
  test_profile_assert_equal (profile, loaded);

  xml2 = vireo_profile_to_xml (loaded, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, xml2);
}

static void
test_profile_bios_minimal (void)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Minimal");
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  xml = vireo_profile_to_xml (profile, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (xml, "loader"));
  g_assert_null (strstr (xml, "libosinfo"));

  loaded = vireo_profile_new_from_xml (xml, NULL, &error);
  g_assert_no_error (error);
  test_profile_assert_equal (profile, loaded);
  g_assert_cmpint (vireo_profile_get_firmware (loaded), ==, VIREO_FIRMWARE_BIOS);
  g_assert_cmpint (vireo_profile_get_nic_model (loaded), ==, VIREO_NIC_MODEL_VIRTIO);
}

static void
test_profile_nic_model (void)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Windows card");
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *rtl = NULL;
  g_auto(GStrv) parts = NULL;

  vireo_profile_set_nic_model (profile, VIREO_NIC_MODEL_E1000E);
  xml = vireo_profile_to_xml (profile, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<model type=\"e1000e\"/>"));
  loaded = vireo_profile_new_from_xml (xml, &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dropped->len, ==, 0);
  test_profile_assert_equal (profile, loaded);
  g_clear_object (&loaded);
  g_clear_pointer (&dropped, g_ptr_array_unref);

  /* Another emulated card: the e1000e stands in, and the user is told. */
  parts = g_strsplit (xml, "<model type=\"e1000e\"/>", -1);
  rtl = g_strjoinv ("<model type=\"rtl8139\"/>", parts);
  loaded = vireo_profile_new_from_xml (rtl, &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vireo_profile_get_nic_model (loaded), ==, VIREO_NIC_MODEL_E1000E);
  g_assert_cmpuint (dropped->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (dropped, 0), "rtl8139"));
}

static void
test_profile_uefi_without_loader (void)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Firmware by type");
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  vireo_profile_set_firmware (profile, VIREO_FIRMWARE_UEFI);
  xml = vireo_profile_to_xml (profile, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "firmware=\"efi\""));

  loaded = vireo_profile_new_from_xml (xml, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vireo_profile_get_firmware (loaded), ==, VIREO_FIRMWARE_UEFI);
  g_assert_null (vireo_profile_get_loader (loaded));
}

static void
test_profile_many_disks (void)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Many disks");
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *path = g_strdup_printf ("/images/disk%u.qcow2", i);

      vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, path, VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);
    }
  xml = vireo_profile_to_xml (profile, &error);
  g_assert_no_error (error);
  /* Past "vdz" the names go on as libvirt's do. */
  g_assert_nonnull (strstr (xml, "dev=\"vdz\""));
  g_assert_nonnull (strstr (xml, "dev=\"vdaa\""));
  g_assert_nonnull (strstr (xml, "dev=\"vdad\""));

  loaded = vireo_profile_new_from_xml (xml, NULL, &error);
  g_assert_no_error (error);
  test_profile_assert_equal (profile, loaded);
}

/* Shaped like `virsh dumpxml` of a virt-manager machine. */
static const char virt_manager_xml[] =
  "<domain type='kvm' id='3'>\n"
  "  <name>win11</name>\n"
  "  <uuid>8A3E1E4C-7F2B-4B6E-9D3A-2C1B0A9F8E7D</uuid>\n"
  "  <metadata>\n"
  "    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n"
  "      <libosinfo:os id=\"http://microsoft.com/win/11\"/>\n"
  "    </libosinfo:libosinfo>\n"
  "  </metadata>\n"
  "  <memory unit='KiB'>4194304</memory>\n"
  "  <currentMemory unit='KiB'>4194304</currentMemory>\n"
  "  <vcpu placement='static'>4</vcpu>\n"
  "  <os firmware='efi'>\n"
  "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
  "    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>\n"
  "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/win11_VARS.fd</nvram>\n"
  "    <boot dev='cdrom'/>\n"
  "    <boot dev='hd'/>\n"
  "    <boot dev='fd'/>\n"
  "  </os>\n"
  "  <features><acpi/><apic/><hyperv mode='custom'><relaxed state='on'/></hyperv></features>\n"
  "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
  "  <clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/></clock>\n"
  "  <on_poweroff>destroy</on_poweroff>\n"
  "  <devices>\n"
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
  "      <source file='/var/lib/libvirt/images/win11.qcow2'/>\n"
  "      <target dev='sda' bus='sata'/>\n"
  "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source file='/home/user/Win11_English_x64.iso'/>\n"
  "      <target dev='sdb' bus='sata'/>\n"
  "      <readonly/>\n"
  "    </disk>\n"
  "    <disk type='block' device='disk'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source dev='/dev/sdc'/>\n"
  "      <target dev='vdb' bus='virtio'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='vmdk'/>\n"
  "      <source file='/var/lib/libvirt/images/old.vmdk'/>\n"
  "      <target dev='vdc' bus='virtio'/>\n"
  "    </disk>\n"
  "    <controller type='usb' index='0' model='qemu-xhci' ports='15'/>\n"
  "    <controller type='sata' index='0'/>\n"
  "    <interface type='network'>\n"
  "      <mac address='52:54:00:12:34:56'/>\n"
  "      <source network='default'/>\n"
  "      <model type='e1000e'/>\n"
  "    </interface>\n"
  "    <serial type='pty'><target type='isa-serial' port='0'/></serial>\n"
  "    <input type='tablet' bus='usb'/>\n"
  "    <input type='mouse' bus='ps2'/>\n"
  "    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\n"
  "    <graphics type='spice' autoport='yes'><listen type='address'/><image compression='off'/></graphics>\n"
  "    <sound model='ich9'/>\n"
  "    <video><model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/></video>\n"
  "    <redirdev bus='usb' type='spicevmc'/>\n"
  "    <memballoon model='virtio'/>\n"
  "  </devices>\n"
  "</domain>\n";

static gboolean
dropped_contains (GPtrArray  *dropped,
                  const char *needle)
{
  for (guint i = 0; i < dropped->len; i++)
    {
      if (strstr (g_ptr_array_index (dropped, i), needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_profile_import_virt_manager (void)
{
  g_autoptr(VireoProfile) profile = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GError) error = NULL;
  const VireoProfileDisk *disk;
  const VireoBootDevice *boot;
  guint n_boot;

  profile = vireo_profile_new_from_xml (virt_manager_xml, &dropped, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (vireo_profile_get_name (profile), ==, "win11");
  /* Canonical lower case, whatever the file had. */
  g_assert_cmpstr (vireo_profile_get_uuid (profile), ==, "8a3e1e4c-7f2b-4b6e-9d3a-2c1b0a9f8e7d");
  g_assert_cmpstr (vireo_profile_get_os_id (profile), ==, "http://microsoft.com/win/11");
  g_assert_cmpuint (vireo_profile_get_memory_kib (profile), ==, 4194304);
  g_assert_cmpuint (vireo_profile_get_vcpus (profile), ==, 4);
  g_assert_cmpstr (vireo_profile_get_machine_type (profile), ==, "pc-q35-7.2");
  g_assert_cmpint (vireo_profile_get_firmware (profile), ==, VIREO_FIRMWARE_UEFI);
  g_assert_cmpint (vireo_profile_get_nic_model (profile), ==, VIREO_NIC_MODEL_E1000E);
  g_assert_cmpstr (vireo_profile_get_loader (profile), ==, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
  g_assert_cmpstr (vireo_profile_get_nvram (profile), ==, "/var/lib/libvirt/qemu/nvram/win11_VARS.fd");

  boot = vireo_profile_get_boot_order (profile, &n_boot);
  g_assert_cmpuint (n_boot, ==, 2);
  g_assert_cmpint (boot[0], ==, VIREO_BOOT_DEVICE_CDROM);
  g_assert_cmpint (boot[1], ==, VIREO_BOOT_DEVICE_HD);

  /* The block device and the vmdk are not kept. */
  g_assert_cmpuint (vireo_profile_get_n_disks (profile), ==, 2);
  disk = vireo_profile_get_disk (profile, 0);
  g_assert_cmpint (disk->device, ==, VIREO_DISK_DEVICE_DISK);
  g_assert_cmpstr (disk->path, ==, "/var/lib/libvirt/images/win11.qcow2");
  g_assert_cmpint (disk->format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_cmpint (disk->bus, ==, VIREO_DISK_BUS_SATA);
  disk = vireo_profile_get_disk (profile, 1);
  g_assert_cmpint (disk->device, ==, VIREO_DISK_DEVICE_CDROM);
  g_assert_cmpstr (disk->path, ==, "/home/user/Win11_English_x64.iso");

  for (guint i = 0; i < dropped->len; i++)
    g_test_message ("dropped: %s", (const char *) g_ptr_array_index (dropped, i));
  g_assert_true (dropped_contains (dropped, "vdb"));
  g_assert_true (dropped_contains (dropped, "vdc"));
  g_assert_true (dropped_contains (dropped, "“fd”"));
  g_assert_true (dropped_contains (dropped, "“network”"));
  g_assert_true (dropped_contains (dropped, "“serial”"));
  g_assert_true (dropped_contains (dropped, "“tpm”"));
  g_assert_true (dropped_contains (dropped, "“sound”"));
  g_assert_true (dropped_contains (dropped, "“redirdev”"));
  g_assert_true (dropped_contains (dropped, "“memballoon”"));
  /* Devices Vireo always builds are replaced silently. */
  g_assert_false (dropped_contains (dropped, "“video”"));
  g_assert_false (dropped_contains (dropped, "“input”"));
  g_assert_false (dropped_contains (dropped, "“emulator”"));
  g_assert_cmpuint (dropped->len, ==, 9);
}

static void
test_profile_import_units (void)
{
  g_autoptr(VireoProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  profile = vireo_profile_new_from_xml ("<domain type='kvm'><name>m</name>"
                                        "<uuid>00000000-0000-4000-8000-000000000001</uuid>"
                                        "<memory unit='GiB'>2</memory><vcpu>2</vcpu>"
                                        "<os><type>hvm</type><kernel>/boot/vmlinuz</kernel></os>"
                                        "<devices><interface type='user'>"
                                        "<portForward proto='udp'><range start='5353'/></portForward>"
                                        "<portForward proto='tcp'><range start='8000' end='8010'/></portForward>"
                                        "<portForward proto='sctp'><range start='1' to='2'/></portForward>"
                                        "<portForward proto='tcp'><range start='0' to='80'/></portForward>"
                                        "<portForward proto='tcp'><range start='8080' to='99999'/></portForward>"
                                        "</interface></devices></domain>",
                                        NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vireo_profile_get_memory_kib (profile), ==, 2 * 1024 * 1024);
  g_assert_cmpstr (vireo_profile_get_kernel (profile), ==, "/boot/vmlinuz");
  /* Only the single-port forward with a known protocol and valid ports. */
  g_assert_cmpuint (vireo_profile_get_n_port_forwards (profile), ==, 1);
  g_assert_cmpint (vireo_profile_get_port_forward (profile, 0)->proto, ==, VIREO_PORT_PROTO_UDP);
  g_assert_cmpuint (vireo_profile_get_port_forward (profile, 0)->host_port, ==, 5353);
  g_assert_cmpuint (vireo_profile_get_port_forward (profile, 0)->guest_port, ==, 5353);
}

static void
test_profile_import_bad_resources (void)
{
  g_autoptr(VireoProfile) profile = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GError) error = NULL;

  /* Values libvirt-gconfig's own getters choke on: an unknown unit, a
   * size that overflows in bytes, a CPU count no machine has. */
  profile = vireo_profile_new_from_xml ("<domain type='kvm'><name>m</name>"
                                        "<uuid>00000000-0000-4000-8000-000000000001</uuid>"
                                        "<memory unit='parsecs'>2</memory><vcpu>99999</vcpu></domain>",
                                        &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dropped->len, ==, 2);
  g_assert_cmpuint (vireo_profile_get_memory_kib (profile), ==, 2 * 1024 * 1024);
  g_assert_cmpuint (vireo_profile_get_vcpus (profile), ==, 1);
  g_clear_object (&profile);
  g_clear_pointer (&dropped, g_ptr_array_unref);

  profile = vireo_profile_new_from_xml ("<domain type='kvm'><name>m</name>"
                                        "<uuid>00000000-0000-4000-8000-000000000001</uuid>"
                                        "<memory unit='TiB'>99999999</memory><vcpu>-1</vcpu></domain>",
                                        &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dropped->len, ==, 2);
  g_clear_object (&profile);
  g_clear_pointer (&dropped, g_ptr_array_unref);

  /* 1500 bytes is 2 KiB once rounded up, as libvirt rounds. */
  profile = vireo_profile_new_from_xml ("<domain type='kvm'><name>m</name>"
                                        "<uuid>00000000-0000-4000-8000-000000000001</uuid>"
                                        "<memory unit='b'>1500</memory><vcpu> 8 </vcpu></domain>",
                                        &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dropped->len, ==, 0);
  g_assert_cmpuint (vireo_profile_get_memory_kib (profile), ==, 2);
  g_assert_cmpuint (vireo_profile_get_vcpus (profile), ==, 8);
}

static void
test_profile_malformed (void)
{
  static const char * const bad[] = {
    "",
    "not xml at all",
    "<domain",
    "<network><name>n</name><uuid>00000000-0000-4000-8000-000000000001</uuid></network>",
    "<domain type='kvm'><uuid>00000000-0000-4000-8000-000000000001</uuid></domain>",
    "<domain type='kvm'><name></name><uuid>00000000-0000-4000-8000-000000000001</uuid></domain>",
    "<domain type='kvm'><name>no uuid</name></domain>",
    "<domain type='kvm'><name>bad uuid</name><uuid>not-a-uuid</uuid></domain>",
    "<domain type='kvm'><name>x</name><uuid>00000000-0000-4000-8000-00000000000g</uuid></domain>",
    "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><name>&e;</name></domain>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VireoProfile) profile = NULL;
      g_autoptr(GError) error = NULL;

      profile = vireo_profile_new_from_xml (bad[i], NULL, &error);
      g_assert_null (profile);
      g_assert_nonnull (error);
      g_test_message ("%u: %s", i, error->message);
    }
}

static void
test_profile_copy (void)
{
  g_autoptr(VireoProfile) profile = test_profile_new_full ("Copied");
  g_autoptr(VireoProfile) copy = vireo_profile_copy (profile);

  test_profile_assert_equal (profile, copy);
  vireo_profile_remove_disk (copy, 0);
  g_assert_cmpuint (vireo_profile_get_n_disks (copy) + 1, ==, vireo_profile_get_n_disks (profile));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/profile/round-trip", test_profile_round_trip);
  g_test_add_func ("/profile/bios-minimal", test_profile_bios_minimal);
  g_test_add_func ("/profile/uefi-without-loader", test_profile_uefi_without_loader);
  g_test_add_func ("/profile/nic-model", test_profile_nic_model);
  g_test_add_func ("/profile/many-disks", test_profile_many_disks);
  g_test_add_func ("/profile/import-virt-manager", test_profile_import_virt_manager);
  g_test_add_func ("/profile/import-units", test_profile_import_units);
  g_test_add_func ("/profile/import-bad-resources", test_profile_import_bad_resources);
  g_test_add_func ("/profile/malformed", test_profile_malformed);
  g_test_add_func ("/profile/copy", test_profile_copy);

  return g_test_run ();
}
