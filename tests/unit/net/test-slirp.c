/* test-slirp.c: the libslirp back-end, with the test as the guest's NIC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/hostfwd.h"
#include "net/slirp.h"
#include "ioloop.h"
#include "vireo-vmm.h"

#include "net-frames.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_US (10 * G_USEC_PER_SEC)

/* The NIC's side: frames the back-end delivers land on a queue; while
 * `full` is set the guest has no receive buffers. */
typedef struct {
  GAsyncQueue *frames;        /* GBytes */
  gint full;
  gint tx_resumed;
} Nic;

static size_t
iov_total_len (const struct iovec *iov, unsigned n)
{
  size_t total = 0;

  for (unsigned i = 0; i < n; i++)
    total += iov[i].iov_len;
  return total;
}

static ssize_t
nic_receive (void *opaque, const struct iovec *iov, unsigned n)
{
  Nic *nic = opaque;
  GByteArray *frame;

  if (g_atomic_int_get (&nic->full))
    return 0;
  frame = g_byte_array_new ();
  for (unsigned i = 0; i < n; i++)
    g_byte_array_append (frame, iov[i].iov_base, (guint) iov[i].iov_len);
  g_async_queue_push (nic->frames, g_byte_array_free_to_bytes (frame));
  return (ssize_t) iov_total_len (iov, n);
}

static void
nic_tx_resume (void *opaque)
{
  Nic *nic = opaque;

  g_atomic_int_inc (&nic->tx_resumed);
}

static const VmmNetPeerOps nic_ops = {
  .receive = nic_receive,
  .tx_resume = nic_tx_resume,
};

static void
nic_init (Nic *nic)
{
  nic->frames = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  nic->full = 0;
  nic->tx_resumed = 0;
}

static void
nic_clear (Nic *nic)
{
  g_async_queue_unref (nic->frames);
}

static void
send_frame (VmmNetBackend *be, const uint8_t *f, size_t len)
{
  struct iovec iov = { (void *) f, len };

  g_assert_cmpint (vmm_net_backend_send (be, &iov, 1), ==, 0);
}

typedef gboolean (*FrameMatch) (const uint8_t *f, size_t len, gpointer data);

/* Waits for a frame that @match accepts, skipping others; NULL on timeout. */
static GBytes *
wait_frame (Nic *nic, FrameMatch match, gpointer data)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  for (;;)
    {
      gint64 left = end - g_get_monotonic_time ();
      GBytes *b;
      gsize len;
      const uint8_t *f;

      if (left <= 0)
        return NULL;
      b = g_async_queue_timeout_pop (nic->frames, (guint64) left);
      if (b == NULL)
        return NULL;
      f = g_bytes_get_data (b, &len);
      if (match (f, len, data))
        return b;
      g_bytes_unref (b);
    }
}

/* The back-end's statistics once the counter at @offset is non-zero. */
static VmmNetStats
wait_stats (VmmNetBackend *be, goffset offset)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  VmmNetStats stats;

  for (;;)
    {
      vmm_net_backend_get_stats (be, &stats);
      if (G_STRUCT_MEMBER (uint64_t, &stats, offset) != 0 || g_get_monotonic_time () > end)
        return stats;
      g_usleep (1000);
    }
}

static VmmNetBackend *
new_backend (const char *const *hostfwd, gboolean restricted)
{
  VmmNetSlirpConfig config = { .hostfwd = hostfwd, .restricted = restricted };
  g_autoptr (GError) error = NULL;
  VmmNetBackend *be = vmm_net_slirp_new (&config, &error);

  g_assert_no_error (error);
  g_assert_nonnull (be);
  return be;
}

static gboolean
is_dhcp_offer (const uint8_t *f, size_t len, gpointer data)
{
  uint32_t yiaddr = 0;

  if (frames_dhcp_type (f, len, &yiaddr) != 2)
    return FALSE;
  *(uint32_t *) data = yiaddr;
  return TRUE;
}

