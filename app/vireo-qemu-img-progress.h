/* vireo-qemu-img-progress.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A longer record keeps its newest bytes, where a report would be. */
#define VIREO_QEMU_IMG_PROGRESS_RECORD_MAX 64

typedef struct {
  char     record[VIREO_QEMU_IMG_PROGRESS_RECORD_MAX];
  gsize    len;
  /* Hundredths of a percent, 0 to 10000: the largest value seen. */
  guint    value;
} VireoQemuImgProgress;

void      vireo_qemu_img_progress_init          (VireoQemuImgProgress *self);
gboolean  vireo_qemu_img_progress_feed          (VireoQemuImgProgress *self,
                                                 const char           *data,
                                                 gsize                 len);
gboolean  vireo_qemu_img_progress_finish        (VireoQemuImgProgress *self);
double    vireo_qemu_img_progress_get_fraction  (const VireoQemuImgProgress *self);
gboolean  vireo_qemu_img_parse_progress         (const char           *record,
                                                 gsize                 len,
                                                 guint                *value);

G_END_DECLS
