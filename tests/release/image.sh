#!/bin/bash
# `make image` (part of `make check`): docker/Dockerfile's `tend` stage for
# linux/amd64 and linux/arm64, joined in the manifest list tend:VERSION, then
# proved:
#   1. the list holds exactly linux/amd64 and linux/arm64;
#   2. each of its images holds a /sbin/tend for its own machine (ELF header);
#   3. what a user's Containerfile does, `COPY --from=tend:VERSION`, built for
#      each platform, gets that platform's binary (the same bytes as in 2).
# No binfmt_misc is needed: the Dockerfile's `build` stage always runs on the
# build machine's platform (it cross-compiles for arm64), and the `tend` stage
# and the check images are FROM scratch and only COPY; nothing runs on arm64.
#
# Why it takes minutes: each platform's `build` stage compiles tend from
# source in a container (no ccache there), one platform after the other. In
# `make check` the amd64 one is podman's layer cache of the e2e suite's build
# of the same sources; the arm64 one (the cross compiler installed in the
# container, then the build) is not. The build's STEP lines are printed as it
# goes, the rest of its output only on a failure.
#
# TEND_IMAGE_LIST: another name for the list (on a shared machine whose e2e
# suite uses tend:VERSION). Run podman work on such a machine under the e2e
# suite's lock: flock /tmp/e2e.lock make image.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^project(tend VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
list=${TEND_IMAGE_LIST:-tend:$version}
podman() { command podman --runtime runc "$@"; }
fail() { echo "FAIL: image: $*" >&2; exit 1; }
now() { date +%s; }
[ "$(id -u)" = 0 ] || fail "make image needs root (podman with runc)"
tests/e2e/base-image.sh

work=$(mktemp -d /tmp/tend-image.XXXXXX)
check_image=localhost/tend-image-check-$$
cleanup() {
    local arch
    for arch in amd64 arm64; do
        podman rm -f "tend-image-check-$$-$arch" >/dev/null 2>&1 || true
        podman rmi "$check_image:$arch" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
machine_of() { readelf -h "$1" | sed -n 's/^ *Machine: *//p'; }
# expect_machine FILE ARCH WHAT: FILE is an ELF executable for ARCH.
expect_machine() {
    local want
    case $2 in amd64) want='Advanced Micro Devices X86-64' ;; arm64) want=AArch64 ;; esac
    [ "$(machine_of "$1")" = "$want" ] || fail "$3: /sbin/tend is for '$(machine_of "$1")', not $2"
}
# copy_out IMAGE ARCH DEST: the file /sbin/tend of IMAGE's linux/ARCH image.
copy_out() {
    local name=tend-image-check-$$-$2
    podman create --name "$name" --platform "linux/$2" "$1" /sbin/tend >/dev/null  # never started
    podman cp "$name:/sbin/tend" "$3"
    podman rm "$name" >/dev/null
}

# A name can be an image or a list: start the list afresh.
podman manifest rm "$list" >/dev/null 2>&1 || podman untag "$list" >/dev/null 2>&1 || true
# --pull=never: with a --platform, podman 4.3 asks a registry for
# debian:bookworm (made by base-image.sh) before it looks at the local images.
# BUILDPLATFORM: BuildKit sets it, podman 4.3 does not.
native=$(dpkg --print-architecture)
echo "image: building docker/Dockerfile's tend stage for linux/amd64 and linux/arm64 into $list" \
     "(each platform compiles tend in a container: minutes)"
t0=$(now)
podman build --isolation=chroot --format docker --pull=never --platform linux/amd64,linux/arm64 \
    --build-arg "BUILDPLATFORM=linux/$native" \
    --manifest "$list" -f docker/Dockerfile --target tend . 2>&1 |
    tee "$work/build.log" |
    awk '/^\[linux\/[a-z0-9]+\] \[[0-9]+\/[0-9]+\] STEP/ { print "image: " substr($0, 1, 110); fflush() }' ||
    { tail -n 40 "$work/build.log" >&2; fail "podman build --manifest $list"; }
echo "time: image: podman build, both platforms: $(( $(now) - t0 )) s"

# 1. The list: linux/amd64 and linux/arm64, nothing else. One line per
#    image of the list: OS/ARCH DIGEST.
podman manifest inspect "$list" >"$work/list.json"
tr -d ' \n' <"$work/list.json" | sed 's/[[,]{"mediaType"/\n&/g' |
    sed -n 's/.*"digest":"\([^"]*\)".*"platform":{\(.*\)}}.*/\2 \1/p' |
    sed 's/^.*"architecture":"\([^"]*\)".*"os":"\([^"]*\)"[^ ]* /\2\/\1 /' | sort >"$work/images"
platforms=$(cut -d' ' -f1 "$work/images" | tr '\n' ' ')
[ "$platforms" = "linux/amd64 linux/arm64 " ] ||
    { cat "$work/list.json" >&2; fail "$list holds '$platforms', not linux/amd64 and linux/arm64"; }
echo "PASS: image: manifest list $list holds linux/amd64 and linux/arm64"

# 2. Each image of the list (found by its digest: podman 4.3's create does not
#    pick a local list's image by --platform): its /sbin/tend is for its machine.
# -a: an image the e2e suite built as a stage of its own images is one of
# their parents, and podman lists parents only with -a.
podman images -a --digests --no-trunc --format '{{.Digest}} {{.ID}}' >"$work/digests"
for arch in amd64 arm64; do
    digest=$(awk -v p="linux/$arch" '$1 == p { print $2 }' "$work/images")
    id=$(awk -v d="$digest" '$1 == d { print $2; exit }' "$work/digests")
    [ -n "$id" ] || fail "$list: no local image with the digest $digest of its linux/$arch image"
    got=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$id")
    [ "$got" = "linux/$arch" ] || fail "$list: its linux/$arch image $digest says it is $got"
    copy_out "$id" "$arch" "$work/list-$arch"
    expect_machine "$work/list-$arch" "$arch" "$list for linux/$arch"
    echo "PASS: image: $list for linux/$arch ($digest) holds /sbin/tend for $arch ($(stat -c %s "$work/list-$arch") bytes)"
done

# 3. What a user's Containerfile does: COPY --from=tend:VERSION picks the
#    platform's binary. FROM scratch: an arm64 image cannot RUN here.
#    --no-cache: podman 4.3's layer cache ignores the platform, so a COPY of
#    the same bytes built for the other platform would be taken as this one.
printf 'FROM scratch\nCOPY --from=%s /sbin/tend /sbin/tend\n' "$list" >"$work/Containerfile"
for arch in amd64 arm64; do
    podman build --isolation=chroot --format docker --pull=never --no-cache --platform "linux/$arch" \
        -t "$check_image:$arch" -f "$work/Containerfile" "$work" >"$work/check-$arch.log" 2>&1 ||
        { tail -n 20 "$work/check-$arch.log" >&2; fail "COPY --from=$list for linux/$arch"; }
    got=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$check_image:$arch")
    [ "$got" = "linux/$arch" ] || fail "a build for linux/$arch made an image for $got"
    copy_out "$check_image:$arch" "$arch" "$work/copied-$arch"
    expect_machine "$work/copied-$arch" "$arch" "COPY --from=$list on linux/$arch"
    cmp -s "$work/copied-$arch" "$work/list-$arch" ||
        fail "COPY --from=$list on linux/$arch: not the binary of the list's linux/$arch image"
    echo "PASS: image: COPY --from=$list on linux/$arch gets the list's /sbin/tend for $arch"
done
echo "image: manifest list $list: linux/amd64, linux/arm64 ($(( $(now) - t0 )) s)"
