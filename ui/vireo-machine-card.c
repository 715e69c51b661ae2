/* vireo-machine-card.c
 *
 * One machine in the library grid: a picture of its screen while it runs
 * (the OS icon until there is one, and when it is stopped), its name, OS
 * and state, and its menu.
 *
 * The picture is live: while the card is on screen (mapped: the library
 * page is showing, the window is open, the card is scrolled into view)
 * and its machine runs, the card asks the machine for a new thumbnail
 * every THUMBNAIL_SECONDS. The machine copies and shrinks the guest's
 * screen on a worker thread (vireo_machine_update_thumbnail_async()), so
 * the UI thread only swaps textures; one request at a time, so a slow
 * host never piles them up. A card that is not shown, or whose machine
 * is not running, has no timer at all. The console page also hands the
 * machine pictures while it shows the screen (vireo-console-page.c).
 *
 * The grid recycles cards, so a card follows whichever machine it is
 * given. Its menu items are the card's own actions, enabled from the
 * machine's state (a window-wide action could not be enabled for one
 * machine and not another); each forwards to the window's action of the
 * same name with the machine's UUID, where the work and the dialogs are.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-machine-card.h"

/* How often a running machine's picture is renewed, and the size of the
 * picture on the card (the template's preview), in logical pixels. */
#define THUMBNAIL_SECONDS 2
#define PREVIEW_WIDTH     208
#define PREVIEW_HEIGHT    156

struct _VireoMachineCard
{
  GtkWidget       parent_instance;

  VireoMachine   *machine;
  GSignalGroup   *machine_signals;
  guint           refresh_id;
  GCancellable   *refresh_cancellable;   /* the request in flight, if any */

  /* Template widgets */
  GtkStack       *preview_stack;
  GtkPicture     *thumbnail;
  GtkMenuButton  *menu_button;
  GtkLabel       *state_label;
  GtkLabel       *name_label;
  GtkLabel       *os_label;
};

G_DEFINE_FINAL_TYPE (VireoMachineCard, vireo_machine_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/* The card's actions and the window actions they stand for. */
static const struct {
  const char            *card_action;
  const char            *window_action;
  VireoMachineOperation  operation;
  gboolean               when_stopped;
} card_actions[] = {
  { "machine.start", "win.machine-start", VIREO_MACHINE_OPERATION_START, FALSE },
  { "machine.pause", "win.machine-pause", VIREO_MACHINE_OPERATION_PAUSE, FALSE },
  { "machine.resume", "win.machine-resume", VIREO_MACHINE_OPERATION_RESUME, FALSE },
  { "machine.shut-down", "win.machine-shut-down", VIREO_MACHINE_OPERATION_SHUT_DOWN, FALSE },
  { "machine.force-off", "win.machine-force-off", VIREO_MACHINE_OPERATION_FORCE_OFF, FALSE },
  { "machine.delete", "win.machine-delete", 0, TRUE },
};

/**
 * vireo_machine_state_to_label:
 *
 * Returns: the state as the user reads it
 */
const char *
vireo_machine_state_to_label (VireoMachineState state)
{
  switch (state)
    {
    case VIREO_MACHINE_STATE_STARTING:
      return _("Starting…");
    case VIREO_MACHINE_STATE_RUNNING:
      return _("Running");
    case VIREO_MACHINE_STATE_PAUSED:
      return _("Paused");
    case VIREO_MACHINE_STATE_STOPPING:
      return _("Shutting Down…");
    case VIREO_MACHINE_STATE_CRASHED:
      return _("Crashed");
    case VIREO_MACHINE_STATE_STOPPED:
    default:
      return _("Stopped");
    }
}

GtkWidget *
vireo_machine_card_new (void)
{
  return g_object_new (VIREO_TYPE_MACHINE_CARD, NULL);
}

static void
update_actions (VireoMachineCard *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (card_actions); i++)
    {
      gboolean enabled = FALSE;

      if (self->machine != NULL)
        enabled = card_actions[i].when_stopped
                    ? !vireo_machine_is_active (self->machine)
                    : vireo_machine_can (self->machine, card_actions[i].operation);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), card_actions[i].card_action, enabled);
    }
}

