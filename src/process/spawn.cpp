// spawn() starts the child the way glibc's and musl's posix_spawn do: clone
// with CLONE_VM | CLONE_VFORK on a stack of its own, instead of fork. The
// child shares tend's memory, so no page table is copied and nothing is
// copied on write afterwards (on a 2-core VM: 0.3 ms from spawn() to the
// child's exec with fork, 0.05 ms with this), and the kernel suspends tend
// until the child has exec'd or exited: when clone returns, the start has
// either happened or failed, and the child's report of a failure is already
// in tend's memory. No status pipe, no read, no extra fd.
//
// Rules for the code the child runs (run_child and what it calls), because
// it runs in tend's address space, with tend's thread-local storage (errno)
// and glibc's state as the suspended thread left it:
// - Write only its own stack and the report; allocate nothing, take no lock
//   (no malloc, no stdio, no spdlog), throw nothing.
// - Thin system-call wrappers only. setgroups/setresgid/setresuid go through
//   syscall(SYS_...): glibc's wrappers, in a process with threads (tests),
//   take glibc's thread-list lock (a deadlock if the suspended parent or
//   another thread holds it) and signal "every other thread" to switch too.
// - Leave through _exit only (exit_group of a process that is its own thread
//   group, so tend is untouched); never return, never exit.
// - No signal handler may run on the child's stack in shared memory: the
//   parent blocks every signal around the clone, the child inherits that mask
//   and resets dispositions to SIG_DFL before it empties the mask. Its
//   dispositions are its own copy (no CLONE_SIGHAND). (glibc's two internal
//   signals keep glibc's handler until exec; glibc sends them only to its
//   own threads by thread id, never to this child.)
// errno written by the child is tend's errno: the parent does not rely on
// errno across the clone, except for clone's own failure.
#include "tend/process/spawn.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace tend::process {
namespace {

// The soft RLIMIT_NOFILE tend had before raising its own (see
// raise_own_nofile_limit); children get it back. Written once in the setup
// phase, read in the child between clone and exec.
bool g_restore_nofile = false;
rlimit g_child_nofile{};

// What the child reports of a failed step, written into the parent's frame.
// stage stays kNoReport when the child exec'd (or died before reporting).
constexpr int kNoReport = -1;
struct StatusReport {
    volatile int stage = kNoReport;
    volatile int error = 0;
    volatile int detail_index = -1;
};

// Everything the child needs, as plain arrays built before the clone.
struct ChildPlan {
    const SpawnPlan* plan;
    const char* executable;
    char* const* argv;
    char* const* envp;
    const gid_t* groups;
    std::size_t group_count;
    StatusReport* report;
};

[[noreturn]] void fail(StatusReport* report, SpawnStage stage, int error, int detail_index = -1) {
    report->error = error;
    report->detail_index = detail_index;
    report->stage = static_cast<int>(stage);  // last: the parent tests this one
    // The stores above must be done before the exit that resumes the parent.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    ::_exit(127);
}

int raw_capset(std::uint64_t permitted, std::uint64_t effective, std::uint64_t inheritable) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].permitted = static_cast<std::uint32_t>(permitted);
    data[1].permitted = static_cast<std::uint32_t>(permitted >> 32);
    data[0].effective = static_cast<std::uint32_t>(effective);
    data[1].effective = static_cast<std::uint32_t>(effective >> 32);
    data[0].inheritable = static_cast<std::uint32_t>(inheritable);
    data[1].inheritable = static_cast<std::uint32_t>(inheritable >> 32);
    return static_cast<int>(::syscall(SYS_capset, &header, data));
}

int raw_capget(std::uint64_t& permitted, std::uint64_t& effective, std::uint64_t& inheritable) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return -1;
    permitted = data[0].permitted | (std::uint64_t{data[1].permitted} << 32);
    effective = data[0].effective | (std::uint64_t{data[1].effective} << 32);
    inheritable = data[0].inheritable | (std::uint64_t{data[1].inheritable} << 32);
    return 0;
}

bool kept(std::uint64_t mask, int cap) { return cap < 64 && ((mask >> cap) & 1U) != 0; }

// Places `from` on fd number `to` without close-on-exec.
bool place_fd(int from, int to) {
    if (from == to) return ::fcntl(to, F_SETFD, 0) == 0;
    return ::dup2(from, to) == to;
}

