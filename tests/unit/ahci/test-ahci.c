/* test-ahci.c: the AHCI controller, its SATA disk and ATAPI CD-ROM, driven
 * by a fake guest (ahci-test-driver.c) against raw, qcow2 and ISO images.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ahci-test-driver.h"

#define DISK_SIZE (4u << 20)
#define BUF_A     ATD_DATA
#define BUF_B     (ATD_DATA + 0x200000u)

#define IS_DHRS   (1u << 0)
#define IS_PSS    (1u << 1)
#define IS_SDBS   (1u << 3)
#define IS_TFES   (1u << 30)

static char *
tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ahci-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);

  g_assert_cmpint (system (cmd), ==, 0);
}

static VmmImage *
open_image (const char *path, VmmImageFormat fmt, bool ro)
{
  g_autoptr (GError) error = NULL;
  VmmImage *img = vmm_image_open (path, fmt, ro, &error);

  g_assert_no_error (error);
  g_assert_nonnull (img);
  return img;
}

/* A data CD made by xorriso: /DATA.BIN holds @sectors 2048-byte sectors,
 * each starting with its own index. */
static char *
make_iso (const char *dir, const char *name, unsigned sectors)
{
  g_autofree char *root = g_build_filename (dir, "isoroot", NULL);
  g_autofree char *file = g_build_filename (root, "DATA.BIN", NULL);
  char *iso = g_build_filename (dir, name, NULL);
  g_autofree uint8_t *data = g_malloc0 ((size_t) sectors * 2048);
  g_autofree char *cmd = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (root, 0755), ==, 0);
  for (unsigned i = 0; i < sectors; i++)
    {
      memcpy (data + (size_t) i * 2048, "VIREOSEC", 8);
      vmm_le_put (data + (size_t) i * 2048 + 8, 4, i);
    }
  g_file_set_contents (file, (const char *) data, (gssize) sectors * 2048, &error);
  g_assert_no_error (error);
  cmd = g_strdup_printf ("xorriso -as mkisofs -quiet -V VIREOTEST -o '%s' '%s' >/dev/null 2>&1",
                         iso, root);
  g_assert_cmpint (system (cmd), ==, 0);
  return iso;
}

static Atd *
disk_atd_engine (const char *dir, VmmImageFormat fmt, VmmBlockEngineKind engine, char **path_out)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, fmt == VMM_IMAGE_FORMAT_RAW ? "d.raw" : "d.qcow2", NULL);
  VmmAhciConfig cfg = { 0 };

  if (fmt == VMM_IMAGE_FORMAT_RAW)
    g_assert_true (vmm_image_create_raw (path, DISK_SIZE, &error));
  else
    g_assert_true (vmm_image_create_qcow2 (path, DISK_SIZE, 65536, NULL, NULL, &error));
  g_assert_no_error (error);
  cfg.drives[0] = (VmmAhciDrive) { VMM_AHCI_DRIVE_DISK, open_image (path, fmt, false), false,
                                   "SERIAL123" };
  cfg.drives[1] = (VmmAhciDrive) { VMM_AHCI_DRIVE_CDROM, NULL, false, NULL };
  cfg.engine = engine;
  *path_out = path;
  return atd_new (&cfg);
}

static Atd *
disk_atd (const char *dir, VmmImageFormat fmt, char **path_out)
{
  return disk_atd_engine (dir, fmt, VMM_BLOCK_ENGINE_AUTO, path_out);
}

static void
test_registers (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd (dir, VMM_IMAGE_FORMAT_RAW, &path);
  VmmPciDevice *pci = atd_pci (atd);
  uint32_t cap = atd_read (atd, 0x00);

  g_assert_cmphex (pci->cfg[0] | pci->cfg[1] << 8, ==, 0x8086);
  g_assert_cmphex (pci->cfg[2] | pci->cfg[3] << 8, ==, 0x2922);
  g_assert_cmphex (pci->cfg[9] | pci->cfg[10] << 8 | pci->cfg[11] << 16, ==, 0x010601);
  g_assert_cmpuint (pci->bar_size[5], ==, 0x1000);
  g_assert_cmpuint (cap & 0x1f, ==, VMM_AHCI_MAX_PORTS - 1);
  g_assert_cmpuint ((cap >> 8) & 0x1f, ==, 31);
  g_assert_true (cap & (1u << 30));                         /* NCQ */
  g_assert_cmphex (atd_read (atd, 0x0c), ==, 0x3f);
  g_assert_cmphex (atd_read (atd, 0x04) & 0x80000000u, !=, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SIG), ==, 0x00000101);
  g_assert_cmphex (atd_port_read (atd, 1, ATD_PX_SIG), ==, 0xeb140101);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SSTS) & 0xf, ==, 3);
  g_assert_cmphex (atd_port_read (atd, 2, ATD_PX_SSTS) & 0xf, ==, 0);

  /* ST brings CR, clearing it drops CR (nothing in flight). */
  atd_port_start (atd, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & 0xc011, ==, 0xc011);
  /* The signature FIS went to the receive area once FRE was set. */
  g_assert_cmphex (atd_ram (atd)[atd_fb (0) + 0x40], ==, 0x34);
  atd_port_write (atd, 0, ATD_PX_CMD, 1u << 4);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & 0x8001, ==, 0);

  /* COMRESET through SCTL.DET. */
  atd_port_write (atd, 0, ATD_PX_SCTL, 1);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SSTS) & 0xf, ==, 0);
  atd_port_write (atd, 0, ATD_PX_SCTL, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SSTS) & 0xf, ==, 3);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_TFD) & 0x88, ==, 0);

  /* HBA reset clears the port's registers. */
  atd_write (atd, 0x04, 1);
  g_assert_cmphex (atd_read (atd, 0x04) & 3, ==, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CLB), ==, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & 0x11, ==, 0);

  /* Byte-wide access to a dword register. */
  {
    uint8_t d[1];

    pci->bar_ops[5]->read (pci->bar_opaque[5], 0x0c, d, 1);
    g_assert_cmphex (d[0], ==, 0x3f);
  }
  atd_free (atd);
  rm_rf (dir);
}

