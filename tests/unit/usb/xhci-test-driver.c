/* xhci-test-driver.c: an xHCI driver for unit tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "xhci-test-driver.h"

#include <errno.h>
#include <string.h>

#define BAR 0
#define MAX_SLOTS 32

struct _Xtd {
  VmmPlatform platform;
  uint8_t *ram;
  uint64_t brk;
  VmmPciDevice *pci;
  VmmXhci *xhci;
  uint32_t op, rt, db;
  uint64_t dcbaa;
  XtdRing cmd;
  uint64_t er_base;
  unsigned er_n;
  unsigned er_deq;
  gboolean er_ccs;
  XtdRing ep0[MAX_SLOTS + 1];
  XtdRing ep1[MAX_SLOTS + 1];
  uint64_t dev_ctx[MAX_SLOTS + 1];
  gint msi_count;
  gint intx;
};

static void
fake_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  Xtd *xtd = opaque;

  g_atomic_int_set (&xtd->intx, level ? 1 : 0);
}

static void
fake_signal_msi (void *opaque, uint64_t addr, uint32_t data)
{
  Xtd *xtd = opaque;

  g_atomic_int_inc (&xtd->msi_count);
}

static int
fake_msi_route (void *opaque, int gsi, uint64_t addr, uint32_t data)
{
  return -ENOSYS;
}

static const VmmPlatformOps fake_ops = {
  .set_irq = fake_set_irq,
  .signal_msi = fake_signal_msi,
  .msi_route = fake_msi_route,
};

Xtd *
xtd_new (void)
{
  Xtd *xtd = g_new0 (Xtd, 1);
  g_autoptr (GError) error = NULL;

  xtd->ram = g_malloc0 (XTD_RAM_SIZE);
  xtd->brk = 0x1000;
  xtd->platform.ops = &fake_ops;
  xtd->platform.opaque = xtd;
  vmm_guest_mem_init (&xtd->platform.mem);
  g_assert_cmpint (vmm_guest_mem_add (&xtd->platform.mem, 0, XTD_RAM_SIZE, xtd->ram), ==, 0);
  xtd->pci = vmm_xhci_new (&xtd->platform, &xtd->xhci, &error);
  g_assert_no_error (error);
  g_assert_nonnull (xtd->pci);
  xtd->pci->intx_gsi = 16;
  return xtd;
}

void
xtd_free (Xtd *xtd)
{
  if (xtd == NULL)
    return;
  vmm_pci_device_free (xtd->pci);
  g_free (xtd->ram);
  g_free (xtd);
}

VmmXhci *
xtd_xhci (Xtd *xtd)
{
  return xtd->xhci;
}

VmmPciDevice *
xtd_pci (Xtd *xtd)
{
  return xtd->pci;
}

int
xtd_intx (Xtd *xtd)
{
  return g_atomic_int_get (&xtd->intx);
}

int
xtd_msi_count (Xtd *xtd)
{
  return g_atomic_int_get (&xtd->msi_count);
}

uint32_t
xtd_read (Xtd *xtd, uint64_t offset)
{
  uint8_t b[4];

  xtd->pci->bar_ops[BAR]->read (xtd->pci->bar_opaque[BAR], offset, b, 4);
  return (uint32_t) vmm_le_get (b, 4);
}

void
xtd_write (Xtd *xtd, uint64_t offset, uint32_t value)
{
  uint8_t b[4];

  vmm_le_put (b, 4, value);
  xtd->pci->bar_ops[BAR]->write (xtd->pci->bar_opaque[BAR], offset, b, 4);
}

uint32_t xtd_op_read (Xtd *xtd, uint64_t off) { return xtd_read (xtd, xtd->op + off); }
void xtd_op_write (Xtd *xtd, uint64_t off, uint32_t v) { xtd_write (xtd, xtd->op + off, v); }
uint32_t xtd_rt_read (Xtd *xtd, uint64_t off) { return xtd_read (xtd, xtd->rt + off); }
void xtd_rt_write (Xtd *xtd, uint64_t off, uint32_t v) { xtd_write (xtd, xtd->rt + off, v); }
void xtd_doorbell (Xtd *xtd, unsigned db, uint32_t v) { xtd_write (xtd, xtd->db + 4ULL * db, v); }

uint64_t
xtd_alloc (Xtd *xtd, uint64_t len, uint64_t align)
{
  uint64_t gpa = (xtd->brk + align - 1) & ~(align - 1);

  g_assert_cmpuint (gpa + len, <=, XTD_RAM_SIZE);
  xtd->brk = gpa + len;
  memset (xtd->ram + gpa, 0, len);
  return gpa;
}

void *
xtd_ptr (Xtd *xtd, uint64_t gpa)
{
  g_assert_cmpuint (gpa, <, XTD_RAM_SIZE);
  return xtd->ram + gpa;
}

static void
put_trb (Xtd *xtd, uint64_t gpa, uint64_t param, uint32_t status, uint32_t control)
{
  uint8_t *p = xtd_ptr (xtd, gpa);

  vmm_le_put (p, 8, param);
  vmm_le_put (p + 8, 4, status);
  vmm_le_put (p + 12, 4, control);
}

XtdRing
xtd_ring_new (Xtd *xtd, unsigned n)
{
  XtdRing r = { .base = xtd_alloc (xtd, 16ULL * n, 64), .n = n, .pcs = TRUE };

  /* The link back to the start, toggling the cycle; its own cycle bit is
   * set when the producer reaches it. */
  put_trb (xtd, r.base + 16ULL * (n - 1), r.base, 0, (6u << 10) | (1u << 1));
  return r;
}

