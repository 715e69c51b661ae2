/* test-hostfwd.c: parsing host forward specs, good and bad.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/hostfwd.h"
#include "vireo-vmm.h"

#include <arpa/inet.h>
#include <string.h>

static void
test_good (void)
{
  VmmNetHostFwd fwd;
  g_autoptr (GError) error = NULL;
  struct in_addr guest;
  g_autofree char *text = NULL;

  g_assert_true (vmm_net_hostfwd_parse ("tcp:127.0.0.1:2222-:22", &fwd, &error));
  g_assert_no_error (error);
  g_assert_false (fwd.udp);
  g_assert_cmphex (ntohl (fwd.host_addr.s_addr), ==, 0x7f000001);
  g_assert_cmpuint (fwd.host_port, ==, 2222);
  g_assert_cmphex (fwd.guest_addr.s_addr, ==, htonl (INADDR_ANY));
  g_assert_cmpuint (fwd.guest_port, ==, 22);

  inet_pton (AF_INET, "10.0.2.15", &guest);
  text = vmm_net_hostfwd_to_string (&fwd, guest);
  g_assert_cmpstr (text, ==, "tcp:127.0.0.1:2222-10.0.2.15:22");

  g_assert_true (vmm_net_hostfwd_parse ("udp::5353-10.0.2.16:53", &fwd, &error));
  g_assert_true (fwd.udp);
  g_assert_cmphex (fwd.host_addr.s_addr, ==, htonl (INADDR_ANY));
  g_assert_cmpuint (fwd.host_port, ==, 5353);
  g_assert_cmphex (ntohl (fwd.guest_addr.s_addr), ==, 0x0a000210);
  g_assert_cmpuint (fwd.guest_port, ==, 53);

  /* No protocol means TCP, as with QEMU. */
  g_assert_true (vmm_net_hostfwd_parse ("::65535-:1", &fwd, &error));
  g_assert_false (fwd.udp);
  g_assert_cmpuint (fwd.host_port, ==, 65535);
  g_assert_cmpuint (fwd.guest_port, ==, 1);
}

static void
check_bad (const char *spec, const char *expect)
{
  VmmNetHostFwd fwd;
  g_autoptr (GError) error = NULL;

  g_assert_false (vmm_net_hostfwd_parse (spec, &fwd, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  g_test_message ("%s -> %s", spec, error->message);
  /* Every message quotes the spec and names what is wrong. */
  g_assert_nonnull (strstr (error->message, spec));
  g_assert_nonnull (strstr (error->message, expect));
}

static void
test_bad (void)
{
  check_bad ("", "expected");
  check_bad ("tcp", "expected");
  check_bad ("sctp:1.2.3.4:1-:2", "unknown protocol “sctp”");
  check_bad ("tcp:127.0.0.1:2222", "no “-”");
  check_bad ("tcp:127.0.0.1:2222-22", "guest side “22”");
  check_bad ("tcp:2222-:22", "host side “2222”");
  check_bad ("tcp:127.0.0.1:0-:22", "host port “0”");
  check_bad ("tcp:127.0.0.1:65536-:22", "host port “65536”");
  check_bad ("tcp:127.0.0.1:-1-:22", "host port “”");
  check_bad ("tcp:127.0.0.1:22x-:22", "host port “22x”");
  check_bad ("tcp:127.0.0.1:000022-:22", "host port “000022”");
  check_bad ("tcp:127.0.0.1:2222-:", "guest port “”");
  check_bad ("tcp:localhost:2222-:22", "host address “localhost”");
  check_bad ("tcp:127.0.0.1:2222-10.0.2:22", "guest address “10.0.2”");
  check_bad ("tcp:[::1]:2222-:22", "host address “[:");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/hostfwd/good", test_good);
  g_test_add_func ("/net/hostfwd/bad", test_bad);
  return g_test_run ();
}
