/* ahci-private.h: the HBA's state shared by its files: ahci.c (registers,
 * command lists, FIS delivery, PRD walking, I/O thread), ahci-ata.c (the
 * ATA command set) and ahci-atapi.c (SCSI commands of the CD-ROM).
 *
 * Locking: one mutex per HBA guards every register and port field. MMIO
 * handlers take it on vCPU threads; everything else runs on the HBA's I/O
 * thread with it held, including every call into the block engine (whose
 * completion callbacks therefore run with the lock held too).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>

#include "ahci/ahci.h"
#include "ioloop.h"

#define AHCI_SLOTS 32

/* ATA status and error bits. */
#define ATA_ERR  0x01
#define ATA_DRQ  0x08
#define ATA_DSC  0x10
#define ATA_DF   0x20
#define ATA_DRDY 0x40
#define ATA_BSY  0x80
#define ATA_ABRT 0x04
#define ATA_IDNF 0x10
#define ATA_UNC  0x40

#define ATA_GOOD (ATA_DRDY | ATA_DSC)
#define ATA_BAD  (ATA_DRDY | ATA_DSC | ATA_ERR)

typedef struct _AhciHba AhciHba;
typedef struct _AhciPort AhciPort;

/* What a command reports back besides status and error (the D2H FIS's
 * count, LBA and device fields). */
typedef struct {
  uint16_t count;
  uint64_t lba;
  uint8_t  device;
} AhciResultTf;

typedef struct {
  AhciPort        *port;
  unsigned         slot;
  unsigned         gen;         /* the port's generation when issued */
  uint64_t         table;       /* command table address */
  uint16_t         prdtl;
  bool             atapi;       /* A bit of the command header */
  bool             ncq;
  unsigned         tag;         /* NCQ tag */
  bool             pio_in;      /* answer with a PIO Setup FIS too */
  bool             flush_after; /* write-through: flush once written */
  uint8_t          cfis[20];
  uint8_t          acmd[16];
  AhciResultTf     rtf;
  struct iovec    *iov;
  unsigned         niov;
  uint64_t         bytes;       /* what the I/O moves */
  uint64_t        *ranges;      /* DATA SET MANAGEMENT entries left to discard */
  unsigned         n_ranges, next_range;
  VmmBlockRequest  req;
} AhciCmd;

typedef struct {
  uint64_t sectors;
  bool     read_only;
  bool     write_cache;
  uint8_t  udma_mode;           /* selected by SET FEATURES, 0xff: none */
  bool     trim;                /* DATA SET MANAGEMENT offered */
  /* The last failed queued command, for the NCQ error log (page 10h). */
  bool     ncq_error;
  uint8_t  ncq_tag, ncq_status, ncq_err;
  uint64_t ncq_lba;
} AhciDisk;

typedef struct {
  bool     tray_open;
  bool     locked;
  bool     unit_attention;      /* medium changed since the guest looked */
  uint8_t  media_event;         /* pending GET EVENT STATUS media event */
  uint8_t  sense_key, asc, ascq;
} AhciCdrom;

struct _AhciPort {
  AhciHba          *hba;
  unsigned          index;
  VmmAhciDriveKind  kind;
  VmmImage         *image;
  VmmBlockBackend  *backend;
  VmmBlockQueue    *queue;
  bool              watching;
  char              serial[VMM_AHCI_SERIAL_LEN + 1];

  /* Registers. */
  uint64_t clb, fb;
  uint32_t is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;

  unsigned gen;                 /* bumped when the port stops or resets */
  uint32_t busy;                /* slots whose command is in flight */
  unsigned in_flight;
  bool     d2h_pending;         /* the reset's signature FIS awaits FRE */
  AhciCmd  cmds[AHCI_SLOTS];

  AhciDisk  disk;
  AhciCdrom cd;
};

struct _AhciHba {
  GMutex        lock;
  VmmPlatform  *platform;
  VmmPciDevice *pci;
  VmmIoLoop    *loop;
  int           kick_fd;
  bool          kick_watching;
  VmmBlockEngineKind engine;
  uint32_t      ghc, is;
  bool          irq_level;
  AhciPort      ports[VMM_AHCI_MAX_PORTS];
};

/* ahci.c, for the command sets. All need the lock held. */
/* Maps the first @bytes of the PRDT into cmd->iov: 0, -EFAULT (a PRD or
 * the table outside RAM) or -ENOSPC (the PRDs describe fewer bytes). */
int      ahci_cmd_map        (AhciCmd *cmd, uint64_t bytes);
/* Copies between @buf and the PRDT's buffers, at most @len bytes and at
 * most what the PRDs describe. Returns the bytes copied or -EFAULT. */
int64_t  ahci_cmd_to_guest   (AhciCmd *cmd, const void *buf, size_t len);
int64_t  ahci_cmd_from_guest (AhciCmd *cmd, void *buf, size_t len);
/* Hands cmd->req (op, offset, and for reads and writes the mapped iov) to
 * the port's block queue; its completion reaches ahci_ata_io_done or
 * ahci_atapi_io_done. */
void     ahci_cmd_submit     (AhciCmd *cmd, VmmBlockOp op, uint64_t offset, uint64_t len);
/* Ends the command: PRD byte count, FISes, PxCI/PxSACT, interrupt. */
void     ahci_cmd_finish     (AhciCmd *cmd, uint8_t status, uint8_t error, uint32_t bytes);

/* ahci-ata.c */
void     ahci_ata_execute    (AhciCmd *cmd);
void     ahci_ata_io_done    (AhciCmd *cmd, int result);
void     ahci_ata_init_disk  (AhciPort *port);

/* ahci-atapi.c */
void     ahci_atapi_execute  (AhciCmd *cmd);
void     ahci_atapi_io_done  (AhciCmd *cmd, int result);
/* The medium changed (@present: a new one is in). */
void     ahci_atapi_media_changed (AhciPort *port, bool present);
bool     ahci_atapi_has_media (AhciPort *port);
