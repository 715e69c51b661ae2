/* spice-agent.c: a stand-in for the guest agent, so that viewers send
 * their window size.
 *
 * SPICE clients only send a monitor configuration (their window size)
 * while a guest agent is connected, and spice-server hands that
 * configuration to the QXL interface, which passes it to the display
 * device, before any agent would see it. So the monitor plugs in an agent
 * of its own: a "vdagent" character device that answers the client's
 * capability request with "monitors config" and ignores everything else.
 * The guest needs no agent for its display to follow the window.
 *
 * The byte stream comes from the viewer through spice-server: it is
 * parsed defensively and bounded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice-private.h"

#include <string.h>

/* Far above any message the agent protocol sends us (capabilities are a
 * few words); a bigger message is skipped unread. */
#define MAX_MESSAGE (64 * 1024)

static VmmSpiceAgent *
agent_of (SpiceCharDeviceInstance *sin)
{
  return (VmmSpiceAgent *) (void *) ((char *) sin - G_STRUCT_OFFSET (VmmSpiceAgent, sin));
}

static gboolean
on_wakeup_cb (gpointer data)
{
  VmmSpiceAgent *agent = data;

  agent->wakeup_source = NULL;
  if (agent->attached)
    spice_server_char_device_wakeup (&agent->sin);
  return G_SOURCE_REMOVE;
}

static void
queue_capabilities (VmmSpiceAgent *agent)
{
  struct SPICE_ATTR_PACKED {
    VDIChunkHeader chunk;
    VDAgentMessage message;
    uint32_t request;
    uint32_t caps[VD_AGENT_CAPS_SIZE];
  } reply;
  GSource *source;

  memset (&reply, 0, sizeof reply);
  reply.chunk.port = VDP_CLIENT_PORT;
  reply.chunk.size = sizeof reply - sizeof reply.chunk;
  reply.message.protocol = VD_AGENT_PROTOCOL;
  reply.message.type = VD_AGENT_ANNOUNCE_CAPABILITIES;
  reply.message.size = sizeof reply.request + sizeof reply.caps;
  reply.request = 0;
  VD_AGENT_SET_CAPABILITY (reply.caps, VD_AGENT_CAP_MONITORS_CONFIG);
  /* Bounded: one reply per request, and requests come one per connection. */
  if (agent->out->len < MAX_MESSAGE)
    g_byte_array_append (agent->out, (const guint8 *) &reply, sizeof reply);

  /* Called from inside spice-server's write: wake it up afterwards. */
  if (agent->wakeup_source == NULL) {
    source = g_idle_source_new ();
    g_source_set_callback (source, on_wakeup_cb, agent, NULL);
    g_source_attach (source, g_main_context_get_thread_default ());
    agent->wakeup_source = source;
    g_source_unref (source);
  }
}

/* A whole message of the given type and body. */
static void
handle_message (VmmSpiceAgent *agent, uint32_t type, const uint8_t *body, size_t size)
{
  uint32_t request;

  if (type != VD_AGENT_ANNOUNCE_CAPABILITIES || size < sizeof request)
    return;
  memcpy (&request, body, sizeof request);
  if (request)
    queue_capabilities (agent);
}

/* Splits the chunk payloads into messages. A message's header says how
 * long its body is; bodies may span chunks. */
static void
consume_messages (VmmSpiceAgent *agent)
{
  for (;;) {
    VDAgentMessage header;
    size_t whole;

    if (agent->skip > 0) {
      size_t n = MIN (agent->skip, agent->message->len);

      g_byte_array_remove_range (agent->message, 0, (guint) n);
      agent->skip -= n;
      if (agent->skip > 0)
        return;
    }
    if (agent->message->len < sizeof header)
      return;
    memcpy (&header, agent->message->data, sizeof header);
    if (header.size > MAX_MESSAGE) {
      g_byte_array_remove_range (agent->message, 0, sizeof header);
      agent->skip = header.size;
      continue;
    }
    whole = sizeof header + header.size;
    if (agent->message->len < whole)
      return;
    if (header.protocol == VD_AGENT_PROTOCOL)
      handle_message (agent, header.type, agent->message->data + sizeof header, header.size);
    g_byte_array_remove_range (agent->message, 0, (guint) whole);
  }
}

static int
agent_write (SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
  VmmSpiceAgent *agent = agent_of (sin);

  if (len <= 0)
    return 0;
  g_byte_array_append (agent->in, buf, (guint) len);
  for (;;) {
    VDIChunkHeader chunk;

    if (agent->in->len < sizeof chunk)
      break;
    memcpy (&chunk, agent->in->data, sizeof chunk);
    if (chunk.size > VD_AGENT_MAX_DATA_SIZE) {
      /* Not a stream spice-server would send: start over. */
      g_byte_array_set_size (agent->in, 0);
      g_byte_array_set_size (agent->message, 0);
      agent->skip = 0;
      break;
    }
    if (agent->in->len < sizeof chunk + chunk.size)
      break;
    g_byte_array_append (agent->message, agent->in->data + sizeof chunk, chunk.size);
    g_byte_array_remove_range (agent->in, 0, (guint) (sizeof chunk + chunk.size));
    consume_messages (agent);
  }
  return len;
}

static int
agent_read (SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
  VmmSpiceAgent *agent = agent_of (sin);
  guint n;

  if (len <= 0)
    return 0;
  n = MIN ((guint) len, agent->out->len);
  if (n == 0)
    return 0;
  memcpy (buf, agent->out->data, n);
  g_byte_array_remove_range (agent->out, 0, n);
  return (int) n;
}

static void
agent_state (SpiceCharDeviceInstance *sin, int connected)
{
}

static void
agent_event (SpiceCharDeviceInstance *sin, uint8_t event)
{
}

static const SpiceCharDeviceInterface agent_interface = {
  .base = {
    .type = SPICE_INTERFACE_CHAR_DEVICE,
    .description = "vireo display agent",
    .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
    .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
  },
  .state = agent_state,
  .write = agent_write,
  .read = agent_read,
  .event = agent_event,
};

void
vmm_spice_agent_init (VmmSpiceAgent *agent)
{
  memset (agent, 0, sizeof *agent);
  agent->in = g_byte_array_new ();
  agent->out = g_byte_array_new ();
  agent->message = g_byte_array_new ();
  agent->sin.base.sif = &agent_interface.base;
  agent->sin.subtype = "vdagent";
}

bool
vmm_spice_agent_attach (VmmSpiceAgent *agent, SpiceServer *server)
{
  vmm_spice_agent_init (agent);
  if (spice_server_add_interface (server, &agent->sin.base) != 0)
    return false;
  agent->attached = true;
  return true;
}

void
vmm_spice_agent_clear (VmmSpiceAgent *agent)
{
  agent->attached = false;
  if (agent->wakeup_source != NULL) {
    g_source_destroy (agent->wakeup_source);
    agent->wakeup_source = NULL;
  }
  g_clear_pointer (&agent->in, g_byte_array_unref);
  g_clear_pointer (&agent->out, g_byte_array_unref);
  g_clear_pointer (&agent->message, g_byte_array_unref);
}
