#!/usr/bin/env bash
# Builds a Debian + Java 17 JRE base image from Debian's packages with debootstrap and imports it
# into the local Docker engine, for machines that cannot pull from an image registry (CI here).
# The Debian mirror is the one apt is configured with on this machine.
#
#   docker/build-local-base.sh [IMAGE]        (default local/debian-jre:17; needs root)
#
# Skips the debootstrap when IMAGE already exists, so a second CI run costs nothing.
set -euo pipefail

image=${1:-local/debian-jre:17}
suite=${DEBIAN_SUITE:-bookworm}

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already present; not rebuilding"
  exit 0
fi

# deb822 sources (Debian 12+) first, then the classic one-line format.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
             /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
fi
if [ -z "$mirror" ]; then
  echo "no Debian mirror found in the apt configuration" >&2
  exit 1
fi

rootfs=$(mktemp -d /tmp/layers4j-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "debootstrap $suite from $mirror into $rootfs"
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$rootfs" "$mirror" \
  > "$rootfs.log" 2>&1 || { tail -n 40 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# A smaller image: the package cache is not needed once installed.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | docker import - "$image" >/dev/null
echo "built base image $image"
