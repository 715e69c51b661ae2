/* xhci-private.h: the controller's state, shared by the xhci-*.c files.
 *
 * One mutex guards everything below: MMIO accesses come from vCPU
 * threads, device wakeups from the input thread, and the amount of work per
 * lock hold is bounded (see the TRB budgets), so a single lock is simplest
 * and cheap.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "usb/xhci.h"
#include "devices/msix.h"

#define XHCI_MAX_SLOTS   32
#define XHCI_N_PORTS     (VMM_XHCI_USB2_PORTS + VMM_XHCI_USB3_PORTS)
#define XHCI_N_INTRS     4
#define XHCI_N_DCI       32        /* device context indexes 0 (slot) .. 31 */
#define XHCI_ERST_MAX    4         /* log2 of the event ring segment table size */

/* Bounds that keep a hostile ring from holding the lock for long: TRBs
 * looked at per doorbell, consecutive link TRBs, TRBs in one TD. */
#define XHCI_CMD_BUDGET  256
#define XHCI_LINK_MAX    32
#define XHCI_TD_MAX      64
#define XHCI_XFER_MAX    65536     /* the biggest control data stage we accept */

/* TRB types */
#define TRB_NORMAL        1
#define TRB_SETUP         2
#define TRB_DATA          3
#define TRB_STATUS        4
#define TRB_ISOCH         5
#define TRB_LINK          6
#define TRB_EVENT_DATA    7
#define TRB_NOOP          8
#define TRB_ENABLE_SLOT   9
#define TRB_DISABLE_SLOT  10
#define TRB_ADDRESS_DEV   11
#define TRB_CONFIG_EP     12
#define TRB_EVAL_CTX      13
#define TRB_RESET_EP      14
#define TRB_STOP_EP       15
#define TRB_SET_TR_DEQ    16
#define TRB_RESET_DEV     17
#define TRB_GET_PORT_BW   21
#define TRB_NOOP_CMD      23
#define TRB_EV_TRANSFER   32
#define TRB_EV_CMD        33
#define TRB_EV_PORT       34
#define TRB_EV_HOST       37

/* TRB control bits */
#define TRB_C             (1u << 0)
#define TRB_TC            (1u << 1)    /* link: toggle cycle */
#define TRB_ENT           (1u << 1)
#define TRB_ISP           (1u << 2)
#define TRB_CH            (1u << 4)
#define TRB_IOC           (1u << 5)
#define TRB_IDT           (1u << 6)
#define TRB_BSR           (1u << 9)    /* address device: block SET_ADDRESS */
#define TRB_DC            (1u << 9)    /* configure endpoint: deconfigure */
#define TRB_DIR_IN        (1u << 16)
#define TRB_EV_ED         (1u << 2)
#define TRB_TYPE(ctl)     (((ctl) >> 10) & 0x3f)
#define TRB_SLOT(ctl)     ((ctl) >> 24)
#define TRB_EP(ctl)       (((ctl) >> 16) & 0x1f)

/* Completion codes */
#define CC_SUCCESS        1
#define CC_DATA_BUFFER    2
#define CC_TRB_ERROR      5
#define CC_STALL          6
#define CC_NO_SLOTS       9
#define CC_SLOT_NOT_ENABLED 11
#define CC_EP_NOT_ENABLED 12
#define CC_SHORT_PACKET   13
#define CC_PARAMETER      17
#define CC_CONTEXT_STATE  19
#define CC_EVENT_RING_FULL 21
#define CC_STOPPED        26
#define CC_STOPPED_LENGTH_INVALID 27

/* Slot and endpoint states as the contexts encode them. */
#define SLOT_ENABLED      0
#define SLOT_DEFAULT      1
#define SLOT_ADDRESSED    2
#define SLOT_CONFIGURED   3

#define EP_DISABLED       0
#define EP_RUNNING        1
#define EP_HALTED         2
#define EP_STOPPED        3
#define EP_ERROR          4

#define EP_TYPE_CONTROL   4
#define EP_TYPE_INT_IN    7

/* USBCMD / USBSTS */
#define USBCMD_RS         (1u << 0)
#define USBCMD_HCRST      (1u << 1)
#define USBCMD_INTE       (1u << 2)
#define USBCMD_HSEE       (1u << 3)
#define USBSTS_HCH        (1u << 0)
#define USBSTS_HSE        (1u << 2)
#define USBSTS_EINT       (1u << 3)
#define USBSTS_PCD        (1u << 4)
#define USBSTS_HCE        (1u << 12)

