/* fuzz-xhci.c: libFuzzer target for the xHCI controller. The input is a
 * program of guest actions: fill guest RAM (where the command ring,
 * contexts, transfer rings and event ring live), write and read registers,
 * ring doorbells, inject input. The controller starts from the state a
 * driver would leave it in, so that the fuzzer reaches commands and
 * transfers quickly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci.h"
#include "usb/usb-hid.h"

#include <errno.h>
#include <string.h>

#define RAM_SIZE  0x10000
#define DCBAA     0x1000
#define CMD_RING  0x2000
#define ERST      0x3000
#define EV_RING   0x4000
#define OP        0x40
#define RT        0x1000
#define DB        0x2000

static void fake_set_irq (void *o, unsigned gsi, gboolean level) { }
static void fake_signal_msi (void *o, uint64_t addr, uint32_t data) { }
static int fake_msi_route (void *o, int gsi, uint64_t addr, uint32_t data) { return -ENOSYS; }

static const VmmPlatformOps fake_ops = {
  .set_irq = fake_set_irq,
  .signal_msi = fake_signal_msi,
  .msi_route = fake_msi_route,
};

static void
wr (VmmPciDevice *pci, uint64_t off, uint32_t v)
{
  uint8_t b[4];

  vmm_le_put (b, 4, v);
  pci->bar_ops[0]->write (pci->bar_opaque[0], off, b, 4);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static uint8_t ram[RAM_SIZE];
  VmmPlatform platform = { .ops = &fake_ops };
  VmmXhci *x = NULL;
  VmmPciDevice *pci;
  VmmUsbHid *tablet = vmm_usb_tablet_new ();
  VmmUsbHid *kbd = vmm_usb_keyboard_new ();
  size_t i = 0;

  memset (ram, 0, sizeof ram);
  vmm_guest_mem_init (&platform.mem);
  vmm_guest_mem_add (&platform.mem, 0, RAM_SIZE, ram);
  pci = vmm_xhci_new (&platform, &x, NULL);
  pci->intx_gsi = 16;
  vmm_xhci_attach (x, 1, vmm_usb_hid_device (tablet));
  vmm_xhci_attach (x, 2, vmm_usb_hid_device (kbd));

  vmm_le_put (ram + ERST, 8, EV_RING);
  vmm_le_put (ram + ERST + 8, 4, 64);
  wr (pci, OP + 0x38, 32);
  wr (pci, OP + 0x30, DCBAA);
  wr (pci, OP + 0x18, CMD_RING | 1);
  wr (pci, RT + 0x28, 1);
  wr (pci, RT + 0x38, EV_RING);
  wr (pci, RT + 0x30, ERST);
  wr (pci, RT + 0x20, 2);
  wr (pci, OP + 0x00, 5);
  wr (pci, OP + 0x400, (1u << 9) | (1u << 4));
  wr (pci, OP + 0x410, (1u << 9) | (1u << 4));

  while (i < size)
    {
      uint8_t op = data[i++];

      switch (op & 7)
        {
        case 0:                     /* fill RAM: offset (2), length (1), bytes */
          if (i + 3 <= size)
            {
              size_t off = (size_t) (data[i] | data[i + 1] << 8);
              size_t len = MIN ((size_t) data[i + 2], size - i - 3);
              len = MIN (len, RAM_SIZE - off);
              memcpy (ram + off, data + i + 3, len);
              i += 3 + len;
            }
          else
            i = size;
          break;
        case 1:                     /* register write: offset (2), value (4) */
        case 2:                     /* register read: offset (2) */
          if (i + 6 <= size)
            {
              uint64_t off = (uint64_t) (data[i] | data[i + 1] << 8) & 0x3fff;
              uint8_t b[8];
              unsigned len = 1u << (op >> 6);
              if ((op & 7) == 1)
                {
                  memset (b, 0, sizeof b);
                  memcpy (b, data + i + 2, 4);
                  pci->bar_ops[0]->write (pci->bar_opaque[0], off, b, len);
                }
              else
                pci->bar_ops[0]->read (pci->bar_opaque[0], off, b, len);
            }
          i += 6;
          break;
        case 3:                     /* doorbell: slot (1), target (1) */
          if (i + 2 <= size)
            wr (pci, DB + 4ULL * (data[i] % 40), data[i + 1]);
          i += 2;
          break;
        case 4:                     /* key */
          if (i + 2 <= size)
            vmm_usb_kbd_key (kbd, (uint16_t) (data[i] | (data[i + 1] & 0x80 ? 0xe000 : 0)),
                             (data[i + 1] & 1) != 0);
          i += 2;
          break;
        case 5:                     /* tablet */
          if (i + 4 <= size)
            vmm_usb_tablet_event (tablet, (uint32_t) (data[i] << 8), (uint32_t) (data[i + 1] << 8),
                                  data[i + 2], (int8_t) data[i + 3], 0);
          i += 4;
          break;
        case 6:                     /* acknowledge events: ERDP anywhere */
          if (i + 2 <= size)
            wr (pci, RT + 0x38, (uint32_t) (EV_RING + 16 * (data[i] % 64)) | 8);
          i += 2;
          break;
        default:                    /* machine reset */
          pci->ops->reset (pci, pci->opaque);
          break;
        }
    }

  vmm_pci_device_free (pci);
  vmm_usb_hid_free (tablet);
  vmm_usb_hid_free (kbd);
  return 0;
}
