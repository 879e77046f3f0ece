#!/bin/sh
# check-binary.sh BINARY ARCH MAX_BYTES: the release binary is what users get,
# or this fails naming what is wrong: built for ARCH (amd64 or arm64), static,
# stripped, and `tend --version` names ARCH (an arm64 binary on another
# machine runs under qemu-aarch64-static). Its size is reported against the
# MAX_BYTES target, as the bench reports footprint: loudly, not as a failure.
set -eu
binary=$1 arch=$2 max=$3
fail() { echo "FAIL: $binary: $*" >&2; exit 1; }
[ -x "$binary" ] || fail "missing or not executable"
case $arch in
    amd64) machine='Advanced Micro Devices X86-64' qemu=qemu-x86_64-static ;;
    arm64) machine='AArch64' qemu=qemu-aarch64-static ;;
    *) fail "unknown architecture $arch (amd64 or arm64)" ;;
esac
readelf -h "$binary" | grep -q "Machine: *$machine\$" ||
    fail "built for $(readelf -h "$binary" | sed -n 's/^ *Machine: *//p'), not $arch"
readelf -l "$binary" | grep -q INTERP && fail "dynamically linked (it has a program interpreter)"
readelf -S "$binary" | grep -q '\.symtab' && fail "not stripped (it has a .symtab)"
size=$(stat -c %s "$binary")
[ "$size" -le "$max" ] || echo "OVER TARGET: $binary: $size bytes, over the size target of $max bytes" >&2
native=$(dpkg --print-architecture 2>/dev/null || uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
if [ "$native" = "$arch" ]; then run=; else run=$qemu; fi
version=$($run "$binary" --version) || fail "--version failed${run:+ under $run}"
case $version in
    *" ($arch, static binary, MinSizeRel build)") ;;
    *) fail "--version says \"$version\", not ($arch, static binary, MinSizeRel build)" ;;
esac
echo "$binary: $version, $size bytes (target $max)${run:+, run under $run}"
