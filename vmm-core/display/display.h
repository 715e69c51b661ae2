/* display.h: the guest's screen between the display devices and the
 * display server.
 *
 * A VmmDisplay is the one place where a display device (virtio-gpu, the
 * bochs-display framebuffer) publishes what the guest shows, and where the
 * display server (VmmSpice) reads it and hands back what the user does:
 *
 *   device  --set_surface/update/cursor-->  VmmDisplay  --listener-->  server
 *   device  <--size request, input ops---   VmmDisplay  <--requests--  server
 *
 * The pixels stay owned by the device: it describes its buffer with
 * vmm_display_set_surface() and promises that the buffer stays valid until
 * the next vmm_display_set_surface() (or vmm_display_free()) returns. The
 * server copies the rectangles it needs under the display's lock, so a
 * device may replace or free its old buffer as soon as set_surface returns.
 *
 * Threads: every function here may be called from any thread. Listener
 * callbacks run on the producer's thread (the thread that called
 * set_surface/update/...); device and input callbacks run on the server's
 * thread. No callback runs with the display's data lock held, so callbacks
 * may call vmm_display_get_mode() and the other getters, but they must not
 * (un)register ops on the same display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest mode accepted in either direction. Bigger requests are refused
 * (the guest's driver gets an error) rather than allocated. */
#define VMM_DISPLAY_MAX_WIDTH   8192
#define VMM_DISPLAY_MAX_HEIGHT  8192
#define VMM_DISPLAY_CURSOR_MAX  256

/* Pixel formats, named as DRM fourcc names them: the channel list is a
 * little-endian word from high to low bits. Byte order in memory follows
 * in the comments; the virtio-gpu equivalents are given for the device. */
typedef enum {
  VMM_DISPLAY_FORMAT_INVALID = 0,
  VMM_DISPLAY_FORMAT_XRGB8888,  /* B G R x; VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, bochs 32 bpp */
  VMM_DISPLAY_FORMAT_ARGB8888,  /* B G R A; B8G8R8A8_UNORM */
  VMM_DISPLAY_FORMAT_BGRX8888,  /* x R G B; X8R8G8B8_UNORM */
  VMM_DISPLAY_FORMAT_BGRA8888,  /* A R G B; A8R8G8B8_UNORM */
  VMM_DISPLAY_FORMAT_XBGR8888,  /* R G B x; R8G8B8X8_UNORM */
  VMM_DISPLAY_FORMAT_ABGR8888,  /* R G B A; R8G8B8A8_UNORM */
  VMM_DISPLAY_FORMAT_RGBX8888,  /* x B G R; X8B8G8R8_UNORM */
  VMM_DISPLAY_FORMAT_RGBA8888,  /* A B G R; A8B8G8R8_UNORM */
  VMM_DISPLAY_FORMAT_RGB888,    /* B G R; bochs 24 bpp */
  VMM_DISPLAY_FORMAT_RGB565,    /* 16-bit little-endian r5 g6 b5; bochs 16 bpp */
} VmmDisplayFormat;

/* Bytes per pixel of a format, 0 for an unknown one. */
unsigned vmm_display_format_bpp (VmmDisplayFormat format);

typedef struct {
  VmmDisplayFormat format;
  uint32_t width;
  uint32_t height;
  uint32_t stride;          /* bytes from one row to the next */
  const void *pixels;       /* owned by the device, see above */
  size_t size;              /* bytes readable at pixels */
} VmmDisplaySurface;

typedef struct {
  uint32_t x, y, width, height;
} VmmDisplayRect;

/* What the server needs to know about the current surface. serial changes
 * on every vmm_display_set_surface(), so a reader can tell that the
 * rectangle it was asked to copy belongs to a mode that is gone. */
typedef struct {
  bool valid;               /* false: no surface (the screen is off) */
  uint32_t width;
  uint32_t height;
  uint64_t serial;
} VmmDisplayMode;

/* A pointer image: ARGB8888 words (B G R A in memory), straight alpha,
 * width * height of them, rows packed. */
typedef struct {
  uint32_t width;
  uint32_t height;
  uint32_t hot_x;
  uint32_t hot_y;
  const uint32_t *pixels;
} VmmDisplayCursor;

/* Pointer buttons as a mask, the same bits SPICE uses. */
#define VMM_DISPLAY_BUTTON_LEFT    (1u << 0)
#define VMM_DISPLAY_BUTTON_MIDDLE  (1u << 1)
#define VMM_DISPLAY_BUTTON_RIGHT   (1u << 2)
#define VMM_DISPLAY_BUTTON_SIDE    (1u << 3)
#define VMM_DISPLAY_BUTTON_EXTRA   (1u << 4)

/* Keyboard LEDs, the bits SPICE uses. */
#define VMM_DISPLAY_LED_SCROLL_LOCK (1u << 0)
#define VMM_DISPLAY_LED_NUM_LOCK    (1u << 1)
#define VMM_DISPLAY_LED_CAPS_LOCK   (1u << 2)

/* Keys are PC scancodes of set 1 without the release bit: 0x01..0x7f for
 * plain keys, 0xe000 | code for keys sent with the 0xe0 prefix, and
 * VMM_DISPLAY_SCANCODE_PAUSE for Pause (e1 1d 45 on the wire). */
#define VMM_DISPLAY_SCANCODE_PAUSE 0xe11d

/* Towards the input devices (PS/2 or USB keyboard and tablet). Called on
 * the display server's thread. */