static void
test_dhcp_offer (void)
{
  Nic nic;
  VmmNetBackend *be;
  uint8_t f[1024];
  uint32_t yiaddr = 0;
  g_autoptr (GBytes) offer = NULL;
  VmmNetStats stats;

  nic_init (&nic);
  be = new_backend (NULL, FALSE);
  g_assert_true (be->rx_csum_valid);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);

  send_frame (be, f, frames_dhcp_discover (f, 0x1234abcd));
  offer = wait_frame (&nic, is_dhcp_offer, &yiaddr);
  g_assert_nonnull (offer);
  g_assert_cmphex (yiaddr, ==, frames_ip ("10.0.2.15"));
  /* Sent to the guest's MAC or broadcast, from the gateway's. */
  g_assert_true (memcmp (g_bytes_get_data (offer, NULL), guest_mac, 6) == 0
                 || memcmp (g_bytes_get_data (offer, NULL), broadcast_mac, 6) == 0);

  /* The back-end counts once the NIC's callback has returned. */
  stats = wait_stats (be, G_STRUCT_OFFSET (VmmNetStats, rx_frames));
  g_assert_cmpuint (stats.tx_frames, ==, 1);
  g_assert_cmpuint (stats.rx_frames, >=, 1);

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

typedef struct {
  uint32_t sender_ip;
  uint16_t op;
  uint8_t sender_mac[6];
} ArpMatch;

static gboolean
is_arp (const uint8_t *f, size_t len, gpointer data)
{
  ArpMatch *m = data;

  if (len < ETH_HLEN_ + 28 || frames_get16 (f + 12) != 0x0806)
    return FALSE;
  if (frames_get16 (f + ETH_HLEN_ + 6) != m->op || frames_get32 (f + ETH_HLEN_ + 14) != m->sender_ip)
    return FALSE;
  memcpy (m->sender_mac, f + ETH_HLEN_ + 8, 6);
  return TRUE;
}

static void
test_arp_gateway (void)
{
  Nic nic;
  VmmNetBackend *be;
  uint8_t f[128];
  ArpMatch m = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  g_autoptr (GBytes) reply = NULL;

  nic_init (&nic);
  be = new_backend (NULL, FALSE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);

  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &m);
  g_assert_nonnull (reply);
  /* Unicast back to the asker. */
  g_assert_true (memcmp (g_bytes_get_data (reply, NULL), guest_mac, 6) == 0);
  g_assert_cmpuint (frames_get32 ((const uint8_t *) g_bytes_get_data (reply, NULL) + ETH_HLEN_ + 24),
                    ==, frames_ip ("10.0.2.15"));

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

typedef struct {
  VmmNetBackend *be;
  uint8_t frame[1024];
  size_t len;
  gboolean was_current;
} SendOnLoop;

static void
send_on_loop (void *opaque)
{
  SendOnLoop *c = opaque;
  struct iovec iov[2] = { { c->frame, 100 }, { c->frame + 100, c->len - 100 } };

  /* From the loop thread, in two pieces: the direct path. */
  g_assert_true (vmm_net_backend_can_send (c->be));
  g_assert_cmpint (vmm_net_backend_send (c->be, iov, 2), ==, 0);
}

/* Attached to a NIC's loop, slirp runs there: a frame sent on that
 * thread goes straight in, and the answer comes back on it. */
