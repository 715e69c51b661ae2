/* test-xhci.c: the xHCI controller and the HID devices behind it, driven by
 * the test driver: enumeration, reports, and what a hostile guest can do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "xhci-test-driver.h"
#include "usb/usb-hid.h"

#include <errno.h>
#include <string.h>

#define CC_SUCCESS 1
#define CC_TRB_ERROR 5
#define CC_STALL 6
#define CC_SLOT_NOT_ENABLED 11
#define CC_SHORT 13
#define CC_CONTEXT_STATE 19
#define CC_PARAMETER 17
#define CC_RING_FULL 21
#define CC_STOPPED_LENGTH_INVALID 27

typedef struct {
  Xtd *xtd;
  VmmUsbHid *tablet;
  VmmUsbHid *kbd;
  uint32_t leds;
  int leds_calls;
} Fixture;

static void
on_leds (void *opaque, uint32_t leds)
{
  Fixture *f = opaque;

  f->leds = leds;
  f->leds_calls++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->xtd = xtd_new ();
  f->tablet = vmm_usb_tablet_new ();
  f->kbd = vmm_usb_keyboard_new ();
  vmm_usb_kbd_set_leds_func (f->kbd, on_leds, f);
  g_assert_cmpint (vmm_xhci_attach (xtd_xhci (f->xtd), 1, vmm_usb_hid_device (f->tablet)), ==, 0);
  g_assert_cmpint (vmm_xhci_attach (xtd_xhci (f->xtd), 2, vmm_usb_hid_device (f->kbd)), ==, 0);
  xtd_start (f->xtd);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtd_free (f->xtd);
  vmm_usb_hid_free (f->tablet);
  vmm_usb_hid_free (f->kbd);
}

static unsigned
trb_count_events (Xtd *xtd)
{
  XtdTrb ev;
  unsigned n = 0;

  while (xtd_event (xtd, &ev))
    n++;
  return n;
}

/* Addresses and configures the device on @port as a HID driver would. */
static unsigned
enumerate (Fixture *f, unsigned port, uint8_t *report_desc, unsigned *report_len)
{
  uint8_t buf[256];
  unsigned actual, slot = xtd_address (f->xtd, port);
  unsigned rlen;

  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0100, 0, 18, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, 18);
  g_assert_cmpuint (buf[0], ==, 18);
  g_assert_cmpuint (buf[1], ==, 1);
  g_assert_cmpuint (buf[2] | buf[3] << 8, ==, 0x0200);
  g_assert_cmpuint (buf[7], ==, 64);
  g_assert_cmpuint (buf[17], ==, 1);

  /* The configuration header, then all of it. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0200, 0, 9, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, 9);
  g_assert_cmpuint (buf[2] | buf[3] << 8, ==, 34);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0200, 0, 255, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, 34);
  g_assert_cmpuint (buf[9 + 1], ==, 4);        /* interface */
  g_assert_cmpuint (buf[9 + 5], ==, 3);        /* HID class */
  g_assert_cmpuint (buf[18 + 1], ==, 0x21);    /* HID descriptor */
  rlen = buf[18 + 7] | buf[18 + 8] << 8;
  g_assert_cmpuint (buf[27 + 1], ==, 5);       /* endpoint */
  g_assert_cmpuint (buf[27 + 2], ==, 0x81);    /* EP 1 IN */
  g_assert_cmpuint (buf[27 + 3], ==, 3);       /* interrupt */

  /* A string: the language list, then the product. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0300, 0, 255, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, 4);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0302, 0x409, 255, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (buf[1], ==, 3);
  g_assert_cmpuint (actual, ==, buf[0]);
  g_assert_cmpuint (buf[2], ==, 'V');

  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x81, 6, 0x2200, 0, (uint16_t) rlen, report_desc, &actual),
                    ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, rlen);
  *report_len = rlen;

  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x00, 9, 1, 0, 0, NULL, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 8, 0, 0, 1, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (buf[0], ==, 1);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x21, 0x0a, 0, 0, 0, NULL, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_configure_int_in (f->xtd, slot, 16), ==, CC_SUCCESS);
  {
    uint32_t *out = xtd_ptr (f->xtd, xtd_dev_ctx (f->xtd, slot));
    g_assert_cmpuint (GUINT32_FROM_LE (out[3]) >> 27, ==, 3);     /* configured */
    g_assert_cmpuint (GUINT32_FROM_LE (out[8 * 3]) & 7, ==, 1);   /* DCI 3 running */
  }
  return slot;
}

/* Waits for one interrupt IN completion on @slot and copies the report. */
static unsigned
take_report (Fixture *f, uint64_t buf, unsigned len, uint8_t *out)
{
  XtdTrb ev;
  unsigned n;

  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 32);
  g_assert_cmpuint ((ev.control >> 16) & 0x1f, ==, 3);
  g_assert_true (XTD_CC (&ev) == CC_SUCCESS || XTD_CC (&ev) == CC_SHORT);
  n = len - (ev.status & 0xffffff);
  memcpy (out, xtd_ptr (f->xtd, buf), n);
  return n;
}

