/* vireo-vmm.h: libvireo-vmm, Vireo's KVM virtual machine monitor.
 *
 * A VmmMachine is one x86-64 PC running under KVM. Several machines may
 * live in one process; nothing here keeps process-wide state other than a
 * no-op handler for the signal that kicks vCPU threads out of KVM_RUN.
 *
 * Threads: each vCPU runs on its own thread and a per-machine control
 * thread carries out resets and power-off. Callbacks (serial output, state
 * changes) are invoked on those threads, never on the caller's main
 * context: marshal to your own thread if needed. The calls that wait for
 * the control thread (start, pause, resume, reset, kill, free) must not
 * be made from inside a callback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define VMM_LOG_DOMAIN "vireo-vmm"

/* Errors a user can act on. */
#define VMM_ERROR (vmm_error_quark ())
GQuark vmm_error_quark (void);

typedef enum {
  VMM_ERROR_KVM_UNAVAILABLE,    /* no /dev/kvm: virtualization off or module not loaded */
  VMM_ERROR_KVM_PERMISSION,     /* /dev/kvm exists but may not be opened */
  VMM_ERROR_KVM_CAPABILITY,     /* the host's KVM lacks a needed capability */
  VMM_ERROR_KVM_FAILED,         /* a KVM call failed unexpectedly */
  VMM_ERROR_INVALID_CONFIG,     /* memory or CPU count out of range, and the like */
  VMM_ERROR_KERNEL,             /* the kernel cannot be read or is not a bzImage */
  VMM_ERROR_INITRD,             /* the initrd cannot be read or does not fit */
  VMM_ERROR_CMDLINE,            /* the command line is too long */
  VMM_ERROR_NO_MEMORY,          /* guest RAM could not be allocated */
  VMM_ERROR_BAD_STATE,          /* the request does not fit the machine's state */
  VMM_ERROR_DISK,               /* a disk image is missing, locked, or not an image */
  VMM_ERROR_NETWORK,            /* a port forward is malformed or its host port is busy */
  VMM_ERROR_DISPLAY,            /* the display server could not start or listen */
} VmmError;

typedef enum {
  VMM_STATE_STOPPED,            /* created and not started, or powered off, or killed */
  VMM_STATE_RUNNING,
  VMM_STATE_PAUSED,
  VMM_STATE_CRASHED,            /* the guest died; registers were logged */
} VmmState;

typedef struct _VmmMachine VmmMachine;

/* Receives the guest's serial output (COM1), called on a vCPU thread. */
typedef void (*VmmSerialSink) (const uint8_t *data, size_t len, gpointer user_data);

/* Called on a monitor thread after the machine changed state. Reboots show
 * no state change (the machine stays running). */
typedef void (*VmmStateNotify) (VmmMachine *machine, VmmState state, gpointer user_data);

#define VMM_DISKS_MAX    8

/* Which device shows the guest's screen. */
typedef enum {
  VMM_DISPLAY_DEVICE_VIRTIO_GPU,  /* guests with a virtio-gpu driver: Linux, OVMF */
  VMM_DISPLAY_DEVICE_BOCHS,       /* a plain framebuffer: SeaBIOS, Windows */
} VmmDisplayDevice;

/* Where a disk is attached. */
typedef enum {
  VMM_DISK_BUS_VIRTIO,          /* virtio-blk: fastest, needs the guest's virtio driver */
  VMM_DISK_BUS_SATA,            /* AHCI: every OS and firmware has a driver */
} VmmDiskBus;

#define VMM_SATA_PORTS   6

/* A disk or a CD-ROM drive. */
typedef struct {
  const char *path;             /* raw or qcow2 image; for a CD-ROM an ISO, or NULL when empty */
  const char *format;           /* "raw", "qcow2", or NULL to probe (see vireo-vmm --help) */
  gboolean read_only;           /* also when the file cannot be written */
  const char *serial;           /* what the guest reads as the disk's serial, or NULL */
  VmmDiskBus bus;
  gboolean cdrom;               /* an ATAPI CD-ROM drive: always SATA and read-only */
} VmmDiskConfig;

/* Kinds of drive a firmware boots from (VmmConfig.boot_order). */
typedef enum {
  VMM_BOOT_DISK,                /* the disks, in config order */
  VMM_BOOT_CDROM,               /* the CD-ROM drives, in config order */
} VmmBootDevice;

#define VMM_BOOT_DEVICES_MAX 4

#define VMM_MEMORY_MIN   (16ULL << 20)
#define VMM_MEMORY_MAX   (1ULL << 40)
#define VMM_CPUS_MAX     64

/* What a machine is made of. Initialise with vmm_config_init() and set the
 * fields you need; strings are copied by vmm_machine_new(). */
/* The network card a machine gets. */
typedef enum {
  VMM_NET_MODEL_VIRTIO,         /* virtio-net: the fastest, needs a virtio driver */
  VMM_NET_MODEL_E1000E,         /* Intel 82574L: drivers in Windows and Linux out of the box */
} VmmNetModel;

