#!/bin/sh
# Makes the image `docker.io/library/debian:bookworm` that the Dockerfiles start
# from, without a registry: a Debian minbase made by debootstrap from the
# mirror apt is configured with, imported into podman. Reused when it exists.
set -eu
name=docker.io/library/debian:bookworm
if podman image exists "$name"; then
    echo "base image $name: cached"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "FAIL: debootstrap is not installed" >&2; exit 1; }

# The Debian URI from /etc/apt/sources.list or sources.list.d (one-line or deb822 form).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }
         /^URIs:/    { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' |
    head -n 1)
[ -n "$mirror" ] || { echo "FAIL: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }

dir=$(mktemp -d /var/tmp/tend-e2e-rootfs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "base image: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || {
    tail -n 30 "$dir.log" >&2; rm -f "$dir.log"; echo "FAIL: debootstrap failed" >&2; exit 1; }
rm -f "$dir.log"
# apt in the image uses the same mirror (debootstrap writes it already); no caches.
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
tar -C "$dir" -c . | podman import --change 'CMD ["/bin/bash"]' - tend-e2e-debian-bookworm >/dev/null
podman tag tend-e2e-debian-bookworm "$name"
echo "base image $name: built"
