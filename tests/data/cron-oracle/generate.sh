#!/bin/sh
# Regenerates supercronic-cronexpr.tsv from Supercronic's own cron parser.
#
#   tests/data/cron-oracle/generate.sh SUPERCRONIC_CHECKOUT
#
# SUPERCRONIC_CHECKOUT is a checkout (or bare git dir) of
# https://github.com/aptible/supercronic. Nothing of it is copied into this
# repository: its cronexpr package (standard library only) is copied into a
# temporary directory, oracle_test.go is added to it, and `go test` runs
# offline (GOFLAGS=-mod=mod, GOPROXY=off) with Debian's golang-go. The
# table is written next to this script. tend's build never runs this.
#
# The committed table was produced on Debian 12 with golang-go 1.19 from
# supercronic commit 5549d4d ("Upgrade go / package version").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: generate.sh SUPERCRONIC_CHECKOUT}
work=$(mktemp -d /tmp/cron-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cronexpr"
if [ -d "$src/.git" ] || [ -f "$src/HEAD" ] && [ ! -d "$src/cronexpr" ]; then
    git_dir=$src; [ -d "$src/.git" ] && git_dir=$src/.git
    commit=$(git --git-dir="$git_dir" rev-parse HEAD)
    for f in cronexpr.go cronexpr_next.go cronexpr_parse.go cronexpr_test.go; do
        git --git-dir="$git_dir" show "HEAD:cronexpr/$f" > "$work/cronexpr/$f"
    done
else
    commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)
    cp "$src"/cronexpr/cronexpr.go "$src"/cronexpr/cronexpr_next.go \
       "$src"/cronexpr/cronexpr_parse.go "$src"/cronexpr/cronexpr_test.go "$work/cronexpr/"
fi
cp "$here/oracle_test.go" "$work/cronexpr/"
printf 'module oracle/cronexpr\n\ngo 1.19\n' > "$work/cronexpr/go.mod"
cd "$work/cronexpr"
ORACLE_OUT="$here/supercronic-cronexpr.tsv" \
ORACLE_HEADER="Supercronic cronexpr at $commit, $(go version | cut -d' ' -f3), by tests/data/cron-oracle/generate.sh" \
GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$work/cache" GOPATH="$work/gopath" \
    go test -count=1 -run 'TestOracle|TestExpressions|TestZero|TestNextN' .
wc -l "$here/supercronic-cronexpr.tsv"
