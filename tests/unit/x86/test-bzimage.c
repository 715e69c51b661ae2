/* test-bzimage.c: bzImage parsing, initrd placement and the zero page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "bzimage.h"
#include "layout.h"

#define MiB ((uint64_t) 1024 * 1024)
#define GiB (1024ull * MiB)

/* What a synthetic kernel file looks like; each test breaks one field. */
typedef struct {
  uint8_t setup_sects;
  uint16_t protocol;
  uint8_t header_len;         /* the jump at 0x200 skips this many bytes */
  uint16_t xloadflags;
  uint8_t relocatable;
  uint32_t kernel_alignment;
  uint64_t pref_address;
  uint32_t init_size;
  uint32_t initrd_addr_max;
  uint32_t cmdline_size;
  size_t kernel_len;
  uint32_t syssize;           /* 0: derived from kernel_len */
} Spec;

static Spec
good_spec (void)
{
  return (Spec) {
    .setup_sects = 27,
    .protocol = 0x020f,
    .header_len = 0x6a,
    .xloadflags = VMM_BOOT_XLF_KERNEL_64 | VMM_BOOT_XLF_CAN_BE_LOADED_ABOVE_4G,
    .relocatable = 1,
    .kernel_alignment = 0x200000,
    .pref_address = 0x1000000,
    .init_size = 0x2000000,
    .initrd_addr_max = 0x7fffffff,
    .cmdline_size = 2047,
    .kernel_len = 70000,
  };
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, (uint16_t) v);
  put16 (p + 2, (uint16_t) (v >> 16));
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t
get32 (const uint8_t *p)
{
  return get16 (p) | (uint32_t) get16 (p + 2) << 16;
}

static uint64_t
get64 (const uint8_t *p)
{
  return get32 (p) | (uint64_t) get32 (p + 4) << 32;
}

/* An exactly-sized heap buffer, so that ASan catches any read past it. */
static uint8_t *
make_image (const Spec *s, size_t *len)
{
  size_t setup = ((s->setup_sects ? s->setup_sects : 4) + 1) * 512u;
  uint8_t *d;

  *len = setup + s->kernel_len;
  d = g_malloc0 (*len);
  for (size_t i = setup; i < *len; i++)
    d[i] = (uint8_t) (i * 7);
  d[0x1f1] = s->setup_sects;
  put32 (d + 0x1f4, s->syssize ? s->syssize : (uint32_t) ((s->kernel_len + 15) / 16));
  put16 (d + 0x1fa, 0xffff);
  put16 (d + 0x1fe, 0xaa55);
  d[0x200] = 0xeb;
  d[0x201] = s->header_len;
  memcpy (d + 0x202, "HdrS", 4);
  put16 (d + 0x206, s->protocol);
  d[0x211] = VMM_BOOT_LOADED_HIGH;
  put32 (d + 0x214, 0x100000);
  put32 (d + 0x22c, s->initrd_addr_max);
  put32 (d + 0x230, s->kernel_alignment);
  d[0x234] = s->relocatable;
  d[0x235] = 21;
  put16 (d + 0x236, s->xloadflags);
  put32 (d + 0x238, s->cmdline_size);
  put32 (d + 0x258, (uint32_t) s->pref_address);
  put32 (d + 0x25c, (uint32_t) (s->pref_address >> 32));
  put32 (d + 0x260, s->init_size);
  /* Setup code right after the header: must not reach the zero page. */
  for (size_t i = 0x202 + s->header_len; i < 0x290 && i < setup; i++)
    d[i] = 0xcc;
  return d;
}

