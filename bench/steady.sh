#!/usr/bin/env bash
# tend's memory in the steady state, as a container runtime charges it:
#   sudo bench/steady.sh [path-to-tend] [seconds] [probe-interval] [services]
#   (default: build-release/tend 60 5 10)
#
# tend runs as PID 1 of a PID namespace with N services (`#!/bin/sh` + `exec
# sleep 1000`), inside a memory cgroup of its own, as a container's processes
# do. `tend health` runs every probe-interval seconds from inside the same
# cgroup (a Kubernetes exec probe or a Docker HEALTHCHECK runs in the
# container). Printed twice, 1 s after the last service started ("start") and
# after `seconds` of probes ("steady"):
#   rss/pss   tend's own, KiB, from /proc/PID/smaps_rollup
#   charge    the cgroup's memory charge, KiB: memory.current (cgroup v2) or
#             memory.usage_in_bytes (v1); includes the services and the page
#             cache the container faulted in (tend's binary among it)
#   mapped    of the charge, file pages mapped by some process (v1
#             mapped_file / v2 file_mapped), KiB
#   working   the charge less its inactive file pages: the "working set"
#             kubelet and `kubectl top` report and evict by, KiB
# The binary is copied and its page cache dropped first, so its pages are
# charged to the container that faults them, as in a fresh container. Without
# a memory cgroup to create, charge and mapped are printed as "-".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tend=${1:-$here/../build-release/tend}
seconds=${2:-60}
interval=${3:-5}
count=${4:-10}
work=$(mktemp -d /tmp/tend-steady-XXXXXX)
cg=
cleanup() {
    [[ -n $cg && -d $cg ]] && rmdir "$cg" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/services_up.sh"

cp "$tend" "$work/tend"
sync "$work/tend"
dd if="$work/tend" iflag=nocache count=0 status=none  # drop its page cache: the container faults it in

if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then  # cgroup v2
    cg=/sys/fs/cgroup/tend-steady-$$
    mkdir "$cg"
    charge() { echo $(($(cat "$cg/memory.current") / 1024)); }
    mapped() { awk '/^file_mapped / {print int($2 / 1024)}' "$cg/memory.stat"; }
    inactive_file() { awk '/^inactive_file / {print int($2 / 1024)}' "$cg/memory.stat"; }
elif [[ -d /sys/fs/cgroup/memory ]]; then  # v1
    cg=/sys/fs/cgroup/memory/tend-steady-$$
    mkdir "$cg"
    charge() { echo $(($(cat "$cg/memory.usage_in_bytes") / 1024)); }
    mapped() { awk '/^mapped_file / {print int($2 / 1024)}' "$cg/memory.stat"; }
    inactive_file() { awk '/^total_inactive_file / {print int($2 / 1024)}' "$cg/memory.stat"; }
else
    charge() { echo -; }
    mapped() { echo -; }
    inactive_file() { echo 0; }
fi
in_cgroup() { [[ -z $cg ]] || echo "$BASHPID" >"$cg/cgroup.procs"; }

mkdir -p "$work/scan"
for ((i = 0; i < count; i++)); do
    printf -v name 'svc%04d' "$i"
    mkdir "$work/scan/$name"
    printf '#!/bin/sh\nexec sleep 1000\n' >"$work/scan/$name/run"
    chmod +x "$work/scan/$name/run"
done
(in_cgroup && exec unshare --pid --fork --mount-proc "$work/tend" --services-dir "$work/scan" \
    --cont-init-dir /nonexistent --cont-finish-dir /nonexistent --runtime-dir "$work/run" \
    </dev/null >/dev/null 2>&1) &
unshare_pid=$!
wait_for_services "$unshare_pid" "$count"
report() {
    read -r rss pss < <(awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r + 0, p + 0}' "/proc/$init_pid/smaps_rollup")
    local total
    total=$(charge)
    printf '%-6s services=%s rss_kib=%s pss_kib=%s charge_kib=%s mapped_kib=%s working_kib=%s\n' "$1" "$count" \
        "$rss" "$pss" "$total" "$(mapped)" "$([[ $total == - ]] && echo - || echo $((total - $(inactive_file))))"
}
nap 1
report start
probes=0
for ((elapsed = 0; elapsed < seconds; elapsed += interval)); do
    (in_cgroup && exec "$work/tend" health --runtime-dir "$work/run" >/dev/null 2>&1) || true
    probes=$((probes + 1))
    nap "$interval"
done
report steady
echo "($probes tend health probes, one every $interval s)"
"$work/tend" ctl --runtime-dir "$work/run" halt >/dev/null 2>&1 || kill -TERM "$init_pid"
wait "$unshare_pid" || true
