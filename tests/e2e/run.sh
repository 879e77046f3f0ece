#!/bin/bash
# End-to-end suite: the images of docker/ built and run in real containers with
# podman and runc, each case asserting what /proc and the services say.
#
# Part of `make check` (alone: `make e2e`). Needs root, podman, runc,
# debootstrap, podman-compose, catatonit, curl and nsenter; when any of them is
# missing or podman cannot run a container, the suite FAILS: it never passes
# silently. Prints PASS/FAIL lines and timings; exits 1 on any failure.
# Arguments: case names (functions below) to run only those.
# TEND_E2E_TEND_IMAGE=IMAGE: test the tend of IMAGE (an image with /sbin/tend,
# e.g. a development build) in the seed image and as --init, instead of the one
# docker/Dockerfile builds (which is still built and checked).
#
# The base image debian:bookworm is made once with debootstrap (base-image.sh)
# and reused; image builds reuse podman's layer cache.
set -u
cd "$(dirname "$0")/../.."
# podman schedules an image's HEALTHCHECK with systemd timers; this machine has
# no systemd, so podman run/stop/rm complain on every container. The suite runs
# the checks itself (`podman healthcheck run`): drop that one complaint.
exec 2> >(grep --line-buffered -v 'unable to get systemd connection' >&2)
repo=$(pwd)

