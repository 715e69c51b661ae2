/* vireo-firmware-files.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* SeaBIOS and OVMF (4 MiB flash layout: the code, and the template every
 * machine's variable store starts as), as Debian's seabios and ovmf
 * packages lay them out under /usr/share. */
#define VIREO_FIRMWARE_FILES_SEABIOS   "seabios/bios-256k.bin"
#define VIREO_FIRMWARE_FILES_OVMF_CODE "OVMF/OVMF_CODE_4M.fd"
#define VIREO_FIRMWARE_FILES_OVMF_VARS "OVMF/OVMF_VARS_4M.fd"

char     *vireo_firmware_files_find             (const char  *relative);
void      vireo_firmware_files_set_missing      (GError     **error,
                                                 const char  *path);
gboolean  vireo_firmware_files_ensure_uefi_vars (const char  *path,
                                                 GError     **error);

G_END_DECLS
