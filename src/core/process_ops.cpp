#include "tend/core/process_ops.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace tend::core {

std::expected<pid_t, process::SpawnFailure> SystemProcessOps::spawn(const process::SpawnPlan& plan) {
    return process::spawn(plan);
}

namespace {

// Sends the signal as `owner`: same uid, so no CAP_KILL is needed. The child
// makes only async-signal-safe calls and is reaped right here.
void signal_as(const process::IdentityChange& owner, pid_t pgid, int signo) {
    pid_t child = ::fork();
    if (child < 0) return;
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 && errno != EPERM) ::_exit(1);
        if (::setresgid(owner.gid, owner.gid, owner.gid) != 0) ::_exit(1);
        if (::setresuid(owner.uid, owner.uid, owner.uid) != 0) ::_exit(1);
        ::_exit(::kill(-pgid, signo) == 0 ? 0 : 1);
    }
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

void SystemProcessOps::signal_group(pid_t pgid, int signo, const process::IdentityChange* owner) {
    if (pgid <= 1) return;  // never -1 or our own group by accident
    if (::kill(-pgid, signo) == 0 || errno != EPERM || owner == nullptr) return;
    signal_as(*owner, pgid, signo);
}

bool SystemProcessOps::group_alive(pid_t pgid) {
    if (pgid <= 1) return false;
    return ::kill(-pgid, 0) == 0 || errno == EPERM;
}

}  // namespace tend::core