static void
expect_parse_error (const Spec *s, const char *message_part)
{
  g_autoptr(GError) error = NULL;
  size_t len;
  g_autofree uint8_t *d = make_image (s, &len);
  VmmBzImage img;

  g_assert_false (vmm_bzimage_parse (d, len, &img, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_parse_good (void)
{
  g_autoptr(GError) error = NULL;
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = make_image (&s, &len);
  VmmBzImage img;

  g_assert_true (vmm_bzimage_parse (d, len, &img, &error));
  g_assert_no_error (error);
  g_assert_cmphex (img.protocol, ==, 0x020f);
  g_assert_cmpuint (img.setup_size, ==, 28 * 512);
  g_assert_true (img.kernel == d + 28 * 512);
  g_assert_cmpuint (img.kernel_len, ==, 70000);
  g_assert_cmphex (img.load_addr, ==, 0x1000000);
  g_assert_cmphex (img.init_size, ==, 0x2000000);
  g_assert_cmphex (img.initrd_addr_max, ==, 0x7fffffff);
  g_assert_cmpuint (img.cmdline_size, ==, 2047);
  g_assert_cmphex (img.xloadflags, ==, 3);
  g_assert_cmphex (img.kernel_end, ==, 0x1000000 + 0x2000000);
  /* The header is kept as found, and nothing past its end. */
  g_assert_cmpmem (img.header, 0x202 + 0x6a - 0x1f1, d + 0x1f1, 0x202 + 0x6a - 0x1f1);
  for (size_t i = 0x202 + 0x6a - 0x1f1; i < sizeof img.header; i++)
    g_assert_cmpuint (img.header[i], ==, 0);
}

static void
test_parse_defaults (void)
{
  g_autoptr(GError) error = NULL;
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = NULL;
  VmmBzImage img;

  /* setup_sects 0 means 4; a fixed-address kernel loads at 1 MiB and
   * moves itself up to its pref_address, which the footprint counts. */
  s.setup_sects = 0;
  s.relocatable = 0;
  s.kernel_alignment = 0;
  d = make_image (&s, &len);
  g_assert_true (vmm_bzimage_parse (d, len, &img, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (img.setup_size, ==, 5 * 512);
  g_assert_cmphex (img.load_addr, ==, VMM_HIMEM_START);
  g_assert_cmphex (img.kernel_end, ==, 0x1000000 + 0x2000000);
  g_clear_pointer (&d, g_free);

  /* A relocatable kernel without a pref_address loads at 1 MiB. */
  s = good_spec ();
  s.pref_address = 0;
  s.init_size = 0x100000;
  s.kernel_len = 0x180000;
  d = make_image (&s, &len);
  g_assert_true (vmm_bzimage_parse (d, len, &img, &error));
  g_assert_cmphex (img.load_addr, ==, VMM_HIMEM_START);
  /* Aligned up to 2 MiB to run, and never shorter than the file. */
  g_assert_cmphex (img.kernel_end, ==, 0x200000 + 0x180000);
}

static void
test_parse_truncated (void)
{
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = make_image (&s, &len);

  /* Every prefix up to the end of the setup code is refused, each read
   * from its own exactly-sized copy so ASan sees any over-read. */
  for (size_t n = 0; n <= 28 * 512; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree uint8_t *copy = g_memdup2 (d, n);
      VmmBzImage img;

      g_assert_false (vmm_bzimage_parse (copy, n, &img, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }

  /* A kernel cut short of what syssize promises. */
  {
    g_autoptr(GError) error = NULL;
    VmmBzImage img;

    g_assert_false (vmm_bzimage_parse (d, len - 16, &img, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "truncated"));
    g_clear_error (&error);
    /* ... while a partial last paragraph is how kernels are built. */
    g_assert_true (vmm_bzimage_parse (d, len - 8, &img, &error));
  }
}

static void
test_parse_bad_magic (void)
{
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = make_image (&s, &len);
  g_autoptr(GError) error = NULL;
  VmmBzImage img;

  d[0x203] = 'X';
  g_assert_false (vmm_bzimage_parse (d, len, &img, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "The kernel file is not a Linux kernel (bzImage)");
}

static void
test_parse_malformed (void)
{
  Spec s;

  s = good_spec ();
  s.protocol = 0x0205;
  expect_parse_error (&s, "2.05");

  s = good_spec ();
  s.protocol = 0x020b;
  expect_parse_error (&s, "64-bit");

  s = good_spec ();
  s.xloadflags = VMM_BOOT_XLF_CAN_BE_LOADED_ABOVE_4G;
  expect_parse_error (&s, "64-bit");

  s = good_spec ();
  s.header_len = 0x20;
  expect_parse_error (&s, "header is too short");

  /* setup_sects pointing past the end of the file. */
  s = good_spec ();
  s.setup_sects = 200;
  s.kernel_len = 0;
  {
    size_t len;
    g_autofree uint8_t *d = make_image (&s, &len);
    g_autoptr(GError) error = NULL;
    VmmBzImage img;

    /* The file ends inside what the header calls setup code. */
    g_assert_false (vmm_bzimage_parse (d, 60 * 512, &img, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "setup code"));
  }

  s = good_spec ();
  s.init_size = 0xf0000000;
  expect_parse_error (&s, "3840 MiB");

  s = good_spec ();
  s.init_size = 0;
  expect_parse_error (&s, "init_size");

  s = good_spec ();
  s.kernel_alignment = 0x300000;
  expect_parse_error (&s, "kernel_alignment");

  s = good_spec ();
  s.pref_address = 0x1000001;
  expect_parse_error (&s, "pref_address");

  s = good_spec ();
  s.relocatable = 0;
  s.pref_address = 0x4000000000ull;
  expect_parse_error (&s, "pref_address");
}

static void
test_parse_host_kernel (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/boot", 0, NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  gsize len;
  VmmBzImage img;

  /* VIREO_TEST_KERNEL names a kernel to use when /boot has none. */
  if (g_getenv ("VIREO_TEST_KERNEL"))
    path = g_strdup (g_getenv ("VIREO_TEST_KERNEL"));
  while (path == NULL && dir && (name = g_dir_read_name (dir)))
    if (g_str_has_prefix (name, "vmlinuz-"))
      {
        path = g_build_filename ("/boot", name, NULL);
        break;
      }
  if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL))
    {
      g_test_skip ("no readable /boot/vmlinuz-* (or $VIREO_TEST_KERNEL) on this machine");
      return;
    }

  g_test_message ("parsing %s", path);
  g_assert_true (vmm_bzimage_parse ((const uint8_t *) contents, len, &img, &error));
  g_assert_no_error (error);
  g_assert_cmphex (img.protocol, >=, 0x020c);
  g_assert_true (img.xloadflags & VMM_BOOT_XLF_KERNEL_64);
  g_assert_cmpuint (img.setup_size + img.kernel_len, ==, len);
  g_assert_cmpuint (img.init_size, >=, img.kernel_len);
  g_assert_cmphex (img.load_addr, >=, VMM_HIMEM_START);
  g_assert_cmpmem (img.header + 0x202 - 0x1f1, 4, "HdrS", 4);
}

static VmmBzImage
good_image (void)
{
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = make_image (&s, &len);
  VmmBzImage img;

  g_assert_true (vmm_bzimage_parse (d, len, &img, NULL));
  /* The buffer goes away; these tests use only the copied fields. */
  img.kernel = NULL;
  return img;
}

static void
test_initrd_fits (void)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img = good_image ();
  uint64_t len = 10 * MiB + 123, gpa = 0;

  g_assert_true (vmm_bzimage_place_initrd (&img, 256 * MiB, img.kernel_end, len, &gpa, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gpa % 4096, ==, 0);
  g_assert_cmpuint (gpa + len, <=, 256 * MiB);
  /* The highest such address: one page up would not fit. */
  g_assert_cmpuint (gpa + 4096 + len, >, 256 * MiB);
  g_assert_cmpuint (gpa, >=, img.kernel_end);

  /* Exactly filling the space between the kernel and the end of RAM. */
  len = 256 * MiB - img.kernel_end;
  g_assert_true (vmm_bzimage_place_initrd (&img, 256 * MiB, img.kernel_end, len, &gpa, &error));
  g_assert_cmphex (gpa, ==, img.kernel_end);
}

static void
test_initrd_too_large (void)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img = good_image ();
  uint64_t gpa = 0x1234;

  g_assert_cmphex (img.kernel_end, ==, 48 * MiB);
  g_assert_false (vmm_bzimage_place_initrd (&img, 256 * MiB, img.kernel_end, 250 * MiB, &gpa, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "250 MiB"));
  g_assert_nonnull (strstr (error->message, "at least 298 MiB"));
  g_assert_cmphex (gpa, ==, 0x1234);
  g_clear_error (&error);

  /* One page too many for the space above the kernel. */
  g_assert_false (vmm_bzimage_place_initrd (&img, 256 * MiB, img.kernel_end,
                                            256 * MiB - img.kernel_end + 1, &gpa, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* More than any guest's low memory. */
  g_assert_false (vmm_bzimage_place_initrd (&img, 2 * GiB, img.kernel_end, 3 * GiB, &gpa, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "too large"));
}

static void
test_initrd_addr_max (void)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img = good_image ();
  uint64_t len = 5 * MiB + 1, gpa = 0;

  img.initrd_addr_max = 0x37ffffff;
  g_assert_true (vmm_bzimage_place_initrd (&img, 2 * GiB, img.kernel_end, len, &gpa, &error));
  g_assert_no_error (error);
  g_assert_cmphex (gpa + len - 1, <=, 0x37ffffff);
  g_assert_cmphex (gpa + len + 4096, >, 0x38000000);
  g_assert_cmpuint (gpa % 4096, ==, 0);

  /* The kernel's limit, not the guest's memory, is what is too small. */
  g_assert_false (vmm_bzimage_place_initrd (&img, 2 * GiB, img.kernel_end, 0x38000000, &gpa, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "below 896 MiB"));
}

static void
test_zero_page (void)
{
  g_autoptr(GError) error = NULL;
  Spec s = good_spec ();
  size_t len;
  g_autofree uint8_t *d = make_image (&s, &len);
  VmmBzImage img;
  VmmE820Entry map[VMM_E820_MAX];
  size_t n = vmm_e820_build (1 * GiB, map, G_N_ELEMENTS (map));
  uint8_t zp[4096];

  g_assert_true (vmm_bzimage_parse (d, len, &img, &error));
  memset (zp, 0x5a, sizeof zp);
  g_assert_true (vmm_bzimage_setup_zero_page (&img, zp, map, n, VMM_CMDLINE_ADDR, 2047,
                                              0x30000000, 0x123456, VMM_ACPI_TABLES_START, &error));
  g_assert_no_error (error);

  /* Header copied, then the loader's fields over it. */
  g_assert_cmpmem (zp + 0x202, 4, "HdrS", 4);
  g_assert_cmphex (get16 (zp + 0x206), ==, 0x020f);
  g_assert_cmphex (get32 (zp + 0x238), ==, 2047);
  g_assert_cmphex (zp[0x210], ==, 0xff);
  g_assert_cmphex (zp[0x211], ==, VMM_BOOT_LOADED_HIGH | VMM_BOOT_CAN_USE_HEAP);
  g_assert_cmphex (get16 (zp + 0x224), ==, 0xfe00 - 0x200);
  g_assert_cmphex (get32 (zp + 0x228), ==, VMM_CMDLINE_ADDR);
  g_assert_cmphex (get32 (zp + 0x0c8), ==, 0);
  g_assert_cmphex (get32 (zp + 0x218), ==, 0x30000000);
  g_assert_cmphex (get32 (zp + 0x21c), ==, 0x123456);
  g_assert_cmphex (get32 (zp + 0x0c0), ==, 0);
  g_assert_cmphex (get32 (zp + 0x0c4), ==, 0);
  g_assert_cmphex (get64 (zp + 0x070), ==, VMM_ACPI_TABLES_START);
  /* Setup code following the header in the file stays out. */
  for (size_t i = 0x202 + 0x6a; i < 0x290; i++)
    g_assert_cmpuint (zp[i], ==, 0);
  g_assert_cmpuint (zp[0x1ef], ==, 0);  /* sentinel */
  g_assert_cmpuint (zp[0x1e8], ==, n);
  for (size_t i = 0; i < n; i++)
    {
      const uint8_t *e = zp + 0x2d0 + 20 * i;

      g_assert_cmphex (get64 (e), ==, map[i].addr);
      g_assert_cmphex (get64 (e + 8), ==, map[i].size);
      g_assert_cmphex (get32 (e + 16), ==, map[i].type);
    }
  g_assert_cmpuint (get32 (zp + 0x2d0 + 20 * n + 16), ==, 0);
  g_assert_cmpuint (zp[4095], ==, 0);
}

static void
test_zero_page_high (void)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img = good_image ();
  uint8_t zp[4096];

  /* Addresses above 4 GiB go to the ext_* fields. */
  g_assert_true (vmm_bzimage_setup_zero_page (&img, zp, NULL, 0, 0x123456789ull, 0,
                                              0x200001000ull, 4096, 0, &error));
  g_assert_cmphex (get32 (zp + 0x228), ==, 0x23456789);
  g_assert_cmphex (get32 (zp + 0x0c8), ==, 0x1);
  g_assert_cmphex (get32 (zp + 0x218), ==, 0x00001000);
  g_assert_cmphex (get32 (zp + 0x0c0), ==, 0x2);
  g_assert_cmpuint (zp[0x1e8], ==, 0);

  /* Before boot protocol 2.14 the RSDP field is left alone. */
  img.protocol = 0x020d;
  g_assert_true (vmm_bzimage_setup_zero_page (&img, zp, NULL, 0, 0, 0, 0, 0, 0xe0000, &error));
  g_assert_cmphex (get64 (zp + 0x070), ==, 0);
}

static void
test_zero_page_errors (void)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img = good_image ();
  VmmE820Entry many[VMM_BOOT_E820_MAX + 1] = { 0 };
  uint8_t zp[4096];

  g_assert_false (vmm_bzimage_setup_zero_page (&img, zp, NULL, 0, VMM_CMDLINE_ADDR, 2048,
                                               0, 0, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "2047"));
  g_clear_error (&error);

  g_assert_false (vmm_bzimage_setup_zero_page (&img, zp, many, G_N_ELEMENTS (many),
                                               VMM_CMDLINE_ADDR, 0, 0, 0, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (vmm_bzimage_setup_zero_page (&img, zp, many, VMM_BOOT_E820_MAX,
                                              VMM_CMDLINE_ADDR, 0, 0, 0, 0, &error));
  g_assert_cmpuint (zp[0x1e8], ==, VMM_BOOT_E820_MAX);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/x86/bzimage/parse/good", test_parse_good);
  g_test_add_func ("/x86/bzimage/parse/defaults", test_parse_defaults);
  g_test_add_func ("/x86/bzimage/parse/truncated", test_parse_truncated);
  g_test_add_func ("/x86/bzimage/parse/bad-magic", test_parse_bad_magic);
  g_test_add_func ("/x86/bzimage/parse/malformed", test_parse_malformed);
  g_test_add_func ("/x86/bzimage/parse/host-kernel", test_parse_host_kernel);
  g_test_add_func ("/x86/bzimage/initrd/fits", test_initrd_fits);
  g_test_add_func ("/x86/bzimage/initrd/too-large", test_initrd_too_large);
  g_test_add_func ("/x86/bzimage/initrd/addr-max", test_initrd_addr_max);
  g_test_add_func ("/x86/bzimage/zero-page/fields", test_zero_page);
  g_test_add_func ("/x86/bzimage/zero-page/high", test_zero_page_high);
  g_test_add_func ("/x86/bzimage/zero-page/errors", test_zero_page_errors);
  return g_test_run ();
}
