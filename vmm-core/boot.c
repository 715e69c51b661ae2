/* boot.c: putting the guest into RAM and the boot vCPU into its entry
 * state: Linux through the 64-bit boot protocol, or (for the monitor's own
 * tests) a raw real-mode program.
 *
 * Files are checked once when the machine is created (so that a bad kernel
 * is an error before anything runs) and loaded again at every reset, since
 * the guest may have overwritten any of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "machine-private.h"
#include "x86/acpi.h"
#include "x86/e820.h"
#include "x86/layout.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define REALMODE_LOAD_ADDR 0x10000ULL
#define REALMODE_MAX_SIZE  0x10000ULL

#define GDT_BOOT_CS 0x10
#define GDT_BOOT_DS 0x18

#define CR0_PE 0x00000001ULL
#define CR0_ET 0x00000010ULL
#define CR0_NE 0x00000020ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x00000020ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define PTE_PRESENT 0x1ULL
#define PTE_WRITE   0x2ULL
#define PTE_PS      0x80ULL

/* Mapped, not read: an initrd can be large and is copied into guest RAM
 * at every boot anyway. */
static GBytes *
map_file (const char *path, const char *what, int code, GError **error)
{
  g_autoptr(GError) local = NULL;
  GMappedFile *mf;
  GBytes *bytes;
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      g_set_error (error, VMM_ERROR, code, "Cannot read the %s “%s”: %s",
                   what, path, g_strerror (errno));
      return NULL;
    }
  if (fstat (fd, &st) == 0 && !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, VMM_ERROR, code, "Cannot read the %s “%s”: not a regular file",
                   what, path);
      return NULL;
    }
  mf = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mf == NULL)
    {
      g_set_error (error, VMM_ERROR, code, "Cannot read the %s “%s”: %s",
                   what, path, local->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  return bytes;
}

gboolean
vmm_boot_prepare (VmmMachine *m, GError **error)
{
  g_autoptr(GError) local = NULL;
  const uint8_t *data;
  size_t len;
  uint64_t gpa;

  if (m->realmode_path != NULL)
    {
      m->realmode = map_file (m->realmode_path, "guest program", VMM_ERROR_KERNEL, error);
      if (m->realmode == NULL)
        return FALSE;
      if (g_bytes_get_size (m->realmode) > REALMODE_MAX_SIZE)
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_KERNEL,
                       "The guest program “%s” is larger than 64 KiB", m->realmode_path);
          return FALSE;
        }
      return TRUE;
    }

  if (m->bios_path != NULL || m->uefi_code_path != NULL)
    {
      /* The firmware loads the kernel; fw_cfg checks it when the
       * firmware is set up. */
      if (m->kernel_path != NULL
          && (m->kernel = map_file (m->kernel_path, "kernel", VMM_ERROR_KERNEL, error)) == NULL)
        return FALSE;
      if (m->initrd_path != NULL
          && (m->initrd = map_file (m->initrd_path, "initrd", VMM_ERROR_INITRD, error)) == NULL)
        return FALSE;
      return TRUE;
    }

  m->kernel = map_file (m->kernel_path, "kernel", VMM_ERROR_KERNEL, error);
  if (m->kernel == NULL)
    return FALSE;
  data = g_bytes_get_data (m->kernel, &len);
  if (!vmm_bzimage_parse (data, len, &m->bzimage, &local))
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_KERNEL, "“%s”: %s", m->kernel_path, local->message);
      return FALSE;
    }
  if (m->bzimage.kernel_end > m->lowmem_size
      || m->bzimage.load_addr + m->bzimage.kernel_len > m->lowmem_size)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The kernel needs %" G_GUINT64_FORMAT " MiB of memory to start; "
                   "give the guest more memory",
                   (m->bzimage.kernel_end + (1 << 20) - 1) >> 20);
      return FALSE;
    }

  if (m->cmdline != NULL)
    {
      size_t cl = strlen (m->cmdline);
      if (cl > m->bzimage.cmdline_size || cl >= VMM_CMDLINE_MAX)
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_CMDLINE,
                       "The kernel command line is %zu bytes long; this kernel accepts at most %u",
                       cl, MIN (m->bzimage.cmdline_size, (uint32_t) VMM_CMDLINE_MAX - 1));
          return FALSE;
        }
    }

  if (m->initrd_path != NULL)
    {
      m->initrd = map_file (m->initrd_path, "initrd", VMM_ERROR_INITRD, error);
      if (m->initrd == NULL)
        return FALSE;
      if (g_bytes_get_size (m->initrd) > G_MAXUINT32)
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_INITRD,
                       "The initrd “%s” is larger than 4 GiB", m->initrd_path);
          return FALSE;
        }
      if (!vmm_bzimage_place_initrd (&m->bzimage, m->lowmem_size, m->bzimage.kernel_end,
                                     g_bytes_get_size (m->initrd), &gpa, &local))
        {
          g_set_error (error, VMM_ERROR, VMM_ERROR_INITRD, "“%s”: %s", m->initrd_path, local->message);
          return FALSE;
        }
    }
  return TRUE;
}

