#!/bin/sh
# Copies the static tend and Debian's static busybox into docker/ so that
# `podman build` (or docker build) can use this directory as its context.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tend=${1:-$here/../build/tend}
[ -x /bin/busybox ] || { echo "install busybox-static first" >&2; exit 1; }
strip -o "$here/tend" "$tend"
cp /bin/busybox "$here/busybox"
echo "context ready: podman --runtime runc build --isolation=chroot -t tend-demo $here"
