/* test-kvm-seabios.c: Debian's SeaBIOS on /dev/kvm, on a small PC put
 * together from the monitor's parts: VmmFirmwareBoot (the image at the
 * top of 4 GiB, fw_cfg with the PC's items and the ACPI table-loader, the
 * debug console), COM1, i8042, CMOS, the PM block and the PCI host bridge.
 *
 * Without a disk SeaBIOS must print its banner on the debug port, mirror
 * its screen to the serial port (etc/sercon-port), find the ACPI tables
 * our table-loader described, show the UUID from our SMBIOS tables and
 * reach its boot attempt. With a kernel in
 * fw_cfg it must run our option ROM ("Booting from ROM"), which loads the
 * kernel's parts where fw_cfg says and enters the real-mode setup: the
 * test's stand-in kernel prints its command line on the debug port.
 *
 * On PVM each instruction is emulated, so the deadline is generous; a
 * guest that stops early is a failure with both logs printed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "bus.h"
#include "cpuid.h"
#include "guest-mem.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/pci-host.h"
#include "devices/pm.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "firmware/firmware.h"
#include "firmware/firmware-boot.h"
#include "firmware/fw-cfg-pc.h"
#include "x86/acpi.h"
#include "x86/layout.h"

#define RAM_SIZE        (128ull << 20)
#define TSS_ADDR        0xfeffd000ull   /* below any flash image */
#define IDENTITY_ADDR   0xfeffc000ull
#define DEADLINE_S      240
#define FIRMWARE_SLOT   1
#define SETUP_LEN       (5 * 512)
#define KERNEL_LEN      0x3000
#define CMDLINE         "console=ttyS0 vireo"

typedef struct {
  int kvm, vm, vcpu;
  struct kvm_run *run;
  size_t run_size;
  uint8_t *ram;
  VmmGuestMem mem;
  VmmBus *pio, *mmio;
  VmmFirmwareBoot *boot;
  VmmSerial *serial;
  VmmI8042 *i8042;
  VmmRtc *rtc;
  VmmPm *pm;
  VmmPciBus *pci;
  GString *debug_log, *serial_log;
  gboolean powered_off, reset;
} Pc;

static void
on_alarm (int sig)
{
  /* Only interrupts KVM_RUN, so the loop can look at the clock. */
}

static void
on_debug (void *opaque, const uint8_t *data, size_t len)
{
  g_string_append_len (((Pc *) opaque)->debug_log, (const char *) data, (gssize) len);
}

static void
on_serial (void *opaque, const uint8_t *data, size_t len)
{
  g_string_append_len (((Pc *) opaque)->serial_log, (const char *) data, (gssize) len);
}

static void
set_irq (void *opaque, unsigned gsi, gboolean level)
{
  Pc *pc = opaque;
  struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

  g_assert_cmpint (ioctl (pc->vm, KVM_IRQ_LINE, &irq), ==, 0);
}

static void
on_poweroff (void *opaque)
{
  ((Pc *) opaque)->powered_off = TRUE;
}

static void
on_reset (void *opaque)
{
  ((Pc *) opaque)->reset = TRUE;
}

static void
set_cpuid (Pc *pc)
{
  unsigned max = 256;
  g_autofree struct kvm_cpuid2 *sup = g_malloc0 (sizeof *sup + max * sizeof sup->entries[0]);
  g_autofree struct kvm_cpuid2 *out = NULL;
  int n;

  sup->nent = max;
  g_assert_cmpint (ioctl (pc->kvm, KVM_GET_SUPPORTED_CPUID, sup), ==, 0);
  out = g_malloc0 (sizeof *out + (sup->nent + VMM_CPUID_EXTRA_ENTRIES) * sizeof out->entries[0]);
  n = vmm_cpuid_build (sup->entries, sup->nent, 0, 1, FALSE, out->entries,
                       sup->nent + VMM_CPUID_EXTRA_ENTRIES);
  g_assert_cmpint (n, >, 0);
  out->nent = (uint32_t) n;
  g_assert_cmpint (ioctl (pc->vcpu, KVM_SET_CPUID2, out), ==, 0);
}

