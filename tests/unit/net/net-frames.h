/* net-frames.h: building and reading ethernet frames in tests, as a
 * guest's network stack would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <arpa/inet.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#define ETH_HLEN_ 14
#define IP_HLEN_  20

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline uint16_t
frames_get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static inline void
frames_put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static inline uint32_t
frames_ip (const char *text)
{
  struct in_addr a;

  g_assert_cmpint (inet_pton (AF_INET, text, &a), ==, 1);
  return ntohl (a.s_addr);
}

static inline void
frames_put32 (uint8_t *p, uint32_t v)
{
  frames_put16 (p, (uint16_t) (v >> 16));
  frames_put16 (p + 2, (uint16_t) v);
}

static inline uint32_t
frames_get32 (const uint8_t *p)
{
  return (uint32_t) frames_get16 (p) << 16 | frames_get16 (p + 2);
}

/* The Internet checksum (RFC 1071) of @len bytes, starting from @sum. */
static inline uint16_t
frames_csum (const uint8_t *p, size_t len, uint32_t sum)
{
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += frames_get16 (p + i);
  if (len & 1)
    sum += (uint32_t) p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

static inline void
frames_eth (uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
  memcpy (f, dst, 6);
  memcpy (f + 6, src, 6);
  frames_put16 (f + 12, type);
}

/* An IPv4 header at @ip with a valid checksum. */
static inline void
frames_ipv4 (uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t payload_len)
{
  memset (ip, 0, IP_HLEN_);
  ip[0] = 0x45;
  frames_put16 (ip + 2, (uint16_t) (IP_HLEN_ + payload_len));
  ip[8] = 64;
  ip[9] = proto;
  frames_put32 (ip + 12, src);
  frames_put32 (ip + 16, dst);
  frames_put16 (ip + 10, frames_csum (ip, IP_HLEN_, 0));
}

/* ARP request from the guest (@sender_ip) for @target_ip. */
static inline size_t
frames_arp_request (uint8_t *f, uint32_t sender_ip, uint32_t target_ip)
{
  uint8_t *a = f + ETH_HLEN_;

  frames_eth (f, broadcast_mac, guest_mac, 0x0806);
  frames_put16 (a, 1);
  frames_put16 (a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  frames_put16 (a + 6, 1);
  memcpy (a + 8, guest_mac, 6);
  frames_put32 (a + 14, sender_ip);
  memset (a + 18, 0, 6);
  frames_put32 (a + 24, target_ip);
  return ETH_HLEN_ + 28;
}

/* ARP reply from the guest (@sender_ip) to @target_mac/@target_ip. */
static inline size_t
frames_arp_reply (uint8_t *f, uint32_t sender_ip, const uint8_t *target_mac, uint32_t target_ip)
{
  size_t len = frames_arp_request (f, sender_ip, target_ip);

  memcpy (f, target_mac, 6);
  frames_put16 (f + ETH_HLEN_ + 6, 2);
  memcpy (f + ETH_HLEN_ + 18, target_mac, 6);
  return len;
}

/* DHCPDISCOVER from the guest, UDP checksum left out (allowed for IPv4). */
static inline size_t
frames_dhcp_discover (uint8_t *f, uint32_t xid)
{
  uint8_t *ip = f + ETH_HLEN_, *udp = ip + IP_HLEN_, *b = udp + 8;
  const size_t bootp_len = 300;

  memset (f, 0, ETH_HLEN_ + IP_HLEN_ + 8 + bootp_len);
  frames_eth (f, broadcast_mac, guest_mac, 0x0800);
  frames_put16 (udp, 68);
  frames_put16 (udp + 2, 67);
  frames_put16 (udp + 4, (uint16_t) (8 + bootp_len));
  b[0] = 1;                           /* BOOTREQUEST */
  b[1] = 1;                           /* ethernet */
  b[2] = 6;
  frames_put32 (b + 4, xid);
  memcpy (b + 28, guest_mac, 6);      /* chaddr */
  frames_put32 (b + 236, 0x63825363); /* magic cookie */
  b[240] = 53;                        /* DHCP message type */
  b[241] = 1;
  b[242] = 1;                         /* DISCOVER */
  b[243] = 255;
  frames_ipv4 (ip, 17, 0, 0xffffffff, (uint16_t) (8 + bootp_len));
  return ETH_HLEN_ + IP_HLEN_ + 8 + bootp_len;
}

/* A TCP segment from the guest with a valid checksum. */
static inline size_t
frames_tcp (uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint16_t sport,
            uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
            const void *payload, size_t payload_len)
{
  uint8_t *ip = f + ETH_HLEN_, *tcp = ip + IP_HLEN_;
  uint32_t sum;
  uint16_t tcp_len = (uint16_t) (20 + payload_len);

  frames_eth (f, dst_mac, guest_mac, 0x0800);
  memset (tcp, 0, 20);
  frames_put16 (tcp, sport);
  frames_put16 (tcp + 2, dport);
  frames_put32 (tcp + 4, seq);
  frames_put32 (tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  frames_put16 (tcp + 14, 65535);
  if (payload_len > 0)
    memcpy (tcp + 20, payload, payload_len);
  frames_ipv4 (ip, 6, src, dst, tcp_len);
  sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + tcp_len;
  frames_put16 (tcp + 16, frames_csum (tcp, tcp_len, sum));
  return ETH_HLEN_ + IP_HLEN_ + tcp_len;
}

/* The DHCP message type of a frame, or 0 when it is not DHCP to the guest. */
static inline int
frames_dhcp_type (const uint8_t *f, size_t len, uint32_t *yiaddr)
{
  const uint8_t *ip = f + ETH_HLEN_, *udp, *b;
  size_t ihl, opt;

  if (len < ETH_HLEN_ + IP_HLEN_ + 8 + 240 || frames_get16 (f + 12) != 0x0800 || ip[9] != 17)
    return 0;
  ihl = (size_t) (ip[0] & 15) * 4;
  udp = ip + ihl;
  if (frames_get16 (udp) != 67 || frames_get16 (udp + 2) != 68)
    return 0;
  b = udp + 8;
  if (b[0] != 2 || frames_get32 (b + 236) != 0x63825363)
    return 0;
  *yiaddr = frames_get32 (b + 16);
  opt = (size_t) (b + 240 - f);
  while (opt + 2 <= len && f[opt] != 255)
    {
      if (f[opt] == 0)
        {
          opt++;
          continue;
        }
      if (f[opt] == 53 && opt + 2 < len)
        return f[opt + 2];
      opt += 2 + (size_t) f[opt + 1];
    }
  return 0;
}
