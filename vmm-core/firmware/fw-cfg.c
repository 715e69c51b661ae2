/* fw-cfg.c: QEMU's firmware configuration device.
 *
 * Every value the guest hands in (the selector, the DMA structure's
 * address, its control word, length and buffer address) is checked before
 * use. A DMA request that cannot be carried out whole sets the error bit
 * and changes nothing else: no partial copies into or out of guest RAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/fw-cfg.h"

#include <errno.h>
#include <string.h>

/* The DMA structure: control, length, address; all big-endian. */
#define DMA_ACCESS_SIZE 16
/* Control bits a request may carry; anything else is an error. */
#define DMA_CTL_KNOWN (FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_SKIP | FW_CFG_DMA_CTL_SELECT \
                       | FW_CFG_DMA_CTL_WRITE)
#define DMA_CTL_LOW_MASK 0xffffu

#define PORT_DMA_LOW (VMM_FW_CFG_PORT_DMA + 4)
#define PORT_SPAN    12          /* 0x510 .. 0x51b */

#define FILE_ENTRY_SIZE 64

typedef struct {
  uint8_t *data;       /* owned */
  size_t len;
  GBytes *initial;     /* writable items: the contents a reset restores */
  gboolean writable;
} Item;

typedef struct {
  char name[FW_CFG_MAX_FILE_PATH];
  uint16_t key;
} FileEntry;

struct _VmmFwCfg {
  GMutex lock;
  VmmGuestMem mem;
  /* Keys with FW_CFG_WRITE_CHANNEL stripped: the selector's write bit has
   * no meaning since QEMU 2.4, and the same item answers both ways. */
  GHashTable *items;   /* uint16 key -> Item */
  GArray *files;       /* of FileEntry, in key order */
  uint16_t selector;   /* as written, write-channel bit stripped */
  uint32_t offset;     /* into the selected item; never beyond its length */
  uint8_t dma_addr[8]; /* big-endian, as the guest wrote it */
};

static void
item_free (gpointer p)
{
  Item *item = p;

  g_free (item->data);
  g_clear_pointer (&item->initial, g_bytes_unref);
  g_free (item);
}

static uint16_t
strip_key (uint16_t key)
{
  return (uint16_t) (key & ~FW_CFG_WRITE_CHANNEL);
}

static void
put_be32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

static uint32_t
get_be32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static uint64_t
get_be64 (const uint8_t *p)
{
  return ((uint64_t) get_be32 (p) << 32) | get_be32 (p + 4);
}

static void
set_item_locked (VmmFwCfg *fw, uint16_t key, const void *data, size_t len, gboolean writable)
{
  Item *item = g_new0 (Item, 1);

  item->data = g_memdup2 (data, len);
  item->len = len;
  item->writable = writable;
  if (writable)
    item->initial = g_bytes_new (data, len);
  g_hash_table_replace (fw->items, GUINT_TO_POINTER (key), item);
}

static void
set_le32 (VmmFwCfg *fw, uint16_t key, uint32_t value)
{
  uint8_t buf[4];

  vmm_le_put (buf, 4, value);
  set_item_locked (fw, key, buf, sizeof buf, FALSE);
}

static int
compare_files (gconstpointer a, gconstpointer b)
{
  return strcmp (((const FileEntry *) a)->name, ((const FileEntry *) b)->name);
}

/* The directory: a big-endian count, then 64-byte entries sorted by name
 * (firmware may binary-search it). */
static void
rebuild_directory_locked (VmmFwCfg *fw)
{
  g_autoptr(GArray) sorted = g_array_copy (fw->files);
  size_t len = 4 + (size_t) sorted->len * FILE_ENTRY_SIZE;
  g_autofree uint8_t *dir = g_malloc0 (len);

  g_array_sort (sorted, compare_files);
  put_be32 (dir, sorted->len);
  for (guint i = 0; i < sorted->len; i++)
    {
      const FileEntry *f = &g_array_index (sorted, FileEntry, i);
      const Item *item = g_hash_table_lookup (fw->items, GUINT_TO_POINTER (f->key));
      uint8_t *e = dir + 4 + (size_t) i * FILE_ENTRY_SIZE;

      put_be32 (e, (uint32_t) item->len);
      e[4] = (uint8_t) (f->key >> 8);
      e[5] = (uint8_t) f->key;
      memcpy (e + 8, f->name, strlen (f->name));
    }
  set_item_locked (fw, FW_CFG_FILE_DIR, dir, len, FALSE);
}

