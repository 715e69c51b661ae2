/* guest-echo.s: says it is ready, then echoes what arrives on COM1,
 * upper-cased, until a newline; then powers off. Polls LSR.DR, so the
 * receive path is tested without interrupts.
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

        /* 16550 FIFOs on, as a driver would. */
        mov     $COM1 + 2, %dx
        mov     $0x07, %al
        out     %al, %dx
        mov     $msg, %si
        call    puts

next:
        mov     $COM1 + 5, %dx
1:      in      %dx, %al
        test    $0x01, %al
        jz      1b
        mov     $COM1, %dx
        in      %dx, %al
        cmp     $0x61, %al
        jb      2f
        cmp     $0x7a, %al
        ja      2f
        sub     $0x20, %al
2:      call    putc
        cmp     $0x0a, %al
        jne     next
        call    poweroff

        .include "serial.inc"

msg:    .asciz  "VIREO-KVM-ECHO\n"
