/* vireo-vmm: run one machine from the command line.
 *
 * Exit status: 0 when the guest powers off, 1 when it crashes, 2 for bad
 * input (one line on stderr), 130/143 after SIGINT/SIGTERM. SIGUSR1
 * presses the guest's ACPI power button.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "vireo-vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_BAD_INPUT 2
#define CTRL_A 0x01

typedef struct {
  GMainLoop *loop;
  VmmMachine *machine;
  int serial_fd;
  gboolean raw_tty;
  struct termios saved_tty;
  gboolean escape;   /* Ctrl-A seen: the next key is a command */
  int exit_status;
} Runner;

static void
write_all (int fd, const uint8_t *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return; /* the reader went away; the guest keeps running */
      data += n;
      len -= (size_t) n;
    }
}

static void
serial_sink (const uint8_t *data, size_t len, gpointer user_data)
{
  Runner *r = user_data;

  write_all (r->serial_fd, data, len);
}

typedef struct {
  Runner *runner;
  VmmState state;
} StateChange;

static gboolean
on_state_changed_cb (gpointer data)
{
  StateChange *sc = data;
  Runner *r = sc->runner;

  switch (sc->state)
    {
    case VMM_STATE_STOPPED:
      if (r->exit_status < 0)
        r->exit_status = 0;
      g_main_loop_quit (r->loop);
      break;
    case VMM_STATE_CRASHED:
      if (r->exit_status < 0)
        {
          fprintf (stderr, "vireo-vmm: the guest crashed (registers are in the log above)\n");
          r->exit_status = 1;
        }
      g_main_loop_quit (r->loop);
      break;
    case VMM_STATE_RUNNING:
    case VMM_STATE_PAUSED:
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

/* Called on a monitor thread: hand over to the main loop. */
static void
state_notify (VmmMachine *machine, VmmState state, gpointer user_data)
{
  StateChange *sc = g_new0 (StateChange, 1);

  sc->runner = user_data;
  sc->state = state;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, on_state_changed_cb, sc, g_free);
}

static void
stop_with (Runner *r, int status)
{
  if (r->exit_status < 0)
    r->exit_status = status;
  vmm_machine_kill (r->machine);
  g_main_loop_quit (r->loop);
}

static gboolean
on_sigint_cb (gpointer data)
{
  stop_with (data, 130);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm_cb (gpointer data)
{
  stop_with (data, 143);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR1 presses the power button: the headless way to ask the guest to
 * shut down cleanly (SIGTERM pulls the plug). */
static gboolean
on_sigusr1_cb (gpointer data)
{
  Runner *r = data;
  g_autoptr(GError) error = NULL;

  if (!vmm_machine_power_button (r->machine, &error))
    fprintf (stderr, "vireo-vmm: %s\n", error->message);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stdin_cb (int fd, GIOCondition cond, gpointer data)
{
  Runner *r = data;
  uint8_t buf[4096], out[4096];
  size_t n_out = 0;
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    return G_SOURCE_REMOVE;

  for (ssize_t i = 0; i < n; i++)
    {
      /* In raw mode Ctrl-C belongs to the guest; Ctrl-A x leaves, as in
       * QEMU, and Ctrl-A Ctrl-A sends one Ctrl-A. */
      if (r->raw_tty && r->escape)
        {
          r->escape = FALSE;
          if (buf[i] == 'x')
            {
              stop_with (r, 130);
              return G_SOURCE_REMOVE;
            }
          if (buf[i] != CTRL_A)
            continue;
        }
      else if (r->raw_tty && buf[i] == CTRL_A)
        {
          r->escape = TRUE;
          continue;
        }
      out[n_out++] = buf[i];
    }
  vmm_machine_serial_input (r->machine, out, n_out);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_size (const char *s, uint64_t *out)
{
  char *end = NULL;
  guint64 v;
  unsigned shift = 20; /* a bare number is MiB */

  if (s == NULL || !g_ascii_isdigit (s[0]))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoull (s, &end, 10);
  if (errno != 0)
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    case '\0': break;
    default: return FALSE;
    }
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end != '\0' || v > (G_MAXUINT64 >> shift))
    return FALSE;
  *out = v << shift;
  return TRUE;
}

static int
bad_input (const char *message)
{
  fprintf (stderr, "vireo-vmm: %s\n", message);
  return EXIT_BAD_INPUT;
}

static void
enter_raw_mode (Runner *r)
{
  struct termios raw;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &r->saved_tty) < 0)
    return;
  raw = r->saved_tty;
  cfmakeraw (&raw);
  /* Keep output post-processing so the host terminal still gets its
   * carriage returns right for our own messages. */
  raw.c_oflag |= OPOST;
  if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0)
    r->raw_tty = TRUE;
}