// Runs in the child between clone and exec, under the rules at the top of
// this file: async-signal-safe system calls only, no allocation, no locks, no
// exceptions, writes to its own stack and the report only.
[[noreturn]] void run_child(const ChildPlan& child) {
    const SpawnPlan& plan = *child.plan;
    StatusReport* const status = child.report;

    if (plan.group == GroupMode::NewSession) {
        if (::setsid() < 0) fail(status, SpawnStage::Session, errno);
    } else {
        if (::setpgid(0, 0) < 0) fail(status, SpawnStage::Session, errno);
        // Best effort, as tini: no terminal is not an error. Signals are still
        // blocked here, so SIGTTOU cannot stop us.
        if (plan.take_terminal && ::isatty(0)) ::tcsetpgrp(0, ::getpid());
    }

    // Lowering a soft limit never fails; the plan's own `limits` come after.
    if (g_restore_nofile) ::setrlimit(RLIMIT_NOFILE, &g_child_nofile);
    for (std::size_t i = 0; i < plan.limits.size(); ++i) {
        const auto& limit = plan.limits[i];
        rlimit value{limit.soft, limit.hard};
        if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0)
            fail(status, SpawnStage::Rlimit, errno, static_cast<int>(i));
    }
    if (plan.umask) ::umask(*plan.umask);
    if (plan.workdir && ::chdir(plan.workdir->c_str()) != 0) fail(status, SpawnStage::Chdir, errno);

    const CapabilityPlan& caps = plan.capabilities;
    const bool non_root_target = plan.identity && plan.identity->uid != 0;
    if (caps.manage) {
        for (int cap = 0; cap < 64; ++cap) {
            int in_bounding = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
            if (in_bounding < 0) break;  // past the kernel's last capability
            if (in_bounding == 0 || kept(caps.keep, cap)) continue;
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && !(errno == EPERM && caps.bounding_best_effort))
                fail(status, SpawnStage::BoundingSet, errno);
        }
        // Without keep-caps, setresuid to a non-root uid empties the permitted
        // set and the kept capabilities could not become ambient.
        if (non_root_target && caps.keep != 0 && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
            fail(status, SpawnStage::KeepCaps, errno);
    }

    if (plan.identity) {
        const IdentityChange& id = *plan.identity;
        // Raw system calls: they change this process only (see the top of the file).
        if (::syscall(SYS_setgroups, child.group_count, child.groups) != 0)
            fail(status, SpawnStage::Setgroups, errno);
        if (::syscall(SYS_setresgid, id.gid, id.gid, id.gid) != 0) fail(status, SpawnStage::Setresgid, errno);
        if (::syscall(SYS_setresuid, id.uid, id.uid, id.uid) != 0) fail(status, SpawnStage::Setresuid, errno);

        // Verify the drop instead of assuming it.
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;
        if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0)
            fail(status, SpawnStage::VerifyIds, errno);
        if (ruid != id.uid || euid != id.uid || suid != id.uid || rgid != id.gid || egid != id.gid ||
            sgid != id.gid || ::getuid() != id.uid || ::getgid() != id.gid)
            fail(status, SpawnStage::VerifyIds, EPERM);
        if (id.uid != 0 && ::syscall(SYS_setresuid, 0, 0, 0) == 0) fail(status, SpawnStage::VerifyIds, EPERM);
    }

    if (caps.manage) {
        if (raw_capset(caps.keep, caps.keep, caps.keep) != 0) fail(status, SpawnStage::Capabilities, errno);
        std::uint64_t permitted = 0, effective = 0, inheritable = 0;
        if (raw_capget(permitted, effective, inheritable) != 0) fail(status, SpawnStage::Capabilities, errno);
        if ((permitted & ~caps.keep) != 0 || (effective & ~caps.keep) != 0 || (inheritable & ~caps.keep) != 0)
            fail(status, SpawnStage::Capabilities, EPERM);
        // EINVAL: a kernel without ambient capabilities has none to clear.
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
            fail(status, SpawnStage::AmbientCaps, errno);
        if (caps.raise_ambient) {
            for (int cap = 0; cap < 64; ++cap) {
                if (kept(caps.keep, cap) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
                    fail(status, SpawnStage::AmbientCaps, errno);
            }
        }
    }

    if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(status, SpawnStage::NoNewPrivs, errno);
    // Landlock (`paths`): the ruleset was built in the parent (process/landlock.hpp).
    if (plan.landlock_ruleset_fd >= 0 && ::syscall(SYS_landlock_restrict_self, plan.landlock_ruleset_fd, 0) != 0)
        fail(status, SpawnStage::Landlock, errno);

    // Dispositions tend's own parent set to SIG_IGN would survive exec. Reset
    // before the mask is emptied, so no handler ever runs in the child.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signo = 1; signo < NSIG; ++signo) {
        if (signo == SIGKILL || signo == SIGSTOP) continue;
        ::sigaction(signo, &default_action, nullptr);  // EINVAL for glibc-reserved ones is fine
    }
    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(status, SpawnStage::Signals, errno);

    if (plan.stdout_fd >= 0 && !place_fd(plan.stdout_fd, 1)) fail(status, SpawnStage::Stdio, errno);
    if (plan.stderr_fd >= 0 && !place_fd(plan.stderr_fd, 2)) fail(status, SpawnStage::Stdio, errno);
    if (plan.notification_fd >= 0 && !place_fd(plan.notification_fd, plan.notification_fd_number))
        fail(status, SpawnStage::NotificationFd, errno);

    ::execve(child.executable, child.argv, child.envp);
    fail(status, SpawnStage::Exec, errno);
}