/* The CMOS sizes SeaBIOS falls back on, and the boot device byte. */
static void
set_cmos (VmmRtc *rtc)
{
  uint64_t ext_kib = MIN ((RAM_SIZE - (1 << 20)) >> 10, 0xffffULL);
  uint64_t above_16m = (RAM_SIZE - (16 << 20)) >> 16;

  vmm_rtc_set_nvram (rtc, 0x15, 640 & 0xff);
  vmm_rtc_set_nvram (rtc, 0x16, 640 >> 8);
  vmm_rtc_set_nvram (rtc, 0x17, (uint8_t) ext_kib);
  vmm_rtc_set_nvram (rtc, 0x18, (uint8_t) (ext_kib >> 8));
  vmm_rtc_set_nvram (rtc, 0x30, (uint8_t) ext_kib);
  vmm_rtc_set_nvram (rtc, 0x31, (uint8_t) (ext_kib >> 8));
  vmm_rtc_set_nvram (rtc, 0x34, (uint8_t) above_16m);
  vmm_rtc_set_nvram (rtc, 0x35, (uint8_t) (above_16m >> 8));
}

/* A bzImage whose real-mode setup, entered at offset 0x200, prints
 * "setup ok:" and the command line it finds through cmd_line_ptr to the
 * debug port, then halts. */
static GBytes *
stand_in_kernel (void)
{
  static const uint8_t code[] = {
    0xba, 0x02, 0x04,         /* 26c: mov dx, 0x402 */
    0xbe, 0x90, 0x02,         /* 26f: mov si, msg */
    0xac,                     /* 272: lodsb */
    0x84, 0xc0,               /*      test al, al */
    0x74, 0x03,               /*      jz 27a */
    0xee,                     /*      out dx, al */
    0xeb, 0xf8,               /*      jmp 272 */
    0xa1, 0x2a, 0x02,         /* 27a: mov ax, [cmd_line_ptr + 2] */
    0xc1, 0xe0, 0x0c,         /*      shl ax, 12 */
    0x8e, 0xd8,               /*      mov ds, ax */
    0x31, 0xf6,               /*      xor si, si */
    0xac,                     /* 284: lodsb */
    0x84, 0xc0,               /*      test al, al */
    0x74, 0x03,               /*      jz 28c */
    0xee,                     /*      out dx, al */
    0xeb, 0xf8,               /*      jmp 284 */
    0xf4,                     /* 28c: hlt */
    0xeb, 0xfd,               /*      jmp 28c */
  };
  uint8_t *d = g_malloc0 (SETUP_LEN + KERNEL_LEN);

  d[0x1f1] = 4;                                  /* setup_sects */
  vmm_le_put (d + 0x1f4, 4, KERNEL_LEN / 16);
  d[0x1fe] = 0x55;
  d[0x1ff] = 0xaa;
  d[0x200] = 0xeb;                               /* jmp 26c, over the header */
  d[0x201] = 0x6a;
  memcpy (d + 0x202, "HdrS", 4);
  vmm_le_put (d + 0x206, 2, 0x020f);
  d[0x211] = 0x01;                               /* LOADED_HIGH */
  vmm_le_put (d + 0x214, 4, 0x100000);
  vmm_le_put (d + 0x22c, 4, 0x7fffffff);
  vmm_le_put (d + 0x230, 4, 0x200000);
  d[0x234] = 1;
  vmm_le_put (d + 0x236, 2, 0x3);
  vmm_le_put (d + 0x238, 4, 255);
  vmm_le_put (d + 0x258, 4, 0x1000000);
  vmm_le_put (d + 0x260, 4, 0x100000);
  memcpy (d + 0x26c, code, sizeof code);
  memcpy (d + 0x290, "setup ok:", 10);
  for (size_t i = 0; i < KERNEL_LEN; i++)
    d[SETUP_LEN + i] = (uint8_t) (i * 31 + 7);
  return g_bytes_new_take (d, SETUP_LEN + KERNEL_LEN);
}

