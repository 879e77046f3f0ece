// Starting a process with exactly the privileges its plan allows, without
// ever waiting for it.
//
// Everything is decided in the parent: argv, envp, numeric ids, group list,
// limits and capability masks are laid out in plain arrays before the child
// is forked, so the child makes only async-signal-safe system calls, in the
// order below (the reasons: docs/security.md):
//
//   setsid/setpgid -> signals sent to tend's group before that discarded ->
//   rlimits, umask, chdir -> capabilities prepared (bounding set, keep-caps)
//   -> setgroups -> setresgid -> setresuid -> verify (ids equal the target;
//   setresuid(0) fails for a non-root target) -> capability sets and ambient
//   caps -> no_new_privs -> signal mask emptied -> stdio, notification fd,
//   stdin -> Landlock (`paths`, process/landlock.hpp) -> exec
//
// spawn() returns as soon as the child exists: tend never waits for it (see
// the rule at the top of src/process/spawn.cpp). A failing step writes
// (stage, errno, detail) into a close-on-exec status pipe and the child
// exits 127; the exec closes the pipe. The caller keeps the read end
// (non-blocking) and learns the outcome from it: EOF without a report means
// the program runs; a report means it never did. ChildWatch
// (child_watch.hpp) reads it from the event loop and hands the failure over
// when the child is reaped.
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
#include "tend/sys/fd.hpp"

namespace tend::process {

enum class SpawnStage : int {
    Fork,        // the fork that makes the child (e.g. out of pids or memory)
    StatusPipe,  // the pipe that would carry the child's report (out of fds)
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
    Stdin,
    Exec,
};

// "set resource limit", "change to user", ... for `cannot <stage>: <error>`.
const char* describe(SpawnStage stage);

struct SpawnFailure {
    SpawnStage stage = SpawnStage::Fork;
    int error = 0;
    std::string detail;  // the limit's name for SpawnStage::Rlimit, the directory for SpawnStage::Chdir,
                         // the file exec could not run for SpawnStage::Exec
    std::string reason;  // replaces strerror(error) when it says more: "its interpreter /x does not exist"

    // "cannot set limit nofile: Operation not permitted",
    // "cannot exec /usr/bin/execlineb: its interpreter /usr/lib/execline/bin/execlineb does not exist"
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
    bool stdin_null = false;  // /dev/null as fd 0 (services, finish, scheduled runs); false: tend's
    // A logger's stdin: the read end of the pipe its producer writes to,
    // placed on fd 0 instead of /dev/null. Must be 3 or above (0..2 are
    // replaced first) and differ from notification_fd_number.
    int stdin_fd = -1;
    int stdout_fd = -1;  // -1: inherit tend's
    int stderr_fd = -1;
    int notification_fd_number = -1;  // fd number the service writes to
    int notification_fd = -1;         // our pipe's write end to place there
};

// A started child and the read end of its status pipe (non-blocking,
// close-on-exec).
struct SpawnedChild {
    pid_t pid = -1;
    sys::UniqueFd status;
};

// Forks the child and returns at once. Fails only when the child could not
// be made (SpawnStage::Fork, SpawnStage::StatusPipe); every later failure
// comes through the status pipe.
std::expected<SpawnedChild, SpawnFailure> spawn(const SpawnPlan& plan);

// What the status pipe says, read without blocking.
enum class StartOutcome {
    Pending,  // nothing yet: the child is still on its way to exec
    Running,  // EOF without a report: the program was exec'd
    Failed,   // the child reported a failed step and exited 127
};
struct StartReport {
    StartOutcome outcome = StartOutcome::Pending;
    SpawnFailure failure;  // when Failed
};
StartReport read_start_report(int status_fd, const SpawnPlan& plan);

// The same from what the caller kept of the plan (ChildWatch keeps only this).
struct FailureContext {
    std::string executable;
    std::vector<std::string> limit_names;
    std::optional<std::string> workdir;
    static FailureContext of(const SpawnPlan& plan);
};
StartReport read_start_report(int status_fd, const FailureContext& context);

// For an exec that failed with ENOENT although `executable` exists: the
// script whose interpreter is missing and why ("/usr/bin/execlineb", "its
// interpreter /usr/lib/execline/bin/execlineb does not exist"), following
// shebang lines a few levels deep. nullopt when the executable itself is
// missing or nothing more can be said. Reads files: call it only on failure.
std::optional<std::pair<std::string, std::string>> explain_missing_interpreter(const std::string& executable);

// Setup phase (docs/behaviour.md): tend raises its own soft RLIMIT_NOFILE to
// the hard limit, because every service's pipes cost tend fds; from then on
// every child spawn() starts gets the original soft limit back before its
// plan's own `limits` apply, so a service sees the limit the container gave.
// Returns the original (soft, hard) pair, or nullopt when nothing changed.
std::optional<std::pair<rlim_t, rlim_t>> raise_own_nofile_limit();

}  // namespace tend::process
