/* ahci-ata.c: the ATA command set (ACS-3) of the SATA disk, and the few
 * ATA commands a packet device answers (IDENTIFY PACKET DEVICE, PACKET).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>

#include "ahci/ahci-private.h"

#define ATA_NOP                 0x00
#define ATA_DSM                 0x06
#define ATA_DEVICE_RESET        0x08
#define ATA_READ_SECTORS        0x20
#define ATA_READ_SECTORS_EXT    0x24
#define ATA_READ_DMA_EXT        0x25
#define ATA_READ_NATIVE_MAX_EXT 0x27
#define ATA_READ_LOG_EXT        0x2f
#define ATA_READ_LOG_DMA_EXT    0x47
#define ATA_WRITE_SECTORS       0x30
#define ATA_WRITE_SECTORS_EXT   0x34
#define ATA_WRITE_DMA_EXT       0x35
#define ATA_READ_VERIFY         0x40
#define ATA_READ_VERIFY_EXT     0x42
#define ATA_READ_FPDMA          0x60
#define ATA_WRITE_FPDMA         0x61
#define ATA_INIT_PARAMS         0x91
#define ATA_PACKET              0xa0
#define ATA_IDENTIFY_PACKET     0xa1
#define ATA_SET_MULTIPLE        0xc6
#define ATA_READ_DMA            0xc8
#define ATA_WRITE_DMA           0xca
#define ATA_STANDBY_IMMEDIATE   0xe0
#define ATA_IDLE_IMMEDIATE      0xe1
#define ATA_STANDBY             0xe2
#define ATA_IDLE                0xe3
#define ATA_CHECK_POWER         0xe5
#define ATA_FLUSH               0xe7
#define ATA_IDENTIFY            0xec
#define ATA_FLUSH_EXT           0xea
#define ATA_SET_FEATURES        0xef
#define ATA_READ_NATIVE_MAX     0xf8

/* The most a single DATA SET MANAGEMENT command may carry, in 512-byte
 * blocks of 64 ranges (IDENTIFY word 105). */
#define DSM_MAX_BLOCKS          8

#define LOG_NCQ_ERROR           0x10

static void
ata_string (uint16_t *words, unsigned n_words, const char *s)
{
  size_t len = strlen (s);

  for (unsigned i = 0; i < n_words * 2; i++)
    {
      uint8_t c = i < len ? (uint8_t) s[i] : ' ';

      /* ATA strings keep the first character in the high byte. */
      if (i & 1)
        words[i / 2] |= c;
      else
        words[i / 2] = (uint16_t) (c << 8);
    }
}

static void
put_words (uint8_t *buf, const uint16_t *w)
{
  uint8_t sum = 0;

  for (unsigned i = 0; i < 256; i++)
    {
      buf[2 * i] = (uint8_t) w[i];
      buf[2 * i + 1] = (uint8_t) (w[i] >> 8);
    }
  /* Word 255: signature A5h and a checksum making all 512 bytes sum to 0. */
  buf[510] = 0xa5;
  for (unsigned i = 0; i < 511; i++)
    sum = (uint8_t) (sum + buf[i]);
  buf[511] = (uint8_t) -sum;
}

static void
common_identify (AhciPort *port, uint16_t *w, const char *model)
{
  ata_string (w + 10, 10, port->serial);
  ata_string (w + 23, 4, "1.0");
  ata_string (w + 27, 20, model);
  w[53] = 0x0006;               /* words 64-70 and 88 valid */
  w[63] = 0x0007;               /* multiword DMA 0-2 */
  w[64] = 0x0003;               /* PIO 3-4 */
  w[65] = w[66] = w[67] = w[68] = 120;
  w[87] = 0x4000;
  w[88] = 0x007f;               /* UDMA 0-6 */
  if (port->disk.udma_mode <= 6)
    w[88] |= (uint16_t) (0x100u << port->disk.udma_mode);
  w[93] = 0;
}

