#!/bin/bash
# smoke.sh TEND: the arm64 tend as PID 1 of a PID namespace, under
# qemu-aarch64-static on an amd64 machine (qemu-user: the kernel runs the
# programs tend starts natively; no binfmt_misc needed). Three cases, each
# asserting what the namespace's /proc and tend's exit say:
#   1. an orphan re-parented to tend is reaped (its /proc entry goes away, a
#      zombie would keep it), and tend exits with the CMD's exit code;
#   2. SIGTERM: services and CMD get it, a service that ignores it is killed
#      when --services-grace runs out, tend exits 143 (the CMD's SIGTERM);
#   3. a service whose interpreter does not exist is named as such;
#   4. `tend --version` says arm64.
# What qemu-user cannot run is listed in docs/install.md (the integration
# tests read /proc/PID/exe, which is qemu there).
# Prints PASS/FAIL lines; exits 1 on any failure. Needs root (unshare).
set -u
[ $# = 1 ] || { echo "usage: $0 TEND_BINARY" >&2; exit 2; }
tend=$(realpath "$1")
failures=0
pass() { echo "PASS: arm64 smoke: $*"; }
fail() { echo "FAIL: arm64 smoke: $*"; failures=$((failures + 1)); }
qemu=$(command -v qemu-aarch64-static) || { fail "qemu-aarch64-static is not installed (qemu-user-static)"; exit 1; }
[ "$(id -u)" = 0 ] || { fail "needs root (unshare --pid)"; exit 1; }
readelf -h "$tend" | grep -q 'Machine: *AArch64$' || { fail "$tend is not an arm64 binary"; exit 1; }
work=$(mktemp -d /tmp/tend-arm64-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/none" "$work/run"
# tend as PID 1 of its own PID namespace (its final kill(-1) stays inside),
# never longer than 60 s; its own dirs only, nothing of the machine's.
pid1() {
    timeout -s KILL 60 unshare --pid --fork --mount-proc "$qemu" "$tend" \
        --cont-init-dir "$work/none" --cont-finish-dir "$work/none" --runtime-dir "$work/run" "$@"
}

# 1. An orphan is reaped; the CMD's exit code is tend's.
mkdir -p "$work/services-empty"
pid1 --services-dir "$work/services-empty" -- /bin/sh -c '
    (sleep 0.3 & echo $! > "$0/orphan.pid")
    orphan=$(cat "$0/orphan.pid")
    echo "$(cut -d" " -f4 /proc/$orphan/stat)" > "$0/orphan.ppid"
    i=0
    while [ -e /proc/$orphan ] && [ $i -lt 1000 ]; do
        cut -d" " -f3 /proc/$orphan/stat 2>/dev/null > "$0/orphan.state"; sleep 0.01; i=$((i + 1))
    done
    [ -e /proc/$orphan ] && echo left > "$0/orphan.result" || echo reaped > "$0/orphan.result"
    exit 42' "$work" >"$work/1.out" 2>"$work/1.err"
code=$?
if [ "$(cat "$work/orphan.ppid" 2>/dev/null)" = 1 ] && [ "$(cat "$work/orphan.result" 2>/dev/null)" = reaped ]; then
    pass "an orphan re-parented to tend (PID 1) was reaped"
else
    fail "orphan: parent $(cat "$work/orphan.ppid" 2>/dev/null), $(cat "$work/orphan.result" 2>/dev/null)" \
         "(last state $(cat "$work/orphan.state" 2>/dev/null)); tend said: $(cat "$work/1.err")"
fi
if [ $code = 42 ]; then pass "tend exited with the CMD's exit code 42"
else fail "tend exited $code, the CMD 42; tend said: $(cat "$work/1.err")"; fi

# 2. SIGTERM within the grace, a stubborn service included.
mkdir -p "$work/services/polite" "$work/services/stubborn"
printf '#!/bin/sh\necho $$ > %s/polite.pid\nexec sleep 1000\n' "$work" >"$work/services/polite/run"
printf "#!/bin/sh\ntrap '' TERM\necho \$\$ > %s/stubborn.pid\nexec sleep 1000\n" "$work" >"$work/services/stubborn/run"
chmod 755 "$work/services/polite/run" "$work/services/stubborn/run"
grace_ms=2000
pid1 --services-dir "$work/services" --services-grace ${grace_ms}ms -- /bin/sh -c 'echo $$ > "$0/cmd.pid"; exec sleep 1000' "$work" \
    >"$work/2.out" 2>"$work/2.err" &
launcher=$!
i=0
until [ -s "$work/polite.pid" ] && [ -s "$work/stubborn.pid" ] && [ -s "$work/cmd.pid" ] || [ $i -ge 300 ]; do
    sleep 0.1; i=$((i + 1))
done
# tend on the host: the descendant of the launcher that runs qemu (PID 1 of
# the namespace; unshare and timeout are its ancestors).
descendants() { local child; for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$child"; descendants "$child"; done; }
tend_pid=
for pid in $(descendants $launcher); do
    [ "$(tr '\0' '\n' </proc/"$pid"/cmdline 2>/dev/null | head -n 1)" = "$qemu" ] && { tend_pid=$pid; break; }
done
if [ -z "$tend_pid" ] || [ ! -s "$work/stubborn.pid" ]; then
    fail "SIGTERM: tend or its services did not start: $(cat "$work/2.err")"
    kill -KILL $launcher 2>/dev/null
else
    sent=$(date +%s%N)
    kill -TERM "$tend_pid"
    wait $launcher
    code=$?
    elapsed_ms=$((($(date +%s%N) - sent) / 1000000))
    if [ $code = 143 ]; then pass "SIGTERM: tend exited 143 (its CMD's SIGTERM) after $elapsed_ms ms"
    else fail "SIGTERM: tend exited $code, not 143; tend said: $(cat "$work/2.err")"; fi
    killed=$(grep "service stubborn" "$work/2.err" | grep SIGKILL | head -n 1)
    if [ -n "$killed" ]; then
        pass "SIGTERM: the service that ignores SIGTERM was killed when the grace (${grace_ms} ms) ran out: $killed"
    else
        fail "SIGTERM: tend did not say it killed the stubborn service; tend said: $(cat "$work/2.err")"
    fi
    # Within the grace: tend does not wait for anything longer than the grace
    # (the hard bound here leaves qemu's start-up a wide margin).
    if [ $elapsed_ms -lt $((grace_ms + 10000)) ]; then pass "SIGTERM: tend was gone within the grace plus qemu's margin"
    else fail "SIGTERM: tend took $elapsed_ms ms with a grace of $grace_ms ms"; fi
fi

# 3. A start that fails is named (the child's report through its status pipe).
mkdir -p "$work/services-bad/bad"
printf '#!/nonexistent/interpreter\n' >"$work/services-bad/bad/run"
chmod 755 "$work/services-bad/bad/run"
echo never >"$work/services-bad/bad/restart"
pid1 --services-dir "$work/services-bad" -- /bin/true >"$work/3.out" 2>"$work/3.err"
said=$(grep "service bad: run: interpreter /nonexistent/interpreter not found" "$work/3.err")
if [ -n "$said" ]; then pass "a failed start is named: $said"
else fail "a service whose interpreter does not exist: tend said: $(cat "$work/3.err")"; fi

# 4. The version names the architecture.
version=$("$qemu" "$tend" --version 2>&1)
case $version in
    *"(arm64, "*) pass "--version: $version" ;;
    *) fail "--version does not say arm64: $version" ;;
esac

[ $failures = 0 ] || { echo "arm64 smoke: $failures failure(s)"; exit 1; }
echo "arm64 smoke: all passed"