static void
leave_raw_mode (Runner *r)
{
  if (r->raw_tty)
    tcsetattr (STDIN_FILENO, TCSANOW, &r->saved_tty);
  r->raw_tty = FALSE;
}

/* FILE[,format=raw|qcow2][,readonly][,serial=TEXT] */
static gboolean
parse_disk (const char *spec, VmmDiskConfig *disk, GStrv *owned, char **why)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);

  memset (disk, 0, sizeof *disk);
  if (parts[0] == NULL || parts[0][0] == '\0')
    {
      *why = g_strdup_printf ("--disk “%s” names no file", spec);
      return FALSE;
    }
  for (unsigned i = 1; parts[i] != NULL; i++)
    {
      const char *p = parts[i];
      if (strcmp (p, "readonly") == 0)
        disk->read_only = TRUE;
      else if (g_str_has_prefix (p, "format=")
               && (strcmp (p + 7, "raw") == 0 || strcmp (p + 7, "qcow2") == 0))
        disk->format = p + 7;
      else if (g_str_has_prefix (p, "serial="))
        disk->serial = p + 7;
      else if (strcmp (p, "bus=sata") == 0)
        disk->bus = VMM_DISK_BUS_SATA;
      else if (strcmp (p, "bus=virtio") == 0)
        disk->bus = VMM_DISK_BUS_VIRTIO;
      else
        {
          *why = g_strdup_printf ("--disk: unknown option “%s” (use format=raw|qcow2, readonly, serial=TEXT, bus=virtio|sata)", p);
          return FALSE;
        }
    }
  if (disk->format == NULL)
    fprintf (stderr, "vireo-vmm: %s: no format= given, probing it; give format=raw for disks "
             "a guest writes raw, or a guest could make it look like a qcow2 image\n", parts[0]);
  disk->path = parts[0];
  *owned = g_steal_pointer (&parts);
  return TRUE;
}

/* cdrom,disk: the kinds of drive the firmware tries first, in order. */
static gboolean
parse_boot (const char *spec, VmmConfig *config, char **why)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);

  config->n_boot_order = 0;
  if (parts[0] == NULL)
    {
      *why = g_strdup ("--boot names no drive (use cdrom and disk, e.g. --boot cdrom,disk)");
      return FALSE;
    }
  for (unsigned i = 0; parts[i] != NULL; i++)
    {
      VmmBootDevice kind;

      if (strcmp (parts[i], "disk") == 0)
        kind = VMM_BOOT_DISK;
      else if (strcmp (parts[i], "cdrom") == 0)
        kind = VMM_BOOT_CDROM;
      else
        {
          *why = g_strdup_printf ("--boot: unknown drive “%s” (use cdrom and disk, e.g. --boot cdrom,disk)", parts[i]);
          return FALSE;
        }
      for (unsigned j = 0; j < config->n_boot_order; j++)
        if (config->boot_order[j] == kind)
          {
            *why = g_strdup_printf ("--boot names “%s” twice", parts[i]);
            return FALSE;
          }
      config->boot_order[config->n_boot_order++] = kind;
    }
  return TRUE;
}

