/* machine-private.h: the machine's insides, shared by machine.c (life
 * cycle), vm.c (the KVM VM and its RAM), vcpu.c and boot.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-vmm.h"
#include "bus.h"
#include "kvm.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/pm.h"
#include "devices/reset-control.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "platform.h"
#include "display/display.h"
#include "display/spice-module.h"
#include "usb/usb-hid.h"
#include "usb/usb-input.h"
#include "x86/bzimage.h"
#include "firmware/firmware-boot.h"

#include <linux/kvm.h>
#include <pthread.h>

typedef struct {
  gboolean used;
  uint64_t addr;
  uint32_t data;
} VmmMsiRoute;

/* KVM memory slots: 0 and 1 are RAM below and above the PCI hole, the
 * firmware's come next, and device memory (framebuffer BARs) after that. */
#define VMM_FIRST_FIRMWARE_SLOT 2
#define VMM_FIRST_DEVICE_SLOT   16
#define VMM_DEVICE_SLOTS        16

typedef struct {
  VmmMachine *machine;
  unsigned index;
  int fd;
  struct kvm_run *run;
  GThread *thread;
  pthread_t tid;
  gboolean tid_valid;
} VmmVcpu;

/* Requests for the control thread, in priority order. */
typedef enum {
  VMM_REQ_KILL      = 1 << 0,
  VMM_REQ_POWEROFF  = 1 << 1,
  VMM_REQ_CRASH     = 1 << 2,
  VMM_REQ_RESET     = 1 << 3,
  VMM_REQ_START     = 1 << 4,
  VMM_REQ_PAUSE     = 1 << 5,
  VMM_REQ_RESUME    = 1 << 6,
  VMM_REQ_QUIT      = 1 << 7,
} VmmRequest;

struct _VmmMachine {
  /* Configuration. */
  char *kernel_path, *initrd_path, *cmdline, *realmode_path;
  char *bios_path, *uefi_code_path, *uefi_vars_path;
  uint8_t uuid[16];
  gboolean has_uuid;
  VmmDiskConfig disks[VMM_DISKS_MAX];   /* strings owned by the machine */
  unsigned n_disks;
  char *disk_boot_path[VMM_DISKS_MAX];  /* each drive's OpenFirmware path, once created */
  VmmBootDevice boot_order[VMM_BOOT_DEVICES_MAX];
  unsigned n_boot_order;
  gboolean net_user, net_restricted, rng;
  char **net_forwards;
  char *net_mac_seed;
  VmmNetModel net_model;
  gboolean want_display;
  VmmDisplayDevice display_device;
  char *spice_listen;
  uint64_t memory;
  unsigned n_cpus;
  VmmSerialSink serial_sink;
  gpointer serial_data;
  VmmStateNotify state_notify;
  gpointer state_data;
  /* reboot=t on the command line: the guest reboots by triple fault, so a
   * shutdown exit means reset rather than crash. */
  gboolean triple_fault_reboots;

  /* The guest's files, kept for reloading at every reset. */
  GBytes *kernel, *initrd, *realmode;
  VmmBzImage bzimage;

  VmmKvm kvm;
  /* vm_fd changes at each reset; device threads raising interrupts take
   * vm_lock for reading so they never use a closed descriptor. */
  GRWLock vm_lock;
  int vm_fd;

  uint8_t *ram;
  uint64_t ram_size;
  uint64_t lowmem_size;

  /* What PCI device models get: guest RAM, interrupts, KVM fast paths. */
  VmmPlatform platform;
  GMutex route_lock;
  VmmMsiRoute *msi_routes;   /* indexed by GSI */
  gboolean device_slots[VMM_DEVICE_SLOTS];  /* KVM slots from VMM_FIRST_DEVICE_SLOT in use */

  VmmBus *pio, *mmio;
  VmmSerial *serial;
  VmmI8042 *i8042;
  VmmRtc *rtc;
  VmmPm *pm;
  VmmResetControl *reset_control;
  VmmPciBus *pci;
  VmmFirmwareBoot *firmware;    /* firmware boot only */
  VmmDisplay *display;       /* NULL without a screen */
  const VmmSpiceModule *spice_module;  /* loaded with the first display */
  VmmSpice *spice;
  VmmUsbHid *usb_keyboard, *usb_tablet;
  VmmUsbInput *usb_input;
  VmmPciDevice *ahci;        /* NULL without SATA drives; owned by the bus */
  unsigned cdrom_port[VMM_SATA_PORTS];  /* the AHCI port of each CD-ROM drive */
  unsigned n_cdroms;    /* the viewer's input to them, PS/2 until the guest takes USB */

  VmmVcpu *vcpus;

  /* Life cycle, all under lock. */
  GMutex lock;
  GCond cond;
  VmmState state;
  guint requests;
  guint64 request_seq, done_seq;
  gboolean vcpus_stop;       /* vCPU threads leave their loop */
  gboolean vcpus_pause;      /* vCPU threads wait */
  unsigned vcpus_waiting;    /* how many wait because of vcpus_pause */
  gboolean vm_dirty;         /* the guest ran since the VM was last loaded */
  GError *start_error;       /* why the last start request failed */
  GThread *control_thread;
};

/* vm.c */
gboolean vmm_vm_create       (VmmMachine *m, GError **error);
void     vmm_vm_destroy      (VmmMachine *m);
void     vmm_vm_set_irq      (void *opaque, unsigned gsi, gboolean level);

/* vm-platform.c */
void     vmm_vm_platform_init    (VmmMachine *m);
gboolean vmm_vm_platform_add_ram (VmmMachine *m, GError **error);
void     vmm_vm_platform_clear   (VmmMachine *m);
void     vmm_vm_platform_forget_slots (VmmMachine *m);

/* vcpu.c */
gboolean vmm_vcpus_create    (VmmMachine *m, GError **error);
void     vmm_vcpus_destroy   (VmmMachine *m);
gboolean vmm_vcpus_start     (VmmMachine *m, GError **error);
/* Makes every vCPU thread exit and joins them. */
void     vmm_vcpus_stop      (VmmMachine *m);
/* Kicks every vCPU out of KVM_RUN; call after changing vcpus_* flags. */
void     vmm_vcpus_kick      (VmmMachine *m);
void     vmm_vcpu_dump       (VmmVcpu *vcpu, const char *why);

/* boot.c */
gboolean vmm_boot_prepare    (VmmMachine *m, GError **error);
gboolean vmm_boot_load       (VmmMachine *m, GError **error);
/* Firmware boot: the firmware, fw_cfg and debug console, on the buses. */
gboolean vmm_boot_create_firmware (VmmMachine *m, GError **error);
gboolean vmm_boot_setup_bsp  (VmmMachine *m, VmmVcpu *bsp, GError **error);

/* machine.c: posted by devices and vCPU threads. */
void     vmm_machine_request (VmmMachine *m, VmmRequest req);