typedef struct {
  const char *kernel_path;      /* bzImage (required) */
  const char *initrd_path;      /* optional */
  const char *cmdline;          /* optional kernel command line */
  uint64_t memory;              /* bytes of guest RAM */
  unsigned cpus;                /* vCPUs, 1..VMM_CPUS_MAX */
  VmmSerialSink serial_sink;    /* optional: where COM1 output goes */
  gpointer serial_data;
  VmmStateNotify state_notify;  /* optional */
  gpointer state_data;
  /* For tests of the monitor itself: instead of a Linux kernel, a raw
   * 16-bit real-mode program, loaded at 0x10000 and entered at
   * 1000:0000 with one vCPU. kernel_path must then be NULL. */
  const char *realmode_image_path;
  /* Disks, in the order the guest enumerates them (vda, vdb, ...). */
  VmmDiskConfig disks[VMM_DISKS_MAX];
  unsigned n_disks;
  /* A virtio-net card on user-mode networking (NAT through libslirp:
   * 10.0.2.0/24, DHCP, DNS), reachable from the host through forwards
   * such as "tcp:127.0.0.1:2222-:22" (NULL-terminated, may be NULL). */
  gboolean net_user;
  const char *const *net_forwards;
  gboolean net_restricted;      /* the guest reaches nothing but the host forwards */
  const char *net_mac_seed;     /* the card's MAC is derived from this (a machine's UUID) */
  VmmNetModel net_model;        /* virtio-net, or an Intel e1000e for guests without virtio drivers */
  /* A virtio-rng device fed from the host's getrandom(). */
  gboolean rng;
  /* The guest's screen: display_device shown through the embedded SPICE
   * server, which the app reaches with
   * vmm_machine_open_display_fd(). spice_listen also lets external viewers
   * in: "unix:PATH" or "tcp:127.0.0.1:PORT" (NULL: nobody else). */
  gboolean display;
  VmmDisplayDevice display_device;
  const char *spice_listen;
  /* Boot through firmware rather than loading the kernel directly:
   * either a BIOS image (SeaBIOS bios-256k.bin) or OVMF's code image and
   * the machine's own copy of its variables (written back as the guest
   * changes them). kernel_path is then optional: given, the firmware
   * boots it. */
  const char *bios_path;
  const char *uefi_code_path;
  const char *uefi_vars_path;
  const uint8_t *uuid;          /* optional, 16 bytes: the machine's SMBIOS UUID */
  /* Firmware boot: the kinds of drive the firmware tries first, in this
   * order (a kernel given with a BIOS still comes first); none: the
   * firmware's own order. */
  VmmBootDevice boot_order[VMM_BOOT_DEVICES_MAX];
  unsigned n_boot_order;
} VmmConfig;

/* Fills @config with defaults: 512 MiB, one vCPU, no kernel. */
void        vmm_config_init          (VmmConfig *config);

/* Checks that /dev/kvm exists, may be opened, speaks API version 12 and
 * has every capability the machine needs. Errors say what to do. */
gboolean    vmm_check_kvm            (GError **error);

/* Creates a machine: validates the configuration and the files, checks
 * KVM, allocates guest RAM, creates the VM and its devices and loads the
 * guest. Nothing runs until vmm_machine_start(). */
VmmMachine *vmm_machine_new          (const VmmConfig *config, GError **error);

/* Starts the vCPUs of a stopped machine (state becomes running); a
 * machine that powered off or crashed boots again from scratch. */
gboolean    vmm_machine_start        (VmmMachine *machine, GError **error);

/* Stops the vCPUs where they are (running -> paused). */
gboolean    vmm_machine_pause        (VmmMachine *machine, GError **error);

/* Lets a paused machine continue (paused -> running). */
gboolean    vmm_machine_resume       (VmmMachine *machine, GError **error);

/* Presses the ACPI power button; a guest that handles it shuts down. */
gboolean    vmm_machine_power_button (VmmMachine *machine, GError **error);

/* Hard reset: the guest boots again from the kernel (stays running). */
gboolean    vmm_machine_reset        (VmmMachine *machine, GError **error);

/* Pulls the plug: the vCPUs stop at once and the state becomes stopped.
 * Returns when every vCPU thread has exited. */
void        vmm_machine_kill         (VmmMachine *machine);

VmmState    vmm_machine_get_state    (VmmMachine *machine);

/* Bytes typed into the guest's COM1. Thread-safe. */
void        vmm_machine_serial_input (VmmMachine *machine, const uint8_t *data, size_t len);

/* Puts the ISO at @path into the @index-th CD-ROM drive of the config
 * (counting CD-ROM drives only), or ejects it with @path NULL; the guest
 * sees a media change. Thread-safe; not from a vCPU thread. */
gboolean    vmm_machine_change_cdrom (VmmMachine *machine, unsigned index, const char *path,
                                      GError **error);

/* A connected socket for one SPICE channel of a viewer in this process
 * (spice_session_open_fd() for the main channel, spice_channel_open_fd()
 * for the others); the caller owns it. -1 with VMM_ERROR_DISPLAY when the
 * machine has no display. Thread-safe. */
int         vmm_machine_open_display_fd (VmmMachine *machine, GError **error);

/* A picture of the guest's screen as it is now (the display device's
 * current mode, virtio-gpu's scanout or the bochs framebuffer): XRGB8888
 * words (B G R x in memory, x = 0xff), rows packed, in a new g_malloc'ed
 * buffer at *pixels that the caller frees. FALSE when the machine has no
 * display or the screen is off. Thread-safe; it does not disturb the
 * SPICE viewer. */
gboolean    vmm_machine_read_screen  (VmmMachine *machine, uint32_t *width, uint32_t *height,
                                      uint32_t **pixels);

/* Kills the machine if needed and frees it. */
void        vmm_machine_free         (VmmMachine *machine);

const char *vmm_state_to_string      (VmmState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmMachine, vmm_machine_free)

G_END_DECLS