static void
test_identify (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd (dir, VMM_IMAGE_FORMAT_RAW, &path);
  AtdPrd prd = { BUF_A, 512 };
  AtdCmd cmd = { .prds = &prd, .n_prds = 1 };
  AtdResult res;
  const uint8_t *id = atd_ram (atd) + BUF_A;
  uint8_t sum = 0;
  char model[41];

  atd_port_start (atd, 0);
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_run (atd, 0, 3, &cmd, &res);
  g_assert_cmphex (res.tfd & 0xff, ==, 0x50);
  g_assert_cmphex (res.is & (IS_PSS | IS_DHRS), ==, IS_PSS | IS_DHRS);
  g_assert_cmpuint (res.prdbc, ==, 512);
  g_assert_cmpuint (res.ci, ==, 0);
  for (unsigned i = 0; i < 512; i++)
    sum = (uint8_t) (sum + id[i]);
  g_assert_cmpuint (sum, ==, 0);
  for (unsigned i = 0; i < 40; i++)
    model[i] = (char) id[54 + (i ^ 1)];
  model[40] = 0;
  g_assert_true (g_str_has_prefix (model, "VIREO HARDDISK"));
  g_assert_cmpuint (vmm_le_get (id + 200, 8), ==, DISK_SIZE / 512);  /* words 100-103 */
  g_assert_cmphex (vmm_le_get (id + 166, 2) & 0x0400, !=, 0);          /* LBA48 */
  g_assert_cmpuint (vmm_le_get (id + 150, 2), ==, 31);                 /* NCQ depth */
  g_assert_cmphex (atd_ram (atd)[atd_fb (0) + 0x20], ==, 0x5f);        /* PIO setup */
  g_assert_cmphex (atd_ram (atd)[atd_fb (0) + 0x20 + 15], ==, 0x50);   /* E_Status */

  /* The interrupt follows PxIS & PxIE and GHC.IE; atd_run cleared it. */
  g_assert_false (atd_irq (atd));
  atd_build (atd, 0, 4, &cmd);
  atd_port_write (atd, 0, ATD_PX_CI, 1u << 4);
  vmm_ahci_drain (atd_pci (atd));
  g_assert_true (atd_irq (atd));
  g_assert_cmphex (atd_read (atd, 0x08), ==, 1);
  atd_port_write (atd, 0, ATD_PX_IS, 0xffffffffu);
  atd_write (atd, 0x08, 1);
  g_assert_false (atd_irq (atd));

  /* IDENTIFY PACKET DEVICE to the disk fails (how firmware tells them
   * apart), in both FISes it reads the status from. */
  atd_fis (&cmd, 0xa1, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd & 1, ==, 1);
  g_assert_cmphex (atd_ram (atd)[atd_fb (0) + 0x40 + 2] & 1, ==, 1);

  /* Error recovery as firmware does it: ST off, CR follows, ST on. */
  atd_port_write (atd, 0, ATD_PX_CMD, 1u << 4);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & (1u << 15), ==, 0);
  atd_port_write (atd, 0, ATD_PX_CMD, (1u << 4) | 1);

  /* Unknown command: aborted, and the port goes on. */
  atd_fis (&cmd, 0x77, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);
  g_assert_true (res.is & IS_TFES);
  atd_fis (&cmd, 0xe7, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);

  /* IDENTIFY DEVICE to the CD-ROM aborts with the packet signature. */
  atd_port_start (atd, 1);
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_run (atd, 1, 0, &cmd, &res);
  g_assert_cmphex (res.tfd & 1, ==, 1);
  g_assert_cmphex (atd_ram (atd)[atd_fb (1) + 0x40 + 5], ==, 0x14);
  g_assert_cmphex (atd_ram (atd)[atd_fb (1) + 0x40 + 6], ==, 0xeb);
  atd_fis (&cmd, 0xa1, 0, 0, 0);
  atd_run (atd, 1, 0, &cmd, &res);
  g_assert_cmphex (res.tfd & 0xff, ==, 0x50);
  g_assert_cmphex (vmm_le_get (id, 2), ==, 0x85c0);
  atd_free (atd);
  rm_rf (dir);
}

static void
fill_pattern (uint8_t *p, size_t len, unsigned seed)
{
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t) (i * 7 + seed + (i >> 9));
}

