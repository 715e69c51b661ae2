/* test-kvm-machine.c: the machine's life cycle on /dev/kvm, with small
 * real-mode guest programs of our own (built from guest-*.s).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-vmm.h"

#include <string.h>
#include <unistd.h>

#define TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef struct {
  GMutex lock;
  GCond cond;
  GString *serial;
  GArray *states;
} Observer;

static void
observer_init (Observer *o)
{
  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  o->serial = g_string_new (NULL);
  o->states = g_array_new (FALSE, FALSE, sizeof (VmmState));
}

static void
observer_clear (Observer *o)
{
  g_string_free (o->serial, TRUE);
  g_array_unref (o->states);
  g_cond_clear (&o->cond);
  g_mutex_clear (&o->lock);
}

static void
on_serial (const uint8_t *data, size_t len, gpointer user_data)
{
  Observer *o = user_data;

  g_mutex_lock (&o->lock);
  g_string_append_len (o->serial, (const char *) data, (gssize) len);
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static void
on_state (VmmMachine *machine, VmmState state, gpointer user_data)
{
  Observer *o = user_data;

  g_mutex_lock (&o->lock);
  g_array_append_val (o->states, state);
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static gboolean
wait_for_state (Observer *o, VmmState state)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;
  gboolean seen = FALSE;

  g_mutex_lock (&o->lock);
  while (!seen)
    {
      for (guint i = 0; i < o->states->len; i++)
        seen = seen || g_array_index (o->states, VmmState, i) == state;
      if (!seen && !g_cond_wait_until (&o->cond, &o->lock, end))
        break;
    }
  g_mutex_unlock (&o->lock);
  return seen;
}

static gboolean
wait_for_output (Observer *o, const char *text)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;
  gboolean seen;

  g_mutex_lock (&o->lock);
  while (!(seen = strstr (o->serial->str, text) != NULL))
    if (!g_cond_wait_until (&o->cond, &o->lock, end))
      break;
  g_mutex_unlock (&o->lock);
  return seen;
}

static unsigned
count_locked (Observer *o, const char *text)
{
  unsigned n = 0;

  for (const char *p = o->serial->str; (p = strstr (p, text)) != NULL; p += strlen (text))
    n++;
  return n;
}

static gboolean
wait_for_count (Observer *o, const char *text, unsigned count)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;
  gboolean seen;

  g_mutex_lock (&o->lock);
  while (!(seen = count_locked (o, text) >= count))
    if (!g_cond_wait_until (&o->cond, &o->lock, end))
      break;
  g_mutex_unlock (&o->lock);
  return seen;
}

static gsize
output_len (Observer *o)
{
  gsize n;

  g_mutex_lock (&o->lock);
  n = o->serial->len;
  g_mutex_unlock (&o->lock);
  return n;
}

static VmmMachine *
make_machine (const char *program, Observer *o)
{
  g_autofree char *path = g_build_filename (GUEST_DIR, program, NULL);
  g_autoptr(GError) error = NULL;
  VmmConfig config;
  VmmMachine *m;

  vmm_config_init (&config);
  config.realmode_image_path = path;
  config.memory = 32ULL << 20;
  config.serial_sink = on_serial;
  config.serial_data = o;
  config.state_notify = on_state;
  config.state_data = o;
  m = vmm_machine_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_STOPPED);
  return m;
}

/* Reset through the i8042, then through 0xcf9, then S5: three boots of
 * the same program, each reloaded from scratch; then a second start after
 * power-off boots it a fourth time. */
static void
test_reset_and_poweroff (void)
{
  g_autoptr(GError) error = NULL;
  Observer o;
  VmmMachine *m;

  observer_init (&o);
  m = make_machine ("guest-reset.bin", &o);
  g_assert_true (vmm_machine_start (m, &error));
  g_assert_no_error (error);
  g_assert_true (wait_for_state (&o, VMM_STATE_STOPPED));
  g_assert_cmpstr (o.serial->str, ==, "VIREO-KVM-BOOT1\nVIREO-KVM-BOOT2\nVIREO-KVM-BOOT3\n");
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_STOPPED);
  /* Reboots are not state changes: running, then stopped, nothing else. */
  g_assert_cmpuint (o.states->len, ==, 2);
  g_assert_cmpint (g_array_index (o.states, VmmState, 0), ==, VMM_STATE_RUNNING);

  /* A stopped machine cannot be paused... */
  g_assert_false (vmm_machine_pause (m, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_BAD_STATE);
  g_clear_error (&error);

  /* ...but starts again. */
  g_array_set_size (o.states, 0);
  g_assert_true (vmm_machine_start (m, &error));
  g_assert_true (wait_for_state (&o, VMM_STATE_STOPPED));
  g_assert_true (g_str_has_suffix (o.serial->str, "VIREO-KVM-BOOT3\nVIREO-KVM-BOOT4\n"));
  vmm_machine_free (m);
  observer_clear (&o);
}

static void
test_crash (void)
{
  g_autoptr(GError) error = NULL;
  Observer o;
  VmmMachine *m;

  observer_init (&o);
  m = make_machine ("guest-crash.bin", &o);
  /* The register dump is a warning; it is expected here. */
  g_test_expect_message ("vireo-vmm", G_LOG_LEVEL_MESSAGE, "vCPU 0: *RIP=*");
  g_assert_true (vmm_machine_start (m, &error));
  g_assert_true (wait_for_state (&o, VMM_STATE_CRASHED));
  g_test_assert_expected_messages ();
  g_assert_cmpstr (o.serial->str, ==, "VIREO-KVM-CRASH\n");
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_CRASHED);
  /* The process goes on and the machine can be freed. */
  vmm_machine_free (m);
  observer_clear (&o);
}