static void
pc_init (Pc *pc, GBytes *kernel, GBytes *initrd)
{
  g_autoptr(GError) error = NULL;
  VmmIrqLine com1 = { set_irq, pc, VMM_IRQ_COM1 }, sci = { set_irq, pc, VMM_IRQ_SCI };
  VmmIrqLine kbd = { set_irq, pc, VMM_IRQ_I8042_KBD }, aux = { set_irq, pc, VMM_IRQ_I8042_AUX };
  static const uint32_t apic_ids[] = { 0 };
  static const uint8_t uuid[16] = {
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
  };
  VmmAcpiConfig acpi = {
    .n_cpus = 1,
    .apic_ids = apic_ids,
    .pci_mmio64_base = VMM_HIGHMEM_BASE,
    .has_ecam = TRUE,
  };
  VmmFirmwareBootConfig cfg = {
    .bios_path = VMM_FIRMWARE_SEABIOS_PATH,
    .ram_size = RAM_SIZE,
    .lowmem_size = RAM_SIZE,
    .n_cpus = 1,
    .max_cpus = 1,
    .sercon_port = VMM_PORT_COM1,
    .acpi = &acpi,
    .uuid = uuid,
    .kernel = kernel,
    .initrd = initrd,
    .cmdline = CMDLINE,
    .debug_out = on_debug,
    .debug_opaque = pc,
  };

  pc->debug_log = g_string_new (NULL);
  pc->serial_log = g_string_new (NULL);
  pc->ram = mmap (NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  g_assert_true (pc->ram != MAP_FAILED);
  vmm_guest_mem_init (&pc->mem);
  g_assert_cmpint (vmm_guest_mem_add (&pc->mem, 0, RAM_SIZE, pc->ram), ==, 0);

  pc->pio = vmm_bus_new ("pio");
  pc->mmio = vmm_bus_new ("mmio");
  pc->boot = vmm_firmware_boot_new (&cfg, &pc->mem, pc->pio, pc->mmio, &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_boot_base (pc->boot), >, TSS_ADDR);
  pc->serial = vmm_serial_new (&com1, on_serial, pc);
  pc->i8042 = vmm_i8042_new (&kbd, &aux, on_reset, pc);
  pc->rtc = vmm_rtc_new (NULL, NULL);
  set_cmos (pc->rtc);
  pc->pm = vmm_pm_new (&sci, NULL, NULL, on_poweroff, pc);
  pc->pci = vmm_pci_bus_new ();
  g_assert_cmpint (vmm_serial_register (pc->serial, pc->pio, VMM_PORT_COM1), ==, 0);
  g_assert_cmpint (vmm_i8042_register (pc->i8042, pc->pio), ==, 0);
  g_assert_cmpint (vmm_rtc_register (pc->rtc, pc->pio), ==, 0);
  g_assert_cmpint (vmm_pm_register (pc->pm, pc->pio, VMM_PORT_PM_BASE), ==, 0);
  g_assert_cmpint (vmm_pci_bus_register (pc->pci, pc->pio, pc->mmio, VMM_PCI_ECAM_BASE,
                                         VMM_PCI_ECAM_SIZE), ==, 0);
  g_assert_cmpint (vmm_pci_bus_add (pc->pci, 0, vmm_pci_host_bridge_new ()), ==, 0);
}

/* A new VM over the same RAM and devices, as a machine makes at power-on
 * and at every reset. */
static void
pc_power_on (Pc *pc)
{
  g_autoptr(GError) error = NULL;
  struct kvm_pit_config pit = { .flags = 0 };
  struct kvm_userspace_memory_region ram = {
    .slot = 0,
    .memory_size = RAM_SIZE,
    .userspace_addr = (uint64_t) (uintptr_t) pc->ram,
  };
  uint64_t identity = IDENTITY_ADDR;
  struct kvm_sregs sregs;
  struct kvm_regs regs;

  pc->vm = ioctl (pc->kvm, KVM_CREATE_VM, 0);
  g_assert_cmpint (pc->vm, >=, 0);
  g_assert_cmpint (ioctl (pc->vm, KVM_SET_TSS_ADDR, (unsigned long) TSS_ADDR), ==, 0);
  g_assert_cmpint (ioctl (pc->vm, KVM_SET_IDENTITY_MAP_ADDR, &identity), ==, 0);
  g_assert_cmpint (ioctl (pc->vm, KVM_CREATE_IRQCHIP, 0), ==, 0);
  g_assert_cmpint (ioctl (pc->vm, KVM_CREATE_PIT2, &pit), ==, 0);
  g_assert_cmpint (ioctl (pc->vm, KVM_SET_USER_MEMORY_REGION, &ram), ==, 0);
  g_assert_true (vmm_firmware_boot_load (pc->boot, pc->vm, FIRMWARE_SLOT, pc->ram, RAM_SIZE, &error));
  g_assert_no_error (error);

  pc->vcpu = ioctl (pc->vm, KVM_CREATE_VCPU, 0);
  g_assert_cmpint (pc->vcpu, >=, 0);
  pc->run_size = (size_t) ioctl (pc->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  pc->run = mmap (NULL, pc->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, pc->vcpu, 0);
  g_assert_true (pc->run != MAP_FAILED);
  set_cpuid (pc);
  g_assert_cmpint (ioctl (pc->vcpu, KVM_GET_SREGS, &sregs), ==, 0);
  vmm_firmware_boot_setup_bsp (&sregs, &regs);
  g_assert_cmpint (ioctl (pc->vcpu, KVM_SET_SREGS, &sregs), ==, 0);
  g_assert_cmpint (ioctl (pc->vcpu, KVM_SET_REGS, &regs), ==, 0);
}

static void
handle_io (Pc *pc)
{
  struct kvm_run *run = pc->run;
  uint8_t *p = (uint8_t *) run + run->io.data_offset;

  for (uint32_t i = 0; i < run->io.count; i++, p += run->io.size)
    {
      if (run->io.direction == KVM_EXIT_IO_OUT)
        vmm_bus_write (pc->pio, run->io.port, p, run->io.size);
      else
        vmm_bus_read (pc->pio, run->io.port, p, run->io.size);
    }
}

static unsigned
count (const GString *log, const char *what)
{
  unsigned n = 0;

  for (const char *p = log->str; (p = strstr (p, what)) != NULL; p += strlen (what))
    n++;
  return n;
}

/* Runs the vCPU until @log contains @until @n times, or fails the test. */
static void
run_until (Pc *pc, const GString *log, const char *until, unsigned n)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  struct sigaction sa = { .sa_handler = on_alarm };
  struct itimerval tick = { { 0, 100000 }, { 0, 100000 } }, off = { { 0, 0 }, { 0, 0 } };
  const char *why = NULL;

  sigaction (SIGALRM, &sa, NULL);
  setitimer (ITIMER_REAL, &tick, NULL);
  while (why == NULL && count (log, until) < n)
    {
      if (g_get_monotonic_time () > deadline)
        {
          why = "timed out";
          break;
        }
      if (ioctl (pc->vcpu, KVM_RUN, 0) < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          why = "KVM_RUN failed";
          break;
        }
      switch (pc->run->exit_reason)
        {
        case KVM_EXIT_IO:
          handle_io (pc);
          break;
        case KVM_EXIT_MMIO:
          if (pc->run->mmio.is_write)
            vmm_bus_write (pc->mmio, pc->run->mmio.phys_addr, pc->run->mmio.data, pc->run->mmio.len);
          else
            vmm_bus_read (pc->mmio, pc->run->mmio.phys_addr, pc->run->mmio.data, pc->run->mmio.len);
          break;
        case KVM_EXIT_INTR:
          break;
        case KVM_EXIT_HLT:
          why = "halted";
          break;
        case KVM_EXIT_SHUTDOWN:
          why = "triple fault";
          break;
        default:
          why = "unexpected exit";
          break;
        }
      if (pc->powered_off)
        why = "powered off";
      if (pc->reset)
        why = "reset";
    }
  setitimer (ITIMER_REAL, &off, NULL);
  if (why != NULL)
    {
      g_test_message ("debug port:\n%s", pc->debug_log->str);
      g_test_message ("serial:\n%s", pc->serial_log->str);
      g_test_message ("exit reason %u", pc->run->exit_reason);
      g_test_fail_printf ("SeaBIOS did not get to “%s”: %s", until, why);
    }
}

/* The VM goes; RAM is wiped as at power-on; devices return to their
 * power-on state. */
static void
pc_power_off (Pc *pc)
{
  munmap (pc->run, pc->run_size);
  close (pc->vcpu);
  close (pc->vm);
  madvise (pc->ram, RAM_SIZE, MADV_DONTNEED);
  vmm_serial_reset (pc->serial);
  vmm_i8042_reset (pc->i8042);
  vmm_pm_reset (pc->pm);
  vmm_pci_bus_reset (pc->pci);
}

static void
pc_clear (Pc *pc)
{
  munmap (pc->ram, RAM_SIZE);
  vmm_firmware_boot_free (pc->boot);
  vmm_serial_free (pc->serial);
  vmm_i8042_free (pc->i8042);
  vmm_rtc_free (pc->rtc);
  vmm_pm_free (pc->pm);
  vmm_pci_bus_free (pc->pci);
  vmm_bus_free (pc->pio);
  vmm_bus_free (pc->mmio);
  g_string_free (pc->debug_log, TRUE);
  g_string_free (pc->serial_log, TRUE);
}

static void
test_seabios_boot (void)
{
  Pc pc = { 0 };

  if (!g_file_test (VMM_FIRMWARE_SEABIOS_PATH, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the seabios package is not installed");
      return;
    }
  pc.kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (pc.kvm, >=, 0);
  pc_init (&pc, NULL, NULL);
  pc_power_on (&pc);
  /* There is no disk: the boot attempt ends with this, on the screen and
   * so on the serial port. */
  run_until (&pc, pc.serial_log, "No bootable device", 1);
  if (!g_test_failed ())
    {
      g_test_message ("debug port:\n%s", pc.debug_log->str);
      g_test_message ("serial:\n%s", pc.serial_log->str);
      /* The banner on both ports, fw_cfg found with its DMA interface and
       * our e820, the ACPI tables from our table-loader (SeaBIOS walks
       * them from the RSDP it placed), and the boot attempt. */
      g_assert_nonnull (strstr (pc.debug_log->str, "SeaBIOS (version"));
      g_assert_nonnull (strstr (pc.serial_log->str, "SeaBIOS (version"));
      g_assert_nonnull (strstr (pc.debug_log->str, "fw_cfg DMA interface supported"));
      g_assert_nonnull (strstr (pc.debug_log->str, "qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]"));
      g_assert_nonnull (strstr (pc.debug_log->str, "(via xsdt)"));
      g_assert_nonnull (strstr (pc.debug_log->str, "ACPI: parse DSDT"));
      g_assert_nonnull (strstr (pc.debug_log->str, "Booting from"));
      /* SeaBIOS shows the UUID it finds in our SMBIOS type 1, which
       * takes the right byte order. */
      g_assert_nonnull (strstr (pc.serial_log->str, "Machine UUID 12345678-9abc-def0-0123-456789abcdef"));
    }
  pc_power_off (&pc);
  pc_clear (&pc);
  close (pc.kvm);
}

static void
test_seabios_direct_boot (void)
{
  g_autoptr(GBytes) kernel = stand_in_kernel ();
  g_autoptr(GBytes) initrd = g_bytes_new_static ("070701 initrd bytes", 19);
  const uint8_t *k = g_bytes_get_data (kernel, NULL);
  uint64_t initrd_addr;
  Pc pc = { 0 };

  if (!g_file_test (VMM_FIRMWARE_SEABIOS_PATH, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the seabios package is not installed");
      return;
    }
  pc.kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (pc.kvm, >=, 0);
  pc_init (&pc, kernel, initrd);
  pc_power_on (&pc);
  run_until (&pc, pc.debug_log, "setup ok:" CMDLINE, 1);
  if (!g_test_failed ())
    {
      g_test_message ("serial:\n%s", pc.serial_log->str);
      g_assert_nonnull (strstr (pc.serial_log->str, "Booting from ROM"));
      /* Every part where fw_cfg said, the setup header as patched. */
      g_assert_cmpmem (pc.ram + VMM_FW_KERNEL_ADDR, KERNEL_LEN, k + SETUP_LEN, KERNEL_LEN);
      g_assert_cmpmem (pc.ram + VMM_FW_KERNEL_CMDLINE_ADDR, sizeof CMDLINE, CMDLINE, sizeof CMDLINE);
      g_assert_cmpmem (pc.ram + VMM_FW_KERNEL_SETUP_ADDR + 0x26c, 0x24, k + 0x26c, 0x24);
      g_assert_cmphex (pc.ram[VMM_FW_KERNEL_SETUP_ADDR + 0x210], ==, 0xff);
      initrd_addr = vmm_le_get (pc.ram + VMM_FW_KERNEL_SETUP_ADDR + 0x218, 4);
      g_assert_cmphex (initrd_addr, >, VMM_FW_KERNEL_ADDR);
      g_assert_cmphex (initrd_addr + 19, <=, RAM_SIZE);
      g_assert_cmpmem (pc.ram + initrd_addr, 19, "070701 initrd bytes", 19);
    }
  pc_power_off (&pc);
  pc_clear (&pc);
  close (pc.kvm);
}

/* A reset as the machine does it: a new VM over wiped RAM with the same
 * VmmFirmwareBoot. SeaBIOS must start from scratch again (fw_cfg back at
 * its power-on state, the legacy window reloaded) and get as far. */
static void
test_seabios_reboot (void)
{
  Pc pc = { 0 };

  if (!g_file_test (VMM_FIRMWARE_SEABIOS_PATH, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the seabios package is not installed");
      return;
    }
  pc.kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (pc.kvm, >=, 0);
  pc_init (&pc, NULL, NULL);
  for (unsigned boot = 1; boot <= 2 && !g_test_failed (); boot++)
    {
      pc_power_on (&pc);
      run_until (&pc, pc.serial_log, "No bootable device", boot);
      pc_power_off (&pc);
    }
  if (!g_test_failed ())
    {
      g_assert_cmpuint (count (pc.serial_log, "SeaBIOS (version"), ==, 2);
      g_assert_cmpuint (count (pc.debug_log, "fw_cfg DMA interface supported"), ==, 2);
      g_assert_cmpuint (count (pc.debug_log, "(via xsdt)"), ==, 2);
    }
  pc_clear (&pc);
  close (pc.kvm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    return 77;
  g_test_add_func ("/kvm/seabios/boot", test_seabios_boot);
  g_test_add_func ("/kvm/seabios/direct-boot", test_seabios_direct_boot);
  g_test_add_func ("/kvm/seabios/reboot", test_seabios_reboot);
  return g_test_run ();
}
