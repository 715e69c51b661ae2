/* ps2-mouse.c: a PS/2 mouse; see ps2-mouse.h.
 *
 * What a driver can ask of a PS/2 mouse: reset, identify, sample rate,
 * resolution, scaling, status, stream or remote mode, wrap (echo) mode,
 * resend. The two "knock" sequences of sample rates, 200 100 80 and then
 * 200 200 80, turn it into an IntelliMouse (ID 3, a wheel byte) and an
 * IntelliMouse Explorer (ID 4, wheel plus buttons 4 and 5), as Linux's
 * psmouse and Windows' i8042prt look for them.
 *
 * Every command gets an answer at once: a driver waiting for an
 * acknowledgement that never comes sleeps hundreds of milliseconds per
 * try (the cost of an empty aux port, see i8042.c). Unknown commands and
 * bad arguments get 0xfe (resend), a second bad byte in a row 0xfc
 * (error), as the mouse protocol has it.
 *
 * Motion is kept as counters, as a mouse keeps it, and turned into a
 * packet only when the queue has room for a whole one: a guest that reads
 * slowly gets fewer, larger moves, never half packets or lost motion.
 * Counters beyond what a few packets carry saturate; the next packet then
 * has the overflow bits set, the protocol's way of saying motion was lost.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/ps2-mouse.h"

#include <string.h>

#define ACK    0xfa
#define RESEND 0xfe
#define ERROR  0xfc
#define BAT_OK 0xaa

/* Room for four 4-byte packets: what the guest has not read yet. A
 * deeper queue only delays the pointer behind what the user does. */
#define QUEUE_SIZE 16
/* A packet moves at most -256..255 per axis; counters carry about eight
 * packets' worth, enough for any single host event, before saturating. */
#define COUNTER_MAX 2047
#define WHEEL_MAX 127

#define DEFAULT_RATE 100
#define DEFAULT_RESOLUTION 2    /* 4 counts/mm */

/* Status-byte (0xe9) and packet bits. */
#define PKT_ALWAYS1   0x08
#define PKT_X_SIGN    0x10
#define PKT_Y_SIGN    0x20
#define PKT_X_OVERFLOW 0x40
#define PKT_Y_OVERFLOW 0x80

#define STATUS_REMOTE  0x40
#define STATUS_ENABLED 0x20
#define STATUS_SCALE21 0x10

struct _VmmPs2Mouse {
  uint8_t queue[QUEUE_SIZE];
  unsigned head, count;

  uint8_t pending;          /* a command waiting for its argument */
  unsigned errors;          /* bad bytes in a row */
  gboolean remote, enabled, scale21, wrap;
  uint8_t rate, resolution, id;
  uint8_t rates[3];         /* the last sample rates set, newest last */

  int32_t dx, dy, dz;       /* counters: dy up, dz towards the user */
  gboolean x_over, y_over;
  uint32_t buttons;         /* as the host holds them */
  uint32_t reported;        /* as the last packet said */

  uint8_t last[4];          /* for resend (0xfe) */
  unsigned last_len;
};

static unsigned
queue_room (VmmPs2Mouse *m)
{
  return QUEUE_SIZE - m->count;
}

static void
queue_bytes (VmmPs2Mouse *m, const uint8_t *bytes, unsigned n)
{
  /* A guest that sends commands without reading the answers: drop what
   * does not fit rather than split a reply. */
  if (n > queue_room (m))
    return;
  for (unsigned i = 0; i < n; i++)
    m->queue[(m->head + m->count++) % QUEUE_SIZE] = bytes[i];
  if (n <= sizeof m->last)
    {
      memcpy (m->last, bytes, n);
      m->last_len = n;
    }
}

static void
queue_byte (VmmPs2Mouse *m, uint8_t b)
{
  queue_bytes (m, &b, 1);
}

static unsigned
packet_size (VmmPs2Mouse *m)
{
  return m->id == VMM_PS2_MOUSE_ID_STANDARD ? 3 : 4;
}

