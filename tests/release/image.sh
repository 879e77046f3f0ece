#!/bin/bash
# `make image`: docker/Dockerfile's `tend` stage for linux/amd64 and
# linux/arm64, joined in the manifest list tend:VERSION, then proved: an image
# built FROM scratch for each platform that does `COPY --from=tend:VERSION`
# gets the binary of its own architecture. No binfmt_misc is needed: the arm64
# binary is cross-compiled on the build machine and the arm64 stages only COPY.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^project(tend VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
# TEND_IMAGE_LIST: another name for the list (a shared machine whose e2e
# suite uses tend:VERSION).
list=${TEND_IMAGE_LIST:-tend:$version}
podman() { command podman --runtime runc "$@"; }
[ "$(id -u)" = 0 ] || { echo "FAIL: make image needs root (podman with runc)" >&2; exit 1; }
tests/e2e/base-image.sh

work=$(mktemp -d /tmp/tend-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A name can be an image or a list: start the list afresh.
podman manifest rm "$list" >/dev/null 2>&1 || podman untag "$list" >/dev/null 2>&1 || true
# --pull=never: with a --platform, podman 4.3 tries a registry before the
# local images (debian:bookworm from base-image.sh, the list itself).
native=$(dpkg --print-architecture)
podman build --isolation=chroot --format docker --pull=never --platform linux/amd64,linux/arm64 \
    --build-arg "BUILDPLATFORM=linux/$native" \
    --manifest "$list" -f docker/Dockerfile --target tend . >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; echo "FAIL: image: podman build --manifest $list" >&2; exit 1; }
podman manifest inspect "$list" >"$work/list.json"
for arch in amd64 arm64; do
    grep -q "\"architecture\": \"$arch\"" "$work/list.json" ||
        { cat "$work/list.json" >&2; echo "FAIL: image: $list has no linux/$arch image" >&2; exit 1; }
done

# What a user's Containerfile does: COPY --from=tend:VERSION picks the platform's binary.
printf 'FROM scratch\nCOPY --from=%s /sbin/tend /tend\n' "$list" >"$work/Containerfile"
for arch in amd64 arm64; do
    podman build --isolation=chroot --format docker --pull=never --platform "linux/$arch" -t "tend-image-check:$arch" \
        -f "$work/Containerfile" "$work" >"$work/check-$arch.log" 2>&1 ||
        { tail -n 20 "$work/check-$arch.log" >&2; echo "FAIL: image: COPY --from=$list for linux/$arch" >&2; exit 1; }
    id=$(podman create --platform "linux/$arch" "tend-image-check:$arch" /tend)
    podman cp "$id:/tend" "$work/tend-$arch" && podman rm "$id" >/dev/null
    podman rmi "tend-image-check:$arch" >/dev/null
    case $arch in amd64) machine='Advanced Micro Devices X86-64' ;; arm64) machine=AArch64 ;; esac
    readelf -h "$work/tend-$arch" | grep -q "Machine: *$machine\$" ||
        { echo "FAIL: image: COPY --from=$list for linux/$arch gave a binary for" \
               "$(readelf -h "$work/tend-$arch" | sed -n 's/^ *Machine: *//p')" >&2; exit 1; }
    echo "image: COPY --from=$list on linux/$arch: /sbin/tend for $arch ($(stat -c %s "$work/tend-$arch") bytes)"
done
echo "image: manifest list $list: linux/amd64, linux/arm64"