/* PORTSC */
#define PORTSC_CCS        (1u << 0)
#define PORTSC_PED        (1u << 1)
#define PORTSC_PR         (1u << 4)
#define PORTSC_PLS_SHIFT  5
#define PORTSC_PLS_MASK   (0xfu << 5)
#define PORTSC_PP         (1u << 9)
#define PORTSC_SPEED_SHIFT 10
#define PORTSC_LWS        (1u << 16)
#define PORTSC_CSC        (1u << 17)
#define PORTSC_PEC        (1u << 18)
#define PORTSC_WRC        (1u << 19)
#define PORTSC_OCC        (1u << 20)
#define PORTSC_PRC        (1u << 21)
#define PORTSC_PLC        (1u << 22)
#define PORTSC_CEC        (1u << 23)
#define PORTSC_WPR        (1u << 31)
#define PORTSC_CHANGES    (PORTSC_CSC | PORTSC_PEC | PORTSC_WRC | PORTSC_OCC | PORTSC_PRC \
                           | PORTSC_PLC | PORTSC_CEC)
#define PORTSC_WAKE_MASK  (7u << 25)
#define PLS_U0            0
#define PLS_U3            3
#define PLS_RXDETECT      5
#define PLS_POLLING       7
#define PLS_RESUME        15

typedef struct {
  uint64_t param;
  uint32_t status;
  uint32_t control;
} XhciTrb;

typedef struct {
  uint64_t dequeue;          /* guest address of the next TRB */
  gboolean ccs;              /* consumer cycle state */
} XhciRing;

typedef struct {
  unsigned state;
  unsigned type;
  unsigned max_packet;
  XhciRing ring;
} XhciEndpoint;

typedef struct {
  gboolean enabled;
  unsigned state;            /* SLOT_* */
  unsigned port;             /* root hub port, 1-based; 0 before Address Device */
  uint64_t ctx;              /* the output device context */
  XhciEndpoint ep[XHCI_N_DCI];
} XhciSlot;

typedef struct {
  uint32_t portsc;
  VmmUsbDevice *dev;
} XhciPort;

typedef struct {
  uint32_t iman;
  uint32_t imod;
  uint32_t erstsz;
  uint64_t erstba;
  uint64_t erdp;
  /* where the next event goes */
  unsigned seg;
  unsigned idx;
  gboolean pcs;
  gboolean full;             /* reported Event Ring Full; waiting for ERDP */
} XhciIntr;

struct _VmmXhci {
  VmmPlatform *platform;
  VmmPciDevice *pci;
  VmmMsix *msix;
  GMutex lock;

  uint32_t usbcmd;
  uint32_t usbsts;
  uint32_t dnctrl;
  uint32_t config;
  XhciRing cmd;
  gboolean crr;              /* command ring running */
  uint64_t dcbaap;
  gint64 start_time;         /* for MFINDEX */

  XhciPort port[XHCI_N_PORTS];
  XhciSlot slot[XHCI_MAX_SLOTS + 1];
  XhciIntr intr[XHCI_N_INTRS];
  gboolean intx_level;
};

/* xhci.c */
void     xhci_host_error      (VmmXhci *x);
void     xhci_update_intx     (VmmXhci *x);

/* xhci-event.c: interrupters and event rings */
void     xhci_event           (VmmXhci *x, unsigned intr, const XhciTrb *ev);
void     xhci_intr_reset      (VmmXhci *x);
void     xhci_runtime_read    (VmmXhci *x, uint64_t off, uint8_t *data, unsigned len);
void     xhci_runtime_write   (VmmXhci *x, uint64_t off, uint64_t v, unsigned len);

/* xhci-ring.c: reading TRB rings */
/* Fetches the TRB at the ring's dequeue pointer, following link TRBs (which
 * the ring consumes). Returns 1 with *trb and *addr set, 0 when the guest
 * has not produced one yet, -EFAULT for an address outside guest RAM or
 * -ELOOP for a chain of links. */
int      xhci_ring_fetch      (VmmXhci *x, XhciRing *ring, XhciTrb *trb, uint64_t *addr);
void     xhci_ring_set        (XhciRing *ring, uint64_t ptr);

/* xhci-cmd.c: the command ring and device contexts */
void     xhci_cmd_doorbell    (VmmXhci *x);
void     xhci_slots_reset     (VmmXhci *x);
/* Copies the endpoint's dequeue pointer and state into the output context. */
void     xhci_ep_save         (VmmXhci *x, unsigned slotid, unsigned dci);

/* xhci-transfer.c */
void     xhci_ep_doorbell     (VmmXhci *x, unsigned slotid, unsigned dci);
/* Stop Endpoint on an endpoint with a TD in progress: the Transfer Event
 * that says where it stopped, sent before the command's completion. */
void     xhci_ep_stop_event   (VmmXhci *x, unsigned slotid, unsigned dci);
/* A device's wakeup hook (takes the lock). */
void     xhci_device_wakeup   (void *opaque, VmmUsbDevice *dev, unsigned ep);

/* xhci-port.c */
void     xhci_ports_reset     (VmmXhci *x);
uint32_t xhci_portsc_read     (VmmXhci *x, unsigned port);
void     xhci_portsc_write    (VmmXhci *x, unsigned port, uint32_t v);
int      xhci_port_attach     (VmmXhci *x, unsigned port, VmmUsbDevice *dev);
/* The device on root port @port (1-based) if it is enabled, else NULL. */
VmmUsbDevice *xhci_port_device (VmmXhci *x, unsigned port);
