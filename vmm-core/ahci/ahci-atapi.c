/* ahci-atapi.c: the SCSI/MMC commands of the ATAPI CD/DVD-ROM drive,
 * carried in PACKET commands: what SeaBIOS, OVMF, Linux's sr and Windows'
 * cdrom.sys send to find, read and eject a disc. Sectors are 2048 bytes;
 * the image is never written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>

#include "ahci/ahci-private.h"

#define SCSI_TEST_UNIT_READY    0x00
#define SCSI_REQUEST_SENSE      0x03
#define SCSI_INQUIRY            0x12
#define SCSI_START_STOP         0x1b
#define SCSI_PREVENT_ALLOW      0x1e
#define SCSI_READ_CAPACITY      0x25
#define SCSI_READ_10            0x28
#define SCSI_SEEK_10            0x2b
#define SCSI_READ_TOC           0x43
#define SCSI_GET_CONFIGURATION  0x46
#define SCSI_GET_EVENT_STATUS   0x4a
#define SCSI_READ_DISC_INFO     0x51
#define SCSI_READ_TRACK_INFO    0x52
#define SCSI_MODE_SENSE_10      0x5a
#define SCSI_READ_12            0xa8
#define SCSI_READ_DVD_STRUCTURE 0xad
#define SCSI_SET_CD_SPEED       0xbb
#define SCSI_MECHANISM_STATUS   0xbd

#define SENSE_NOT_READY         0x02
#define SENSE_MEDIUM_ERROR      0x03
#define SENSE_ILLEGAL_REQUEST   0x05
#define SENSE_UNIT_ATTENTION    0x06

/* What fits on a CD; larger images are DVDs to GET CONFIGURATION. */
#define CD_MAX_SECTORS          (80u * 60 * 75)

#define MEDIA_EVENT_NONE        0
#define MEDIA_EVENT_NEW         2
#define MEDIA_EVENT_REMOVAL     3

#define ATAPI_SECTOR            2048

bool
ahci_atapi_has_media (AhciPort *port)
{
  return port->image != NULL && !port->cd.tray_open;
}

static uint64_t
sectors (AhciPort *port)
{
  return ahci_atapi_has_media (port) ? vmm_image_get_size (port->image) / ATAPI_SECTOR : 0;
}

void
ahci_atapi_media_changed (AhciPort *port, bool present)
{
  port->cd.tray_open = false;
  port->cd.locked = false;
  port->cd.unit_attention = present;
  port->cd.media_event = present ? MEDIA_EVENT_NEW : MEDIA_EVENT_REMOVAL;
}

static void
put_be16 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
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
get_be16 (const uint8_t *p)
{
  return (uint32_t) p[0] << 8 | p[1];
}

static uint32_t
get_be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void
check_condition (AhciCmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq)
{
  AhciCdrom *cd = &cmd->port->cd;

  cd->sense_key = key;
  cd->asc = asc;
  cd->ascq = ascq;
  cmd->rtf.count = 3;           /* I/O and C/D: status phase */
  ahci_cmd_finish (cmd, ATA_DRDY | ATA_ERR, (uint8_t) (key << 4 | ATA_ABRT), 0);
}

static void
good (AhciCmd *cmd, uint32_t bytes)
{
  AhciCdrom *cd = &cmd->port->cd;

  cd->sense_key = cd->asc = cd->ascq = 0;
  cmd->rtf.count = 3;
  ahci_cmd_finish (cmd, ATA_GOOD, 0, bytes);
}

/* Answers with @len bytes of @buf, cut to the allocation length. */
static void
data_in (AhciCmd *cmd, const uint8_t *buf, size_t len, size_t alloc)
{
  int64_t n = ahci_cmd_to_guest (cmd, buf, MIN (len, alloc));

  if (n < 0)
    check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
  else
    good (cmd, (uint32_t) n);
}

static void
lba_to_msf (uint8_t *p, uint64_t lba)
{
  lba += 150;
  p[0] = (uint8_t) MIN (lba / (60 * 75), 255u);
  p[1] = (uint8_t) ((lba / 75) % 60);
  p[2] = (uint8_t) (lba % 75);
}

