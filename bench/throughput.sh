#!/bin/bash
# Output throughput through tend: how fast a service's stdout reaches tend's
# stdout, and what it costs tend, against the same service writing straight
# to a file.
#
#   sudo bench/throughput.sh [path-to-tend]     # default: build/tend
#
# Prints a markdown table. Run as root: tend runs as PID 1 of its own PID
# namespace (unshare), never as root outside one (its shutdown kill(-1)
# would reach the host). See bench/README.md.
set -euo pipefail

TEND=${1:-build/tend}
LINES=${LINES:-1000000}   # 100-byte lines: 100 MB a run
RUNS=${RUNS:-5}           # median of this many
# What the service runs: `seq` (a program printing lines through stdio:
# 4 KiB writes, CPU-bound itself) or `cat` (the same bytes from a file in
# 128 KiB writes: as fast as a writer gets, so tend's own limit shows).
GENERATOR=${GENERATOR:-seq}
LINE_BYTES=100

if [[ $(id -u) -ne 0 ]]; then
    echo "throughput.sh: run as root (tend runs as PID 1 of a PID namespace)" >&2
    exit 2
fi
[[ -x $TEND ]] || { echo "throughput.sh: no tend binary at $TEND" >&2; exit 2; }

work=$(mktemp -d /tmp/tend-throughput.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cp "$TEND" "$work/tend"   # a rebuild during the run does not change what is measured
mkdir -p "$work/services/gen" "$work/none"
expected="$work/expected"
seq -f '%099.0f' 1 "$LINES" > "$expected"
total_bytes=$(stat -c %s "$expected")
mb=$(awk -v b="$total_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

case $GENERATOR in
    seq) generate="seq -f '%099.0f' 1 $LINES" ;;
    cat) generate="cat $expected" ;;
    *) echo "throughput.sh: GENERATOR is seq or cat" >&2; exit 2 ;;
esac

# The service: the numbered lines, then it reports and stays up.
cat > "$work/services/gen/run" <<EOF
#!/bin/sh
$generate
echo > "$work/gen.done"
exec sleep 1000
EOF
chmod 755 "$work/services/gen/run"

now() { date +%s.%N; }
ticks_per_second=$(getconf CLK_TCK)

# Baseline: the same generator straight into a file.
baseline_once() {
    local start end
    start=$(now)
    sh -c "$generate" > "$work/out"
    end=$(now)
    cmp -s "$work/out" "$expected" || { echo "baseline: output differs" >&2; touch "$work/failed"; }
    echo "$start $end 0"
}