static void
test_attached (void)
{
  Nic nic;
  g_autoptr (GError) error = NULL;
  VmmIoLoop *loop = vmm_ioloop_new ("test-nic", &error);
  SendOnLoop c;
  uint32_t yiaddr = 0;
  g_autoptr (GBytes) offer = NULL;
  uint8_t f[128];
  ArpMatch m = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  g_autoptr (GBytes) reply = NULL;

  g_assert_no_error (error);
  nic_init (&nic);
  c.be = new_backend (NULL, FALSE);
  g_assert_cmpint (vmm_net_backend_attach (c.be, loop), ==, 0);
  /* Attaching again to the same loop changes nothing. */
  g_assert_cmpint (vmm_net_backend_attach (c.be, loop), ==, 0);
  vmm_net_backend_set_peer (c.be, &nic_ops, &nic);

  c.len = frames_dhcp_discover (c.frame, 77);
  vmm_ioloop_run_sync (loop, send_on_loop, &c);
  offer = wait_frame (&nic, is_dhcp_offer, &yiaddr);
  g_assert_nonnull (offer);
  g_assert_cmphex (yiaddr, ==, frames_ip ("10.0.2.15"));

  /* Other threads still queue. */
  send_frame (c.be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &m);
  g_assert_nonnull (reply);

  vmm_net_backend_set_peer (c.be, NULL, NULL);
  vmm_net_backend_free (c.be);
  vmm_ioloop_free (loop);
  nic_clear (&nic);
}

/* While the guest has no receive buffers, the reply waits; rx_resume
 * delivers it, nothing lost. */
static void
test_rx_backpressure (void)
{
  Nic nic;
  VmmNetBackend *be;
  uint8_t f[128];
  ArpMatch m = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  g_autoptr (GBytes) reply = NULL;
  VmmNetStats stats;

  nic_init (&nic);
  nic.full = 1;
  be = new_backend (NULL, FALSE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);

  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  stats = wait_stats (be, G_STRUCT_OFFSET (VmmNetStats, rx_deferred));
  g_assert_cmpuint (stats.rx_deferred, >=, 1);
  g_assert_cmpint (g_async_queue_length (nic.frames), ==, 0);

  g_atomic_int_set (&nic.full, 0);
  vmm_net_backend_rx_resume (be);
  reply = wait_frame (&nic, is_arp, &m);
  g_assert_nonnull (reply);
  vmm_net_backend_get_stats (be, &stats);
  g_assert_cmpuint (stats.rx_dropped, ==, 0);

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

static void
test_tx_bad_sizes (void)
{
  VmmNetBackend *be = new_backend (NULL, FALSE);
  g_autofree uint8_t *big = g_malloc0 (VMM_NET_MAX_FRAME + 1);
  struct iovec iov = { big, 10 };
  struct iovec parts[2] = { { big, VMM_NET_MAX_FRAME }, { big, 1 } };
  VmmNetStats stats;

  g_assert_cmpint (vmm_net_backend_send (be, &iov, 1), ==, -EMSGSIZE);
  iov.iov_len = VMM_NET_MAX_FRAME + 1;
  g_assert_cmpint (vmm_net_backend_send (be, &iov, 1), ==, -EMSGSIZE);
  g_assert_cmpint (vmm_net_backend_send (be, parts, 2), ==, -EMSGSIZE);
  /* Garbage of a legal size goes to slirp, which must cope. */
  iov.iov_len = 1000;
  memset (big, 0xa5, 1000);
  g_assert_cmpint (vmm_net_backend_send (be, &iov, 1), ==, 0);
  g_assert_true (vmm_net_backend_can_send (be));

  vmm_net_backend_get_stats (be, &stats);
  g_assert_cmpuint (stats.tx_dropped, ==, 3);
  g_assert_cmpuint (stats.tx_frames, ==, 1);
  vmm_net_backend_free (be);
}

/* A port nobody listens on right now. */
static uint16_t
free_port (int type)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, type, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  close (fd);
  return ntohs (sa.sin_port);
}

typedef struct {
  uint16_t dport;
  uint32_t seq;
  uint16_t sport;
  uint32_t src;
} SynMatch;