static void
put_addr (uint8_t *p, uint64_t lba, bool msf)
{
  if (msf)
    {
      p[0] = 0;
      lba_to_msf (p + 1, lba);
    }
  else
    put_be32 (p, (uint32_t) lba);
}

static void
read_toc (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  AhciPort *port = cmd->port;
  bool msf = cdb[1] & 0x02;
  unsigned format = cdb[2] & 0x0f;
  unsigned track = cdb[6];
  uint64_t end = sectors (port);
  uint8_t buf[64] = { 0 };
  size_t len = 4;

  if (format == 0 && (cdb[9] >> 6) != 0)
    format = cdb[9] >> 6;     /* the older place for the format */
  switch (format)
    {
    case 0:                   /* TOC: the data track and the lead-out */
      if (track > 1 && track != 0xaa)
        {
          check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
          return;
        }
      buf[2] = 1;
      buf[3] = 1;
      if (track <= 1)
        {
          buf[len + 1] = 0x14;   /* ADR 1, data track */
          buf[len + 2] = 1;
          put_addr (buf + len + 4, 0, msf);
          len += 8;
        }
      buf[len + 1] = 0x14;
      buf[len + 2] = 0xaa;
      put_addr (buf + len + 4, end, msf);
      len += 8;
      break;
    case 1:                   /* session information */
      buf[2] = 1;
      buf[3] = 1;
      buf[5] = 0x14;
      buf[6] = 1;
      put_addr (buf + 8, 0, msf);
      len = 12;
      break;
    case 2:                   /* full TOC: points A0, A1, A2 and track 1 */
      buf[2] = 1;
      buf[3] = 1;
      for (unsigned point = 0; point < 4; point++)
        {
          uint8_t *d = buf + len;

          d[0] = 1;               /* session */
          d[1] = 0x14;
          d[3] = point == 3 ? 1 : (uint8_t) (0xa0 + point);
          if (point == 0 || point == 1)
            d[8] = 1;             /* first and last track; disc type 0 */
          else if (point == 2)
            lba_to_msf (d + 8, end);
          else
            lba_to_msf (d + 8, 0);
          len += 11;
        }
      break;
    default:
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  put_be16 (buf, (uint32_t) len - 2);
  data_in (cmd, buf, len, get_be16 (cdb + 7));
}

/* Appends feature @code if it passes the request's filter. */
static size_t
add_feature (uint8_t *buf, size_t len, unsigned rt, unsigned start, uint16_t code,
             uint8_t version, bool current, const uint8_t *data, uint8_t data_len)
{
  if (code < start || (rt == 1 && !current) || (rt == 2 && code != start))
    return len;
  put_be16 (buf + len, code);
  buf[len + 2] = (uint8_t) (version << 2 | (code <= 3 ? 0x02 : 0) | (current ? 1 : 0));
  buf[len + 3] = data_len;
  memcpy (buf + len + 4, data, data_len);
  return len + 4 + data_len;
}

static void
get_configuration (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  uint64_t n = sectors (cmd->port);
  bool media = ahci_atapi_has_media (cmd->port);
  bool dvd = media && n > CD_MAX_SECTORS;
  unsigned rt = cdb[1] & 3;
  unsigned start = get_be16 (cdb + 2);
  uint16_t profile = !media ? 0 : dvd ? 0x0010 : 0x0008;
  uint8_t buf[128] = { 0 };
  uint8_t profiles[8] = { 0x00, 0x10, dvd, 0, 0x00, 0x08, media && !dvd, 0 };
  uint8_t core[8] = { 0, 0, 0, 2, 0, 0, 0, 0 };        /* ATAPI */
  uint8_t morphing[4] = { 0x02, 0, 0, 0 };             /* OCEvent */
  uint8_t removable[4] = { 0x29, 0, 0, 0 };            /* tray, eject, lock */
  uint8_t random[8] = { 0, 0, 0x08, 0, 0, (uint8_t) (dvd ? 16 : 1), 0, 0 };
  uint8_t read[4] = { 0 };
  size_t len = 8;

  if (rt == 3)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  len = add_feature (buf, len, rt, start, 0x0000, 0, true, profiles, sizeof profiles);
  len = add_feature (buf, len, rt, start, 0x0001, 1, true, core, sizeof core);
  len = add_feature (buf, len, rt, start, 0x0002, 1, true, morphing, sizeof morphing);
  len = add_feature (buf, len, rt, start, 0x0003, 0, true, removable, sizeof removable);
  len = add_feature (buf, len, rt, start, 0x0010, 0, media, random, sizeof random);
  len = add_feature (buf, len, rt, start, 0x001e, 1, media && !dvd, read, sizeof read);
  len = add_feature (buf, len, rt, start, 0x001f, 0, dvd, read, sizeof read);
  put_be32 (buf, (uint32_t) len - 4);
  put_be16 (buf + 6, profile);
  data_in (cmd, buf, len, get_be16 (cdb + 7));
}

static void
mode_sense (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  unsigned page = cdb[2] & 0x3f;
  unsigned pc = cdb[2] >> 6;
  uint8_t buf[64] = { 0 };
  size_t len = 8;

  if (pc == 3)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x39, 0);
      return;
    }
  if (page != 0x01 && page != 0x2a && page != 0x3f)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  if (page == 0x01 || page == 0x3f)
    {
      uint8_t *p = buf + len;

      p[0] = 0x01;            /* read error recovery */
      p[1] = 0x0a;
      p[3] = pc == 1 ? 0 : 5; /* read retries (nothing is changeable) */
      len += 12;
    }
  if (page == 0x2a || page == 0x3f)
    {
      uint8_t *p = buf + len;

      p[0] = 0x2a;            /* capabilities and mechanical status */
      p[1] = 0x14;
      if (pc != 1)
        {
          p[2] = 0x3b;        /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
          p[4] = 0x71;        /* multi-session, mode 2 form 1/2, audio play */
          p[5] = 0xff;
          p[6] = (uint8_t) (0x29 | (cmd->port->cd.locked ? 0x02 : 0));
          put_be16 (p + 8, 16 * 176);  /* 16x, in kB/s */
          put_be16 (p + 10, 256);      /* volume levels */
          put_be16 (p + 12, 2048);     /* buffer, KiB */
          put_be16 (p + 14, 16 * 176);
        }
      len += 22;
    }
  put_be16 (buf, (uint32_t) len - 2);
  data_in (cmd, buf, len, get_be16 (cdb + 7));
}

