#!/usr/bin/env bash
# bench/spawn_cost.sh OLD_TEND NEW_TEND [REPS]
#
# What a change to tend's spawn path costs, side by side: the same two
# measurements as run.sh's metrics 7 (100 services started) and 8 (restart of
# a crashed service), for two tend binaries, interleaved (OLD, NEW, OLD, ...)
# so that the shared VM's slow phases hit both alike. Prints a markdown table
# of medians. Like run.sh, every tend runs as PID 1 of its own PID namespace.
#
#   started:  t0 (stamp t0, just before tend's exec) to the last of 100
#             services' first stamps (`exec stamp service`), per run; median
#   restart:  start(k+1) - exit(k) - backoff(k) of 10 crashing services x 5
#             restarts (the service is stamp itself, no shell); median, p90
#             of all samples of all runs
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OLD=${1:?usage: spawn_cost.sh OLD_TEND NEW_TEND [REPS]}
NEW=${2:?usage: spawn_cost.sh OLD_TEND NEW_TEND [REPS]}
REPS=${3:-5}
SERVICES=${SERVICES:-100}
RESTART_SERVICES=${RESTART_SERVICES:-10}
RESTART_LIVES=${RESTART_LIVES:-6}

say() { printf 'spawn_cost: %s\n' "$*" >&2; }
WORK=$(mktemp -d /tmp/tend-spawn-cost.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$OLD" "$WORK/tend-old"
cp "$NEW" "$WORK/tend-new"
gcc -O2 -Wall -o "$WORK/stamp" "$BENCH_DIR/stamp.c"
UNSHARE=(unshare --pid --fork --mount-proc)
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }

stop_namespace() { # unshare-pid init-pid
    kill -TERM "$2" 2>/dev/null || true
    for ((i = 0; i < 1000; i++)); do kill -0 "$1" 2>/dev/null || return 0; nap 0.01; done
    kill -KILL "$2" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

mkdir -p "$WORK/scan"
for ((i = 0; i < SERVICES; i++)); do
    printf -v name 'svc%04d' "$i"
    mkdir "$WORK/scan/$name"
    printf '#!/bin/sh\nexec %s service %s %s\n' "$WORK/stamp" "$WORK/stamps" "$name" >"$WORK/scan/$name/run"
    chmod +x "$WORK/scan/$name/run"
done

started_once() { # tend -> µs from t0 to the last service's stamp
    local tend=$1 unshare_pid init_pid= tries=0 t0 last=0 value f
    local -a stamps
    rm -rf "$WORK/stamps" "$WORK/t0" "$WORK/run"
    mkdir -p "$WORK/stamps"
    "${UNSHARE[@]}" "$WORK/stamp" t0 "$WORK/t0" "$tend" --services-dir "$WORK/scan" --cont-init-dir /nonexistent \
        --cont-finish-dir /nonexistent --runtime-dir "$WORK/run" </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    while ((tries++ < 12000)); do
        stamps=("$WORK"/stamps/svc*)
        [[ -e ${stamps[0]} ]] && ((${#stamps[@]} >= SERVICES)) && break
        nap 0.005
    done
    read -r init_pid _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
    read -r t0 <"$WORK/t0"
    for f in "${stamps[@]}"; do
        value=0
        read -r value <"$f" || true
        ((value > last)) && last=$value
    done
    [[ -n $init_pid ]] && stop_namespace "$unshare_pid" "$init_pid"
    echo $(((last - t0) / 1000))
}

restart_once() { # tend label -> appends the run's logs to $WORK/restart.LABEL
    local tend=$1 label=$2 dir=$WORK/restart unshare_pid init_pid= tries done_services lines log
    rm -rf "$dir"
    mkdir -p "$dir/scan" "$dir/log"
    for ((i = 0; i < RESTART_SERVICES; i++)); do
        printf -v name 'crash%02d' "$i"
        mkdir -p "$dir/scan/$name/env"
        ln "$WORK/stamp" "$dir/scan/$name/run"
        echo "$dir/log" >"$dir/scan/$name/env/STAMP_DIR"
        echo "$RESTART_LIVES" >"$dir/scan/$name/env/STAMP_LIVES"
        echo $((3 + 23 * i)) >"$dir/scan/$name/env/STAMP_MS"
    done
    "${UNSHARE[@]}" "$tend" --services-dir "$dir/scan" --cont-init-dir /nonexistent --cont-finish-dir /nonexistent \
        --runtime-dir "$dir/run" </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    for ((tries = 0; tries < 2400; tries++)); do
        done_services=0
        for log in "$dir"/log/crash*; do
            [[ -e $log ]] || continue
            mapfile -t lines <"$log"
            ((${#lines[@]} >= 2 * RESTART_LIVES - 1)) && done_services=$((done_services + 1))
        done
        ((done_services >= RESTART_SERVICES)) && break
        nap 0.05
    done
    read -r init_pid _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
    [[ -n $init_pid ]] && stop_namespace "$unshare_pid" "$init_pid"
    for log in "$dir"/log/crash*; do echo "# ${log##*/}"; cat "$log"; done >>"$WORK/restart.$label"
}

: >"$WORK/started.old"
: >"$WORK/started.new"
for ((rep = 0; rep < REPS; rep++)); do
    say "round $((rep + 1))/$REPS"
    started_once "$WORK/tend-old" >>"$WORK/started.old"
    started_once "$WORK/tend-new" >>"$WORK/started.new"
    restart_once "$WORK/tend-old" old
    restart_once "$WORK/tend-new" new
done

python3 - "$WORK" <<'EOF'
import statistics, sys
work = sys.argv[1]
def started(label):
    values = [int(x) for x in open(f"{work}/started.{label}").read().split()]
    return statistics.median(values) / 1000, len(values)
def restarts(label):
    samples, last_exit, lives = [], None, 0
    for line in open(f"{work}/restart.{label}"):
        word, _, value = line.strip().partition(" ")
        if word == "#":
            last_exit, lives = None, 0
        elif word == "start":
            if last_exit is not None:
                backoff = 100e6 * 2 ** (lives - 1)
                samples.append((int(value) - last_exit - backoff) / 1e6)
            lives += 1
        elif word == "exit":
            last_exit = int(value)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)], len(samples)
so, sn = started("old"), started("new")
ro, rn = restarts("old"), restarts("new")
print("| | old (CLONE_VM\\|CLONE_VFORK) | new (fork + status pipe) | new / old |")
print("|---|---|---|---|")
print(f"| 100 services started, median of {so[1]} | {so[0]:.1f} ms | {sn[0]:.1f} ms | {sn[0] / so[0]:.2f}x |")
print(f"| restart latency, median of {ro[2]} / {rn[2]} | {ro[0]:.2f} ms | {rn[0]:.2f} ms | {rn[0] / ro[0]:.2f}x |")
print(f"| restart latency, p90 | {ro[1]:.2f} ms | {rn[1]:.2f} ms | {rn[1] / ro[1]:.2f}x |")
EOF
