/* disk-io.c: the disk benchmark's load generator (bench/disk.py), run both
 * inside the guest (on /dev/vda, built static) and on the host (on the
 * image file, for the limit). O_DIRECT throughout, so neither side's page
 * cache is measured.
 *
 *   disk-io seqread  PATH BYTES BLOCK
 *   disk-io seqwrite PATH BYTES BLOCK      (fdatasync included)
 *   disk-io randread PATH SPAN  BLOCK COUNT
 *
 * BYTES, SPAN and BLOCK take K/M/G suffixes. Prints one line:
 *   DISKIO mode bytes=N seconds=S mbps=M iops=I
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t
parse_size (const char *s)
{
  char *end;
  uint64_t v = strtoull (s, &end, 10);

  switch (*end)
    {
    case 'G':
      v <<= 10;
      /* fall through */
    case 'M':
      v <<= 10;
      /* fall through */
    case 'K':
      v <<= 10;
      break;
    default:
      break;
    }
  return v;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
transfer (int fd, void *buf, size_t len, uint64_t off, int write)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = write ? pwrite (fd, (char *) buf + done, len - done, (off_t) (off + done))
                        : pread (fd, (char *) buf + done, len - done, (off_t) (off + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      done += (size_t) n;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  const char *mode, *path;
  uint64_t bytes, block, count = 0, moved = 0, ops = 0, x = 88172645463325252ull;
  int write, fd;
  void *buf;
  double t0, t;

  if (argc < 5 || (strcmp (argv[1], "randread") == 0 && argc < 6))
    {
      fprintf (stderr, "usage: disk-io seqread|seqwrite PATH BYTES BLOCK\n"
                       "       disk-io randread PATH SPAN BLOCK COUNT\n");
      return 2;
    }
  mode = argv[1];
  path = argv[2];
  bytes = parse_size (argv[3]);
  block = parse_size (argv[4]);
  if (argc > 5)
    count = parse_size (argv[5]);
  write = strcmp (mode, "seqwrite") == 0;
  if (block == 0 || bytes < block)
    {
      fprintf (stderr, "disk-io: bad sizes\n");
      return 2;
    }
  fd = open (path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
  if (fd < 0)
    {
      fprintf (stderr, "disk-io: %s: %s\n", path, strerror (errno));
      return 1;
    }
  if (posix_memalign (&buf, 4096, block) != 0)
    return 1;
  memset (buf, 0x5a, block);

  t0 = now ();
  if (strcmp (mode, "randread") == 0)
    {
      uint64_t slots = bytes / block;

      for (ops = 0; ops < count; ops++)
        {
          /* xorshift64: the same offsets on every run and monitor. */
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          if (transfer (fd, buf, block, (x % slots) * block, 0) < 0)
            {
              fprintf (stderr, "disk-io: read: %s\n", strerror (errno));
              return 1;
            }
          moved += block;
        }
    }
  else
    {
      for (uint64_t off = 0; off + block <= bytes; off += block, ops++)
        {
          if (transfer (fd, buf, block, off, write) < 0)
            {
              fprintf (stderr, "disk-io: %s: %s\n", write ? "write" : "read", strerror (errno));
              return 1;
            }
          moved += block;
        }
      if (write && fdatasync (fd) < 0)
        {
          fprintf (stderr, "disk-io: fdatasync: %s\n", strerror (errno));
          return 1;
        }
    }
  t = now () - t0;
  printf ("DISKIO %s bytes=%" PRIu64 " seconds=%.3f mbps=%.1f iops=%.0f\n", mode, moved, t,
          (double) moved / t / 1048576.0, (double) ops / t);
  free (buf);
  close (fd);
  return 0;
}
