#!/bin/sh
# Builds the libFuzzer targets of fuzz/ and runs each for a bounded time.
#
#   fuzz/run.sh                  build, then run every target FUZZ_SECONDS (2) s
#   fuzz/run.sh fuzz_limits      only the named targets
#   FUZZ_SECONDS=60 fuzz/run.sh  longer runs
#
# Debian 12's clang with libstdc++ 12 has no std::expected, so the targets are
# built with clang++-16 and libc++; the parsers' sources are compiled here
# directly (not the g++ static library), with AddressSanitizer and
# UndefinedBehaviorSanitizer, dynamically linked. A crash, a leak or a broken
# invariant fails the run; the input is kept in $FUZZ_BUILD/crashes/ and the
# command to replay it is printed. Make every crash a regression test in
# fuzz/regressions/<target>/ (replayed by tests/unit/test_fuzz_replay.cpp).
set -eu
cd "$(dirname "$0")/.."
CXX=${FUZZ_CXX:-clang++-16}
BUILD=${FUZZ_BUILD:-build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-2}

if ! command -v "$CXX" >/dev/null; then
    echo "fuzz/run.sh: $CXX not found; install clang-16 libc++-16-dev libc++abi-16-dev libclang-rt-16-dev" >&2
    exit 1
fi
launcher=
command -v ccache >/dev/null && launcher=ccache

# The tend sources the parsers need (fuzz/stub_exec_program.cpp stands in for
# applets/applets, which applets/uidgid's applet mains exec through).
SOURCES="src/sys/fd.cpp src/config/dependency_graph.cpp src/config/duration.cpp src/config/envdir.cpp src/config/file_reader.cpp
         src/config/service_config.cpp src/config/paths_file.cpp src/config/signals.cpp src/config/value_parsers.cpp
         src/process/credentials.cpp src/control/protocol.cpp src/log/line_splitter.cpp
         src/time/schedule.cpp src/time/next_run.cpp src/time/time_zone.cpp src/config/ready_when.cpp
         src/s6/variables.cpp src/s6/s6rc.cpp src/s6/shebang.cpp src/s6/execline.cpp src/applets/uidgid.cpp src/applets/s6_log.cpp
         src/control/commands.cpp fuzz/stub_exec_program.cpp"
FLAGS="-std=c++2b -stdlib=libc++ -g -O1 -Iinclude -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DFMT_HEADER_ONLY"

mkdir -p "$BUILD/obj" "$BUILD/crashes"
objects=
for source in $SOURCES; do
    object="$BUILD/obj/$(basename "$source" .cpp).o"
    if [ ! -e "$object" ] || [ "$source" -nt "$object" ] || [ -n "$(find include -newer "$object" -name '*.hpp' | head -1)" ]; then
        $launcher "$CXX" $FLAGS -fsanitize=fuzzer-no-link -c "$source" -o "$object"
    fi
    objects="$objects $object"
done

if [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
fi

failed=
for target in $targets; do
    binary="$BUILD/$target"
    if [ ! -e "$binary" ] || [ "fuzz/$target.cpp" -nt "$binary" ] || [ -n "$(find "$BUILD/obj" fuzz/fuzz_input.hpp -newer "$binary" | head -1)" ]; then
        $launcher "$CXX" $FLAGS -fsanitize=fuzzer -Ifuzz "fuzz/$target.cpp" $objects -lcap-ng -Wl,--push-state,--no-as-needed,-lstdc++,--pop-state -o "$binary"
    fi
    # New inputs go to a scratch corpus; the committed seeds are only read.
    corpus="$BUILD/corpus/$target"
    mkdir -p "$corpus"
    seeds=
    [ -d "fuzz/corpus/$target" ] && seeds="fuzz/corpus/$target"
    echo "fuzz/run.sh: $target for ${SECONDS_EACH}s"
    if ! "$binary" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
            -print_final_stats=0 -artifact_prefix="$BUILD/crashes/$target-" "$corpus" $seeds \
            >"$BUILD/$target.log" 2>&1; then
        tail -n 40 "$BUILD/$target.log" >&2
        echo "fuzz/run.sh: $target FAILED; replay with: $binary $BUILD/crashes/$target-*" >&2
        failed="$failed $target"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz/run.sh: failed:$failed" >&2
    exit 1
fi
echo "fuzz/run.sh: all targets ran without a crash"