static void
get_event_status (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  AhciCdrom *cd = &cmd->port->cd;
  uint8_t buf[8] = { 0 };
  size_t len;

  if (!(cdb[1] & 1))
    {
      /* Only polled operation: there is no asynchronous notification. */
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  buf[3] = 0x10;              /* supports the media class */
  if (cdb[4] & 0x10)
    {
      buf[2] = 4;
      buf[4] = cd->media_event;
      buf[5] = (uint8_t) ((ahci_atapi_has_media (cmd->port) ? 0x02 : 0)
                          | (cd->tray_open ? 0x01 : 0));
      cd->media_event = MEDIA_EVENT_NONE;
      len = 8;
    }
  else
    {
      buf[2] = 0x80;          /* no event available */
      len = 4;
    }
  put_be16 (buf, (uint32_t) len - 2);
  data_in (cmd, buf, len, get_be16 (cdb + 7));
}

/* One closed session with one data track: what a pressed disc or a
 * finished ISO is. */
static void
read_disc_info (AhciCmd *cmd)
{
  uint8_t buf[34] = { 0 };

  if ((cmd->acmd[1] & 7) != 0)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  put_be16 (buf, sizeof buf - 2);
  buf[2] = 0x0e;              /* last session complete, disc complete */
  buf[3] = 1;                 /* first track */
  buf[4] = 1;                 /* sessions */
  buf[5] = 1;                 /* first and last track of the last session */
  buf[6] = 1;
  put_be32 (buf + 16, 0xffffffffu);   /* no next session */
  put_be32 (buf + 20, 0xffffffffu);
  data_in (cmd, buf, sizeof buf, get_be16 (cmd->acmd + 7));
}

static void
read_track_info (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  unsigned type = cdb[1] & 3;
  uint32_t addr = get_be32 (cdb + 2);
  uint64_t n = sectors (cmd->port);
  uint8_t buf[36] = { 0 };

  /* Track 1 by number, session 1, or an LBA inside the track. */
  if ((type == 0 && addr >= n) || (type != 0 && addr != 1) || type == 3)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  put_be16 (buf, sizeof buf - 2);
  buf[2] = 1;                 /* track */
  buf[3] = 1;                 /* session */
  buf[5] = 0x04;              /* data track, recorded uninterrupted */
  buf[6] = 0x01;              /* mode 1 */
  put_be32 (buf + 24, (uint32_t) MIN (n, 0xffffffffull));
  data_in (cmd, buf, sizeof buf, get_be16 (cdb + 7));
}

/* Format 0, the physical format of a single-layer DVD-ROM: what DVD
 * drivers read before anything else. */
static void
read_dvd_structure (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  uint64_t n = sectors (cmd->port);
  g_autofree uint8_t *buf = NULL;
  const size_t len = 4 + 2048;

  if (cdb[7] != 0x00 || cdb[6] != 0)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  if (n <= CD_MAX_SECTORS)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x30, 0x02);
      return;
    }
  buf = g_malloc0 (len);
  put_be16 (buf, (uint32_t) len - 2);
  buf[4] = 0x01;              /* DVD-ROM, version 1 */
  buf[5] = 0x0f;              /* 120 mm, no maximum rate given */
  buf[6] = 0x01;              /* one layer, embossed */
  put_be32 (buf + 8, 0x30000);
  put_be32 (buf + 12, (uint32_t) MIN (0x30000 + n - 1, 0xffffffull));
  data_in (cmd, buf, len, get_be16 (cdb + 8));
}

