/* usb-hid.c: the USB HID tablet and keyboard (Device Class Definition for
 * HID 1.11).
 *
 * The tablet reports absolute X/Y (0..0x7fff), five buttons, a wheel and a
 * horizontal wheel (Consumer AC Pan); it is not a boot device, since boot
 * mice are relative. The keyboard is a boot keyboard: in boot protocol it
 * sends the 8-byte boot report; in report protocol the same report carries
 * report ID 1, and IDs 2 and 3 carry the consumer (multimedia) and system
 * (power, sleep, wake) keys that the boot report has no room for.
 *
 * Every input change queues a full report (state, not deltas, except the
 * wheels), so a guest that polls slowly still ends in the right state:
 * when the queue is full the newest state replaces the last queued one.
 * Idle rates are accepted but reports are only sent on change, which is
 * what the idle rate 0 that drivers set means.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/usb-hid.h"

#include <errno.h>
#include <string.h>

/* pid.codes' open-source vendor ID and two of its test product IDs. */
#define HID_VENDOR        0x1209
#define PRODUCT_TABLET    0x0001
#define PRODUCT_KEYBOARD  0x0002

#define HID_DT_HID        0x21
#define HID_DT_REPORT     0x22
#define HID_GET_REPORT    0x01
#define HID_GET_IDLE      0x02
#define HID_GET_PROTOCOL  0x03
#define HID_SET_REPORT    0x09
#define HID_SET_IDLE      0x0a
#define HID_SET_PROTOCOL  0x0b

#define QUEUE_LEN         16
#define REPORT_MAX        9

#define KIND_KEYS         1      /* also the report IDs */
#define KIND_CONSUMER     2
#define KIND_SYSTEM       3
#define KIND_TABLET       4

typedef struct {
  uint8_t kind;
  uint8_t len;
  uint8_t data[REPORT_MAX];      /* without the report ID */
} Report;

struct _VmmUsbHid {
  VmmUsbDevice dev;              /* first: the controller hands us this */
  gboolean keyboard;
  const uint8_t *report_desc;
  unsigned report_desc_len;

  GMutex lock;                   /* everything below */
  uint8_t config;
  uint8_t protocol;              /* 0 boot, 1 report */
  uint8_t idle;
  Report queue[QUEUE_LEN];
  unsigned head, count;

  /* keyboard */
  uint8_t modifiers;
  uint8_t keys[6];
  unsigned n_keys;
  uint16_t consumer;
  uint8_t system;
  uint32_t leds;
  VmmUsbLedsFunc leds_func;
  void *leds_opaque;
  VmmUsbConfigFunc config_func;
  void *config_opaque;

  /* tablet */
  uint16_t x, y;
  uint8_t buttons;
};

static const uint8_t tablet_report_desc[] = {
  0x05, 0x01, 0x09, 0x02, 0xa1, 0x01,             /* Generic Desktop, Mouse, Application */
  0x09, 0x01, 0xa1, 0x00,                         /*   Pointer, Physical */
  0x05, 0x09, 0x19, 0x01, 0x29, 0x05,             /*     Buttons 1..5 */
  0x15, 0x00, 0x25, 0x01, 0x95, 0x05, 0x75, 0x01,
  0x81, 0x02,                                     /*     Input (Data, Var, Abs) */
  0x95, 0x01, 0x75, 0x03, 0x81, 0x01,             /*     3 bits padding */
  0x05, 0x01, 0x09, 0x30, 0x09, 0x31,             /*     X, Y */
  0x15, 0x00, 0x26, 0xff, 0x7f, 0x35, 0x00, 0x46, 0xff, 0x7f,
  0x75, 0x10, 0x95, 0x02, 0x81, 0x02,             /*     2 x 16 bits, absolute */
  0x09, 0x38,                                     /*     Wheel */
  0x15, 0x81, 0x25, 0x7f, 0x35, 0x00, 0x45, 0x00,
  0x75, 0x08, 0x95, 0x01, 0x81, 0x06,             /*     8 bits, relative */
  0x05, 0x0c, 0x0a, 0x38, 0x02,                   /*     Consumer AC Pan */
  0x15, 0x81, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x01, 0x81, 0x06,
  0xc0, 0xc0,
};