static void
rw_round_trip (VmmImageFormat fmt, VmmBlockEngineKind engine)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd_engine (dir, fmt, engine, &path);
  uint8_t *ram = atd_ram (atd);
  /* 3 sectors + 5 sectors, deliberately split mid-buffer. */
  AtdPrd wprd[2] = { { BUF_A, 1536 }, { BUF_A + 0x10000, 2560 } };
  AtdPrd rprd[3] = { { BUF_B, 512 }, { BUF_B + 0x4000, 3072 }, { BUF_B + 0x8000, 4096 } };
  AtdCmd cmd = { .prds = wprd, .n_prds = 2, .write = true };
  AtdResult res;
  uint8_t expect[512];

  atd_port_start (atd, 0);
  fill_pattern (ram + BUF_A, 1536, 1);
  fill_pattern (ram + BUF_A + 0x10000, 2560, 2);
  atd_fis (&cmd, 0x35, 100, 8, 0);          /* WRITE DMA EXT */
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  g_assert_cmpuint (res.prdbc, ==, 4096);

  cmd = (AtdCmd) { .prds = rprd, .n_prds = 3 };
  atd_fis (&cmd, 0x25, 100, 8, 0);          /* READ DMA EXT */
  atd_run (atd, 0, 1, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  g_assert_true (memcmp (ram + BUF_B, ram + BUF_A, 512) == 0);
  g_assert_true (memcmp (ram + BUF_B + 0x4000, ram + BUF_A + 512, 1024) == 0);
  g_assert_true (memcmp (ram + BUF_B + 0x4000 + 1024, ram + BUF_A + 0x10000, 2048) == 0);
  g_assert_true (memcmp (ram + BUF_B + 0x8000, ram + BUF_A + 0x10000 + 2048, 512) == 0);

  /* NCQ: written with tag 5, read back with tag 9 in another slot. */
  fill_pattern (ram + BUF_A, 8192, 9);
  cmd = (AtdCmd) { .prds = wprd, .n_prds = 1, .write = true };
  wprd[0].len = 8192;
  atd_fis (&cmd, 0x61, 2000, 5 << 3, 16);
  atd_run (atd, 0, 5, &cmd, &res);
  g_assert_cmphex (res.tfd & 1, ==, 0);
  g_assert_true (res.is & IS_SDBS);
  g_assert_cmpuint (res.sact, ==, 0);
  g_assert_cmpuint (res.ci, ==, 0);
  g_assert_cmphex (vmm_le_get (ram + atd_fb (0) + 0x58 + 4, 4), ==, 1u << 5);
  g_assert_cmphex (ram[atd_fb (0)], ==, 0x41);                  /* DMA Setup FIS */
  g_assert_cmphex (vmm_le_get (ram + atd_fb (0) + 4, 4), ==, 5);  /* its tag */
  memset (ram + BUF_B, 0, 8192);
  rprd[0] = (AtdPrd) { BUF_B, 8192 };
  cmd = (AtdCmd) { .prds = rprd, .n_prds = 1 };
  atd_fis (&cmd, 0x60, 2000, 9 << 3, 16);
  atd_run (atd, 0, 9, &cmd, &res);
  g_assert_cmphex (res.tfd & 1, ==, 0);
  g_assert_true (memcmp (ram + BUF_B, ram + BUF_A, 8192) == 0);

  /* A queued read past the end fails; the NCQ error log names its tag,
   * once. */
  atd_fis (&cmd, 0x60, DISK_SIZE / 512, 12 << 3, 16);
  atd_run (atd, 0, 12, &cmd, &res);
  g_assert_true (res.is & IS_TFES);
  g_assert_cmphex (res.tfd & 1, ==, 1);
  g_assert_cmpuint (res.sact, ==, 0);
  {
    uint8_t sum = 0;

    rprd[0] = (AtdPrd) { BUF_B, 512 };
    atd_fis (&cmd, 0x2f, 0x10, 1, 0);
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x50);
    g_assert_cmpuint (ram[BUF_B], ==, 12);
    g_assert_cmphex (ram[BUF_B + 3], ==, 0x10);   /* IDNF */
    for (unsigned i = 0; i < 512; i++)
      sum = (uint8_t) (sum + ram[BUF_B + i]);
    g_assert_cmpuint (sum, ==, 0);
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (ram[BUF_B], ==, 0x80);       /* nothing queued failed */
    atd_fis (&cmd, 0x2f, 0x30, 1, 0);             /* a page we lack */
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x0451);
  }

  /* PIO READ SECTORS answers with a PIO Setup FIS too. */
  memset (ram + BUF_B, 0, 512);
  rprd[0] = (AtdPrd) { BUF_B, 512 };
  atd_fis (&cmd, 0x20, 2000, 1, 0);
  atd_run (atd, 0, 2, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  g_assert_true (res.is & IS_PSS);
  g_assert_true (memcmp (ram + BUF_B, ram + BUF_A, 512) == 0);

  /* FLUSH CACHE EXT, READ VERIFY, SET FEATURES (write cache off: writes
   * go through and still round-trip). */
  cmd = (AtdCmd) { 0 };
  atd_fis (&cmd, 0xea, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  atd_fis (&cmd, 0x42, 10, 100, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  atd_fis (&cmd, 0xef, 0, 0, 0x82);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  cmd = (AtdCmd) { .prds = wprd, .n_prds = 1, .write = true };
  wprd[0].len = 512;
  fill_pattern (ram + BUF_A, 512, 33);
  atd_fis (&cmd, 0xca, 7, 1, 0);            /* WRITE DMA (28-bit) */
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);

  /* Out of range: IDNF, nothing moved. */
  atd_fis (&cmd, 0x25, DISK_SIZE / 512 - 1, 2, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x1051);
  g_assert_true (res.is & IS_TFES);

  /* TRIM of two ranges, one sector each. */
  {
    uint8_t *ranges = ram + BUF_B;

    memset (ranges, 0, 512);
    vmm_le_put (ranges, 8, 100 | 1ull << 48);
    vmm_le_put (ranges + 8, 8, 2000 | 8ull << 48);
    rprd[0] = (AtdPrd) { BUF_B, 512 };
    cmd = (AtdCmd) { .prds = rprd, .n_prds = 1, .write = true };
    atd_fis (&cmd, 0x06, 0, 1, 1);
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x50);
    vmm_le_put (ranges, 8, (DISK_SIZE / 512) | 1ull << 48);
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x1051);
  }
  fill_pattern (ram + BUF_A, 512, 33);
  memcpy (expect, ram + BUF_A, 512);
  atd_free (atd);

  /* The data reached the image, past the device's lifetime. */
  {
    g_autoptr (VmmImage) img = open_image (path, fmt, true);
    uint8_t buf[512];

    g_assert_cmpint (vmm_image_read (img, buf, 7 * 512, sizeof buf), ==, 0);
    g_assert_true (memcmp (buf, expect, sizeof buf) == 0);
  }
  rm_rf (dir);
}

