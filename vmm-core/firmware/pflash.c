/* pflash.c: CFI flash, Intel command set, one byte wide.
 *
 * Each byte the guest writes is one bus cycle: wider accesses are split
 * into bytes at consecutive addresses, as an 8-bit chip sees them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/pflash.h"

#include <string.h>

#define CMD_READ_ARRAY     0xff
#define CMD_READ_ARRAY_ALT 0x00
#define CMD_PROGRAM        0x10
#define CMD_PROGRAM_ALT    0x40
#define CMD_ERASE          0x20
#define CMD_ERASE_CONFIRM  0xd0
#define CMD_CLEAR_STATUS   0x50
#define CMD_READ_STATUS    0x70
#define CMD_READ_ID        0x90

/* What the identifier mode answers at offsets 0 and 1: an Intel part,
 * like the one QEMU models for OVMF. */
#define ID_MANUFACTURER    0x89
#define ID_DEVICE          0x18

typedef enum {
  MODE_ARRAY,
  MODE_STATUS,
  MODE_ID,
  MODE_PROGRAM,        /* the next write is the byte to program */
  MODE_ERASE,          /* the next write must confirm the erase */
} Mode;

struct _VmmPflash {
  GMutex lock;
  uint8_t *array;
  size_t len;
  Mode mode;
  uint8_t status;
  gboolean dirty;       /* since the last vmm_pflash_take_dirty() */
  gboolean changed;     /* since the last return to read-array mode */
  VmmPflashModeFn mode_fn;
  void *opaque;
};

VmmPflash *
vmm_pflash_new (uint8_t *array, size_t len, VmmPflashModeFn mode, void *opaque)
{
  VmmPflash *f;

  g_return_val_if_fail (array != NULL, NULL);
  g_return_val_if_fail (len > 0 && len % VMM_PFLASH_BLOCK_SIZE == 0, NULL);

  f = g_new0 (VmmPflash, 1);
  g_mutex_init (&f->lock);
  f->array = array;
  f->len = len;
  f->mode_fn = mode;
  f->opaque = opaque;
  return f;
}

void
vmm_pflash_free (VmmPflash *f)
{
  if (f == NULL)
    return;
  g_mutex_clear (&f->lock);
  g_free (f);
}

/* Tells the machine when the flash stops or starts reading as ROM. */
static void
set_mode_locked (VmmPflash *f, Mode mode)
{
  gboolean was_array = f->mode == MODE_ARRAY, is_array = mode == MODE_ARRAY;

  f->mode = mode;
  if (was_array != is_array && f->mode_fn != NULL)
    f->mode_fn (f->opaque, is_array, is_array && f->changed);
  if (is_array)
    f->changed = FALSE;
}

void
vmm_pflash_reset (VmmPflash *f)
{
  g_return_if_fail (f != NULL);

  g_mutex_lock (&f->lock);
  f->status = 0;
  set_mode_locked (f, MODE_ARRAY);
  g_mutex_unlock (&f->lock);
}

gboolean
vmm_pflash_in_array_mode (VmmPflash *f)
{
  gboolean array;

  g_return_val_if_fail (f != NULL, TRUE);

  g_mutex_lock (&f->lock);
  array = f->mode == MODE_ARRAY;
  g_mutex_unlock (&f->lock);
  return array;
}

gboolean
vmm_pflash_take_dirty (VmmPflash *f)
{
  gboolean dirty;

  g_return_val_if_fail (f != NULL, FALSE);

  g_mutex_lock (&f->lock);
  dirty = f->dirty;
  f->dirty = FALSE;
  g_mutex_unlock (&f->lock);
  return dirty;
}

static uint8_t
read_byte_locked (VmmPflash *f, uint64_t offset)
{
  switch (f->mode)
    {
    case MODE_ARRAY:
      return f->array[offset];
    case MODE_ID:
      if ((offset & 0xff) == 0)
        return ID_MANUFACTURER;
      return (offset & 0xff) == 1 ? ID_DEVICE : 0;
    case MODE_STATUS:
    case MODE_PROGRAM:
    case MODE_ERASE:
    default:
      return f->status;
    }
}

static void
command_locked (VmmPflash *f, uint8_t cmd)
{
  switch (cmd)
    {
    case CMD_READ_ARRAY:
    case CMD_READ_ARRAY_ALT:
      set_mode_locked (f, MODE_ARRAY);
      break;
    case CMD_PROGRAM:
    case CMD_PROGRAM_ALT:
      set_mode_locked (f, MODE_PROGRAM);
      break;
    case CMD_ERASE:
      set_mode_locked (f, MODE_ERASE);
      break;
    case CMD_CLEAR_STATUS:
      /* The chip stays in the mode it was in; from read array that is
       * read array, which is how OVMF tells flash from RAM. */
      f->status = 0;
      break;
    case CMD_READ_STATUS:
      set_mode_locked (f, MODE_STATUS);
      break;
    case CMD_READ_ID:
      set_mode_locked (f, MODE_ID);
      break;
    default:
      f->status |= VMM_PFLASH_STATUS_ERASE_ERR | VMM_PFLASH_STATUS_PROGRAM_ERR;
      set_mode_locked (f, MODE_STATUS);
      break;
    }
}

static void
write_byte_locked (VmmPflash *f, uint64_t offset, uint8_t value)
{
  uint64_t block;

  switch (f->mode)
    {
    case MODE_PROGRAM:
      /* Stored as given, as QEMU's flash does, which is what OVMF's
       * variable driver is tested against (real flash could only clear
       * bits). */
      f->array[offset] = value;
      f->dirty = f->changed = TRUE;
      f->status |= VMM_PFLASH_STATUS_READY;
      set_mode_locked (f, MODE_STATUS);
      break;
    case MODE_ERASE:
      if (value == CMD_ERASE_CONFIRM)
        {
          block = offset - offset % VMM_PFLASH_BLOCK_SIZE;
          memset (f->array + block, 0xff, VMM_PFLASH_BLOCK_SIZE);
          f->dirty = f->changed = TRUE;
          f->status |= VMM_PFLASH_STATUS_READY;
        }
      else
        f->status |= VMM_PFLASH_STATUS_ERASE_ERR | VMM_PFLASH_STATUS_PROGRAM_ERR;
      set_mode_locked (f, MODE_STATUS);
      break;
    case MODE_ARRAY:
    case MODE_STATUS:
    case MODE_ID:
    default:
      command_locked (f, value);
      break;
    }
}

void
vmm_pflash_read (VmmPflash *f, uint64_t offset, uint8_t *data, unsigned len)
{
  g_mutex_lock (&f->lock);
  for (unsigned i = 0; i < len; i++)
    data[i] = offset < f->len && i < f->len - offset ? read_byte_locked (f, offset + i) : 0xff;
  g_mutex_unlock (&f->lock);
}

void
vmm_pflash_write (VmmPflash *f, uint64_t offset, const uint8_t *data, unsigned len)
{
  g_mutex_lock (&f->lock);
  for (unsigned i = 0; i < len; i++)
    if (offset < f->len && i < f->len - offset)
      write_byte_locked (f, offset + i, data[i]);
  g_mutex_unlock (&f->lock);
}

static void
bus_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  vmm_pflash_read (opaque, offset, data, len);
}

static void
bus_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  vmm_pflash_write (opaque, offset, data, len);
}

static const VmmBusOps pflash_ops = {
  .read = bus_read,
  .write = bus_write,
};

int
vmm_pflash_register (VmmPflash *f, VmmBus *mmio, uint64_t base)
{
  return vmm_bus_register (mmio, base, f->len, VMM_BUS_WANY, &pflash_ops, f);
}