static const uint8_t keyboard_report_desc[] = {
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01,             /* Generic Desktop, Keyboard, Application */
  0x85, KIND_KEYS,
  0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7,             /*   modifiers */
  0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,
  0x95, 0x01, 0x75, 0x08, 0x81, 0x01,             /*   reserved byte */
  0x05, 0x08, 0x19, 0x01, 0x29, 0x05,             /*   LEDs */
  0x95, 0x05, 0x75, 0x01, 0x91, 0x02,
  0x95, 0x01, 0x75, 0x03, 0x91, 0x01,             /*   LED padding */
  0x05, 0x07, 0x19, 0x00, 0x2a, 0xff, 0x00,       /*   six keys */
  0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x06, 0x81, 0x00,
  0xc0,
  0x05, 0x0c, 0x09, 0x01, 0xa1, 0x01,             /* Consumer Control */
  0x85, KIND_CONSUMER,
  0x19, 0x00, 0x2a, 0xff, 0x03, 0x15, 0x00, 0x26, 0xff, 0x03,
  0x75, 0x10, 0x95, 0x01, 0x81, 0x00,
  0xc0,
  0x05, 0x01, 0x09, 0x80, 0xa1, 0x01,             /* System Control */
  0x85, KIND_SYSTEM,
  0x19, 0x81, 0x29, 0x83, 0x15, 0x01, 0x25, 0x03,
  0x75, 0x08, 0x95, 0x01, 0x81, 0x00,
  0xc0,
};

/* ---- reports ------------------------------------------------------------ */

static void
push (VmmUsbHid *hid, const Report *r)
{
  unsigned slot;

  if (hid->count == QUEUE_LEN)
    slot = (hid->head + QUEUE_LEN - 1) % QUEUE_LEN;
  else
    slot = (hid->head + hid->count++) % QUEUE_LEN;
  hid->queue[slot] = *r;
}

static void
keys_report (VmmUsbHid *hid, Report *r)
{
  memset (r, 0, sizeof *r);
  r->kind = KIND_KEYS;
  r->len = 8;
  r->data[0] = hid->modifiers;
  /* More keys than the report holds: every slot says ErrorRollOver. */
  for (unsigned i = 0; i < 6; i++)
    r->data[2 + i] = hid->n_keys > 6 ? 0x01 : i < hid->n_keys ? hid->keys[i] : 0;
}

static void
current_report (VmmUsbHid *hid, unsigned kind, Report *r)
{
  memset (r, 0, sizeof *r);
  r->kind = (uint8_t) kind;
  switch (kind)
    {
    case KIND_KEYS:
      keys_report (hid, r);
      break;
    case KIND_CONSUMER:
      r->len = 2;
      r->data[0] = (uint8_t) hid->consumer;
      r->data[1] = (uint8_t) (hid->consumer >> 8);
      break;
    case KIND_SYSTEM:
      r->len = 1;
      r->data[0] = hid->system;
      break;
    default:
      r->len = 7;
      r->data[0] = hid->buttons;
      r->data[1] = (uint8_t) hid->x;
      r->data[2] = (uint8_t) (hid->x >> 8);
      r->data[3] = (uint8_t) hid->y;
      r->data[4] = (uint8_t) (hid->y >> 8);
      break;
    }
}

/* The bytes of @r as the guest sees them under the current protocol:
 * 0 when the report does not exist in boot protocol. */
static unsigned
format (VmmUsbHid *hid, const Report *r, uint8_t *out)
{
  if (!hid->keyboard)
    {
      memcpy (out, r->data, r->len);
      return r->len;
    }
  if (hid->protocol == 0)
    {
      if (r->kind != KIND_KEYS)
        return 0;
      memcpy (out, r->data, r->len);
      return r->len;
    }
  out[0] = r->kind;
  memcpy (out + 1, r->data, r->len);
  return r->len + 1u;
}

static int
hid_data_in (VmmUsbDevice *dev, unsigned ep, uint8_t *data, unsigned len)
{
  VmmUsbHid *hid = (VmmUsbHid *) dev;
  uint8_t buf[REPORT_MAX + 1];
  int r = -EAGAIN;

  if (ep != 1)
    return -EAGAIN;
  g_mutex_lock (&hid->lock);
  while (hid->config != 0 && hid->count > 0)
    {
      unsigned n = format (hid, &hid->queue[hid->head], buf);
      hid->head = (hid->head + 1) % QUEUE_LEN;
      hid->count--;
      if (n == 0)
        continue;
      n = MIN (n, len);
      memcpy (data, buf, n);
      r = (int) n;
      break;
    }
  g_mutex_unlock (&hid->lock);
  return r;
}