# One run of tend with the service; tend's stdout goes to a file (or, with
# VIA_PIPE=1, through a pipe into cat > file). Prints "start end tend_cpu_seconds".
tend_once() {
    local extra=("$@") want
    rm -f "$work/out" "$work/gen.done"
    want=$total_bytes
    if [[ " ${extra[*]} " == *" --log-prefix "* ]]; then want=$((total_bytes + LINES * 6)); fi  # "gen | "
    local start end
    start=$(now)
    if [[ ${VIA_PIPE:-0} == 1 ]]; then
        unshare --pid --fork --mount-proc "$work/tend" --services-dir "$work/services" \
            --cont-init-dir "$work/none" --cont-finish-dir "$work/none" --runtime-dir "$work/run" \
            "${extra[@]}" 2>> "$work/err" | cat > "$work/out" &
    else
        unshare --pid --fork --mount-proc "$work/tend" --services-dir "$work/services" \
            --cont-init-dir "$work/none" --cont-finish-dir "$work/none" --runtime-dir "$work/run" \
            "${extra[@]}" > "$work/out" 2>> "$work/err" &
    fi
    local launcher=$!
    local tend_pid=""
    for _ in $(seq 500); do
        tend_pid=$(pgrep -f "^$work/tend " | head -1 || true)
        [[ -n $tend_pid ]] && break
        sleep 0.01
    done
    [[ -n $tend_pid ]] || { echo "tend did not start" >&2; exit 1; }
    # Until every byte has arrived (10 ms steps: well below a run's seconds).
    while [[ $(stat -c %s "$work/out" 2>/dev/null || echo 0) -lt $want ]]; do sleep 0.01; done
    end=$(now)
    local stat cpu
    stat=$(cat "/proc/$tend_pid/stat")
    stat=${stat##*) }
    read -r -a fields <<< "$stat"
    cpu=$(awk -v u="${fields[11]}" -v s="${fields[12]}" -v hz="$ticks_per_second" 'BEGIN { printf "%.3f", (u + s) / hz }')
    kill -TERM "$tend_pid"
    wait "$launcher" 2>/dev/null || true
    # No line lost, none cut, none doubled.
    if [[ " ${extra[*]} " == *" --log-prefix "* ]]; then
        sed 's/^gen | //' "$work/out" | cmp -s - "$expected" || { echo "tend ${extra[*]}: output differs" >&2; touch "$work/failed"; }
    else
        cmp -s "$work/out" "$expected" || { echo "tend ${extra[*]}: output differs" >&2; touch "$work/failed"; }
    fi
    echo "$start $end $cpu"
}

# The cases, each run once per round; rounds interleave them so a slow
# phase of the shared machine hits every case alike.
cases=(baseline default prefix pipe inherit)
run_case() {
    case $1 in
        baseline) baseline_once ;;
        default) tend_once ;;
        prefix) tend_once --log-prefix ;;
        pipe) VIA_PIPE=1 tend_once ;;
        inherit) tend_once --inherit-output ;;
    esac
}
echo "throughput.sh: $GENERATOR, $LINES lines of $LINE_BYTES bytes ($mb MB) a run, $RUNS rounds; load: $(cut -d" " -f1-3 /proc/loadavg)" >&2
declare -A rates cpus
for round in $(seq "$RUNS"); do
    for name in "${cases[@]}"; do
        read -r start end cpu <<< "$(run_case "$name")"
        rates[$name]+="$(awk -v b="$total_bytes" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", b / 1e6 / (e - s) }') "
        cpus[$name]+="$(awk -v c="$cpu" -v b="$total_bytes" 'BEGIN { printf "%.2f", c * 1000 / (b / 1e6) }') "
    done
    echo "throughput.sh: round $round of $RUNS done" >&2
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for name in "${cases[@]}"; do
    declare "${name}_rate=$(median <<< "${rates[$name]}")"
    declare "${name}_cpu=$(median <<< "${cpus[$name]}")"
done

if [[ -e $work/failed ]]; then
    echo "throughput.sh: a run lost, cut or reordered lines (see above); no table" >&2
    exit 1
fi

ratio() { awk -v a="$1" -v b="$baseline_rate" 'BEGIN { printf "%.2f", a / b }'; }

cat <<EOF
Service: \`$GENERATOR\`, $mb MB as $LINES lines of $LINE_BYTES bytes, median of $RUNS runs ($(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).

| how the service's stdout reaches the file | MB/s | vs. straight to the file | tend CPU ms per MB | every line, in order |
|---|---|---|---|---|
| straight to the file (no tend) | $baseline_rate | 1 | - | yes |
| through tend (default, unprefixed) | $default_rate | $(ratio "$default_rate") | $default_cpu | yes |
| through tend, \`--log-prefix\` | $prefix_rate | $(ratio "$prefix_rate") | $prefix_cpu | yes |
| through tend (default), its stdout a pipe to \`cat\` | $pipe_rate | $(ratio "$pipe_rate") | $pipe_cpu | yes |
| \`--inherit-output\` (tend's own fd, no copy) | $inherit_rate | $(ratio "$inherit_rate") | $inherit_cpu | yes |

Runs (MB/s): straight ${rates[baseline]}; default ${rates[default]}; --log-prefix ${rates[prefix]}; pipe ${rates[pipe]}; --inherit-output ${rates[inherit]}.
EOF