static void
clear_motion (VmmPs2Mouse *m)
{
  m->dx = m->dy = m->dz = 0;
  m->x_over = m->y_over = FALSE;
}

static void
set_defaults (VmmPs2Mouse *m)
{
  m->remote = FALSE;
  m->enabled = FALSE;
  m->scale21 = FALSE;
  m->rate = DEFAULT_RATE;
  m->resolution = DEFAULT_RESOLUTION;
  memset (m->rates, 0, sizeof m->rates);
  clear_motion (m);
}

void
vmm_ps2_mouse_reset (VmmPs2Mouse *m)
{
  g_return_if_fail (m != NULL);

  set_defaults (m);
  m->head = m->count = 0;
  m->pending = 0;
  m->errors = 0;
  m->wrap = FALSE;
  m->id = VMM_PS2_MOUSE_ID_STANDARD;
  m->buttons = m->reported = 0;
  m->last_len = 0;
}

VmmPs2Mouse *
vmm_ps2_mouse_new (void)
{
  VmmPs2Mouse *m = g_new0 (VmmPs2Mouse, 1);

  vmm_ps2_mouse_reset (m);
  return m;
}

void
vmm_ps2_mouse_free (VmmPs2Mouse *m)
{
  g_free (m);
}

uint8_t
vmm_ps2_mouse_id (VmmPs2Mouse *m)
{
  g_return_val_if_fail (m != NULL, 0);
  return m->id;
}

/* 2:1 scaling, applied to stream packets only: small moves stay fine,
 * larger ones are doubled. */
static int32_t
scale21 (int32_t v)
{
  static const int8_t table[6] = { 0, 1, 1, 3, 6, 9 };
  int32_t a = ABS (v);

  a = a < 6 ? table[a] : 2 * a;
  return v < 0 ? -a : a;
}

/* Takes up to one packet's worth of motion out of the counters. */
static void
build_packet (VmmPs2Mouse *m, gboolean stream, uint8_t *pkt)
{
  int32_t x = CLAMP (m->dx, -256, 255);
  int32_t y = CLAMP (m->dy, -256, 255);
  int32_t z = CLAMP (m->dz, -8, 7);
  int32_t sx = x, sy = y;
  uint8_t b0 = PKT_ALWAYS1;

  m->dx -= x;
  m->dy -= y;
  m->dz -= z;
  if (stream && m->scale21)
    {
      sx = CLAMP (scale21 (x), -256, 255);
      sy = CLAMP (scale21 (y), -256, 255);
    }

  b0 |= m->buttons & (VMM_PS2_MOUSE_BUTTON_LEFT | VMM_PS2_MOUSE_BUTTON_RIGHT
                      | VMM_PS2_MOUSE_BUTTON_MIDDLE);
  if (sx < 0)
    b0 |= PKT_X_SIGN;
  if (sy < 0)
    b0 |= PKT_Y_SIGN;
  if (m->x_over)
    b0 |= PKT_X_OVERFLOW;
  if (m->y_over)
    b0 |= PKT_Y_OVERFLOW;
  m->x_over = m->y_over = FALSE;
  pkt[0] = b0;
  pkt[1] = (uint8_t) sx;
  pkt[2] = (uint8_t) sy;
  /* Linux's psmouse takes 0xaa 0x00 from the aux port as a mouse that was
   * just plugged in (its self-test result), and resets it. Only a packet
   * with the Y overflow bit can start that way: give up the bit. */
  if (pkt[0] == BAT_OK && pkt[1] == 0x00)
    pkt[0] &= (uint8_t) ~PKT_Y_OVERFLOW;

  if (m->id == VMM_PS2_MOUSE_ID_EXPLORER)
    {
      pkt[3] = (uint8_t) (z & 0x0f);
      if (m->buttons & VMM_PS2_MOUSE_BUTTON_SIDE)
        pkt[3] |= 0x10;
      if (m->buttons & VMM_PS2_MOUSE_BUTTON_EXTRA)
        pkt[3] |= 0x20;
    }
  else if (m->id == VMM_PS2_MOUSE_ID_INTELLIMOUSE)
    pkt[3] = (uint8_t) z;
  else
    m->dz = 0;   /* no wheel to report it on */
  m->reported = m->buttons;
}