static gboolean
is_syn (const uint8_t *f, size_t len, gpointer data)
{
  SynMatch *m = data;
  const uint8_t *ip = f + ETH_HLEN_, *tcp;

  if (len < ETH_HLEN_ + IP_HLEN_ + 20 || frames_get16 (f + 12) != 0x0800 || ip[9] != 6)
    return FALSE;
  tcp = ip + (ip[0] & 15) * 4;
  if (frames_get32 (ip + 16) != frames_ip ("10.0.2.15") || frames_get16 (tcp + 2) != m->dport)
    return FALSE;
  if ((tcp[13] & 0x12) != 0x02)
    return FALSE;
  m->seq = frames_get32 (tcp + 4);
  m->sport = frames_get16 (tcp);
  m->src = frames_get32 (ip + 12);
  return TRUE;
}

typedef struct {
  uint16_t sport;
  uint32_t want_ack;
} AckMatch;

static gboolean
is_ack (const uint8_t *f, size_t len, gpointer data)
{
  AckMatch *m = data;
  const uint8_t *ip = f + ETH_HLEN_, *tcp;

  if (len < ETH_HLEN_ + IP_HLEN_ + 20 || frames_get16 (f + 12) != 0x0800 || ip[9] != 6)
    return FALSE;
  tcp = ip + (ip[0] & 15) * 4;
  return frames_get16 (tcp) == m->sport && (tcp[13] & 0x10) && frames_get32 (tcp + 8) == m->want_ack;
}

/* The full path of a forward: a host client connects, the guest sees the
 * SYN, answers it, and the client's bytes reach the guest. */
static void
test_hostfwd_tcp (void)
{
  Nic nic;
  uint16_t port = free_port (SOCK_STREAM);
  g_autofree char *spec = g_strdup_printf ("tcp:127.0.0.1:%u-:22", port);
  const char *fwds[] = { spec, "udp::0-:53", NULL };
  VmmNetBackend *be;
  VmmNetSlirpConfig config = { .hostfwd = fwds };
  g_autoptr (GError) error = NULL;
  uint8_t f[256];
  ArpMatch arp = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  SynMatch syn = { .dport = 22 };
  g_autoptr (GBytes) reply = NULL, syn_frame = NULL, data_frame = NULL;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd;

  /* Port 0 is not a port. */
  be = vmm_net_slirp_new (&config, &error);
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "udp::0-:53"));
  g_assert_null (be);
  fwds[1] = NULL;

  nic_init (&nic);
  be = new_backend (fwds, FALSE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);

  /* The guest's ARP request teaches slirp the guest's MAC. */
  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &arp);
  g_assert_nonnull (reply);

  fd = socket (AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);

  syn_frame = wait_frame (&nic, is_syn, &syn);
  g_assert_nonnull (syn_frame);
  g_assert_cmpuint (syn.src, ==, frames_ip ("10.0.2.2"));

  /* SYN-ACK from the guest's port 22, then the client talks. */
  {
    AckMatch ack = { .sport = syn.sport, .want_ack = 1000 + 1 };
    static const char hello[] = "hello guest";
    const uint8_t *d;
    gsize len;
    const uint8_t *ip, *tcp;

    send_frame (be, f, frames_tcp (f, arp.sender_mac, frames_ip ("10.0.2.15"), 22,
                                   syn.src, syn.sport, 1000, syn.seq + 1, 0x12, NULL, 0));
    g_assert_cmpint (write (fd, hello, sizeof hello), ==, (ssize_t) sizeof hello);
    data_frame = wait_frame (&nic, is_ack, &ack);
    g_assert_nonnull (data_frame);
    d = g_bytes_get_data (data_frame, &len);
    ip = d + ETH_HLEN_;
    tcp = ip + (ip[0] & 15) * 4;
    /* A bare ACK may come first; the data follows. */
    if (len == (gsize) (tcp + (tcp[12] >> 4) * 4 - d))
      {
        g_bytes_unref (data_frame);
        data_frame = wait_frame (&nic, is_ack, &ack);
        g_assert_nonnull (data_frame);
        d = g_bytes_get_data (data_frame, &len);
        ip = d + ETH_HLEN_;
        tcp = ip + (ip[0] & 15) * 4;
      }
    g_assert_cmpuint (len - (gsize) (tcp + (tcp[12] >> 4) * 4 - d), ==, sizeof hello);
    g_assert_cmpstr ((const char *) tcp + (tcp[12] >> 4) * 4, ==, hello);
  }

  close (fd);
  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