static void
read_sectors (AhciCmd *cmd, uint64_t lba, uint64_t count)
{
  AhciPort *port = cmd->port;
  uint64_t n = sectors (port);
  int r;

  if (lba > n || count > n - lba)
    {
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x21, 0);
      return;
    }
  if (count == 0)
    {
      good (cmd, 0);
      return;
    }
  cmd->bytes = count * ATAPI_SECTOR;
  r = ahci_cmd_map (cmd, cmd->bytes);
  if (r < 0)
    {
      g_debug ("ahci: port %u: PRDs for %" G_GUINT64_FORMAT " bytes: %s", port->index,
               cmd->bytes, g_strerror (-r));
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
      return;
    }
  ahci_cmd_submit (cmd, VMM_BLOCK_OP_READ, lba * ATAPI_SECTOR, 0);
}

/* Commands that work without a medium and do not report a pending unit
 * attention (SPC/MMC). */
static bool
needs_no_media (uint8_t op)
{
  switch (op)
    {
    case SCSI_REQUEST_SENSE:
    case SCSI_INQUIRY:
    case SCSI_GET_CONFIGURATION:
    case SCSI_GET_EVENT_STATUS:
      return true;
    default:
      return false;
    }
}

void
ahci_atapi_execute (AhciCmd *cmd)
{
  const uint8_t *cdb = cmd->acmd;
  AhciPort *port = cmd->port;
  AhciCdrom *cd = &port->cd;
  uint8_t op = cdb[0];
  uint8_t buf[36] = { 0 };

  if (cmd->cfis[2] != 0xa0)
    {
      ahci_ata_execute (cmd);
      return;
    }
  if (!cmd->atapi)
    {
      /* A PACKET whose header does not say it carries a packet. */
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x20, 0);
      return;
    }
  if (cd->unit_attention && !needs_no_media (op))
    {
      cd->unit_attention = false;
      check_condition (cmd, SENSE_UNIT_ATTENTION, 0x28, 0);
      return;
    }
  if (!needs_no_media (op) && op != SCSI_START_STOP && op != SCSI_PREVENT_ALLOW
      && op != SCSI_MODE_SENSE_10 && op != SCSI_MECHANISM_STATUS && !ahci_atapi_has_media (port))
    {
      check_condition (cmd, SENSE_NOT_READY, 0x3a, cd->tray_open ? 0x02 : 0x01);
      return;
    }

  switch (op)
    {
    case SCSI_TEST_UNIT_READY:
    case SCSI_SEEK_10:
    case SCSI_SET_CD_SPEED:
      good (cmd, 0);
      return;
    case SCSI_REQUEST_SENSE:
      {
        uint8_t sense[18] = { 0x70, 0, cd->sense_key, 0, 0, 0, 0, 10 };

        if (cd->sense_key == 0 && cd->unit_attention)
          {
            sense[2] = SENSE_UNIT_ATTENTION;
            sense[12] = 0x28;
            cd->unit_attention = false;
          }
        else
          {
            sense[12] = cd->asc;
            sense[13] = cd->ascq;
          }
        data_in (cmd, sense, sizeof sense, cdb[4]);
        return;
      }
    case SCSI_INQUIRY:
      if (cdb[1] & 1)
        {
          /* Vital product data: only the list of pages, which is itself. */
          if (cdb[2] != 0x00)
            {
              check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
              return;
            }
          buf[0] = 0x05;
          buf[3] = 1;
          data_in (cmd, buf, 5, get_be16 (cdb + 3));
          return;
        }
      if (cdb[2] != 0)
        {
          check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x24, 0);
          return;
        }
      buf[0] = 0x05;          /* CD/DVD device */
      buf[1] = 0x80;          /* removable */
      buf[2] = 0x05;          /* SPC-3 */
      buf[3] = 0x32;          /* ATAPI, response format 2 */
      buf[4] = 31;
      memcpy (buf + 8, "VIREO   ", 8);
      memcpy (buf + 16, "DVD-ROM         ", 16);
      memcpy (buf + 32, "1.0 ", 4);
      data_in (cmd, buf, 36, get_be16 (cdb + 3));
      return;
    case SCSI_READ_CAPACITY:
      put_be32 (buf, (uint32_t) MIN (sectors (port) - 1, 0xffffffffull));
      put_be32 (buf + 4, ATAPI_SECTOR);
      data_in (cmd, buf, 8, 8);
      return;
    case SCSI_READ_10:
      read_sectors (cmd, get_be32 (cdb + 2), get_be16 (cdb + 7));
      return;
    case SCSI_READ_12:
      read_sectors (cmd, get_be32 (cdb + 2), get_be32 (cdb + 6));
      return;
    case SCSI_READ_TOC:
      read_toc (cmd);
      return;
    case SCSI_GET_CONFIGURATION:
      get_configuration (cmd);
      return;
    case SCSI_MODE_SENSE_10:
      mode_sense (cmd);
      return;
    case SCSI_GET_EVENT_STATUS:
      get_event_status (cmd);
      return;
    case SCSI_READ_DISC_INFO:
      read_disc_info (cmd);
      return;
    case SCSI_READ_TRACK_INFO:
      read_track_info (cmd);
      return;
    case SCSI_READ_DVD_STRUCTURE:
      read_dvd_structure (cmd);
      return;
    case SCSI_START_STOP:
      if (cdb[4] & 0x02)
        {
          bool load = cdb[4] & 0x01;

          if (!load && cd->locked)
            {
              check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x53, 0x02);
              return;
            }
          if (!load && !cd->tray_open)
            {
              cd->tray_open = true;
              cd->media_event = MEDIA_EVENT_REMOVAL;
            }
          else if (load && cd->tray_open)
            {
              cd->tray_open = false;
              if (port->image != NULL)
                cd->media_event = MEDIA_EVENT_NEW;
            }
        }
      good (cmd, 0);
      return;
    case SCSI_PREVENT_ALLOW:
      cd->locked = cdb[4] & 0x01;
      good (cmd, 0);
      return;
    case SCSI_MECHANISM_STATUS:
      buf[1] = cd->tray_open ? 0x10 : 0;
      put_be16 (buf + 6, 0);
      data_in (cmd, buf, 8, get_be16 (cdb + 8));
      return;
    default:
      check_condition (cmd, SENSE_ILLEGAL_REQUEST, 0x20, 0);
      return;
    }
}

void
ahci_atapi_io_done (AhciCmd *cmd, int result)
{
  if (result < 0)
    {
      g_debug ("ahci: port %u: CD read at %" G_GUINT64_FORMAT " failed: %s", cmd->port->index,
               cmd->req.offset, g_strerror (-result));
      check_condition (cmd, SENSE_MEDIUM_ERROR, 0x11, 0);
      return;
    }
  good (cmd, (uint32_t) cmd->bytes);
}