static void
test_registers (Fixture *f, gconstpointer data)
{
  VmmPciDevice *pci = xtd_pci (f->xtd);
  uint32_t hcs1 = xtd_read (f->xtd, 4), hcc1 = xtd_read (f->xtd, 0x10), xecp;
  uint8_t b;

  g_assert_cmphex (pci->cfg[0] | pci->cfg[1] << 8, ==, 0x1b36);
  g_assert_cmphex (pci->cfg[2] | pci->cfg[3] << 8, ==, 0x000d);
  g_assert_cmphex (pci->cfg[9] | pci->cfg[10] << 8 | pci->cfg[11] << 16, ==, 0x0c0330);
  g_assert_cmphex (pci->cfg[0x60], ==, 0x30);
  g_assert_cmphex (xtd_read (f->xtd, 0) >> 16, ==, 0x0100);
  pci->bar_ops[0]->read (pci->bar_opaque[0], 0, &b, 1);
  g_assert_cmpuint (b, ==, xtd_read (f->xtd, 0) & 0xff);
  g_assert_cmpuint (hcs1 >> 24, ==, VMM_XHCI_USB2_PORTS + VMM_XHCI_USB3_PORTS);
  g_assert_cmpuint (hcs1 & 0xff, >=, 1);
  g_assert_true (hcc1 & 1);                                /* 64-bit */
  /* Walk the extended capabilities: one USB 2 and one USB 3 protocol. */
  xecp = (hcc1 >> 16) * 4;
  {
    unsigned seen2 = 0, seen3 = 0;
    for (unsigned n = 0; xecp != 0 && n < 16; n++)
      {
        uint32_t cap = xtd_read (f->xtd, xecp);
        if ((cap & 0xff) == 2)
          {
            uint32_t ports = xtd_read (f->xtd, xecp + 8);
            g_assert_cmphex (xtd_read (f->xtd, xecp + 4), ==, 0x20425355);
            if (cap >> 24 == 2)
              seen2 = (ports & 0xff) | ((ports >> 8) & 0xff) << 8;
            else if (cap >> 24 == 3)
              seen3 = (ports & 0xff) | ((ports >> 8) & 0xff) << 8;
          }
        xecp = ((cap >> 8) & 0xff) ? xecp + ((cap >> 8) & 0xff) * 4 : 0;
      }
    g_assert_cmphex (seen2, ==, 1 | VMM_XHCI_USB2_PORTS << 8);
    g_assert_cmphex (seen3, ==, (VMM_XHCI_USB2_PORTS + 1) | VMM_XHCI_USB3_PORTS << 8);
  }
  /* Ports: the two devices are connected at full speed, the rest empty. */
  for (unsigned p = 1; p <= VMM_XHCI_USB2_PORTS + VMM_XHCI_USB3_PORTS; p++)
    {
      uint32_t sc = xtd_op_read (f->xtd, 0x400 + 0x10 * (p - 1));
      g_assert_true (sc & (1u << 9));
      g_assert_cmpuint (sc & 1, ==, p <= 2 ? 1 : 0);
      if (p <= 2)
        g_assert_cmpuint ((sc >> 10) & 0xf, ==, 1);
    }
  g_assert_cmpint (vmm_xhci_attach (xtd_xhci (f->xtd), 1, vmm_usb_hid_device (f->kbd)), ==, -EBUSY);
  g_assert_cmpint (vmm_xhci_attach (xtd_xhci (f->xtd), VMM_XHCI_USB2_PORTS + 1,
                                    vmm_usb_hid_device (f->kbd)), ==, -EINVAL);
  g_assert_cmpuint (xtd_command (f->xtd, 0, 23u << 10, NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_command (f->xtd, 0, 63u << 10, NULL), ==, CC_TRB_ERROR);
}

/* A minimal HID report descriptor walker: input and output bits per report
 * ID, and balanced collections. */
typedef struct {
  unsigned in_bits[4];
  unsigned out_bits[4];
  gboolean has_ids;
} DescInfo;

static void
parse_report_desc (const uint8_t *d, unsigned len, DescInfo *info)
{
  unsigned size = 0, count = 0, id = 0, depth = 0;

  memset (info, 0, sizeof *info);
  for (unsigned i = 0; i < len;)
    {
      uint8_t item = d[i];
      unsigned n = (item & 3) == 3 ? 4 : item & 3;
      uint32_t v = 0;

      g_assert_cmpuint (i + 1 + n, <=, len);
      for (unsigned k = 0; k < n; k++)
        v |= (uint32_t) d[i + 1 + k] << (8 * k);
      switch (item & 0xfc)
        {
        case 0x74: size = v; break;
        case 0x94: count = v; break;
        case 0x84:
          g_assert_cmpuint (v, <, 4);
          id = v;
          info->has_ids = TRUE;
          break;
        case 0x80: info->in_bits[id] += size * count; break;
        case 0x90: info->out_bits[id] += size * count; break;
        case 0xa0: depth++; break;
        case 0xc0:
          g_assert_cmpuint (depth, >, 0);
          depth--;
          break;
        default: break;
        }
      i += 1 + n;
    }
  g_assert_cmpuint (depth, ==, 0);
}

static void
test_tablet (Fixture *f, gconstpointer data)
{
  uint8_t desc[256], r[16];
  unsigned dlen, slot, n;
  uint64_t buf;
  DescInfo info;

  g_assert_false (vmm_usb_hid_configured (f->tablet));
  slot = enumerate (f, 1, desc, &dlen);
  g_assert_true (vmm_usb_hid_configured (f->tablet));
  parse_report_desc (desc, dlen, &info);
  g_assert_false (info.has_ids);
  g_assert_cmpuint (info.in_bits[0], ==, 7 * 8);

  /* Nothing to report yet: the TD waits. */
  buf = xtd_queue_int_in (f->xtd, slot, 8);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  vmm_usb_tablet_event (f->tablet, 0x1234, 0x7fff, VMM_USB_BUTTON_LEFT | VMM_USB_BUTTON_EXTRA, 1, -2);
  n = take_report (f, buf, 8, r);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmphex (r[0], ==, 0x11);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 0x1234);
  g_assert_cmphex (r[3] | r[4] << 8, ==, 0x7fff);
  g_assert_cmpint ((int8_t) r[5], ==, 1);
  g_assert_cmpint ((int8_t) r[6], ==, -2);

  /* Queued before the TD: delivered when the driver rings. Clamping. */
  vmm_usb_tablet_event (f->tablet, 0x9000, 5, 0, 1000, 0);
  buf = xtd_queue_int_in (f->xtd, slot, 8);
  n = take_report (f, buf, 8, r);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 0x7fff);
  g_assert_cmphex (r[3] | r[4] << 8, ==, 5);
  g_assert_cmpint ((int8_t) r[5], ==, 127);

  /* A cancelled TD turned into chained No-Ops is skipped with its events;
   * the next TD gets the next report. */
  {
    XtdRing *ir = xtd_int_ring (f->xtd, slot);
    XtdTrb ev;
    uint64_t noop = xtd_ring_put (f->xtd, ir, 0, 0, (8u << 10) | (1u << 4));
    xtd_ring_put (f->xtd, ir, 0, 0, (8u << 10) | (1u << 5));
    xtd_doorbell (f->xtd, slot, 3);
    g_assert_true (xtd_event (f->xtd, &ev));
    g_assert_cmpuint (XTD_CC (&ev), ==, CC_SUCCESS);
    g_assert_cmphex (ev.param, ==, noop + 16);
    g_assert_false (xtd_event (f->xtd, &ev));
    vmm_usb_tablet_event (f->tablet, 3, 4, 0, 0, 0);
    buf = xtd_queue_int_in (f->xtd, slot, 8);
    n = take_report (f, buf, 8, r);
    g_assert_cmphex (r[1] | r[2] << 8, ==, 3);
  }

  /* GET_REPORT gives the current state without the wheels. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0xa1, 1, 0x0100, 0, 16, r, &n), ==, CC_SUCCESS);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 3);
  g_assert_cmpuint (r[5], ==, 0);
}

static void
test_keyboard (Fixture *f, gconstpointer data)
{
  uint8_t desc[256], r[16], one;
  unsigned dlen, slot, n;
  uint64_t buf;
  DescInfo info;
  static const uint8_t a_down[9] = { 1, 0, 0, 0x04, 0, 0, 0, 0, 0 };

  slot = enumerate (f, 2, desc, &dlen);
  parse_report_desc (desc, dlen, &info);
  g_assert_true (info.has_ids);
  g_assert_cmpuint (info.in_bits[1], ==, 64);
  g_assert_cmpuint (info.out_bits[1], ==, 8);
  g_assert_cmpuint (info.in_bits[2], ==, 16);
  g_assert_cmpuint (info.in_bits[3], ==, 8);

  /* Report protocol (the default): report ID 1 in front. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0xa1, 3, 0, 0, 1, &one, &n), ==, CC_SUCCESS);
  g_assert_cmpuint (one, ==, 1);
  vmm_usb_kbd_key (f->kbd, 0x1e, TRUE);
  vmm_usb_kbd_key (f->kbd, 0x1e, TRUE);                       /* typematic: no report */
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  n = take_report (f, buf, 16, r);
  g_assert_cmpmem (r, n, a_down, sizeof a_down);
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  vmm_usb_kbd_key (f->kbd, 0xe038, TRUE);                      /* AltGr */
  n = take_report (f, buf, 16, r);
  g_assert_cmpuint (n, ==, 9);
  g_assert_cmphex (r[1], ==, 0x40);
  g_assert_cmphex (r[3], ==, 0x04);
  vmm_usb_kbd_key (f->kbd, 0x1e, FALSE);
  vmm_usb_kbd_key (f->kbd, 0xe038, FALSE);
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  n = take_report (f, buf, 16, r);
  g_assert_cmphex (r[1], ==, 0x40);
  g_assert_cmphex (r[3], ==, 0);
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  n = take_report (f, buf, 16, r);
  g_assert_cmphex (r[1], ==, 0);

  /* Multimedia: Volume Up on the consumer report. */
  vmm_usb_kbd_key (f->kbd, 0xe030, TRUE);
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  n = take_report (f, buf, 16, r);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmphex (r[0], ==, 2);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 0xe9);
  vmm_usb_kbd_key (f->kbd, 0xe030, FALSE);
  buf = xtd_queue_int_in (f->xtd, slot, 16);
  n = take_report (f, buf, 16, r);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 0);

  /* LEDs: SET_REPORT (output, ID 1) reaches the callback. */
  {
    uint8_t out[2] = { 1, VMM_USB_LED_CAPS_LOCK | VMM_USB_LED_NUM_LOCK };
    g_assert_cmpuint (xtd_control (f->xtd, slot, 0x21, 9, 0x0201, 0, 2, out, &n), ==, CC_SUCCESS);
    g_assert_cmpuint (f->leds, ==, VMM_USB_LED_CAPS_LOCK | VMM_USB_LED_NUM_LOCK);
    g_assert_cmpuint (f->leds_calls, ==, 1);
    g_assert_cmpuint (vmm_usb_kbd_leds (f->kbd), ==, f->leds);
  }

  /* Boot protocol: 8 bytes, no ID; multimedia keys are not reported. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x21, 0x0b, 0, 0, 0, NULL, &n), ==, CC_SUCCESS);
  vmm_usb_kbd_key (f->kbd, 0xe020, TRUE);
  vmm_usb_kbd_key (f->kbd, 0x2a, TRUE);
  buf = xtd_queue_int_in (f->xtd, slot, 8);
  n = take_report (f, buf, 8, r);
  g_assert_cmpuint (n, ==, 8);
  g_assert_cmphex (r[0], ==, 0x02);
  {
    uint8_t led = VMM_USB_LED_SCROLL_LOCK;
    g_assert_cmpuint (xtd_control (f->xtd, slot, 0x21, 9, 0x0200, 0, 1, &led, &n), ==, CC_SUCCESS);
    g_assert_cmpuint (f->leds, ==, VMM_USB_LED_SCROLL_LOCK);
  }

  /* Seven keys at once: ErrorRollOver in every slot, then back. */
  for (unsigned k = 0; k < 7; k++)
    vmm_usb_kbd_key (f->kbd, (uint16_t) (0x10 + k), TRUE);
  for (unsigned k = 0; k < 7; k++)
    {
      buf = xtd_queue_int_in (f->xtd, slot, 8);
      take_report (f, buf, 8, r);
    }
  g_assert_cmphex (r[2], ==, 0x01);
  g_assert_cmphex (r[7], ==, 0x01);
  vmm_usb_kbd_key (f->kbd, 0x16, FALSE);
  buf = xtd_queue_int_in (f->xtd, slot, 8);
  take_report (f, buf, 8, r);
  g_assert_cmphex (r[2], ==, 0x14);
  g_assert_cmphex (r[7], ==, 0x1c);
}

