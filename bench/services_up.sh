# Sourced by bench/rss.sh and bench/steady.sh: a sleep without a fork, and
# the wait for tend as PID 1 of an `unshare --pid --fork` to run its services.
exec {nap_fd}<> <(:)
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }

# wait_for_services UNSHARE_PID COUNT: sets init_pid to tend's host pid once
# COUNT of its children run `sleep` (the benches' services), or after 60 s.
wait_for_services() {
    local unshare_pid=$1 count=$2 t running kid comm
    init_pid=
    for ((t = 0; t < 6000; t++)); do
        read -r init_pid _ <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true
        if [[ -n $init_pid ]]; then
            running=0
            for kid in $(cat /proc/"$init_pid"/task/*/children 2>/dev/null); do
                read -r comm <"/proc/$kid/comm" 2>/dev/null || comm=
                [[ $comm == sleep ]] && running=$((running + 1))
            done
            ((running >= count)) && break
        fi
        nap 0.01
    done
}
