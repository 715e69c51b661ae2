#!/bin/sh
# Installs what Vireo needs to build, run and test, from the distribution's
# archive. `make run` asks for the "run" set, `make check` for "check".
# On a distribution without apt it prints the package list and stops, so the
# user knows exactly what to install by hand.
set -eu

set_name=${1:-run}

build_pkgs="meson ninja-build pkg-config gcc gettext desktop-file-utils
  appstream libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libspice-client-glib-2.0-dev libspice-server-dev libepoxy-dev
  libvirt-glib-1.0-dev libosinfo-1.0-dev libslirp-dev liburing-dev
  libusbredirparser-dev zlib1g-dev libxml2-dev osinfo-db"

# Test tiers: sanitizers and libFuzzer come with clang; the ui tier needs an X
# server and a screenshot tool; the lab tier needs QEMU (the test bench, never
# the product), busybox for initramfs images, and the kernel package it
# downloads into the build folder itself.
check_pkgs="clang libclang-rt-dev xvfb xauth x11-utils xdotool imagemagick
  dbus-daemon acpica-tools qemu-system-x86 qemu-utils busybox-static cpio
  python3 libvirt-clients xorriso ovmf seabios grub-common grub-pc-bin
  grub-efi-amd64-bin mtools"

case "$set_name" in
  run) pkgs="$build_pkgs" ;;
  check) pkgs="$build_pkgs $check_pkgs" ;;
  *) echo "usage: $0 run|check" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "Vireo's automatic set-up knows Debian and Ubuntu (apt) only." >&2
  echo "Install these packages (Debian names; your distribution's may differ):" >&2
  echo "  $pkgs" | tr -s ' \n' ' ' >&2; echo >&2
  exit 1
fi

missing=""
for p in $pkgs; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

echo "Installing missing packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "These packages are missing and this user cannot install them:$missing" >&2
  echo "Run 'make' again as root, or install them with your package manager." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# An outdated package list makes apt ask for versions the mirror no longer has.
$sudo apt-get update -q || true
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
