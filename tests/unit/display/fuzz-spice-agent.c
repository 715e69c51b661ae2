/* fuzz-spice-agent.c: the monitor's stand-in agent fed any byte stream a
 * viewer could get spice-server to forward, in pieces of any size.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/spice-private.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  VmmSpiceAgent agent;
  const SpiceCharDeviceInterface *sif;
  uint8_t out[512];
  size_t pos = 0;

  vmm_spice_agent_init (&agent);
  sif = (const SpiceCharDeviceInterface *) agent.sin.base.sif;
  /* The first byte of each piece says how long the piece is. */
  while (pos < size) {
    size_t n = MIN ((size_t) data[pos] + 1, size - pos - 1);

    pos++;
    if (sif->write (&agent.sin, data + pos, (int) n) != (int) n)
      __builtin_trap ();
    pos += n;
    while (sif->read (&agent.sin, out, sizeof out) > 0)
      ;
  }
  vmm_spice_agent_clear (&agent);
  return 0;
}
