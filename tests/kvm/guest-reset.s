/* guest-reset.S: counts its boots in CMOS byte 0x40 (which survives a
 * reset), says which boot this is on COM1, then reboots through the i8042
 * (first boot), through port 0xcf9 (second) and powers off (third and
 * later).
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

        mov     $0x40, %al
        out     %al, $0x70
        in      $0x71, %al
        inc     %al
        mov     %al, %cl
        mov     $0x40, %al
        out     %al, $0x70
        mov     %cl, %al
        out     %al, $0x71

        mov     $msg, %si
        call    puts
        mov     %cl, %al
        add     $0x30, %al
        call    putc
        mov     $0x0a, %al
        call    putc

        cmp     $1, %cl
        je      via_i8042
        cmp     $2, %cl
        je      via_cf9
        call    poweroff

via_i8042:
        mov     $0xfe, %al
        out     %al, $0x64
        jmp     hang
via_cf9:
        mov     $0xcf9, %dx
        mov     $0x06, %al
        out     %al, %dx
hang:
        hlt
        jmp     hang

        .include "serial.inc"

msg:    .asciz  "VIREO-KVM-BOOT"
