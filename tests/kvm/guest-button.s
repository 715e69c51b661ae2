/* guest-button.S: enables the power button, says it is ready, waits for
 * PWRBTN_STS by polling, acknowledges it and powers off. Then a loop of
 * dots stands in for a busy guest while the host pauses it.
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

        mov     $PM1_EN, %dx
        mov     $0x0100, %ax
        out     %ax, %dx
        mov     $msg, %si
        call    puts

wait:
        /* A dot now and then shows the vCPU is running. */
        inc     %bx
        jnz     1f
        mov     $0x2e, %al
        call    putc
1:      mov     $PM1_EVT, %dx
        in      %dx, %ax
        test    $0x0100, %ax
        jz      wait

        out     %ax, %dx
        mov     $bye, %si
        call    puts
        call    poweroff

        .include "serial.inc"

msg:    .asciz  "VIREO-KVM-READY\n"
bye:    .asciz  "\nVIREO-KVM-BUTTON\n"
