/* input-guest.c: the guest side of the input latency benchmark
 * (bench/input.py), built static and run by the L2 guest's /init.
 *
 *   input-guest KBD_EVENT_NODE TABLET_EVENT_NODE SIZE
 *
 * Puts both event nodes on CLOCK_MONOTONIC (EVIOCSCLOCKID), so every
 * input_event carries the guest kernel's monotonic time of the frame,
 * and the console (stdin, the serial port) in raw mode. Then prints
 * "VIREO-L2-INPUTREADY SIZE" and serves the host until it sends 'q':
 *
 *   - a 'p' on the console is a clock probe: the guest reads its
 *     CLOCK_MONOTONIC and answers with one ACK byte (0x06) at once. The
 *     host timestamps its 'p' and the ACK on its own clock, so the guest's
 *     reading falls between the two: that bounds the offset between the
 *     clocks (bench/README.md).
 *   - every frame (up to SYN_REPORT) from the keyboard with a key going
 *     down or up, and every frame from the tablet, is kept with the
 *     frame's time.
 *
 * On 'q' it prints "VIREO-L2-PING i NS" per probe and "VIREO-L2-EV k NS
 * CODE VALUE" (keyboard) or "VIREO-L2-EV t NS X Y" (tablet, -1 for an
 * axis the frame did not move), then "VIREO-L2-INPUTDONE", and exits.
 * It also stops after 20 minutes without a 'q', so a lost host does not
 * leave the guest running forever.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/input.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_PINGS   1024
#define MAX_FRAMES  8192
#define LIFETIME_S  1200

typedef struct {
  char dev;                 /* 'k' keyboard, 't' tablet */
  int64_t ns;
  int32_t a, b;             /* key code and value, or X and Y */
} Frame;

typedef struct {
  char dev;
  int32_t a, b;
  int have;                 /* the frame holds something to keep */
} Pending;

static Frame frames[MAX_FRAMES];
static int64_t pings[MAX_PINGS];
static unsigned n_frames, n_pings;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
open_node (const char *path)
{
  int clk = CLOCK_MONOTONIC;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    {
      fprintf (stderr, "input-guest: %s: %s\n", path, strerror (errno));
      exit (1);
    }
  if (ioctl (fd, EVIOCSCLOCKID, &clk) < 0)
    {
      fprintf (stderr, "input-guest: EVIOCSCLOCKID on %s: %s\n", path, strerror (errno));
      exit (1);
    }
  return fd;
}

/* Reads what is queued on an event node into frames. */
static void
drain (int fd, Pending *p)
{
  struct input_event ev[64];

  for (;;)
    {
      ssize_t n = read (fd, ev, sizeof ev);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      for (size_t i = 0; i < (size_t) n / sizeof ev[0]; i++)
        {
          const struct input_event *e = &ev[i];

          if (e->type == EV_KEY && p->dev == 'k' && (e->value == 0 || e->value == 1))
            {
              /* Autorepeat (value 2) is the guest's own, not an event sent. */
              p->a = e->code;
              p->b = e->value;
              p->have = 1;
            }
          else if (e->type == EV_ABS && p->dev == 't' && (e->code == ABS_X || e->code == ABS_Y))
            {
              if (e->code == ABS_X)
                p->a = e->value;
              else
                p->b = e->value;
              p->have = 1;
            }
          else if (e->type == EV_SYN && e->code == SYN_REPORT)
            {
              if (p->have && n_frames < MAX_FRAMES)
                frames[n_frames++] = (Frame) {
                  .dev = p->dev,
                  .ns = (int64_t) e->input_event_sec * 1000000000 + (int64_t) e->input_event_usec * 1000,
                  .a = p->a, .b = p->b,
                };
              *p = (Pending) { .dev = p->dev, .a = -1, .b = -1 };
            }
        }
    }
}

int
main (int argc, char **argv)
{
  struct termios saved, raw;
  Pending pend[2] = { { .dev = 'k', .a = -1, .b = -1 }, { .dev = 't', .a = -1, .b = -1 } };
  struct pollfd pfd[3];
  int64_t end;
  int quit = 0;

  if (argc != 4)
    {
      fprintf (stderr, "usage: input-guest KBD_EVENT_NODE TABLET_EVENT_NODE SIZE\n");
      return 2;
    }
  pfd[1] = (struct pollfd) { .fd = open_node (argv[1]), .events = POLLIN };
  pfd[2] = (struct pollfd) { .fd = open_node (argv[2]), .events = POLLIN };
  pfd[0] = (struct pollfd) { .fd = STDIN_FILENO, .events = POLLIN };
  if (tcgetattr (STDIN_FILENO, &saved) < 0)
    {
      fprintf (stderr, "input-guest: the console is not a terminal: %s\n", strerror (errno));
      return 1;
    }
  /* No echo, no line discipline: a probe byte reaches read() at once. */
  raw = saved;
  cfmakeraw (&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr (STDIN_FILENO, TCSANOW, &raw);
  printf ("VIREO-L2-INPUTREADY %s\n", argv[3]);
  fflush (stdout);

  end = now_ns () + (int64_t) LIFETIME_S * 1000000000;
  while (!quit && now_ns () < end)
    {
      int r = poll (pfd, 3, 1000);

      if (r < 0 && errno != EINTR)
        break;
      if (r <= 0)
        continue;
      if (pfd[0].revents & POLLIN)
        {
          char buf[64];
          ssize_t n = read (STDIN_FILENO, buf, sizeof buf);

          for (ssize_t i = 0; i < n; i++)
            {
              if (buf[i] == 'p')
                {
                  int64_t t = now_ns ();
                  const char ack = 0x06;

                  if (write (STDOUT_FILENO, &ack, 1) != 1)
                    return 1;
                  if (n_pings < MAX_PINGS)
                    pings[n_pings++] = t;
                }
              else if (buf[i] == 'q')
                quit = 1;
            }
        }
      else if (pfd[0].revents & (POLLHUP | POLLERR))
        break;
      for (int i = 0; i < 2; i++)
        if (pfd[i + 1].revents & POLLIN)
          drain (pfd[i + 1].fd, &pend[i]);
    }
  tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  printf ("\n");
  for (unsigned i = 0; i < n_pings; i++)
    printf ("VIREO-L2-PING %u %" PRId64 "\n", i, pings[i]);
  for (unsigned i = 0; i < n_frames; i++)
    printf ("VIREO-L2-EV %c %" PRId64 " %" PRId32 " %" PRId32 "\n",
            frames[i].dev, frames[i].ns, frames[i].a, frames[i].b);
  printf ("VIREO-L2-INPUTDONE %u %u\n", n_pings, n_frames);
  fflush (stdout);
  return 0;
}
