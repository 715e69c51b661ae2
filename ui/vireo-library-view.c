/* vireo-library-view.c
 *
 * The library page's content: a grid of machine cards over the library's
 * filtered model, the search bar that filters it, and what to show when
 * the grid would be empty (still loading, no machines, no match).
 *
 * Opening a card activates the window's win.machine-open with the
 * machine's UUID, so the view does not need to know about the console.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-library-view.h"
#include "vireo-machine-card.h"

struct _VireoLibraryView
{
  GtkWidget       parent_instance;

  VireoLibrary   *library;
  GtkNoSelection *selection;
  gboolean        search_mode_enabled;
  guint           loaded : 1;

  /* Template widgets */
  GtkSearchBar   *search_bar;
  GtkSearchEntry *search_entry;
  GtkStack       *stack;
  GtkGridView    *grid;
};

G_DEFINE_FINAL_TYPE (VireoLibraryView, vireo_library_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LIBRARY,
  PROP_SEARCH_MODE_ENABLED,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
update_page (VireoLibraryView *self)
{
  const char *page = "loading";

  if (self->library != NULL && self->loaded)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->library)) == 0)
        page = "empty";
      else if (g_list_model_get_n_items (vireo_library_get_filtered (self->library)) == 0)
        page = "no-results";
      else
        page = "machines";
    }
  /* Machines added by the wizard before loading finished still show. */
  else if (self->library != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->library)) > 0)
    page = "machines";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
on_items_changed_cb (VireoLibraryView *self,
                     guint             position,
                     guint             removed,
                     guint             added,
                     GListModel       *model)
{
  update_page (self);
}

static void
on_search_changed_cb (VireoLibraryView *self,
                      GtkSearchEntry   *entry)
{
  if (self->library != NULL)
    vireo_library_set_search (self->library, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_stop_search_cb (VireoLibraryView *self,
                   GtkSearchEntry   *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
on_grid_activate_cb (VireoLibraryView *self,
                     guint             position,
                     GtkGridView      *grid)
{
  g_autoptr(VireoMachine) machine = NULL;

  if (self->selection == NULL)
    return;

  machine = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (machine != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.machine-open", "s",
                                vireo_machine_get_uuid (machine));
}

static void
setup_card_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  gtk_list_item_set_child (item, vireo_machine_card_new ());
}

static void
bind_card_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  vireo_machine_card_set_machine (VIREO_MACHINE_CARD (gtk_list_item_get_child (item)),
                                  gtk_list_item_get_item (item));
}

static void
unbind_card_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  vireo_machine_card_set_machine (VIREO_MACHINE_CARD (gtk_list_item_get_child (item)), NULL);
}

/**
 * vireo_library_view_get_library:
 *
 * Returns: (transfer none) (nullable): the library shown
 */
VireoLibrary *
vireo_library_view_get_library (VireoLibraryView *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY_VIEW (self), NULL);

  return self->library;
}

void
vireo_library_view_set_library (VireoLibraryView *self,
                                VireoLibrary     *library)
{
  g_return_if_fail (VIREO_IS_LIBRARY_VIEW (self));
  g_return_if_fail (library == NULL || VIREO_IS_LIBRARY (library));

  if (self->library == library)
    return;

  if (self->library != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->library, on_items_changed_cb, self);
      g_signal_handlers_disconnect_by_func (vireo_library_get_filtered (self->library),
                                            on_items_changed_cb, self);
    }
  gtk_grid_view_set_model (self->grid, NULL);
  g_clear_object (&self->selection);
  g_set_object (&self->library, library);

  if (library != NULL)
    {
      GListModel *filtered = vireo_library_get_filtered (library);

      self->selection = gtk_no_selection_new (g_object_ref (filtered));
      gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
      g_signal_connect_object (library, "items-changed",
                               G_CALLBACK (on_items_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (filtered, "items-changed",
                               G_CALLBACK (on_items_changed_cb), self, G_CONNECT_SWAPPED);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry),
                             vireo_library_get_search (library) != NULL ? vireo_library_get_search (library) : "");
    }

  update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LIBRARY]);
}

/**
 * vireo_library_view_set_loaded:
 *
 * Until the library is loaded, an empty library is not "no machines".
 */
void
vireo_library_view_set_loaded (VireoLibraryView *self,
                               gboolean          loaded)
{
  g_return_if_fail (VIREO_IS_LIBRARY_VIEW (self));

  self->loaded = !!loaded;
  update_page (self);
}

/**
 * vireo_library_view_get_page:
 *
 * Returns: what the view shows: "loading", "empty", "no-results" or
 *   "machines"
 */
const char *
vireo_library_view_get_page (VireoLibraryView *self)
{
  g_return_val_if_fail (VIREO_IS_LIBRARY_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * vireo_library_view_set_key_capture:
 * @widget: (nullable): where typing starts a search (the window)
 */
void
vireo_library_view_set_key_capture (VireoLibraryView *self,
                                    GtkWidget        *widget)
{
  g_return_if_fail (VIREO_IS_LIBRARY_VIEW (self));

  gtk_search_bar_set_key_capture_widget (self->search_bar, widget);
}

static void
vireo_library_view_dispose (GObject *object)
{
  VireoLibraryView *self = (VireoLibraryView *)object;
  GtkWidget *child;

  vireo_library_view_set_library (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIREO_TYPE_LIBRARY_VIEW);
  /* The template's root box has no id, so dispose_template() leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (vireo_library_view_parent_class)->dispose (object);
}

static void
vireo_library_view_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VireoLibraryView *self = VIREO_LIBRARY_VIEW (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      g_value_set_object (value, self->library);
      break;

    case PROP_SEARCH_MODE_ENABLED:
      g_value_set_boolean (value, self->search_mode_enabled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_library_view_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  VireoLibraryView *self = VIREO_LIBRARY_VIEW (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      vireo_library_view_set_library (self, g_value_get_object (value));
      break;

    case PROP_SEARCH_MODE_ENABLED:
      if (self->search_mode_enabled != g_value_get_boolean (value))
        {
          self->search_mode_enabled = g_value_get_boolean (value);
          /* Leaving search shows every machine again. */
          if (!self->search_mode_enabled)
            gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
          else
            gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vireo_library_view_class_init (VireoLibraryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vireo_library_view_dispose;
  object_class->get_property = vireo_library_view_get_property;
  object_class->set_property = vireo_library_view_set_property;

  properties [PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, VIREO_TYPE_LIBRARY,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_SEARCH_MODE_ENABLED] =
    g_param_spec_boolean ("search-mode-enabled", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/vireo/Vireo/vireo-library-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VireoLibraryView, search_bar);
  gtk_widget_class_bind_template_child (widget_class, VireoLibraryView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VireoLibraryView, stack);
  gtk_widget_class_bind_template_child (widget_class, VireoLibraryView, grid);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_grid_activate_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
vireo_library_view_init (VireoLibraryView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_card_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_card_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_card_cb), NULL);
  gtk_grid_view_set_factory (self->grid, factory);
}
