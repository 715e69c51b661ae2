/* firmware-boot.c: the firmware, fw_cfg and debug console of a machine
 * that boots through SeaBIOS or OVMF.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/firmware-boot.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "firmware/acpi-loader.h"
#include "firmware/firmware.h"
#include "firmware/fw-cfg-pc.h"
#include "firmware/smbios.h"

struct _VmmFirmwareBoot {
  VmmFirmware *firmware;
  VmmFwCfg *fw_cfg;
  VmmDebugcon *debugcon;
  gboolean linuxboot;           /* SeaBIOS boots the kernel through our ROM */
};

static gboolean
registered (int r, const char *what, GError **error)
{
  if (r < 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                 "Cannot place the %s in the machine: %s", what, g_strerror (-r));
  return r >= 0;
}

/* fw_cfg's contents: the PC's items, the ACPI and SMBIOS tables, the
 * kernel. */
static gboolean
fill_fw_cfg (VmmFirmwareBoot *b, const VmmFirmwareBootConfig *cfg, GError **error)
{
  g_autoptr(VmmAcpiTables) tables = NULL;
  g_autofree char *bootorder = NULL;
  VmmFwCfgPcConfig pc = {
    .ram_size = cfg->ram_size,
    .lowmem_size = cfg->lowmem_size,
    .n_cpus = cfg->n_cpus,
    .max_cpus = cfg->max_cpus,
    .bootorder = cfg->bootorder,
    .sercon_port = cfg->sercon_port,
  };
  VmmSmbiosConfig smbios = {
    .uuid = cfg->uuid,
    .n_cpus = cfg->n_cpus,
    .ram_size = cfg->ram_size,
    .lowmem_size = cfg->lowmem_size,
  };

  if (cfg->kernel != NULL)
    {
      if (!vmm_fw_cfg_add_kernel (b->fw_cfg, cfg->kernel, cfg->initrd, cfg->cmdline,
                                  cfg->lowmem_size, error))
        return FALSE;
      /* OVMF boots the kernel items by itself; SeaBIOS needs the ROM. */
      if (vmm_firmware_is_bios (b->firmware))
        {
          if (!vmm_fw_cfg_add_linuxboot (b->fw_cfg, error))
            return FALSE;
          bootorder = g_strconcat (VMM_FW_LINUXBOOT_BOOTORDER "\n", cfg->bootorder, NULL);
          pc.bootorder = bootorder;
          b->linuxboot = TRUE;
        }
    }
  if (!vmm_fw_cfg_setup_pc (b->fw_cfg, &pc, error)
      || !vmm_fw_cfg_add_smbios (b->fw_cfg, &smbios, error))
    return FALSE;

  tables = vmm_acpi_build (cfg->acpi, error);
  return tables != NULL && vmm_fw_cfg_add_acpi (b->fw_cfg, tables, error);
}

