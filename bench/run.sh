#!/usr/bin/env bash
# bench/run.sh [path-to-tend]            # default: build-release/tend (make release)
#
# Measures tend against tini, tini-static, dumb-init, catatonit, and for the
# supervision cases s6-svscan (+ s6-supervise), runsvdir (+ runsv), supervisord
# and a plain fork+exec loop, in one run, and prints a markdown report (also
# written to bench/results.md, or to $RESULTS). Every number is reported next
# to the same number for the anchors, as a ratio: on a shared VM the absolute
# values move from run to run, the ratios much less. See bench/README.md.
#
# Every init, tend included, runs as PID 1 of a fresh PID namespace
# (unshare --pid --fork --mount-proc), so tend's final kill(-1) only reaches
# the namespace. tend is never started outside one.
#
# Tunables (environment): ROUNDS, RUNS_PER_ROUND, WARMUP (startup),
# IDLE_REPS, IDLE_SECONDS, SHUTDOWN_RUNS, ORPHANS, REAP_RUNS, RESULTS,
# SERVICES (100), SERVICE_REPS (5), MANY_SERVICES (1000), RESTART_SERVICES (10),
# RESTART_LIVES (6), THROUGHPUT (1: run throughput.sh too; 0: skip it),
# TEND_EXTRA_ARGS (appended to every tend command line).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEND_GIVEN=${1:-$BENCH_DIR/../build-release/tend}
RESULTS=${RESULTS:-$BENCH_DIR/results.md}

