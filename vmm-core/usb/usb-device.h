/* usb-device.h: what a USB function model offers a host controller.
 *
 * A device model answers control transfers on endpoint 0 and produces data
 * for its interrupt IN endpoints; the controller owns addressing, rings and
 * timing. A device that has new data calls its wakeup hook so that the
 * controller retries a pending IN transfer at once instead of polling.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Speeds as xHCI's Protocol Speed IDs count them. */
#define VMM_USB_SPEED_FULL  1
#define VMM_USB_SPEED_LOW   2
#define VMM_USB_SPEED_HIGH  3
#define VMM_USB_SPEED_SUPER 4

/* Standard requests (USB 2.0 9.4) and descriptor types. */
#define VMM_USB_REQ_GET_STATUS        0x00
#define VMM_USB_REQ_CLEAR_FEATURE     0x01
#define VMM_USB_REQ_SET_FEATURE       0x03
#define VMM_USB_REQ_SET_ADDRESS       0x05
#define VMM_USB_REQ_GET_DESCRIPTOR    0x06
#define VMM_USB_REQ_GET_CONFIGURATION 0x08
#define VMM_USB_REQ_SET_CONFIGURATION 0x09
#define VMM_USB_REQ_GET_INTERFACE     0x0a
#define VMM_USB_REQ_SET_INTERFACE     0x0b

#define VMM_USB_DT_DEVICE        0x01
#define VMM_USB_DT_CONFIG        0x02
#define VMM_USB_DT_STRING        0x03
#define VMM_USB_DT_INTERFACE     0x04
#define VMM_USB_DT_ENDPOINT      0x05

#define VMM_USB_DIR_IN 0x80

typedef struct {
  uint8_t bmRequestType;
  uint8_t bRequest;
  uint16_t wValue;
  uint16_t wIndex;
  uint16_t wLength;
} VmmUsbSetup;

typedef struct _VmmUsbDevice VmmUsbDevice;

typedef struct {
  /* A control transfer. For IN requests fill at most @len bytes of @data
   * and return how many; for OUT requests @data holds the @len bytes the
   * host sent. Return -EPIPE to stall the request. */
  int  (*control) (VmmUsbDevice *dev, const VmmUsbSetup *setup, uint8_t *data, unsigned len);
  /* An IN transfer on endpoint @ep (1..15): the bytes placed in @data (at
   * most @len), or -EAGAIN when there is nothing to send (a NAK). */
  int  (*data_in) (VmmUsbDevice *dev, unsigned ep, uint8_t *data, unsigned len);
  /* A bus reset: back to the default state, unconfigured. */
  void (*reset)   (VmmUsbDevice *dev);
} VmmUsbDeviceOps;

struct _VmmUsbDevice {
  const VmmUsbDeviceOps *ops;
  unsigned speed;
  /* Set by the controller the device is attached to. Called from any
   * thread, with no device lock held, when endpoint @ep has data. */
  void (*wakeup) (void *opaque, VmmUsbDevice *dev, unsigned ep);
  void *wakeup_opaque;
};
