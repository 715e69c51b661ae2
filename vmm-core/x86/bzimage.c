/* bzimage.c: the Linux x86 boot protocol for direct boot.
 *
 * Only the fields the 64-bit entry path uses are read, and each is checked
 * against the file's length before it is read: the kernel file comes from
 * the user and may be anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bzimage.h"

#include <gio/gio.h>
#include <string.h>

#include "byteorder.h"
#include "layout.h"

/* Setup header fields (offsets in the file and in the zero page). */
#define HDR_SETUP_SECTS       0x1f1
#define HDR_SYSSIZE           0x1f4
#define HDR_JUMP              0x200
#define HDR_MAGIC             0x202
#define HDR_VERSION           0x206
#define HDR_TYPE_OF_LOADER    0x210
#define HDR_LOADFLAGS         0x211
#define HDR_RAMDISK_IMAGE     0x218
#define HDR_RAMDISK_SIZE      0x21c
#define HDR_HEAP_END_PTR      0x224
#define HDR_CMD_LINE_PTR      0x228
#define HDR_INITRD_ADDR_MAX   0x22c
#define HDR_KERNEL_ALIGNMENT  0x230
#define HDR_RELOCATABLE       0x234
#define HDR_XLOADFLAGS        0x236
#define HDR_CMDLINE_SIZE      0x238
#define HDR_PREF_ADDRESS      0x258
#define HDR_INIT_SIZE         0x260
/* Everything up to and including init_size must be in the header. */
#define HDR_MIN_END           0x264

/* Zero page fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR     0x070
#define BP_EXT_RAMDISK_IMAGE  0x0c0
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8
#define BP_E820_TABLE         0x2d0
#define BP_E820_ENTRY_SIZE    20

#define MIN_PROTOCOL          0x0206
#define PROTOCOL_XLOADFLAGS   0x020c
#define PROTOCOL_RSDP         0x020e
#define SECTOR                512u
#define PAGE                  4096u
#define MiB                   (1024u * 1024u)

/* The real-mode heap ends where QEMU and GRUB put it; the 64-bit entry path
 * never runs the setup code, but the kernel still reads the field. */
#define HEAP_END_PTR          (0xfe00 - 0x200)

static gboolean
fail (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "The kernel file is not a usable Linux kernel (bzImage): %s", what);
  return FALSE;
}

static uint64_t
align_up (uint64_t v, uint64_t align)
{
  return (v + align - 1) & ~(align - 1);
}

