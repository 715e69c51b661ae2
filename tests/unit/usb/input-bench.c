/* input-bench.c: the monitor's share of the input latency, from a
 * VmmDisplay input event (what the SPICE server's input callbacks call) to
 * the transfer event in the guest's event ring with its interrupt sent.
 *
 * An input thread plays the SPICE server, sending a key or a pointer move
 * every couple of milliseconds; the main thread plays the guest's xHCI
 * driver, spinning on its event ring and re-arming the interrupt IN
 * transfer as usbhid does. Prints one line:
 *   events N median_us M p99_us P max_us X
 *
 * The guest's own share (interrupt handling, usbhid, evdev) is measured by
 * the lab benchmark; this one needs no guest.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "xhci-test-driver.h"
#include "usb/usb-input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  VmmDisplay *display;
  unsigned n;
  gint64 *sent;             /* when event i was sent */
  gint armed;               /* the driver has a transfer queued */
  gint stop;
} Bench;

static gpointer
input_thread (gpointer data)
{
  Bench *b = data;

  for (unsigned i = 0; i < b->n && !g_atomic_int_get (&b->stop); i++)
    {
      /* Wait until the driver re-armed, as a human's events are far apart. */
      while (!g_atomic_int_get (&b->armed) && !g_atomic_int_get (&b->stop))
        g_usleep (50);
      g_usleep (1000);
      g_atomic_int_set (&b->armed, 0);
      b->sent[i] = g_get_monotonic_time ();
      if (i % 2 == 0)
        vmm_display_key (b->display, 0x1e, (i / 2) % 2 == 0);
      else
        vmm_display_pointer (b->display, (int32_t) (i % 640), (int32_t) (i % 480), 0);
    }
  return NULL;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  unsigned n = argc > 1 ? (unsigned) atoi (argv[1]) : 1000;
  Xtd *xtd = xtd_new ();
  VmmUsbHid *tablet = vmm_usb_tablet_new (), *kbd = vmm_usb_keyboard_new ();
  static uint32_t pixels[640 * 480];
  VmmDisplaySurface surface = { VMM_DISPLAY_FORMAT_XRGB8888, 640, 480, 640 * 4, pixels,
                                sizeof pixels };
  Bench b = { .display = vmm_display_new (), .n = n };
  gint64 *lat = g_new0 (gint64, n);
  unsigned kslot, tslot, actual, got = 0;
  VmmUsbInput *router;
  GThread *thread;

  if (n == 0)
    return 1;
  b.sent = g_new0 (gint64, n);
  vmm_xhci_attach (xtd_xhci (xtd), 1, vmm_usb_hid_device (tablet));
  vmm_xhci_attach (xtd_xhci (xtd), 2, vmm_usb_hid_device (kbd));
  xtd_start (xtd);
  tslot = xtd_address (xtd, 1);
  kslot = xtd_address (xtd, 2);
  xtd_control (xtd, tslot, 0x00, 9, 1, 0, 0, NULL, &actual);
  xtd_control (xtd, kslot, 0x00, 9, 1, 0, 0, NULL, &actual);
  xtd_configure_int_in (xtd, tslot, 8);
  xtd_configure_int_in (xtd, kslot, 16);
  vmm_display_set_surface (b.display, &surface);
  router = vmm_usb_input_new (b.display, kbd, tablet, NULL, NULL);

  xtd_queue_int_in (xtd, tslot, 8);
  xtd_queue_int_in (xtd, kslot, 16);
  g_atomic_int_set (&b.armed, 1);
  thread = g_thread_new ("input", input_thread, &b);
  while (got < n)
    {
      XtdTrb ev;
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      while (!xtd_event (xtd, &ev))
        if (g_get_monotonic_time () > deadline)
          {
            fprintf (stderr, "input-bench: event %u never arrived\n", got);
            g_atomic_int_set (&b.stop, 1);
            g_thread_join (thread);
            return 1;
          }
      lat[got] = g_get_monotonic_time () - b.sent[got];
      got++;
      xtd_queue_int_in (xtd, XTD_SLOT (&ev), XTD_SLOT (&ev) == kslot ? 16 : 8);
      g_atomic_int_set (&b.armed, 1);
    }
  g_thread_join (thread);
  qsort (lat, n, sizeof *lat, cmp_i64);
  printf ("events %u median_us %" G_GINT64_FORMAT " p99_us %" G_GINT64_FORMAT
          " max_us %" G_GINT64_FORMAT "\n", n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
  vmm_usb_input_free (router);
  xtd_free (xtd);
  vmm_usb_hid_free (tablet);
  vmm_usb_hid_free (kbd);
  vmm_display_free (b.display);
  g_free (lat);
  g_free (b.sent);
  return 0;
}
