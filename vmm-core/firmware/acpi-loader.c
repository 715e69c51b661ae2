/* acpi-loader.c: a VmmAcpiTables set as fw_cfg files and table-loader
 * commands.
 *
 * The tables go in one file, as QEMU does it: OVMF installs every table an
 * ADD_POINTER reaches and SeaBIOS needs only the allocations, and both are
 * tested against that shape. The RSDP stays apart because it must live in
 * the F-segment, where the OS's legacy scan looks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/acpi-loader.h"

#include <gio/gio.h>
#include <string.h>

typedef struct {
  char *name;
  GByteArray *data;
  uint32_t align;
  VmmAcpiZone zone;
} LoaderFile;

typedef struct {
  guint file;          /* index into the files */
  uint32_t offset;     /* of the blob within that file */
} Placement;

static void
loader_file_clear (gpointer p)
{
  LoaderFile *f = p;

  g_free (f->name);
  g_byte_array_unref (f->data);
}

static void
put_name (uint8_t *entry, unsigned at, const char *name)
{
  /* Names were checked to fit with their NUL when the files were made. */
  memcpy (entry + at, name, strlen (name));
}

static uint8_t *
new_entry (GByteArray *cmds, uint32_t command)
{
  guint at = cmds->len;

  g_byte_array_set_size (cmds, at + VMM_LOADER_ENTRY_SIZE);
  memset (cmds->data + at, 0, VMM_LOADER_ENTRY_SIZE);
  vmm_le_put (cmds->data + at, 4, command);
  return cmds->data + at;
}

/* Splits the blobs into files and says where each blob lands. */
static gboolean
place_blobs (const VmmAcpiTables *t, GArray *files, Placement *where, GError **error)
{
  int tables = -1;

  for (guint i = 0; i < vmm_acpi_n_blobs (t); i++)
    {
      VmmAcpiBlob b;
      LoaderFile *f;
      uint64_t at;
      guint old_len;

      vmm_acpi_get_blob (t, i, &b);
      if (b.len > G_MAXUINT32 || strlen (b.name) >= VMM_LOADER_FILE_SIZE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The ACPI blob “%s” cannot be given to firmware", b.name);
          return FALSE;
        }
      if (b.zone == VMM_ACPI_ZONE_HIGH && tables >= 0)
        f = &g_array_index (files, LoaderFile, tables);
      else
        {
          LoaderFile nf = {
            .name = g_strdup (b.zone == VMM_ACPI_ZONE_HIGH ? VMM_LOADER_TABLES_FILE : b.name),
            .data = g_byte_array_new (),
            .align = 1,
            .zone = b.zone,
          };

          g_array_append_val (files, nf);
          if (b.zone == VMM_ACPI_ZONE_HIGH)
            tables = (int) files->len - 1;
          f = &g_array_index (files, LoaderFile, files->len - 1);
        }

      /* The file is allocated at its largest member's alignment, so an
       * aligned offset inside it is an aligned guest address. */
      at = ((uint64_t) f->data->len + b.align - 1) & ~(uint64_t) (b.align - 1);
      if (at + b.len > G_MAXUINT32)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The ACPI tables are larger than 4 GiB");
          return FALSE;
        }
      f->align = MAX (f->align, b.align);
      old_len = f->data->len;
      g_byte_array_set_size (f->data, (guint) at);
      if (at > old_len)
        memset (f->data->data + old_len, 0, at - old_len);
      g_byte_array_append (f->data, b.data, (guint) b.len);
      where[i] = (Placement) { .file = (guint) (f - &g_array_index (files, LoaderFile, 0)),
                               .offset = (uint32_t) at };
    }
  return TRUE;
}

