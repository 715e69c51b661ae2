/* vireo-window.c
 *
 * The main window: header bar, primary menu, and the library area, which
 * shows an empty state until there are machines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-application.h"
#include "vireo-preferences-window.h"
#include "vireo-window.h"

struct _VireoWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwStatusPage        *empty_page;

  guint                 settings_bound : 1;
};

G_DEFINE_FINAL_TYPE (VireoWindow, vireo_window, ADW_TYPE_APPLICATION_WINDOW)

static void
on_application_changed_cb (VireoWindow *self,
                           GParamSpec  *pspec,
                           gpointer     user_data)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GSettings *settings;

  g_assert (VIREO_IS_WINDOW (self));

  if (!VIREO_IS_APPLICATION (app) || self->settings_bound)
    return;

  /* "application" is not a construct property, so the settings are only
   * reachable once it is set, and that happens before the window is
   * shown. The size is bound rather than saved on close so that a crash
   * or a killed session still leaves the last size behind. GTK keeps
   * default-width and default-height at the unmaximized size while
   * maximized, which is the size to come back to. */
  settings = vireo_application_get_settings (VIREO_APPLICATION (app));
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  self->settings_bound = TRUE;
}

static void
about_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  static const char *developers[] = { "The Vireo developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", widget,
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Vireo"),
                        "developer-name", _("The Vireo developers"),
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_WEBSITE "/issues",
                        "comments", _("Run Windows and Linux virtual machines on your desktop, "
                                      "with a built-in virtual machine monitor."),
                        "copyright", "© 2026 The Vireo developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  VireoWindow *self = VIREO_WINDOW (widget);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  VireoPreferencesWindow *prefs;

  g_return_if_fail (VIREO_IS_APPLICATION (app));

  prefs = vireo_preferences_window_new (vireo_application_get_settings (VIREO_APPLICATION (app)));
  gtk_window_set_transient_for (GTK_WINDOW (prefs), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
vireo_window_class_init (VireoWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, VireoWindow, empty_page);

  gtk_widget_class_install_action (widget_class, "win.about", NULL, about_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK, "win.preferences", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
vireo_window_init (VireoWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self, "notify::application",
                    G_CALLBACK (on_application_changed_cb), NULL);

#ifdef DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}