ROUNDS=${ROUNDS:-5}
RUNS_PER_ROUND=${RUNS_PER_ROUND:-10}
WARMUP=${WARMUP:-3}
IDLE_REPS=${IDLE_REPS:-3}
IDLE_SECONDS=${IDLE_SECONDS:-3}
SHUTDOWN_RUNS=${SHUTDOWN_RUNS:-20}
ORPHANS=${ORPHANS:-2000}
REAP_RUNS=${REAP_RUNS:-9}
TEND_EXTRA_ARGS=${TEND_EXTRA_ARGS:-}
SERVICES=${SERVICES:-100}
SERVICE_REPS=${SERVICE_REPS:-5}
MANY_SERVICES=${MANY_SERVICES:-1000}
RESTART_SERVICES=${RESTART_SERVICES:-10}
RESTART_LIVES=${RESTART_LIVES:-6}
THROUGHPUT=${THROUGHPUT:-1}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- tools -----------------------------------------------------------------
# command -> Debian package; installed when missing and we are root.
declare -A PACKAGE_OF=(
    [unshare]=util-linux [hyperfine]=hyperfine [valgrind]=valgrind [gcc]=gcc
    [strip]=binutils [readelf]=binutils [python3]=python3 [tini]=tini
    [tini-static]=tini [dumb-init]=dumb-init [catatonit]=catatonit
    [s6-svscan]=s6 [callgrind_annotate]=valgrind [runsvdir]=runit
    [supervisord]=supervisor
)
missing_packages=()
for tool in "${!PACKAGE_OF[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing_packages+=("${PACKAGE_OF[$tool]}")
done
if ((${#missing_packages[@]})); then
    mapfile -t missing_packages < <(printf '%s\n' "${missing_packages[@]}" | sort -u)
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing_packages[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends "${missing_packages[@]}" >&2 ||
            { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing_packages[@]}" >&2; } ||
            say "warning: could not install some of: ${missing_packages[*]}"
    else
        say "warning: missing packages ${missing_packages[*]} (run as root to install them)"
    fi
fi
for tool in unshare hyperfine gcc python3 strip readelf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

[[ -x $TEND_GIVEN ]] || die "no executable tend at $TEND_GIVEN (run make release, or pass its path)"

WORK=$(mktemp -d /tmp/tend-bench.XXXXXX)
DATA=$WORK/data
mkdir -p "$DATA"
cleanup() {
    # Only the jobs this script started.
    local job
    for job in $(jobs -p); do kill -KILL "$job" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A private copy: the build dir may be rebuilt by someone else during the run.
cp "$TEND_GIVEN" "$WORK/tend"
TEND=$WORK/tend

UNSHARE=(unshare --pid --fork --mount-proc)
if [[ $(id -u) != 0 ]]; then
    UNSHARE=(unshare --user --map-root-user --pid --fork --mount-proc)
fi
"${UNSHARE[@]}" /bin/true || die "cannot create a PID namespace with: ${UNSHARE[*]}"

gcc -O2 -Wall -Wextra -o "$WORK/orphans" "$BENCH_DIR/orphans.c" || die "cannot compile orphans.c"
gcc -O2 -Wall -Wextra -o "$WORK/stamp" "$BENCH_DIR/stamp.c" || die "cannot compile stamp.c"

# --- the inits under test ----------------------------------------------------
NO_DIRS="--services-dir /nonexistent --cont-init-dir /nonexistent --cont-finish-dir /nonexistent"
INIT_NAMES=()
declare -A INIT_CMD=()
add_init() { # name prefix-words...
    local name=$1; shift
    if command -v "$1" >/dev/null 2>&1 || [[ -x $1 ]]; then
        INIT_NAMES+=("$name")
        INIT_CMD[$name]="$(command -v "$1") ${*:2}"
    else
        say "warning: $1 not found, $name is left out"
    fi
}
# shellcheck disable=SC2086
add_init tend "$TEND" $NO_DIRS $TEND_EXTRA_ARGS --
add_init tini tini --
add_init tini-static tini-static --
add_init dumb-init dumb-init
add_init catatonit catatonit --
[[ -n ${INIT_CMD[tini]:-} ]] || die "tini is the reference anchor and is missing"

# One cooperative service: a shell that execs into sleep.
mkdir -p "$WORK/services/svc" "$WORK/scan/svc"
printf '#!/bin/sh\nexec sleep 1000\n' >"$WORK/services/svc/run"
cp "$WORK/services/svc/run" "$WORK/scan/svc/run"
chmod +x "$WORK/services/svc/run" "$WORK/scan/svc/run"
TEND_WITH_SERVICE="$TEND --services-dir $WORK/services --cont-init-dir /nonexistent --cont-finish-dir /nonexistent $TEND_EXTRA_ARGS"

# --- metadata ----------------------------------------------------------------
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "kernel=$(uname -srm)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "cores=$(nproc)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "tend_path=$TEND_GIVEN"
    echo "tend_sha256=$(sha256sum "$TEND" | cut -c1-16)"
    echo "tend_version=$("${UNSHARE[@]}" "$TEND" --version 2>&1 | head -1)"
    for package in tini dumb-init catatonit s6 runit supervisor hyperfine valgrind; do
        echo "version_$package=$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || echo '?')"
    done
    echo "perf_instructions=$(perf stat -x, -e instructions true 2>&1 >/dev/null | head -1 | cut -d, -f1 || true)"
    echo "unshare=${UNSHARE[*]}"
    echo "orphans=$ORPHANS"
    echo "idle_seconds=$IDLE_SECONDS"
} >"$DATA/meta"

# --- helpers -----------------------------------------------------------------
# Counts the descendants of $1 whose comm is "sleep" into SLEEPS, without
# forking (a fork costs milliseconds here).
count_sleeps() {
    local stack=("$1") pid file kid comm
    local -a kids
    SLEEPS=0
    while ((${#stack[@]})); do
        pid=${stack[-1]}
        unset 'stack[-1]'
        for file in /proc/"$pid"/task/*/children; do
            kids=()
            read -r -a kids <"$file" 2>/dev/null || true
            for kid in "${kids[@]}"; do
                stack+=("$kid")
                comm=
                read -r comm <"/proc/$kid/comm" 2>/dev/null || true
                [[ $comm == sleep ]] && SLEEPS=$((SLEEPS + 1))
            done
        done
    done
    return 0
}

# Sets INIT_PID to the init (the child of unshare $1) once $2 sleeps run below it.
wait_until_running() {
    local unshare_pid=$1 wanted=$2 tries=0 first
    INIT_PID=
    while ((tries++ < 1000)); do
        first=
        read -r first _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
        if [[ -n $first ]]; then
            INIT_PID=$first
            count_sleeps "$INIT_PID"
            ((SLEEPS >= wanted)) && return 0
        fi
        sleep 0.01
    done
    return 1
}

# SIGTERM to the init, SIGKILL after 10 s; returns when the namespace is gone.
stop_namespace() {
    local unshare_pid=$1 init_pid=$2 tries=0
    kill -TERM "$init_pid" 2>/dev/null || true
    while kill -0 "$unshare_pid" 2>/dev/null && ((tries++ < 1000)); do sleep 0.01; done
    kill -KILL "$init_pid" 2>/dev/null || true
    wait "$unshare_pid" 2>/dev/null || true
}

context_switches() { # pid -> "voluntary nonvoluntary", summed over its threads
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2}
         END {print v + 0, n + 0}' /proc/"$1"/task/*/status 2>/dev/null
}

# --- 1. startup: X -- /bin/true -------------------------------------------------
say "1/9 startup overhead: $ROUNDS rounds x $RUNS_PER_ROUND runs (+$WARMUP warmup) per init"
startup_rows=("no init (unshare /bin/true)" "${INIT_NAMES[@]}")
startup_cmd() {
    if [[ $1 == no\ init* ]]; then echo "${UNSHARE[*]} /bin/true"; else echo "${UNSHARE[*]} ${INIT_CMD[$1]} /bin/true"; fi
}
for ((round = 0; round < ROUNDS; round++)); do
    # Rotate the order so that no init is always measured first or last.
    args=()
    for ((i = 0; i < ${#startup_rows[@]}; i++)); do
        row=${startup_rows[$(((i + round) % ${#startup_rows[@]}))]}
        args+=(-n "$row" "$(startup_cmd "$row")")
    done
    hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS_PER_ROUND" \
        --export-json "$DATA/startup.$round.json" "${args[@]}" >/dev/null 2>&1 ||
        say "warning: hyperfine round $round failed"
done

# --- 2. instructions (callgrind) ----------------------------------------------
say "2/9 instructions (callgrind)"
: >"$DATA/instructions.tsv"
if command -v valgrind >/dev/null 2>&1; then
    for name in "${INIT_NAMES[@]}"; do
        out=$WORK/callgrind.$name
        # shellcheck disable=SC2086
        "${UNSHARE[@]}" valgrind --tool=callgrind --callgrind-out-file="$out.%p" \
            ${INIT_CMD[$name]} /bin/true >/dev/null 2>"$WORK/valgrind.$name.log" || true
        # Inside the namespace the init is PID 1, so its profile is $out.1.
        instructions=$(sed -n 's/^summary: //p' "$out.1" 2>/dev/null | head -1)
        printf '%s\t%s\n' "$name" "${instructions:-NA}" >>"$DATA/instructions.tsv"
    done
    # tend and tini again in a Kubernetes pod's environment, where every
    # Service of the namespace injects *_SERVICE_HOST, *_PORT_* variables:
    # env -i and 200 of them (issue 11; bench/README.md, "Where the bytes and
    # the instructions go").
    K8S_ENV=()
    for i in $(seq 1 200); do
        K8S_ENV+=("$(printf 'MY_SERVICE_%03d_PORT_8080_TCP_ADDR=10.96.%d.%d' "$i" $((i / 250)) $((i % 250)))")
    done
    for name in tend tini; do
        out=$WORK/callgrind.$name-k8s
        # shellcheck disable=SC2086
        env -i "${K8S_ENV[@]}" "$(command -v "${UNSHARE[0]}")" "${UNSHARE[@]:1}" "$(command -v valgrind)" \
            --tool=callgrind --callgrind-out-file="$out.%p" \
            ${INIT_CMD[$name]} /bin/true >/dev/null 2>"$WORK/valgrind.$name-k8s.log" || true
        instructions=$(sed -n 's/^summary: //p' "$out.1" 2>/dev/null | head -1)
        printf '%s\t%s\n' "$name, 200 variables" "${instructions:-NA}" >>"$DATA/instructions.tsv"
    done
    if command -v callgrind_annotate >/dev/null 2>&1 && [[ -f $WORK/callgrind.tend.1 ]]; then
        callgrind_annotate "$WORK/callgrind.tend.1" 2>/dev/null |
            awk '/file:function/ {on = 1; getline; next} on && NF {print} on && !NF && n++ {exit}' |
            head -10 >"$DATA/tend_profile.txt" || true
    fi
fi

# --- 3. binary size ---------------------------------------------------------
say "3/9 binary sizes"
: >"$DATA/size.tsv"
size_row() { # name binary
    local stripped=$WORK/stripped.$1 linkage needed
    strip -o "$stripped" "$2" 2>/dev/null || cp "$2" "$stripped"
    if readelf -l "$2" 2>/dev/null | grep -q INTERP; then linkage=dynamic; else linkage=static; fi
    needed=$(readelf -d "$2" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ' -)
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(stat -c %s "$2")" "$(stat -c %s "$stripped")" "$linkage" "${needed:--}" >>"$DATA/size.tsv"
}
for name in "${INIT_NAMES[@]}"; do
    read -r binary _ <<<"${INIT_CMD[$name]}"
    size_row "$name" "$binary"
done
command -v s6-svscan >/dev/null 2>&1 && size_row s6-svscan "$(command -v s6-svscan)"
command -v s6-supervise >/dev/null 2>&1 && size_row s6-supervise "$(command -v s6-supervise)"
command -v runsvdir >/dev/null 2>&1 && size_row runsvdir "$(command -v runsvdir)"
command -v runsv >/dev/null 2>&1 && size_row runsv "$(command -v runsv)"

# --- 4. idle memory and wakeups ---------------------------------------------
say "4/9 idle memory and wakeups: $IDLE_REPS x ${IDLE_SECONDS}s per init"
: >"$DATA/idle.tsv"
idle_probe() { # row-name sleeps-to-wait-for command...
    local row=$1 wanted=$2 unshare_pid rss pss before after
    shift 2
    "${UNSHARE[@]}" "$@" </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    if ! wait_until_running "$unshare_pid" "$wanted"; then
        say "warning: $row did not start"
        [[ -n $INIT_PID ]] && stop_namespace "$unshare_pid" "$INIT_PID"
        return 0
    fi
    sleep 1 # let start-up finish: we want the idle state
    rss=$(awk '/^Rss:/ {print $2}' "/proc/$INIT_PID/smaps_rollup")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$INIT_PID/smaps_rollup")
    before=$(context_switches "$INIT_PID")
    sleep "$IDLE_SECONDS"
    after=$(context_switches "$INIT_PID")
    stop_namespace "$unshare_pid" "$INIT_PID"
    read -r v0 n0 <<<"$before"
    read -r v1 n1 <<<"$after"
    printf '%s\t%s\t%s\t%s\t%s\n' "$row" "$rss" "$pss" $((v1 - v0)) $((n1 - n0)) >>"$DATA/idle.tsv"
}
for ((rep = 0; rep < IDLE_REPS; rep++)); do
    for name in "${INIT_NAMES[@]}"; do
        # shellcheck disable=SC2086
        idle_probe "$name" 1 ${INIT_CMD[$name]} sleep 10
    done
    # shellcheck disable=SC2086
    idle_probe "tend, 1 service, no CMD" 1 $TEND_WITH_SERVICE
    if command -v s6-svscan >/dev/null 2>&1; then
        idle_probe "s6-svscan, 1 service" 1 "$(command -v s6-svscan)" "$WORK/scan"
    fi
done

# --- 5. shutdown latency -------------------------------------------------------
say "5/9 shutdown latency: $SHUTDOWN_RUNS runs per case"
: >"$DATA/shutdown.tsv"
shutdown_probe() { # case row sleeps-to-wait-for command...
    local case=$1 row=$2 wanted=$3 unshare_pid watchdog t0 t1 status=0
    shift 3
    "${UNSHARE[@]}" "$@" </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    if ! wait_until_running "$unshare_pid" "$wanted"; then
        say "warning: $row did not start"
        [[ -n $INIT_PID ]] && stop_namespace "$unshare_pid" "$INIT_PID"
        return 0
    fi
    sleep 15 &
    watchdog=$!
    sleep 0.2 # the init is idle again, the watchdog's fork is done
    t0=$EPOCHREALTIME
    kill -TERM "$INIT_PID" 2>/dev/null || true
    wait -n "$unshare_pid" "$watchdog" || status=$?
    t1=$EPOCHREALTIME
    if kill -0 "$unshare_pid" 2>/dev/null; then
        say "warning: $row did not stop within 15 s"
        stop_namespace "$unshare_pid" "$INIT_PID"
        t1=NA
    fi
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
    if [[ $t1 == NA ]]; then
        printf '%s\t%s\tNA\t%s\n' "$case" "$row" "$status" >>"$DATA/shutdown.tsv"
    else
        printf '%s\t%s\t%s\t%s\n' "$case" "$row" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) * 1000}')" "$status" >>"$DATA/shutdown.tsv"
    fi
}
for ((run = 0; run < SHUTDOWN_RUNS; run++)); do
    for name in "${INIT_NAMES[@]}"; do
        # shellcheck disable=SC2086
        shutdown_probe "CMD sleep 1000" "$name" 1 ${INIT_CMD[$name]} sleep 1000
    done
    # shellcheck disable=SC2086
    shutdown_probe "1 service + CMD sleep 1000" tend 2 $TEND_WITH_SERVICE -- sleep 1000
    # shellcheck disable=SC2086
    shutdown_probe "1 service, no CMD" tend 1 $TEND_WITH_SERVICE
    if command -v s6-svscan >/dev/null 2>&1; then
        shutdown_probe "1 service, no CMD" s6-svscan 1 "$(command -v s6-svscan)" "$WORK/scan"
    fi
done

# --- 6. services: start-up of many, memory of the supervision tree ------------
# Every service is the same run script, `exec stamp service DIR NAME`, which
# writes CLOCK_MONOTONIC into DIR/NAME and then waits. `stamp t0` in front of
# the init writes the time the init is exec'd (it execs into the init, which
# stays PID 1). Start-up = the last service's stamp - t0.
say "6/9 services: $SERVICES services started x $SERVICE_REPS per supervisor, memory with 10 / $SERVICES / $MANY_SERVICES"
: >"$DATA/services.tsv"
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; } # a sleep without a fork

make_scandir() { # dir count -> DIR/svcNNNN/run (+ the supervisord config)
    local dir=$1 count=$2 i name
    rm -rf "$dir"
    mkdir -p "$dir/scan"
    {
        printf '[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile=%s/supervisord.pid\nuser=root\n' "$dir"
    } >"$dir/supervisord.conf"
    for ((i = 0; i < count; i++)); do
        printf -v name 'svc%04d' "$i"
        mkdir "$dir/scan/$name"
        printf '#!/bin/sh\nexec %s service %s %s\n' "$WORK/stamp" "$WORK/stamps" "$name" >"$dir/scan/$name/run"
        chmod +x "$dir/scan/$name/run"
        printf '[program:%s]\ncommand=%s/scan/%s/run\ndirectory=%s/scan/%s\nautorestart=true\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n' \
            "$name" "$dir" "$name" "$dir" "$name" >>"$dir/supervisord.conf"
    done
}

supervisor_cmd() { # kind dir -> the command line of that supervisor on dir
    case $1 in
    tend) echo "$TEND --services-dir $2/scan --cont-init-dir /nonexistent --cont-finish-dir /nonexistent --runtime-dir $2/run $TEND_EXTRA_ARGS" ;;
    forkexec) echo "$WORK/stamp forkexec $2/scan" ;;
    s6-svscan) echo "$(command -v s6-svscan) $2/scan" ;;
    runsvdir) echo "$(command -v runsvdir) -P $2/scan" ;;
    supervisord) echo "$(command -v supervisord) -n -c $2/supervisord.conf" ;;
    tini) echo "$(command -v tini) -- $WORK/stamp service $WORK/stamps svc0000" ;;
    esac
}

# RSS and PSS (KiB) summed over the init and every descendant that is not a
# service (comm "stamp"), and how many processes that is.
tree_memory() {
    local stack=("$1") pid file kid comm rss=0 pss=0 count=0 r p
    local -a kids
    while ((${#stack[@]})); do
        pid=${stack[-1]}
        unset 'stack[-1]'
        comm=
        read -r comm <"/proc/$pid/comm" 2>/dev/null || true
        if [[ $comm != stamp ]]; then
            read -r r p < <(awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r + 0, p + 0}' "/proc/$pid/smaps_rollup" 2>/dev/null)
            rss=$((rss + ${r:-0}))
            pss=$((pss + ${p:-0}))
            count=$((count + 1))
        fi
        for file in /proc/"$pid"/task/*/children; do
            kids=()
            read -r -a kids <"$file" 2>/dev/null || true
            stack+=("${kids[@]}")
        done
    done
    echo "$rss $pss $count"
}

services_probe() { # kind count
    local kind=$1 count=$2 dir=$WORK/svc.$1.$2 unshare_pid init_pid= tries=0 started t0 last stamp_file value
    local -a stamps
    [[ -d $dir ]] || make_scandir "$dir" "$count"
    [[ $kind == tini ]] && count=1
    rm -rf "$WORK/stamps" "$WORK/t0"
    mkdir -p "$WORK/stamps"
    # shellcheck disable=SC2046
    "${UNSHARE[@]}" "$WORK/stamp" t0 "$WORK/t0" $(supervisor_cmd "$kind" "$dir") </dev/null >/dev/null 2>&1 &
    unshare_pid=$!
    while ((tries++ < 12000)); do # 60 s
        stamps=("$WORK"/stamps/svc*)
        [[ -e ${stamps[0]} ]] && ((${#stamps[@]} >= count)) && break
        nap 0.005
    done
    read -r init_pid _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
    if ! [[ -e ${stamps[0]} ]] || ((${#stamps[@]} < count)) || [[ -z $init_pid ]]; then
        say "warning: $kind with $count services: only ${#stamps[@]} started in 60 s"
        [[ -n $init_pid ]] && stop_namespace "$unshare_pid" "$init_pid"
        return 0
    fi
    read -r t0 <"$WORK/t0"
    last=0
    for stamp_file in "${stamps[@]}"; do
        value=0
        read -r value <"$stamp_file" || true
        if ((value > last)); then last=$value; fi
    done
    started=$(((last - t0) / 1000)) # µs
    nap 1 # idle: start-up allocations settled
    read -r rss pss processes <<<"$(tree_memory "$init_pid")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$count" "$started" "$rss" "$pss" "$processes" >>"$DATA/services.tsv"
    if [[ $kind == tend && $count == 10 ]]; then
        # The same tend after its loop has worked: one service restarted
        # (stop, reap, log, spawn) and a control request answered, the state
        # a container with a health probe is in (bench/steady.sh measures it
        # over a minute, with the container's memory charge).
        "$TEND" ctl --runtime-dir "$dir/run" restart svc0000 >/dev/null 2>&1 || say "warning: tend ctl restart failed"
        "$TEND" ctl --runtime-dir "$dir/run" status >/dev/null 2>&1 || say "warning: tend ctl status failed"
        nap 1
        read -r rss pss processes <<<"$(tree_memory "$init_pid")"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' tend-busy "$count" "$started" "$rss" "$pss" "$processes" >>"$DATA/services.tsv"
    fi
    stop_namespace "$unshare_pid" "$init_pid"
}

SERVICE_KINDS=(tend forkexec)
command -v s6-svscan >/dev/null 2>&1 && SERVICE_KINDS+=(s6-svscan)
command -v runsvdir >/dev/null 2>&1 && SERVICE_KINDS+=(runsvdir)
command -v supervisord >/dev/null 2>&1 && SERVICE_KINDS+=(supervisord)
echo "service_kinds=${SERVICE_KINDS[*]}" >>"$DATA/meta"
echo "services=$SERVICES" >>"$DATA/meta"
echo "many_services=$MANY_SERVICES" >>"$DATA/meta"
for ((rep = 0; rep < SERVICE_REPS; rep++)); do
    for ((i = 0; i < ${#SERVICE_KINDS[@]}; i++)); do
        kind=${SERVICE_KINDS[$(((i + rep) % ${#SERVICE_KINDS[@]}))]}
        services_probe "$kind" "$SERVICES"
    done
done
for ((rep = 0; rep < IDLE_REPS; rep++)); do
    services_probe tini 1
    for kind in "${SERVICE_KINDS[@]}"; do
        [[ $kind == forkexec ]] || services_probe "$kind" 10
    done
    services_probe tend "$MANY_SERVICES"
done

# --- 7. restart of a crashed service ------------------------------------------
# RESTART_SERVICES services whose `run` is stamp itself (no shell): each life
# appends "start T" at its first instruction, runs 3 + 23 i ms (a different
# time per service, so that the restarts of different services do not
# coincide) and appends "exit T" just before _exit(1); the RESTART_LIVES-th
# life stays up. tend's backoff before restart k is 100 ms * 2^(k-1) (README
# "Restart backoff"); report.py subtracts it from start(k+1) - exit(k).
say "7/9 restart latency: $RESTART_SERVICES services x $((RESTART_LIVES - 1)) restarts"
restart_dir=$WORK/restart
rm -rf "$restart_dir"
mkdir -p "$restart_dir/scan" "$restart_dir/log"
for ((i = 0; i < RESTART_SERVICES; i++)); do
    printf -v name 'crash%02d' "$i"
    mkdir -p "$restart_dir/scan/$name/env"
    ln "$WORK/stamp" "$restart_dir/scan/$name/run"
    echo "$restart_dir/log" >"$restart_dir/scan/$name/env/STAMP_DIR"
    echo "$RESTART_LIVES" >"$restart_dir/scan/$name/env/STAMP_LIVES"
    echo $((3 + 23 * i)) >"$restart_dir/scan/$name/env/STAMP_MS"
done
# shellcheck disable=SC2086
"${UNSHARE[@]}" "$TEND" --services-dir "$restart_dir/scan" --cont-init-dir /nonexistent \
    --cont-finish-dir /nonexistent --runtime-dir "$restart_dir/run" $TEND_EXTRA_ARGS </dev/null >/dev/null 2>&1 &
unshare_pid=$!
expected_lines=$((2 * RESTART_LIVES - 1))
for ((tries = 0; tries < 2400; tries++)); do # 2 x the sum of the backoffs is enough; 120 s at most
    done_services=0
    for log in "$restart_dir"/log/crash*; do
        [[ -e $log ]] || continue
        mapfile -t lines <"$log"
        ((${#lines[@]} >= expected_lines)) && done_services=$((done_services + 1))
    done
    ((done_services >= RESTART_SERVICES)) && break
    nap 0.05
done
read -r init_pid _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
[[ -n $init_pid ]] && stop_namespace "$unshare_pid" "$init_pid"
((done_services >= RESTART_SERVICES)) || say "warning: only $done_services services reached life $RESTART_LIVES"
for log in "$restart_dir"/log/crash*; do
    [[ -e $log ]] && { echo "# ${log##*/}"; cat "$log"; }
done >"$DATA/restart.log"
# The floor: a minimal C parent (PID 1 of its own namespace too) that forks and
# execs the same static program and times its first instruction.
# Hot (back to back), and woken by a 100 ms deadline like a restart after backoff.
for ((rep = 0; rep < 3; rep++)); do
    "${UNSHARE[@]}" "$WORK/stamp" spawn 101 2>/dev/null || true
done >"$DATA/spawn.txt"
for ((rep = 0; rep < 3; rep++)); do
    "${UNSHARE[@]}" "$WORK/stamp" spawn 31 100 2>/dev/null || true
done >"$DATA/spawn_sleep.txt"
# And the smallest supervisor: wait for the exit, sleep the backoff, fork+exec.
for ((rep = 0; rep < 3; rep++)); do
    "${UNSHARE[@]}" "$WORK/stamp" supervise 31 100 2>/dev/null || true
done >"$DATA/supervise.txt"

# --- 8. reaping -----------------------------------------------------------------
# Sampled here: the burst of runnable orphans below inflates the load average itself.
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$DATA/meta"
say "8/9 reaping $ORPHANS orphans: $REAP_RUNS runs per init and mode"
: >"$DATA/reap.tsv"
for ((run = 0; run < REAP_RUNS; run++)); do
    for mode in stream burst; do
        for name in "${INIT_NAMES[@]}"; do
            # shellcheck disable=SC2086
            if result=$("${UNSHARE[@]}" ${INIT_CMD[$name]} "$WORK/orphans" "$mode" "$ORPHANS" 2>/dev/null) &&
                read -r total tail <<<"$result" && [[ -n $tail ]]; then
                printf '%s\t%s\t%s\t%s\n' "$mode" "$name" "$total" "$tail" >>"$DATA/reap.tsv"
            else
                say "warning: reaping run failed for $name ($mode)"
            fi
        done
    done
done

# --- 9. output throughput --------------------------------------------------------
if [[ $THROUGHPUT == 1 && $(id -u) == 0 ]]; then
    say "9/9 output throughput (bench/throughput.sh, RUNS=${THROUGHPUT_RUNS:-3})"
    RUNS=${THROUGHPUT_RUNS:-3} "$BENCH_DIR/throughput.sh" "$TEND" >"$DATA/throughput.md" 2>"$WORK/throughput.err" ||
        say "warning: throughput.sh failed: $(tail -1 "$WORK/throughput.err")"
else
    say "9/9 output throughput skipped (THROUGHPUT=0, or not root)"
fi

python3 "$BENCH_DIR/report.py" "$DATA" "${INIT_NAMES[@]}" >"$WORK/report.md"
cat "$WORK/report.md"
cp "$WORK/report.md" "$RESULTS"
say "report written to $RESULTS"