static void
identify_disk (AhciPort *port, uint8_t *buf)
{
  const AhciDisk *d = &port->disk;
  uint16_t w[256] = { 0 };
  uint64_t lba28 = MIN (d->sectors, 0x0fffffffull);
  uint64_t chs = MIN (d->sectors / (16 * 63), 16383ull);

  w[0] = 0x0040;                /* fixed device */
  w[1] = (uint16_t) chs;
  w[3] = 16;
  w[6] = 63;
  common_identify (port, w, "VIREO HARDDISK");
  w[47] = 0x8010;               /* up to 16 sectors per READ MULTIPLE */
  w[49] = 0x0b00;               /* IORDY, LBA, DMA */
  w[50] = 0x4000;
  w[54] = (uint16_t) chs;
  w[55] = 16;
  w[56] = 63;
  w[57] = (uint16_t) (chs * 16 * 63);
  w[58] = (uint16_t) ((chs * 16 * 63) >> 16);
  w[59] = 0x0110;
  w[60] = (uint16_t) lba28;
  w[61] = (uint16_t) (lba28 >> 16);
  w[75] = AHCI_SLOTS - 1;       /* NCQ depth */
  w[76] = 0x0106;               /* NCQ, SATA Gen 1 and 2 */
  w[80] = 0x03f0;               /* ATA-4 to ACS-2 */
  w[81] = 0;
  w[82] = 0x0060;               /* write cache, look-ahead */
  w[83] = 0x7400;               /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
  w[84] = 0x4000;
  w[85] = (uint16_t) (0x0040 | (d->write_cache ? 0x0020 : 0));
  w[86] = 0x3400;
  w[100] = (uint16_t) d->sectors;
  w[101] = (uint16_t) (d->sectors >> 16);
  w[102] = (uint16_t) (d->sectors >> 32);
  w[103] = (uint16_t) (d->sectors >> 48);
  /* 4 KiB physical sectors, as virtio-blk says, so that guests align. */
  w[106] = 0x6003;
  if (d->trim)
    {
      w[105] = DSM_MAX_BLOCKS;
      w[169] = 0x0001;
    }
  w[217] = 1;                   /* non-rotating: guests then TRIM */
  put_words (buf, w);
}

static void
identify_packet (AhciPort *port, uint8_t *buf)
{
  uint16_t w[256] = { 0 };

  /* ATAPI, CD-ROM class, removable, DRQ within 50 us, 12-byte packets. */
  w[0] = 0x85c0;
  common_identify (port, w, "VIREO DVD-ROM");
  w[49] = 0x0300;               /* LBA, DMA */
  w[76] = 0x0006;
  w[80] = 0x01f0;
  w[82] = 0x0010;               /* PACKET */
  w[83] = 0x4000;
  w[84] = 0x4000;
  w[85] = 0x0010;
  w[86] = 0;
  put_words (buf, w);
}

static uint64_t
lba28 (const uint8_t *f)
{
  return f[4] | (uint64_t) f[5] << 8 | (uint64_t) f[6] << 16 | (uint64_t) (f[7] & 0xf) << 24;
}

static uint64_t
lba48 (const uint8_t *f)
{
  return f[4] | (uint64_t) f[5] << 8 | (uint64_t) f[6] << 16 | (uint64_t) f[8] << 24
         | (uint64_t) f[9] << 32 | (uint64_t) f[10] << 40;
}

/* Ends the command with an error; a queued one is also recorded for
 * the NCQ error log, where drivers look for which tag failed. */
static void
fail (AhciCmd *cmd, uint8_t status, uint8_t error)
{
  AhciDisk *d = &cmd->port->disk;

  if (cmd->ncq)
    {
      d->ncq_error = true;
      d->ncq_tag = (uint8_t) cmd->tag;
      d->ncq_status = status;
      d->ncq_err = error;
      d->ncq_lba = cmd->rtf.lba;
    }
  ahci_cmd_finish (cmd, status, error, 0);
}

static void
abort_cmd (AhciCmd *cmd)
{
  fail (cmd, ATA_BAD, ATA_ABRT);
}

static void
pio_in (AhciCmd *cmd, const uint8_t *buf, size_t len)
{
  int64_t n;

  cmd->pio_in = true;
  n = ahci_cmd_to_guest (cmd, buf, len);
  if (n < 0)
    abort_cmd (cmd);
  else
    ahci_cmd_finish (cmd, ATA_GOOD, 0, (uint32_t) n);
}

