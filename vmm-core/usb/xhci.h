/* xhci.h: the xHCI USB host controller (eXtensible Host Controller
 * Interface 1.2) as a PCI function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"
#include "platform.h"
#include "usb/usb-device.h"

#include <glib.h>

/* Root hub ports: 1..VMM_XHCI_USB2_PORTS speak USB 2 (the HID devices sit
 * there), the next VMM_XHCI_USB3_PORTS are their SuperSpeed partners. */
#define VMM_XHCI_USB2_PORTS 4
#define VMM_XHCI_USB3_PORTS 4

typedef struct _VmmXhci VmmXhci;

/* A controller to add to a PCI bus (which then owns it). @out_xhci, when
 * not NULL, receives the controller for vmm_xhci_attach(); it lives as long
 * as the PCI function. */
VmmPciDevice *vmm_xhci_new    (VmmPlatform *platform, VmmXhci **out_xhci, GError **error);

/* Plugs @dev into USB 2 root port @port (1..VMM_XHCI_USB2_PORTS). The
 * device must outlive the controller. Returns 0, -EINVAL or -EBUSY. */
int           vmm_xhci_attach (VmmXhci *xhci, unsigned port, VmmUsbDevice *dev);