typedef struct {
  uint16_t dport;
  const char *payload;
} UdpMatch;

static gboolean
is_udp_to_guest (const uint8_t *f, size_t len, gpointer data)
{
  UdpMatch *m = data;
  const uint8_t *ip = f + ETH_HLEN_, *udp;
  size_t plen = strlen (m->payload);

  if (len < ETH_HLEN_ + IP_HLEN_ + 8 || frames_get16 (f + 12) != 0x0800 || ip[9] != 17)
    return FALSE;
  udp = ip + (ip[0] & 15) * 4;
  return frames_get32 (ip + 16) == frames_ip ("10.0.2.15") && frames_get16 (udp + 2) == m->dport
         && frames_get16 (udp + 4) == 8 + plen && (size_t) (udp + 8 - f) + plen <= len
         && memcmp (udp + 8, m->payload, plen) == 0;
}

/* Several forwards at once, UDP among them: a datagram to the host port
 * arrives in the guest on the forwarded port. */
static void
test_hostfwd_udp (void)
{
  Nic nic;
  uint16_t uport = free_port (SOCK_DGRAM), tport = free_port (SOCK_STREAM);
  g_autofree char *uspec = g_strdup_printf ("udp:127.0.0.1:%u-:5353", uport);
  g_autofree char *tspec = g_strdup_printf ("tcp:127.0.0.1:%u-10.0.2.15:80", tport);
  const char *fwds[] = { tspec, uspec, NULL };
  VmmNetBackend *be;
  uint8_t f[128];
  ArpMatch arp = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  UdpMatch m = { .dport = 5353, .payload = "vireo-udp" };
  g_autoptr (GBytes) reply = NULL, dgram = NULL;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (uport),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd;

  nic_init (&nic);
  be = new_backend (fwds, FALSE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);
  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &arp);
  g_assert_nonnull (reply);

  fd = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (sendto (fd, m.payload, strlen (m.payload), 0, (struct sockaddr *) &sa, sizeof sa),
                   ==, (ssize_t) strlen (m.payload));
  dgram = wait_frame (&nic, is_udp_to_guest, &m);
  g_assert_nonnull (dgram);
  close (fd);

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

