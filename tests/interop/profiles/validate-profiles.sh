#!/bin/sh
# validate-profiles.sh WRITER
#
# Runs WRITER (write-profiles) into a temporary folder and checks every
# profile it saved against libvirt's domain schema with virt-xml-validate
# (Debian's libvirt-clients). Skips (77) only when that tool is missing.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

writer=$1

if ! command -v virt-xml-validate >/dev/null 2>&1; then
	echo "virt-xml-validate not found (Debian package libvirt-clients): skipping"
	exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$writer" "$dir"

count=0
failed=0
for profile in "$dir"/machines/*.xml; do
	[ -e "$profile" ] || continue
	count=$((count + 1))
	if ! virt-xml-validate "$profile" domain; then
		echo "INVALID: $profile" >&2
		cat "$profile" >&2
		failed=$((failed + 1))
	fi
done

# The writer saves four profiles; fewer means it silently lost some.
if [ "$count" -ne 4 ]; then
	echo "expected 4 profiles, found $count" >&2
	exit 1
fi
[ "$failed" -eq 0 ]