/* The buttons this mouse's packets have bits for. */
static uint32_t
reportable (VmmPs2Mouse *m)
{
  return m->id == VMM_PS2_MOUSE_ID_EXPLORER ? 0x1f : 0x07;
}

static gboolean
motion_pending (VmmPs2Mouse *m)
{
  return m->dx != 0 || m->dy != 0 || m->dz != 0 || m->x_over || m->y_over
         || ((m->reported ^ m->buttons) & reportable (m)) != 0;
}

/* Sends what the counters hold, as far as the queue has room. */
static void
stream (VmmPs2Mouse *m)
{
  uint8_t pkt[4];
  unsigned n = packet_size (m);

  if (m->remote || !m->enabled || m->wrap)
    return;
  while (motion_pending (m) && queue_room (m) >= n)
    {
      build_packet (m, TRUE, pkt);
      queue_bytes (m, pkt, n);
    }
}

gboolean
vmm_ps2_mouse_pending (VmmPs2Mouse *m)
{
  g_return_val_if_fail (m != NULL, FALSE);
  return m->count > 0;
}

gboolean
vmm_ps2_mouse_read (VmmPs2Mouse *m, uint8_t *byte)
{
  g_return_val_if_fail (m != NULL && byte != NULL, FALSE);

  if (m->count == 0)
    return FALSE;
  *byte = m->queue[m->head];
  m->head = (m->head + 1) % QUEUE_SIZE;
  m->count--;
  /* Room again: motion that waited goes out. */
  stream (m);
  return TRUE;
}

static int32_t
saturate (int32_t v, int32_t add, int32_t max, gboolean *over)
{
  int64_t s = (int64_t) v + add;

  if (s > max || s < -max)
    {
      if (over != NULL)
        *over = TRUE;
      return s > 0 ? max : -max;
    }
  return (int32_t) s;
}

void
vmm_ps2_mouse_event (VmmPs2Mouse *m, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  g_return_if_fail (m != NULL);

  m->buttons = buttons & 0x1f;
  if (m->wrap || (!m->remote && !m->enabled))
    {
      /* Nobody listens: nothing builds up for later either. */
      clear_motion (m);
      m->reported = m->buttons;
      return;
    }
  m->dx = saturate (m->dx, dx, COUNTER_MAX, &m->x_over);
  /* The host counts down as positive, the mouse up. */
  m->dy = saturate (m->dy, dy == INT32_MIN ? INT32_MAX : -dy, COUNTER_MAX, &m->y_over);
  /* A standard mouse has no wheel: steps would only make empty packets. */
  if (m->id != VMM_PS2_MOUSE_ID_STANDARD)
    m->dz = saturate (m->dz, dz, WHEEL_MAX, NULL);
  stream (m);
}