static void
test_rw_raw (void)
{
  rw_round_trip (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_AUTO);
}

static void
test_rw_qcow2 (void)
{
  rw_round_trip (VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_AUTO);
}

static void
test_rw_pool (void)
{
  rw_round_trip (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_POOL);
  rw_round_trip (VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_POOL);
}

/* All 32 slots at once, queued: each reads its own 4 KiB back. */
static void
test_ncq_many (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd (dir, VMM_IMAGE_FORMAT_RAW, &path);
  uint8_t *ram = atd_ram (atd);
  AtdPrd prds[32];

  atd_port_start (atd, 0);
  for (unsigned t = 0; t < 32; t++)
    {
      AtdCmd cmd = { .prds = &prds[t], .n_prds = 1, .write = true };

      prds[t] = (AtdPrd) { BUF_A + 4096 * t, 4096 };
      fill_pattern (ram + BUF_A + 4096 * t, 4096, t);
      atd_fis (&cmd, 0x61, 8 * t, (uint16_t) (t << 3), 8);
      atd_build (atd, 0, t, &cmd);
    }
  atd_port_write (atd, 0, ATD_PX_SACT, 0xffffffffu);
  atd_port_write (atd, 0, ATD_PX_CI, 0xffffffffu);
  vmm_ahci_drain (atd_pci (atd));
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SACT), ==, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CI), ==, 0);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_TFD) & 1, ==, 0);
  for (unsigned t = 0; t < 32; t++)
    {
      AtdCmd cmd = { .prds = &prds[t], .n_prds = 1 };

      prds[t].addr = BUF_B + 4096 * t;
      atd_fis (&cmd, 0x60, 8 * (31 - t), (uint16_t) (t << 3), 8);
      atd_build (atd, 0, t, &cmd);
    }
  memset (ram + BUF_B, 0, 32 * 4096);
  atd_port_write (atd, 0, ATD_PX_SACT, 0xffffffffu);
  atd_port_write (atd, 0, ATD_PX_CI, 0xffffffffu);
  vmm_ahci_drain (atd_pci (atd));
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_SACT), ==, 0);
  for (unsigned t = 0; t < 32; t++)
    g_assert_true (memcmp (ram + BUF_B + 4096 * t, ram + BUF_A + 4096 * (31 - t), 4096) == 0);
  atd_free (atd);
  rm_rf (dir);
}

/* The guest stops the port and resets the HBA with commands in flight:
 * they finish into nothing, CR drops once they have, and the port works
 * again afterwards. */
static void
test_stop_in_flight (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd (dir, VMM_IMAGE_FORMAT_RAW, &path);
  AtdPrd prd = { BUF_A, DISK_SIZE };
  AtdCmd cmd = { .prds = &prd, .n_prds = 1 };
  AtdResult res;

  for (unsigned round = 0; round < 2; round++)
    {
      atd_port_start (atd, 0);
      for (unsigned s = 0; s < 8; s++)
        {
          atd_fis (&cmd, 0x25, 0, DISK_SIZE / 512, 0);
          atd_build (atd, 0, s, &cmd);
        }
      atd_port_write (atd, 0, ATD_PX_CI, 0xff);
      if (round == 0)
        atd_port_write (atd, 0, ATD_PX_CMD, 1u << 4);
      else
        atd_write (atd, 0x04, 1);
      g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CI), ==, 0);
      g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & 1, ==, 0);
      vmm_ahci_drain (atd_pci (atd));
      g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CMD) & (1u << 15), ==, 0);
    }
  atd_port_start (atd, 0);
  prd.len = 512;
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);
  atd_free (atd);
  rm_rf (dir);
}

/* Sends a PACKET command with @cdb; data (up to @len bytes) lands at
 * BUF_B. Returns the sense key (0: good). */
static unsigned
packet (Atd *atd, const uint8_t *cdb, uint32_t len, AtdResult *res)
{
  AtdPrd prd = { BUF_B, len ? len : 2 };
  AtdCmd cmd = { .prds = &prd, .n_prds = len ? 1 : 0, .atapi = true };

  atd_fis (&cmd, 0xa0, 0, 0, 1);
  memcpy (cmd.acmd, cdb, 12);
  memset (atd_ram (atd) + BUF_B, 0xee, len);
  atd_run (atd, 1, 7, &cmd, res);
  if ((res->tfd & 1) == 0)
    return 0;
  g_assert_true (res->is & IS_TFES);
  return (res->tfd >> 12) & 0xf;
}

static void
expect_sense (Atd *atd, unsigned key, unsigned asc)
{
  uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
  const uint8_t *s = atd_ram (atd) + BUF_B;
  AtdResult res;

  g_assert_cmpuint (packet (atd, rs, 18, &res), ==, 0);
  g_assert_cmphex (s[0], ==, 0x70);
  g_assert_cmphex (s[2] & 0xf, ==, key);
  g_assert_cmphex (s[12], ==, asc);
}

