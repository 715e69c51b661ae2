/* vireo-spice-link.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <spice-client.h>

G_BEGIN_DECLS

/* Where a channel is in its link with the server, kept on the channel. */
typedef enum {
  VIREO_SPICE_LINK_NONE,      /* no socket yet */
  VIREO_SPICE_LINK_LINKING,   /* socket handed over, link not finished */
  VIREO_SPICE_LINK_DONE,      /* linked, failed or closed */
} VireoSpiceLinkState;

VireoSpiceLinkState vireo_spice_link_get_state        (SpiceChannel        *channel);
void                vireo_spice_link_set_state        (SpiceChannel        *channel,
                                                       VireoSpiceLinkState  state);
/* Channels whose link ends with their first message, not SPICE_CHANNEL_OPENED. */
gboolean            vireo_spice_link_on_first_message (SpiceChannel        *channel);
/* Takes over @session (the caller's reference) and disconnects it once
 * none of its channels is linking any more. */
void                vireo_spice_link_close_session    (SpiceSession        *session);

G_END_DECLS
