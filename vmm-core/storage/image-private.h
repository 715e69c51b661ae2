/* image-private.h: what the format drivers share with image.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sys/types.h>

#include "image.h"

/* Backing chains deeper than this are refused: real chains are a handful of
 * layers, and a hostile file must not make us open files without end. */
#define VMM_IMAGE_MAX_CHAIN 16

typedef struct {
  int  (*read)         (VmmImage *img, void *buf, uint64_t offset, size_t len);
  int  (*write)        (VmmImage *img, const void *buf, uint64_t offset, size_t len);
  int  (*flush)        (VmmImage *img);
  int  (*discard)      (VmmImage *img, uint64_t offset, uint64_t len);
  int  (*write_zeroes) (VmmImage *img, uint64_t offset, uint64_t len);
  void (*close)        (VmmImage *img); /* optional */
  void (*info)         (VmmImage *img, VmmImageInfo *info);
  bool (*check)        (VmmImage *img, VmmImageCheck *result,
                        void (*report) (void *opaque, const char *line), void *opaque,
                        GError **error);
} VmmImageOps;

/* The files already open above a backing file, for loop detection. */
typedef struct {
  unsigned depth;
  dev_t    dev[VMM_IMAGE_MAX_CHAIN + 1];
  ino_t    ino[VMM_IMAGE_MAX_CHAIN + 1];
} VmmImageChain;

struct _VmmImage {
  const VmmImageOps *ops;
  VmmImageFormat     format;
  char              *path;
  int                fd;
  bool               read_only;
  uint64_t           size;       /* guest-visible size in bytes */
  VmmImage          *backing;
  void              *priv;       /* the driver's state */
};

VmmImage *vmm_image_open_chain (const char *path, VmmImageFormat format, bool read_only,
                                VmmImageChain *chain, GError **error);

/* pread/pwrite that retry short transfers and EINTR; -errno on failure.
 * A read that reaches end of file fills the rest with zeros. */
int       vmm_image_pread_full  (int fd, void *buf, size_t len, uint64_t offset);
int       vmm_image_pwrite_full (int fd, const void *buf, size_t len, uint64_t offset);

/* Creates (or empties) @path for a new image, holding the write lock
 * so that no image in use is destroyed. Returns the fd or -1 with @error. */
int       vmm_image_create_file (const char *path, GError **error);

/* Drivers: fill img->ops, img->size and img->priv, or fail with @error. */
bool      vmm_raw_open   (VmmImage *img, GError **error);
bool      vmm_qcow2_open (VmmImage *img, VmmImageChain *chain, GError **error);
bool      vmm_qcow2_probe (const uint8_t *buf, size_t len);