static gboolean
is_pow2 (uint64_t v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

gboolean
vmm_bzimage_parse (const uint8_t *data, size_t len, VmmBzImage *out, GError **error)
{
  uint8_t setup_sects;
  uint64_t syssize, pref, kernel_alignment, run_addr, need;
  size_t hdr_end;
  gboolean relocatable;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);

  if (len < HDR_VERSION + 2 || memcmp (data + HDR_MAGIC, "HdrS", 4) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The kernel file is not a Linux kernel (bzImage)");
      return FALSE;
    }

  out->protocol = vmm_le16 (data + HDR_VERSION);
  if (out->protocol < MIN_PROTOCOL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The kernel is too old: it speaks boot protocol %u.%02u, and Vireo needs 2.06 or newer",
                   out->protocol >> 8, out->protocol & 0xff);
      return FALSE;
    }
  if (out->protocol < PROTOCOL_XLOADFLAGS)
    return fail (error, "it has no 64-bit entry point (boot protocol older than 2.12)");

  /* The header's own length is given by the short jump at 0x200 that
   * skips it; the kernel's fields must all be inside it. */
  hdr_end = HDR_JUMP + 2 + data[HDR_JUMP + 1];
  if (hdr_end < HDR_MIN_END)
    return fail (error, "its boot header is too short");
  if (hdr_end > VMM_BOOT_HDR_END)
    hdr_end = VMM_BOOT_HDR_END;

  setup_sects = data[HDR_SETUP_SECTS];
  out->setup_size = ((setup_sects ? setup_sects : 4) + 1) * SECTOR;
  if (out->setup_size >= len)
    return fail (error, "the file is truncated (its setup code runs past the end of the file)");

  out->kernel = data + out->setup_size;
  out->kernel_len = len - out->setup_size;
  syssize = (uint64_t) vmm_le32 (data + HDR_SYSSIZE) * 16;
  /* syssize counts 16-byte paragraphs, so the last one may be partial. */
  if (syssize > align_up (out->kernel_len, 16))
    return fail (error, "the file is truncated (the kernel is shorter than its header says)");

  out->xloadflags = vmm_le16 (data + HDR_XLOADFLAGS);
  if (!(out->xloadflags & VMM_BOOT_XLF_KERNEL_64))
    return fail (error, "it is not a 64-bit x86 kernel (no 64-bit entry point)");

  out->initrd_addr_max = vmm_le32 (data + HDR_INITRD_ADDR_MAX);
  out->cmdline_size = vmm_le32 (data + HDR_CMDLINE_SIZE);
  out->init_size = vmm_le32 (data + HDR_INIT_SIZE);
  if (out->init_size == 0)
    return fail (error, "its boot header gives no init_size");

  relocatable = data[HDR_RELOCATABLE] != 0;
  kernel_alignment = vmm_le32 (data + HDR_KERNEL_ALIGNMENT);
  pref = vmm_le64 (data + HDR_PREF_ADDRESS);
  if (relocatable && !is_pow2 (kernel_alignment))
    return fail (error, "its boot header has an invalid kernel_alignment");
  if (!relocatable)
    kernel_alignment = 1;

  /* The decompressor runs the kernel at pref_address at the lowest (a
   * relocatable kernel loaded lower moves up to it), so the kernel's
   * footprint is measured from there. A pref_address that does not fit
   * below the low RAM limit is a damaged header. */
  if (pref < VMM_HIMEM_START || pref % kernel_alignment != 0 || pref >= VMM_LOWMEM_LIMIT)
    {
      if (!relocatable || pref != 0)
        return fail (error, "its boot header has an invalid pref_address");
      pref = VMM_HIMEM_START;
    }
  out->load_addr = relocatable ? pref : VMM_HIMEM_START;
  run_addr = MAX (align_up (out->load_addr, kernel_alignment), pref);
  need = MAX ((uint64_t) out->init_size, (uint64_t) out->kernel_len);
  out->kernel_end = MAX (run_addr + need, out->load_addr + out->kernel_len);
  if (out->kernel_end > VMM_LOWMEM_LIMIT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The kernel file is not a usable Linux kernel (bzImage): it asks for %" G_GUINT64_FORMAT
                   " MiB to start, more than fits in a guest's low memory",
                   need / MiB);
      return FALSE;
    }

  memcpy (out->header, data + VMM_BOOT_HDR_OFFSET, hdr_end - VMM_BOOT_HDR_OFFSET);
  return TRUE;
}

gboolean
vmm_bzimage_place_initrd (const VmmBzImage *img, uint64_t lowmem_end, uint64_t kernel_end,
                          uint64_t initrd_len, uint64_t *gpa_out, GError **error)
{
  uint64_t limit, needed;

  g_return_val_if_fail (img != NULL, FALSE);
  g_return_val_if_fail (gpa_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* limit is the last byte the initrd may occupy. */
  limit = lowmem_end ? MIN ((uint64_t) img->initrd_addr_max, lowmem_end - 1) : 0;
  if (lowmem_end != 0 && initrd_len <= limit + 1)
    {
      uint64_t start = (limit + 1 - initrd_len) & ~(uint64_t) (PAGE - 1);

      if (start >= kernel_end)
        {
          *gpa_out = start;
          return TRUE;
        }
    }

  /* The guest's low RAM would have to reach past the kernel plus the
   * initrd; when even the kernel's own limit is below that, more memory
   * does not help. */
  needed = align_up (kernel_end, PAGE) + initrd_len;
  if (needed > (uint64_t) img->initrd_addr_max + 1 || needed > VMM_LOWMEM_LIMIT)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 "The initrd (%" G_GUINT64_FORMAT " MiB) is too large: this kernel needs it to end below %"
                 G_GUINT64_FORMAT " MiB, after the kernel's own %" G_GUINT64_FORMAT " MiB",
                 (initrd_len + MiB - 1) / MiB,
                 (MIN ((uint64_t) img->initrd_addr_max, (uint64_t) VMM_LOWMEM_LIMIT - 1) + 1) / MiB,
                 (kernel_end + MiB - 1) / MiB);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 "The initrd (%" G_GUINT64_FORMAT " MiB) is too large for the guest's memory: "
                 "the machine needs at least %" G_GUINT64_FORMAT " MiB of memory for this kernel and initrd",
                 (initrd_len + MiB - 1) / MiB, (needed + MiB - 1) / MiB);
  return FALSE;
}