static void
test_pause_resume_button (void)
{
  g_autoptr(GError) error = NULL;
  Observer o;
  VmmMachine *m;
  gsize before;

  observer_init (&o);
  m = make_machine ("guest-button.bin", &o);
  g_assert_false (vmm_machine_power_button (m, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_BAD_STATE);
  g_clear_error (&error);

  g_assert_true (vmm_machine_start (m, &error));
  g_assert_true (wait_for_output (&o, "VIREO-KVM-READY\n."));

  g_assert_true (vmm_machine_pause (m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_PAUSED);
  before = output_len (&o);
  g_usleep (300 * 1000);
  g_assert_cmpuint (output_len (&o), ==, before);
  g_assert_false (vmm_machine_pause (m, &error));
  g_clear_error (&error);

  g_assert_true (vmm_machine_resume (m, &error));
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_RUNNING);
  g_assert_true (wait_for_output (&o, "VIREO-KVM-READY\n.."));
  g_assert_cmpuint (output_len (&o), >, before);

  g_assert_true (vmm_machine_power_button (m, &error));
  g_assert_true (wait_for_state (&o, VMM_STATE_STOPPED));
  g_assert_true (g_str_has_suffix (o.serial->str, "\nVIREO-KVM-BUTTON\n"));
  vmm_machine_free (m);
  observer_clear (&o);
}

static void
test_kill_and_reset (void)
{
  g_autoptr(GError) error = NULL;
  Observer o;
  VmmMachine *m;

  observer_init (&o);
  m = make_machine ("guest-button.bin", &o);
  g_assert_true (vmm_machine_start (m, &error));
  g_assert_true (wait_for_output (&o, "VIREO-KVM-READY\n"));
  g_mutex_lock (&o.lock);
  g_assert_cmpuint (count_locked (&o, "VIREO-KVM-READY\n"), ==, 1);
  g_mutex_unlock (&o.lock);
  /* A host reset boots the program again. */
  g_assert_true (vmm_machine_reset (m, &error));
  g_assert_true (wait_for_count (&o, "VIREO-KVM-READY\n", 2));
  vmm_machine_kill (m);
  g_assert_cmpint (vmm_machine_get_state (m), ==, VMM_STATE_STOPPED);
  g_assert_true (wait_for_state (&o, VMM_STATE_STOPPED));
  vmm_machine_free (m);
  observer_clear (&o);
}

/* Host input reaches the guest through the UART's receive FIFO. */
static void
test_serial_input (void)
{
  static const char line[] = "hello, vireo\n";
  g_autoptr(GError) error = NULL;
  Observer o;
  VmmMachine *m;

  observer_init (&o);
  m = make_machine ("guest-echo.bin", &o);
  g_assert_true (vmm_machine_start (m, &error));
  g_assert_true (wait_for_output (&o, "VIREO-KVM-ECHO\n"));
  /* More than the FIFO holds, in pieces. */
  for (unsigned i = 0; i < 3; i++)
    vmm_machine_serial_input (m, (const uint8_t *) "abcdefghijklmnopqrstuvwxyz", 26);
  vmm_machine_serial_input (m, (const uint8_t *) line, strlen (line));
  g_assert_true (wait_for_state (&o, VMM_STATE_STOPPED));
  g_assert_cmpstr (o.serial->str, ==,
                   "VIREO-KVM-ECHO\n"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "HELLO, VIREO\n");
  vmm_machine_free (m);
  observer_clear (&o);
}

/* Two machines in one process run side by side without sharing state. */
static void
test_two_machines (void)
{
  g_autoptr(GError) error = NULL;
  Observer a, b;
  VmmMachine *ma, *mb;

  observer_init (&a);
  observer_init (&b);
  ma = make_machine ("guest-reset.bin", &a);
  mb = make_machine ("guest-button.bin", &b);
  g_assert_true (vmm_machine_start (mb, &error));
  g_assert_true (vmm_machine_start (ma, &error));
  g_assert_true (wait_for_state (&a, VMM_STATE_STOPPED));
  g_assert_cmpstr (a.serial->str, ==, "VIREO-KVM-BOOT1\nVIREO-KVM-BOOT2\nVIREO-KVM-BOOT3\n");
  g_assert_true (wait_for_output (&b, "VIREO-KVM-READY\n"));
  g_assert_cmpint (vmm_machine_get_state (mb), ==, VMM_STATE_RUNNING);
  g_assert_true (vmm_machine_power_button (mb, &error));
  g_assert_true (wait_for_state (&b, VMM_STATE_STOPPED));
  g_assert_null (strstr (b.serial->str, "BOOT"));
  vmm_machine_free (ma);
  vmm_machine_free (mb);
  observer_clear (&a);
  observer_clear (&b);
}

int
main (int argc, char **argv)
{
  if (access ("/dev/kvm", F_OK) != 0)
    return 77;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kvm/machine/reset-and-poweroff", test_reset_and_poweroff);
  g_test_add_func ("/kvm/machine/crash", test_crash);
  g_test_add_func ("/kvm/machine/pause-resume-button", test_pause_resume_button);
  g_test_add_func ("/kvm/machine/kill-and-reset", test_kill_and_reset);
  g_test_add_func ("/kvm/machine/serial-input", test_serial_input);
  g_test_add_func ("/kvm/machine/two-machines", test_two_machines);
  return g_test_run ();
}