gboolean
vmm_fw_cfg_add_acpi (VmmFwCfg *fw, const VmmAcpiTables *t, GError **error)
{
  g_autoptr(GArray) files = g_array_new (FALSE, TRUE, sizeof (LoaderFile));
  g_autoptr(GByteArray) cmds = g_byte_array_new ();
  g_autofree Placement *where = NULL;
  g_autoptr(GBytes) cmd_bytes = NULL;

  g_return_val_if_fail (fw != NULL && t != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_array_set_clear_func (files, loader_file_clear);
  where = g_new0 (Placement, MAX (vmm_acpi_n_blobs (t), 1));
  if (!place_blobs (t, files, where, error))
    return FALSE;

  for (guint i = 0; i < files->len; i++)
    {
      const LoaderFile *f = &g_array_index (files, LoaderFile, i);
      uint8_t *e = new_entry (cmds, VMM_LOADER_CMD_ALLOCATE);

      put_name (e, VMM_LOADER_ALLOC_FILE, f->name);
      vmm_le_put (e + VMM_LOADER_ALLOC_ALIGN, 4, f->align);
      e[VMM_LOADER_ALLOC_ZONE] = (uint8_t) f->zone;
    }

  /* A pointer field holds an offset into its target blob; the firmware
   * adds the target *file's* address, so the blob's offset in that file
   * goes into the field first. */
  for (guint i = 0; i < vmm_acpi_n_pointers (t); i++)
    {
      const VmmAcpiPointer *p = vmm_acpi_get_pointer (t, i);
      const Placement *dst = &where[p->blob], *src = &where[p->target];
      LoaderFile *df = &g_array_index (files, LoaderFile, dst->file);
      const LoaderFile *sf = &g_array_index (files, LoaderFile, src->file);
      uint8_t *field = df->data->data + dst->offset + p->offset;
      uint64_t value = vmm_le_get (field, p->size) + src->offset;
      uint8_t *e;

      if (p->size < 8 && value >> (8 * p->size) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "An ACPI pointer of %u bytes cannot reach offset %" G_GUINT64_FORMAT,
                       p->size, value);
          return FALSE;
        }
      vmm_le_put (field, p->size, value);
      e = new_entry (cmds, VMM_LOADER_CMD_ADD_POINTER);
      put_name (e, VMM_LOADER_PTR_DEST, df->name);
      put_name (e, VMM_LOADER_PTR_SRC, sf->name);
      vmm_le_put (e + VMM_LOADER_PTR_OFFSET, 4, dst->offset + p->offset);
      e[VMM_LOADER_PTR_SIZE] = p->size;
    }

  for (guint i = 0; i < vmm_acpi_n_checksums (t); i++)
    {
      const VmmAcpiChecksum *c = vmm_acpi_get_checksum (t, i);
      const Placement *at = &where[c->blob];
      const LoaderFile *f = &g_array_index (files, LoaderFile, at->file);
      uint8_t *e = new_entry (cmds, VMM_LOADER_CMD_ADD_CHECKSUM);

      put_name (e, VMM_LOADER_CSUM_FILE, f->name);
      vmm_le_put (e + VMM_LOADER_CSUM_OFFSET, 4, at->offset + c->offset);
      vmm_le_put (e + VMM_LOADER_CSUM_START, 4, at->offset + c->start);
      vmm_le_put (e + VMM_LOADER_CSUM_LENGTH, 4, c->length);
    }

  /* All or nothing: no file is added when one name is taken. */
  for (guint i = 0; i <= files->len; i++)
    {
      const char *name = i < files->len ? g_array_index (files, LoaderFile, i).name
                                        : VMM_LOADER_COMMANDS_FILE;

      if (vmm_fw_cfg_find_file (fw, name) >= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "fw_cfg has a file “%s” already", name);
          return FALSE;
        }
    }
  for (guint i = 0; i < files->len; i++)
    {
      const LoaderFile *f = &g_array_index (files, LoaderFile, i);
      g_autoptr(GBytes) bytes = g_bytes_new (f->data->data, f->data->len);
      int r = vmm_fw_cfg_add_file (fw, f->name, bytes, FALSE);

      if (r < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Cannot add “%s” to fw_cfg: %s", f->name, g_strerror (-r));
          return FALSE;
        }
    }
  cmd_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&cmds));
  if (vmm_fw_cfg_add_file (fw, VMM_LOADER_COMMANDS_FILE, cmd_bytes, FALSE) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Cannot add “%s” to fw_cfg", VMM_LOADER_COMMANDS_FILE);
      return FALSE;
    }
  return TRUE;
}
