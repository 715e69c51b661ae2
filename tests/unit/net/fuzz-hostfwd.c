/* fuzz-hostfwd.c: arbitrary host forward specs.
 *
 * A spec either fails with a message, or parses into a forward whose
 * canonical text parses back into the same forward.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/hostfwd.h"

#include <arpa/inet.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *spec = g_strndup ((const char *) data, size);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  VmmNetHostFwd fwd, again;
  struct in_addr guest;

  if (!vmm_net_hostfwd_parse (spec, &fwd, &error))
    {
      g_assert_nonnull (error);
      g_assert_nonnull (error->message);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (fwd.host_port, >=, 1);
  g_assert_cmpuint (fwd.guest_port, >=, 1);

  inet_pton (AF_INET, "10.0.2.15", &guest);
  text = vmm_net_hostfwd_to_string (&fwd, guest);
  g_assert_true (vmm_net_hostfwd_parse (text, &again, &error));
  g_assert_cmpint (again.udp, ==, fwd.udp);
  g_assert_cmpuint (again.host_addr.s_addr, ==, fwd.host_addr.s_addr);
  g_assert_cmpuint (again.host_port, ==, fwd.host_port);
  g_assert_cmpuint (again.guest_port, ==, fwd.guest_port);
  if (fwd.guest_addr.s_addr != htonl (INADDR_ANY))
    g_assert_cmpuint (again.guest_addr.s_addr, ==, fwd.guest_addr.s_addr);
  else
    g_assert_cmpuint (again.guest_addr.s_addr, ==, guest.s_addr);
  return 0;
}