uint64_t
xtd_ring_put (Xtd *xtd, XtdRing *ring, uint64_t param, uint32_t status, uint32_t control)
{
  uint64_t at = ring->base + 16ULL * ring->enq;

  put_trb (xtd, at, param, status, (control & ~1u) | (ring->pcs ? 1u : 0));
  if (++ring->enq == ring->n - 1)
    {
      uint8_t *link = xtd_ptr (xtd, ring->base + 16ULL * (ring->n - 1));
      uint32_t ctl = (uint32_t) vmm_le_get (link + 12, 4);
      vmm_le_put (link + 12, 4, (ctl & ~1u) | (ring->pcs ? 1u : 0));
      ring->enq = 0;
      ring->pcs = !ring->pcs;
    }
  return at;
}

void
xtd_start (Xtd *xtd)
{
  uint64_t erst;

  xtd->op = xtd_read (xtd, 0) & 0xff;
  xtd->db = xtd_read (xtd, 0x14) & ~3u;
  xtd->rt = xtd_read (xtd, 0x18) & ~0x1fu;
  xtd_op_write (xtd, 0x00, 1u << 1);                      /* HCRST */
  g_assert_cmphex (xtd_op_read (xtd, 0x04) & 1, ==, 1);  /* halted */
  xtd_op_write (xtd, 0x38, MAX_SLOTS);
  xtd->dcbaa = xtd_alloc (xtd, 8 * (MAX_SLOTS + 1), 64);
  xtd_op_write (xtd, 0x30, (uint32_t) xtd->dcbaa);
  xtd_op_write (xtd, 0x34, 0);
  xtd->cmd = xtd_ring_new (xtd, 32);
  xtd_op_write (xtd, 0x18, (uint32_t) xtd->cmd.base | 1);
  xtd_op_write (xtd, 0x1c, 0);

  xtd->er_n = 16;
  xtd->er_base = xtd_alloc (xtd, 16ULL * xtd->er_n, 64);
  xtd->er_deq = 0;
  xtd->er_ccs = TRUE;
  erst = xtd_alloc (xtd, 16, 64);
  vmm_le_put (xtd_ptr (xtd, erst), 8, xtd->er_base);
  vmm_le_put (xtd_ptr (xtd, erst + 8), 4, xtd->er_n);
  xtd_rt_write (xtd, 0x28, 1);                            /* ERSTSZ */
  xtd_rt_write (xtd, 0x38, (uint32_t) xtd->er_base);      /* ERDP */
  xtd_rt_write (xtd, 0x3c, 0);
  xtd_rt_write (xtd, 0x30, (uint32_t) erst);              /* ERSTBA */
  xtd_rt_write (xtd, 0x34, 0);
  xtd_rt_write (xtd, 0x20, 2);                            /* IMAN.IE */
  xtd_op_write (xtd, 0x00, 1u | (1u << 2));               /* R/S, INTE */
  g_assert_cmphex (xtd_op_read (xtd, 0x04) & 1, ==, 0);
}