static void
test_stall_and_recovery (Fixture *f, gconstpointer data)
{
  uint8_t desc[256], buf[18];
  unsigned dlen, n, slot = enumerate (f, 1, desc, &dlen);
  uint32_t *out = xtd_ptr (f->xtd, xtd_dev_ctx (f->xtd, slot));
  XtdRing *ep0 = xtd_ep0_ring (f->xtd, slot);
  uint64_t deq;

  /* An unknown request stalls and halts endpoint 0. */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0xc0, 0x77, 0, 0, 4, buf, &n), ==, CC_STALL);
  g_assert_cmpuint (GUINT32_FROM_LE (out[8]) & 7, ==, 2);
  /* A doorbell on a halted endpoint does nothing. */
  xtd_doorbell (f->xtd, slot, 1);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (15u << 10) | (1u << 16) | (slot << 24), NULL),
                    ==, CC_CONTEXT_STATE);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (14u << 10) | (1u << 16) | (slot << 24), NULL),
                    ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (out[8]) & 7, ==, 3);
  /* Skip the failed TD: dequeue to where the driver will write next. */
  deq = ep0->base + 16ULL * ep0->enq;
  g_assert_cmpuint (xtd_command (f->xtd, deq | (ep0->pcs ? 1 : 0),
                                 (16u << 10) | (1u << 16) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmphex (GUINT32_FROM_LE (out[8 + 2]) & ~0xfu, ==, (uint32_t) deq);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0100, 0, 18, buf, &n), ==, CC_SUCCESS);
  g_assert_cmpuint (n, ==, 18);

  /* Stop, then restart by doorbell. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, (15u << 10) | (3u << 16) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (out[8 * 3]) & 7, ==, 3);
  vmm_usb_tablet_event (f->tablet, 1, 2, 0, 0, 0);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  xtd_queue_int_in (f->xtd, slot, 8);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 1);

  /* Evaluate Context: a new EP0 packet size lands in the output context. */
  {
    uint64_t in = xtd_alloc (f->xtd, 33 * 32, 64);
    uint32_t *c = xtd_ptr (f->xtd, in);
    c[1] = GUINT32_TO_LE (2);
    c[16 + 1] = GUINT32_TO_LE ((32u << 16) | (4u << 3));
    g_assert_cmpuint (xtd_command (f->xtd, in, (13u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
    g_assert_cmpuint (GUINT32_FROM_LE (out[8 + 1]) >> 16, ==, 32);
  }

  /* Deconfigure, reset the device, disable the slot. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, (12u << 10) | (1u << 9) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (out[3]) >> 27, ==, 2);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (17u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (out[3]) >> 27, ==, 1);
  g_assert_false (vmm_usb_hid_configured (f->tablet));
  g_assert_cmpuint (xtd_command (f->xtd, 0, (10u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (10u << 10) | (slot << 24), NULL), ==, CC_SLOT_NOT_ENABLED);
}

static void
test_bad_slots (Fixture *f, gconstpointer data)
{
  unsigned slot = 0;
  static const unsigned bad[] = { 0, 5, 32, 33, 200, 255 };

  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_cmpuint (xtd_command (f->xtd, 0x1000, (11u << 10) | (bad[i] << 24), NULL),
                        ==, CC_SLOT_NOT_ENABLED);
      g_assert_cmpuint (xtd_command (f->xtd, 0, (15u << 10) | (1u << 16) | (bad[i] << 24), NULL),
                        ==, CC_SLOT_NOT_ENABLED);
      xtd_doorbell (f->xtd, bad[i], 1);
    }
  /* Doorbells beyond the slots and with bad targets are ignored. */
  xtd_doorbell (f->xtd, 200, 1);
  xtd_doorbell (f->xtd, 1, 0);
  xtd_doorbell (f->xtd, 1, 77);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  /* A slot that exists but was never addressed. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, 9u << 10, &slot), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (14u << 10) | (1u << 16) | (slot << 24), NULL),
                    ==, CC_TRB_ERROR);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (12u << 10) | (slot << 24), NULL), ==, CC_CONTEXT_STATE);
  xtd_doorbell (f->xtd, slot, 1);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);   /* no HSE/HCE, running */
}

static void
test_bad_contexts (Fixture *f, gconstpointer data)
{
  unsigned slot = 0;
  uint64_t in = xtd_alloc (f->xtd, 33 * 32, 64);
  uint32_t *c = xtd_ptr (f->xtd, in);
  uint64_t *dcbaa = xtd_ptr (f->xtd, xtd_dcbaa (f->xtd));

  xtd_port_reset (f->xtd, 1);
  g_assert_cmpuint (xtd_command (f->xtd, 0, 9u << 10, &slot), ==, CC_SUCCESS);
  c[1] = GUINT32_TO_LE (3);
  c[8] = GUINT32_TO_LE (1u << 27);
  c[9] = GUINT32_TO_LE (1u << 16);
  c[16 + 1] = GUINT32_TO_LE ((64u << 16) | (4u << 3));
  c[16 + 2] = GUINT32_TO_LE (0x8001);

  /* Input context outside RAM, straddling its end, and at the top of the
   * address space. */
  g_assert_cmpuint (xtd_command (f->xtd, 0xfff00000, (11u << 10) | (slot << 24), NULL), ==, CC_TRB_ERROR);
  g_assert_cmpuint (xtd_command (f->xtd, XTD_RAM_SIZE - 48, (11u << 10) | (slot << 24), NULL),
                    ==, CC_TRB_ERROR);
  g_assert_cmpuint (xtd_command (f->xtd, ~0xfULL, (11u << 10) | (slot << 24), NULL), ==, CC_TRB_ERROR);
  /* No output context, then one outside RAM, then one crossing its end. */
  dcbaa[slot] = 0;
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_TRB_ERROR);
  dcbaa[slot] = GUINT64_TO_LE (0x7fff0000000ULL);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_TRB_ERROR);
  dcbaa[slot] = GUINT64_TO_LE (XTD_RAM_SIZE - 512);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_TRB_ERROR);
  dcbaa[slot] = GUINT64_TO_LE (xtd_alloc (f->xtd, 1024, 64));
  /* A port that does not exist or has no device. */
  c[9] = GUINT32_TO_LE (9u << 16);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), !=, CC_SUCCESS);
  c[9] = GUINT32_TO_LE (3u << 16);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), !=, CC_SUCCESS);
  /* Wrong add flags, an EP0 that is not a control endpoint, no ring. */
  c[9] = GUINT32_TO_LE (1u << 16);
  c[1] = GUINT32_TO_LE (7);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), !=, CC_SUCCESS);
  c[1] = GUINT32_TO_LE (3);
  c[16 + 1] = GUINT32_TO_LE ((64u << 16) | (7u << 3));
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), !=, CC_SUCCESS);
  c[16 + 1] = GUINT32_TO_LE ((64u << 16) | (4u << 3));
  c[16 + 2] = 0;
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), !=, CC_SUCCESS);
  /* And finally right. */
  c[16 + 2] = GUINT32_TO_LE (0x8001);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_CONTEXT_STATE);
  /* Configure Endpoint with a slot context, then an endpoint context,
   * outside RAM. */
  g_assert_cmpuint (xtd_command (f->xtd, XTD_RAM_SIZE - 32, (12u << 10) | (slot << 24), NULL),
                    ==, CC_TRB_ERROR);
  vmm_le_put (xtd_ptr (f->xtd, XTD_RAM_SIZE - 64 + 4), 4, 1u << 3);
  g_assert_cmpuint (xtd_command (f->xtd, XTD_RAM_SIZE - 64, (12u << 10) | (slot << 24), NULL),
                    ==, CC_TRB_ERROR);
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);
}

