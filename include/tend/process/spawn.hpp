// Starting a process with exactly the privileges its plan allows.
//
// Everything is decided in the parent: argv, envp, numeric ids, group list,
// limits and capability masks are laid out in plain arrays before the child
// is made (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does), so
// the child makes only async-signal-safe system calls, in the SPEC's order:
//
//   setsid/setpgid -> rlimits, umask, chdir -> capabilities prepared
//   (bounding set, keep-caps) -> setgroups -> setresgid -> setresuid ->
//   verify (ids equal the target; setresuid(0) fails for a non-root target)
//   -> capability sets and ambient caps -> no_new_privs -> Landlock
//   (`paths`, process/landlock.hpp) -> signal mask and
//   dispositions reset -> stdio and notification fd -> exec
//
// A failing step writes (stage, errno) into a report in the parent's memory
// and the child exits; the parent is suspended until the child has exec'd or
// exited, so spawn() returns either a running pid or the exact stage that
// failed. The rules the child's code follows are in src/process/spawn.cpp.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "tend/config/service_config.hpp"

namespace tend::process {

enum class SpawnStage : int {
    Fork,  // the clone that makes the child (e.g. out of pids or memory)
    Session,
    Rlimit,
    Chdir,
    BoundingSet,
    KeepCaps,
    Setgroups,
    Setresgid,
    Setresuid,
    VerifyIds,
    Capabilities,
    AmbientCaps,
    NoNewPrivs,
    Landlock,
    Signals,
    Stdio,
    NotificationFd,
    Exec,
};

// "set resource limit", "change to user", ... for `cannot <stage>: <error>`.
const char* describe(SpawnStage stage);

struct SpawnFailure {
    SpawnStage stage = SpawnStage::Fork;
    int error = 0;
    std::string detail;  // the limit's name for SpawnStage::Rlimit, the directory for SpawnStage::Chdir

    // "cannot set limit nofile: Operation not permitted"
    std::string message() const;
    // As a shell reports a command it could not run: 127 when the executable
    // does not exist, 126 for every other failure.
    int shell_code() const { return stage == SpawnStage::Exec && error == ENOENT ? 127 : 126; }
};

enum class GroupMode {
    NewSession,       // services, finish and cont-init scripts: setsid
    NewProcessGroup,  // the CMD: its own group, possibly the tty's foreground
};

struct IdentityChange {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

struct CapabilityPlan {
    bool manage = false;         // false: keep tend's own sets untouched
    std::uint64_t keep = 0;      // bit N = capability N
    bool raise_ambient = false;  // non-root target with kept capabilities
    // Without CAP_SETPCAP the bounding set cannot shrink. With no_new_privs a
    // leftover bounding capability cannot be gained by exec, so the caller
    // may allow that instead of refusing the start.
    bool bounding_best_effort = false;
};

struct SpawnPlan {
    std::string executable;  // path passed to execve
    std::vector<std::string> argv;
    std::vector<std::string> envp;  // NAME=value
    GroupMode group = GroupMode::NewSession;
    bool take_terminal = false;  // make the new group the foreground of tty fd 0
    std::vector<config::ResourceLimit> limits;
    std::optional<mode_t> umask;
    std::optional<std::string> workdir;
    std::optional<IdentityChange> identity;
    CapabilityPlan capabilities;
    bool no_new_privs = false;
    // A Landlock ruleset (`paths`), applied after no_new_privs; -1: none.
    int landlock_ruleset_fd = -1;
    int stdout_fd = -1;  // -1: inherit tend's
    int stderr_fd = -1;
    int notification_fd_number = -1;  // fd number the service writes to
    int notification_fd = -1;         // our pipe's write end to place there
};

std::expected<pid_t, SpawnFailure> spawn(const SpawnPlan& plan);

// Setup phase (SPEC, fine points): tend raises its own soft RLIMIT_NOFILE to
// the hard limit, because every service's pipes cost tend fds; from then on
// every child spawn() starts gets the original soft limit back before its
// plan's own `limits` apply, so a service sees the limit the container gave.
// Returns the original (soft, hard) pair, or nullopt when nothing changed.
std::optional<std::pair<rlim_t, rlim_t>> raise_own_nofile_limit();

}  // namespace tend::process