/* READ/WRITE DMA, SECTORS, FPDMA QUEUED. */
static void
rw (AhciCmd *cmd, bool write, uint64_t lba, uint64_t count)
{
  AhciPort *port = cmd->port;
  int r;

  if (write && port->disk.read_only)
    {
      abort_cmd (cmd);
      return;
    }
  if (lba > port->disk.sectors || count > port->disk.sectors - lba)
    {
      cmd->rtf.lba = lba;
      fail (cmd, ATA_BAD, ATA_IDNF);
      return;
    }
  cmd->bytes = count * 512;
  r = ahci_cmd_map (cmd, cmd->bytes);
  if (r < 0)
    {
      g_debug ("ahci: port %u: PRDs for %" G_GUINT64_FORMAT " bytes: %s", port->index,
               cmd->bytes, g_strerror (-r));
      abort_cmd (cmd);
      return;
    }
  if (write && !port->disk.write_cache)
    cmd->flush_after = true;
  ahci_cmd_submit (cmd, write ? VMM_BLOCK_OP_WRITE : VMM_BLOCK_OP_READ, lba * 512, 0);
}

static void
next_range (AhciCmd *cmd)
{
  while (cmd->next_range < cmd->n_ranges)
    {
      uint64_t e = cmd->ranges[cmd->next_range++];
      uint64_t lba = e & 0xffffffffffffull;
      uint64_t n = e >> 48;

      if (n == 0)
        continue;
      ahci_cmd_submit (cmd, VMM_BLOCK_OP_DISCARD, lba * 512, n * 512);
      vmm_block_queue_kick (cmd->port->queue);
      return;
    }
  ahci_cmd_finish (cmd, ATA_GOOD, 0, (uint32_t) cmd->bytes);
}

/* DATA SET MANAGEMENT with TRIM: the ranges are checked first, so that a
 * bad one fails the command before anything was discarded. */
static void
dsm (AhciCmd *cmd, unsigned blocks)
{
  AhciPort *port = cmd->port;
  size_t len;
  int64_t n;

  if (!port->disk.trim || port->disk.read_only || !(cmd->cfis[3] & 1) || blocks == 0
      || blocks > DSM_MAX_BLOCKS)
    {
      abort_cmd (cmd);
      return;
    }
  len = (size_t) blocks * 512;
  cmd->ranges = g_malloc (len);
  n = ahci_cmd_from_guest (cmd, cmd->ranges, len);
  if (n != (int64_t) len)
    {
      abort_cmd (cmd);
      return;
    }
  cmd->n_ranges = (unsigned) (len / 8);
  for (unsigned i = 0; i < cmd->n_ranges; i++)
    {
      uint64_t e = GUINT64_FROM_LE (cmd->ranges[i]);
      uint64_t lba = e & 0xffffffffffffull;
      uint64_t count = e >> 48;

      cmd->ranges[i] = e;
      if (count != 0 && (lba > port->disk.sectors || count > port->disk.sectors - lba))
        {
          cmd->rtf.lba = lba;
          fail (cmd, ATA_BAD, ATA_IDNF);
          return;
        }
    }
  cmd->bytes = len;
  next_range (cmd);
}

/* READ LOG (DMA) EXT of page 10h: which queued command failed, and how.
 * Reading it clears it, as on a drive; with no error recorded the NQ bit
 * says so. */
static void
read_log (AhciCmd *cmd, uint8_t op)
{
  AhciDisk *d = &cmd->port->disk;
  unsigned page = cmd->cfis[4];
  unsigned count = cmd->cfis[12] | cmd->cfis[13] << 8;
  uint8_t buf[512] = { 0 };
  uint8_t sum = 0;

  if (page != LOG_NCQ_ERROR || count != 1 || (cmd->cfis[5] | cmd->cfis[9]) != 0)
    {
      abort_cmd (cmd);
      return;
    }
  if (d->ncq_error)
    {
      buf[0] = d->ncq_tag;
      buf[2] = d->ncq_status;
      buf[3] = d->ncq_err;
      buf[4] = (uint8_t) d->ncq_lba;
      buf[5] = (uint8_t) (d->ncq_lba >> 8);
      buf[6] = (uint8_t) (d->ncq_lba >> 16);
      buf[7] = 0x40;
      buf[8] = (uint8_t) (d->ncq_lba >> 24);
      buf[9] = (uint8_t) (d->ncq_lba >> 32);
      buf[10] = (uint8_t) (d->ncq_lba >> 40);
      d->ncq_error = false;
    }
  else
    buf[0] = 0x80;
  for (unsigned i = 0; i < 511; i++)
    sum = (uint8_t) (sum + buf[i]);
  buf[511] = (uint8_t) -sum;
  if (op == ATA_READ_LOG_DMA_EXT)
    {
      int64_t n = ahci_cmd_to_guest (cmd, buf, sizeof buf);

      if (n < 0)
        abort_cmd (cmd);
      else
        ahci_cmd_finish (cmd, ATA_GOOD, 0, (uint32_t) n);
    }
  else
    pio_in (cmd, buf, sizeof buf);
}

