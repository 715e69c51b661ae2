/* aml.h: a small builder for ACPI Machine Language (ACPI 6.x, chapter 20),
 * enough for the DSDT of a PC: names, integers, strings, EISA IDs,
 * packages, scopes, devices, methods and resource templates.
 *
 * Objects are appended in order; the ones with a body (scope, device,
 * method, package, resource template) are opened with vmm_aml_begin_*()
 * and closed with vmm_aml_end(), which fills in their PkgLength (and a
 * package's element count or a buffer's size) once the body is known.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct _VmmAml VmmAml;

VmmAml *vmm_aml_new (void);
void vmm_aml_free (VmmAml *aml);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmAml, vmm_aml_free)

/* The AML so far; every begin must have been ended. The builder is
 * consumed. */
GByteArray *vmm_aml_finish (VmmAml *aml);

/* Data objects. Inside a package each counts as one element. */
void vmm_aml_integer (VmmAml *aml, uint64_t value);
void vmm_aml_string (VmmAml *aml, const char *str);
/* A 7-character PNP ID ("PNP0A08") compressed into an integer, the way
 * ASL's EisaId() does. */
void vmm_aml_eisaid (VmmAml *aml, const char *id);

/* Name (path, <object>): the data object emitted next is its value. A path
 * is NameSegs of up to 4 characters separated by '.', optionally starting
 * with '\\' (root) or '^' (parent); short segments are padded with '_'. */
void vmm_aml_name (VmmAml *aml, const char *path);
/* Return (<object>): the data object emitted next is returned. */
void vmm_aml_return (VmmAml *aml);

void vmm_aml_begin_scope (VmmAml *aml, const char *path);
void vmm_aml_begin_device (VmmAml *aml, const char *path);
void vmm_aml_begin_method (VmmAml *aml, const char *path, unsigned n_args, gboolean serialized);
void vmm_aml_begin_package (VmmAml *aml);
/* A Buffer holding resource descriptors; vmm_aml_end() adds the end tag. */
void vmm_aml_begin_resource_template (VmmAml *aml);
void vmm_aml_end (VmmAml *aml);

/* Resource descriptors (ACPI 6.4.2 / 6.4.3), inside a resource template.
 * The address-space ones describe windows a bridge produces (fixed
 * minimum and maximum, positive decode). */
void vmm_aml_res_io (VmmAml *aml, uint16_t base, uint8_t len);      /* IO (Decode16, base, base, 1, len) */
void vmm_aml_res_irq (VmmAml *aml, unsigned irq);                   /* IRQNoFlags () {irq} */
void vmm_aml_res_mem32_fixed (VmmAml *aml, uint32_t base, uint32_t len); /* Memory32Fixed (ReadWrite, ...) */
void vmm_aml_res_bus_window (VmmAml *aml, uint16_t min, uint16_t max);   /* WordBusNumber */
void vmm_aml_res_io_window (VmmAml *aml, uint16_t min, uint16_t max);    /* WordIO, entire range */
void vmm_aml_res_mem32_window (VmmAml *aml, uint32_t min, uint32_t max); /* DWordMemory, cacheable, read-write */
void vmm_aml_res_mem64_window (VmmAml *aml, uint64_t min, uint64_t max); /* QWordMemory, cacheable, read-write */