static uint32_t
be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void
test_atapi (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *iso = make_iso (dir, "a.iso", 40);
  g_autofree char *iso2 = NULL;
  VmmAhciConfig cfg = { 0 };
  const uint8_t *d;
  AtdResult res;
  Atd *atd;
  uint32_t last;

  cfg.drives[1] = (VmmAhciDrive) { VMM_AHCI_DRIVE_CDROM,
                                   open_image (iso, VMM_IMAGE_FORMAT_RAW, true), false, NULL };
  atd = atd_new (&cfg);
  d = atd_ram (atd) + BUF_B;
  atd_port_start (atd, 1);

  {
    uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };

    g_assert_cmpuint (packet (atd, inq, 96, &res), ==, 0);
    g_assert_cmpuint (res.prdbc, ==, 36);
    g_assert_cmphex (d[0], ==, 0x05);
    g_assert_cmphex (d[1], ==, 0x80);
    g_assert_true (memcmp (d + 8, "VIREO", 5) == 0);
    inq[1] = 1;                                     /* EVPD: the page list */
    g_assert_cmpuint (packet (atd, inq, 96, &res), ==, 0);
    g_assert_cmpuint (res.prdbc, ==, 5);
    g_assert_cmphex (d[1], ==, 0x00);
    inq[2] = 0x83;                                  /* a page it lacks */
    g_assert_cmpuint (packet (atd, inq, 96, &res), ==, 5);
    expect_sense (atd, 5, 0x24);
  }
  {
    uint8_t tur[12] = { 0 };

    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 0);
  }
  {
    uint8_t rc[12] = { 0x25 };
    struct stat st;

    g_assert_cmpint (g_stat (iso, &st), ==, 0);
    g_assert_cmpuint (packet (atd, rc, 8, &res), ==, 0);
    last = be32 (d);
    g_assert_cmpuint (last, ==, st.st_size / 2048 - 1);
    g_assert_cmpuint (be32 (d + 4), ==, 2048);
  }
  {
    /* READ(10) of the primary volume descriptor. */
    uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1 };

    g_assert_cmpuint (packet (atd, rd, 2048, &res), ==, 0);
    g_assert_cmpuint (res.prdbc, ==, 2048);
    g_assert_true (memcmp (d, "\001CD001", 6) == 0);
    g_assert_true (memcmp (d + 40, "VIREOTEST", 9) == 0);
  }
  {
    /* READ(12) of the whole disc finds the file's sectors in order. */
    uint8_t rd[12] = { 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    unsigned found = 0;

    rd[9] = (uint8_t) (last + 1);
    g_assert_cmpuint (packet (atd, rd, (last + 1) * 2048, &res), ==, 0);
    for (unsigned s = 0; s <= last; s++)
      if (memcmp (d + s * 2048, "VIREOSEC", 8) == 0
          && vmm_le_get (d + s * 2048 + 8, 4) == found)
        found++;
    g_assert_cmpuint (found, ==, 40);
    /* Past the end. */
    rd[5] = 1;
    g_assert_cmpuint (packet (atd, rd, (last + 1) * 2048, &res), ==, 5);
    expect_sense (atd, 5, 0x21);
  }
  {
    uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100 };

    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 0);
    g_assert_cmpuint (d[0] << 8 | d[1], ==, 18);
    g_assert_cmpuint (d[2], ==, 1);
    g_assert_cmpuint (d[6], ==, 1);                 /* track 1 */
    g_assert_cmpuint (be32 (d + 8), ==, 0);
    g_assert_cmpuint (d[14], ==, 0xaa);             /* lead-out */
    g_assert_cmpuint (be32 (d + 16), ==, last + 1);
    toc[1] = 2;                                     /* MSF */
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 0);
    g_assert_cmpuint (d[9] * 60 * 75 + d[10] * 75 + d[11], ==, 150);
    toc[1] = 0;
    toc[2] = 1;                                     /* sessions */
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 0);
    g_assert_cmpuint (d[0] << 8 | d[1], ==, 10);
    toc[2] = 2;                                     /* full TOC */
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 0);
    g_assert_cmpuint (d[0] << 8 | d[1], ==, 46);
    g_assert_cmphex (d[4 + 22 + 3], ==, 0xa2);
    g_assert_cmpuint (d[4 + 22 + 8] * 60 * 75 + d[4 + 22 + 9] * 75 + d[4 + 22 + 10], ==,
                      last + 1 + 150);
    toc[2] = 5;
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 5);
    toc[2] = 0;
    toc[6] = 2;                                     /* no track 2 */
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 5);
    toc[8] = 4;                                     /* allocation length cuts */
    toc[6] = 0;
    g_assert_cmpuint (packet (atd, toc, 100, &res), ==, 0);
    g_assert_cmpuint (res.prdbc, ==, 4);
  }
  {
    uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 200 };
    uint8_t ms[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64 };
    uint8_t bad[12] = { 0x5a, 0, 0x1c, 0, 0, 0, 0, 0, 64 };

    g_assert_cmpuint (packet (atd, gc, 200, &res), ==, 0);
    g_assert_cmphex (d[6] << 8 | d[7], ==, 0x0008);  /* CD-ROM profile */
    g_assert_cmpuint (be32 (d) + 4, ==, res.prdbc);
    g_assert_cmpuint (packet (atd, ms, 64, &res), ==, 0);
    g_assert_cmphex (d[8], ==, 0x2a);
    g_assert_cmpuint (packet (atd, bad, 64, &res), ==, 5);
  }
  {
    uint8_t prevent[12] = { 0x1e, 0, 0, 0, 1 };
    uint8_t eject[12] = { 0x1b, 0, 0, 0, 0x02 };
    uint8_t load[12] = { 0x1b, 0, 0, 0, 0x03 };
    uint8_t tur[12] = { 0 };
    uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };

    g_assert_cmpuint (packet (atd, gesn, 8, &res), ==, 0);
    g_assert_cmpuint (d[4], ==, 0);                 /* nothing happened */
    g_assert_cmphex (d[5], ==, 0x02);               /* medium present */
    g_assert_cmpuint (packet (atd, prevent, 0, &res), ==, 0);
    g_assert_cmpuint (packet (atd, eject, 0, &res), ==, 5);
    expect_sense (atd, 5, 0x53);
    prevent[4] = 0;
    g_assert_cmpuint (packet (atd, prevent, 0, &res), ==, 0);
    g_assert_cmpuint (packet (atd, eject, 0, &res), ==, 0);
    g_assert_false (vmm_ahci_has_media (atd_pci (atd), 1));
    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 2);
    expect_sense (atd, 2, 0x3a);
    g_assert_cmpuint (packet (atd, gesn, 8, &res), ==, 0);
    g_assert_cmpuint (d[4], ==, 3);                 /* media removal */
    g_assert_cmphex (d[5], ==, 0x01);               /* tray open */
    g_assert_cmpuint (packet (atd, load, 0, &res), ==, 0);
    g_assert_cmpuint (packet (atd, gesn, 8, &res), ==, 0);
    g_assert_cmpuint (d[4], ==, 2);                 /* new media */
    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 0);
    gesn[1] = 0;                                    /* asynchronous: refused */
    g_assert_cmpuint (packet (atd, gesn, 8, &res), ==, 5);
  }
  {
    /* The host changes the disc: unit attention once, then the new one. */
    g_autoptr (GError) error = NULL;
    uint8_t tur[12] = { 0 };
    uint8_t rc[12] = { 0x25 };
    uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };

    iso2 = make_iso (dir, "b.iso", 600);
    g_assert_true (vmm_ahci_change_media (atd_pci (atd), 1, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 2);
    g_assert_true (vmm_ahci_change_media (atd_pci (atd), 1,
                                          open_image (iso2, VMM_IMAGE_FORMAT_RAW, true), &error));
    g_assert_no_error (error);
    g_assert_true (vmm_ahci_has_media (atd_pci (atd), 1));
    g_assert_cmpuint (packet (atd, gesn, 8, &res), ==, 0);
    g_assert_cmpuint (d[4], ==, 2);
    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 6);
    expect_sense (atd, 6, 0x28);
    g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 0);
    g_assert_cmpuint (packet (atd, rc, 8, &res), ==, 0);
    g_assert_cmpuint (be32 (d), >, last);
    last = be32 (d);
    {
      /* 600 sectors make a CD: no DVD structure; disc and track info. */
      uint8_t dvd[12] = { 0xad, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04 };
      uint8_t di[12] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 34 };
      uint8_t ti[12] = { 0x52, 1, 0, 0, 0, 1, 0, 0, 36 };

      g_assert_cmpuint (packet (atd, dvd, 2052, &res), ==, 5);
      expect_sense (atd, 5, 0x30);
      g_assert_cmpuint (packet (atd, di, 34, &res), ==, 0);
      g_assert_cmpuint (d[2] & 3, ==, 2);
      g_assert_cmpuint (packet (atd, ti, 36, &res), ==, 0);
      g_assert_cmpuint (be32 (d + 24), ==, last + 1);
      ti[5] = 2;
      g_assert_cmpuint (packet (atd, ti, 36, &res), ==, 5);
    }
    {
      /* A sparse image larger than a CD is a DVD. */
      g_autofree char *big = g_build_filename (dir, "dvd.iso", NULL);
      uint8_t dvd[12] = { 0xad, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04 };
      uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 200 };

      g_assert_true (vmm_image_create_raw (big, 2048ull * 400000, &error));
      g_assert_true (vmm_ahci_change_media (atd_pci (atd), 1,
                                            open_image (big, VMM_IMAGE_FORMAT_RAW, true), &error));
      g_assert_cmpuint (packet (atd, tur, 0, &res), ==, 6);
      g_assert_cmpuint (packet (atd, gc, 200, &res), ==, 0);
      g_assert_cmphex (d[6] << 8 | d[7], ==, 0x0010);  /* DVD-ROM profile */
      g_assert_cmpuint (packet (atd, dvd, 2052, &res), ==, 0);
      g_assert_cmpuint (res.prdbc, ==, 2052);
      g_assert_cmphex (d[4], ==, 0x01);
      g_assert_cmphex (be32 (d + 12), ==, 0x30000 + 400000 - 1);
    }
    /* A port without a CD-ROM has no media to change. */
    g_assert_false (vmm_ahci_change_media (atd_pci (atd), 0, NULL, &error));
    g_assert_nonnull (error);
  }
  {
    uint8_t bad[12] = { 0xff };

    g_assert_cmpuint (packet (atd, bad, 16, &res), ==, 5);
    expect_sense (atd, 5, 0x20);
  }
  atd_free (atd);
  rm_rf (dir);
}

