/* debugcon.h: the firmware debug console, a write-only byte port (0x402
 * on QEMU's PC) where SeaBIOS and OVMF print their debug log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"

#include <stddef.h>
#include <stdint.h>

#define VMM_DEBUGCON_PORT 0x402
/* What a read returns when there is a sink: firmware probes for the port
 * this way (without a sink it reads 0xff, as an empty port). */
#define VMM_DEBUGCON_READBACK 0xe9

typedef void (*VmmDebugconFn) (void *opaque, const uint8_t *data, size_t len);

typedef struct _VmmDebugcon VmmDebugcon;

/* Bytes written to the port go to @out (NULL: dropped), one call per
 * guest access. */
VmmDebugcon *vmm_debugcon_new      (VmmDebugconFn out, void *opaque);
void         vmm_debugcon_free     (VmmDebugcon *d);
int          vmm_debugcon_register (VmmDebugcon *d, VmmBus *pio, uint16_t port);
