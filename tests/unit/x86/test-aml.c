/* test-aml.c: the AML builder's encodings, byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "aml.h"

static void
check_bytes (VmmAml *aml, const uint8_t *expected, size_t len)
{
  g_autoptr(GByteArray) out = vmm_aml_finish (aml);

  g_assert_nonnull (out);
  g_assert_cmpmem (out->data, out->len, expected, len);
}

static void
test_integers (void)
{
  static const uint8_t expected[] = {
    0x00,
    0x01,
    0x0a, 0x12,
    0x0a, 0xff,
    0x0b, 0x00, 0x01,
    0x0b, 0x34, 0x12,
    0x0c, 0x78, 0x56, 0x34, 0x12,
    0x0e, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00,
    0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  };
  VmmAml *aml = vmm_aml_new ();

  vmm_aml_integer (aml, 0);
  vmm_aml_integer (aml, 1);
  vmm_aml_integer (aml, 0x12);
  vmm_aml_integer (aml, 0xff);
  vmm_aml_integer (aml, 0x100);
  vmm_aml_integer (aml, 0x1234);
  vmm_aml_integer (aml, 0x12345678);
  vmm_aml_integer (aml, 0x123456789ull);
  vmm_aml_integer (aml, G_MAXUINT64);
  check_bytes (aml, expected, sizeof expected);
}

static void
test_names (void)
{
  static const uint8_t expected[] = {
    0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08,    /* Name (_HID, EisaId ("PNP0A08")) */
    0x08, 0x5c, '_', 'S', '5', '_', 0x0d, 'a', 'b', 0x00,      /* Name (\_S5, "ab") */
    0x08, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 0x00,
    0x08, 0x2f, 0x03, 'A', '_', '_', '_', 'B', 'C', '_', '_', 'D', '1', '2', '3', 0x01,
    0x08, 0x5e, 0x5e, 'R', 'T', 'C', '_', 0x0c, 0x41, 0xd0, 0x0f, 0x13,  /* PNP0F13 */
  };
  VmmAml *aml = vmm_aml_new ();

  vmm_aml_name (aml, "_HID");
  vmm_aml_eisaid (aml, "PNP0A08");
  vmm_aml_name (aml, "\\_S5");
  vmm_aml_string (aml, "ab");
  vmm_aml_name (aml, "\\_SB.PCI0");
  vmm_aml_integer (aml, 0);
  vmm_aml_name (aml, "A.BC.D123");
  vmm_aml_integer (aml, 1);
  vmm_aml_name (aml, "^^RTC");
  vmm_aml_eisaid (aml, "PNP0F13");
  check_bytes (aml, expected, sizeof expected);
}

/* Decodes the PkgLength at @p; returns its value and its size. */
static guint
decode_pkg_length (const uint8_t *p, guint *n_bytes)
{
  guint n = (p[0] >> 6) + 1;
  guint v;

  *n_bytes = n;
  if (n == 1)
    return p[0] & 0x3f;
  g_assert_cmpuint (p[0] & 0x30, ==, 0);
  v = p[0] & 0x0f;
  for (guint i = 1; i < n; i++)
    v |= (guint) p[i] << (4 + 8 * (i - 1));
  return v;
}

static void
test_pkg_length (void)
{
  /* Scope bodies of every size around the 1/2/3-byte boundaries: the
   * encoded length must be exact and use the fewest bytes. */
  static const guint string_lens[] = { 0, 1, 50, 54, 55, 56, 57, 100, 4080, 4085, 4086, 4087, 4100, 70000 };

  for (guint k = 0; k < G_N_ELEMENTS (string_lens); k++)
    {
      VmmAml *aml = vmm_aml_new ();
      g_autofree char *str = g_strnfill (string_lens[k], 'x');
      g_autoptr(GByteArray) out = NULL;
      guint n_bytes, value, body;

      vmm_aml_begin_scope (aml, "_SB");
      vmm_aml_name (aml, "S");
      vmm_aml_string (aml, str);
      vmm_aml_end (aml);
      out = vmm_aml_finish (aml);

      g_assert_cmphex (out->data[0], ==, 0x10);
      value = decode_pkg_length (out->data + 1, &n_bytes);
      g_assert_cmpuint (value, ==, out->len - 1);
      body = value - n_bytes;
      g_assert_cmpuint (body, ==, 4 + 1 + 4 + 1 + string_lens[k] + 1);
      if (body + 1 < 0x40)
        g_assert_cmpuint (n_bytes, ==, 1);
      else if (body + 2 < 0x1000)
        g_assert_cmpuint (n_bytes, ==, 2);
      else
        g_assert_cmpuint (n_bytes, ==, 3);
      g_assert_cmpmem (out->data + 1 + n_bytes, 4, "_SB_", 4);
    }
}