/* Guest mistakes: each gets an error in PxTFD (or is ignored), none
 * stops the port or touches memory outside RAM. */
static void
test_malformed (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = NULL;
  Atd *atd = disk_atd (dir, VMM_IMAGE_FORMAT_RAW, &path);
  AtdPrd prd = { BUF_A, 512 };
  AtdCmd cmd = { .prds = &prd, .n_prds = 1 };
  AtdResult res;

  atd_port_start (atd, 0);

  /* PRD beyond RAM, and one straddling its end. */
  prd = (AtdPrd) { ATD_RAM_SIZE + 0x1000, 4096 };
  atd_fis (&cmd, 0x25, 0, 8, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);
  g_assert_true (res.is & IS_TFES);
  prd = (AtdPrd) { ATD_RAM_SIZE - 512, 4096 };
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);
  prd = (AtdPrd) { UINT64_MAX - 100, 4096 };
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);

  /* PRDs describing less than the transfer. */
  prd = (AtdPrd) { BUF_A, 1024 };
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);

  /* A huge PRD count whose table runs off the end of RAM. */
  cmd.table = ATD_RAM_SIZE - 0x100;
  cmd.prdtl = 65535;
  cmd.n_prds = 0;
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);

  /* A huge PRD count of 4 MiB PRDs all inside RAM, asked for 32 MiB:
   * everything lands inside RAM (the buffer there just gets reused). */
  {
    AtdPrd many[8];

    for (unsigned i = 0; i < 8; i++)
      many[i] = (AtdPrd) { 0x400000, 0x400000 };
    cmd = (AtdCmd) { .prds = many, .n_prds = 8 };
    atd_fis (&cmd, 0x25, 0, 0, 0);          /* count 0: 65536 sectors */
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x1051);  /* more than the disk */
    atd_fis (&cmd, 0x25, 0, 8192, 0);       /* 4 MiB: the whole disk */
    atd_run (atd, 0, 0, &cmd, &res);
    g_assert_cmphex (res.tfd, ==, 0x50);
    g_assert_cmpuint (res.prdbc, ==, DISK_SIZE);
  }

  /* Command table outside RAM. */
  cmd = (AtdCmd) { .prds = &prd, .n_prds = 1, .table = 0x1000000000ull };
  prd = (AtdPrd) { BUF_A, 512 };
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);

  /* CFIS garbage: not an H2D FIS, and a CFL too short. */
  cmd = (AtdCmd) { .prds = &prd, .n_prds = 1 };
  atd_fis (&cmd, 0xec, 0, 0, 0);
  cmd.cfis[0] = 0x5a;
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_build (atd, 0, 0, &cmd);
  atd_ram (atd)[atd_clb (0)] = 2;
  atd_port_write (atd, 0, ATD_PX_CI, 1);
  vmm_ahci_drain (atd_pci (atd));
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_TFD), ==, 0x0451);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CI), ==, 0);

  /* Command list outside RAM. */
  atd_port_write (atd, 0, ATD_PX_CMD, 1u << 4);
  atd_port_write (atd, 0, ATD_PX_CLB, 0xfffffc00u);
  atd_port_write (atd, 0, ATD_PX_CMD, (1u << 4) | 1);
  atd_port_write (atd, 0, ATD_PX_CI, 0xffffffffu);
  vmm_ahci_drain (atd_pci (atd));
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_TFD), ==, 0x0451);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CI), ==, 0);

  /* FIS receive area outside RAM: commands still complete. */
  atd_port_write (atd, 0, ATD_PX_CMD, 0);
  atd_port_write (atd, 0, ATD_PX_CLB, (uint32_t) atd_clb (0));
  atd_port_write (atd, 0, ATD_PX_FB, 0xffffff00u);
  atd_port_write (atd, 0, ATD_PX_CMD, (1u << 4) | 1);
  atd_fis (&cmd, 0xec, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x50);

  /* A PACKET to the disk, a PACKET without the ATAPI bit to the CD. */
  atd_fis (&cmd, 0xa0, 0, 0, 0);
  atd_run (atd, 0, 0, &cmd, &res);
  g_assert_cmphex (res.tfd, ==, 0x0451);
  atd_port_start (atd, 1);
  atd_run (atd, 1, 0, &cmd, &res);
  g_assert_cmphex (res.tfd & 1, ==, 1);

  /* Writing CI with the port stopped does nothing. */
  atd_port_write (atd, 0, ATD_PX_CMD, 0);
  atd_port_write (atd, 0, ATD_PX_CI, 1);
  g_assert_cmphex (atd_port_read (atd, 0, ATD_PX_CI), ==, 0);
  atd_free (atd);
  rm_rf (dir);
}

