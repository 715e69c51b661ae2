/* test-kvm-pflash.c: the UEFI variable flash on /dev/kvm, driven by a
 * small 32-bit guest program the way OVMF drives it: reads in read-array
 * mode come from the read-only memory slot (no exit to the monitor),
 * reads in status mode reach the device (the slot is gone), an erase and
 * a program change the machine's variables file.
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

#include <glib/gstdio.h>
#include <linux/kvm.h>

#include "bus.h"
#include "firmware/debugcon.h"
#include "firmware/firmware.h"

#define RAM_SIZE    (1ull << 20)
#define CODE_ADDR   0x1000
#define CODE_LEN    0x4000
#define VARS_LEN    0x2000
#define VARS_BASE   (0x100000000ull - CODE_LEN - VARS_LEN)
#define PROBE       0x1000      /* offset into the variables that is probed */
#define DEADLINE_S  60

/* The guest: %edi = the probed byte; each result goes to the debug port. */
static const uint8_t program[] = {
  0xbf, 0, 0, 0, 0,           /* mov edi, VARS_BASE + PROBE (patched) */
  0x66, 0xba, 0x02, 0x04,     /* mov dx, 0x402 */
  0x8a, 0x07, 0xee,           /* mov al, [edi]; out dx, al      array: from the slot */
  0xc6, 0x07, 0x50,           /* mov byte [edi], 0x50           clear status */
  0xc6, 0x07, 0x70,           /* mov byte [edi], 0x70           read status */
  0x8a, 0x07, 0xee,           /* mov al, [edi]; out dx, al      0x00, from the device */
  0xc6, 0x07, 0x20,           /* mov byte [edi], 0x20           erase ... */
  0xc6, 0x07, 0xd0,           /* mov byte [edi], 0xd0           ... confirmed */
  0x8a, 0x07, 0xee,           /* mov al, [edi]; out dx, al      status: ready */
  0xc6, 0x07, 0xff,           /* mov byte [edi], 0xff           read array */
  0x8a, 0x07, 0xee,           /* mov al, [edi]; out dx, al      0xff, erased */
  0xc6, 0x07, 0x10,           /* mov byte [edi], 0x10           program ... */
  0xc6, 0x07, 0x5a,           /* mov byte [edi], 0x5a           ... 0x5a */
  0xc6, 0x07, 0xff,           /* mov byte [edi], 0xff           read array */
  0x8a, 0x07, 0xee,           /* mov al, [edi]; out dx, al      0x5a, from the slot */
  0xf4,                       /* hlt */
  0xeb, 0xfd,                 /* jmp hlt */
};

static const uint8_t expected[] = { 0x22, 0x00, 0x80, 0xff, 0x5a };

static void
on_alarm (int sig)
{
}

static void
on_debug (void *opaque, const uint8_t *data, size_t len)
{
  g_byte_array_append (opaque, data, (guint) len);
}

static char *
write_volume (size_t len, uint8_t fill)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *d = g_malloc (len);
  char *path = NULL;
  int fd = g_file_open_tmp ("vireo-kvm-fv-XXXXXX", &path, &error);

  g_assert_no_error (error);
  memset (d, fill, len);
  memcpy (d + 40, "_FVH", 4);
  g_assert_cmpint (write (fd, d, len), ==, (ssize_t) len);
  close (fd);
  return path;
}

static void
flat (struct kvm_segment *s, uint8_t type)
{
  memset (s, 0, sizeof *s);
  s->limit = 0xffffffff;
  s->type = type;
  s->present = 1;
  s->s = 1;
  s->db = 1;
  s->g = 1;
}

