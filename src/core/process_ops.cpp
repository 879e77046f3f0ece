#include "tend/core/process_ops.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "tend/config/service_config.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {

std::expected<pid_t, process::SpawnFailure> SystemProcessOps::spawn(const process::SpawnPlan& plan) {
    return children_.spawn(plan);
}

void SystemProcessOps::signal_group(pid_t pgid, int signo, const process::IdentityChange* owner) {
    if (pgid <= 1) return;  // never -1 or our own group by accident
    // A child still starting (child_watch.hpp) gets any signal but SIGKILL
    // after its exec: before its setsid its group does not exist, and what
    // reaches it before it has dropped the signals pending at its setsid is
    // dropped with them.
    if (signo != SIGKILL && children_.starting(pgid)) {
        std::optional<process::IdentityChange> identity;
        if (owner) identity = *owner;
        children_.when_started(pgid, [this, pgid, signo, identity] {
            signal_group(pgid, signo, identity ? &*identity : nullptr);
        });
        return;
    }
    int kill_error = ::kill(-pgid, signo) == 0 ? 0 : errno;
    // SIGKILL before the setsid: to the pid (EPERM: it has switched user, so
    // it has its session by now, and the group is signalled as that uid below).
    if (kill_error == ESRCH && children_.starting(pgid)) kill_error = ::kill(pgid, SIGKILL) == 0 ? 0 : errno;
    if (kill_error != EPERM || owner == nullptr) return;
    const uid_t uid = owner->uid;
    children_.act_as(owner->uid, owner->gid, {{-pgid, signo}}, [pgid, signo, uid](int error) {
        if (error == ETIMEDOUT)
            log::error("the helper sending {} to process group {} as uid {} did not finish within {} ms: "
                       "something stalls it; tend killed it and goes on",
                       config::signal_name(signo), pgid, uid, process::ChildWatch::kHelperDeadline.count());
        else if (error != 0)
            log::warn("cannot send {} to process group {}: tend may not signal uid {} and cannot act as it: {}",
                      config::signal_name(signo), pgid, uid, std::strerror(error));
    });
}

bool SystemProcessOps::group_alive(pid_t pgid) {
    if (pgid <= 1) return false;
    return ::kill(-pgid, 0) == 0 || errno == EPERM;
}

}  // namespace tend::core