static void
wake (VmmUsbHid *hid)
{
  if (hid->dev.wakeup != NULL)
    hid->dev.wakeup (hid->dev.wakeup_opaque, &hid->dev, 1);
}

/* ---- descriptors ---------------------------------------------------------- */

static unsigned
device_descriptor (VmmUsbHid *hid, uint8_t *d)
{
  static const uint8_t base[18] = {
    18, VMM_USB_DT_DEVICE, 0x00, 0x02,            /* USB 2.0 */
    0, 0, 0, 64,                                  /* class per interface; EP0 64 bytes */
    HID_VENDOR & 0xff, HID_VENDOR >> 8, 0, 0,     /* product patched below */
    0x00, 0x01, 1, 2, 3, 1,                       /* bcdDevice 1.00, strings, 1 config */
  };

  memcpy (d, base, sizeof base);
  d[10] = hid->keyboard ? PRODUCT_KEYBOARD : PRODUCT_TABLET;
  return sizeof base;
}

static unsigned
hid_descriptor (VmmUsbHid *hid, uint8_t *d)
{
  static const uint8_t base[9] = { 9, HID_DT_HID, 0x11, 0x01, 0, 1, HID_DT_REPORT, 0, 0 };

  memcpy (d, base, sizeof base);
  d[7] = (uint8_t) hid->report_desc_len;
  d[8] = (uint8_t) (hid->report_desc_len >> 8);
  return sizeof base;
}

static unsigned
config_descriptor (VmmUsbHid *hid, uint8_t *d)
{
  static const uint8_t config[9] = {
    9, VMM_USB_DT_CONFIG, 34, 0, 1, 1, 0,
    0xa0, 50,                                     /* bus powered, remote wakeup, 100 mA */
  };
  uint8_t iface[9] = { 9, VMM_USB_DT_INTERFACE, 0, 0, 1, 3, 0, 0, 0 };
  uint8_t ep[7] = { 7, VMM_USB_DT_ENDPOINT, 0x81, 0x03, 16, 0, 4 };

  if (hid->keyboard)
    {
      iface[6] = 1;                               /* boot interface */
      iface[7] = 1;                               /* keyboard */
    }
  memcpy (d, config, 9);
  memcpy (d + 9, iface, 9);
  hid_descriptor (hid, d + 18);
  memcpy (d + 27, ep, 7);
  return 34;
}

static unsigned
string_descriptor (VmmUsbHid *hid, unsigned index, uint8_t *d)
{
  const char *s;
  unsigned n;

  switch (index)
    {
    case 0:
      d[0] = 4;
      d[1] = VMM_USB_DT_STRING;
      d[2] = 0x09;                                /* English (United States) */
      d[3] = 0x04;
      return 4;
    case 1:
      s = "Vireo";
      break;
    case 2:
      s = hid->keyboard ? "Vireo USB Keyboard" : "Vireo USB Tablet";
      break;
    case 3:
      s = hid->keyboard ? "42" : "43";
      break;
    default:
      return 0;
    }
  n = (unsigned) strlen (s);
  d[0] = (uint8_t) (2 + 2 * n);
  d[1] = VMM_USB_DT_STRING;
  for (unsigned i = 0; i < n; i++)
    {
      d[2 + 2 * i] = (uint8_t) s[i];
      d[3 + 2 * i] = 0;
    }
  return 2 + 2 * n;
}

/* ---- control requests ----------------------------------------------------- */

/* Fills @out (room for 256 bytes) with the requested descriptor. */
static int
get_descriptor (VmmUsbHid *hid, const VmmUsbSetup *s, uint8_t *out)
{
  unsigned type = s->wValue >> 8, index = s->wValue & 0xff;
  unsigned recipient = s->bmRequestType & 0x1f;

  if (recipient == 0)
    switch (type)
      {
      case VMM_USB_DT_DEVICE:
        return (int) device_descriptor (hid, out);
      case VMM_USB_DT_CONFIG:
        return index == 0 ? (int) config_descriptor (hid, out) : -EPIPE;
      case VMM_USB_DT_STRING:
        {
          unsigned n = string_descriptor (hid, index, out);
          return n > 0 ? (int) n : -EPIPE;
        }
      default:
        return -EPIPE;
      }
  if (recipient == 1 && s->wIndex == 0)
    switch (type)
      {
      case HID_DT_HID:
        return (int) hid_descriptor (hid, out);
      case HID_DT_REPORT:
        memcpy (out, hid->report_desc, hid->report_desc_len);
        return (int) hid->report_desc_len;
      default:
        return -EPIPE;
      }
  return -EPIPE;
}