static void
test_pflash (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = write_volume (CODE_LEN, 0x11), *vars = write_volume (VARS_LEN, 0x22);
  g_autofree char *contents = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  struct kvm_userspace_memory_region ram_slot = { .slot = 0, .memory_size = RAM_SIZE };
  struct sigaction sa = { .sa_handler = on_alarm };
  struct itimerval tick = { { 0, 100000 }, { 0, 100000 } }, off = { { 0, 0 }, { 0, 0 } };
  struct kvm_sregs sregs;
  struct kvm_regs regs = { .rip = CODE_ADDR, .rflags = 2 };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  unsigned mmio_reads = 0;
  const char *why = NULL;
  VmmFirmware *fw;
  VmmBus *pio, *mmio;
  VmmDebugcon *debugcon;
  struct kvm_run *run;
  uint8_t *ram;
  int kvm, vm, vcpu;
  gsize len;

  kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (kvm, >=, 0);
  vm = ioctl (kvm, KVM_CREATE_VM, 0);
  g_assert_cmpint (vm, >=, 0);
  if (ioctl (vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
    {
      g_test_skip ("KVM has no read-only memory slots: the flash is all MMIO");
      close (vm);
      close (kvm);
      return;
    }
  g_assert_cmpint (ioctl (vm, KVM_SET_TSS_ADDR, 0xfeffd000ul), ==, 0);

  ram = mmap (NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  g_assert_true (ram != MAP_FAILED);
  memcpy (ram + CODE_ADDR, program, sizeof program);
  vmm_le_put (ram + CODE_ADDR + 1, 4, VARS_BASE + PROBE);
  ram_slot.userspace_addr = (uint64_t) (uintptr_t) ram;
  g_assert_cmpint (ioctl (vm, KVM_SET_USER_MEMORY_REGION, &ram_slot), ==, 0);

  fw = vmm_firmware_new_uefi (code, vars, TRUE, &error);
  g_assert_no_error (error);
  pio = vmm_bus_new ("pio");
  mmio = vmm_bus_new ("mmio");
  debugcon = vmm_debugcon_new (on_debug, out);
  g_assert_cmpint (vmm_debugcon_register (debugcon, pio, VMM_DEBUGCON_PORT), ==, 0);
  g_assert_cmpint (vmm_firmware_register (fw, mmio), ==, 0);
  g_assert_true (vmm_firmware_map (fw, vm, 1, &error));
  g_assert_no_error (error);

  vcpu = ioctl (vm, KVM_CREATE_VCPU, 0);
  g_assert_cmpint (vcpu, >=, 0);
  run = mmap (NULL, (size_t) ioctl (kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
              MAP_SHARED, vcpu, 0);
  g_assert_true (run != MAP_FAILED);
  g_assert_cmpint (ioctl (vcpu, KVM_GET_SREGS, &sregs), ==, 0);
  flat (&sregs.cs, 0xb);
  sregs.cs.selector = 0x8;
  flat (&sregs.ds, 0x3);
  sregs.ds.selector = 0x10;
  sregs.es = sregs.ss = sregs.ds;
  sregs.cr0 |= 1;
  g_assert_cmpint (ioctl (vcpu, KVM_SET_SREGS, &sregs), ==, 0);
  g_assert_cmpint (ioctl (vcpu, KVM_SET_REGS, &regs), ==, 0);

  sigaction (SIGALRM, &sa, NULL);
  setitimer (ITIMER_REAL, &tick, NULL);
  while (why == NULL && out->len < sizeof expected)
    {
      if (g_get_monotonic_time () > deadline)
        why = "timed out";
      else if (ioctl (vcpu, KVM_RUN, 0) < 0)
        why = errno == EINTR || errno == EAGAIN ? NULL : "KVM_RUN failed";
      else if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT)
        vmm_bus_write (pio, run->io.port, (uint8_t *) run + run->io.data_offset, run->io.size);
      else if (run->exit_reason == KVM_EXIT_MMIO)
        {
          if (run->mmio.is_write)
            vmm_bus_write (mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
          else
            {
              vmm_bus_read (mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
              mmio_reads++;
            }
        }
      else if (run->exit_reason != KVM_EXIT_INTR)
        why = "unexpected exit";
    }
  setitimer (ITIMER_REAL, &off, NULL);
  if (why != NULL)
    g_test_fail_printf ("the guest stopped after %u results: %s (exit %u)", out->len, why,
                        run->exit_reason);
  else
    {
      g_assert_cmpmem (out->data, out->len, expected, sizeof expected);
      /* Two reads in status mode went to the device; the reads in
       * read-array mode did not leave the VM. */
      g_assert_cmpuint (mmio_reads, ==, 2);
    }

  close (vcpu);
  close (vm);
  close (kvm);
  vmm_firmware_free (fw);
  vmm_debugcon_free (debugcon);
  vmm_bus_free (pio);
  vmm_bus_free (mmio);
  munmap (ram, RAM_SIZE);

  /* The erase and the program reached the variables file. */
  g_assert_true (g_file_get_contents (vars, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, VARS_LEN);
  g_assert_cmphex ((uint8_t) contents[PROBE], ==, 0x5a);
  g_assert_cmphex ((uint8_t) contents[PROBE + 1], ==, 0xff);
  g_assert_cmphex ((uint8_t) contents[PROBE - 1], ==, 0x22);
  g_unlink (code);
  g_unlink (vars);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    return 77;
  g_test_add_func ("/kvm/pflash/modes", test_pflash);
  return g_test_run ();
}
