#!/usr/bin/env bash
# bench/health.sh [path-to-tend] [calls]
#
# How long `tend health` takes against a running tend (the SPEC asks for well
# under 100 ms, for Docker HEALTHCHECK and Kubernetes exec probes). tend runs
# as PID 1 of a fresh PID namespace with one service; the socket lives in a
# temporary runtime dir. Prints the median, p99 and max of the client's wall
# time, process start included. Run as root (unshare --pid).
set -euo pipefail

TEND=$(realpath "${1:-$(dirname "${BASH_SOURCE[0]}")/../build/tend}")
CALLS=${2:-200}
work=$(mktemp -d /tmp/tend-health-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/services/web" "$work/run"
printf '#!/bin/sh\nexec sleep 1000\n' > "$work/services/web/run"
chmod 755 "$work/services/web/run"

unshare --pid --fork --mount-proc "$TEND" --services-dir "$work/services" --cont-init-dir "$work/none" \
    --cont-finish-dir "$work/none" --runtime-dir "$work/run" 2>"$work/tend.log" &
for _ in $(seq 100); do
    "$TEND" health --runtime-dir "$work/run" >/dev/null 2>&1 && break
    sleep 0.05
done

times=()
for _ in $(seq "$CALLS"); do
    start=$(date +%s%N)
    "$TEND" health --runtime-dir "$work/run" >/dev/null
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
done
"$TEND" ctl --runtime-dir "$work/run" halt >/dev/null
wait

mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
n=${#sorted[@]}
us() { printf '%d.%02d ms' $(($1 / 1000)) $(($1 % 1000 / 10)); }
echo "tend health, $n calls: median $(us "${sorted[n / 2]}"), p99 $(us "${sorted[n * 99 / 100]}"), max $(us "${sorted[n - 1]}")"
