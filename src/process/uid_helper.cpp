#include "tend/process/uid_helper.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace tend::process {

std::expected<pid_t, int> start_uid_helper(uid_t uid, gid_t gid, const std::vector<UidSignal>& signals) {
    // Laid out before the fork: the child reads plain memory only.
    const UidSignal* list = signals.data();
    const std::size_t count = signals.size();
    const pid_t pid = ::fork();
    if (pid < 0) return std::unexpected(errno);
    if (pid > 0) return pid;
    // The child: async-signal-safe calls only, raw system calls (see spawn.cpp).
    // No supplementary groups and the target's gid as effective gid: the
    // helper holds nothing of root's but the saved and real ids.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0 && errno != EPERM) ::_exit(errno > 0 && errno < 256 ? errno : EPERM);
    if (::syscall(SYS_setresgid, -1, gid, -1) != 0) ::_exit(errno > 0 && errno < 256 ? errno : EPERM);
    if (::syscall(SYS_setresuid, -1, uid, -1) != 0) ::_exit(errno > 0 && errno < 256 ? errno : EPERM);
    if (::geteuid() != uid) ::_exit(EPERM);
    for (std::size_t i = 0; i < count; ++i) ::kill(list[i].target, list[i].signo);
    ::_exit(0);
}

}  // namespace tend::process