VmmFirmwareBoot *
vmm_firmware_boot_new (const VmmFirmwareBootConfig *cfg, const VmmGuestMem *mem,
                       VmmBus *pio, VmmBus *mmio, GError **error)
{
  g_autoptr(VmmFirmwareBoot) b = NULL;

  g_return_val_if_fail (cfg != NULL && cfg->acpi != NULL && mem != NULL, NULL);
  g_return_val_if_fail (pio != NULL && mmio != NULL, NULL);
  g_return_val_if_fail ((cfg->bios_path != NULL)
                        != (cfg->uefi_code_path != NULL && cfg->uefi_vars_path != NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  b = g_new0 (VmmFirmwareBoot, 1);
  if (cfg->bios_path != NULL)
    b->firmware = vmm_firmware_new_bios (cfg->bios_path, error);
  else
    b->firmware = vmm_firmware_new_uefi (cfg->uefi_code_path, cfg->uefi_vars_path,
                                         cfg->persist_vars, error);
  if (b->firmware == NULL)
    return NULL;

  b->fw_cfg = vmm_fw_cfg_new (mem);
  if (!fill_fw_cfg (b, cfg, error))
    return NULL;
  b->debugcon = vmm_debugcon_new (cfg->debug_out, cfg->debug_opaque);

  if (!registered (vmm_fw_cfg_register (b->fw_cfg, pio), "firmware configuration device", error)
      || !registered (vmm_debugcon_register (b->debugcon, pio, VMM_DEBUGCON_PORT),
                      "firmware debug console", error)
      || !registered (vmm_firmware_register (b->firmware, mmio), "UEFI variable store", error))
    {
      /* Nothing runs yet, so the buses may forget these devices before
       * they are freed. Ranges that were never registered are ignored. */
      vmm_bus_unregister (pio, VMM_FW_CFG_PORT_SELECTOR, b->fw_cfg);
      vmm_bus_unregister (pio, VMM_DEBUGCON_PORT, b->debugcon);
      vmm_firmware_unregister (b->firmware, mmio);
      return NULL;
    }
  return g_steal_pointer (&b);
}

/* Only ever called on a machine's teardown, after its buses stopped
 * dispatching to these devices. */
void
vmm_firmware_boot_free (VmmFirmwareBoot *b)
{
  if (b == NULL)
    return;
  vmm_firmware_free (b->firmware);
  vmm_fw_cfg_free (b->fw_cfg);
  vmm_debugcon_free (b->debugcon);
  g_free (b);
}

uint64_t
vmm_firmware_boot_base (const VmmFirmwareBoot *b)
{
  g_return_val_if_fail (b != NULL, VMM_FIRMWARE_TOP);
  return vmm_firmware_base (b->firmware);
}

gboolean
vmm_firmware_boot_load (VmmFirmwareBoot *b, int vm_fd, uint32_t first_slot,
                        uint8_t *ram, uint64_t ram_len, GError **error)
{
  g_return_val_if_fail (b != NULL && ram != NULL, FALSE);
  g_return_val_if_fail (ram_len >= VMM_FIRMWARE_LEGACY_BASE + VMM_FIRMWARE_LEGACY_SIZE, FALSE);

  if (!vmm_firmware_map (b->firmware, vm_fd, first_slot, error))
    return FALSE;
  vmm_firmware_load_legacy (b->firmware, ram, ram_len);
  vmm_fw_cfg_reset (b->fw_cfg);
  return TRUE;
}

void
vmm_firmware_boot_setup_bsp (struct kvm_sregs *sregs, struct kvm_regs *regs)
{
  vmm_firmware_reset_state (sregs, regs);
}

void
vmm_firmware_boot_flush (VmmFirmwareBoot *b)
{
  g_return_if_fail (b != NULL);
  vmm_firmware_flush (b->firmware);
}

gboolean
vmm_firmware_boot_add_rom (VmmFirmwareBoot *b, const char *name, const char *path,
                           const char *package, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) rom = NULL;
  char *data = NULL;
  gsize len = 0;
  int r;

  g_return_val_if_fail (b != NULL && name != NULL && path != NULL && package != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Cannot read the option ROM “%s” (%s); install the “%s” package",
                   path, local->message, package);
      return FALSE;
    }
  rom = g_bytes_new_take (data, len);
  r = vmm_fw_cfg_add_file (b->fw_cfg, name, rom, FALSE);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, r == -EEXIST ? G_IO_ERROR_EXISTS : G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot add the option ROM “%s”: %s", name, g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

gboolean
vmm_firmware_boot_set_bootorder (VmmFirmwareBoot *b, const char *paths, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) bytes = NULL;
  int r;

  g_return_val_if_fail (b != NULL && paths != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* A kernel handed to SeaBIOS is what the user asked to boot: its ROM
   * stays ahead of every drive. */
  text = b->linuxboot ? g_strconcat (VMM_FW_LINUXBOOT_BOOTORDER "\n", paths, NULL)
                      : g_strdup (paths);
  /* The firmware reads it as a string: the NUL goes with it. */
  bytes = g_bytes_new (text, strlen (text) + 1);
  r = vmm_fw_cfg_set_file (b->fw_cfg, "bootorder", bytes);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                   "Cannot set the boot order: %s", g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

VmmFwCfg *
vmm_firmware_boot_get_fw_cfg (VmmFirmwareBoot *b)
{
  g_return_val_if_fail (b != NULL, NULL);
  return b->fw_cfg;
}
