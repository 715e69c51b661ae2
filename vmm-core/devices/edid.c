/* edid.c: an EDID 1.4 base block (VESA E-EDID, release A rev. 2).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/edid.h"

#include <string.h>

#define REFRESH_HZ 60
#define DPI        96

static void
put_descriptor_text (uint8_t *d, uint8_t tag, const char *text)
{
  size_t n = strlen (text);

  memset (d, 0, 18);
  d[3] = tag;
  memset (d + 5, ' ', 13);
  memcpy (d + 5, text, n < 13 ? n : 13);
  if (n < 13)
    d[5 + n] = '\n';
}

/* A detailed timing with reduced blanking (CVT-RB-like): small fixed
 * horizontal blanking, enough vertical blanking for any virtual monitor. */
static void
put_detailed_timing (uint8_t *d, uint32_t w, uint32_t h)
{
  const uint32_t hfront = 48, hsync = 32, hblank = 160;
  const uint32_t vfront = 3, vsync = 5, vblank = 35;
  uint64_t clock = (uint64_t) (w + hblank) * (h + vblank) * REFRESH_HZ / 10000;  /* 10 kHz units */
  uint32_t wmm = w * 254 / (DPI * 10), hmm = h * 254 / (DPI * 10);

  if (clock > 0xffff)
    clock = 0xffff;
  memset (d, 0, 18);
  d[0] = (uint8_t) clock;
  d[1] = (uint8_t) (clock >> 8);
  d[2] = (uint8_t) w;
  d[3] = (uint8_t) hblank;
  d[4] = (uint8_t) (((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf));
  d[5] = (uint8_t) h;
  d[6] = (uint8_t) vblank;
  d[7] = (uint8_t) (((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf));
  d[8] = (uint8_t) hfront;
  d[9] = (uint8_t) hsync;
  d[10] = (uint8_t) ((vfront & 0xf) << 4 | (vsync & 0xf));
  d[11] = (uint8_t) (((hfront >> 8) & 3) << 6 | ((hsync >> 8) & 3) << 4
                     | ((vfront >> 4) & 3) << 2 | ((vsync >> 4) & 3));
  d[12] = (uint8_t) wmm;
  d[13] = (uint8_t) hmm;
  d[14] = (uint8_t) (((wmm >> 8) & 0xf) << 4 | ((hmm >> 8) & 0xf));
  d[17] = 0x1e;   /* digital separate sync, both polarities positive */
}

void
vmm_edid_build (uint8_t edid[VMM_EDID_SIZE], uint32_t width, uint32_t height)
{
  static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
  /* sRGB primaries and white point, 10-bit fixed point, as the standard
   * example gives them. */
  static const uint8_t srgb[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54 };
  uint32_t w = width < 640 ? 640 : width > VMM_EDID_MAX_WIDTH ? VMM_EDID_MAX_WIDTH : width;
  uint32_t h = height < 480 ? 480 : height > VMM_EDID_MAX_HEIGHT ? VMM_EDID_MAX_HEIGHT : height;
  uint8_t sum = 0;

  memset (edid, 0, VMM_EDID_SIZE);
  memcpy (edid, header, sizeof header);
  /* Manufacturer "VIR": three 5-bit letters, big-endian. */
  edid[8] = (uint8_t) ((('V' - '@') << 2) | (('I' - '@') >> 3));
  edid[9] = (uint8_t) ((('I' - '@') << 5) | ('R' - '@'));
  edid[10] = 0x01;                /* product code */
  edid[16] = 0xff;                /* week: model year given */
  edid[17] = 2026 - 1990;
  edid[18] = 1;                   /* EDID 1.4 */
  edid[19] = 4;
  edid[20] = 0xa5;                /* digital, 8 bits per colour, DisplayPort */
  edid[21] = (uint8_t) (w * 254 / (DPI * 100));   /* cm */
  edid[22] = (uint8_t) (h * 254 / (DPI * 100));
  edid[23] = 120;                 /* gamma 2.2 */
  edid[24] = 0x06;                /* RGB 4:4:4, sRGB default, preferred timing is native */
  memcpy (edid + 25, srgb, sizeof srgb);
  edid[35] = 0x21;                /* established: 640x480@60, 800x600@60 */
  edid[36] = 0x08;                /* 1024x768@60 */
  for (unsigned i = 38; i < 54; i += 2)
    {
      edid[i] = 0x01;             /* standard timings unused */
      edid[i + 1] = 0x01;
    }
  put_detailed_timing (edid + 54, w, h);
  put_descriptor_text (edid + 72, 0xfc, "Vireo");
  /* Range limits: 50-75 Hz, 30-255 kHz, 655 MHz, no secondary timing. */
  memset (edid + 90, 0, 18);
  edid[93] = 0xfd;
  edid[95] = 50;
  edid[96] = 75;
  edid[97] = 30;
  edid[98] = 255;
  edid[99] = 66;
  edid[101] = 0x0a;
  memset (edid + 102, ' ', 6);
  put_descriptor_text (edid + 108, 0xff, "0001");
  edid[126] = 0;                  /* no extensions */
  for (unsigned i = 0; i < 127; i++)
    sum = (uint8_t) (sum + edid[i]);
  edid[127] = (uint8_t) (0x100 - sum);
}