gboolean
xtd_event (Xtd *xtd, XtdTrb *ev)
{
  uint8_t *p = xtd_ptr (xtd, xtd->er_base + 16ULL * xtd->er_deq);
  uint64_t erdp;

  ev->param = vmm_le_get (p, 8);
  ev->status = (uint32_t) vmm_le_get (p + 8, 4);
  ev->control = (uint32_t) vmm_le_get (p + 12, 4);
  if (((ev->control & 1) != 0) != xtd->er_ccs)
    return FALSE;
  if (++xtd->er_deq == xtd->er_n)
    {
      xtd->er_deq = 0;
      xtd->er_ccs = !xtd->er_ccs;
    }
  /* Acknowledge: IMAN.IP (write one), then ERDP with EHB. */
  xtd_rt_write (xtd, 0x20, 3);
  erdp = xtd->er_base + 16ULL * xtd->er_deq;
  xtd_rt_write (xtd, 0x38, (uint32_t) erdp | (1u << 3));
  return TRUE;
}

unsigned
xtd_command (Xtd *xtd, uint64_t param, uint32_t control, unsigned *slot)
{
  uint64_t at = xtd_ring_put (xtd, &xtd->cmd, param, 0, control);
  XtdTrb ev;

  xtd_doorbell (xtd, 0, 0);
  g_assert_true (xtd_event (xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 33);
  g_assert_cmphex (ev.param, ==, at);
  if (slot != NULL)
    *slot = XTD_SLOT (&ev);
  return XTD_CC (&ev);
}

void
xtd_port_reset (Xtd *xtd, unsigned port)
{
  uint64_t off = 0x400 + 0x10ULL * (port - 1);
  uint32_t sc = xtd_op_read (xtd, off);
  XtdTrb ev;

  g_assert_true (sc & 1);                                  /* connected */
  /* Keep PP, clear the change bits, set PR. */
  xtd_op_write (xtd, off, (sc & (1u << 9)) | (1u << 4) | 0x00fe0000u);
  g_assert_true (xtd_event (xtd, &ev));
  g_assert_cmpuint (XTD_TYPE (&ev), ==, 34);
  g_assert_cmpuint (ev.param >> 24, ==, port);
  sc = xtd_op_read (xtd, off);
  g_assert_true (sc & 2);                                  /* enabled */
  g_assert_true (sc & (1u << 21));                         /* PRC */
  xtd_op_write (xtd, off, (sc & (1u << 9)) | (1u << 21));
  g_assert_false (xtd_op_read (xtd, off) & (1u << 21));
}

unsigned
xtd_address (Xtd *xtd, unsigned port)
{
  unsigned slot = 0, speed;
  uint64_t in, out;
  uint32_t *c;

  xtd_port_reset (xtd, port);
  speed = (xtd_op_read (xtd, 0x400 + 0x10ULL * (port - 1)) >> 10) & 0xf;
  g_assert_cmpuint (xtd_command (xtd, 0, 9u << 10, &slot), ==, 1);
  g_assert_cmpuint (slot, >=, 1);
  g_assert_cmpuint (slot, <=, MAX_SLOTS);
  out = xtd_alloc (xtd, 1024, 64);
  xtd->dev_ctx[slot] = out;
  vmm_le_put (xtd_ptr (xtd, xtd->dcbaa + 8ULL * slot), 8, out);
  xtd->ep0[slot] = xtd_ring_new (xtd, 16);
  in = xtd_alloc (xtd, 33 * 32, 64);
  c = xtd_ptr (xtd, in);
  c[1] = GUINT32_TO_LE (3);                                /* A0, A1 */
  c[8] = GUINT32_TO_LE ((1u << 27) | (speed << 20));       /* slot: 1 entry */
  c[9] = GUINT32_TO_LE (port << 16);
  c[16 + 1] = GUINT32_TO_LE ((64u << 16) | (4u << 3) | (3u << 1)); /* control, MPS 64 */
  c[16 + 2] = GUINT32_TO_LE ((uint32_t) xtd->ep0[slot].base | 1);
  g_assert_cmpuint (xtd_command (xtd, in, (11u << 10) | (slot << 24), NULL), ==, 1);
  c = xtd_ptr (xtd, out);
  g_assert_cmpuint (GUINT32_FROM_LE (c[3]) >> 27, ==, 2);  /* addressed */
  g_assert_cmpuint (GUINT32_FROM_LE (c[3]) & 0xff, ==, slot);
  g_assert_cmpuint (GUINT32_FROM_LE (c[8]) & 7, ==, 1);    /* EP0 running */
  return slot;
}

unsigned
xtd_control (Xtd *xtd, unsigned slot, uint8_t type, uint8_t req, uint16_t value,
             uint16_t index, uint16_t length, void *data, unsigned *actual)
{
  XtdRing *r = &xtd->ep0[slot];
  gboolean in = (type & 0x80) != 0;
  uint64_t setup = type | ((uint64_t) req << 8) | ((uint64_t) value << 16)
                   | ((uint64_t) index << 32) | ((uint64_t) length << 48);
  uint64_t buf = 0, status_trb;
  unsigned cc = 0;
  XtdTrb ev;

  *actual = 0;
  xtd_ring_put (xtd, r, setup, 8, (2u << 10) | (1u << 6)
                | (length == 0 ? 0 : in ? 3u << 16 : 2u << 16));
  if (length > 0)
    {
      buf = xtd_alloc (xtd, length, 8);
      if (!in)
        memcpy (xtd_ptr (xtd, buf), data, length);
      xtd_ring_put (xtd, r, buf, length, (3u << 10) | (in ? 1u << 16 : 0) | (1u << 2));
    }
  status_trb = xtd_ring_put (xtd, r, 0, 0, (4u << 10) | (1u << 5)
                             | (in && length > 0 ? 0 : 1u << 16));
  xtd_doorbell (xtd, slot, 1);
  *actual = length;
  while (xtd_event (xtd, &ev))
    {
      g_assert_cmpuint (XTD_TYPE (&ev), ==, 32);
      cc = XTD_CC (&ev);
      if (cc == 13)
        *actual = length - (ev.status & 0xffffff);
      if (ev.param == status_trb || (cc != 1 && cc != 13))
        break;
    }
  if (in && length > 0 && cc == 1)
    memcpy (data, xtd_ptr (xtd, buf), *actual);
  return cc;
}

unsigned
xtd_configure_int_in (Xtd *xtd, unsigned slot, unsigned max_packet)
{
  uint64_t in = xtd_alloc (xtd, 33 * 32, 64);
  uint32_t *c = xtd_ptr (xtd, in);
  uint32_t *out = xtd_ptr (xtd, xtd->dev_ctx[slot]);

  xtd->ep1[slot] = xtd_ring_new (xtd, 16);
  c[1] = GUINT32_TO_LE (1u | (1u << 3));                   /* A0, A3 */
  memcpy (c + 8, out, 32);                                 /* slot context */
  c[8] = GUINT32_TO_LE ((GUINT32_FROM_LE (c[8]) & ~(0x1fu << 27)) | (3u << 27));
  c[8 * 4 + 1] = GUINT32_TO_LE ((max_packet << 16) | (7u << 3) | (3u << 1));
  c[8 * 4 + 2] = GUINT32_TO_LE ((uint32_t) xtd->ep1[slot].base | 1);
  return xtd_command (xtd, in, (12u << 10) | (slot << 24), NULL);
}

uint64_t
xtd_queue_int_in (Xtd *xtd, unsigned slot, unsigned len)
{
  uint64_t buf = xtd_alloc (xtd, len, 8);

  xtd_ring_put (xtd, &xtd->ep1[slot], buf, len, (1u << 10) | (1u << 5) | (1u << 2));
  xtd_doorbell (xtd, slot, 3);
  return buf;
}

XtdRing *xtd_int_ring (Xtd *xtd, unsigned slot) { return &xtd->ep1[slot]; }
XtdRing *xtd_ep0_ring (Xtd *xtd, unsigned slot) { return &xtd->ep0[slot]; }
XtdRing *xtd_cmd_ring (Xtd *xtd) { return &xtd->cmd; }
uint64_t xtd_dev_ctx (Xtd *xtd, unsigned slot) { return xtd->dev_ctx[slot]; }
uint64_t xtd_dcbaa (Xtd *xtd) { return xtd->dcbaa; }
