/* qcow2-private.h: qcow2 on-disk constants and the state the qcow2 files
 * share (qcow2.c: open and read; qcow2-refcount.c: allocation;
 * qcow2-write.c: writes; qcow2-check.c; qcow2-create.c).
 *
 * Every value read from the file is hostile: the helpers here validate an
 * offset before it is used, and callers turn a failed check into -EIO.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "image-private.h"

#define QCOW2_MAGIC 0x514649fbu        /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104

#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
/* The same ceilings QEMU uses, so whatever it writes we read, and a hostile
 * header cannot make us allocate without bound. */
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023

#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

#define QCOW2_EXT_END 0u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_DATA_FILE 0x44415441u

#define QCOW2_OFLAG_COPIED (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO (1ull << 0)
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull
/* L2 bits 1-8 and 56-61 are reserved in a standard cluster descriptor. */
#define QCOW2_L2_RESERVED 0x3f000000000001feull

/* Header field offsets, for the few fields written after creation. */
#define QCOW2_HDR_REFTABLE_OFFSET 48
#define QCOW2_HDR_AUTOCLEAR 88

#define QCOW2_L2_CACHE_BYTES (8u << 20)
#define QCOW2_L2_CACHE_MAX 16

typedef struct {
  uint64_t  offset; /* host offset of the table; 0 marks a free slot */
  uint64_t *table;  /* entries as on disk (big-endian) */
  uint64_t  stamp;  /* last use, for LRU eviction */
  bool      dirty;  /* changed since it was last written to the file */
} Qcow2L2Slot;

typedef struct {
  GMutex       lock;
  int          fd;               /* the image's, not owned */
  VmmImage    *backing;          /* the image's, not owned */

  uint32_t     version;
  uint32_t     cluster_bits;
  uint64_t     cluster_size;
  uint32_t     l2_bits;          /* log2 of entries per L2 table */
  uint64_t     incompat, compat, autoclear;
  uint32_t     header_length;

  uint64_t     l1_offset;
  uint32_t     l1_size;
  uint64_t    *l1;               /* host byte order */

  uint64_t     rt_offset;
  uint32_t     rt_clusters;
  uint64_t     rt_size;          /* entries */
  uint64_t    *rt;               /* host byte order */
  uint32_t     refcount_order;
  uint32_t     rb_bits;          /* log2 of entries per refcount block */

  uint32_t     nb_snapshots;
  uint64_t     snapshots_offset;

  char        *backing_file;
  char        *backing_format;

  uint64_t     file_size;        /* bytes; grows as clusters are allocated */

  Qcow2L2Slot  l2_cache[QCOW2_L2_CACHE_MAX];
  unsigned     l2_slots;
  uint64_t     l2_stamp;

  /* Cluster indexes that hold metadata (L1, L2, refcount table and blocks,
   * snapshot table): a data cluster pointing there is refused. */
  GHashTable  *metadata;

  /* Allocations whose data is in flight (vmm_image_alloc), not yet in
   * any L2 table. */
  VmmImageAlloc *pending;

  /* The last decompressed cluster: guests read 512 bytes at a time. */
  uint8_t     *zbuf;
  uint8_t     *zin;
  uint64_t     zbuf_entry;
  bool         zbuf_valid;
} Qcow2State;

static inline uint64_t
qcow2_be64 (const uint8_t *p)
{
  return ((uint64_t) p[0] << 56) | ((uint64_t) p[1] << 48) | ((uint64_t) p[2] << 40)
         | ((uint64_t) p[3] << 32) | ((uint64_t) p[4] << 24) | ((uint64_t) p[5] << 16)
         | ((uint64_t) p[6] << 8) | p[7];
}

static inline uint32_t
qcow2_be32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static inline uint16_t
qcow2_be16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static inline void
qcow2_put_be64 (uint8_t *p, uint64_t v)
{
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t) v;
}

static inline void
qcow2_put_be32 (uint8_t *p, uint32_t v)
{
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t) v;
}

static inline uint64_t
qcow2_align_up (uint64_t v, uint64_t align)
{
  return (v + align - 1) & ~(align - 1);
}

/* A cluster-aligned host cluster that lies inside the file. */
static inline bool
qcow2_cluster_ok (Qcow2State *s, uint64_t offset)
{
  return offset != 0 && (offset & (s->cluster_size - 1)) == 0 && offset < s->file_size;
}

static inline void
qcow2_mark_metadata (Qcow2State *s, uint64_t offset, uint64_t len)
{
  for (uint64_t c = offset >> s->cluster_bits; len > 0 && c <= (offset + len - 1) >> s->cluster_bits;
       c++)
    g_hash_table_add (s->metadata, GSIZE_TO_POINTER ((gsize) c));
}

static inline bool
qcow2_is_metadata (Qcow2State *s, uint64_t offset)
{
  return offset < s->cluster_size
         || g_hash_table_contains (s->metadata, GSIZE_TO_POINTER ((gsize) (offset >> s->cluster_bits)));
}

/* qcow2.c */
int      qcow2_get_l2            (Qcow2State *s, uint64_t l2_offset, Qcow2L2Slot **slot);
int      qcow2_l2_writeback      (Qcow2State *s);
int      qcow2_read_cluster_part (Qcow2State *s, uint64_t virtual_size, uint8_t *buf,
                                  uint64_t offset, size_t len);
int      qcow2_lookup            (Qcow2State *s, uint64_t offset, uint64_t *entry);
int      qcow2_compressed_range  (Qcow2State *s, uint64_t entry, uint64_t *host, uint64_t *len);

/* qcow2-refcount.c: every function expects s->lock held. */
int      qcow2_refcount_get      (Qcow2State *s, uint64_t cluster, uint64_t *value);
int      qcow2_refcount_set      (Qcow2State *s, uint64_t cluster, uint64_t value);
int      qcow2_alloc_cluster     (Qcow2State *s, uint64_t *offset);
int      qcow2_alloc_run         (Qcow2State *s, unsigned max, uint64_t *offset,
                                  unsigned *n);
int      qcow2_free_entry        (Qcow2State *s, uint64_t entry);

/* qcow2-write.c */
int      qcow2_write             (VmmImage *img, const void *buf, uint64_t offset, size_t len);
int      qcow2_write_zeroes      (VmmImage *img, uint64_t offset, uint64_t len);
int      qcow2_flush             (VmmImage *img);
int      qcow2_alloc_begin       (VmmImage *img, uint64_t offset, uint64_t len,
                                  VmmImageAlloc *alloc);
int      qcow2_alloc_commit      (VmmImage *img, VmmImageAlloc *alloc, int result);

/* qcow2-check.c */
bool     qcow2_check             (VmmImage *img, VmmImageCheck *result,
                                  void (*report) (void *opaque, const char *line), void *opaque,
                                  GError **error);
