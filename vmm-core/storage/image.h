/* image.h: disk images (raw and qcow2) behind one small ops table.
 *
 * Threading: a VmmImage is used by one I/O thread at a time; the caller
 * serialises requests on one image. qcow2 also takes a mutex around its
 * metadata so that a stray concurrent caller cannot corrupt the tables, but
 * requests are not meant to run in parallel on one image.
 *
 * Writes are durable only once vmm_image_flush returns (the guest's flush
 * command); a crash before that may lose them, but never damages data
 * that was flushed: qcow2 metadata is ordered so a crash can only leak
 * clusters. A qcow2 image left dirty by QEMU's lazy refcounts (or marked
 * corrupt) opens read-only only; `qemu-img check -r all` repairs it.
 *
 * Offsets and lengths are in bytes and need no alignment. Data requests
 * return 0 or -errno; -EIO means the image's metadata is unusable for that
 * request (a hostile or corrupted file), never that memory was touched
 * outside the buffers given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_IMAGE_ERROR (vmm_image_error_quark ())

typedef enum {
  VMM_IMAGE_ERROR_FAILED,      /* I/O error from the host */
  VMM_IMAGE_ERROR_INVALID,     /* the file is not a valid image */
  VMM_IMAGE_ERROR_UNSUPPORTED, /* valid, but uses a feature Vireo lacks */
  VMM_IMAGE_ERROR_LOCKED,      /* another program holds the image */
} VmmImageError;

typedef enum {
  VMM_IMAGE_FORMAT_AUTO,
  VMM_IMAGE_FORMAT_RAW,
  VMM_IMAGE_FORMAT_QCOW2,
} VmmImageFormat;

typedef struct _VmmImage VmmImage;

/* What `vireo-img info` shows. Strings belong to the image. */
typedef struct {
  VmmImageFormat format;
  uint64_t       virtual_size;
  uint32_t       cluster_size;   /* 0 for raw */
  uint32_t       version;        /* qcow2 version, 0 for raw */
  uint32_t       refcount_bits;  /* 0 for raw */
  bool           dirty;
  bool           corrupt;
  bool           lazy_refcounts;
  uint32_t       nb_snapshots;
  const char    *backing_file;   /* as stored in the image, or NULL */
  const char    *backing_format; /* from the header extension, or NULL */
} VmmImageInfo;

/* The result of a consistency check (qcow2 only; raw is always clean). */
typedef struct {
  uint64_t corruptions;
  uint64_t leaks;
  uint64_t allocated_clusters;
  uint64_t total_clusters;
} VmmImageCheck;

GQuark          vmm_image_error_quark     (void);
const char     *vmm_image_format_name     (VmmImageFormat format);
/* Parses "raw" / "qcow2"; returns FALSE for anything else. */
bool            vmm_image_format_parse    (const char *name, VmmImageFormat *format);

/* Opens @path, probing the format only when @format is AUTO. The file is
 * locked with an open-file-description lock: shared for @read_only, exclusive
 * otherwise, so a second writer fails with VMM_IMAGE_ERROR_LOCKED. Backing
 * files are opened read-only, resolved against the image's directory. */
VmmImage       *vmm_image_open            (const char *path, VmmImageFormat format,
                                           bool read_only, GError **error);
void            vmm_image_close           (VmmImage *img);

int             vmm_image_read            (VmmImage *img, void *buf, uint64_t offset, size_t len);
int             vmm_image_write           (VmmImage *img, const void *buf, uint64_t offset,
                                           size_t len);
int             vmm_image_flush           (VmmImage *img);
/* The range may read back as zeros or as its old contents afterwards. */
int             vmm_image_discard         (VmmImage *img, uint64_t offset, uint64_t len);
/* The range reads back as zeros afterwards. */
int             vmm_image_write_zeroes    (VmmImage *img, uint64_t offset, uint64_t len);

