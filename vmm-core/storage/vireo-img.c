/* vireo-img: create, describe and check disk images.
 *
 *   vireo-img create [-f qcow2|raw] [-o cluster_size=N] [-b BACKING [-F FMT]] FILE [SIZE]
 *   vireo-img info FILE
 *   vireo-img check FILE
 *
 * Errors are one line on stderr and exit status 2. `check` exits like
 * qemu-img check: 0 clean, 2 corruptions found, 3 only leaks found.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

#define EXIT_ERROR 2
#define EXIT_LEAKS 3

G_GNUC_NORETURN G_GNUC_PRINTF (1, 2)
static void
die (const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* One line, whatever the message held. */
  g_strdelimit (msg, "\n", ' ');
  fprintf (stderr, "vireo-img: %s\n", msg);
  exit (EXIT_ERROR);
}

static void
usage (void)
{
  die ("usage: vireo-img create [-f qcow2|raw] [-o cluster_size=N] [-b BACKING [-F FMT]] FILE "
       "[SIZE] | info FILE | check FILE");
}

/* "10G", "512M", "4096", "64k": binary multiples, like qemu-img. */
static bool
parse_size (const char *s, uint64_t *out)
{
  const char *units = "KMGTPE";
  char *end = NULL;
  guint64 v;
  unsigned shift = 0;

  if (!g_ascii_isdigit (s[0]))
    return false;
  v = g_ascii_strtoull (s, &end, 10);
  if (*end != '\0')
    {
      const char *u = strchr (units, g_ascii_toupper (*end));

      if (u == NULL || end[1] != '\0')
        return false;
      shift = 10 * (unsigned) (u - units + 1);
    }
  if (shift >= 64 || v > (G_MAXUINT64 >> shift))
    return false;
  *out = v << shift;
  return true;
}

static int
cmd_create (int argc, char **argv)
{
  const char *fmt = "qcow2", *backing = NULL, *backing_fmt = NULL;
  uint64_t size = 0, cluster = 0;
  g_autoptr(GError) error = NULL;
  int opt;

  while ((opt = getopt (argc, argv, "+f:o:b:F:")) != -1)
    {
      switch (opt)
        {
        case 'f':
          fmt = optarg;
          break;
        case 'o':
          if (!g_str_has_prefix (optarg, "cluster_size=")
              || !parse_size (optarg + strlen ("cluster_size="), &cluster) || cluster > G_MAXUINT32)
            die ("unknown or malformed option \"%s\" (only cluster_size=N is known)", optarg);
          break;
        case 'b':
          backing = optarg;
          break;
        case 'F':
          backing_fmt = optarg;
          break;
        default:
          usage ();
        }
    }
  if (optind >= argc || argc - optind > 2)
    usage ();
  if (argc - optind == 2 && !parse_size (argv[optind + 1], &size))
    die ("invalid size \"%s\"", argv[optind + 1]);
  if (argc - optind == 1 && backing == NULL)
    die ("a size is needed when there is no backing file");

  if (strcmp (fmt, "qcow2") == 0)
    {
      if (!vmm_image_create_qcow2 (argv[optind], size, (uint32_t) cluster, backing, backing_fmt,
                                   &error))
        die ("%s", error->message);
    }
  else if (strcmp (fmt, "raw") == 0)
    {
      if (backing != NULL || cluster != 0)
        die ("raw images have no backing file or cluster size");
      if (!vmm_image_create_raw (argv[optind], size, &error))
        die ("%s", error->message);
    }
  else
    die ("unknown format \"%s\" (use qcow2 or raw)", fmt);
  printf ("Formatting '%s', fmt=%s size=%" G_GUINT64_FORMAT "\n", argv[optind], fmt, size);
  return 0;
}

static int
cmd_info (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);
  g_autofree char *human = NULL;
  VmmImageInfo info;

  if (img == NULL)
    die ("%s", error->message);
  vmm_image_get_info (img, &info);
  human = g_format_size_full (info.virtual_size, G_FORMAT_SIZE_IEC_UNITS);
  printf ("image: %s\n", path);
  printf ("file format: %s\n", vmm_image_format_name (info.format));
  printf ("virtual size: %s (%" G_GUINT64_FORMAT " bytes)\n", human, info.virtual_size);
  if (info.format == VMM_IMAGE_FORMAT_QCOW2)
    {
      printf ("cluster_size: %u\n", info.cluster_size);
      printf ("version: %u (compat %s)\n", info.version, info.version >= 3 ? "1.1" : "0.10");
      printf ("refcount bits: %u\n", info.refcount_bits);
      printf ("lazy refcounts: %s\n", info.lazy_refcounts ? "true" : "false");
      printf ("dirty: %s\n", info.dirty ? "yes" : "no");
      printf ("corrupt: %s\n", info.corrupt ? "yes" : "no");
      printf ("snapshots: %u\n", info.nb_snapshots);
    }
  if (info.backing_file != NULL)
    printf ("backing file: %s\n", info.backing_file);
  if (info.backing_format != NULL)
    printf ("backing file format: %s\n", info.backing_format);
  for (VmmImage *b = vmm_image_get_backing (img); b != NULL; b = vmm_image_get_backing (b))
    {
      VmmImageInfo binfo;

      vmm_image_get_info (b, &binfo);
      printf ("backing chain: %s (%s, %" G_GUINT64_FORMAT " bytes)\n", vmm_image_get_path (b),
              vmm_image_format_name (binfo.format), binfo.virtual_size);
    }
  return 0;
}

static void
print_line (void *opaque, const char *line)
{
  printf ("%s\n", line);
}

static int
cmd_check (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);
  VmmImageCheck res;

  if (img == NULL)
    die ("%s", error->message);
  if (!vmm_image_check (img, &res, print_line, NULL, &error))
    die ("%s", error->message);
  if (res.corruptions > 0)
    printf ("\n%" G_GUINT64_FORMAT " errors were found on the image.\n", res.corruptions);
  if (res.leaks > 0)
    printf ("\n%" G_GUINT64_FORMAT " leaked clusters were found on the image.\n", res.leaks);
  if (res.corruptions == 0 && res.leaks == 0)
    printf ("No errors were found on the image.\n");
  if (res.total_clusters > 0)
    printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " clusters are allocated (metadata "
            "included).\n", res.allocated_clusters, res.total_clusters);
  if (res.corruptions > 0)
    return EXIT_ERROR;
  return res.leaks > 0 ? EXIT_LEAKS : 0;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    usage ();
  if (strcmp (argv[1], "create") == 0)
    return cmd_create (argc - 1, argv + 1);
  if (strcmp (argv[1], "info") == 0 && argc == 3)
    return cmd_info (argv[2]);
  if (strcmp (argv[1], "check") == 0 && argc == 3)
    return cmd_check (argv[2]);
  usage ();
}