/* Input only counts while the guest drives the device (it goes elsewhere
 * before), so a (re)configured device starts with nothing held. */
static void
set_configuration (VmmUsbHid *hid, uint8_t value)
{
  hid->config = value;
  hid->head = hid->count = 0;
  hid->modifiers = 0;
  memset (hid->keys, 0, sizeof hid->keys);
  hid->n_keys = 0;
  hid->consumer = 0;
  hid->system = 0;
  hid->buttons = 0;
}

/* SET_REPORT with an output report: the LEDs, with or without report ID. */
static int
set_report (VmmUsbHid *hid, const VmmUsbSetup *s, const uint8_t *data, unsigned len,
            uint32_t *leds)
{
  if (!hid->keyboard || (s->wValue >> 8) != 2)
    return -EPIPE;
  if (len == 1 && (hid->protocol == 0 || (s->wValue & 0xff) == 0))
    *leds = data[0] & 7;
  else if (len == 2 && data[0] == KIND_KEYS)
    *leds = data[1] & 7;
  else
    return -EPIPE;
  return 0;
}

/* GET_REPORT: an input report's current state, or the LED output report. */
static int
get_report (VmmUsbHid *hid, const VmmUsbSetup *s, uint8_t *out)
{
  unsigned type = s->wValue >> 8, id = s->wValue & 0xff;
  gboolean with_id = hid->keyboard && hid->protocol != 0;
  Report r;

  if (s->wIndex != 0 || (with_id ? id < 1 || id > KIND_SYSTEM : id != 0))
    return -EPIPE;
  if (type == 2 && hid->keyboard && (id == 0 || id == KIND_KEYS))
    {
      out[0] = KIND_KEYS;
      out[with_id ? 1 : 0] = (uint8_t) hid->leds;
      return with_id ? 2 : 1;
    }
  if (type != 1)
    return -EPIPE;
  current_report (hid, hid->keyboard ? MAX (id, 1u) : KIND_TABLET, &r);
  return (int) format (hid, &r, out);
}

static int
hid_control (VmmUsbDevice *dev, const VmmUsbSetup *s, uint8_t *data, unsigned len)
{
  VmmUsbHid *hid = (VmmUsbHid *) dev;
  uint8_t out[256];
  int n = -EPIPE;
  uint32_t leds = G_MAXUINT32;
  VmmUsbLedsFunc func = NULL;
  void *func_opaque = NULL;
  VmmUsbConfigFunc config_func = NULL;
  void *config_opaque = NULL;
  gboolean configured = FALSE;
  uint16_t req = (uint16_t) (s->bmRequestType << 8 | s->bRequest);

  g_mutex_lock (&hid->lock);
  /* Class requests go to our one interface. */
  if ((s->bmRequestType & 0x60) == 0x20 && s->wIndex != 0)
    req = 0xffff;
  switch (req)
    {
    case 0x8000 | VMM_USB_REQ_GET_DESCRIPTOR:
    case 0x8100 | VMM_USB_REQ_GET_DESCRIPTOR:
      n = get_descriptor (hid, s, out);
      break;
    case 0x0000 | VMM_USB_REQ_SET_ADDRESS:
      n = 0;
      break;
    case 0x0000 | VMM_USB_REQ_SET_CONFIGURATION:
      if (s->wValue <= 1)
        {
          if ((hid->config != 0) != (s->wValue != 0))
            {
              config_func = hid->config_func;
              config_opaque = hid->config_opaque;
              configured = s->wValue != 0;
            }
          set_configuration (hid, (uint8_t) s->wValue);
          n = 0;
        }
      break;
    case 0x8000 | VMM_USB_REQ_GET_CONFIGURATION:
      out[0] = hid->config;
      n = 1;
      break;
    case 0x8000 | VMM_USB_REQ_GET_STATUS:
    case 0x8100 | VMM_USB_REQ_GET_STATUS:
    case 0x8200 | VMM_USB_REQ_GET_STATUS:
      out[0] = out[1] = 0;
      n = 2;
      break;
    case 0x0000 | VMM_USB_REQ_CLEAR_FEATURE:
    case 0x0000 | VMM_USB_REQ_SET_FEATURE:
    case 0x0200 | VMM_USB_REQ_CLEAR_FEATURE:
    case 0x0200 | VMM_USB_REQ_SET_FEATURE:
      /* Remote wakeup and endpoint halt: nothing to keep. */
      n = 0;
      break;
    case 0x8100 | VMM_USB_REQ_GET_INTERFACE:
      out[0] = 0;
      n = s->wIndex == 0 ? 1 : -EPIPE;
      break;
    case 0x0100 | VMM_USB_REQ_SET_INTERFACE:
      n = s->wIndex == 0 && s->wValue == 0 ? 0 : -EPIPE;
      break;
    case 0xa100 | HID_GET_REPORT:
      n = get_report (hid, s, out);
      break;
    case 0xa100 | HID_GET_IDLE:
      out[0] = hid->idle;
      n = 1;
      break;
    case 0xa100 | HID_GET_PROTOCOL:
      out[0] = hid->protocol;
      n = 1;
      break;
    case 0x2100 | HID_SET_REPORT:
      n = set_report (hid, s, data, len, &leds);
      break;
    case 0x2100 | HID_SET_IDLE:
      hid->idle = (uint8_t) (s->wValue >> 8);
      n = 0;
      break;
    case 0x2100 | HID_SET_PROTOCOL:
      if (s->wValue <= 1)
        {
          hid->protocol = (uint8_t) s->wValue;
          n = 0;
        }
      break;
    default:
      break;
    }
  if (n > 0 && (s->bmRequestType & VMM_USB_DIR_IN))
    {
      n = MIN (n, (int) len);
      memcpy (data, out, (size_t) n);
    }
  else if (n > 0)
    n = 0;
  if (leds != G_MAXUINT32 && leds != hid->leds)
    {
      hid->leds = leds;
      func = hid->leds_func;
      func_opaque = hid->leds_opaque;
    }
  g_mutex_unlock (&hid->lock);
  if (func != NULL)
    func (func_opaque, leds);
  if (config_func != NULL)
    config_func (config_opaque, configured);
  return n;
}