static void
write_gdt (uint8_t *ram)
{
  static const uint64_t gdt[] = {
    0,
    0,
    0x00af9b000000ffffULL, /* 0x10: 64-bit code */
    0x00cf93000000ffffULL, /* 0x18: data */
  };

  memcpy (ram + VMM_BOOT_GDT_ADDR, gdt, sizeof gdt);
}

/* Identity map of the first 4 GiB with 2 MiB pages: PML4, one PDPT, four
 * page directories, in six consecutive pages from VMM_PML4_ADDR. */
static void
write_page_tables (uint8_t *ram)
{
  uint64_t pml4 = VMM_PML4_ADDR, pdpt = pml4 + 0x1000, pd = pml4 + 0x2000;
  uint64_t e;

  memset (ram + pml4, 0, 6 * 0x1000);
  e = pdpt | PTE_PRESENT | PTE_WRITE;
  memcpy (ram + pml4, &e, 8);
  for (uint64_t i = 0; i < 4; i++)
    {
      e = (pd + i * 0x1000) | PTE_PRESENT | PTE_WRITE;
      memcpy (ram + pdpt + i * 8, &e, 8);
    }
  for (uint64_t i = 0; i < 4 * 512; i++)
    {
      e = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_PS;
      memcpy (ram + pd + i * 8, &e, 8);
    }
}

