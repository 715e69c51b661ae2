/* fuzz-qemu-img-progress.c
 *
 * libFuzzer target for what Vireo reads from files and programs before a
 * disk image is converted: qemu-img's progress output
 * (vireo-qemu-img-progress.c), fed in pieces of the sizes the input's
 * first byte picks, as a pipe would hand them over, and the header
 * format detection and the VMDK descriptor check (vireo-image-format.c)
 * on the same bytes. Beyond "no
 * crash": the progress stays between 0 and 1 and never goes back, and a
 * record the parser accepts is a value it can stand behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vireo-image-format.h"
#include "vireo-qemu-img-progress.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  VireoQemuImgProgress progress;
  VireoImageFormat format;
  double last = 0.0;
  gsize chunk;
  guint value;

  format = vireo_image_format_detect (data, size);
  if (format > VIREO_IMAGE_FORMAT_VHD)
    abort ();

  if (vireo_qemu_img_parse_progress ((const char *) data, size, &value) && value > 10000)
    abort ();

  /* A refusal always says why. */
  {
    GError *error = NULL;

    if (!vireo_vmdk_descriptor_check ((const char *) data, size, &error) &&
        (error == NULL || error->message == NULL))
      abort ();
    g_clear_error (&error);
  }

  if (size == 0)
    return 0;
  chunk = 1 + data[0] % 17;
  data++;
  size--;

  vireo_qemu_img_progress_init (&progress);
  for (gsize at = 0; at < size; at += chunk)
    {
      gsize n = MIN (chunk, size - at);
      gboolean advanced = vireo_qemu_img_progress_feed (&progress, (const char *) data + at, n);
      double fraction = vireo_qemu_img_progress_get_fraction (&progress);

      if (fraction < last || fraction > 1.0 || advanced != (fraction > last))
        abort ();
      last = fraction;
    }
  vireo_qemu_img_progress_finish (&progress);
  if (vireo_qemu_img_progress_get_fraction (&progress) < last ||
      vireo_qemu_img_progress_get_fraction (&progress) > 1.0)
    abort ();

  return 0;
}