VmmFwCfg *
vmm_fw_cfg_new (const VmmGuestMem *mem)
{
  VmmFwCfg *fw;

  g_return_val_if_fail (mem != NULL, NULL);

  fw = g_new0 (VmmFwCfg, 1);
  g_mutex_init (&fw->lock);
  fw->mem = *mem;
  fw->items = g_hash_table_new_full (NULL, NULL, NULL, item_free);
  fw->files = g_array_new (FALSE, TRUE, sizeof (FileEntry));
  set_item_locked (fw, FW_CFG_SIGNATURE, "QEMU", FW_CFG_SIG_SIZE, FALSE);
  set_le32 (fw, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
  rebuild_directory_locked (fw);
  return fw;
}

void
vmm_fw_cfg_free (VmmFwCfg *fw)
{
  if (fw == NULL)
    return;
  g_hash_table_unref (fw->items);
  g_array_unref (fw->files);
  g_mutex_clear (&fw->lock);
  g_free (fw);
}

static gboolean
is_plain_key (uint16_t key)
{
  uint16_t index = key & FW_CFG_ENTRY_MASK;

  if ((key & FW_CFG_WRITE_CHANNEL) || index >= FW_CFG_FILE_FIRST)
    return FALSE;
  return (key & FW_CFG_ARCH_LOCAL)
         || (key != FW_CFG_SIGNATURE && key != FW_CFG_ID && key != FW_CFG_FILE_DIR);
}

int
vmm_fw_cfg_set_item (VmmFwCfg *fw, uint16_t key, GBytes *data)
{
  const void *p;
  size_t len;

  g_return_val_if_fail (fw != NULL && data != NULL, -EINVAL);

  if (!is_plain_key (key))
    return -EINVAL;
  p = g_bytes_get_data (data, &len);
  if (len > G_MAXUINT32)
    return -EINVAL;
  g_mutex_lock (&fw->lock);
  set_item_locked (fw, key, p, len, FALSE);
  g_mutex_unlock (&fw->lock);
  return 0;
}

static int
set_int (VmmFwCfg *fw, uint16_t key, uint64_t value, unsigned len)
{
  uint8_t buf[8];
  g_autoptr(GBytes) bytes = NULL;

  vmm_le_put (buf, len, value);
  bytes = g_bytes_new (buf, len);
  return vmm_fw_cfg_set_item (fw, key, bytes);
}

int
vmm_fw_cfg_set_u16 (VmmFwCfg *fw, uint16_t key, uint16_t value)
{
  return set_int (fw, key, value, 2);
}

int
vmm_fw_cfg_set_u32 (VmmFwCfg *fw, uint16_t key, uint32_t value)
{
  return set_int (fw, key, value, 4);
}

int
vmm_fw_cfg_set_u64 (VmmFwCfg *fw, uint16_t key, uint64_t value)
{
  return set_int (fw, key, value, 8);
}

static int
find_file_locked (VmmFwCfg *fw, const char *name)
{
  for (guint i = 0; i < fw->files->len; i++)
    {
      const FileEntry *f = &g_array_index (fw->files, FileEntry, i);

      if (strcmp (f->name, name) == 0)
        return f->key;
    }
  return -ENOENT;
}

int
vmm_fw_cfg_add_file (VmmFwCfg *fw, const char *name, GBytes *data, gboolean writable)
{
  FileEntry f = { .key = 0 };
  size_t name_len, len;
  const void *p;

  g_return_val_if_fail (fw != NULL && name != NULL && data != NULL, -EINVAL);

  name_len = strlen (name);
  if (name_len == 0)
    return -EINVAL;
  if (name_len >= FW_CFG_MAX_FILE_PATH)
    return -ENAMETOOLONG;
  p = g_bytes_get_data (data, &len);
  if (len > G_MAXUINT32)
    return -EINVAL;

  g_mutex_lock (&fw->lock);
  if (find_file_locked (fw, name) >= 0)
    {
      g_mutex_unlock (&fw->lock);
      return -EEXIST;
    }
  if (fw->files->len >= VMM_FW_CFG_MAX_FILES)
    {
      g_mutex_unlock (&fw->lock);
      return -ENOSPC;
    }
  memcpy (f.name, name, name_len);
  f.key = (uint16_t) (FW_CFG_FILE_FIRST + fw->files->len);
  g_array_append_val (fw->files, f);
  set_item_locked (fw, f.key, p, len, writable);
  rebuild_directory_locked (fw);
  g_mutex_unlock (&fw->lock);
  return f.key;
}

int
vmm_fw_cfg_set_file (VmmFwCfg *fw, const char *name, GBytes *data)
{
  const Item *old;
  size_t len;
  const void *p;
  int key;

  g_return_val_if_fail (fw != NULL && name != NULL && data != NULL, -EINVAL);

  p = g_bytes_get_data (data, &len);
  if (len > G_MAXUINT32)
    return -EINVAL;
  g_mutex_lock (&fw->lock);
  key = find_file_locked (fw, name);
  if (key >= 0)
    {
      old = g_hash_table_lookup (fw->items, GUINT_TO_POINTER (key));
      set_item_locked (fw, (uint16_t) key, p, len, old->writable);
      /* The directory carries each file's size. */
      rebuild_directory_locked (fw);
    }
  g_mutex_unlock (&fw->lock);
  if (key == -ENOENT)
    key = vmm_fw_cfg_add_file (fw, name, data, FALSE);
  return key;
}

int
vmm_fw_cfg_find_file (VmmFwCfg *fw, const char *name)
{
  int key;

  g_return_val_if_fail (fw != NULL && name != NULL, -ENOENT);

  g_mutex_lock (&fw->lock);
  key = find_file_locked (fw, name);
  g_mutex_unlock (&fw->lock);
  return key;
}

GBytes *
vmm_fw_cfg_get_item (VmmFwCfg *fw, uint16_t key)
{
  const Item *item;
  GBytes *copy = NULL;

  g_return_val_if_fail (fw != NULL, NULL);

  g_mutex_lock (&fw->lock);
  item = g_hash_table_lookup (fw->items, GUINT_TO_POINTER (strip_key (key)));
  if (item != NULL)
    copy = g_bytes_new (item->data, item->len);
  g_mutex_unlock (&fw->lock);
  return copy;
}

void
vmm_fw_cfg_reset (VmmFwCfg *fw)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (fw != NULL);

  g_mutex_lock (&fw->lock);
  fw->selector = FW_CFG_SIGNATURE;
  fw->offset = 0;
  memset (fw->dma_addr, 0, sizeof fw->dma_addr);
  g_hash_table_iter_init (&iter, fw->items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Item *item = value;

      if (item->writable)
        memcpy (item->data, g_bytes_get_data (item->initial, NULL), item->len);
    }
  g_mutex_unlock (&fw->lock);
}

