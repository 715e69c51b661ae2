/* vireo-display.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIREO_TYPE_DISPLAY (vireo_display_get_type ())

G_DECLARE_FINAL_TYPE (VireoDisplay, vireo_display, VIREO, DISPLAY, GtkWidget)

/* Returns a connected socket for one more SPICE channel (the caller of
 * vireo_display_connect() knows where the server is: in-process through
 * vmm_machine_open_display_fd(), remote through virDomainOpenGraphicsFD()),
 * or -1 with @error set. The display owns the returned fd. */
typedef int (*VireoDisplayOpenFdFunc) (gpointer   user_data,
                                       GError   **error);

/* connect() starts a session unless one exists (connected or still
 * linking). The display is "connected" once its display channel has
 * linked. disconnect() lets the session go at once as far as the widget is
 * concerned; channels still linking finish their link before the session
 * is closed, so that neither end sees a connection cut half-way. */
GtkWidget  *vireo_display_new                  (void);
void        vireo_display_set_open_fd_func     (VireoDisplay           *self,
                                                VireoDisplayOpenFdFunc  func,
                                                gpointer                user_data,
                                                GDestroyNotify          destroy);
gboolean    vireo_display_connect              (VireoDisplay           *self,
                                                GError                **error);
void        vireo_display_disconnect           (VireoDisplay           *self);
gboolean    vireo_display_get_connected        (VireoDisplay           *self);
gboolean    vireo_display_get_keyboard_grabbed (VireoDisplay           *self);
/* In SPICE's server mouse mode: the pointer moves the guest's (relatively). */
gboolean    vireo_display_get_pointer_captured (VireoDisplay           *self);
/* The server takes relative motion only: a click captures the pointer. */
gboolean    vireo_display_get_relative_pointer (VireoDisplay           *self);
void        vireo_display_release_keyboard     (VireoDisplay           *self);
/* Presses the keys in order and releases them in reverse, e.g. Ctrl+Alt+Del
 * as { 0x1d, 0x38, 0x153 } (scancodes as vireo_keymap returns them). */
void        vireo_display_send_keys            (VireoDisplay           *self,
                                                const guint            *scancodes,
                                                guint                   n_scancodes);
/* The guest's screen as shown now, NULL before the first frame. */
GdkTexture *vireo_display_get_frame            (VireoDisplay           *self);
gboolean    vireo_display_get_resize_guest     (VireoDisplay           *self);
void        vireo_display_set_resize_guest     (VireoDisplay           *self,
                                                gboolean                resize_guest);

G_END_DECLS