/* user[,hostfwd=PROTO:ADDR:PORT-:PORT]...[,restrict][,model=virtio|e1000e] */
static gboolean
parse_net (const char *spec, VmmConfig *config, GPtrArray *forwards, char **why)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);

  if (g_strcmp0 (parts[0], "user") != 0)
    {
      *why = g_strdup_printf ("--net “%s”: only user networking exists (--net user[,hostfwd=tcp:127.0.0.1:2222-:22])", spec);
      return FALSE;
    }
  for (unsigned i = 1; parts[i] != NULL; i++)
    {
      if (g_str_has_prefix (parts[i], "hostfwd="))
        g_ptr_array_add (forwards, g_strdup (parts[i] + strlen ("hostfwd=")));
      else if (strcmp (parts[i], "restrict") == 0)
        config->net_restricted = TRUE;
      else if (strcmp (parts[i], "model=virtio") == 0)
        config->net_model = VMM_NET_MODEL_VIRTIO;
      else if (strcmp (parts[i], "model=e1000e") == 0)
        config->net_model = VMM_NET_MODEL_E1000E;
      else
        {
          *why = g_strdup_printf ("--net: unknown option “%s” (use hostfwd=tcp:ADDR:PORT-:PORT, restrict or model=virtio|e1000e)", parts[i]);
          return FALSE;
        }
    }
  config->net_user = TRUE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *kernel = NULL, *initrd = NULL, *append = NULL, *memory = NULL;
  g_autofree char *serial = NULL, *realmode = NULL;
  g_autofree char *bios = NULL, *uefi_code = NULL, *uefi_vars = NULL, *boot = NULL;
  g_auto(GStrv) disks = NULL, cdroms = NULL;
  g_autofree char *net = NULL, *spice = NULL, *display = NULL;
  gboolean rng = FALSE;
  g_autoptr(GPtrArray) forwards = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) disk_parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int cpus = 1;
  GOptionEntry entries[] = {
    { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "Linux kernel (bzImage) to boot", "FILE" },
    { "initrd", 0, 0, G_OPTION_ARG_FILENAME, &initrd, "Initial ramdisk", "FILE" },
    { "append", 0, 0, G_OPTION_ARG_STRING, &append, "Kernel command line", "\"...\"" },
    { "memory", 0, 0, G_OPTION_ARG_STRING, &memory, "Guest memory, e.g. 512M or 1G (default 512M)", "SIZE" },
    { "cpus", 0, 0, G_OPTION_ARG_INT, &cpus, "Number of vCPUs (default 1)", "N" },
    { "disk", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &disks,
      "A virtio disk (repeatable): raw or qcow2 image", "FILE[,format=raw|qcow2][,readonly][,serial=S]" },
    { "cdrom", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cdroms,
      "A SATA CD-ROM drive with an ISO image in it (repeatable)", "ISO" },
    { "net", 0, 0, G_OPTION_ARG_STRING, &net,
      "A network card (virtio, or model=e1000e) on user-mode networking, with host port forwards",
      "user[,hostfwd=tcp:127.0.0.1:2222-:22][,restrict][,model=e1000e]" },
    { "rng", 0, 0, G_OPTION_ARG_NONE, &rng, "A virtio random number generator", NULL },
    { "display", 0, 0, G_OPTION_ARG_STRING, &display,
      "Give the guest a screen: virtio-gpu (default with --spice) or bochs (a plain framebuffer)",
      "virtio-gpu|bochs" },
    { "spice", 0, 0, G_OPTION_ARG_STRING, &spice,
      "Show the guest's screen to SPICE viewers (remote-viewer spice+unix://PATH or spice://127.0.0.1:PORT)",
      "unix:PATH|tcp:127.0.0.1:PORT" },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial, "Where COM1 goes: stdio (default) or file:PATH", "stdio|file:PATH" },
    { "bios", 0, 0, G_OPTION_ARG_FILENAME, &bios,
      "Boot through this BIOS image, e.g. /usr/share/seabios/bios-256k.bin", "FILE" },
    { "uefi-code", 0, 0, G_OPTION_ARG_FILENAME, &uefi_code,
      "Boot through this UEFI image, e.g. /usr/share/OVMF/OVMF_CODE_4M.fd", "FILE" },
    { "uefi-vars", 0, 0, G_OPTION_ARG_FILENAME, &uefi_vars,
      "The machine's UEFI variables (a copy of OVMF_VARS_4M.fd; written to)", "FILE" },
    { "boot", 0, 0, G_OPTION_ARG_STRING, &boot,
      "With --bios or --uefi-code: the drives the firmware tries first, in order", "cdrom,disk" },
    { "realmode", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &realmode,
      "A raw real-mode program instead of a kernel (for testing the monitor)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  VmmConfig config;
  Runner r = { .serial_fd = STDOUT_FILENO, .exit_status = -1 };
  gboolean serial_stdio = TRUE;

  ctx = g_option_context_new ("- run a virtual machine");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "With --serial stdio on a terminal, Ctrl-A x quits.\n"
    "Signals: SIGUSR1 presses the guest's power button; SIGINT and SIGTERM stop it at once.\n"
    "Exit status: 0 when the guest powers off, 1 when it crashes, 2 for bad input,\n"
    "130 after SIGINT, 143 after SIGTERM.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return bad_input (error->message);
  if (argc > 1)
    {
      g_autofree char *msg = g_strdup_printf ("unexpected argument “%s”", argv[1]);
      return bad_input (msg);
    }
  if (kernel == NULL && realmode == NULL && bios == NULL && uefi_code == NULL)
    return bad_input ("--kernel FILE, --bios FILE or --uefi-code FILE is required");
  if ((uefi_code == NULL) != (uefi_vars == NULL))
    return bad_input ("--uefi-code and --uefi-vars go together");
  if (kernel != NULL && realmode != NULL)
    return bad_input ("--kernel and --realmode exclude each other");
  if (boot != NULL && bios == NULL && uefi_code == NULL)
    return bad_input ("--boot needs --bios or --uefi-code: a kernel given alone boots directly");

  vmm_config_init (&config);
  config.kernel_path = kernel;
  config.initrd_path = initrd;
  config.cmdline = append;
  config.realmode_image_path = realmode;
  config.bios_path = bios;
  config.uefi_code_path = uefi_code;
  config.uefi_vars_path = uefi_vars;
  if (boot != NULL)
    {
      g_autofree char *why = NULL;
      if (!parse_boot (boot, &config, &why))
        return bad_input (why);
    }
  if (memory != NULL && !parse_size (memory, &config.memory))
    {
      g_autofree char *msg = g_strdup_printf ("invalid memory size “%s” (use e.g. 512M or 2G)", memory);
      return bad_input (msg);
    }
  if (cpus < 1)
    return bad_input ("--cpus must be at least 1");
  config.cpus = (unsigned) cpus;
  config.rng = rng;
  config.spice_listen = spice;
  if (display != NULL)
    {
      config.display = TRUE;
      if (strcmp (display, "bochs") == 0)
        config.display_device = VMM_DISPLAY_DEVICE_BOCHS;
      else if (strcmp (display, "virtio-gpu") != 0)
        {
          g_autofree char *msg = g_strdup_printf ("invalid --display “%s” (use virtio-gpu or bochs)", display);
          return bad_input (msg);
        }
    }
  if (net != NULL)
    {
      g_autofree char *why = NULL;
      if (!parse_net (net, &config, forwards, &why))
        return bad_input (why);
      g_ptr_array_add (forwards, NULL);
      config.net_forwards = (const char *const *) forwards->pdata;
    }
  for (unsigned i = 0; disks != NULL && disks[i] != NULL; i++)
    {
      g_autofree char *why = NULL;
      GStrv parts = NULL;
      if (i == VMM_DISKS_MAX)
        return bad_input ("too many --disk and --cdrom options (at most 8)");
      if (!parse_disk (disks[i], &config.disks[i], &parts, &why))
        return bad_input (why);
      g_ptr_array_add (disk_parts, parts);
      config.n_disks = i + 1;
    }
  for (unsigned i = 0; cdroms != NULL && cdroms[i] != NULL; i++)
    {
      if (config.n_disks == VMM_DISKS_MAX)
        return bad_input ("too many --disk and --cdrom options (at most 8)");
      config.disks[config.n_disks++] = (VmmDiskConfig) {
        .path = cdroms[i], .format = "raw", .read_only = TRUE, .cdrom = TRUE, .bus = VMM_DISK_BUS_SATA,
      };
    }

  if (serial != NULL && g_str_has_prefix (serial, "file:"))
    {
      const char *path = serial + strlen ("file:");
      r.serial_fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (r.serial_fd < 0)
        {
          g_autofree char *msg = g_strdup_printf ("cannot open “%s”: %s", path, g_strerror (errno));
          return bad_input (msg);
        }
      serial_stdio = FALSE;
    }
  else if (serial != NULL && strcmp (serial, "stdio") != 0)
    {
      g_autofree char *msg = g_strdup_printf ("invalid --serial “%s” (use stdio or file:PATH)", serial);
      return bad_input (msg);
    }
  config.serial_sink = serial_sink;
  config.serial_data = &r;
  config.state_notify = state_notify;
  config.state_data = &r;

  r.machine = vmm_machine_new (&config, &error);
  if (r.machine == NULL)
    return bad_input (error->message);

  loop = g_main_loop_new (NULL, FALSE);
  r.loop = loop;
  g_unix_signal_add (SIGINT, on_sigint_cb, &r);
  g_unix_signal_add (SIGTERM, on_sigterm_cb, &r);
  g_unix_signal_add (SIGUSR1, on_sigusr1_cb, &r);
  if (serial_stdio)
    {
      enter_raw_mode (&r);
      g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin_cb, &r);
    }

  if (!vmm_machine_start (r.machine, &error))
    {
      leave_raw_mode (&r);
      fprintf (stderr, "vireo-vmm: %s\n", error->message);
      vmm_machine_free (r.machine);
      return 1;
    }
  g_main_loop_run (loop);

  leave_raw_mode (&r);
  vmm_machine_free (r.machine);
  if (r.serial_fd != STDOUT_FILENO)
    close (r.serial_fd);
  return r.exit_status < 0 ? 0 : r.exit_status;
}
