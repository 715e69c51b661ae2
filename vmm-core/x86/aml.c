/* aml.c: a small AML builder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "aml.h"

#include <string.h>

#include "byteorder.h"

/* Opcodes (ACPI 6.x, 20.2). */
#define AML_ZERO_OP          0x00
#define AML_ONE_OP           0x01
#define AML_NAME_OP          0x08
#define AML_BYTE_PREFIX      0x0a
#define AML_WORD_PREFIX      0x0b
#define AML_DWORD_PREFIX     0x0c
#define AML_STRING_PREFIX    0x0d
#define AML_QWORD_PREFIX     0x0e
#define AML_SCOPE_OP         0x10
#define AML_BUFFER_OP        0x11
#define AML_PACKAGE_OP       0x12
#define AML_METHOD_OP        0x14
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX    0x5b
#define AML_DEVICE_OP        0x82  /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR        0x5c
#define AML_PARENT_PREFIX    0x5e
#define AML_RETURN_OP        0xa4

/* Resource descriptor tags (ACPI 6.x, 6.4). */
#define RES_IRQ_NO_FLAGS     0x22  /* small, 2 bytes */
#define RES_IO               0x47  /* small, 7 bytes */
#define RES_END_TAG          0x79  /* small, 1 byte */
#define RES_MEM32_FIXED      0x86
#define RES_DWORD_ADDRESS    0x87
#define RES_WORD_ADDRESS     0x88
#define RES_QWORD_ADDRESS    0x8a

#define RES_TYPE_MEMORY      0
#define RES_TYPE_IO          1
#define RES_TYPE_BUS         2
/* General flags: MinFixed | MaxFixed, producer, positive decode. */
#define RES_WINDOW_FLAGS     0x0c
#define RES_IO_ENTIRE_RANGE  0x03
#define RES_MEM_CACHEABLE_RW 0x03

/* PkgLength covers at most 2^28 bytes. */
#define PKG_LENGTH_MAX       ((1u << 28) - 1)

typedef enum {
  FRAME_SCOPE,    /* also devices and methods: PkgLength only */
  FRAME_PACKAGE,  /* PkgLength, NumElements */
  FRAME_BUFFER,   /* PkgLength, BufferSize */
} FrameKind;

typedef struct {
  FrameKind kind;
  guint start;        /* where the PkgLength goes */
  guint n_elements;
} Frame;

struct _VmmAml {
  GByteArray *buf;
  GArray *frames;
};

VmmAml *
vmm_aml_new (void)
{
  VmmAml *aml = g_new0 (VmmAml, 1);

  aml->buf = g_byte_array_new ();
  aml->frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  return aml;
}

void
vmm_aml_free (VmmAml *aml)
{
  if (aml == NULL)
    return;
  g_byte_array_unref (aml->buf);
  g_array_unref (aml->frames);
  g_free (aml);
}

GByteArray *
vmm_aml_finish (VmmAml *aml)
{
  GByteArray *buf;

  g_return_val_if_fail (aml != NULL, NULL);
  g_return_val_if_fail (aml->frames->len == 0, NULL);

  buf = g_byte_array_ref (aml->buf);
  vmm_aml_free (aml);
  return buf;
}

static void
put_byte (VmmAml *aml, uint8_t b)
{
  g_byte_array_append (aml->buf, &b, 1);
}

static void
put_bytes (VmmAml *aml, const void *p, size_t len)
{
  g_byte_array_append (aml->buf, p, (guint) len);
}

static void
insert_bytes (GByteArray *buf, guint at, const uint8_t *p, guint len)
{
  guint old_len = buf->len;

  g_byte_array_set_size (buf, old_len + len);
  memmove (buf->data + at + len, buf->data + at, old_len - at);
  memcpy (buf->data + at, p, len);
}

/* PkgLength (20.2.4) for a body of @body_len bytes: the encoded length
 * counts its own bytes too. Returns the number of bytes written. */
