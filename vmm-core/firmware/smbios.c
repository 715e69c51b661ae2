/* smbios.c: the SMBIOS 2.8 structures of Vireo's PC (DMTF DSP0134).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/smbios.h"

#include <gio/gio.h>
#include <string.h>

#include "x86/layout.h"

#define EP_SIZE           0x1f
#define EP_DMI_AT         0x10

#define TYPE_SYSTEM       1
#define TYPE_CHASSIS      3
#define TYPE_PROCESSOR    4
#define TYPE_MEM_ARRAY    16
#define TYPE_MEM_DEVICE   17
#define TYPE_MEM_MAPPED   19
#define TYPE_BOOT_INFO    32
#define TYPE_END          127

#define NO_HANDLE         0xffff
#define NOT_PROVIDED      0xfffe
#define SIZE_EXTENDED_MB  0x7fff     /* type 17: size in the extended field */
#define KIB_EXTENDED      0xffffffffu /* type 19: addresses in the extended fields */

#define VENDOR            "Vireo"
#define PRODUCT           "Vireo Virtual Machine"

typedef struct {
  GByteArray *table;
  guint n_structures;
  guint max_size;
  uint16_t next_handle;
} Builder;

/* A structure of @len formatted bytes (type and length set, handle
 * allocated, the rest zero) followed by @strings (NULL-terminated list;
 * string numbers in the formatted area count from 1). Returns its handle;
 * @body receives the formatted area to fill in. */
static uint16_t
begin (Builder *b, uint8_t type, uint8_t len, guint *body)
{
  guint at = b->table->len;
  uint16_t handle = b->next_handle++;

  g_byte_array_set_size (b->table, at + len);
  memset (b->table->data + at, 0, len);
  b->table->data[at] = type;
  b->table->data[at + 1] = len;
  vmm_le_put (b->table->data + at + 2, 2, handle);
  *body = at;
  return handle;
}

static void
end (Builder *b, guint at, const char *const *strings)
{
  static const uint8_t nul = 0;
  gboolean any = FALSE;

  for (const char *const *s = strings; s != NULL && *s != NULL; s++)
    {
      g_byte_array_append (b->table, (const uint8_t *) *s, (guint) strlen (*s) + 1);
      any = TRUE;
    }
  /* The string set ends with an extra NUL; an empty set is two NULs. */
  if (!any)
    g_byte_array_append (b->table, &nul, 1);
  g_byte_array_append (b->table, &nul, 1);
  b->n_structures++;
  b->max_size = MAX (b->max_size, b->table->len - at);
}

static uint8_t *
at (Builder *b, guint body)
{
  return b->table->data + body;
}

/* SMBIOS 2.6+ stores the UUID's first three fields (time_low, time_mid,
 * time_hi_and_version) little-endian, the rest as in RFC 4122. */
static void
put_uuid (uint8_t *out, const uint8_t *uuid)
{
  static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

  for (int i = 0; i < 16; i++)
    out[i] = uuid[order[i]];
}

static void
add_system (Builder *b, const VmmSmbiosConfig *cfg)
{
  const char *strings[] = { VENDOR, PRODUCT, "1", "Virtual Machine", NULL };
  guint s;

  begin (b, TYPE_SYSTEM, 0x1b, &s);
  at (b, s)[4] = 1;                 /* manufacturer */
  at (b, s)[5] = 2;                 /* product */
  at (b, s)[6] = 3;                 /* version */
  if (cfg->uuid != NULL)
    put_uuid (at (b, s) + 8, cfg->uuid);
  at (b, s)[0x18] = 6;              /* woken by the power switch */
  at (b, s)[0x1a] = 4;              /* family */
  end (b, s, strings);
}

static void
add_chassis (Builder *b)
{
  const char *strings[] = { VENDOR, NULL };
  guint s;

  begin (b, TYPE_CHASSIS, 0x16, &s);
  at (b, s)[4] = 1;                 /* manufacturer */
  at (b, s)[5] = 0x01;              /* type: other */
  at (b, s)[9] = 0x03;              /* boot-up state: safe */
  at (b, s)[0xa] = 0x03;            /* power supply: safe */
  at (b, s)[0xb] = 0x03;            /* thermal: safe */
  at (b, s)[0xc] = 0x02;            /* security: unknown */
  end (b, s, strings);
}