/* The transfer event after a TD that the controller must refuse. */
static void
expect_trb_error (Fixture *f, unsigned slot)
{
  XtdTrb ev;
  uint32_t *out = xtd_ptr (f->xtd, xtd_dev_ctx (f->xtd, slot));

  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 32);
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_TRB_ERROR);
  g_assert_cmpuint (GUINT32_FROM_LE (out[8]) & 7, ==, 2);      /* EP0 halted */
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  /* Recover for the next case: reset, and skip what was queued. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, (14u << 10) | (1u << 16) | (slot << 24), NULL), ==, CC_SUCCESS);
  {
    XtdRing *r = xtd_ep0_ring (f->xtd, slot);
    g_assert_cmpuint (xtd_command (f->xtd, (r->base + 16ULL * r->enq) | (r->pcs ? 1 : 0),
                                   (16u << 10) | (1u << 16) | (slot << 24), NULL), ==, CC_SUCCESS);
  }
}

static void
test_bad_transfers (Fixture *f, gconstpointer data)
{
  unsigned slot = xtd_address (f->xtd, 1);
  XtdRing *r = xtd_ep0_ring (f->xtd, slot);
  uint64_t get_dev = 0x80 | (6ULL << 8) | (0x0100ULL << 16) | (18ULL << 48);

  /* Data stage buffer outside RAM. */
  xtd_ring_put (f->xtd, r, get_dev, 8, (2u << 10) | (1u << 6) | (3u << 16));
  xtd_ring_put (f->xtd, r, 0xfff00000, 18, (3u << 10) | (1u << 16));
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5));
  xtd_doorbell (f->xtd, slot, 1);
  expect_trb_error (f, slot);

  /* A length running past the end of RAM. */
  xtd_ring_put (f->xtd, r, get_dev, 8, (2u << 10) | (1u << 6) | (3u << 16));
  xtd_ring_put (f->xtd, r, XTD_RAM_SIZE - 16, 0x1ffff, (3u << 10) | (1u << 16));
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5));
  xtd_doorbell (f->xtd, slot, 1);
  expect_trb_error (f, slot);

  /* A setup stage that is not immediate data, then one with a bad length. */
  xtd_ring_put (f->xtd, r, 0x2000, 8, 2u << 10);
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5));
  xtd_doorbell (f->xtd, slot, 1);
  expect_trb_error (f, slot);
  xtd_ring_put (f->xtd, r, get_dev, 64, (2u << 10) | (1u << 6));
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5));
  xtd_doorbell (f->xtd, slot, 1);
  expect_trb_error (f, slot);

  /* A data stage chained far beyond the TD limit. */
  xtd_ring_put (f->xtd, r, get_dev, 8, (2u << 10) | (1u << 6) | (3u << 16));
  {
    /* The ring is only 16 long: build the long chain in its own memory and
     * jump there with a link. */
    unsigned len = 100;
    uint64_t chain = xtd_alloc (f->xtd, 16ULL * (len + 1), 64);
    XtdRing c = { .base = chain, .n = len + 2, .pcs = r->pcs };
    uint64_t dbuf = xtd_alloc (f->xtd, 8, 8);
    xtd_ring_put (f->xtd, r, chain, 0, (6u << 10) | (1u << 4));
    xtd_ring_put (f->xtd, &c, dbuf, 1, (3u << 10) | (1u << 16) | (1u << 4));
    for (unsigned i = 1; i < len; i++)
      xtd_ring_put (f->xtd, &c, dbuf, 1, (1u << 10) | (1u << 4));
    xtd_doorbell (f->xtd, slot, 1);
    {
      XtdTrb ev;
      g_assert_true (xtd_event (f->xtd, &ev));
      g_assert_cmpuint (XTD_CC (&ev), ==, CC_TRB_ERROR);
    }
  }
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);
}