static unsigned
route (unsigned slot, unsigned pin)
{
  return 16 + (slot + pin) % 4;
}

static void
bus_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  int *irq = opaque;

  *irq = level ? (int) gsi : -1;
}

static const VmmPlatformOps bus_platform_ops = { .set_irq = bus_set_irq };

static uint32_t
cfg_read32 (VmmPciBus *bus, uint8_t devfn, unsigned off)
{
  uint8_t d[4];

  vmm_pci_bus_config_read (bus, 0, devfn, off, d, 4);
  return (uint32_t) vmm_le_get (d, 4);
}

static void
cfg_write (VmmPciBus *bus, uint8_t devfn, unsigned off, uint32_t v, unsigned len)
{
  uint8_t d[4];

  vmm_le_put (d, len, v);
  vmm_pci_bus_config_write (bus, 0, devfn, off, d, len);
}

/* On a real PCI bus: the firmware sizes and programs ABAR, the interrupt
 * pin is routed, a machine reset brings the HBA back to power-on. */
static void
test_pci_bus (void)
{
  const uint64_t abar = 0xfebf0000u;
  const uint8_t devfn = VMM_PCI_DEVFN (0x1f, 2);
  VmmAhciConfig cfg = { 0 };
  g_autofree uint8_t *ram = g_malloc0 (1 << 20);
  VmmPlatform platform = { &bus_platform_ops, NULL };
  VmmBus *pio = vmm_bus_new ("pio");
  VmmBus *mmio = vmm_bus_new ("mmio");
  VmmPciBus *bus = vmm_pci_bus_new ();
  g_autoptr (GError) error = NULL;
  VmmPciDevice *dev;
  uint8_t d[4];
  int irq = -1;

  platform.opaque = &irq;
  vmm_guest_mem_init (&platform.mem);
  g_assert_cmpint (vmm_guest_mem_add (&platform.mem, 0, 1 << 20, ram), ==, 0);
  cfg.drives[3].kind = VMM_AHCI_DRIVE_CDROM;
  dev = vmm_ahci_new (&platform, &cfg, &error);
  g_assert_no_error (error);
  vmm_pci_bus_set_intx_route (bus, route);
  g_assert_cmpint (vmm_pci_bus_register (bus, pio, mmio, 0xb0000000u, 0x10000000u), ==, 0);
  g_assert_cmpint (vmm_pci_bus_add (bus, devfn, dev), ==, 0);
  g_assert_cmpint (dev->intx_gsi, ==, (int) route (0x1f, 0));

  cfg_write (bus, devfn, 0x24, 0xffffffffu, 4);
  g_assert_cmphex (cfg_read32 (bus, devfn, 0x24), ==, 0xfffff000u);
  cfg_write (bus, devfn, 0x24, (uint32_t) abar, 4);
  cfg_write (bus, devfn, 0x04, 0x0006, 2);
  g_assert_true (vmm_bus_read (mmio, abar + 0x0c, d, 4));
  g_assert_cmphex (vmm_le_get (d, 4), ==, 0x3f);
  g_assert_true (vmm_bus_read (mmio, abar + 0x100 + 3 * 0x80 + 0x24, d, 4));
  g_assert_cmphex (vmm_le_get (d, 4), ==, 0xeb140101u);

  /* A port event with interrupts enabled raises the routed line, and
   * INTx disable in the command register lowers it. */
  vmm_le_put (d, 4, 0x80000002u);
  vmm_bus_write (mmio, abar + 0x04, d, 4);
  vmm_le_put (d, 4, 0xffffffffu);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x14, d, 4);
  vmm_le_put (d, 4, 1);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x2c, d, 4);   /* COMRESET */
  vmm_le_put (d, 4, 0);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x2c, d, 4);
  g_assert_cmpint (irq, ==, -1);              /* the signature FIS has no I bit */
  /* IDENTIFY PACKET DEVICE: list at 0x1000, FISes at 0x2000, table at
   * 0x3000, data to 0x4000. */
  vmm_le_put (ram + 0x1000, 4, 5 | 1u << 16);
  vmm_le_put (ram + 0x1008, 4, 0x3000);
  ram[0x3000] = 0x27;
  ram[0x3001] = 0x80;
  ram[0x3002] = 0xa1;
  vmm_le_put (ram + 0x3080, 4, 0x4000);
  vmm_le_put (ram + 0x308c, 4, 511);
  vmm_le_put (d, 4, 0x1000);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x00, d, 4);
  vmm_le_put (d, 4, 0x2000);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x08, d, 4);
  vmm_le_put (d, 4, 0x11);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x18, d, 4);   /* FRE, ST */
  vmm_le_put (d, 4, 1);
  vmm_bus_write (mmio, abar + 0x100 + 3 * 0x80 + 0x38, d, 4);   /* CI */
  vmm_ahci_drain (dev);
  g_assert_cmphex (vmm_le_get (ram + 0x4000, 2), ==, 0x85c0);
  g_assert_cmpint (irq, ==, (int) route (0x1f, 0));
  cfg_write (bus, devfn, 0x04, 0x0406, 2);
  g_assert_cmpint (irq, ==, -1);
  cfg_write (bus, devfn, 0x04, 0x0006, 2);
  g_assert_cmpint (irq, ==, (int) route (0x1f, 0));

  vmm_pci_bus_reset (bus);
  g_assert_cmpint (irq, ==, -1);
  g_assert_false (vmm_bus_read (mmio, abar + 0x04, d, 4));     /* BAR unmapped */

  vmm_pci_bus_free (bus);
  vmm_bus_free (pio);
  vmm_bus_free (mmio);
}

