/* cmdline.h: what the monitor reads from the guest kernel's command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* TRUE when @cmdline tells Linux to reboot by triple fault ("reboot=t",
 * "reboot=triple", also inside a comma-separated reboot= list): a shutdown
 * exit is then the guest rebooting, not crashing. NULL gives FALSE. */
gboolean vmm_cmdline_reboots_by_triple_fault (const char *cmdline);