static void
set_features (AhciCmd *cmd)
{
  AhciPort *port = cmd->port;
  uint8_t count = cmd->cfis[12];

  switch (cmd->cfis[3])
    {
    case 0x02:                  /* enable write cache */
      port->disk.write_cache = true;
      break;
    case 0x82:                  /* disable write cache */
      port->disk.write_cache = false;
      break;
    case 0x03:                  /* transfer mode */
      if ((count >> 3) == 8 && (count & 7) <= 6)
        port->disk.udma_mode = count & 7;
      else if ((count >> 3) <= 4)
        port->disk.udma_mode = 0xff;
      else
        {
          abort_cmd (cmd);
          return;
        }
      break;
    case 0x05: case 0x85:       /* APM */
    case 0x10: case 0x90:       /* SATA features */
    case 0x55: case 0xaa:       /* look-ahead */
    case 0x66: case 0xcc:       /* revert to defaults */
      break;
    default:
      abort_cmd (cmd);
      return;
    }
  ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
}

/* What both kinds of device answer alike. Returns false if not one. */
static bool
common_command (AhciCmd *cmd, uint8_t op)
{
  switch (op)
    {
    case ATA_SET_FEATURES:
      set_features (cmd);
      return true;
    case ATA_CHECK_POWER:
      cmd->rtf.count = 0xff;    /* active or idle */
      ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
      return true;
    case ATA_STANDBY_IMMEDIATE: case ATA_IDLE_IMMEDIATE: case ATA_STANDBY: case ATA_IDLE:
      ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
      return true;
    default:
      return false;
    }
}

static void
packet_device_command (AhciCmd *cmd, uint8_t op)
{
  uint8_t buf[512];

  switch (op)
    {
    case ATA_IDENTIFY_PACKET:
      identify_packet (cmd->port, buf);
      pio_in (cmd, buf, sizeof buf);
      return;
    case ATA_DEVICE_RESET:
      cmd->rtf.count = 1;
      cmd->rtf.lba = cmd->port->sig >> 8;
      ahci_cmd_finish (cmd, 0, 0, 0);
      return;
    case ATA_IDENTIFY:
      /* Aborted with the packet signature: how hosts tell an ATAPI
       * device from a disk. */
      cmd->rtf.count = 1;
      cmd->rtf.lba = cmd->port->sig >> 8;
      abort_cmd (cmd);
      return;
    default:
      if (!common_command (cmd, op))
        abort_cmd (cmd);
      return;
    }
}