static void
add_processor (Builder *b, unsigned n_cpus)
{
  const char *strings[] = { "CPU 0", VENDOR, NULL };
  guint s;

  begin (b, TYPE_PROCESSOR, 0x2a, &s);
  at (b, s)[4] = 1;                 /* socket designation */
  at (b, s)[5] = 0x03;              /* central processor */
  at (b, s)[6] = 0xfe;              /* family: see family 2 */
  at (b, s)[7] = 2;                 /* manufacturer */
  vmm_le_put (at (b, s) + 0x14, 2, 2000);   /* max speed, MHz: nominal */
  vmm_le_put (at (b, s) + 0x16, 2, 2000);
  at (b, s)[0x18] = 0x41;           /* socket populated, CPU enabled */
  at (b, s)[0x19] = 0x01;           /* upgrade: other */
  vmm_le_put (at (b, s) + 0x1a, 2, NO_HANDLE);
  vmm_le_put (at (b, s) + 0x1c, 2, NO_HANDLE);
  vmm_le_put (at (b, s) + 0x1e, 2, NO_HANDLE);
  at (b, s)[0x23] = (uint8_t) n_cpus;        /* cores */
  at (b, s)[0x24] = (uint8_t) n_cpus;        /* enabled */
  at (b, s)[0x25] = (uint8_t) n_cpus;        /* threads */
  vmm_le_put (at (b, s) + 0x26, 2, 0x0004);  /* 64-bit capable */
  vmm_le_put (at (b, s) + 0x28, 2, 0x0001);  /* family 2: other */
  end (b, s, strings);
}

static void
add_memory (Builder *b, const VmmSmbiosConfig *cfg)
{
  const char *device_strings[] = { "DIMM 0", VENDOR, NULL };
  uint64_t mib = cfg->ram_size >> 20;
  uint16_t array;
  guint s;

  array = begin (b, TYPE_MEM_ARRAY, 0x17, &s);
  at (b, s)[4] = 0x01;              /* location: other */
  at (b, s)[5] = 0x03;              /* use: system memory */
  at (b, s)[6] = 0x03;              /* error correction: none */
  vmm_le_put (at (b, s) + 7, 4, 0x80000000u);  /* capacity: see extended */
  vmm_le_put (at (b, s) + 0xb, 2, NOT_PROVIDED);
  vmm_le_put (at (b, s) + 0xd, 2, 1);
  vmm_le_put (at (b, s) + 0xf, 8, cfg->ram_size);
  end (b, s, NULL);

  begin (b, TYPE_MEM_DEVICE, 0x28, &s);
  vmm_le_put (at (b, s) + 4, 2, array);
  vmm_le_put (at (b, s) + 6, 2, NOT_PROVIDED);
  vmm_le_put (at (b, s) + 8, 2, 0xffff);       /* widths unknown */
  vmm_le_put (at (b, s) + 0xa, 2, 0xffff);
  if (mib < SIZE_EXTENDED_MB)
    vmm_le_put (at (b, s) + 0xc, 2, mib);
  else
    {
      vmm_le_put (at (b, s) + 0xc, 2, SIZE_EXTENDED_MB);
      vmm_le_put (at (b, s) + 0x1c, 4, mib);
    }
  at (b, s)[0xe] = 0x09;            /* DIMM */
  at (b, s)[0x10] = 1;              /* device locator */
  at (b, s)[0x12] = 0x07;           /* RAM */
  vmm_le_put (at (b, s) + 0x13, 2, 0x0002);    /* detail: other */
  at (b, s)[0x17] = 2;              /* manufacturer */
  end (b, s, device_strings);

  /* One mapped range per RAM region, addresses inclusive. */
  for (int i = 0; i < 2; i++)
    {
      uint64_t start = i == 0 ? 0 : VMM_HIGHMEM_BASE;
      uint64_t size = i == 0 ? cfg->lowmem_size : cfg->ram_size - cfg->lowmem_size;
      uint64_t last = start + size - 1;

      if (size == 0)
        continue;
      begin (b, TYPE_MEM_MAPPED, 0x1f, &s);
      if (last >> 10 < KIB_EXTENDED)
        {
          vmm_le_put (at (b, s) + 4, 4, start >> 10);
          vmm_le_put (at (b, s) + 8, 4, last >> 10);
        }
      else
        {
          vmm_le_put (at (b, s) + 4, 4, KIB_EXTENDED);
          vmm_le_put (at (b, s) + 8, 4, KIB_EXTENDED);
          vmm_le_put (at (b, s) + 0xf, 8, start);
          vmm_le_put (at (b, s) + 0x17, 8, last);
        }
      vmm_le_put (at (b, s) + 0xc, 2, array);
      at (b, s)[0xe] = 1;           /* partition width */
      end (b, s, NULL);
    }
}