gboolean
vmm_bzimage_setup_zero_page (const VmmBzImage *img, uint8_t zero_page[4096],
                             const VmmE820Entry *e820, size_t n_e820,
                             uint64_t cmdline_gpa, uint32_t cmdline_len,
                             uint64_t initrd_gpa, uint32_t initrd_len,
                             uint64_t rsdp_gpa, GError **error)
{
  g_return_val_if_fail (img != NULL, FALSE);
  g_return_val_if_fail (zero_page != NULL, FALSE);
  g_return_val_if_fail (e820 != NULL || n_e820 == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cmdline_len > img->cmdline_size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The kernel command line is too long: %u characters, and this kernel accepts at most %u",
                   cmdline_len, img->cmdline_size);
      return FALSE;
    }
  if (n_e820 > VMM_BOOT_E820_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The memory map has %zu entries, more than the %u a Linux zero page holds",
                   n_e820, VMM_BOOT_E820_MAX);
      return FALSE;
    }

  /* A zeroed page also zeroes the sentinel byte, telling the kernel that
   * every field it does not find set here was deliberately left empty. */
  memset (zero_page, 0, 4096);
  memcpy (zero_page + VMM_BOOT_HDR_OFFSET, img->header, sizeof img->header);

  zero_page[HDR_TYPE_OF_LOADER] = 0xff;
  zero_page[HDR_LOADFLAGS] |= VMM_BOOT_LOADED_HIGH | VMM_BOOT_CAN_USE_HEAP;
  vmm_put_le16 (zero_page + HDR_HEAP_END_PTR, HEAP_END_PTR);

  vmm_put_le32 (zero_page + HDR_CMD_LINE_PTR, (uint32_t) cmdline_gpa);
  vmm_put_le32 (zero_page + BP_EXT_CMD_LINE_PTR, (uint32_t) (cmdline_gpa >> 32));

  vmm_put_le32 (zero_page + HDR_RAMDISK_IMAGE, (uint32_t) initrd_gpa);
  vmm_put_le32 (zero_page + BP_EXT_RAMDISK_IMAGE, (uint32_t) (initrd_gpa >> 32));
  vmm_put_le32 (zero_page + HDR_RAMDISK_SIZE, initrd_len);
  vmm_put_le32 (zero_page + BP_EXT_RAMDISK_SIZE, 0);

  zero_page[BP_E820_ENTRIES] = (uint8_t) n_e820;
  for (size_t i = 0; i < n_e820; i++)
    {
      uint8_t *e = zero_page + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

      vmm_put_le64 (e, e820[i].addr);
      vmm_put_le64 (e + 8, e820[i].size);
      vmm_put_le32 (e + 16, e820[i].type);
    }

  /* Boot protocol 2.14 is where the kernel learned to take the RSDP from
   * here; older kernels find it by scanning the BIOS area. */
  if (img->protocol >= PROTOCOL_RSDP)
    vmm_put_le64 (zero_page + BP_ACPI_RSDP_ADDR, rsdp_gpa);

  return TRUE;
}
