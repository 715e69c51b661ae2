/* vireo-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VIREO_TYPE_PREFERENCES_WINDOW (vireo_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (VireoPreferencesWindow, vireo_preferences_window, VIREO, PREFERENCES_WINDOW, AdwPreferencesWindow)

VireoPreferencesWindow *vireo_preferences_window_new (GSettings *settings);

G_END_DECLS
