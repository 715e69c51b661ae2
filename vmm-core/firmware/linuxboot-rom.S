/* linuxboot-rom.S: a BIOS option ROM that boots the Linux kernel given in
 * fw_cfg (vmm_fw_cfg_add_kernel), for direct boot through SeaBIOS.
 *
 * SeaBIOS runs it as a boot entry vector ("Booting from ROM..."). It
 * copies the setup, the command line, the kernel and the initrd to the
 * addresses fw_cfg names, by DMA, and enters the real-mode setup code as
 * the boot protocol says: ds = es = ss = the setup's segment, the stack at
 * the top of the heap, interrupts off, a far jump to segment + 0x20.
 *
 * Assembled into the monitor as data: vmm_fw_cfg_add_linuxboot() copies
 * it, fills in the ROM size and the checksums and publishes it as
 * genroms/vireo-linuxboot.bin. The code uses no relocations: offsets are
 * differences between labels in this section.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define FW_CFG_SELECT_READ 0x000a   /* DMA control, low half: SELECT | READ */
#define DMA_PORT_LOW       0x518
#define DMA_ACCESS         0x600    /* FWCfgDmaAccess in free low memory */
#define DMA_SCRATCH        0x610    /* where 32-bit items are read to */

#define KEY_KERNEL_ADDR    0x07
#define KEY_KERNEL_SIZE    0x08
#define KEY_INITRD_ADDR    0x0a
#define KEY_INITRD_SIZE    0x0b
#define KEY_KERNEL_DATA    0x11
#define KEY_INITRD_DATA    0x12
#define KEY_CMDLINE_ADDR   0x13
#define KEY_CMDLINE_SIZE   0x14
#define KEY_CMDLINE_DATA   0x15
#define KEY_SETUP_ADDR     0x16
#define KEY_SETUP_SIZE     0x17
#define KEY_SETUP_DATA     0x18

#define SETUP_HEAP_TOP     0xfe00   /* heap_end_ptr + 0x200, as vmm_fw_cfg_add_kernel() sets it */

  .section .rodata
  .globl vmm_linuxboot_rom
  .globl vmm_linuxboot_rom_end
  .code16

vmm_linuxboot_rom:
  .byte 0x55, 0xaa
  .byte 0                           /* size in 512-byte blocks: filled in */
  lret                              /* init entry: nothing to set up */
  .org 0x1a                         /* the PnP header offset, from the ROM start (offset 0 here) */
  .word pnp - vmm_linuxboot_rom

  .balign 16
pnp:
  .ascii "$PnP"
  .byte 1                           /* revision */
  .byte 2                           /* length in 16-byte units */
  .word 0                           /* next header */
  .byte 0
  .byte 0                           /* checksum: filled in */
  .long 0                           /* device id */
  .word 0                           /* manufacturer string */
  .word name - vmm_linuxboot_rom    /* product name */
  .byte 0, 0, 0                     /* device type */
  .byte 0x14                        /* flags: boot device, IPL */
  .word 0                           /* boot connection vector */
  .word 0                           /* disconnect vector */
  .word boot - vmm_linuxboot_rom    /* bootstrap entry vector */
  .word 0
  .word 0

name:
  .asciz "Linux"

/* DMA-read fw_cfg item %ax: %ecx bytes to physical address %ebp. */
dma_read:
  xchg %al, %ah                     /* the selector, big-endian */
  movw %ax, DMA_ACCESS
  movw $(FW_CFG_SELECT_READ << 8), DMA_ACCESS + 2
  bswap %ecx
  movl %ecx, DMA_ACCESS + 4
  movl $0, DMA_ACCESS + 8
  bswap %ebp
  movl %ebp, DMA_ACCESS + 12
  movw $DMA_PORT_LOW, %dx
  movl $(((DMA_ACCESS & 0xff) << 24) | ((DMA_ACCESS & 0xff00) << 8)), %eax
  outl %eax, %dx
  ret

/* %eax = the 32-bit item %ax. */
read32:
  movl $4, %ecx
  movl $DMA_SCRATCH, %ebp
  call dma_read
  movl DMA_SCRATCH, %eax
  ret

/* Copies item %bx to the address in item %si, its size from item %di. */
load:
  movw %si, %ax
  call read32
  pushl %eax
  movw %di, %ax
  call read32
  movl %eax, %ecx
  popl %ebp
  jecxz 1f
  movw %bx, %ax
  call dma_read
1:
  ret

boot:
  cli
  cld
  xorw %ax, %ax
  movw %ax, %ds
  movw %ax, %ss
  movw $0x7c00, %sp

  movw $KEY_SETUP_ADDR, %si
  movw $KEY_SETUP_SIZE, %di
  movw $KEY_SETUP_DATA, %bx
  call load
  movw $KEY_CMDLINE_ADDR, %si
  movw $KEY_CMDLINE_SIZE, %di
  movw $KEY_CMDLINE_DATA, %bx
  call load
  movw $KEY_KERNEL_ADDR, %si
  movw $KEY_KERNEL_SIZE, %di
  movw $KEY_KERNEL_DATA, %bx
  call load
  movw $KEY_INITRD_ADDR, %si
  movw $KEY_INITRD_SIZE, %di
  movw $KEY_INITRD_DATA, %bx
  call load

  movw $KEY_SETUP_ADDR, %ax
  call read32
  shrl $4, %eax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %fs
  movw %ax, %gs
  movw %ax, %ss
  movw $SETUP_HEAP_TOP, %sp
  addw $0x20, %ax
  pushw %ax
  pushw $0
  lret

vmm_linuxboot_rom_end:
  .code64

  .section .note.GNU-stack, "", @progbits
