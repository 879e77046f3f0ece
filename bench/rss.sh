#!/usr/bin/env bash
# Quick RSS check of tend as PID 1 with N services (the "memory" rows of
# run.sh section 7, without the anchors): for iterating on tend's footprint.
#   sudo bench/rss.sh [path-to-tend] [counts...]     # default: build-release/tend 10 1000
# Every service is `#!/bin/sh` + `exec sleep 1000`; RSS/PSS (KiB) of tend from
# /proc/PID/smaps_rollup 1 s after all services run, and the heap
# ([heap] + anonymous mappings) from /proc/PID/smaps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tend=${1:-$here/../build-release/tend}
shift || true
counts=("$@")
((${#counts[@]})) || counts=(10 1000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$tend" "$work/tend"
. "$(dirname "$0")/services_up.sh"
for count in "${counts[@]}"; do
    dir=$work/svc.$count
    mkdir -p "$dir/scan"
    for ((i = 0; i < count; i++)); do
        printf -v name 'svc%04d' "$i"
        mkdir "$dir/scan/$name"
        printf '#!/bin/sh\nexec sleep 1000\n' >"$dir/scan/$name/run"
        chmod +x "$dir/scan/$name/run"
    done
    unshare --pid --fork --mount-proc "$work/tend" --services-dir "$dir/scan" --cont-init-dir /nonexistent \
        --cont-finish-dir /nonexistent --runtime-dir "$dir/run" </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    wait_for_services "$unshare_pid" "$count"
    nap 1
    read -r rss pss < <(awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r + 0, p + 0}' "/proc/$init_pid/smaps_rollup")
    anon=$(awk '/^Anonymous:/ {a += $2} END {print a + 0}' "/proc/$init_pid/smaps")
    fds=$(ls "/proc/$init_pid/fd" | wc -l)
    printf 'services=%s rss_kib=%s pss_kib=%s anon_kib=%s fds=%s\n' "$count" "$rss" "$pss" "$anon" "$fds"
    kill -TERM "$init_pid"
    wait "$unshare_pid" || true
done
