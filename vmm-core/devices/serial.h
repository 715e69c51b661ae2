/* serial.h: a 16550A UART.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "irq.h"

#include <stddef.h>

/* Register offsets from the UART's base port. */
#define VMM_UART_RBR 0   /* THR on write; DLL with LCR.DLAB */
#define VMM_UART_IER 1   /* DLM with LCR.DLAB */
#define VMM_UART_IIR 2   /* FCR on write */
#define VMM_UART_LCR 3
#define VMM_UART_MCR 4
#define VMM_UART_LSR 5
#define VMM_UART_MSR 6
#define VMM_UART_SCR 7
#define VMM_UART_NREGS 8

#define VMM_UART_LSR_DR   0x01
#define VMM_UART_LSR_OE   0x02
#define VMM_UART_LSR_BI   0x10
#define VMM_UART_LSR_THRE 0x20
#define VMM_UART_LSR_TEMT 0x40

#define VMM_UART_IIR_NONE 0x01
#define VMM_UART_IIR_MSI  0x00
#define VMM_UART_IIR_THRI 0x02
#define VMM_UART_IIR_RDI  0x04
#define VMM_UART_IIR_RLSI 0x06
#define VMM_UART_IIR_CTI  0x0c

#define VMM_UART_FIFO_SIZE 16

/* Receives what the guest transmits. Called with the UART's lock held:
 * it must not call back into the UART. */
typedef void (*VmmSerialOutFn) (void *opaque, const uint8_t *data, size_t len);

typedef struct _VmmSerial VmmSerial;

VmmSerial *vmm_serial_new      (const VmmIrqLine *irq, VmmSerialOutFn out, void *out_opaque);
void       vmm_serial_free     (VmmSerial *s);
/* Power-on state: the guest's reboot resets the UART; queued host input is
 * kept so that typing during a reboot is not lost. */
void       vmm_serial_reset    (VmmSerial *s);
int        vmm_serial_register (VmmSerial *s, VmmBus *pio, uint16_t base);
/* Host input for the guest. It is queued (up to 64 KiB; more is dropped)
 * and fed into the receive FIFO as the guest drains it. Thread-safe. */
void       vmm_serial_receive  (VmmSerial *s, const uint8_t *data, size_t len);

extern const VmmBusOps vmm_serial_ops;
