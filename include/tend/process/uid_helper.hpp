// Acting as another uid: the one place tend does it (signalling a service's
// group, and the final sweep's processes, when tend lacks CAP_KILL).
//
// Root without CAP_KILL (`--cap-drop ALL --cap-add SETUID,SETGID`) may not
// signal another uid's processes, but a process whose effective uid is that
// uid may. So tend forks a short-lived helper that sets only its effective
// uid (setresuid(-1, uid, -1)) and sends the signals. Its real and saved
// uids stay 0, so the target uid cannot signal it (kill() compares the
// sender's real or effective uid with the target's real or saved uid) and
// cannot ptrace it (the uid change made it non-dumpable): a process of that
// uid cannot stop the helper as it could stop one that became the uid
// fully. The helper is never waited for with a blocking waitpid: ChildWatch
// reaps it from the event loop with a deadline (child_watch.hpp).
#pragma once

#include <sys/types.h>

#include <expected>
#include <vector>

namespace tend::process {

// kill(target, signo) as the helper sends it: target is a pid, -pgid, or -1
// (every process the uid may signal, but PID 1 and the helper).
struct UidSignal {
    pid_t target = 0;
    int signo = 0;
};

// Forks the helper: effective uid `uid`, effective gid `gid` (or tend's
// with (gid_t)-1: kill() looks at uids only), no supplementary groups.
// Its exit code: 0 when it switched and sent every signal (ESRCH and EPERM
// of single kills are not its failure), else the errno of the switch.
std::expected<pid_t, int> start_uid_helper(uid_t uid, gid_t gid, const std::vector<UidSignal>& signals);

}  // namespace tend::process
