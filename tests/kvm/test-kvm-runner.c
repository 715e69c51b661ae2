/* test-kvm-runner.c: vireo-vmm's exit statuses and signals, with a guest
 * program of our own on /dev/kvm.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef struct {
  GPid pid;
  int out_fd;
  GString *out;
} Runner;

static void
runner_start_full (Runner *r, const char *program, const char *memory, int *in_fd)
{
  g_autofree char *path = g_build_filename (GUEST_DIR, program, NULL);
  const char *argv[] = { VIREO_VMM, "--realmode", path, "--memory", memory, NULL };
  g_autoptr(GError) error = NULL;
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL;

  if (in_fd == NULL)
    flags |= G_SPAWN_STDIN_FROM_DEV_NULL;
  r->out = g_string_new (NULL);
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, flags, NULL, NULL,
                                           &r->pid, in_fd, &r->out_fd, NULL, &error));
  g_assert_no_error (error);
}

static void
runner_start (Runner *r, const char *program, const char *memory)
{
  runner_start_full (r, program, memory, NULL);
}

/* Reads the guest's serial output until @text shows up (or EOF). */
static gboolean
runner_wait_for (Runner *r, const char *text)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;

  while (strstr (r->out->str, text) == NULL && g_get_monotonic_time () < end)
    {
      char buf[256];
      GPollFD pfd = { r->out_fd, G_IO_IN | G_IO_HUP, 0 };
      ssize_t n;

      if (g_poll (&pfd, 1, 1000) <= 0)
        continue;
      n = read (r->out_fd, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (r->out, buf, n);
    }
  return strstr (r->out->str, text) != NULL;
}

static int
runner_wait_exit (Runner *r)
{
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;
  int status = 0;

  /* Drain the output so the monitor never blocks writing it. */
  runner_wait_for (r, "\x01never\x01");
  while (waitpid (r->pid, &status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > end)
        {
          kill (r->pid, SIGKILL);
          waitpid (r->pid, &status, 0);
          g_assert_not_reached ();
        }
      g_usleep (10000);
    }
  close (r->out_fd);
  g_spawn_close_pid (r->pid);
  g_string_free (r->out, TRUE);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_poweroff_exits_zero (void)
{
  Runner r;

  runner_start (&r, "guest-reset.bin", "3G");
  g_assert_true (runner_wait_for (&r, "VIREO-KVM-BOOT3\n"));
  g_assert_cmpint (runner_wait_exit (&r), ==, 0);
}

static void
test_crash_exits_one (void)
{
  Runner r;

  runner_start (&r, "guest-crash.bin", "32M");
  g_assert_true (runner_wait_for (&r, "VIREO-KVM-CRASH\n"));
  g_assert_cmpint (runner_wait_exit (&r), ==, 1);
}

static void
test_signals (void)
{
  static const struct { int sig; int status; } cases[] = {
    { SIGINT, 130 },
    { SIGTERM, 143 },
    { SIGUSR1, 0 },   /* the power button: the guest powers off */
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Runner r;

      runner_start (&r, "guest-button.bin", "32M");
      g_assert_true (runner_wait_for (&r, "VIREO-KVM-READY\n"));
      kill (r.pid, cases[i].sig);
      if (cases[i].sig == SIGUSR1)
        g_assert_true (runner_wait_for (&r, "VIREO-KVM-BUTTON\n"));
      g_assert_cmpint (runner_wait_exit (&r), ==, cases[i].status);
    }
}

/* --serial stdio: stdin goes to the guest. */
static void
test_stdin_to_guest (void)
{
  static const char input[] = "typed on stdin\n";
  Runner r;
  int in_fd = -1;

  runner_start_full (&r, "guest-echo.bin", "32M", &in_fd);
  g_assert_true (runner_wait_for (&r, "VIREO-KVM-ECHO\n"));
  g_assert_cmpint (write (in_fd, input, strlen (input)), ==, (ssize_t) strlen (input));
  g_assert_true (runner_wait_for (&r, "TYPED ON STDIN\n"));
  close (in_fd);
  g_assert_cmpint (runner_wait_exit (&r), ==, 0);
}

int
main (int argc, char **argv)
{
  if (access ("/dev/kvm", F_OK) != 0)
    return 77;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kvm/runner/poweroff-exits-zero", test_poweroff_exits_zero);
  g_test_add_func ("/kvm/runner/crash-exits-one", test_crash_exits_one);
  g_test_add_func ("/kvm/runner/signals", test_signals);
  g_test_add_func ("/kvm/runner/stdin-to-guest", test_stdin_to_guest);
  return g_test_run ();
}