static void
test_link_loop (Fixture *f, gconstpointer data)
{
  unsigned slot = xtd_address (f->xtd, 1);
  XtdRing *r = xtd_ep0_ring (f->xtd, slot);
  uint64_t self = r->base + 16ULL * r->enq;
  XtdTrb ev;

  /* A transfer ring whose link points at itself without toggling: a TRB
   * error, not a hang. */
  xtd_ring_put (f->xtd, r, self, 0, 6u << 10);
  xtd_doorbell (f->xtd, slot, 1);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_TRB_ERROR);

  /* The same on the command ring: the controller halts with HSE. */
  {
    XtdRing *cmd = xtd_cmd_ring (f->xtd);
    uint64_t at = cmd->base + 16ULL * cmd->enq;
    xtd_ring_put (f->xtd, cmd, at, 0, 6u << 10);
    xtd_doorbell (f->xtd, 0, 0);
    g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x5, ==, 0x5);  /* HSE, HCH */
  }
}

static void
test_ring_without_link (Fixture *f, gconstpointer data)
{
  /* A command ring of 2000 No-Ops and no link, in fresh memory: at most a
   * budget's worth runs per doorbell and the 16-slot event ring reports
   * that it filled up. */
  unsigned n = 2000, events = 0, full = 0;
  uint64_t ring = xtd_alloc (f->xtd, 16ULL * n + 16, 64);
  XtdTrb ev;

  xtd_op_write (f->xtd, 0x00, 0);                         /* stop: CRCR is writable */
  xtd_op_write (f->xtd, 0x18, (uint32_t) ring | 1);
  xtd_op_write (f->xtd, 0x1c, 0);
  xtd_op_write (f->xtd, 0x00, 1u | (1u << 2));
  for (unsigned i = 0; i < n; i++)
    {
      uint8_t *p = xtd_ptr (f->xtd, ring + 16ULL * i);
      vmm_le_put (p + 12, 4, (23u << 10) | 1);
    }
  xtd_doorbell (f->xtd, 0, 0);
  while (xtd_event (f->xtd, &ev))
    {
      events++;
      if (XTD_TYPE (&ev) == 37 && XTD_CC (&ev) == CC_RING_FULL)
        full++;
    }
  g_assert_cmpuint (events, ==, 16);
  g_assert_cmpuint (full, ==, 1);
  /* Events resume once the driver has drained the ring. */
  xtd_doorbell (f->xtd, 0, 0);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 33);
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);
}

