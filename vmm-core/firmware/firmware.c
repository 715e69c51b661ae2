/* firmware.c: loading SeaBIOS and OVMF images and mapping them below
 * 4 GiB.
 *
 * The images are read into anonymous memory rather than mapped from their
 * files: a package upgrade replacing the file under a running machine must
 * not change the guest's ROM, and KVM slots want page-aligned memory the
 * monitor owns.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/pflash.h"

#define BIOS_GRANULE      0x10000u
#define UEFI_GRANULE      0x1000u
#define RESET_VECTOR_BACK 16              /* 0xFFFFFFF0 is 16 bytes below the top */
#define FV_SIGNATURE_AT   40              /* "_FVH" in a firmware volume header */

typedef struct {
  VmmFirmware *fw;
  unsigned index;      /* slot first_slot + index */
  GBytes *image;       /* ROM: pristine contents; NULL for flash */
  VmmPflash *pflash;   /* flash: the device in front of host */
  int fd;              /* flash: the variables file written back to, or -1 */
  uint8_t *host;       /* what the slot maps, page-aligned */
  uint64_t gpa;
  size_t len;
} Region;

struct _VmmFirmware {
  gboolean bios;
  Region region[VMM_FIRMWARE_MAX_SLOTS];
  unsigned n_regions;

  /* The VM the images are mapped into, for the flash's mode switches:
   * those come from vCPU threads, map() from the control thread. */
  GMutex slot_lock;
  int vm_fd;
  uint32_t first_slot;
  gboolean readonly;
};

static VmmFirmware *
firmware_new (void)
{
  VmmFirmware *fw = g_new0 (VmmFirmware, 1);

  g_mutex_init (&fw->slot_lock);
  fw->vm_fd = -1;
  return fw;
}

static GBytes *
read_image (const char *path, const char *package, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "The firmware “%s” does not exist; install the “%s” package",
                     path, package);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "Cannot read the firmware “%s”: %s", path, local->message);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

static gboolean
bad_image (const char *path, const char *why, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "“%s” is not a usable firmware image: %s", path, why);
  return FALSE;
}

static gboolean
add_region (VmmFirmware *fw, GBytes *image, uint64_t gpa, GError **error)
{
  Region *r = &fw->region[fw->n_regions];
  size_t len = g_bytes_get_size (image);
  void *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (p == MAP_FAILED)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot allocate memory for the firmware: %s", g_strerror (errno));
      return FALSE;
    }
  r->image = g_bytes_ref (image);
  r->fd = -1;
  memcpy (p, g_bytes_get_data (image, NULL), len);
  r->host = p;
  r->gpa = gpa;
  r->len = len;
  fw->n_regions++;
  return TRUE;
}

VmmFirmware *
vmm_firmware_new_bios (const char *path, GError **error)
{
  g_autoptr(VmmFirmware) fw = NULL;
  g_autoptr(GBytes) image = NULL;
  const uint8_t *data;
  size_t len;
  uint8_t op;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  image = read_image (path, "seabios", error);
  if (image == NULL)
    return NULL;
  data = g_bytes_get_data (image, &len);
  if (len == 0 || len % BIOS_GRANULE != 0 || len > VMM_FIRMWARE_MAX_SIZE)
    {
      bad_image (path, "a BIOS is a multiple of 64 KiB up to 16 MiB", error);
      return NULL;
    }
  /* The reset vector must hold a jump (or the NOPs before one). */
  op = data[len - RESET_VECTOR_BACK];
  if (op != 0xea && op != 0xe9 && op != 0xeb && op != 0x90)
    {
      bad_image (path, "there is no jump at its reset vector", error);
      return NULL;
    }

  fw = firmware_new ();
  fw->bios = TRUE;
  if (!add_region (fw, image, VMM_FIRMWARE_TOP - len, error))
    return NULL;
  return g_steal_pointer (&fw);
}

static gboolean
check_volume (const char *path, GBytes *image, GError **error)
{
  size_t len;
  const uint8_t *data = g_bytes_get_data (image, &len);

  if (len == 0 || len % UEFI_GRANULE != 0)
    return bad_image (path, "its size is not a multiple of 4 KiB", error);
  if (len < FV_SIGNATURE_AT + 4 || memcmp (data + FV_SIGNATURE_AT, "_FVH", 4) != 0)
    return bad_image (path, "it does not start with a firmware volume", error);
  return TRUE;
}

/* Writes the flash's contents to its file, durably when @sync. Sets
 * errno on failure. */