static void
test_boot_path (void)
{
  g_autofree char *a = vmm_ahci_boot_path (VMM_PCI_DEVFN (0x1f, 2), 2);
  g_autofree char *b = vmm_ahci_boot_path (VMM_PCI_DEVFN (0x0c, 0), 0);

  g_assert_cmpstr (a, ==, "/pci@i0cf8/pci8086,2922@1f,2/drive@2/disk@0");
  g_assert_cmpstr (b, ==, "/pci@i0cf8/pci8086,2922@c/drive@0/disk@0");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ahci/registers", test_registers);
  g_test_add_func ("/ahci/pci-bus", test_pci_bus);
  g_test_add_func ("/ahci/boot-path", test_boot_path);
  g_test_add_func ("/ahci/identify", test_identify);
  g_test_add_func ("/ahci/rw-raw", test_rw_raw);
  g_test_add_func ("/ahci/rw-qcow2", test_rw_qcow2);
  g_test_add_func ("/ahci/rw-pool", test_rw_pool);
  g_test_add_func ("/ahci/ncq-many", test_ncq_many);
  g_test_add_func ("/ahci/stop-in-flight", test_stop_in_flight);
  g_test_add_func ("/ahci/atapi", test_atapi);
  g_test_add_func ("/ahci/malformed", test_malformed);
  return g_test_run ();
}