static void
update_state (VireoMachineCard *self)
{
  VireoMachineState state = VIREO_MACHINE_STATE_STOPPED;
  static const char *state_classes[] = { "stopped", "starting", "running", "paused", "stopping", "crashed" };

  if (self->machine != NULL)
    state = vireo_machine_get_state (self->machine);

  gtk_label_set_label (self->state_label, vireo_machine_state_to_label (state));
  for (guint i = 0; i < G_N_ELEMENTS (state_classes); i++)
    {
      if (i == state)
        gtk_widget_add_css_class (GTK_WIDGET (self->state_label), state_classes[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), state_classes[i]);
    }
  update_actions (self);
}

static void
update_labels (VireoMachineCard *self)
{
  const char *os_name = NULL;

  if (self->machine != NULL)
    os_name = vireo_machine_get_os_name (self->machine);

  gtk_label_set_label (self->name_label, self->machine != NULL ? vireo_machine_get_name (self->machine) : "");
  gtk_label_set_label (self->os_label, os_name != NULL ? os_name : _("Unknown OS"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label),
                               self->machine != NULL ? vireo_machine_get_name (self->machine) : NULL);
}

static void
update_thumbnail (VireoMachineCard *self)
{
  GdkPaintable *paintable = NULL;

  /* A stopped machine has no screen: its OS icon, not its last picture. */
  if (self->machine != NULL && vireo_machine_is_active (self->machine))
    paintable = vireo_machine_get_thumbnail (self->machine);

  gtk_picture_set_paintable (self->thumbnail, paintable);
  gtk_stack_set_visible_child_name (self->preview_stack, paintable != NULL ? "thumbnail" : "icon");
}

static void
on_thumbnail_updated_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(VireoMachineCard) self = user_data;
  g_autoptr(GError) error = NULL;

  /* No picture this time (the screen is off, the guest just stopped):
   * the card keeps what it shows, and the next tick tries again. */
  if (!vireo_machine_update_thumbnail_finish (VIREO_MACHINE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No thumbnail of “%s”: %s", vireo_machine_get_name (VIREO_MACHINE (object)),
             error->message);
  /* Done, unless it was cancelled and a newer request replaced it. */
  if (self->refresh_cancellable == g_task_get_cancellable (G_TASK (result)))
    g_clear_object (&self->refresh_cancellable);
}

static void
refresh_thumbnail (VireoMachineCard *self)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  g_assert (self->machine != NULL);

  if (self->refresh_cancellable != NULL)
    return;
  self->refresh_cancellable = g_cancellable_new ();
  vireo_machine_update_thumbnail_async (self->machine, PREVIEW_WIDTH * scale, PREVIEW_HEIGHT * scale,
                                        self->refresh_cancellable, on_thumbnail_updated_cb,
                                        g_object_ref (self));
}

static gboolean
on_refresh_timeout_cb (gpointer user_data)
{
  refresh_thumbnail (VIREO_MACHINE_CARD (user_data));
  return G_SOURCE_CONTINUE;
}

static void
stop_refresh (VireoMachineCard *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);
}

/* Refreshes while the card is seen and the guest draws: running, or on
 * its way down (the guest's shutdown shows). A paused screen does not
 * change. */
static void
sync_refresh (VireoMachineCard *self)
{
  VireoMachineState state;

  if (self->machine == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      stop_refresh (self);
      return;
    }
  state = vireo_machine_get_state (self->machine);
  if (state != VIREO_MACHINE_STATE_RUNNING && state != VIREO_MACHINE_STATE_STOPPING)
    {
      stop_refresh (self);
      return;
    }
  if (self->refresh_id != 0)
    return;
  self->refresh_id = g_timeout_add_seconds (THUMBNAIL_SECONDS, on_refresh_timeout_cb, self);
  /* A card coming into view shows the screen now, not a tick later. */
  refresh_thumbnail (self);
}

/* The menu names the machine's UUID in the one item that is the
 * window's action directly (Properties, hidden where the window has no
 * such action, as in a window without dialogs), so it is made per
 * machine. */
static void
update_menu (VireoMachineCard *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) run_section = g_menu_new ();
  g_autoptr(GMenu) edit_section = g_menu_new ();
  g_autoptr(GMenuItem) item = NULL;

  if (self->machine == NULL)
    {
      gtk_menu_button_set_menu_model (self->menu_button, NULL);
      return;
    }

  item = g_menu_item_new (_("_Run"), "machine.start");
  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (run_section, item);
  g_clear_object (&item);
  item = g_menu_item_new (_("_Pause"), "machine.pause");
  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (run_section, item);
  g_clear_object (&item);
  item = g_menu_item_new (_("_Resume"), "machine.resume");
  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (run_section, item);
  g_clear_object (&item);
  g_menu_append (run_section, _("_Shut Down"), "machine.shut-down");
  g_menu_append (run_section, _("_Force Off…"), "machine.force-off");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (run_section));

  item = g_menu_item_new (_("P_roperties"), NULL);
  g_menu_item_set_action_and_target (item, "win.machine-properties", "s", vireo_machine_get_uuid (self->machine));
  g_menu_item_set_attribute (item, "hidden-when", "s", "action-missing");
  g_menu_append_item (edit_section, item);
  g_menu_append (edit_section, _("_Delete…"), "machine.delete");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (edit_section));

  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (menu));
}

