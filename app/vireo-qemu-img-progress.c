/* vireo-qemu-img-progress.c
 *
 * Reads the progress `qemu-img convert -p` writes to its standard output:
 * records like "    (42.17/100%)", each ended by a carriage return (the
 * terminal redraws the line) and the last by a newline as well. The pipe
 * hands them over in pieces of any size, so the bytes are collected until
 * a record ends.
 *
 * The output is another program's and may change between versions, be
 * cut short when it is killed, or carry messages of its own: a record
 * that is not exactly a progress report is skipped, and the value only
 * ever grows, so a bad record can neither move the bar back nor past the
 * end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vireo-qemu-img-progress.h"

#define FULL 10000u

void
vireo_qemu_img_progress_init (VireoQemuImgProgress *self)
{
  g_return_if_fail (self != NULL);

  memset (self, 0, sizeof *self);
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/**
 * vireo_qemu_img_parse_progress:
 * @record: (array length=len): one record, without its terminator
 * @value: (out): hundredths of a percent, 0 to 10000
 *
 * Parses "(P/100%)" with P a number from 0 to 100 with up to two
 * decimals (a point or, should the C library's locale ever apply, a
 * comma), with blanks around it. Text before the last "(" is ignored:
 * a warning printed without a line end must not hide the report.
 *
 * Returns: whether @record is a progress report
 */
gboolean
vireo_qemu_img_parse_progress (const char *record,
                               gsize       len,
                               guint      *value)
{
  static const char tail[] = "/100%)";
  const char *p;
  const char *end;
  guint whole = 0;
  guint hundredths = 0;
  guint digits = 0;

  g_return_val_if_fail (record != NULL || len == 0, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (len == 0)
    return FALSE;
  end = record + len;
  p = end;
  while (p > record && p[-1] != '(')
    p--;
  if (p == record)
    return FALSE;

  /* The whole percent: one to three digits, at most 100. */
  while (p < end && g_ascii_isdigit (*p) && digits < 4)
    {
      whole = whole * 10 + (guint) (*p - '0');
      digits++;
      p++;
    }
  if (digits == 0 || digits > 3 || whole > 100)
    return FALSE;

  if (p < end && (*p == '.' || *p == ','))
    {
      guint decimals = 0;

      p++;
      while (p < end && g_ascii_isdigit (*p))
        {
          /* Digits past the hundredths change nothing shown. */
          if (decimals < 2)
            hundredths = hundredths * 10 + (guint) (*p - '0');
          decimals++;
          p++;
          if (decimals > 8)
            return FALSE;
        }
      if (decimals == 0)
        return FALSE;
      if (decimals == 1)
        hundredths *= 10;
    }

  if ((gsize) (end - p) < sizeof tail - 1 || memcmp (p, tail, sizeof tail - 1) != 0)
    return FALSE;
  p += sizeof tail - 1;
  while (p < end && is_blank (*p))
    p++;
  if (p != end)
    return FALSE;

  if (whole * 100 + hundredths > FULL)
    return FALSE;
  *value = whole * 100 + hundredths;
  return TRUE;
}

/* Ends the record collected so far. */
static gboolean
end_record (VireoQemuImgProgress *self)
{
  gboolean advanced = FALSE;
  guint value;

  if (vireo_qemu_img_parse_progress (self->record, self->len, &value) &&
      value > self->value)
    {
      self->value = value;
      advanced = TRUE;
    }
  self->len = 0;
  return advanced;
}

/**
 * vireo_qemu_img_progress_feed:
 * @data: (array length=len): the next bytes from qemu-img's output
 *
 * Returns: whether the progress grew
 */
gboolean
vireo_qemu_img_progress_feed (VireoQemuImgProgress *self,
                              const char           *data,
                              gsize                 len)
{
  gboolean advanced = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (c == '\r' || c == '\n')
        {
          advanced |= end_record (self);
          continue;
        }
      if (self->len == sizeof self->record)
        {
          /* A report is the end of its record (the text after the last
           * "("), so the older half of a long record can go. */
          memmove (self->record, self->record + sizeof self->record / 2, sizeof self->record / 2);
          self->len = sizeof self->record / 2;
        }
      self->record[self->len++] = c;
    }

  return advanced;
}

/**
 * vireo_qemu_img_progress_finish:
 *
 * Reads a last record that ended without a line end (the output stopped).
 *
 * Returns: whether the progress grew
 */
gboolean
vireo_qemu_img_progress_finish (VireoQemuImgProgress *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->len > 0 ? end_record (self) : FALSE;
}

/**
 * vireo_qemu_img_progress_get_fraction:
 *
 * Returns: how much is done, from 0 to 1
 */
double
vireo_qemu_img_progress_get_fraction (const VireoQemuImgProgress *self)
{
  g_return_val_if_fail (self != NULL, 0.0);

  return MIN (self->value, FULL) / (double) FULL;
}