static guint
encode_pkg_length (uint8_t out[4], guint body_len)
{
  guint n, total;

  for (n = 1; n < 4; n++)
    {
      total = body_len + n;
      if ((n == 1 && total < 0x40) || (n > 1 && total < (1u << (4 + 8 * (n - 1)))))
        break;
    }
  total = body_len + n;
  g_assert (total <= PKG_LENGTH_MAX);
  if (n == 1)
    {
      out[0] = (uint8_t) total;
      return 1;
    }
  out[0] = (uint8_t) (((n - 1) << 6) | (total & 0x0f));
  for (guint i = 1; i < n; i++)
    out[i] = (uint8_t) (total >> (4 + 8 * (i - 1)));
  return n;
}

/* An element directly inside a package bumps its count. */
static void
count_element (VmmAml *aml)
{
  Frame *top;

  if (aml->frames->len == 0)
    return;
  top = &g_array_index (aml->frames, Frame, aml->frames->len - 1);
  if (top->kind == FRAME_PACKAGE)
    top->n_elements++;
}

static gboolean
is_lead_char (char c)
{
  return (c >= 'A' && c <= 'Z') || c == '_';
}

static gboolean
is_name_char (char c)
{
  return is_lead_char (c) || (c >= '0' && c <= '9');
}

/* NameString (20.2.2): prefixes, then NullName, one NameSeg, a dual or a
 * multi name. */
static void
put_name_string (VmmAml *aml, const char *path)
{
  g_auto(GStrv) segs = NULL;
  guint n_segs;

  if (*path == '\\')
    {
      put_byte (aml, AML_ROOT_CHAR);
      path++;
    }
  else
    while (*path == '^')
      {
        put_byte (aml, AML_PARENT_PREFIX);
        path++;
      }

  segs = *path ? g_strsplit (path, ".", -1) : g_new0 (char *, 1);
  n_segs = g_strv_length (segs);
  g_assert (n_segs <= 255);
  if (n_segs == 0)
    put_byte (aml, AML_ZERO_OP);  /* NullName */
  else if (n_segs == 2)
    put_byte (aml, AML_DUAL_NAME_PREFIX);
  else if (n_segs > 2)
    {
      put_byte (aml, AML_MULTI_NAME_PREFIX);
      put_byte (aml, (uint8_t) n_segs);
    }

  for (guint i = 0; i < n_segs; i++)
    {
      char seg[4] = { '_', '_', '_', '_' };
      size_t len = strlen (segs[i]);

      g_assert (len >= 1 && len <= 4 && is_lead_char (segs[i][0]));
      for (size_t j = 0; j < len; j++)
        {
          g_assert (is_name_char (segs[i][j]));
          seg[j] = segs[i][j];
        }
      put_bytes (aml, seg, 4);
    }
}

/* The shortest integer object for @value (20.2.3); returns its length.
 * Not counted as an element: also used for a buffer's size. */
static guint
encode_integer (uint8_t out[9], uint64_t value)
{
  guint n_bytes;

  if (value <= 1)
    {
      out[0] = value ? AML_ONE_OP : AML_ZERO_OP;
      return 1;
    }
  if (value <= 0xff)
    {
      out[0] = AML_BYTE_PREFIX;
      n_bytes = 1;
    }
  else if (value <= 0xffff)
    {
      out[0] = AML_WORD_PREFIX;
      n_bytes = 2;
    }
  else if (value <= 0xffffffff)
    {
      out[0] = AML_DWORD_PREFIX;
      n_bytes = 4;
    }
  else
    {
      out[0] = AML_QWORD_PREFIX;
      n_bytes = 8;
    }
  for (guint i = 0; i < n_bytes; i++)
    out[1 + i] = (uint8_t) (value >> (8 * i));
  return 1 + n_bytes;
}

void
vmm_aml_integer (VmmAml *aml, uint64_t value)
{
  uint8_t enc[9];

  g_return_if_fail (aml != NULL);

  count_element (aml);
  put_bytes (aml, enc, encode_integer (enc, value));
}