static uint64_t
mmio64_base (const VmmMachine *m)
{
  uint64_t top = VMM_HIGHMEM_BASE + (m->ram_size - m->lowmem_size);

  /* 64-bit BARs go above RAM, on a 1 GiB boundary. */
  return (top + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
}

/* Takes a mapped file's pages out of this process's resident set once they
 * have been copied into the guest. The mapping stays (the next reset copies
 * from it again, faulting the pages back in from the page cache), but
 * between boots the kernel and initrd (10 MiB for a Debian kernel and a
 * small initramfs) no longer count against the monitor's memory next to
 * the copy the guest already has. Only for map_file()'s read-only private
 * file mappings: there MADV_DONTNEED loses nothing. */
static void
release_mapped_pages (GBytes *bytes)
{
  gsize len = 0;
  const uint8_t *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  uintptr_t start;

  if (data == NULL || len == 0)
    return;
  start = (uintptr_t) data & ~(page - 1);
  /* Advice only: on failure the pages just stay resident. */
  (void) madvise ((void *) start, len + ((uintptr_t) data - start), MADV_DONTNEED);
}

static gboolean
load_linux (VmmMachine *m, GError **error)
{
  const VmmBzImage *img = &m->bzimage;
  VmmE820Entry e820[VMM_E820_MAX];
  size_t n_e820;
  uint32_t apic_ids[VMM_CPUS_MAX];
  VmmAcpiConfig acpi_cfg;
  VmmAcpiTables *tables;
  uint64_t rsdp = 0, initrd_gpa = 0;
  uint32_t initrd_len = 0, cmdline_len = 0;
  gboolean ok;

  /* vmm_boot_prepare() checked that the kernel fits below kernel_end. */
  memcpy (m->ram + img->load_addr, img->kernel, img->kernel_len);

  if (m->cmdline != NULL)
    cmdline_len = (uint32_t) strlen (m->cmdline);
  memcpy (m->ram + VMM_CMDLINE_ADDR, m->cmdline != NULL ? m->cmdline : "", cmdline_len);
  m->ram[VMM_CMDLINE_ADDR + cmdline_len] = 0;

  if (m->initrd != NULL)
    {
      initrd_len = (uint32_t) g_bytes_get_size (m->initrd);
      if (!vmm_bzimage_place_initrd (img, m->lowmem_size, img->kernel_end, initrd_len,
                                     &initrd_gpa, error))
        return FALSE;
      memcpy (m->ram + initrd_gpa, g_bytes_get_data (m->initrd, NULL), initrd_len);
    }

  for (unsigned i = 0; i < m->n_cpus; i++)
    apic_ids[i] = i;
  memset (&acpi_cfg, 0, sizeof acpi_cfg);
  acpi_cfg.n_cpus = m->n_cpus;
  acpi_cfg.apic_ids = apic_ids;
  acpi_cfg.pci_mmio64_base = mmio64_base (m);
  acpi_cfg.has_ecam = TRUE;
  tables = vmm_acpi_build (&acpi_cfg, error);
  if (tables == NULL)
    return FALSE;
  ok = vmm_acpi_place (tables, VMM_ACPI_TABLES_START, m->ram + VMM_ACPI_TABLES_START,
                       VMM_ACPI_TABLES_SIZE, &rsdp, error);
  vmm_acpi_free (tables);
  if (!ok)
    return FALSE;

  n_e820 = vmm_e820_build (m->ram_size, e820, G_N_ELEMENTS (e820));
  if (!vmm_bzimage_setup_zero_page (img, m->ram + VMM_ZERO_PAGE_ADDR, e820, n_e820,
                                    VMM_CMDLINE_ADDR, cmdline_len, initrd_gpa, initrd_len,
                                    rsdp, error))
    return FALSE;

  write_gdt (m->ram);
  write_page_tables (m->ram);
  release_mapped_pages (m->kernel);
  release_mapped_pages (m->initrd);
  return TRUE;
}

gboolean
vmm_boot_create_firmware (VmmMachine *m, GError **error)
{
  g_autoptr(GError) local = NULL;
  uint32_t apic_ids[VMM_CPUS_MAX];
  VmmAcpiConfig acpi = {
    .n_cpus = m->n_cpus,
    .apic_ids = apic_ids,
    .pci_mmio64_base = mmio64_base (m),
    .has_ecam = TRUE,
  };
  VmmFirmwareBootConfig cfg = {
    .bios_path = m->bios_path,
    .uefi_code_path = m->uefi_code_path,
    .uefi_vars_path = m->uefi_vars_path,
    .persist_vars = TRUE,
    .ram_size = m->ram_size,
    .lowmem_size = m->lowmem_size,
    .n_cpus = m->n_cpus,
    .max_cpus = m->n_cpus,
    /* SeaBIOS mirrors its screen to COM1 only when there is no screen
     * (QEMU does the same): the mirror costs two port exits per byte of
     * ANSI output, which made GRUB's menu take minutes in the nested lab,
     * and it would fill the serial log of a machine that has a screen. */
    .sercon_port = m->want_display ? 0 : VMM_PORT_COM1,
    .acpi = &acpi,
    .uuid = m->has_uuid ? m->uuid : NULL,
    .kernel = m->kernel,
    .initrd = m->initrd,
    .cmdline = m->cmdline,
  };

  for (unsigned i = 0; i < m->n_cpus; i++)
    apic_ids[i] = i;
  m->firmware = vmm_firmware_boot_new (&cfg, &m->platform.mem, m->pio, m->mmio, &local);
  if (m->firmware == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vmm_boot_load (VmmMachine *m, GError **error)
{
  if (m->firmware != NULL)
    return vmm_firmware_boot_load (m->firmware, m->vm_fd, VMM_FIRST_FIRMWARE_SLOT, m->ram,
                                   m->lowmem_size, error);
  if (m->realmode != NULL)
    {
      memcpy (m->ram + REALMODE_LOAD_ADDR, g_bytes_get_data (m->realmode, NULL),
              g_bytes_get_size (m->realmode));
      return TRUE;
    }
  return load_linux (m, error);
}

static void
flat_segment (struct kvm_segment *s, uint16_t selector, uint8_t type, gboolean code64)
{
  memset (s, 0, sizeof *s);
  s->base = 0;
  s->limit = 0xffffffff;
  s->selector = selector;
  s->type = type;
  s->present = 1;
  s->s = 1;
  s->g = 1;
  s->l = code64 ? 1 : 0;
  s->db = code64 ? 0 : 1;
}

gboolean
vmm_boot_setup_bsp (VmmMachine *m, VmmVcpu *bsp, GError **error)
{
  struct kvm_sregs sregs;
  struct kvm_regs regs;

  if (ioctl (bsp->fd, KVM_GET_SREGS, &sregs) < 0)
    goto fail;
  memset (&regs, 0, sizeof regs);
  regs.rflags = 0x2;

  if (m->firmware != NULL)
    vmm_firmware_boot_setup_bsp (&sregs, &regs);
  else if (m->realmode != NULL)
    {
      sregs.cs.selector = REALMODE_LOAD_ADDR >> 4;
      sregs.cs.base = REALMODE_LOAD_ADDR;
      regs.rip = 0;
      regs.rsp = 0xfff0;
    }
  else
    {
      /* The 64-bit boot protocol: long mode, paging on an identity map,
       * __BOOT_CS/__BOOT_DS flat, RSI at the zero page. */
      flat_segment (&sregs.cs, GDT_BOOT_CS, 0xb, TRUE);
      flat_segment (&sregs.ds, GDT_BOOT_DS, 0x3, FALSE);
      sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
      sregs.gdt.base = VMM_BOOT_GDT_ADDR;
      sregs.gdt.limit = 4 * 8 - 1;
      sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
      sregs.cr3 = VMM_PML4_ADDR;
      sregs.cr4 = CR4_PAE;
      sregs.efer = EFER_LME | EFER_LMA;
      regs.rip = m->bzimage.load_addr + 0x200;
      regs.rsi = VMM_ZERO_PAGE_ADDR;
      regs.rsp = VMM_BOOT_STACK_ADDR;
    }

  if (ioctl (bsp->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl (bsp->fd, KVM_SET_REGS, &regs) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, VMM_ERROR, VMM_ERROR_KVM_FAILED,
               "Setting the boot vCPU's registers failed: %s", g_strerror (errno));
  return FALSE;
}