static void
check_busy (int type, const char *proto)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, type, 0);
  g_autofree char *spec = NULL;
  const char *fwds[2] = { NULL, NULL };
  VmmNetSlirpConfig config = { .hostfwd = fwds };
  g_autoptr (GError) error = NULL;
  g_autofree char *port_text = NULL;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  if (type == SOCK_STREAM)
    g_assert_cmpint (listen (fd, 1), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);

  spec = g_strdup_printf ("%s:127.0.0.1:%u-:80", proto, ntohs (sa.sin_port));
  fwds[0] = spec;
  g_assert_null (vmm_net_slirp_new (&config, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  port_text = g_strdup_printf ("port %u is already in use", ntohs (sa.sin_port));
  g_assert_nonnull (strstr (error->message, spec));
  g_assert_nonnull (strstr (error->message, port_text));
  close (fd);
}

static void
test_hostfwd_busy (void)
{
  check_busy (SOCK_STREAM, "tcp");
  check_busy (SOCK_DGRAM, "udp");
}

static void
test_bad_config (void)
{
  VmmNetSlirpConfig config = { .mtu = 100 };
  g_autoptr (GError) error = NULL;
  const char *const fwds[] = { "tcp:127.0.0.1:2222", NULL };

  g_assert_null (vmm_net_slirp_new (&config, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "MTU"));
  g_clear_error (&error);

  config.mtu = 0;
  config.hostfwd = fwds;
  g_assert_null (vmm_net_slirp_new (&config, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "tcp:127.0.0.1:2222"));
}

/* Restricted: the guest cannot open connections to the outside, host
 * loopback included; the gateway still answers ARP. */
static void
test_restricted (void)
{
  Nic nic;
  VmmNetBackend *be;
  uint8_t f[256];
  ArpMatch arp = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  g_autoptr (GBytes) reply = NULL;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int lfd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), cfd;

  g_assert_cmpint (bind (lfd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (listen (lfd, 1), ==, 0);
  g_assert_cmpint (getsockname (lfd, (struct sockaddr *) &sa, &len), ==, 0);

  nic_init (&nic);
  be = new_backend (NULL, TRUE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);
  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &arp);
  g_assert_nonnull (reply);

  send_frame (be, f, frames_tcp (f, arp.sender_mac, frames_ip ("10.0.2.15"), 40000,
                                 frames_ip ("10.0.2.2"), ntohs (sa.sin_port), 1, 0, 0x02, NULL, 0));
  /* Give slirp time to (not) connect. */
  g_usleep (300 * 1000);
  cfd = accept (lfd, NULL, NULL);
  g_assert_cmpint (cfd, ==, -1);
  g_assert_cmpint (errno, ==, EAGAIN);
  close (lfd);

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

/* The same SYN without restriction does reach the host listener: the
 * restricted test above can fail. */
static void
test_unrestricted_connects (void)
{
  Nic nic;
  VmmNetBackend *be;
  uint8_t f[256];
  ArpMatch arp = { .sender_ip = frames_ip ("10.0.2.2"), .op = 2 };
  g_autoptr (GBytes) reply = NULL;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int lfd = socket (AF_INET, SOCK_STREAM, 0), cfd;

  g_assert_cmpint (bind (lfd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (listen (lfd, 1), ==, 0);
  g_assert_cmpint (getsockname (lfd, (struct sockaddr *) &sa, &len), ==, 0);

  nic_init (&nic);
  be = new_backend (NULL, FALSE);
  vmm_net_backend_set_peer (be, &nic_ops, &nic);
  send_frame (be, f, frames_arp_request (f, frames_ip ("10.0.2.15"), frames_ip ("10.0.2.2")));
  reply = wait_frame (&nic, is_arp, &arp);
  g_assert_nonnull (reply);

  send_frame (be, f, frames_tcp (f, arp.sender_mac, frames_ip ("10.0.2.15"), 40000,
                                 frames_ip ("10.0.2.2"), ntohs (sa.sin_port), 1, 0, 0x02, NULL, 0));
  cfd = accept (lfd, NULL, NULL);
  g_assert_cmpint (cfd, >=, 0);
  close (cfd);
  close (lfd);

  vmm_net_backend_set_peer (be, NULL, NULL);
  vmm_net_backend_free (be);
  nic_clear (&nic);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/slirp/dhcp-offer", test_dhcp_offer);
  g_test_add_func ("/net/slirp/arp-gateway", test_arp_gateway);
  g_test_add_func ("/net/slirp/attached", test_attached);
  g_test_add_func ("/net/slirp/rx-backpressure", test_rx_backpressure);
  g_test_add_func ("/net/slirp/tx-bad-sizes", test_tx_bad_sizes);
  g_test_add_func ("/net/slirp/hostfwd-tcp", test_hostfwd_tcp);
  g_test_add_func ("/net/slirp/hostfwd-udp", test_hostfwd_udp);
  g_test_add_func ("/net/slirp/hostfwd-busy", test_hostfwd_busy);
  g_test_add_func ("/net/slirp/bad-config", test_bad_config);
  g_test_add_func ("/net/slirp/restricted", test_restricted);
  g_test_add_func ("/net/slirp/unrestricted-connects", test_unrestricted_connects);
  return g_test_run ();
}
