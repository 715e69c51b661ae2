/* acpi-tables.c: a set of ACPI blobs and the fix-ups between them, and
 * laying the set out in guest memory for direct boot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "acpi-private.h"

#include <gio/gio.h>
#include <string.h>

#include "byteorder.h"

/* Blob names are fw_cfg file names: 56 bytes with the NUL. */
#define BLOB_NAME_MAX 55

typedef struct {
  char *name;
  GByteArray *data;
  uint32_t align;
  VmmAcpiZone zone;
} Blob;

struct _VmmAcpiTables {
  GPtrArray *blobs;      /* of Blob */
  GArray *pointers;      /* of VmmAcpiPointer */
  GArray *checksums;     /* of VmmAcpiChecksum */
};

static void
blob_free (gpointer p)
{
  Blob *b = p;

  g_free (b->name);
  g_byte_array_unref (b->data);
  g_free (b);
}

VmmAcpiTables *
vmm_acpi_tables_new (void)
{
  VmmAcpiTables *t = g_new0 (VmmAcpiTables, 1);

  t->blobs = g_ptr_array_new_with_free_func (blob_free);
  t->pointers = g_array_new (FALSE, FALSE, sizeof (VmmAcpiPointer));
  t->checksums = g_array_new (FALSE, FALSE, sizeof (VmmAcpiChecksum));
  return t;
}

void
vmm_acpi_free (VmmAcpiTables *t)
{
  if (t == NULL)
    return;
  g_ptr_array_unref (t->blobs);
  g_array_unref (t->pointers);
  g_array_unref (t->checksums);
  g_free (t);
}

guint
vmm_acpi_tables_add_blob (VmmAcpiTables *t, const char *name, GByteArray *data,
                          uint32_t align, VmmAcpiZone zone)
{
  Blob *b = g_new0 (Blob, 1);

  g_assert (strlen (name) <= BLOB_NAME_MAX);
  g_assert (align != 0 && (align & (align - 1)) == 0);
  b->name = g_strdup (name);
  b->data = data;
  b->align = align;
  b->zone = zone;
  g_ptr_array_add (t->blobs, b);
  return t->blobs->len - 1;
}

static Blob *
get_blob (const VmmAcpiTables *t, guint index)
{
  g_assert (index < t->blobs->len);
  return g_ptr_array_index (t->blobs, index);
}

void
vmm_acpi_tables_add_pointer (VmmAcpiTables *t, guint blob, uint32_t offset, uint8_t size,
                             guint target)
{
  VmmAcpiPointer p = { .blob = blob, .offset = offset, .size = size, .target = target };

  g_assert (size == 1 || size == 2 || size == 4 || size == 8);
  g_assert ((uint64_t) offset + size <= get_blob (t, blob)->data->len);
  g_assert (target < t->blobs->len);
  g_array_append_val (t->pointers, p);
}

void
vmm_acpi_tables_add_checksum (VmmAcpiTables *t, guint blob, uint32_t offset,
                              uint32_t start, uint32_t length)
{
  VmmAcpiChecksum c = { .blob = blob, .offset = offset, .start = start, .length = length };

  g_assert ((uint64_t) start + length <= get_blob (t, blob)->data->len);
  g_assert (offset >= start && offset - start < length);
  g_array_append_val (t->checksums, c);
}

GByteArray *
vmm_acpi_table_new (const char signature[4], uint8_t revision)
{
  GByteArray *table = g_byte_array_sized_new (VMM_ACPI_HEADER_SIZE);
  uint8_t *h;

  g_byte_array_set_size (table, VMM_ACPI_HEADER_SIZE);
  h = table->data;
  memset (h, 0, VMM_ACPI_HEADER_SIZE);
  memcpy (h, signature, 4);
  h[8] = revision;
  memcpy (h + 10, "VIREO ", 6);         /* OEM ID */
  memcpy (h + 16, "VIREO-PC", 8);       /* OEM table ID */
  vmm_put_le32 (h + 24, 1);             /* OEM revision */
  memcpy (h + 28, "VIRE", 4);           /* creator ID */
  vmm_put_le32 (h + 32, 1);             /* creator revision */
  return table;
}

guint
vmm_acpi_tables_add_table (VmmAcpiTables *t, GByteArray *table)
{
  g_autofree char *name = NULL;
  char sig[5] = { 0 };
  guint index, len = table->len;
  gboolean is_facs;

  memcpy (sig, table->data, 4);
  name = g_strdup_printf ("etc/acpi/%s", sig);
  /* FACS has no standard header: its length is at the same place, but it
   * carries no checksum, and it must be 64-byte aligned. 8 keeps the
   * other tables' fields naturally aligned. */
  is_facs = strcmp (sig, "FACS") == 0;
  vmm_put_le32 (table->data + 4, len);
  index = vmm_acpi_tables_add_blob (t, name, table, is_facs ? 64 : 8, VMM_ACPI_ZONE_HIGH);
  if (!is_facs)
    vmm_acpi_tables_add_checksum (t, index, VMM_ACPI_CHECKSUM_OFFSET, 0, len);
  return index;
}