static void
test_bad_rings (Fixture *f, gconstpointer data)
{
  /* An event ring segment table outside RAM: the first event cannot be
   * written, so the controller reports a host system error. */
  xtd_rt_write (f->xtd, 0x30, 0xfff00000);
  xtd_op_write (f->xtd, 0x400, (1u << 9) | (1u << 4));
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x5, ==, 0x5);
}


/* Linux's enumeration: Address Device with BSR (the slot stays at the
 * default address), a 64-byte GET_DESCRIPTOR, another port reset with a
 * Reset Device the controller refuses in the default state, then the real
 * Address Device. */
static void
test_block_set_address (Fixture *f, gconstpointer data)
{
  unsigned slot = 0, actual;
  uint64_t in, out;
  uint32_t *c, *o;
  uint8_t buf[64];
  XtdRing ep0;

  xtd_port_reset (f->xtd, 2);
  g_assert_cmpuint (xtd_command (f->xtd, 0, 9u << 10, &slot), ==, CC_SUCCESS);
  out = xtd_alloc (f->xtd, 1024, 64);
  vmm_le_put (xtd_ptr (f->xtd, xtd_dcbaa (f->xtd) + 8ULL * slot), 8, out);
  ep0 = xtd_ring_new (f->xtd, 16);
  *xtd_ep0_ring (f->xtd, slot) = ep0;
  in = xtd_alloc (f->xtd, 33 * 32, 64);
  c = xtd_ptr (f->xtd, in);
  o = xtd_ptr (f->xtd, out);
  c[1] = GUINT32_TO_LE (3);
  c[8] = GUINT32_TO_LE ((1u << 27) | (1u << 20));
  c[9] = GUINT32_TO_LE (2u << 16);
  c[16 + 1] = GUINT32_TO_LE ((64u << 16) | (4u << 3) | (3u << 1));
  c[16 + 2] = GUINT32_TO_LE ((uint32_t) ep0.base | 1);
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (1u << 9) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (o[3]) >> 27, ==, 1);              /* default */
  g_assert_cmpuint (GUINT32_FROM_LE (o[3]) & 0xff, ==, 0);             /* address 0 */
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0100, 0, 64, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (actual, ==, 18);
  xtd_port_reset (f->xtd, 2);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (17u << 10) | (slot << 24), NULL), ==, CC_CONTEXT_STATE);
  /* BSR again from the default state is refused; without it, addressed. */
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (1u << 9) | (slot << 24), NULL), ==, CC_CONTEXT_STATE);
  ep0 = *xtd_ep0_ring (f->xtd, slot);
  c[16 + 2] = GUINT32_TO_LE ((uint32_t) (ep0.base + 16ULL * ep0.enq) | (ep0.pcs ? 1 : 0));
  g_assert_cmpuint (xtd_command (f->xtd, in, (11u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (o[3]) >> 27, ==, 2);
  g_assert_cmpuint (xtd_control (f->xtd, slot, 0x80, 6, 0x0100, 0, 18, buf, &actual), ==, CC_SUCCESS);
  g_assert_cmpuint (buf[1], ==, 1);
}

/* Data stages the way other drivers write them: split over chained
 * Normal TRBs with an Event Data TRB at the end, and OUT data as
 * immediate data. */
static void
test_data_stage_forms (Fixture *f, gconstpointer data)
{
  uint8_t desc[256];
  unsigned dlen, slot = enumerate (f, 2, desc, &dlen);
  XtdRing *r = xtd_ep0_ring (f->xtd, slot);
  uint64_t get_cfg = 0x80 | (6ULL << 8) | (0x0200ULL << 16) | (34ULL << 48);
  uint64_t a = xtd_alloc (f->xtd, 10, 8), b = xtd_alloc (f->xtd, 24, 8), ed;
  uint64_t set_leds = 0x21 | (9ULL << 8) | (0x0201ULL << 16) | (2ULL << 48);
  uint8_t *pa = xtd_ptr (f->xtd, a), *pb = xtd_ptr (f->xtd, b);
  XtdTrb ev;

  xtd_ring_put (f->xtd, r, get_cfg, 8, (2u << 10) | (1u << 6) | (3u << 16));
  xtd_ring_put (f->xtd, r, a, 10, (3u << 10) | (1u << 16) | (1u << 4));
  xtd_ring_put (f->xtd, r, b, 24, (1u << 10) | (1u << 4));
  ed = xtd_ring_put (f->xtd, r, 0xfeedf00d, 0, (7u << 10) | (1u << 5));
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5));
  xtd_doorbell (f->xtd, slot, 1);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmphex (ev.param, ==, 0xfeedf00d);
  g_assert_true (ev.control & (1u << 2));                          /* ED */
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_SUCCESS);
  g_assert_cmpuint (ev.status & 0xffffff, ==, 34);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmphex (ev.param, ==, ed + 16);
  g_assert_cmpuint (pa[0], ==, 9);
  g_assert_cmpuint (pa[1], ==, 2);
  g_assert_cmpuint (pb[0], ==, 4);                                 /* byte 10: interface type */
  g_assert_cmpuint (pb[24 - 1], ==, 4);                            /* endpoint bInterval */

  xtd_ring_put (f->xtd, r, set_leds, 8, (2u << 10) | (1u << 6) | (2u << 16));
  xtd_ring_put (f->xtd, r, 0x0401, 2, (3u << 10) | (1u << 6));
  xtd_ring_put (f->xtd, r, 0, 0, (4u << 10) | (1u << 5) | (1u << 16));
  xtd_doorbell (f->xtd, slot, 1);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_SUCCESS);
  g_assert_cmpuint (f->leds, ==, VMM_USB_LED_SCROLL_LOCK);
  {
    uint8_t rep[4];
    unsigned n;
    g_assert_cmpuint (xtd_control (f->xtd, slot, 0xa1, 1, 0x0201, 0, 4, rep, &n), ==, CC_SUCCESS);
    g_assert_cmpuint (n, ==, 2);
    g_assert_cmpuint (rep[1], ==, VMM_USB_LED_SCROLL_LOCK);
    /* Class requests to another interface stall. */
    g_assert_cmpuint (xtd_control (f->xtd, slot, 0xa1, 1, 0x0101, 1, 4, rep, &n), ==, CC_STALL);
  }
}