static uint8_t
byte_sum (const uint8_t *p, size_t len)
{
  uint8_t sum = 0;

  for (size_t i = 0; i < len; i++)
    sum = (uint8_t) (sum + p[i]);
  return sum;
}

static gboolean
add_file (VmmFwCfg *fw, const char *name, const void *data, size_t len, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  int r = vmm_fw_cfg_add_file (fw, name, bytes, FALSE);

  if (r < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "Cannot add “%s” to fw_cfg: %s", name, g_strerror (-r));
  return r >= 0;
}

gboolean
vmm_fw_cfg_add_smbios (VmmFwCfg *fw, const VmmSmbiosConfig *cfg, GError **error)
{
  g_autoptr(GByteArray) table = g_byte_array_new ();
  Builder b = { .table = table, .next_handle = 0x100 };
  uint8_t ep[EP_SIZE] = { 0 };
  guint s;

  g_return_val_if_fail (fw != NULL && cfg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cfg->n_cpus == 0 || cfg->n_cpus > 255 || cfg->ram_size == 0
      || cfg->lowmem_size > cfg->ram_size || cfg->lowmem_size > VMM_LOWMEM_LIMIT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "SMBIOS cannot describe %u CPUs and %" G_GUINT64_FORMAT " bytes of RAM",
                   cfg->n_cpus, cfg->ram_size);
      return FALSE;
    }

  add_system (&b, cfg);
  add_chassis (&b);
  add_processor (&b, cfg->n_cpus);
  add_memory (&b, cfg);
  begin (&b, TYPE_BOOT_INFO, 0x0b, &s);
  end (&b, s, NULL);
  begin (&b, TYPE_END, 4, &s);
  end (&b, s, NULL);

  /* The 2.1-style (32-bit) entry point: SeaBIOS and OVMF both take it;
   * they fill in the table's address and redo the checksums. */
  memcpy (ep, "_SM_", 4);
  ep[5] = EP_SIZE;
  ep[6] = 2;
  ep[7] = 8;
  vmm_le_put (ep + 8, 2, b.max_size);
  memcpy (ep + EP_DMI_AT, "_DMI_", 5);
  vmm_le_put (ep + 0x16, 2, table->len);
  vmm_le_put (ep + 0x1c, 2, b.n_structures);
  ep[0x1e] = 0x28;
  ep[0x15] = (uint8_t) -byte_sum (ep + EP_DMI_AT, EP_SIZE - EP_DMI_AT);
  ep[4] = (uint8_t) -byte_sum (ep, EP_SIZE);

  if (vmm_fw_cfg_find_file (fw, VMM_SMBIOS_ANCHOR_FILE) >= 0
      || vmm_fw_cfg_find_file (fw, VMM_SMBIOS_TABLES_FILE) >= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fw_cfg has SMBIOS tables already");
      return FALSE;
    }
  if (!add_file (fw, VMM_SMBIOS_TABLES_FILE, table->data, table->len, error)
      || !add_file (fw, VMM_SMBIOS_ANCHOR_FILE, ep, sizeof ep, error))
    return FALSE;
  if (cfg->uuid != NULL)
    {
      g_autoptr(GBytes) uuid = g_bytes_new (cfg->uuid, 16);

      vmm_fw_cfg_set_item (fw, FW_CFG_UUID, uuid);
    }
  return TRUE;
}