/* Any 16-bit value may be written; a key with no item reads as zeros. */
static void
select_locked (VmmFwCfg *fw, uint16_t key)
{
  fw->selector = strip_key (key);
  fw->offset = 0;
}

static Item *
current_locked (VmmFwCfg *fw)
{
  return g_hash_table_lookup (fw->items, GUINT_TO_POINTER (fw->selector));
}

static uint8_t
read_data_locked (VmmFwCfg *fw)
{
  const Item *item = current_locked (fw);

  if (item == NULL || fw->offset >= item->len)
    return 0;
  return item->data[fw->offset++];
}

/* The bytes left in the current item from the current offset. */
static uint32_t
remaining_locked (VmmFwCfg *fw)
{
  const Item *item = current_locked (fw);

  if (item == NULL || fw->offset >= item->len)
    return 0;
  return (uint32_t) (item->len - fw->offset);
}

/* Carries out one DMA request; returns FALSE for the error bit. */
static gboolean
dma_transfer_locked (VmmFwCfg *fw, uint32_t control, uint32_t length, uint64_t address)
{
  Item *item;
  uint32_t avail, n;
  uint8_t *guest;

  if ((control & DMA_CTL_LOW_MASK & ~DMA_CTL_KNOWN) != 0)
    return FALSE;
  if (control & FW_CFG_DMA_CTL_SELECT)
    select_locked (fw, (uint16_t) (control >> 16));

  if (control & FW_CFG_DMA_CTL_READ)
    {
      /* Past the end of the item the guest reads zeros, as from the data
       * port; the whole destination must be RAM before anything moves. */
      guest = vmm_guest_mem_ptr (&fw->mem, address, length);
      if (guest == NULL)
        return FALSE;
      avail = remaining_locked (fw);
      n = MIN (avail, length);
      if (n > 0)
        memcpy (guest, current_locked (fw)->data + fw->offset, n);
      memset (guest + n, 0, length - n);
      fw->offset += n;
      return TRUE;
    }
  if (control & FW_CFG_DMA_CTL_WRITE)
    {
      /* Writes never resize an item: one that would run past its end is
       * refused whole. */
      item = current_locked (fw);
      if (item == NULL || !item->writable || length > remaining_locked (fw))
        return FALSE;
      if (vmm_guest_mem_read (&fw->mem, address, item->data + fw->offset, length) < 0)
        return FALSE;
      fw->offset += length;
      return TRUE;
    }
  if (control & FW_CFG_DMA_CTL_SKIP)
    fw->offset += MIN (remaining_locked (fw), length);
  return TRUE;
}