static void
on_machine_notify_cb (VireoMachineCard *self,
                      GParamSpec       *pspec,
                      VireoMachine     *machine)
{
  g_assert (VIREO_IS_MACHINE_CARD (self));

  if (g_str_equal (pspec->name, "state"))
    {
      update_state (self);
      update_thumbnail (self);
      sync_refresh (self);
    }
  else if (g_str_equal (pspec->name, "thumbnail"))
    update_thumbnail (self);
  else
    update_labels (self);
}

static void
card_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  VireoMachineCard *self = VIREO_MACHINE_CARD (widget);

  if (self->machine == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (card_actions); i++)
    {
      if (g_str_equal (action_name, card_actions[i].card_action))
        {
          gtk_widget_activate_action (widget, card_actions[i].window_action, "s",
                                      vireo_machine_get_uuid (self->machine));
          return;
        }
    }
}

/**
 * vireo_machine_card_get_machine:
 *
 * Returns: (transfer none) (nullable): the machine shown
 */
VireoMachine *
vireo_machine_card_get_machine (VireoMachineCard *self)
{
  g_return_val_if_fail (VIREO_IS_MACHINE_CARD (self), NULL);

  return self->machine;
}

void
vireo_machine_card_set_machine (VireoMachineCard *self,
                                VireoMachine     *machine)
{
  g_return_if_fail (VIREO_IS_MACHINE_CARD (self));
  g_return_if_fail (machine == NULL || VIREO_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  /* A recycled card stops asking for the machine it showed before. */
  stop_refresh (self);
  g_set_object (&self->machine, machine);
  g_signal_group_set_target (self->machine_signals, machine);
  update_labels (self);
  update_state (self);
  update_thumbnail (self);
  update_menu (self);
  sync_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MACHINE]);
}

static void
vireo_machine_card_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vireo_machine_card_parent_class)->map (widget);
  sync_refresh (VIREO_MACHINE_CARD (widget));
}

static void
vireo_machine_card_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vireo_machine_card_parent_class)->unmap (widget);
  sync_refresh (VIREO_MACHINE_CARD (widget));
}

static void
vireo_machine_card_dispose (GObject *object)
{
  VireoMachineCard *self = (VireoMachineCard *)object;
  GtkWidget *child;

  if (self->machine_signals != NULL)
    g_signal_group_set_target (self->machine_signals, NULL);
  g_clear_object (&self->machine_signals);
  stop_refresh (self);
  g_clear_object (&self->machine);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_MACHINE_CARD);
  /* The template's root box has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (vireo_machine_card_parent_class)->dispose (object);
}

static void
vireo_machine_card_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VireoMachineCard *self = VIREO_MACHINE_CARD (object);

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
vireo_machine_card_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  VireoMachineCard *self = VIREO_MACHINE_CARD (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      vireo_machine_card_set_machine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_machine_card_class_init (VireoMachineCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vireo_machine_card_dispose;
  object_class->get_property = vireo_machine_card_get_property;
  object_class->set_property = vireo_machine_card_set_property;
  widget_class->map = vireo_machine_card_map;
  widget_class->unmap = vireo_machine_card_unmap;

  properties [PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, VIREO_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-machine-card.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, menu_button);
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, state_label);
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, VireoMachineCard, os_label);

  for (guint i = 0; i < G_N_ELEMENTS (card_actions); i++)
    gtk_widget_class_install_action (widget_class, card_actions[i].card_action, NULL, card_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "machinecard");
}

static void
vireo_machine_card_init (VireoMachineCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->machine_signals = g_signal_group_new (VIREO_TYPE_MACHINE);
  g_signal_group_connect_object (self->machine_signals, "notify::name",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->machine_signals, "notify::os-name",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->machine_signals, "notify::state",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->machine_signals, "notify::thumbnail",
                                 G_CALLBACK (on_machine_notify_cb), self, G_CONNECT_SWAPPED);
  update_state (self);
}