version=$(sed -n 's/^project(tend VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tend_image=tend:$version
demo_image=tend-demo:$version
seed_image=tend-nginx-php-fpm:$version
example=docker/examples/nginx-php-fpm
cron_image=tend-cron:$version
cron_example=docker/examples/cron
ulimits=(--ulimit nofile=1024:20000 --ulimit nproc=4096:4096)
hardened=(--read-only --tmpfs /run --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges)

work=$(mktemp -d /tmp/tend-e2e.XXXXXX)
# kube play and podman-compose read these: runc (crun fails on this kind of
# machine) and limits runc can set here (with a hard nofile above the soft one,
# runc fails kube play's containers with "error setting rlimit type 7").
cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$work/containers.conf
podman() { command podman --runtime runc "$@"; }

failures=0
passes=0
pass() { passes=$((passes + 1)); echo "PASS: $*"; }
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
check() { # check NAME COMMAND...: PASS when the command succeeds
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
matches() { [[ $1 =~ $2 ]]; }  # matches STRING REGEX
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
suite_start=$(now)
timed() { # timed LABEL COMMAND...: runs it, prints how long it took
    local label=$1; shift
    local t0; t0=$(now)
    "$@"; local rc=$?
    echo "time: $label: $(elapsed "$t0" "$(now)") s"
    return $rc
}
# wait_until SECONDS COMMAND...: the command is a condition, checked every 0.1 s.
wait_until() {
    local deadline; deadline=$(awk -v t="$1" -v n="$(now)" 'BEGIN { printf "%.3f", n + t }'); shift
    until "$@"; do
        awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }' && return 1
        sleep 0.1
    done
}

cleanup() {
    local c
    for c in $(command podman ps -a --format '{{.Names}}' 2>/dev/null | grep '^tend-e2e-'); do
        command podman rm -f -t 0 "$c" >/dev/null 2>&1
    done
    command podman pod rm -f -t 0 tend-nginx-php-fpm >/dev/null 2>&1
    command podman volume rm -f tend-nginx-php-fpm-run tend-nginx-php-fpm-tmp >/dev/null 2>&1
    (cd "$repo/$example" && podman-compose -p tend-e2e down -t 0 >/dev/null 2>&1)
    rm -rf "$work"
}
trap cleanup EXIT

# ---- what the host says about a container's processes (host side: under
# --cap-drop ALL, root in the container may not read other uids' /proc) ----
container_pid() { command podman inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
descendants() { # every descendant of a host pid, depth first
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$child"; descendants "$child"
    done
}
field() { awk -v key="$2:" '$1 == key { print $2; exit }' /proc/"$1"/status 2>/dev/null; }
comm_of() { cat /proc/"$1"/comm 2>/dev/null; }
pids_named() { # pids_named ROOT_PID NAME: descendants whose comm starts with NAME
    local pid
    for pid in $(descendants "$1"); do
        case $(comm_of "$pid") in "$2"*) echo "$pid" ;; esac
    done
}
zombies_under() { # the descendants of a host pid that are zombies
    local pid
    for pid in $(descendants "$1"); do
        [ "$(field "$pid" State)" = Z ] && echo "$pid"
    done
    return 0
}
no_zombie_under() { [ -z "$(zombies_under "$1")" ]; }
# fetch PID PORT: the PHP page, from inside the container's network namespace
# (no curl in the image, no host port to collide with).
fetch() { nsenter -t "$1" -n curl -s -m 2 "http://127.0.0.1:$2/${3:-index.php}"; }
page_says_uid() { [ "$(fetch "$1" "$2")" = "uid=$3 gid=$3" ]; }
# check_confined LABEL PID PORT: php-fpm (services.d/php-fpm/paths) reads the
# app but not /etc/hostname, which uid 3000 could read: Landlock is in force.
check_confined() {
    local page; page=$(fetch "$2" "$3" confined.php)
    check "$1: Landlock: a PHP worker reads the app but not /etc/hostname (got: $page)" \
        [ "$page" = "app=readable hostname=denied" ]
}
# check_confinement_status LABEL NAME: `tend ctl status` shows both services confined and enforced.
check_confinement_status() {
    local table; table=$(command podman exec "$2" /sbin/tend ctl status 2>&1)
    check "$1: tend ctl status shows nginx and php-fpm confined, enforced ($(echo "$table" | grep -A2 CONFINED | tr -s ' \n' ' '))" \
        sh -c "echo \"\$1\" | grep -Eq '^nginx +ABI [0-9]+ .* yes\$' && echo \"\$1\" | grep -Eq '^php-fpm +ABI [0-9]+ .* yes\$'" _ "$table"
}
caps_within() { # caps_within PID SET MASK: capability set SET of PID has no bit outside MASK
    local value; value=$(field "$1" "$2")
    [ -n "$value" ] && (( (16#$value & ~$3) == 0 ))
}
# healthy NAME: the image's HEALTHCHECK (`tend health`) passes now.
healthy() { command podman healthcheck run "$1" >"$work/health.out" 2>&1; }
health_says() { grep -v 'level=error' "$work/health.out" | tr '\n' ' '; }
check_healthy() { # LABEL NAME
    if wait_until 10 healthy "$2"; then pass "$1: the HEALTHCHECK (tend health) passes"
    else fail "$1: the HEALTHCHECK (tend health) fails: $(health_says)"; fi
}

# capability bits
CAP_SETGID=$((1 << 6)); CAP_SETUID=$((1 << 7)); CAP_NET_BIND_SERVICE=$((1 << 10))

# Asserts, for every process named NAME under ROOT: uid, NoNewPrivs 1, and no
# capability outside ALLOWED in the permitted, effective, inheritable and
# ambient sets, none outside BOUND in the bounding set.
check_processes() { # LABEL ROOT NAME UID ALLOWED BOUND
    local label=$1 root=$2 name=$3 uid=$4 allowed=$5 bound=$6 pid ok=1 count=0 why=
    for pid in $(pids_named "$root" "$name"); do
        count=$((count + 1))
        local uids; uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' /proc/"$pid"/status)
        [ "$uids" = "$uid $uid $uid $uid" ] || { ok=0; why+=" pid $pid uids $uids;"; }
        [ "$(field "$pid" NoNewPrivs)" = 1 ] || { ok=0; why+=" pid $pid NoNewPrivs $(field "$pid" NoNewPrivs);"; }
        local set
        for set in CapPrm CapEff CapInh CapAmb; do
            caps_within "$pid" $set "$allowed" || { ok=0; why+=" pid $pid $set $(field "$pid" $set);"; }
        done
        caps_within "$pid" CapBnd "$bound" || { ok=0; why+=" pid $pid CapBnd $(field "$pid" CapBnd);"; }
    done
    [ "$count" -ge 2 ] || { ok=0; why+=" $count process(es) named $name (master and workers expected);"; }
    if [ $ok = 1 ]; then pass "$label: $count $name processes: uid $uid, NoNewPrivs 1, capabilities within the listed"
    else fail "$label:$why"; fi
}

# ---- preflight: loud, never a silent pass ----
echo "== e2e: preflight"
[ "$(id -u)" = 0 ] || { fail "preflight: the e2e suite needs root (podman with runc, nsenter)"; exit 1; }
for tool in podman runc debootstrap podman-compose catatonit curl nsenter; do
    command -v "$tool" >/dev/null || { fail "preflight: $tool is not installed (.ci/run installs it)"; exit 1; }
done
if ! out=$(command podman info 2>&1 >/dev/null); then
    fail "preflight: podman cannot run: $out"; exit 1
fi
pass "preflight: podman $(command podman version --format '{{.Client.Version}}'), runc, debootstrap, podman-compose, catatonit, curl"

# ---- images ----
echo "== e2e: images"
timed "base image" tests/e2e/base-image.sh || { fail "base image: debootstrap/import failed"; exit 1; }
build() { # build LOG ARGS...: podman build, its log kept for a failure
    local log=$work/build-$1.log; shift
    if podman build --isolation=chroot --format docker "$@" >"$log" 2>&1; then return 0; fi
    tail -n 40 "$log"; return 1
}
timed "build $tend_image (docker/Dockerfile, target tend)" \
    build tend -f docker/Dockerfile --target tend -t "$tend_image" . ||
    { fail "build: $tend_image"; exit 1; }
timed "build $demo_image (docker/Dockerfile, target demo)" \
    build demo -f docker/Dockerfile -t "$demo_image" . ||
    { fail "build: $demo_image"; exit 1; }
under_test=${TEND_E2E_TEND_IMAGE:-$tend_image}
[ "$under_test" = "$tend_image" ] || echo "tend under test: /sbin/tend of $under_test"
timed "build $seed_image ($example)" \
    build seed --build-arg TEND_IMAGE="$under_test" -t "$seed_image" "$example" ||
    { fail "build: $seed_image"; exit 1; }
timed "build $cron_image ($cron_example)" \
    build cron --build-arg TEND_IMAGE="$under_test" -t "$cron_image" "$cron_example" ||
    { fail "build: $cron_image"; exit 1; }
pass "images: $tend_image, $demo_image, $seed_image, $cron_image built"

# The release binary users copy, taken out of the tend image.
tend_bin=$work/tend
command podman create --name tend-e2e-extract "$under_test" >/dev/null &&
    command podman cp tend-e2e-extract:/sbin/tend "$tend_bin" &&
    command podman rm tend-e2e-extract >/dev/null
if file "$tend_bin" 2>/dev/null | grep -q 'statically linked.*stripped' || { [ -x "$tend_bin" ] && ! command -v file >/dev/null; }; then
    pass "tend image: /sbin/tend is a static, stripped binary of $(stat -c %s "$tend_bin") bytes"
else
    fail "tend image: /sbin/tend is not a static stripped binary: $(file "$tend_bin" 2>&1)"
fi

# ---- case: the FROM scratch demo ----
case_demo() {
    echo "== e2e: $demo_image (FROM scratch, tend as ENTRYPOINT)"
    local name=tend-e2e-demo
    podman run -d --name $name "${ulimits[@]}" --cap-drop ALL --cap-add SETUID --cap-add SETGID \
        --security-opt no-new-privileges "$demo_image" >/dev/null || { fail "demo: podman run"; return; }
    if wait_until 10 sh -c "command podman logs $name 2>&1 | grep -q 'hello: uid=65534'"; then
        pass "demo: the hello service runs as nobody"
    else
        fail "demo: no 'hello: uid=65534' line; logs: $(command podman logs $name 2>&1 | tail -n 5)"
    fi
    check_healthy demo $name
    command podman stop -t 10 $name >/dev/null
    local code; code=$(command podman inspect -f '{{.State.ExitCode}}' $name)
    check "demo: podman stop ends the CMD and the container exits 143 (got $code)" [ "$code" = 143 ]
    command podman rm -f $name >/dev/null
}

# ---- case: seed 001 hardened, as Docker/Compose run it ----
case_seed_hardened() {
    echo "== e2e: $seed_image, --read-only --cap-drop ALL + SETUID SETGID NET_BIND_SERVICE, no-new-privileges"
    local name=tend-e2e-seed001
    podman run -d --name $name "${ulimits[@]}" "${hardened[@]}" \
        --cap-add SETUID --cap-add SETGID --cap-add NET_BIND_SERVICE "$seed_image" >/dev/null ||
        { fail "seed 001: podman run"; return; }
    local pid; pid=$(container_pid $name)
    if wait_until 20 page_says_uid "$pid" 80 3000; then
        pass "seed 001: the PHP page through nginx on port 80 says uid=3000 gid=3000"
    else
        fail "seed 001: page on port 80: '$(fetch "$pid" 80)'; logs: $(command podman logs $name 2>&1 | tail -n 8)"
    fi
    check_healthy "seed 001" $name
    check_confined "seed 001" "$pid" 80
    check_confinement_status "seed 001" $name
    # depends + ready-when: nginx starts only once php-fpm's socket answers.
    local order; order=$(command podman logs $name 2>&1 |
        grep -E 'service php-fpm: ready|service nginx: started' | head -n 2 | sed 's/.*service //' | tr '\n' ';')
    check "seed 001: nginx started after php-fpm was ready (got: $order)" \
        matches "$order" '^php-fpm: ready \(socket /run/php/php-fpm.sock\);nginx: started \(pid [0-9]+\);$'
    local sock; sock=$(command podman exec $name stat -c '%a %U:%G %F' /run/php/php-fpm.sock 2>&1)
    check "seed 001: php-fpm's socket is 0660 app:app (got: $sock)" [ "$sock" = "660 app:app socket" ]
    local listed=$((CAP_SETUID | CAP_SETGID | CAP_NET_BIND_SERVICE))
    check_processes "seed 001: php-fpm" "$pid" php-fpm 3000 0 $listed
    check_processes "seed 001: nginx" "$pid" nginx 3000 $CAP_NET_BIND_SERVICE $listed

    # kill -9 of php-fpm's master (tend's child): restarted, page served again, no zombie.
    local master; master=$(for p in $(cat /proc/"$pid"/task/*/children); do
        case $(comm_of "$p") in php-fpm*) echo "$p" ;; esac; done | head -n 1)
    if [ -z "$master" ]; then
        fail "seed 001: no php-fpm master under tend to kill"
    else
        kill -9 "$master"
        new_master() {
            local p
            for p in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
                [ "$p" != "$master" ] && case $(comm_of "$p") in php-fpm*) return 0 ;; esac
            done
            return 1
        }
        if wait_until 10 new_master && wait_until 10 page_says_uid "$pid" 80 3000; then
            pass "seed 001: php-fpm's master killed with SIGKILL is restarted and the page is served again"
            check_healthy "seed 001: after the restart" $name
        else
            fail "seed 001: after kill -9 of php-fpm ($master): page '$(fetch "$pid" 80)'; logs: $(command podman logs $name 2>&1 | tail -n 6)"
        fi
        if wait_until 5 no_zombie_under "$pid"; then
            pass "seed 001: no zombie in the container after the restart"
        else
            fail "seed 001: zombies left: $(for z in $(zombies_under "$pid"); do echo -n "$z($(comm_of "$z")) "; done)"
        fi
    fi

    local t0 t1 code
    t0=$(now); command podman stop -t 10 $name >/dev/null; t1=$(now)
    code=$(command podman inspect -f '{{.State.ExitCode}}' $name)
    check "seed 001: podman stop: exit code 0 (no primary, stopped by SIGTERM; got $code)" [ "$code" = 0 ]
    check "seed 001: podman stop took $(elapsed "$t0" "$t1") s (at most 2 s)" \
        awk -v t="$(elapsed "$t0" "$t1")" 'BEGIN { exit !(t <= 2) }'
    if command podman logs $name 2>&1 | grep -q 'Permission denied\|cannot'; then
        fail "seed 001: errors in the log: $(command podman logs $name 2>&1 | grep 'Permission denied\|cannot' | head -n 3)"
    else
        pass "seed 001: no 'Permission denied' or 'cannot' in the container's log"
    fi
    command podman rm -f $name >/dev/null
}

# ---- case: the same image as --user 3000:3000 with no capability ----
case_seed_same_user() {
    echo "== e2e: $seed_image, --user 3000:3000, --cap-drop ALL, no capability added"
    local name=tend-e2e-seed001-user
    podman run -d --name $name "${ulimits[@]}" "${hardened[@]}" --user 3000:3000 \
        -e TEND_SERVICES_DIR=/etc/services.unprivileged.d -e TEND_RUNTIME_DIR=/tmp/tend \
        "$seed_image" >/dev/null || { fail "same user: podman run"; return; }
    local pid; pid=$(container_pid $name)
    if wait_until 20 page_says_uid "$pid" 8080 3000; then
        pass "same user: the PHP page through nginx on port 8080 says uid=3000 gid=3000"
    else
        fail "same user: page on port 8080: '$(fetch "$pid" 8080)'; logs: $(command podman logs $name 2>&1 | tail -n 8)"
    fi
    check_healthy "same user" $name
    check_confined "same user" "$pid" 8080
    check_confinement_status "same user" $name
    check_processes "same user: php-fpm" "$pid" php-fpm 3000 0 0
    check_processes "same user: nginx" "$pid" nginx 3000 0 0
    command podman stop -t 10 $name >/dev/null
    local code; code=$(command podman inspect -f '{{.State.ExitCode}}' $name)
    check "same user: podman stop: exit code 0 (got $code)" [ "$code" = 0 ]
    command podman rm -f $name >/dev/null
}

# ---- case: a CMD with --cmd-user, killed, leaving workers of its uid ----
case_cmd_user_killed() {
    echo "== e2e: --cmd-user app, the CMD killed with SIGKILL, workers of uid 3000 left behind"
    local name=tend-e2e-cmd-user
    podman run -d --name $name "${ulimits[@]}" "${hardened[@]}" --cap-add SETUID --cap-add SETGID \
        -e TEND_SERVICES_DIR=/nonexistent "$seed_image" \
        --cmd-user app -- sh -c 'sleep 1000 & sleep 1000 & exec sleep 1001' >/dev/null ||
        { fail "cmd-user: podman run"; return; }
    local pid; pid=$(container_pid $name)
    cmd_started() { [ "$(pids_named "$pid" sleep | wc -l)" -ge 3 ]; }
    wait_until 10 cmd_started || { fail "cmd-user: the CMD and its two workers did not start"; return; }
    local cmd; cmd=$(cat /proc/"$pid"/task/*/children | tr -s ' ' '\n' | head -n 1)
    local uid; uid=$(field "$cmd" Uid)
    check "cmd-user: the CMD runs as uid 3000 (got $uid)" [ "$uid" = 3000 ]
    local t0 t1 code
    t0=$(now); kill -9 "$cmd"
    code=$(command podman wait $name); t1=$(now)
    check "cmd-user: the container exits 137 (got $code)" [ "$code" = 137 ]
    check "cmd-user: it ended $(elapsed "$t0" "$t1") s after the kill (at most 2 s)" \
        awk -v t="$(elapsed "$t0" "$t1")" 'BEGIN { exit !(t <= 2) }'
    local log; log=$(command podman logs $name 2>&1)
    if echo "$log" | grep -q 'survived'; then
        fail "cmd-user: tend's log claims survivors: $(echo "$log" | grep survived)"
    else
        pass "cmd-user: no 'survived' claim in tend's log"
    fi
    command podman rm -f $name >/dev/null
}

# ---- case: tend as podman's --init ----
case_init() {
    echo "== e2e: podman run --init --init-path <release tend>"
    local out err code
    out=$(podman run --rm "${ulimits[@]}" --init --init-path "$tend_bin" debian:bookworm \
        sh -c 'sleep 1 & exit 3' 2>"$work/init.err"); code=$?
    err=$(cat "$work/init.err")
    check "init: sh -c 'sleep 1 & exit 3' exits 3 (got $code)" [ "$code" = 3 ]
    check "init: nothing printed (stdout '$out', stderr '$err')" [ -z "$out$err" ]
    # An orphan reparented to tend (PID 1) is reaped: its /proc entry goes away.
    out=$(podman run --rm "${ulimits[@]}" --init --init-path "$tend_bin" debian:bookworm sh -c '
        (sleep 0.2 & echo $! >/tmp/orphan)
        orphan=$(cat /tmp/orphan); i=0
        while [ -e /proc/$orphan ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        if [ -e /proc/$orphan ]; then echo "orphan $orphan: $(grep State /proc/$orphan/status)"
        else echo "orphan reaped"; fi
        exit 3' 2>"$work/init.err"); code=$?
    err=$(cat "$work/init.err")
    check "init: an orphan is reaped, no zombie ($out)" [ "$out" = "orphan reaped" ]
    check "init: ... exit 3 (got $code), nothing printed ('$err')" [ "$code" = 3 -a -z "$err" ]
}

# ---- case: podman kube play ----
case_kube() {
    echo "== e2e: podman kube play $example/kubernetes.yaml"
    local yaml=$example/kubernetes.yaml
    if ! out=$(command podman kube play "$yaml" 2>&1); then
        fail "kube: podman kube play: $out"; return
    fi
    local name=tend-nginx-php-fpm-app
    local pid; pid=$(container_pid $name)
    if [ -z "$pid" ] || [ "$pid" = 0 ]; then
        fail "kube: no running container $name: $(command podman pod ps 2>&1 | tail -n 3)"
    elif wait_until 20 page_says_uid "$pid" 8080 3000; then
        pass "kube: the pod serves the page on port 8080 (uid=3000 gid=3000)"
        check_processes "kube: php-fpm" "$pid" php-fpm 3000 0 0
        check_confined kube "$pid" 8080
        if wait_until 10 sh -c "command podman exec $name /sbin/tend health >$work/health.out 2>&1"; then
            pass "kube: the readiness probe (tend health) passes"
        else
            fail "kube: the readiness probe (tend health) fails: $(health_says)"
        fi
    else
        fail "kube: page on port 8080: '$(fetch "$pid" 8080)'; logs: $(command podman logs $name 2>&1 | tail -n 8)"
    fi
    command podman kube down "$yaml" >/dev/null 2>&1 || command podman pod rm -f tend-nginx-php-fpm >/dev/null
    # kube play's emptyDirs are named volumes that outlive the pod: start clean next time.
    command podman volume rm -f tend-nginx-php-fpm-run tend-nginx-php-fpm-tmp >/dev/null 2>&1
}

# ---- case: podman-compose up ----
case_compose() {
    echo "== e2e: podman-compose up ($example/compose.yaml)"
    local port; port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
    if ! out=$(cd "$example" && HTTP_PUBLISH=127.0.0.1:$port podman-compose -p tend-e2e up -d 2>&1); then
        fail "compose: podman-compose up: $(echo "$out" | tail -n 5)"; return
    fi
    local name; name=$(command podman ps --format '{{.Names}}' | grep '^tend-e2e_' | head -n 1)
    local pid; pid=$(container_pid "$name")
    if [ -n "$pid" ] && wait_until 20 page_says_uid "$pid" 80 3000; then
        pass "compose: the page is served on port 80 (uid=3000 gid=3000)"
        check_healthy compose "$name"
        check_confined compose "$pid" 80
    else
        fail "compose: page: '$( [ -n "$pid" ] && fetch "$pid" 80)'; containers: $(command podman ps -a --format '{{.Names}} {{.Status}}' | grep tend-e2e_); logs: $(command podman logs "$name" 2>&1 | tail -n 6)"
    fi
    if [ -n "$pid" ] && [ "$(curl -s -m 2 "http://127.0.0.1:$port/index.php")" = "uid=3000 gid=3000" ]; then
        pass "compose: ... and through the published port 127.0.0.1:$port"
    else
        fail "compose: nothing on the published port 127.0.0.1:$port"
    fi
    (cd "$example" && podman-compose -p tend-e2e down -t 10 >/dev/null 2>&1)
}

# ---- case: linuxserver.io's Debian base image tree and their ZNC image ----
# Their s6-overlay v3 trees unchanged, tend as /init after `tend compat install`
# (tests/e2e/linuxserver-debian/README.md says what the fixtures adapt).
lsio_base=tend-e2e-lsio-debian:$version
lsio_znc=tend-e2e-lsio-znc:$version
lsio_logs() { command podman logs "$1" 2>&1; }
lsio_says() { lsio_logs "$1" | grep -qF -- "$2"; }
lsio_run() { # lsio_run NAME IMAGE ARGS...: started and through its init ([ls.io-init] done.)
    local name=$1 image=$2; shift 2
    podman run -d --name "$name" "${ulimits[@]}" -e PUID=1234 -e PGID=1234 "$@" "$image" >/dev/null ||
        { fail "$name: podman run"; return 1; }
    if wait_until 60 lsio_says "$name" '[ls.io-init] done.'; then
        pass "$name: its init ran to the end ([ls.io-init] done.)"
    else
        fail "$name: no '[ls.io-init] done.'; logs: $(lsio_logs "$name" | tail -n 8)"; return 1
    fi
}
lsio_stop() { # lsio_stop NAME: podman stop ends it with 0, nothing left behind
    command podman stop -t 10 "$1" >/dev/null
    local code; code=$(command podman inspect -f '{{.State.ExitCode}}' "$1")
    check "$1: podman stop: the container exits 0 (got $code)" [ "$code" = 0 ]
    command podman rm -f "$1" >/dev/null
}
in_container() { command podman exec "$@" 2>/dev/null; }
case_linuxserver() {
    echo "== e2e: linuxserver.io's Debian base image tree and ZNC image under tend"
    local fixture=$repo/tests/e2e/linuxserver-debian
    timed "build $lsio_base" build lsio-base --build-arg TEND_IMAGE="$under_test" -t "$lsio_base" "$fixture" ||
        { fail "build: $lsio_base"; return; }
    timed "build $lsio_znc" build lsio-znc --build-arg BASE_IMAGE="$lsio_base" -t "$lsio_znc" \
        "$repo/tests/e2e/linuxserver-znc" || { fail "build: $lsio_znc"; return; }

    # As root with PUID/PGID on a writable root, with a custom service and a
    # custom init script (docker-mods, the S6_STAGE2_HOOK, adds the service).
    local name=tend-e2e-lsio
    if lsio_run $name "$lsio_base" -v "$fixture/custom-services.d:/custom-services.d:ro" \
        -v "$fixture/custom-cont-init.d:/custom-cont-init.d:ro"; then
        check "$name: init-adduser made abc 1234:1234 (usermod from PUID/PGID)" \
            lsio_says $name 'User UID:    1234'
        check "$name: abc is uid 1234 gid 1234" [ "$(in_container $name id -u abc):$(in_container $name id -g abc)" = 1234:1234 ]
        check "$name: lsiown gave /config to abc" [ "$(in_container $name stat -c %u:%g /config)" = 1234:1234 ]
        check "$name: the custom init script ran" lsio_says $name '[hello-init] custom init ran'
        check "$name: the custom service the hook added runs, with the container environment" \
            wait_until 10 lsio_says $name '[hello] custom service up, PUID=1234'
        check "$name: svc-cron and custom-svc-hello are running" \
            sh -c "command podman exec $name /init ctl status --json | grep -q '\"name\":\"svc-cron\",\"state\":\"running\"' &&
                   command podman exec $name /init ctl status --json | grep -q '\"name\":\"custom-svc-hello\",\"state\":\"running\"'"
        check "$name: no zombie" no_zombie_under "$(container_pid $name)"
        lsio_stop $name
    fi

    # Read-only root: the hook writes LSIO_READ_ONLY_FS into the container
    # environment and the later with-contenv scripts leave PUID/PGID alone.
    name=tend-e2e-lsio-ro
    if lsio_run $name "$lsio_base" --read-only --tmpfs /run --tmpfs /tmp; then
        check "$name: docker-mods saw the read-only root" lsio_says $name 'You are running this container read-only'
        check "$name: LSIO_READ_ONLY_FS is in the container environment" \
            [ "$(in_container $name cat /run/s6/container_environment/LSIO_READ_ONLY_FS)" = 1 ]
        check "$name: PUID/PGID have no effect (abc stays 911)" [ "$(in_container $name id -u abc)" = 911 ]
        check "$name: svc-cron is running" \
            sh -c "command podman exec $name /init ctl status svc-cron --json | grep -q '\"state\":\"running\"'"
        lsio_stop $name
    fi

    # The ZNC app image: s6-notifyoncheck (nc -z on its port) makes svc-znc ready.
    name=tend-e2e-lsio-znc
    if lsio_run $name "$lsio_znc"; then
        if wait_until 20 sh -c "command podman exec $name s6-svstat -ur /run/service/svc-znc | grep -qx 'true true'"; then
            pass "$name: svc-znc is up and ready (s6-notifyoncheck -c \"nc -z localhost 6501\")"
        else
            fail "$name: svc-znc not ready: $(in_container $name s6-svstat /run/service/svc-znc); logs: $(lsio_logs $name | tail -n 6)"
        fi
        local znc; znc=$(in_container $name s6-svstat -p svc-znc)
        check "$name: znc runs as abc (uid 1234), the service's own pid" \
            [ "$(in_container $name ps -o uid= -p "$znc" | tr -d ' ')" = 1234 ]
        check "$name: the checker is gone once ready" \
            wait_until 5 sh -c "! command podman exec $name ps -eo args | grep -q '^s6-notifyoncheck'"
        lsio_stop $name
    fi

    # The ZNC image again on a read-only root (its /config is a VOLUME, as
    # linuxserver.io's images declare it): it comes up ready all the same.
    name=tend-e2e-lsio-znc-ro
    if lsio_run $name "$lsio_znc" --read-only --tmpfs /run --tmpfs /tmp; then
        check "$name: svc-znc is up and ready on a read-only root" \
            wait_until 20 sh -c "command podman exec $name s6-svstat -ur /run/service/svc-znc | grep -qx 'true true'"
        lsio_stop $name
    fi
}

# ---- case: a Drupal cron container, its Supercronic crontab through the applet ----
case_cron() {
    echo "== e2e: $cron_image (CMD supercronic /etc/crontab), --read-only --cap-drop ALL, no-new-privileges"
    local name=tend-e2e-cron
    # The image's crontab, unchanged, in a file the suite can edit later.
    local crontab=$work/crontab
    cp "$cron_example/rootfs/etc/crontab" "$crontab" && chmod 644 "$crontab"
    podman run -d --name $name "${ulimits[@]}" "${hardened[@]}" -e TZ=Europe/Berlin \
        -v "$crontab:/etc/crontab:ro" "$cron_image" >/dev/null || { fail "cron: podman run"; return; }
    local pid; pid=$(container_pid $name)
    local logs=$work/cron.log
    command podman logs $name >"$logs" 2>&1
    # L: the job's next run is 23:55 on the last day of this month (in TZ's zone).
    local last_day; last_day=$(TZ=Europe/Berlin date -d "$(date +%Y-%m-01) +1 month -1 day" +%Y-%m-%d)
    if wait_until 10 sh -c "command podman logs $name 2>&1 | grep -q \"crontab-2: scheduled '55 23 L \* \*', next run $last_day 23:55:00\""; then
        pass "cron: the L job is scheduled for the last day of the month ($last_day 23:55)"
    else
        fail "cron: no L schedule for $last_day 23:55; logs: $(command podman logs $name 2>&1 | tail -n 8)"
    fi
    check "cron: tend is PID 1 under the name supercronic, as www-data (uid 33)" \
        test "$(comm_of "$pid")" = supercronic -a "$(field "$pid" Uid)" = 33
    # An edited crontab: a job every second (7 fields, seconds first), then SIGUSR2.
    echo '* * * * * * * echo "tick $(date +%s) uid $(id -u)"' >>"$crontab"
    command podman kill --signal USR2 $name >/dev/null
    if wait_until 10 sh -c "[ \$(command podman logs $name 2>&1 | grep -c 'crontab-3 | tick ') -ge 3 ]"; then
        local seconds; seconds=$(command podman logs $name 2>&1 | sed -n 's/.*crontab-3 | tick \([0-9]*\) uid 33$/\1/p' | sort -u | wc -l)
        check "cron: SIGUSR2 picked up the edited crontab: a job every second, as uid 33 ($seconds distinct seconds)" [ "$seconds" -ge 3 ]
    else
        fail "cron: no every-second job after SIGUSR2; logs: $(command podman logs $name 2>&1 | tail -n 8)"
    fi
    check "cron: the reload kept PID 1 (same container pid)" [ "$(container_pid $name)" = "$pid" ]
    check "cron: no zombie under tend after the runs" no_zombie_under "$pid"
    command podman stop -t 10 $name >/dev/null
    local code; code=$(command podman inspect -f '{{.State.ExitCode}}' $name)
    check "cron: podman stop ends the container cleanly (exit 0, got $code)" [ "$code" = 0 ]
    command podman rm -f $name >/dev/null

    # -test on a broken crontab: exit 1, the line named.
    printf '* * * * * ok\n61 * * * * echo broken\n' >"$work/broken-crontab"
    chmod 644 "$work/broken-crontab"
    local out; out=$(podman run --rm "${ulimits[@]}" -v "$work/broken-crontab:/etc/crontab:ro" "$cron_image" \
        supercronic -test /etc/crontab 2>&1); code=$?
    if [ "$code" = 1 ] && [[ $out == *"/etc/crontab:2: bad crontab line '61 * * * * echo broken'"* ]]; then
        pass "cron: supercronic -test on a broken crontab exits 1 naming /etc/crontab:2"
    else
        fail "cron: supercronic -test on a broken crontab: exit $code, output: $out"
    fi
}

# ---- case: an s6-overlay v2 tree with a log/run (s6-log, tend's applet) ----
v2log_image=tend-e2e-s6-v2-logger:$version
case_s6_v2_logger() {
    echo "== e2e: an s6-overlay v2 tree whose log/run is s6-log, on a read-only root"
    timed "build $v2log_image" build v2log --build-arg TEND_IMAGE="$under_test" -t "$v2log_image" \
        "$repo/tests/e2e/s6-v2-logger" || { fail "build: $v2log_image"; return; }
    # check() has a local `name`: the helpers below use their own variable.
    local name=tend-e2e-v2log
    v2log_name=$name
    podman run -d --name $name "${ulimits[@]}" --read-only --tmpfs /run --tmpfs /tmp "$v2log_image" >/dev/null ||
        { fail "v2 logger: podman run"; return; }
    v2log_has() { command podman exec "$v2log_name" grep -q "$1" /run/log/ticker/current 2>/dev/null; }
    v2log_ticks() { # the tick numbers in the log dir, sorted, each once
        command podman exec "$v2log_name" sh -c 'cat /run/log/ticker/@*.s /run/log/ticker/current 2>/dev/null' |
            sed -n 's/.*tick \([0-9]*\)$/\1/p' | sort -nu
    }
    v2log_gapless() { v2log_ticks | awk 'NR > 1 && $1 != last + 1 { exit 1 } { last = $1 }'; }
    v2log_past() { [ "$(v2log_ticks | tail -n 1)" -ge "$1" ] 2>/dev/null; }
    if wait_until 20 v2log_has 'tick 3$'; then
        pass "v2 logger: the service's lines arrive in the logger's /run/log/ticker/current"
    else
        fail "v2 logger: no 'tick 3' in current; logs: $(command podman logs $name 2>&1 | tail -n 8)"
        command podman rm -f $name >/dev/null; return
    fi
    check "v2 logger: each line carries s6-log's ISO 8601 time stamp (T)" \
        sh -c "command podman exec $name head -n 1 /run/log/ticker/current |
               grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}'"
    check "v2 logger: the logger runs as the supervised service ticker-log" \
        sh -c "command podman exec $name /init ctl status --json | grep -q '\"name\":\"ticker-log\",\"state\":\"running\"'"
    check "v2 logger: the log dir rotates (s4096: an archived @....s file)" \
        wait_until 30 sh -c "command podman exec $name ls /run/log/ticker | grep -q '^@.*\.s\$'"
    # Restart the logger, then the service: the pipe tend holds keeps every line.
    command podman exec $name /init ctl restart ticker-log >/dev/null 2>&1 || fail "v2 logger: ctl restart ticker-log"
    sleep 1
    command podman exec $name /init ctl restart ticker >/dev/null 2>&1 || fail "v2 logger: ctl restart ticker"
    local last; last=$(v2log_ticks | tail -n 1)
    check "v2 logger: lines go on after both restarts (past tick $((last + 20)))" wait_until 20 v2log_past $((last + 20))
    check "v2 logger: no line lost across the restarts (ticks $(v2log_ticks | head -n 1)..$(v2log_ticks | tail -n 1) without a gap)" \
        v2log_gapless
    command podman stop -t 10 $name >/dev/null
    local code; code=$(command podman inspect -f '{{.State.ExitCode}}' $name)
    check "v2 logger: podman stop ends the container with 0 (got $code)" [ "$code" = 0 ]
    command podman rm -f $name >/dev/null
}

# `tests/e2e/run.sh case_kube case_init` runs only those cases.
cases=${*:-case_demo case_seed_hardened case_seed_same_user case_cmd_user_killed case_init case_kube case_compose case_linuxserver case_cron case_s6_v2_logger}
for case_fn in $cases; do
    timed "$case_fn" "$case_fn"
done

echo "== e2e: $passes passed, $failures failed in $(elapsed "$suite_start" "$(now)") s"
[ "$failures" = 0 ]