/* Root port details: USB 3 ports are empty and stay so; the link can be
 * suspended and resumed with a Port Link State Change. */
static void
test_ports (Fixture *f, gconstpointer data)
{
  uint64_t usb3 = 0x400 + 0x10ULL * VMM_XHCI_USB2_PORTS;
  uint32_t sc;
  XtdTrb ev;

  sc = xtd_op_read (f->xtd, usb3);
  g_assert_cmpuint ((sc >> 5) & 0xf, ==, 5);                       /* RxDetect */
  xtd_op_write (f->xtd, usb3, (1u << 9) | (1u << 31));            /* warm reset */
  xtd_op_write (f->xtd, usb3, (1u << 9) | (1u << 4));
  g_assert_false (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (xtd_op_read (f->xtd, usb3) & 3, ==, 0);

  xtd_port_reset (f->xtd, 1);
  xtd_op_write (f->xtd, 0x400, (1u << 9) | (1u << 16) | (3u << 5));   /* U3 */
  g_assert_cmpuint ((xtd_op_read (f->xtd, 0x400) >> 5) & 0xf, ==, 3);
  g_assert_false (xtd_event (f->xtd, &ev));
  xtd_op_write (f->xtd, 0x400, (1u << 9) | (1u << 16));               /* U0 */
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 34);
  sc = xtd_op_read (f->xtd, 0x400);
  g_assert_cmpuint ((sc >> 5) & 0xf, ==, 0);
  g_assert_true (sc & (1u << 22));                                  /* PLC */
  /* Writing PED disables the port; the device is then unreachable. */
  xtd_op_write (f->xtd, 0x400, (1u << 9) | 2);
  g_assert_cmpuint (xtd_op_read (f->xtd, 0x400) & 3, ==, 1);
}

static void
test_interrupts (Fixture *f, gconstpointer data)
{
  VmmPciDevice *pci = xtd_pci (f->xtd);
  unsigned cap = pci->cfg[VMM_PCI_CAP_PTR];
  uint8_t ctrl[2];
  XtdTrb ev;

  /* INTx first: an event raises the line, acknowledging lowers it. */
  xtd_op_write (f->xtd, 0x400, (1u << 9) | (1u << 4));
  g_assert_cmpint (xtd_intx (f->xtd), ==, 1);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpint (xtd_intx (f->xtd), ==, 0);

  /* MSI-X: vector 0 fires instead. */
  while (cap != 0 && pci->cfg[cap] != 0x11)
    cap = pci->cfg[cap + 1];
  g_assert_cmpuint (cap, !=, 0);
  ctrl[0] = pci->cfg[cap + 2];
  ctrl[1] = (uint8_t) (pci->cfg[cap + 3] | 0x80);
  vmm_pci_device_config_write (pci, cap + 2, ctrl, 2);
  xtd_write (f->xtd, 0x3000, 0xfee00000);
  xtd_write (f->xtd, 0x3008, 0x4041);
  xtd_write (f->xtd, 0x300c, 0);
  g_assert_cmpint (xtd_msi_count (f->xtd), ==, 0);
  xtd_command (f->xtd, 0, 23u << 10, NULL);
  g_assert_cmpint (xtd_msi_count (f->xtd), ==, 1);
  g_assert_cmpint (xtd_intx (f->xtd), ==, 0);

  /* While the handler is busy (EHB set), new events send no interrupt;
   * when it clears EHB with events still pending, one more comes. */
  {
    XtdRing *cmd = xtd_cmd_ring (f->xtd);
    xtd_ring_put (f->xtd, cmd, 0, 0, 23u << 10);
    xtd_doorbell (f->xtd, 0, 0);
    g_assert_cmpint (xtd_msi_count (f->xtd), ==, 2);
    xtd_ring_put (f->xtd, cmd, 0, 0, 23u << 10);
    xtd_doorbell (f->xtd, 0, 0);
    g_assert_cmpint (xtd_msi_count (f->xtd), ==, 2);
    g_assert_true (xtd_event (f->xtd, &ev));        /* acknowledges one */
    g_assert_cmpint (xtd_msi_count (f->xtd), ==, 3);
    g_assert_true (xtd_event (f->xtd, &ev));
    g_assert_cmpint (xtd_msi_count (f->xtd), ==, 3);
    g_assert_false (xtd_event (f->xtd, &ev));
  }
}

/* Stop Endpoint while an interrupt IN TD waits for a report: a Stopped -
 * Length Invalid event names that TD, before the command's completion;
 * the doorbell restarts the endpoint and the same TD takes the next
 * report. */