int child_entry(void* child) { run_child(*static_cast<const ChildPlan*>(child)); }

// The child's stack while it runs before exec: in spawn()'s frame, which is
// suspended until then. The child's deepest path (sigaction, prctl, execve
// wrappers) needs a few KiB; this leaves room for a libc that needs more.
constexpr std::size_t kChildStackSize = 64 * 1024;

// Blocks every signal in the calling thread (all of them, glibc's reserved
// ones too, as posix_spawn does) and restores the previous mask on scope exit.
class AllSignalsBlocked {
public:
    AllSignalsBlocked() {
        sigset_t all;
        ::sigfillset(&all);
        blocked_ = ::syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &previous_, kKernelSigsetSize) == 0;
    }
    ~AllSignalsBlocked() {
        if (blocked_) ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous_, nullptr, kKernelSigsetSize);
    }
    AllSignalsBlocked(const AllSignalsBlocked&) = delete;
    AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

private:
    static constexpr std::size_t kKernelSigsetSize = _NSIG / 8;
    sigset_t previous_{};
    bool blocked_ = false;
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (const auto& s : strings) result.push_back(const_cast<char*>(s.c_str()));
    result.push_back(nullptr);
    return result;
}

}  // namespace

const char* describe(SpawnStage stage) {
    switch (stage) {
        case SpawnStage::Fork: return "fork";
        case SpawnStage::Session: return "create a session";
        case SpawnStage::Rlimit: return "set limit";
        case SpawnStage::Chdir: return "change to workdir";
        case SpawnStage::BoundingSet: return "drop capabilities from the bounding set";
        case SpawnStage::KeepCaps: return "keep capabilities across the user switch";
        case SpawnStage::Setgroups: return "setgroups";
        case SpawnStage::Setresgid: return "setresgid";
        case SpawnStage::Setresuid: return "setresuid";
        case SpawnStage::VerifyIds: return "verify the user switch";
        case SpawnStage::Capabilities: return "set capabilities";
        case SpawnStage::AmbientCaps: return "set ambient capabilities";
        case SpawnStage::NoNewPrivs: return "set no_new_privs";
        case SpawnStage::Landlock: return "confine with Landlock";
        case SpawnStage::Signals: return "reset signals";
        case SpawnStage::Stdio: return "set up stdout/stderr";
        case SpawnStage::NotificationFd: return "set up notification-fd";
        case SpawnStage::Exec: return "exec";
    }
    return "start";
}

std::string SpawnFailure::message() const {
    std::string text = "cannot ";
    text += describe(stage);
    if (!detail.empty()) {
        text += ' ';
        text += detail;
    }
    text += ": ";
    text += std::strerror(error);
    return text;
}

std::expected<pid_t, SpawnFailure> spawn(const SpawnPlan& plan) {
    // All allocation happens here, before the clone.
    std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> envp = c_strings(plan.envp);
    std::vector<gid_t> groups = plan.identity ? plan.identity->groups : std::vector<gid_t>{};

    StatusReport report;
    ChildPlan child{&plan, plan.executable.c_str(), argv.data(), envp.data(), groups.data(), groups.size(),
                    &report};
    alignas(64) unsigned char stack[kChildStackSize];

    pid_t pid;
    int clone_error = 0;
    {
        AllSignalsBlocked blocked;
        // The stack grows down on every architecture tend builds for.
        pid = ::clone(child_entry, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
        if (pid < 0) clone_error = errno;
    }
    if (pid < 0) return std::unexpected(SpawnFailure{SpawnStage::Fork, clone_error, {}});
    // The child has exec'd or exited: its stores to the report are done.
    std::atomic_signal_fence(std::memory_order_seq_cst);

    // No setpgid from here: the child made its group before exec, and once
    // it has exec'd setpgid on it would fail (EACCES) anyway.
    if (report.stage == kNoReport) return pid;  // exec'd: running

    // The child reported a failure and has exited: reap it now so its exit is
    // not mistaken for a start-then-crash.
    int wstatus;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    SpawnFailure failure{static_cast<SpawnStage>(report.stage), report.error, {}};
    const int detail_index = report.detail_index;
    if (failure.stage == SpawnStage::Rlimit && detail_index >= 0 &&
        static_cast<std::size_t>(detail_index) < plan.limits.size())
        failure.detail = plan.limits[static_cast<std::size_t>(detail_index)].name;
    if (failure.stage == SpawnStage::Chdir && plan.workdir) failure.detail = *plan.workdir;
    return std::unexpected(failure);
}

std::optional<std::pair<rlim_t, rlim_t>> raise_own_nofile_limit() {
    rlimit original{};
    if (::getrlimit(RLIMIT_NOFILE, &original) != 0 || original.rlim_cur >= original.rlim_max) return std::nullopt;
    rlimit raised{original.rlim_max, original.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) return std::nullopt;
    g_child_nofile = original;
    g_restore_nofile = true;
    return std::pair{original.rlim_cur, original.rlim_max};
}

}  // namespace tend::process