static void
test_packages (void)
{
  static const uint8_t expected[] = {
    0x08, '_', 'P', 'R', 'T',
    0x12, 0x0c, 0x03,                  /* Package (3) */
    0x01,
    0x12, 0x05, 0x02, 0x0a, 0x02, 0x00,  /* Package (2) { 2, 0 } */
    0x0d, 'x', 0x00,
    0x12, 0x02, 0x00,                  /* Package (0) {} */
  };
  VmmAml *aml = vmm_aml_new ();

  vmm_aml_name (aml, "_PRT");
  vmm_aml_begin_package (aml);
  vmm_aml_integer (aml, 1);
  vmm_aml_begin_package (aml);
  vmm_aml_integer (aml, 2);
  vmm_aml_integer (aml, 0);
  vmm_aml_end (aml);
  vmm_aml_string (aml, "x");
  /* An element of the outer package still. */
  vmm_aml_end (aml);
  vmm_aml_begin_package (aml);
  vmm_aml_end (aml);
  check_bytes (aml, expected, sizeof expected);
}

static void
test_device_method (void)
{
  static const uint8_t expected[] = {
    0x5b, 0x82, 0x15, 'D', 'E', 'V', '0',
    0x14, 0x09, '_', 'S', 'T', 'A', 0x0b,  /* 3 args, serialized */
    0xa4, 0x0a, 0x0f,
    0x08, 'X', '_', '_', '_', 0x00,
  };
  VmmAml *aml = vmm_aml_new ();

  vmm_aml_begin_device (aml, "DEV0");
  vmm_aml_begin_method (aml, "_STA", 3, TRUE);
  vmm_aml_return (aml);
  vmm_aml_integer (aml, 0x0f);
  vmm_aml_end (aml);
  vmm_aml_name (aml, "X");
  vmm_aml_integer (aml, 0);
  vmm_aml_end (aml);
  g_assert_cmpuint (sizeof expected, ==, 2 + 0x15);
  check_bytes (aml, expected, sizeof expected);
}

static void
test_resources (void)
{
  static const uint8_t expected[] = {
    0x11, 0x10, 0x0a, 0x0d,
    0x22, 0x10, 0x00,                              /* IRQNoFlags () {4} */
    0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,  /* IO (Decode16, 0x3F8, 0x3F8, 1, 8) */
  };
  static const uint8_t windows[] = {
    /* WordBusNumber 0-255 */
    0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01,
    /* WordIO 0xD00-0xFFFF */
    0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
    0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
    /* DWordMemory 0xC0000000-0xFEBFFFFF */
    0x87, 0x17, 0x00, 0x00, 0x0c, 0x03,
    0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0, 0x00, 0x00, 0xc0, 0x3e,
    /* QWordMemory 0x800000000-0xFFFFFFFFF */
    0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03,
    0, 0, 0, 0, 0, 0, 0, 0,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00,
    0, 0, 0, 0, 0, 0, 0, 0,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
    /* Memory32Fixed (ReadWrite, 0xB0000000, 0x10000000) */
    0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0, 0x00, 0x00, 0x00, 0x10,
    0x79, 0x00,
  };
  VmmAml *aml = vmm_aml_new ();
  g_autoptr(GByteArray) out = NULL;
  guint n_bytes;

  vmm_aml_begin_resource_template (aml);
  vmm_aml_res_irq (aml, 4);
  vmm_aml_res_io (aml, 0x3f8, 8);
  vmm_aml_end (aml);
  out = vmm_aml_finish (aml);
  /* The bytes, then the end tag. */
  g_assert_cmpuint (out->len, ==, sizeof expected + 2);
  g_assert_cmpmem (out->data, sizeof expected, expected, sizeof expected);
  g_assert_cmphex (out->data[sizeof expected], ==, 0x79);
  g_assert_cmphex (out->data[sizeof expected + 1], ==, 0x00);
  g_clear_pointer (&out, g_byte_array_unref);

  aml = vmm_aml_new ();
  vmm_aml_begin_resource_template (aml);
  vmm_aml_res_bus_window (aml, 0, 255);
  vmm_aml_res_io_window (aml, 0xd00, 0xffff);
  vmm_aml_res_mem32_window (aml, 0xc0000000, 0xfebfffff);
  vmm_aml_res_mem64_window (aml, 0x800000000ull, 0xfffffffffull);
  vmm_aml_res_mem32_fixed (aml, 0xb0000000, 0x10000000);
  vmm_aml_end (aml);
  out = vmm_aml_finish (aml);
  /* Buffer, PkgLength (2 bytes), BufferSize (byte prefix), bytes. */
  g_assert_cmphex (out->data[0], ==, 0x11);
  g_assert_cmpuint (decode_pkg_length (out->data + 1, &n_bytes), ==, out->len - 1);
  g_assert_cmpuint (n_bytes, ==, 2);
  g_assert_cmphex (out->data[3], ==, 0x0a);
  g_assert_cmpuint (out->data[4], ==, sizeof windows);
  g_assert_cmpmem (out->data + 5, out->len - 5, windows, sizeof windows);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/x86/aml/integers", test_integers);
  g_test_add_func ("/x86/aml/names", test_names);
  g_test_add_func ("/x86/aml/pkg-length", test_pkg_length);
  g_test_add_func ("/x86/aml/packages", test_packages);
  g_test_add_func ("/x86/aml/device-method", test_device_method);
  g_test_add_func ("/x86/aml/resources", test_resources);
  return g_test_run ();
}
