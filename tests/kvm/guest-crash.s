/* guest-crash.s: says so on COM1, then dies: an invalid opcode with an
 * empty IDT is a triple fault on hardware (and an emulation failure under
 * software KVMs); either way the machine must end up crashed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
        .code16
        .text
        .globl _start
_start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        xor     %ax, %ax
        mov     %ax, %ss
        mov     $0x7000, %sp
        mov     $msg, %si
        call    puts
        lidt    empty_idt
        ud2
1:      hlt
        jmp     1b

        .include "serial.inc"

        .balign 8
empty_idt:
        .word   0
        .long   0
msg:    .asciz  "VIREO-KVM-CRASH\n"