uint64_t        vmm_image_get_size        (VmmImage *img);
bool            vmm_image_is_read_only    (VmmImage *img);
const char     *vmm_image_get_path        (VmmImage *img);
/* The image file's descriptor, owned by the image (for I/O engines that
 * submit requests themselves). For a raw image the guest's bytes are at
 * the same offsets in it; for qcow2 only vmm_image_read/write know where. */
int             vmm_image_get_fd          (VmmImage *img);
VmmImageFormat  vmm_image_get_format      (VmmImage *img);
/* Where [offset, offset + len) lives in the image file, for I/O engines
 * that move data themselves: returns 1 with *@host_offset when the range
 * is one contiguous run of the file that may be read (and, with @write,
 * written in place) without any metadata change; 0 when the request must
 * go through vmm_image_read/write (unallocated, compressed, zero, shared
 * or scattered clusters); -errno on a metadata error. Raw images map
 * every range to itself. The answer holds only until a write, discard or
 * write-zeroes through this API runs: those may free clusters, so the
 * caller must not have mapped I/O in flight while they do. */
int             vmm_image_map             (VmmImage *img, uint64_t offset, uint64_t len,
                                           bool write, uint64_t *host_offset);

/* An allocating write whose data an I/O engine moves itself, the way
 * vmm_image_map lets it move data on allocated clusters: the image
 * allocates fresh clusters for [@offset, @offset + @len) and raises their
 * refcounts, the engine writes exactly those bytes at @host_offset (one
 * contiguous run of the file; from guest memory, with O_DIRECT where it
 * can; the rest of a cluster written in part reads as zeros, so only
 * clusters that read as zeros before may be written in part), and only
 * once that write has completed does
 * vmm_image_alloc_commit put the new mappings into the write-back L2
 * cache, which reaches the file after an fdatasync (data and refcounts
 * before the entries that use them, as for vmm_image_write). Until the
 * commit the range reads as before, and the clusters are pending: a
 * second allocation or a vmm_image_write, write-zeroes or discard that
 * touches them is refused (0, resp. -EBUSY), so two requests can never
 * allocate the same guest cluster twice; the caller serialises those
 * behind the commit (block-engine.c does). Filled by the image. */
typedef struct _VmmImageAlloc VmmImageAlloc;
struct _VmmImageAlloc {
  uint64_t       offset;
  uint64_t       len;
  uint64_t       host_offset;
  /* The image's. */
  uint64_t       clusters;
  VmmImageAlloc *next;
};

/* Returns 1 when clusters were allocated (then the caller owns @alloc until
 * it calls vmm_image_alloc_commit once, whatever the write's outcome); 0
 * when the range cannot go this way and must go through vmm_image_write
 * (raw images, read-only, a cluster already allocated or pending, a
 * cluster written in part whose old contents are not zeros (a backing
 * file's), clusters that did not come out adjacent in the file);
 * -errno on a metadata error. */
int             vmm_image_alloc           (VmmImage *img, uint64_t offset, uint64_t len,
                                           VmmImageAlloc *alloc);
/* @result is the data write's (0 or -errno). On success the range maps to
 * the new clusters; on failure they are released and the range reads as
 * before. Returns @result, or -errno if the mapping could not be made. */
int             vmm_image_alloc_commit    (VmmImage *img, VmmImageAlloc *alloc, int result);
VmmImage       *vmm_image_get_backing     (VmmImage *img);
void            vmm_image_get_info        (VmmImage *img, VmmImageInfo *info);
/* Verifies the image's metadata; @report (may be NULL) gets one line per
 * problem found. Returns FALSE with @error only if the check could not run. */
bool            vmm_image_check           (VmmImage *img, VmmImageCheck *result,
                                           void (*report) (void *opaque, const char *line),
                                           void *opaque, GError **error);

/* Creates a new qcow2 (version 3) image. @cluster_size 0 means 64 KiB;
 * @backing_file may be NULL, @backing_format NULL means probe it now. */
bool            vmm_image_create_qcow2    (const char *path, uint64_t size, uint32_t cluster_size,
                                           const char *backing_file, const char *backing_format,
                                           GError **error);
bool            vmm_image_create_raw      (const char *path, uint64_t size, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmImage, vmm_image_close)
