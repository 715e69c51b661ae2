/* ioloop.h: a thread that waits on file descriptors (eventfds, io_uring,
 * sockets) and runs device work when they become ready, so that device
 * back-ends never run on vCPU threads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct _VmmIoLoop VmmIoLoop;

/* Runs on the loop thread; @events are EPOLL* bits. */
typedef void (*VmmIoFn) (void *opaque, int fd, uint32_t events);

/* Starts the thread. */
VmmIoLoop *vmm_ioloop_new       (const char *name, GError **error);
/* Stops and joins the thread; every fd must have been removed. */
void       vmm_ioloop_free      (VmmIoLoop *loop);
/* Watches @fd for @events (EPOLLIN, EPOLLOUT). Returns 0 or -errno. */
int        vmm_ioloop_add       (VmmIoLoop *loop, int fd, uint32_t events,
                                 VmmIoFn fn, void *opaque);
/* Stops watching @fd. When it returns, @fn is not running for @fd and will
 * not run again, whichever thread calls it. */
int        vmm_ioloop_remove    (VmmIoLoop *loop, int fd);
/* Runs @fn on the loop thread and waits for it (at once when called on the
 * loop thread). */
void       vmm_ioloop_run_sync  (VmmIoLoop *loop, void (*fn) (void *opaque), void *opaque);
gboolean   vmm_ioloop_is_current (VmmIoLoop *loop);