guint
vmm_acpi_n_blobs (const VmmAcpiTables *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->blobs->len;
}

void
vmm_acpi_get_blob (const VmmAcpiTables *t, guint index, VmmAcpiBlob *out)
{
  const Blob *b;

  g_return_if_fail (t != NULL && out != NULL);
  g_return_if_fail (index < t->blobs->len);

  b = get_blob (t, index);
  *out = (VmmAcpiBlob) {
    .name = b->name,
    .data = b->data->data,
    .len = b->data->len,
    .align = b->align,
    .zone = b->zone,
  };
}

int
vmm_acpi_find_blob (const VmmAcpiTables *t, const char *signature)
{
  size_t sig_len;

  g_return_val_if_fail (t != NULL && signature != NULL, -1);

  sig_len = strlen (signature);
  for (guint i = 0; i < t->blobs->len; i++)
    {
      const Blob *b = get_blob (t, i);

      if (b->data->len >= sig_len && memcmp (b->data->data, signature, sig_len) == 0)
        return (int) i;
    }
  return -1;
}

guint
vmm_acpi_n_pointers (const VmmAcpiTables *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->pointers->len;
}

const VmmAcpiPointer *
vmm_acpi_get_pointer (const VmmAcpiTables *t, guint index)
{
  g_return_val_if_fail (t != NULL && index < t->pointers->len, NULL);
  return &g_array_index (t->pointers, VmmAcpiPointer, index);
}

guint
vmm_acpi_n_checksums (const VmmAcpiTables *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->checksums->len;
}

const VmmAcpiChecksum *
vmm_acpi_get_checksum (const VmmAcpiTables *t, guint index)
{
  g_return_val_if_fail (t != NULL && index < t->checksums->len, NULL);
  return &g_array_index (t->checksums, VmmAcpiChecksum, index);
}

static uint64_t
get_field (const uint8_t *p, uint8_t size)
{
  uint64_t v = 0;

  for (unsigned i = 0; i < size; i++)
    v |= (uint64_t) p[i] << (8 * i);
  return v;
}

static void
put_field (uint8_t *p, uint8_t size, uint64_t v)
{
  for (unsigned i = 0; i < size; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

gboolean
vmm_acpi_place (VmmAcpiTables *t, uint64_t base_gpa, uint8_t *buf, size_t buf_len,
                uint64_t *rsdp_gpa, GError **error)
{
  g_autofree uint64_t *offsets = NULL;
  uint64_t end = 0;
  int rsdp;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (buf != NULL || buf_len == 0, FALSE);
  g_return_val_if_fail (rsdp_gpa != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rsdp = vmm_acpi_find_blob (t, "RSD PTR ");
  g_return_val_if_fail (rsdp >= 0, FALSE);

  /* Offsets into @buf, aligned in guest-physical terms: the RSDP first,
   * then the rest in the order they were added. */
  offsets = g_new0 (uint64_t, t->blobs->len);
  for (guint n = 0; n < t->blobs->len; n++)
    {
      guint i = n == 0 ? (guint) rsdp : (n <= (guint) rsdp ? n - 1 : n);
      const Blob *b = get_blob (t, i);
      uint64_t gpa = base_gpa + end;

      gpa = (gpa + b->align - 1) & ~(uint64_t) (b->align - 1);
      offsets[i] = gpa - base_gpa;
      end = offsets[i] + b->data->len;
    }
  if (end > buf_len || base_gpa > G_MAXUINT32 || base_gpa + end > G_MAXUINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "The ACPI tables (%" G_GUINT64_FORMAT " bytes) do not fit in the %zu bytes"
                   " reserved for them below 4 GiB",
                   end, buf_len);
      return FALSE;
    }

  memset (buf, 0, buf_len);
  for (guint i = 0; i < t->blobs->len; i++)
    {
      const Blob *b = get_blob (t, i);

      memcpy (buf + offsets[i], b->data->data, b->data->len);
    }

  for (guint i = 0; i < t->pointers->len; i++)
    {
      const VmmAcpiPointer *p = &g_array_index (t->pointers, VmmAcpiPointer, i);
      uint8_t *field = buf + offsets[p->blob] + p->offset;
      uint64_t value = get_field (field, p->size) + base_gpa + offsets[p->target];

      if (p->size < 8 && value >> (8 * p->size) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                       "ACPI tables at %#" G_GINT64_MODIFIER "x are out of reach of a %u-byte pointer",
                       base_gpa + offsets[p->target], p->size);
          return FALSE;
        }
      put_field (field, p->size, value);
    }

  for (guint i = 0; i < t->checksums->len; i++)
    {
      const VmmAcpiChecksum *c = &g_array_index (t->checksums, VmmAcpiChecksum, i);
      const uint8_t *range = buf + offsets[c->blob] + c->start;
      uint8_t sum = 0;

      for (uint32_t j = 0; j < c->length; j++)
        sum = (uint8_t) (sum + range[j]);
      buf[offsets[c->blob] + c->offset] = (uint8_t) (buf[offsets[c->blob] + c->offset] - sum);
    }

  *rsdp_gpa = base_gpa + offsets[rsdp];
  return TRUE;
}
