/* vireo-console-page.c
 *
 * One machine, full window: a header bar with the way back to the
 * library, the machine's name and state, and its menu. The guest's
 * display goes below the header bar; until the display widget exists the
 * page says in words what the machine is doing, and offers to run it
 * when it is not running.
 *
 * Like the library cards, the menu items are the page's own actions,
 * enabled from the machine's state, forwarding to the window's actions
 * with the machine's UUID.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-console-page.h"
#include "vireo-machine-card.h"

struct _VireoConsolePage
{
  GtkWidget       parent_instance;

  VireoMachine   *machine;
  GSignalGroup   *machine_signals;

  /* Template widgets */
  AdwWindowTitle *window_title;
  AdwStatusPage  *status_page;
  GtkButton      *start_button;
};

G_DEFINE_FINAL_TYPE (VireoConsolePage, vireo_console_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static const struct {
  const char            *page_action;
  const char            *window_action;
  VireoMachineOperation  operation;
} page_actions[] = {
  { "console.start", "win.machine-start", VIREO_MACHINE_OPERATION_START },
  { "console.pause", "win.machine-pause", VIREO_MACHINE_OPERATION_PAUSE },
  { "console.resume", "win.machine-resume", VIREO_MACHINE_OPERATION_RESUME },
  { "console.shut-down", "win.machine-shut-down", VIREO_MACHINE_OPERATION_SHUT_DOWN },
  { "console.force-off", "win.machine-force-off", VIREO_MACHINE_OPERATION_FORCE_OFF },
};

static void
update (VireoConsolePage *self)
{
  VireoMachineState state = VIREO_MACHINE_STATE_STOPPED;
  const char *icon = "computer-symbolic";
  const char *title = NULL;
  const char *description = NULL;

  if (self->machine != NULL)
    state = vireo_machine_get_state (self->machine);

  adw_window_title_set_title (self->window_title,
                              self->machine != NULL ? vireo_machine_get_name (self->machine) : "");
  adw_window_title_set_subtitle (self->window_title, vireo_machine_state_to_label (state));

  switch (state)
    {
    case VIREO_MACHINE_STATE_STARTING:
      title = _("Starting");
      description = _("The machine is being set up");
      break;

    case VIREO_MACHINE_STATE_RUNNING:
      title = _("Running");
      description = _("The machine is running. Its screen cannot be shown here yet.");
      break;

    case VIREO_MACHINE_STATE_PAUSED:
      icon = "media-playback-pause-symbolic";
      title = _("Paused");
      description = _("The machine is paused");
      break;

    case VIREO_MACHINE_STATE_STOPPING:
      icon = "system-shutdown-symbolic";
      title = _("Shutting Down");
      description = _("The machine was asked to shut down. A machine that does not respond can be forced off from the menu.");
      break;

    case VIREO_MACHINE_STATE_CRASHED:
      icon = "dialog-warning-symbolic";
      title = _("Crashed");
      description = _("The machine stopped because of an error inside it");
      break;

    case VIREO_MACHINE_STATE_STOPPED:
    default:
      title = _("Stopped");
      description = _("The machine is not running");
      break;
    }

  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  /* The one thing to do next, as a button: run it, or let it go on. */
  if (state == VIREO_MACHINE_STATE_PAUSED)
    {
      gtk_button_set_label (self->start_button, _("_Resume"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->start_button), "console.resume");
    }
  else
    {
      gtk_button_set_label (self->start_button, _("_Run"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->start_button), "console.start");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->start_button),
                          self->machine != NULL &&
                          (state == VIREO_MACHINE_STATE_PAUSED || !vireo_machine_is_active (self->machine)));

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), page_actions[i].page_action,
                                   self->machine != NULL &&
                                   vireo_machine_can (self->machine, page_actions[i].operation));
}

static void
on_machine_notify_cb (VireoConsolePage *self,
                      GParamSpec       *pspec,
                      VireoMachine     *machine)
{
  update (self);
}

static void
page_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (widget);

  if (self->machine == NULL)
    return;

  if (g_str_equal (action_name, "console.properties"))
    {
      gtk_widget_activate_action (widget, "win.machine-properties", "s",
                                  vireo_machine_get_uuid (self->machine));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    {
      if (g_str_equal (action_name, page_actions[i].page_action))
        {
          gtk_widget_activate_action (widget, page_actions[i].window_action, "s",
                                      vireo_machine_get_uuid (self->machine));
          return;
        }
    }
}

/**
 * vireo_console_page_get_machine:
 *
 * Returns: (transfer none) (nullable): the machine shown
 */
VireoMachine *
vireo_console_page_get_machine (VireoConsolePage *self)
{
  g_return_val_if_fail (VIREO_IS_CONSOLE_PAGE (self), NULL);

  return self->machine;
}

void
vireo_console_page_set_machine (VireoConsolePage *self,
                                VireoMachine     *machine)
{
  g_return_if_fail (VIREO_IS_CONSOLE_PAGE (self));
  g_return_if_fail (machine == NULL || VIREO_IS_MACHINE (machine));

  if (!g_set_object (&self->machine, machine))
    return;

  g_signal_group_set_target (self->machine_signals, machine);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MACHINE]);
}

static void
vireo_console_page_dispose (GObject *object)
{
  VireoConsolePage *self = (VireoConsolePage *)object;
  GtkWidget *child;

  if (self->machine_signals != NULL)
    g_signal_group_set_target (self->machine_signals, NULL);
  g_clear_object (&self->machine_signals);
  g_clear_object (&self->machine);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_CONSOLE_PAGE);
  /* The template's root box has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (vireo_console_page_parent_class)->dispose (object);
}

static void
vireo_console_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_console_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  VireoConsolePage *self = VIREO_CONSOLE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      vireo_console_page_set_machine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_console_page_class_init (VireoConsolePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vireo_console_page_dispose;
  object_class->get_property = vireo_console_page_get_property;
  object_class->set_property = vireo_console_page_set_property;

  properties [PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, VIREO_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-console-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, window_title);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, status_page);
  gtk_widget_class_bind_template_child (widget_class, VireoConsolePage, start_button);

  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    gtk_widget_class_install_action (widget_class, page_actions[i].page_action, NULL, page_action);
  gtk_widget_class_install_action (widget_class, "console.properties", NULL, page_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
vireo_console_page_init (VireoConsolePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->machine_signals = g_signal_group_new (VIREO_TYPE_MACHINE);
  g_signal_group_connect_object (self->machine_signals, "notify::name",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->machine_signals, "notify::state",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  update (self);
}
