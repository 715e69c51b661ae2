/* fw-cfg-pc.c: the fw_cfg items of a QEMU-shaped PC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/fw-cfg-pc.h"

#include <gio/gio.h>
#include <string.h>

#include "x86/bzimage.h"
#include "x86/e820.h"
#include "x86/layout.h"

#define E820_ENTRY_SIZE   20
#define SYSTEM_STATES     6
#define STATE_ENABLED     0x80

/* Setup header fields the loader writes (offsets from the image start). */
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS      0x211
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_HEAP_END_PTR   0x224
#define HDR_CMD_LINE_PTR   0x228
/* Option ROM layout (linuxboot-rom.S). */
#define ROM_BLOCK          512
#define ROM_SIZE_AT        2
#define ROM_PNP_PTR_AT     0x1a
#define PNP_SIZE           32
#define PNP_CHECKSUM_AT    9

extern const uint8_t vmm_linuxboot_rom[], vmm_linuxboot_rom_end[];

/* "Undefined" boot loader, version 0: there is no registered ID for us. */
#define LOADER_TYPE        0xff

static gboolean
add_file (VmmFwCfg *fw, const char *name, const void *data, size_t len, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  int r = vmm_fw_cfg_add_file (fw, name, bytes, FALSE);

  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot add “%s” to fw_cfg: %s", name, g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

static void
put_e820 (uint8_t *e, uint64_t addr, uint64_t size, uint32_t type)
{
  vmm_le_put (e, 8, addr);
  vmm_le_put (e + 8, 8, size);
  vmm_le_put (e + 16, 4, type);
}

gboolean
vmm_fw_cfg_setup_pc (VmmFwCfg *fw, const VmmFwCfgPcConfig *cfg, GError **error)
{
  uint8_t e820[2 * E820_ENTRY_SIZE];
  uint8_t states[SYSTEM_STATES] = { 0 };
  size_t n_e820 = 0;

  g_return_val_if_fail (fw != NULL && cfg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cfg->lowmem_size == 0 || cfg->lowmem_size > cfg->ram_size
      || cfg->lowmem_size > VMM_LOWMEM_LIMIT
      || cfg->ram_size - cfg->lowmem_size > UINT64_MAX - VMM_HIGHMEM_BASE
      || cfg->n_cpus == 0 || cfg->n_cpus > cfg->max_cpus || cfg->max_cpus > G_MAXUINT16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fw_cfg cannot describe %" G_GUINT64_FORMAT " bytes of RAM (%" G_GUINT64_FORMAT
                   " low) and %u of %u CPUs",
                   cfg->ram_size, cfg->lowmem_size, cfg->n_cpus, cfg->max_cpus);
      return FALSE;
    }

  vmm_fw_cfg_set_u64 (fw, FW_CFG_RAM_SIZE, cfg->ram_size);
  vmm_fw_cfg_set_u16 (fw, FW_CFG_NB_CPUS, (uint16_t) cfg->n_cpus);
  vmm_fw_cfg_set_u16 (fw, FW_CFG_MAX_CPUS, (uint16_t) cfg->max_cpus);
  vmm_fw_cfg_set_u16 (fw, FW_CFG_NOGRAPHIC, 0);
  vmm_fw_cfg_set_u16 (fw, FW_CFG_BOOT_MENU, 0);
  /* The MADT maps ISA IRQ 0 to GSI 2 itself. */
  vmm_fw_cfg_set_u32 (fw, VMM_FW_CFG_X86_IRQ0_OVERRIDE, 1);

  /* Only RAM: the firmware reserves its own legacy areas and describes
   * the ECAM window it programs. */
  put_e820 (e820, 0, cfg->lowmem_size, VMM_E820_RAM);
  n_e820++;
  if (cfg->ram_size > cfg->lowmem_size)
    put_e820 (e820 + E820_ENTRY_SIZE * n_e820++, VMM_HIGHMEM_BASE,
              cfg->ram_size - cfg->lowmem_size, VMM_E820_RAM);
  if (!add_file (fw, "etc/e820", e820, n_e820 * E820_ENTRY_SIZE, error))
    return FALSE;

  /* Indexed by sleep state: bit 7 says the state exists, the low bits
   * are its SLP_TYP. Only S5 is implemented by the PM block. */
  states[0] = STATE_ENABLED;
  states[5] = STATE_ENABLED | VMM_ACPI_SLP_TYP_S5;
  if (!add_file (fw, "etc/system-states", states, sizeof states, error))
    return FALSE;

  if (cfg->bootorder != NULL
      && !add_file (fw, "bootorder", cfg->bootorder, strlen (cfg->bootorder) + 1, error))
    return FALSE;

  if (cfg->sercon_port != 0)
    {
      uint8_t port[4];

      vmm_le_put (port, sizeof port, cfg->sercon_port);
      if (!add_file (fw, "etc/sercon-port", port, sizeof port, error))
        return FALSE;
    }
  return TRUE;
}

static uint8_t
byte_sum (const uint8_t *p, size_t len)
{
  uint8_t sum = 0;

  for (size_t i = 0; i < len; i++)
    sum = (uint8_t) (sum + p[i]);
  return sum;
}

gboolean
vmm_fw_cfg_add_linuxboot (VmmFwCfg *fw, GError **error)
{
  size_t code = (size_t) (vmm_linuxboot_rom_end - vmm_linuxboot_rom);
  size_t len = (code + 1 + ROM_BLOCK - 1) / ROM_BLOCK * ROM_BLOCK;
  g_autofree uint8_t *rom = g_malloc0 (len);
  unsigned pnp;

  g_return_val_if_fail (fw != NULL, FALSE);

  /* Size and checksums are filled in here rather than at build time: a
   * byte sum is all they are, and the build needs no extra tool. The
   * last byte, past the code, balances the whole ROM to zero. */
  memcpy (rom, vmm_linuxboot_rom, code);
  rom[ROM_SIZE_AT] = (uint8_t) (len / ROM_BLOCK);
  pnp = (unsigned) vmm_le_get (rom + ROM_PNP_PTR_AT, 2);
  g_assert (pnp + PNP_SIZE <= code);
  rom[pnp + PNP_CHECKSUM_AT] = (uint8_t) -byte_sum (rom + pnp, PNP_SIZE);
  rom[len - 1] = (uint8_t) -byte_sum (rom, len - 1);
  return add_file (fw, VMM_FW_LINUXBOOT_ROM, rom, len, error);
}

static void
set_blob (VmmFwCfg *fw, uint16_t key, const void *data, size_t len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  vmm_fw_cfg_set_item (fw, key, bytes);
}

gboolean
vmm_fw_cfg_add_kernel (VmmFwCfg *fw, GBytes *kernel, GBytes *initrd, const char *cmdline,
                       uint64_t lowmem_size, GError **error)
{
  const uint8_t *data;
  g_autofree uint8_t *setup = NULL;
  VmmBzImage img;
  size_t len, cmdline_len = cmdline != NULL ? strlen (cmdline) : 0;
  uint64_t initrd_gpa = 0;
  size_t initrd_len = initrd != NULL ? g_bytes_get_size (initrd) : 0;

  g_return_val_if_fail (fw != NULL && kernel != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (kernel, &len);
  if (!vmm_bzimage_parse (data, len, &img, error))
    return FALSE;
  if (img.kernel_len > G_MAXUINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The kernel is larger than 4 GiB");
      return FALSE;
    }
  if (cmdline_len > img.cmdline_size
      || VMM_FW_KERNEL_CMDLINE_ADDR + cmdline_len + 1 > VMM_EBDA_START)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The kernel command line is %zu bytes long; this kernel accepts at most %u",
                   cmdline_len, img.cmdline_size);
      return FALSE;
    }
  if (img.setup_size > VMM_FW_KERNEL_CMDLINE_ADDR - VMM_FW_KERNEL_SETUP_ADDR
      || lowmem_size <= VMM_FW_HIGH_RESERVE || img.kernel_end > lowmem_size - VMM_FW_HIGH_RESERVE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "The kernel needs more memory to start; give the guest more memory");
      return FALSE;
    }
  if (initrd != NULL
      && !vmm_bzimage_place_initrd (&img, lowmem_size - VMM_FW_HIGH_RESERVE, img.kernel_end,
                                    initrd_len, &initrd_gpa, error))
    return FALSE;

  /* The real-mode part with its header filled in as a loader does: the
   * heap runs up to the command line, which follows the setup. */
  setup = g_memdup2 (data, img.setup_size);
  setup[HDR_TYPE_OF_LOADER] = LOADER_TYPE;
  setup[HDR_LOADFLAGS] |= VMM_BOOT_CAN_USE_HEAP;
  vmm_le_put (setup + HDR_HEAP_END_PTR, 2,
              VMM_FW_KERNEL_CMDLINE_ADDR - VMM_FW_KERNEL_SETUP_ADDR - 0x200);
  vmm_le_put (setup + HDR_CMD_LINE_PTR, 4, VMM_FW_KERNEL_CMDLINE_ADDR);
  vmm_le_put (setup + HDR_RAMDISK_IMAGE, 4, initrd_gpa);
  vmm_le_put (setup + HDR_RAMDISK_SIZE, 4, initrd_len);

  vmm_fw_cfg_set_u32 (fw, FW_CFG_SETUP_ADDR, VMM_FW_KERNEL_SETUP_ADDR);
  vmm_fw_cfg_set_u32 (fw, FW_CFG_SETUP_SIZE, img.setup_size);
  set_blob (fw, FW_CFG_SETUP_DATA, setup, img.setup_size);

  vmm_fw_cfg_set_u32 (fw, FW_CFG_KERNEL_ADDR, VMM_FW_KERNEL_ADDR);
  vmm_fw_cfg_set_u32 (fw, FW_CFG_KERNEL_SIZE, (uint32_t) img.kernel_len);
  set_blob (fw, FW_CFG_KERNEL_DATA, img.kernel, img.kernel_len);

  vmm_fw_cfg_set_u32 (fw, FW_CFG_CMDLINE_ADDR, VMM_FW_KERNEL_CMDLINE_ADDR);
  vmm_fw_cfg_set_u32 (fw, FW_CFG_CMDLINE_SIZE, (uint32_t) cmdline_len + 1);
  set_blob (fw, FW_CFG_CMDLINE_DATA, cmdline != NULL ? cmdline : "", cmdline_len + 1);

  vmm_fw_cfg_set_u32 (fw, FW_CFG_INITRD_ADDR, (uint32_t) initrd_gpa);
  vmm_fw_cfg_set_u32 (fw, FW_CFG_INITRD_SIZE, (uint32_t) initrd_len);
  if (initrd != NULL)
    set_blob (fw, FW_CFG_INITRD_DATA, g_bytes_get_data (initrd, NULL), initrd_len);
  return TRUE;
}