void
vmm_aml_string (VmmAml *aml, const char *str)
{
  g_return_if_fail (aml != NULL);
  g_return_if_fail (str != NULL);

  /* AML strings are ASCII 0x01-0x7f. */
  for (const char *p = str; *p; p++)
    g_return_if_fail ((unsigned char) *p < 0x80);

  count_element (aml);
  put_byte (aml, AML_STRING_PREFIX);
  put_bytes (aml, str, strlen (str) + 1);
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void
vmm_aml_eisaid (VmmAml *aml, const char *id)
{
  uint32_t vendor = 0, product = 0;
  uint8_t bytes[4];

  g_return_if_fail (aml != NULL);
  g_return_if_fail (id != NULL && strlen (id) == 7);

  /* Three letters of 5 bits each (A = 1) and four hex digits, stored
   * big-endian in the integer's four bytes. */
  for (int i = 0; i < 3; i++)
    {
      g_return_if_fail (id[i] >= 'A' && id[i] <= 'Z');
      vendor = (vendor << 5) | (uint32_t) (id[i] - 'A' + 1);
    }
  for (int i = 3; i < 7; i++)
    {
      int d = hex_digit (id[i]);

      g_return_if_fail (d >= 0);
      product = (product << 4) | (uint32_t) d;
    }
  bytes[0] = (uint8_t) (vendor >> 8);
  bytes[1] = (uint8_t) vendor;
  bytes[2] = (uint8_t) (product >> 8);
  bytes[3] = (uint8_t) product;
  vmm_aml_integer (aml, vmm_le32 (bytes));
}

void
vmm_aml_name (VmmAml *aml, const char *path)
{
  g_return_if_fail (aml != NULL);
  g_return_if_fail (path != NULL);

  put_byte (aml, AML_NAME_OP);
  put_name_string (aml, path);
}

void
vmm_aml_return (VmmAml *aml)
{
  g_return_if_fail (aml != NULL);

  put_byte (aml, AML_RETURN_OP);
}

static void
push_frame (VmmAml *aml, FrameKind kind)
{
  Frame f = { .kind = kind, .start = aml->buf->len };

  g_array_append_val (aml->frames, f);
}

void
vmm_aml_begin_scope (VmmAml *aml, const char *path)
{
  g_return_if_fail (aml != NULL);
  g_return_if_fail (path != NULL);

  put_byte (aml, AML_SCOPE_OP);
  push_frame (aml, FRAME_SCOPE);
  put_name_string (aml, path);
}

void
vmm_aml_begin_device (VmmAml *aml, const char *path)
{
  g_return_if_fail (aml != NULL);
  g_return_if_fail (path != NULL);

  put_byte (aml, AML_EXT_OP_PREFIX);
  put_byte (aml, AML_DEVICE_OP);
  push_frame (aml, FRAME_SCOPE);
  put_name_string (aml, path);
}

void
vmm_aml_begin_method (VmmAml *aml, const char *path, unsigned n_args, gboolean serialized)
{
  g_return_if_fail (aml != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (n_args <= 7);

  put_byte (aml, AML_METHOD_OP);
  push_frame (aml, FRAME_SCOPE);
  put_name_string (aml, path);
  /* MethodFlags: ArgCount in bits 0-2, SerializeFlag in bit 3. */
  put_byte (aml, (uint8_t) (n_args | (serialized ? 0x08 : 0)));
}

void
vmm_aml_begin_package (VmmAml *aml)
{
  g_return_if_fail (aml != NULL);

  count_element (aml);
  put_byte (aml, AML_PACKAGE_OP);
  push_frame (aml, FRAME_PACKAGE);
}

void
vmm_aml_begin_resource_template (VmmAml *aml)
{
  g_return_if_fail (aml != NULL);

  count_element (aml);
  put_byte (aml, AML_BUFFER_OP);
  push_frame (aml, FRAME_BUFFER);
}

void
vmm_aml_end (VmmAml *aml)
{
  /* The end tag's checksum byte 0 means "no checksum". */
  static const uint8_t end_tag[2] = { RES_END_TAG, 0 };
  Frame f;
  uint8_t head[9];
  guint head_len;

  g_return_if_fail (aml != NULL);
  g_return_if_fail (aml->frames->len > 0);

  f = g_array_index (aml->frames, Frame, aml->frames->len - 1);
  g_array_set_size (aml->frames, aml->frames->len - 1);

  /* What comes between the PkgLength and the body. */
  switch (f.kind)
    {
    case FRAME_SCOPE:
      break;

    case FRAME_PACKAGE:
      /* More than 255 elements needs a VarPackage, which no table here
       * has a use for. */
      g_return_if_fail (f.n_elements <= 255);
      head[0] = (uint8_t) f.n_elements;
      insert_bytes (aml->buf, f.start, head, 1);
      break;

    case FRAME_BUFFER:
      put_bytes (aml, end_tag, sizeof end_tag);
      head_len = encode_integer (head, aml->buf->len - f.start);
      insert_bytes (aml->buf, f.start, head, head_len);
      break;

    default:
      g_assert_not_reached ();
    }

  head_len = encode_pkg_length (head, aml->buf->len - f.start);
  insert_bytes (aml->buf, f.start, head, head_len);
}

static void
res_put (VmmAml *aml, const uint8_t *desc, size_t len)
{
  g_return_if_fail (aml->frames->len > 0
                    && g_array_index (aml->frames, Frame, aml->frames->len - 1).kind == FRAME_BUFFER);
  put_bytes (aml, desc, len);
}

void
vmm_aml_res_io (VmmAml *aml, uint16_t base, uint8_t len)
{
  /* Information bit 0: the device decodes all 16 address bits. */
  uint8_t d[8] = { RES_IO, 0x01, 0, 0, 0, 0, 1, len };

  g_return_if_fail (aml != NULL);
  vmm_put_le16 (d + 2, base);
  vmm_put_le16 (d + 4, base);
  res_put (aml, d, sizeof d);
}

void
vmm_aml_res_irq (VmmAml *aml, unsigned irq)
{
  uint8_t d[3] = { RES_IRQ_NO_FLAGS, 0, 0 };

  g_return_if_fail (aml != NULL);
  g_return_if_fail (irq < 16);
  vmm_put_le16 (d + 1, (uint16_t) (1u << irq));
  res_put (aml, d, sizeof d);
}

void
vmm_aml_res_mem32_fixed (VmmAml *aml, uint32_t base, uint32_t len)
{
  uint8_t d[12] = { RES_MEM32_FIXED, 9, 0, 0x01 /* read-write */ };

  g_return_if_fail (aml != NULL);
  vmm_put_le32 (d + 4, base);
  vmm_put_le32 (d + 8, len);
  res_put (aml, d, sizeof d);
}

/* Word, DWord and QWord address space descriptors share one layout with
 * fields of @width bytes: granularity, minimum, maximum, translation
 * offset, length. */
static void
res_address (VmmAml *aml, uint8_t tag, unsigned width, uint8_t type, uint8_t type_flags,
             uint64_t min, uint64_t max)
{
  uint8_t d[3 + 3 + 5 * 8];
  size_t len = 6 + 5 * width;

  g_return_if_fail (min <= max);

  memset (d, 0, sizeof d);
  d[0] = tag;
  vmm_put_le16 (d + 1, (uint16_t) (len - 3));
  d[3] = type;
  d[4] = RES_WINDOW_FLAGS;
  d[5] = type_flags;
  for (unsigned i = 0; i < width; i++)
    {
      d[6 + 1 * width + i] = (uint8_t) (min >> (8 * i));
      d[6 + 2 * width + i] = (uint8_t) (max >> (8 * i));
      d[6 + 4 * width + i] = (uint8_t) ((max - min + 1) >> (8 * i));
    }
  res_put (aml, d, len);
}

void
vmm_aml_res_bus_window (VmmAml *aml, uint16_t min, uint16_t max)
{
  g_return_if_fail (aml != NULL);
  res_address (aml, RES_WORD_ADDRESS, 2, RES_TYPE_BUS, 0, min, max);
}

void
vmm_aml_res_io_window (VmmAml *aml, uint16_t min, uint16_t max)
{
  g_return_if_fail (aml != NULL);
  res_address (aml, RES_WORD_ADDRESS, 2, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, min, max);
}

void
vmm_aml_res_mem32_window (VmmAml *aml, uint32_t min, uint32_t max)
{
  g_return_if_fail (aml != NULL);
  res_address (aml, RES_DWORD_ADDRESS, 4, RES_TYPE_MEMORY, RES_MEM_CACHEABLE_RW, min, max);
}

void
vmm_aml_res_mem64_window (VmmAml *aml, uint64_t min, uint64_t max)
{
  g_return_if_fail (aml != NULL);
  res_address (aml, RES_QWORD_ADDRESS, 8, RES_TYPE_MEMORY, RES_MEM_CACHEABLE_RW, min, max);
}