static void
hid_reset (VmmUsbDevice *dev)
{
  VmmUsbHid *hid = (VmmUsbHid *) dev;
  VmmUsbConfigFunc func = NULL;
  void *func_opaque = NULL;

  g_mutex_lock (&hid->lock);
  if (hid->config != 0)
    {
      func = hid->config_func;
      func_opaque = hid->config_opaque;
    }
  set_configuration (hid, 0);
  hid->protocol = 1;
  hid->idle = 0;
  g_mutex_unlock (&hid->lock);
  if (func != NULL)
    func (func_opaque, FALSE);
}

static const VmmUsbDeviceOps hid_ops = {
  .control = hid_control,
  .data_in = hid_data_in,
  .reset = hid_reset,
};

static VmmUsbHid *
hid_new (gboolean keyboard)
{
  VmmUsbHid *hid = g_new0 (VmmUsbHid, 1);

  hid->dev.ops = &hid_ops;
  hid->dev.speed = VMM_USB_SPEED_FULL;
  hid->keyboard = keyboard;
  hid->report_desc = keyboard ? keyboard_report_desc : tablet_report_desc;
  hid->report_desc_len = keyboard ? sizeof keyboard_report_desc : sizeof tablet_report_desc;
  hid->protocol = 1;
  g_mutex_init (&hid->lock);
  return hid;
}

VmmUsbHid *
vmm_usb_tablet_new (void)
{
  return hid_new (FALSE);
}

VmmUsbHid *
vmm_usb_keyboard_new (void)
{
  return hid_new (TRUE);
}

void
vmm_usb_hid_free (VmmUsbHid *hid)
{
  if (hid == NULL)
    return;
  g_mutex_clear (&hid->lock);
  g_free (hid);
}

VmmUsbDevice *
vmm_usb_hid_device (VmmUsbHid *hid)
{
  return &hid->dev;
}

gboolean
vmm_usb_hid_configured (VmmUsbHid *hid)
{
  gboolean c;

  g_mutex_lock (&hid->lock);
  c = hid->config != 0;
  g_mutex_unlock (&hid->lock);
  return c;
}

/* ---- input ------------------------------------------------------------------- */

