/* fuzz-i8042.c: libFuzzer target for the PS/2 controller, its keyboard and
 * its mouse: the input is a stream of guest accesses to ports 0x60/0x64
 * mixed with keys and mouse motion from the viewer. fuzz-devices.c spreads
 * its accesses over every legacy port; this one stays on the controller,
 * so that the mouse's command sequences (knocks, arguments, wrap mode) are
 * reached.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/i8042.h"

#include <string.h>

static void irq_set (void *opaque, unsigned gsi, gboolean level) { }
static void on_reset (void *opaque) { }

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  VmmIrqLine kbd = { irq_set, NULL, 1 }, aux = { irq_set, NULL, 12 };
  VmmBus *pio = vmm_bus_new ("pio");
  VmmI8042 *kbc = vmm_i8042_new (&kbd, &aux, on_reset, NULL);

  vmm_i8042_register (kbc, pio);
  /* Each step: an op byte and a value byte. */
  while (size >= 2)
    {
      uint8_t op = data[0], v = data[1];
      uint8_t buf[4];

      switch (op & 7)
        {
        case 0:
          vmm_bus_write (pio, 0x60, &v, 1);
          break;
        case 1:
          vmm_bus_write (pio, 0x64, &v, 1);
          break;
        case 2:
          /* To the mouse, the way drivers send it. */
          buf[0] = 0xd4;
          vmm_bus_write (pio, 0x64, buf, 1);
          vmm_bus_write (pio, 0x60, &v, 1);
          break;
        case 3:
          vmm_bus_read (pio, 0x60, buf, 1 + (v & 3));
          break;
        case 4:
          vmm_bus_read (pio, 0x64, buf, 1);
          break;
        case 5:
          /* Motion: small or huge, either sign, by the op's high bits. */
          {
            int32_t scale = (op & 0x80) ? 1 << 20 : 1;
            vmm_i8042_mouse_event (kbc, (int8_t) v * scale, (int8_t) (v * 7) * scale,
                                   (op >> 3) & 1 ? (int8_t) v : 0, op >> 3);
          }
          break;
        case 6:
          vmm_i8042_key (kbc, (op & 0x80) ? (uint16_t) (0xe000 | v) : v, (op & 0x40) != 0);
          break;
        default:
          if (v == 0)
            vmm_i8042_reset (kbc);
          break;
        }
      data += 2;
      size -= 2;
    }

  vmm_i8042_free (kbc);
  vmm_bus_free (pio);
  return 0;
}