void
ahci_ata_execute (AhciCmd *cmd)
{
  const uint8_t *f = cmd->cfis;
  AhciPort *port = cmd->port;
  uint8_t op = f[2];
  unsigned count28 = f[12] ? f[12] : 256;
  unsigned count48 = (f[12] | f[13] << 8) ? (unsigned) (f[12] | f[13] << 8) : 65536;
  uint8_t buf[512];

  if (port->kind == VMM_AHCI_DRIVE_CDROM)
    {
      packet_device_command (cmd, op);
      return;
    }
  switch (op)
    {
    case ATA_IDENTIFY:
      identify_disk (port, buf);
      pio_in (cmd, buf, sizeof buf);
      return;
    case ATA_READ_DMA:
      rw (cmd, false, lba28 (f), count28);
      return;
    case ATA_WRITE_DMA:
      rw (cmd, true, lba28 (f), count28);
      return;
    case ATA_READ_SECTORS:
      cmd->pio_in = true;
      rw (cmd, false, lba28 (f), count28);
      return;
    case ATA_WRITE_SECTORS:
      rw (cmd, true, lba28 (f), count28);
      return;
    case ATA_READ_DMA_EXT:
      rw (cmd, false, lba48 (f), count48);
      return;
    case ATA_WRITE_DMA_EXT:
      rw (cmd, true, lba48 (f), count48);
      return;
    case ATA_READ_SECTORS_EXT:
      cmd->pio_in = true;
      rw (cmd, false, lba48 (f), count48);
      return;
    case ATA_WRITE_SECTORS_EXT:
      rw (cmd, true, lba48 (f), count48);
      return;
    case ATA_READ_FPDMA:
    case ATA_WRITE_FPDMA:
      {
        unsigned n = (f[3] | f[11] << 8) ? (unsigned) (f[3] | f[11] << 8) : 65536;

        /* Accepted at once: the slot frees, the tag stays in PxSACT until
         * a Set Device Bits FIS retires it. */
        cmd->ncq = true;
        cmd->tag = f[12] >> 3;
        port->ci &= ~(1u << cmd->slot);
        if ((f[7] & 0x80) && op == ATA_WRITE_FPDMA)
          cmd->flush_after = true;   /* FUA */
        rw (cmd, op == ATA_WRITE_FPDMA, lba48 (f), n);
        return;
      }
    case ATA_FLUSH:
    case ATA_FLUSH_EXT:
      ahci_cmd_submit (cmd, VMM_BLOCK_OP_FLUSH, 0, 0);
      return;
    case ATA_READ_VERIFY:
    case ATA_READ_VERIFY_EXT:
      {
        uint64_t lba = op == ATA_READ_VERIFY ? lba28 (f) : lba48 (f);
        uint64_t n = op == ATA_READ_VERIFY ? count28 : count48;

        if (lba > port->disk.sectors || n > port->disk.sectors - lba)
          {
            cmd->rtf.lba = lba;
            fail (cmd, ATA_BAD, ATA_IDNF);
          }
        else
          ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
        return;
      }
    case ATA_READ_NATIVE_MAX:
      cmd->rtf.lba = MIN (port->disk.sectors, 0x10000000ull) - 1;
      ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
      return;
    case ATA_READ_NATIVE_MAX_EXT:
      cmd->rtf.lba = port->disk.sectors - 1;
      ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
      return;
    case ATA_DSM:
      dsm (cmd, f[12] | f[13] << 8);
      return;
    case ATA_READ_LOG_EXT:
    case ATA_READ_LOG_DMA_EXT:
      read_log (cmd, op);
      return;
    case ATA_INIT_PARAMS:
    case ATA_SET_MULTIPLE:
      ahci_cmd_finish (cmd, ATA_GOOD, 0, 0);
      return;
    default:
      if (!common_command (cmd, op))
        abort_cmd (cmd);
      return;
    }
}

void
ahci_ata_io_done (AhciCmd *cmd, int result)
{
  /* TRIM is a hint: a range the image could not drop still reads back
   * what it held, which the guest must accept anyway. */
  if (cmd->req.op == VMM_BLOCK_OP_DISCARD)
    {
      next_range (cmd);
      return;
    }
  if (result < 0)
    {
      g_debug ("ahci: port %u: I/O at %" G_GUINT64_FORMAT " failed: %s", cmd->port->index,
               cmd->req.offset, g_strerror (-result));
      cmd->rtf.lba = cmd->req.offset / 512;
      fail (cmd, ATA_BAD | ATA_DF, cmd->req.op == VMM_BLOCK_OP_READ ? ATA_UNC : ATA_ABRT);
      return;
    }
  if (cmd->req.op == VMM_BLOCK_OP_WRITE && cmd->flush_after)
    {
      cmd->flush_after = false;
      ahci_cmd_submit (cmd, VMM_BLOCK_OP_FLUSH, 0, 0);
      vmm_block_queue_kick (cmd->port->queue);
      return;
    }
  ahci_cmd_finish (cmd, ATA_GOOD, 0, (uint32_t) cmd->bytes);
}

void
ahci_ata_init_disk (AhciPort *port)
{
  port->disk.write_cache = true;
  port->disk.udma_mode = 5;
  port->disk.trim = !port->disk.read_only;
}