static gboolean
key_change (VmmUsbHid *hid, unsigned page, unsigned usage, gboolean pressed, Report *r)
{
  if (page == VMM_HID_PAGE_CONSUMER || page == VMM_HID_PAGE_DESKTOP)
    {
      /* One multimedia or system key at a time: the latest press wins and
       * its release clears it. */
      if (page == VMM_HID_PAGE_CONSUMER)
        {
          if (!pressed && hid->consumer != usage)
            return FALSE;
          hid->consumer = pressed ? (uint16_t) usage : 0;
        }
      else
        {
          unsigned v = usage - 0x80;             /* array index, 1..3 */
          if (!pressed && hid->system != v)
            return FALSE;
          hid->system = pressed ? (uint8_t) v : 0;
        }
      current_report (hid, page == VMM_HID_PAGE_CONSUMER ? KIND_CONSUMER : KIND_SYSTEM, r);
      return TRUE;
    }
  if (usage >= 0xe0 && usage <= 0xe7)
    {
      uint8_t bit = (uint8_t) (1u << (usage - 0xe0));
      uint8_t m = pressed ? (uint8_t) (hid->modifiers | bit) : (uint8_t) (hid->modifiers & ~bit);
      if (m == hid->modifiers)
        return FALSE;
      hid->modifiers = m;
    }
  else
    {
      unsigned i;
      for (i = 0; i < hid->n_keys && i < G_N_ELEMENTS (hid->keys); i++)
        if (hid->keys[i] == usage)
          break;
      if (pressed)
        {
          if (i < hid->n_keys)
            return FALSE;                        /* typematic repeat */
          if (hid->n_keys < G_N_ELEMENTS (hid->keys))
            hid->keys[hid->n_keys] = (uint8_t) usage;
          hid->n_keys++;
        }
      else
        {
          if (hid->n_keys == 0)
            return FALSE;
          if (i < hid->n_keys && i < G_N_ELEMENTS (hid->keys))
            {
              memmove (hid->keys + i, hid->keys + i + 1, G_N_ELEMENTS (hid->keys) - i - 1);
              hid->keys[G_N_ELEMENTS (hid->keys) - 1] = 0;
              hid->n_keys--;
            }
          else if (hid->n_keys > G_N_ELEMENTS (hid->keys))
            hid->n_keys--;                       /* a key beyond the six */
          else
            return FALSE;
        }
    }
  keys_report (hid, r);
  return TRUE;
}

void
vmm_usb_kbd_key (VmmUsbHid *hid, uint16_t scancode, gboolean pressed)
{
  unsigned page, usage = vmm_usb_hid_usage (scancode, &page);
  gboolean changed;
  Report r;

  if (usage == 0 || !hid->keyboard)
    return;
  g_mutex_lock (&hid->lock);
  changed = hid->config != 0 && key_change (hid, page, usage, pressed, &r);
  if (changed)
    push (hid, &r);
  g_mutex_unlock (&hid->lock);
  if (changed)
    wake (hid);
}

void
vmm_usb_hid_set_config_func (VmmUsbHid *hid, VmmUsbConfigFunc func, void *opaque)
{
  g_mutex_lock (&hid->lock);
  hid->config_func = func;
  hid->config_opaque = opaque;
  g_mutex_unlock (&hid->lock);
}

void
vmm_usb_kbd_set_leds_func (VmmUsbHid *hid, VmmUsbLedsFunc func, void *opaque)
{
  g_mutex_lock (&hid->lock);
  hid->leds_func = func;
  hid->leds_opaque = opaque;
  g_mutex_unlock (&hid->lock);
}

uint32_t
vmm_usb_kbd_leds (VmmUsbHid *hid)
{
  uint32_t leds;

  g_mutex_lock (&hid->lock);
  leds = hid->leds;
  g_mutex_unlock (&hid->lock);
  return leds;
}

static uint8_t
clamp_detents (int32_t v)
{
  return (uint8_t) (int8_t) CLAMP (v, -127, 127);
}

void
vmm_usb_tablet_event (VmmUsbHid *hid, uint32_t x, uint32_t y, uint32_t buttons,
                      int32_t wheel, int32_t hwheel)
{
  Report r;

  if (hid->keyboard)
    return;
  g_mutex_lock (&hid->lock);
  if (hid->config == 0)
    {
      g_mutex_unlock (&hid->lock);
      return;
    }
  hid->x = (uint16_t) MIN (x, (uint32_t) VMM_USB_TABLET_MAX);
  hid->y = (uint16_t) MIN (y, (uint32_t) VMM_USB_TABLET_MAX);
  hid->buttons = (uint8_t) (buttons & 0x1f);
  current_report (hid, KIND_TABLET, &r);
  r.data[5] = clamp_detents (wheel);
  r.data[6] = clamp_detents (hwheel);
  push (hid, &r);
  g_mutex_unlock (&hid->lock);
  wake (hid);
}