static void
test_stop_pending_td (Fixture *f, gconstpointer data)
{
  uint8_t desc[256], r[16];
  unsigned dlen, n, slot = enumerate (f, 1, desc, &dlen);
  uint32_t *out = xtd_ptr (f->xtd, xtd_dev_ctx (f->xtd, slot));
  XtdRing *ir = xtd_int_ring (f->xtd, slot);
  uint64_t td = ir->base + 16ULL * ir->enq, buf, cmd;
  XtdTrb ev;

  buf = xtd_queue_int_in (f->xtd, slot, 8);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  cmd = xtd_ring_put (f->xtd, xtd_cmd_ring (f->xtd), 0, 0, (15u << 10) | (3u << 16) | (slot << 24));
  xtd_doorbell (f->xtd, 0, 0);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 32);
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_STOPPED_LENGTH_INVALID);
  g_assert_cmphex (ev.param, ==, td);
  g_assert_cmpuint (ev.status & 0xffffff, ==, 0);
  g_assert_cmpuint ((ev.control >> 16) & 0x1f, ==, 3);
  g_assert_cmpuint (XTD_SLOT (&ev), ==, slot);
  g_assert_true (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 33);
  g_assert_cmphex (ev.param, ==, cmd);
  g_assert_cmpuint (XTD_CC (&ev), ==, CC_SUCCESS);
  g_assert_false (xtd_event (f->xtd, &ev));
  g_assert_cmpuint (GUINT32_FROM_LE (out[8 * 3]) & 7, ==, 3);           /* stopped */
  g_assert_cmphex (GUINT32_FROM_LE (out[8 * 3 + 2]) & ~0xfu, ==, (uint32_t) td);

  /* Stopped: a report waits for the doorbell, which restarts the TD. */
  vmm_usb_tablet_event (f->tablet, 0x4321, 9, 0, 0, 0);
  g_assert_cmpuint (trb_count_events (f->xtd), ==, 0);
  xtd_doorbell (f->xtd, slot, 3);
  n = take_report (f, buf, 8, r);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmphex (r[1] | r[2] << 8, ==, 0x4321);

  /* Nothing queued: the command alone completes. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, (15u << 10) | (3u << 16) | (slot << 24), NULL),
                    ==, CC_SUCCESS);
  g_assert_false (xtd_event (f->xtd, &ev));

  /* A transfer ring outside guest RAM, never rung: the endpoint stops
   * without an event, and the controller keeps running. */
  {
    uint64_t in = xtd_alloc (f->xtd, 33 * 32, 64);
    uint32_t *c = xtd_ptr (f->xtd, in);

    c[0] = GUINT32_TO_LE (1u << 3);                          /* D3 */
    c[1] = GUINT32_TO_LE (1u << 3);                          /* A3 */
    c[8 * 4 + 1] = GUINT32_TO_LE ((8u << 16) | (7u << 3) | (3u << 1));
    c[8 * 4 + 2] = GUINT32_TO_LE (0xfff00000u | 1);
    g_assert_cmpuint (xtd_command (f->xtd, in, (12u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
    g_assert_cmpuint (xtd_command (f->xtd, 0, (15u << 10) | (3u << 16) | (slot << 24), NULL),
                      ==, CC_SUCCESS);
    g_assert_false (xtd_event (f->xtd, &ev));
    g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);
  }
}

/* Get Port Bandwidth: the root hub's context, one byte per port. */
static void
test_port_bandwidth (Fixture *f, gconstpointer data)
{
  uint64_t ctx = xtd_alloc (f->xtd, 64, 16);
  uint8_t *b = xtd_ptr (f->xtd, ctx);
  unsigned slot = 99;

  memset (b, 0xee, 64);
  /* High speed: the USB 2 ports have the periodic share, USB 3 none. */
  g_assert_cmpuint (xtd_command (f->xtd, ctx, (21u << 10) | (3u << 16), &slot), ==, CC_SUCCESS);
  g_assert_cmpuint (slot, ==, 0);
  g_assert_cmpuint (b[0], ==, 0);
  for (unsigned p = 1; p <= VMM_XHCI_USB2_PORTS; p++)
    g_assert_cmpuint (b[p], ==, 80);
  for (unsigned p = VMM_XHCI_USB2_PORTS + 1; p <= VMM_XHCI_USB2_PORTS + VMM_XHCI_USB3_PORTS; p++)
    g_assert_cmpuint (b[p], ==, 0);
  /* Nothing past the context is touched. */
  for (unsigned i = (1 + VMM_XHCI_USB2_PORTS + VMM_XHCI_USB3_PORTS + 3) & ~3u; i < 64; i++)
    g_assert_cmphex (b[i], ==, 0xee);
  g_assert_cmpuint (xtd_command (f->xtd, ctx, (21u << 10) | (4u << 16), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (b[1], ==, 0);
  g_assert_cmpuint (b[VMM_XHCI_USB2_PORTS + 1], ==, 90);

  /* Malformed: unknown speeds, a hub slot that is no hub, a context
   * outside guest RAM. */
  g_assert_cmpuint (xtd_command (f->xtd, ctx, (21u << 10), NULL), ==, CC_PARAMETER);
  g_assert_cmpuint (xtd_command (f->xtd, ctx, (21u << 10) | (15u << 16), NULL), ==, CC_PARAMETER);
  g_assert_cmpuint (xtd_command (f->xtd, ctx, (21u << 10) | (3u << 16) | (1u << 24), &slot),
                    ==, CC_PARAMETER);
  g_assert_cmpuint (slot, ==, 1);
  g_assert_cmpuint (xtd_command (f->xtd, 0xfffffff0ULL, (21u << 10) | (3u << 16), NULL),
                    ==, CC_TRB_ERROR);
  g_assert_cmpuint (xtd_command (f->xtd, XTD_RAM_SIZE, (21u << 10) | (3u << 16), NULL),
                    ==, CC_TRB_ERROR);
  g_assert_cmphex (xtd_op_read (f->xtd, 4) & 0x1005, ==, 0);
}

/* Reset Device leaves the output context's endpoints disabled. */
static void
test_reset_device_context (Fixture *f, gconstpointer data)
{
  uint8_t desc[256];
  unsigned dlen, slot = enumerate (f, 2, desc, &dlen);
  uint32_t *out = xtd_ptr (f->xtd, xtd_dev_ctx (f->xtd, slot));

  g_assert_cmpuint (GUINT32_FROM_LE (out[8 * 3]) & 7, ==, 1);
  g_assert_cmpuint (xtd_command (f->xtd, 0, (17u << 10) | (slot << 24), NULL), ==, CC_SUCCESS);
  g_assert_cmpuint (GUINT32_FROM_LE (out[3]) >> 27, ==, 1);                 /* default */
  g_assert_cmpuint (GUINT32_FROM_LE (out[8 * 3]) & 7, ==, 0);               /* disabled */
  g_assert_false (vmm_usb_hid_configured (f->kbd));
  /* Twice in the default state: a context state error. */
  g_assert_cmpuint (xtd_command (f->xtd, 0, (17u << 10) | (slot << 24), NULL), ==, CC_CONTEXT_STATE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/usb/xhci/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("registers", test_registers);
  ADD ("tablet", test_tablet);
  ADD ("keyboard", test_keyboard);
  ADD ("stall-and-recovery", test_stall_and_recovery);
  ADD ("bad-slots", test_bad_slots);
  ADD ("bad-contexts", test_bad_contexts);
  ADD ("bad-transfers", test_bad_transfers);
  ADD ("link-loop", test_link_loop);
  ADD ("ring-without-link", test_ring_without_link);
  ADD ("bad-rings", test_bad_rings);
  ADD ("interrupts", test_interrupts);
  ADD ("block-set-address", test_block_set_address);
  ADD ("data-stage-forms", test_data_stage_forms);
  ADD ("ports", test_ports);
  ADD ("stop-pending-td", test_stop_pending_td);
  ADD ("port-bandwidth", test_port_bandwidth);
  ADD ("reset-device-context", test_reset_device_context);
  return g_test_run ();
}