typedef struct {
  void (*key)     (void *opaque, uint16_t scancode, bool pressed);
  /* Absolute position in surface pixels; width and height are the surface's
   * size at the time, so a tablet can scale to its own range. */
  void (*pointer) (void *opaque, uint32_t x, uint32_t y, uint32_t width, uint32_t height,
                   uint32_t buttons);
  /* Wheel steps as SPICE counts them: dy > 0 scrolls down, dy < 0 up. */
  void (*wheel)   (void *opaque, int32_t dy, uint32_t buttons);
  /* Relative motion (SPICE's server mouse mode): dx right, dy down, dz
   * wheel steps as for wheel(); a button change comes with 0, 0, 0. */
  void (*motion)  (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons);
} VmmDisplayInputOps;

/* Towards the display device. */
typedef struct {
  /* The viewer would like this mode (its window's size). Returns 0 when the
   * device passes the wish on to the guest, -errno otherwise. The guest
   * may still choose another mode. */
  int (*request_size) (void *opaque, uint32_t width, uint32_t height);
} VmmDisplayDeviceOps;

/* Towards the display server. Called on the producer's thread. */
typedef struct {
  void (*surface_changed) (void *opaque);
  void (*update)          (void *opaque, const VmmDisplayRect *rect);
  void (*cursor_changed)  (void *opaque);
  void (*cursor_moved)    (void *opaque, int32_t x, int32_t y);
  void (*leds_changed)    (void *opaque, uint32_t leds);
  /* Whether an absolute pointer (the USB tablet, driven by the guest) is
   * there: a server offers client pointer mode only while it is. */
  void (*absolute_changed) (void *opaque, bool absolute);
} VmmDisplayListenerOps;

typedef struct _VmmDisplay VmmDisplay;

VmmDisplay *vmm_display_new  (void);
void        vmm_display_free (VmmDisplay *d);

/* --- the device's side --- */

/* Switches to a new surface, or to none with NULL. Returns -EINVAL (and
 * keeps the current surface) for a size beyond the limits, an unknown
 * format, a stride shorter than a row or a buffer shorter than the rows. */
int  vmm_display_set_surface      (VmmDisplay *d, const VmmDisplaySurface *surface);
/* Marks a rectangle as changed; clipped to the surface, ignored without one. */
void vmm_display_update           (VmmDisplay *d, uint32_t x, uint32_t y, uint32_t width,
                                   uint32_t height);
/* Defines the pointer image (copied), or hides it with NULL. -EINVAL for an
 * image larger than VMM_DISPLAY_CURSOR_MAX or a hotspot outside it. */
int  vmm_display_set_cursor       (VmmDisplay *d, const VmmDisplayCursor *cursor);
void vmm_display_move_cursor      (VmmDisplay *d, int32_t x, int32_t y);
void vmm_display_set_keyboard_leds(VmmDisplay *d, uint32_t leds);
/* Says whether the input devices have an absolute pointer the guest uses
 * (true until someone says otherwise). Without one, viewers must send
 * relative motion (SPICE's server mouse mode). */
void vmm_display_set_pointer_absolute (VmmDisplay *d, bool absolute);
void vmm_display_set_device_ops   (VmmDisplay *d, const VmmDisplayDeviceOps *ops, void *opaque);
void vmm_display_set_input_ops    (VmmDisplay *d, const VmmDisplayInputOps *ops, void *opaque);

/* --- the server's side --- */

void     vmm_display_set_listener (VmmDisplay *d, const VmmDisplayListenerOps *ops, void *opaque);
/* Whether a viewer looks at the screen (the server knows its clients).
 * Until the server says otherwise, one does. */
void     vmm_display_set_watched  (VmmDisplay *d, bool watched);
/* For devices that find changes by polling (bochs-display): nothing to
 * find while nobody watches. *@starts (if not NULL) counts the times
 * watching began, when the device owes the viewer a whole frame. */
bool     vmm_display_is_watched   (VmmDisplay *d, uint64_t *starts);
void     vmm_display_get_mode     (VmmDisplay *d, VmmDisplayMode *mode);
/* Copies a rectangle of the surface whose serial is `serial`, converted to
 * XRGB8888 with x = 0xff, into dst. Returns -ESTALE when the surface
 * changed since, -EINVAL for a rectangle outside it. */
int      vmm_display_read_xrgb    (VmmDisplay *d, uint64_t serial, const VmmDisplayRect *rect,
                                   void *dst, size_t dst_stride);
/* Copies the current pointer image (ARGB8888, width * height words) into a
 * new g_malloc'ed buffer; returns false when the pointer is hidden. */
bool     vmm_display_get_cursor   (VmmDisplay *d, VmmDisplayCursor *cursor, uint32_t **pixels);
uint32_t vmm_display_get_leds     (VmmDisplay *d);
bool     vmm_display_get_pointer_absolute (VmmDisplay *d);
/* Passes the viewer's size wish to the device: -EINVAL for a size outside
 * 1..VMM_DISPLAY_MAX_*, -ENOTSUP without a device that can change modes. */
int      vmm_display_request_size (VmmDisplay *d, uint32_t width, uint32_t height);
void     vmm_display_key          (VmmDisplay *d, uint16_t scancode, bool pressed);
/* Clamped to the surface; dropped without one. */
void     vmm_display_pointer      (VmmDisplay *d, int32_t x, int32_t y, uint32_t buttons);
void     vmm_display_wheel        (VmmDisplay *d, int32_t dy, uint32_t buttons);
/* Relative motion and buttons, passed on as they come (no surface needed:
 * a relative pointer works while the screen is off). */
void     vmm_display_motion       (VmmDisplay *d, int32_t dx, int32_t dy, int32_t dz,
                                   uint32_t buttons);