static void
dma_start_locked (VmmFwCfg *fw)
{
  uint64_t gpa = get_be64 (fw->dma_addr);
  uint8_t access[DMA_ACCESS_SIZE], status[4];
  gboolean ok;

  memset (fw->dma_addr, 0, sizeof fw->dma_addr);
  /* Read once, then use only the copy: the guest may change the structure
   * while the transfer runs. A structure outside RAM leaves nowhere to
   * report an error: the request is dropped. */
  if (vmm_guest_mem_read (&fw->mem, gpa, access, sizeof access) < 0)
    return;
  ok = dma_transfer_locked (fw, get_be32 (access), get_be32 (access + 4), get_be64 (access + 8));
  put_be32 (status, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
  vmm_guest_mem_write (&fw->mem, gpa, status, sizeof status);
}

void
vmm_fw_cfg_pio_read (VmmFwCfg *fw, uint16_t port, uint8_t *data, unsigned len)
{
  uint64_t sig = FW_CFG_DMA_SIGNATURE;
  unsigned at;

  memset (data, 0xff, len);
  g_mutex_lock (&fw->lock);
  if (port == VMM_FW_CFG_PORT_DATA && len == 1)
    data[0] = read_data_locked (fw);
  else if ((port == VMM_FW_CFG_PORT_DMA || port == PORT_DMA_LOW) && len == 4)
    {
      /* The register reads as "QEMU CFG" in big-endian byte order. */
      at = port - VMM_FW_CFG_PORT_DMA;
      for (unsigned i = 0; i < 4; i++)
        data[i] = (uint8_t) (sig >> (56 - 8 * (at + i)));
    }
  g_mutex_unlock (&fw->lock);
}

void
vmm_fw_cfg_pio_write (VmmFwCfg *fw, uint16_t port, const uint8_t *data, unsigned len)
{
  g_mutex_lock (&fw->lock);
  if (port == VMM_FW_CFG_PORT_SELECTOR && len == 2)
    select_locked (fw, (uint16_t) vmm_le_get (data, 2));
  else if (port == VMM_FW_CFG_PORT_DMA && len == 4)
    memcpy (fw->dma_addr, data, 4);
  else if (port == PORT_DMA_LOW && len == 4)
    {
      memcpy (fw->dma_addr + 4, data, 4);
      dma_start_locked (fw);
    }
  /* Data-port writes have been ignored since QEMU 2.4: writes go by DMA. */
  g_mutex_unlock (&fw->lock);
}

static void
bus_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  vmm_fw_cfg_pio_read (opaque, (uint16_t) (VMM_FW_CFG_PORT_SELECTOR + offset), data, len);
}

static void
bus_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  vmm_fw_cfg_pio_write (opaque, (uint16_t) (VMM_FW_CFG_PORT_SELECTOR + offset), data, len);
}

static const VmmBusOps fw_cfg_ops = {
  .read = bus_read,
  .write = bus_write,
};

int
vmm_fw_cfg_register (VmmFwCfg *fw, VmmBus *pio)
{
  g_return_val_if_fail (fw != NULL && pio != NULL, -EINVAL);

  return vmm_bus_register (pio, VMM_FW_CFG_PORT_SELECTOR, PORT_SPAN,
                           VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4, &fw_cfg_ops, fw);
}