static gboolean
save_flash (Region *r, gboolean sync)
{
  size_t done = 0;

  while (done < r->len)
    {
      ssize_t n = pwrite (r->fd, r->host + done, r->len - done, (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }
      done += (size_t) n;
    }
  return !sync || fdatasync (r->fd) == 0;
}

/* The flash's reads stop or start being plain memory: the slot goes
 * away so that they reach the device, or comes back. */
static void
on_flash_mode (void *opaque, gboolean array, gboolean changed)
{
  Region *r = opaque;
  VmmFirmware *fw = r->fw;

  /* A write sequence just ended: save it while nothing can change the
   * array (the flash's lock is held). To the page cache only; the flush
   * makes it durable. */
  if (changed && r->fd >= 0 && !save_flash (r, FALSE))
    g_warning ("Saving the UEFI variables failed: %s", g_strerror (errno));

  g_mutex_lock (&fw->slot_lock);
  if (fw->vm_fd >= 0 && fw->readonly)
    {
      struct kvm_userspace_memory_region slot = {
        .slot = fw->first_slot + r->index,
        .flags = KVM_MEM_READONLY,
        .guest_phys_addr = r->gpa,
        .memory_size = array ? r->len : 0,
        .userspace_addr = (uint64_t) (uintptr_t) r->host,
      };

      if (ioctl (fw->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        g_warning ("Remapping the UEFI variable flash failed: %s", g_strerror (errno));
    }
  g_mutex_unlock (&fw->slot_lock);
}

/* The variables: a flash over a copy in memory. With @persist the file
 * stays open and every completed write goes back to it (with write(), not
 * a shared mapping, which file systems such as 9p or FUSE may refuse). */
static gboolean
add_flash (VmmFirmware *fw, const char *path, GBytes *vars, gboolean persist, uint64_t gpa,
           GError **error)
{
  Region *r = &fw->region[fw->n_regions];
  size_t len = g_bytes_get_size (vars);
  int fd = -1;
  void *p;

  if (persist)
    {
      struct stat st;

      fd = open (path, O_RDWR | O_CLOEXEC);
      if (fd < 0 || fstat (fd, &st) < 0 || (uint64_t) st.st_size != len)
        {
          int e = fd < 0 ? errno : EBUSY;

          if (fd >= 0)
            close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                       "Cannot open the UEFI variables “%s” for writing: %s", path,
                       e == EBUSY ? "it changed while being read" : g_strerror (e));
          return FALSE;
        }
    }
  p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    {
      int e = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "Cannot allocate memory for the UEFI variables: %s", g_strerror (e));
      return FALSE;
    }
  memcpy (p, g_bytes_get_data (vars, NULL), len);
  r->host = p;
  r->gpa = gpa;
  r->len = len;
  r->fd = fd;
  r->fw = fw;
  r->index = fw->n_regions;
  r->pflash = vmm_pflash_new (p, len, on_flash_mode, r);
  fw->n_regions++;
  return TRUE;
}

VmmFirmware *
vmm_firmware_new_uefi (const char *code_path, const char *vars_path, gboolean persist_vars,
                       GError **error)
{
  g_autoptr(VmmFirmware) fw = NULL;
  g_autoptr(GBytes) code = NULL, vars = NULL;
  size_t code_len, vars_len;

  g_return_val_if_fail (code_path != NULL && vars_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  code = read_image (code_path, "ovmf", error);
  if (code == NULL)
    return NULL;
  vars = read_image (vars_path, "ovmf", error);
  if (vars == NULL)
    return NULL;
  if (!check_volume (code_path, code, error) || !check_volume (vars_path, vars, error))
    return NULL;
  code_len = g_bytes_get_size (code);
  vars_len = g_bytes_get_size (vars);
  if (code_len > VMM_FIRMWARE_MAX_SIZE || vars_len > VMM_FIRMWARE_MAX_SIZE - code_len)
    {
      bad_image (code_path, "code and variables together exceed 16 MiB", error);
      return NULL;
    }

  fw = firmware_new ();
  if (!add_region (fw, code, VMM_FIRMWARE_TOP - code_len, error)
      || !add_flash (fw, vars_path, vars, persist_vars, VMM_FIRMWARE_TOP - code_len - vars_len,
                     error))
    return NULL;
  return g_steal_pointer (&fw);
}

void
vmm_firmware_flush (VmmFirmware *fw)
{
  g_return_if_fail (fw != NULL);

  for (unsigned i = 0; i < fw->n_regions; i++)
    {
      Region *r = &fw->region[i];

      /* Called with the vCPUs stopped, so the array is not changing. */
      if (r->pflash != NULL && vmm_pflash_take_dirty (r->pflash) && r->fd >= 0
          && !save_flash (r, TRUE))
        g_warning ("Saving the UEFI variables failed: %s", g_strerror (errno));
    }
}

void
vmm_firmware_free (VmmFirmware *fw)
{
  if (fw == NULL)
    return;
  vmm_firmware_flush (fw);
  for (unsigned i = 0; i < fw->n_regions; i++)
    {
      munmap (fw->region[i].host, fw->region[i].len);
      if (fw->region[i].pflash != NULL && fw->region[i].fd >= 0)
        close (fw->region[i].fd);
      g_clear_pointer (&fw->region[i].image, g_bytes_unref);
      vmm_pflash_free (fw->region[i].pflash);
    }
  g_mutex_clear (&fw->slot_lock);
  g_free (fw);
}

uint64_t
vmm_firmware_base (const VmmFirmware *fw)
{
  uint64_t base = VMM_FIRMWARE_TOP;

  g_return_val_if_fail (fw != NULL, VMM_FIRMWARE_TOP);

  for (unsigned i = 0; i < fw->n_regions; i++)
    base = MIN (base, fw->region[i].gpa);
  return base;
}

gboolean
vmm_firmware_is_bios (const VmmFirmware *fw)
{
  g_return_val_if_fail (fw != NULL, FALSE);
  return fw->bios;
}

int
vmm_firmware_register (VmmFirmware *fw, VmmBus *mmio)
{
  g_return_val_if_fail (fw != NULL && mmio != NULL, -EINVAL);

  for (unsigned i = 0; i < fw->n_regions; i++)
    {
      Region *r = &fw->region[i];
      int ret = r->pflash != NULL ? vmm_pflash_register (r->pflash, mmio, r->gpa) : 0;

      if (ret < 0)
        return ret;
    }
  return 0;
}

void
vmm_firmware_unregister (VmmFirmware *fw, VmmBus *mmio)
{
  g_return_if_fail (fw != NULL && mmio != NULL);

  for (unsigned i = 0; i < fw->n_regions; i++)
    if (fw->region[i].pflash != NULL)
      vmm_bus_unregister (mmio, fw->region[i].gpa, fw->region[i].pflash);
}

gboolean
vmm_firmware_map (VmmFirmware *fw, int vm_fd, uint32_t first_slot, GError **error)
{
  gboolean readonly;

  g_return_val_if_fail (fw != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Forget the old VM before resetting the flash, whose mode switch
   * would otherwise remap a slot in it. */
  g_mutex_lock (&fw->slot_lock);
  fw->vm_fd = -1;
  g_mutex_unlock (&fw->slot_lock);
  for (unsigned i = 0; i < fw->n_regions; i++)
    if (fw->region[i].pflash != NULL)
      vmm_pflash_reset (fw->region[i].pflash);

  /* Without read-only slots the guest could scribble on its ROM; it only
   * hurts itself, and every new VM gets the pristine image back. The
   * flash then has no slot at all: every access goes to the device. */
  readonly = ioctl (vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
  for (unsigned i = 0; i < fw->n_regions; i++)
    {
      Region *r = &fw->region[i];
      struct kvm_userspace_memory_region slot = {
        .slot = first_slot + i,
        .flags = readonly ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = r->gpa,
        .memory_size = r->len,
        .userspace_addr = (uint64_t) (uintptr_t) r->host,
      };

      if (r->pflash != NULL && !readonly)
        continue;
      if (r->image != NULL)
        memcpy (r->host, g_bytes_get_data (r->image, NULL), r->len);
      if (ioctl (vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "Mapping the firmware failed: %s", g_strerror (errno));
          return FALSE;
        }
    }

  g_mutex_lock (&fw->slot_lock);
  fw->vm_fd = vm_fd;
  fw->first_slot = first_slot;
  fw->readonly = readonly;
  g_mutex_unlock (&fw->slot_lock);
  return TRUE;
}

void
vmm_firmware_load_legacy (const VmmFirmware *fw, uint8_t *ram, uint64_t ram_len)
{
  const Region *r;
  size_t n;

  g_return_if_fail (fw != NULL && ram != NULL);
  g_return_if_fail (ram_len >= VMM_FIRMWARE_LEGACY_BASE + VMM_FIRMWARE_LEGACY_SIZE);

  if (!fw->bios)
    return;
  /* A 64 KiB BIOS fills only the F-segment; the E-segment stays RAM. */
  r = &fw->region[0];
  n = MIN (r->len, (size_t) VMM_FIRMWARE_LEGACY_SIZE);
  memcpy (ram + VMM_FIRMWARE_LEGACY_BASE + VMM_FIRMWARE_LEGACY_SIZE - n,
          (const uint8_t *) g_bytes_get_data (r->image, NULL) + r->len - n, n);
}

void
vmm_firmware_reset_state (struct kvm_sregs *sregs, struct kvm_regs *regs)
{
  g_return_if_fail (sregs != NULL && regs != NULL);

  sregs->cs.selector = 0xf000;
  sregs->cs.base = 0xffff0000;
  sregs->cs.limit = 0xffff;
  sregs->cs.type = 0xb;
  sregs->cs.present = 1;
  sregs->cs.s = 1;
  sregs->cs.dpl = 0;
  sregs->cs.db = 0;
  sregs->cs.l = 0;
  sregs->cs.g = 0;
  sregs->cr0 &= ~0x80000001ULL;          /* PG and PE off: real mode */
  memset (regs, 0, sizeof *regs);
  regs->rip = 0xfff0;
  regs->rflags = 0x2;
}