static gboolean
valid_rate (uint8_t rate)
{
  switch (rate)
    {
    case 10: case 20: case 40: case 60: case 80: case 100: case 200:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
bad_byte (VmmPs2Mouse *m)
{
  m->pending = 0;
  queue_byte (m, m->errors++ == 0 ? RESEND : ERROR);
}

static void
set_rate (VmmPs2Mouse *m, uint8_t rate)
{
  m->rate = rate;
  m->rates[0] = m->rates[1];
  m->rates[1] = m->rates[2];
  m->rates[2] = rate;
  if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80
      && m->id == VMM_PS2_MOUSE_ID_STANDARD)
    m->id = VMM_PS2_MOUSE_ID_INTELLIMOUSE;
  else if (m->rates[0] == 200 && m->rates[1] == 200 && m->rates[2] == 80
           && m->id == VMM_PS2_MOUSE_ID_INTELLIMOUSE)
    m->id = VMM_PS2_MOUSE_ID_EXPLORER;
}

static void
argument (VmmPs2Mouse *m, uint8_t byte)
{
  uint8_t cmd = m->pending;

  if (cmd == 0xf3 && valid_rate (byte))
    set_rate (m, byte);
  else if (cmd == 0xe8 && byte <= 3)
    m->resolution = byte;
  else
    {
      bad_byte (m);
      return;
    }
  m->pending = 0;
  m->errors = 0;
  queue_byte (m, ACK);
}

static void
command (VmmPs2Mouse *m, uint8_t byte)
{
  uint8_t reply[4] = { ACK };
  unsigned n = 1;

  switch (byte)
    {
    case 0xff: /* reset, self test passed, standard mouse again */
      vmm_ps2_mouse_reset (m);
      reply[1] = BAT_OK;
      reply[2] = VMM_PS2_MOUSE_ID_STANDARD;
      n = 3;
      break;
    case 0xfe: /* resend the last reply or packet */
      if (m->last_len > 0)
        {
          uint8_t again[4];
          unsigned len = m->last_len;

          memcpy (again, m->last, len);
          m->errors = 0;
          queue_bytes (m, again, len);
          return;
        }
      n = 0;
      break;
    case 0xf6: /* set defaults */
      set_defaults (m);
      break;
    case 0xf5: /* disable data reporting */
      m->enabled = FALSE;
      clear_motion (m);
      break;
    case 0xf4: /* enable data reporting */
      m->enabled = TRUE;
      clear_motion (m);
      m->reported = m->buttons;
      break;
    case 0xf3: /* set sample rate */
    case 0xe8: /* set resolution */
      m->pending = byte;
      break;
    case 0xf2: /* get device ID */
      reply[1] = m->id;
      n = 2;
      break;
    case 0xf0: /* remote mode */
      m->remote = TRUE;
      clear_motion (m);
      break;
    case 0xee: /* wrap mode: echo everything until 0xec or 0xff */
      m->wrap = TRUE;
      clear_motion (m);
      break;
    case 0xec: /* leave wrap mode (not in it: harmless) */
      m->wrap = FALSE;
      break;
    case 0xeb: /* read data: one packet, motion or not */
      build_packet (m, FALSE, reply + 1);
      /* The counters restart after a read, as the command defines. */
      clear_motion (m);
      n = 1 + packet_size (m);
      break;
    case 0xea: /* stream mode */
      m->remote = FALSE;
      clear_motion (m);
      break;
    case 0xe9: /* status request */
      reply[1] = (uint8_t) ((m->remote ? STATUS_REMOTE : 0)
                            | (m->enabled ? STATUS_ENABLED : 0)
                            | (m->scale21 ? STATUS_SCALE21 : 0)
                            | ((m->buttons & VMM_PS2_MOUSE_BUTTON_LEFT) ? 0x04 : 0)
                            | ((m->buttons & VMM_PS2_MOUSE_BUTTON_MIDDLE) ? 0x02 : 0)
                            | ((m->buttons & VMM_PS2_MOUSE_BUTTON_RIGHT) ? 0x01 : 0));
      reply[2] = m->resolution;
      reply[3] = m->rate;
      n = 4;
      break;
    case 0xe7: /* scaling 2:1 */
      m->scale21 = TRUE;
      break;
    case 0xe6: /* scaling 1:1 */
      m->scale21 = FALSE;
      break;
    default:
      bad_byte (m);
      return;
    }
  m->errors = 0;
  queue_bytes (m, reply, n);
}

void
vmm_ps2_mouse_write (VmmPs2Mouse *m, uint8_t byte)
{
  g_return_if_fail (m != NULL);

  if (m->wrap && byte != 0xec && byte != 0xff)
    {
      queue_byte (m, byte);
      return;
    }
  /* A byte from the host stops the mouse's transmission: whatever it had
   * not sent yet is dropped, and the answer comes first. */
  m->head = m->count = 0;
  /* Reset works even where an argument was expected (0xff is neither a
   * rate nor a resolution): it is how drivers recover a confused mouse. */
  if (m->pending != 0 && byte != 0xff)
    argument (m, byte);
  else
    command (m, byte);
  stream (m);
}
