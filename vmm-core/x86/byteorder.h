/* byteorder.h: little-endian loads and stores on unaligned byte buffers,
 * for the guest-visible structures (zero page, ACPI tables) that are
 * little-endian whatever the host.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>

static inline uint16_t
vmm_le16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static inline uint32_t
vmm_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static inline uint64_t
vmm_le64 (const uint8_t *p)
{
  return (uint64_t) vmm_le32 (p) | ((uint64_t) vmm_le32 (p + 4) << 32);
}

static inline void
vmm_put_le16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
vmm_put_le32 (uint8_t *p, uint32_t v)
{
  vmm_put_le16 (p, (uint16_t) v);
  vmm_put_le16 (p + 2, (uint16_t) (v >> 16));
}

static inline void
vmm_put_le64 (uint8_t *p, uint64_t v)
{
  vmm_put_le32 (p, (uint32_t) v);
  vmm_put_le32 (p + 4, (uint32_t) (v >> 32));
}
