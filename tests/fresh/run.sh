#!/bin/bash
# The unit and integration tests once more, in a fresh container: the e2e
# suite's Debian 12 base image (a debootstrap minbase, tests/e2e/base-image.sh)
# with only CI's build and test packages installed (.ci/packages: BUILD and
# TEST), the repository copied in, built and tested there. Nothing left on this
# machine by an earlier run (/command, /etc/s6-overlay, /run/tend, programs in
# /usr/local ...) is in the container, so it cannot make the tests pass.
#
# Part of `make check` (alone: `make check-fresh`). Needs root, podman and
# runc; the container is --privileged so that the integration tests can make
# PID and mount namespaces as on the machine. /tmp is a tmpfs (the tests put
# overlay upper dirs there, which overlayfs cannot be), and --network none: the
# build and the tests download nothing. The repository is
# copied to the same path as here, and ccache's directory is shared when ccache
# is installed, so the build reuses the objects of the build made here (a
# header missing in the container still fails: ccache hashes every include).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
. .ci/packages
podman() { command podman --runtime runc "$@"; }
now() { date +%s; }
start=$(now)

[ "$(id -u)" = 0 ] || { echo "FAIL: check-fresh needs root (podman --privileged)" >&2; exit 1; }
tests/e2e/base-image.sh

# The image: the base and CI's packages, installed as .ci/run installs them.
packages="$BUILD_PACKAGES $TEST_PACKAGES"
image=tend-fresh:$(echo "$packages" | sha256sum | cut -c1-12)
work=$(mktemp -d /tmp/tend-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/Containerfile" <<CONTAINERFILE
FROM docker.io/library/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $packages && rm -rf /var/lib/apt/lists/*
CONTAINERFILE
if ! podman image exists "$image"; then
    echo "fresh: building $image (debian:bookworm + $packages)"
    podman build --isolation=chroot --format docker -t "$image" "$work" >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log" >&2; echo "FAIL: fresh: podman build $image" >&2; exit 1; }
fi
echo "fresh: image $image ready after $(($(now) - start)) s"

# The repository as CI's clone has it: tracked and untracked files, nothing
# ignored (no build trees).
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | tar --null -T - -c -f "$work/repo.tar"
else
    tar --exclude='./build*' --exclude=./dist --exclude=./.git -c -f "$work/repo.tar" .
fi

cache=()
if command -v ccache >/dev/null; then
    ccache_dir=$(ccache -k cache_dir)
    mkdir -p "$ccache_dir"
    cache=(-v "$ccache_dir:/ccache" -e CCACHE_DIR=/ccache -e CCACHE_BASEDIR="$(ccache -k base_dir)")
    # The same hashing as here, or nothing would hit: ccache's settings, and
    # the locale variables it hashes (they change the compiler's messages).
    [ "$(ccache -k hash_dir)" = true ] || cache+=(-e CCACHE_NOHASHDIR=1)
    for variable in LANG LC_ALL LC_CTYPE LC_MESSAGES; do
        [ -z "${!variable:-}" ] || cache+=(-e "$variable=${!variable}")
    done
fi
# The machine's own nofile limits (podman's default is above this machine's
# hard limit, and runc then fails); nproc as the e2e suite sets it (root in a
# privileged container is not held to it).
limits=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
podman run --rm -i --privileged --network none "${limits[@]}" "${cache[@]}" \
    -e REPO="$repo" "$image" bash -euo pipefail -c '
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        mkdir -p "$REPO" && cd "$REPO" && tar -x
        for leftover in /command /etc/s6-overlay /etc/services.d /run/tend /usr/local/bin/execlineb; do
            [ ! -e "$leftover" ] || { echo "FAIL: the fresh image has $leftover" >&2; exit 1; }
        done
        echo "fresh: building in the container"
        make build JOBS=$(nproc) >/tmp/build.log 2>&1 || { tail -n 60 /tmp/build.log; exit 1; }
        echo "fresh: unit and integration tests in the container"
        ctest --test-dir build --output-on-failure -j 2 | tee /tmp/ctest.log
        # As root in a privileged container everything can run: a skipped test
        # is one that leans on something of the machine it did not get here.
        if grep -q "\*\*\*Skipped\|Not Run" /tmp/ctest.log; then
            grep "\*\*\*Skipped\|Not Run" /tmp/ctest.log
            echo "FAIL: fresh: tests were skipped in the container (above)" >&2; exit 1
        fi
    ' <"$work/repo.tar"
echo "fresh: passed in $(($(now) - start)) s"
