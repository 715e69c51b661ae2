/* hostfwd.c: parsing host port forwards.
 *
 * The spec comes from a user (command line, profile), so every failure
 * names the part that is wrong instead of a bare "invalid argument".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/hostfwd.h"

#include "vireo-vmm.h"

#include <arpa/inet.h>
#include <string.h>

#define SPEC_FORM "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"

static gboolean
parse_port (const char *text, uint16_t *port)
{
  unsigned value = 0;

  if (*text == '\0' || strlen (text) > 5)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (unsigned) (*p - '0');
    }
  if (value == 0 || value > 65535)
    return FALSE;
  *port = (uint16_t) value;
  return TRUE;
}

/* "ADDR:PORT" or ":PORT", modified in place. */
static gboolean
parse_endpoint (const char *spec, char *text, const char *which,
                struct in_addr *addr, uint16_t *port, GError **error)
{
  char *colon = strrchr (text, ':');

  if (colon == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: the %s side “%s” needs ADDRESS:PORT or :PORT "
                   "(the form is " SPEC_FORM ")", spec, which, text);
      return FALSE;
    }
  *colon = '\0';
  if (!parse_port (colon + 1, port))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: the %s port “%s” is not a number from 1 to 65535",
                   spec, which, colon + 1);
      return FALSE;
    }
  if (*text == '\0')
    addr->s_addr = htonl (INADDR_ANY);
  else if (inet_pton (AF_INET, text, addr) != 1)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: the %s address “%s” is not an IPv4 address",
                   spec, which, text);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmm_net_hostfwd_parse (const char *spec, VmmNetHostFwd *fwd, GError **error)
{
  g_autofree char *copy = NULL;
  char *rest, *dash, *colon;

  g_return_val_if_fail (spec != NULL && fwd != NULL, FALSE);

  memset (fwd, 0, sizeof *fwd);
  copy = g_strdup (spec);

  colon = strchr (copy, ':');
  if (colon == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: expected " SPEC_FORM
                   ", for example tcp:127.0.0.1:2222-:22", spec);
      return FALSE;
    }
  *colon = '\0';
  if (strcmp (copy, "udp") == 0)
    fwd->udp = TRUE;
  else if (strcmp (copy, "tcp") != 0 && copy[0] != '\0')
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: unknown protocol “%s” (tcp or udp)", spec, copy);
      return FALSE;
    }
  rest = colon + 1;

  dash = strchr (rest, '-');
  if (dash == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Bad host forward “%s”: no “-” between the host and the guest side "
                   "(the form is " SPEC_FORM ")", spec);
      return FALSE;
    }
  *dash = '\0';
  if (!parse_endpoint (spec, rest, "host", &fwd->host_addr, &fwd->host_port, error))
    return FALSE;
  return parse_endpoint (spec, dash + 1, "guest", &fwd->guest_addr, &fwd->guest_port, error);
}

char *
vmm_net_hostfwd_to_string (const VmmNetHostFwd *fwd, struct in_addr default_guest)
{
  char host[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN];
  struct in_addr g = fwd->guest_addr.s_addr != htonl (INADDR_ANY) ? fwd->guest_addr : default_guest;

  inet_ntop (AF_INET, &fwd->host_addr, host, sizeof host);
  inet_ntop (AF_INET, &g, guest, sizeof guest);
  return g_strdup_printf ("%s:%s:%u-%s:%u", fwd->udp ? "udp" : "tcp",
                          host, fwd->host_port, guest, fwd->guest_port);
}
