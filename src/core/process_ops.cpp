#include "tend/core/process_ops.hpp"

#include <signal.h>

#include <cerrno>

namespace tend::core {

std::expected<pid_t, process::SpawnFailure> SystemProcessOps::spawn(const process::SpawnPlan& plan) {
    return process::spawn(plan);
}

void SystemProcessOps::signal_group(pid_t pgid, int signo) {
    if (pgid > 1) ::kill(-pgid, signo);  // never -1 or our own group by accident
}

bool SystemProcessOps::group_alive(pid_t pgid) {
    if (pgid <= 1) return false;
    return ::kill(-pgid, 0) == 0 || errno == EPERM;
}

}  // namespace tend::core
