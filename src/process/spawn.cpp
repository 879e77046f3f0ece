#include "tend/process/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/sys/fd.hpp"

namespace tend::process {
namespace {

// The soft RLIMIT_NOFILE tend had before raising its own (see
// raise_own_nofile_limit); children get it back. Written once in the setup
// phase, read in the child between fork and exec.
bool g_restore_nofile = false;
rlimit g_child_nofile{};

// What the child reports through the status pipe.
struct StatusReport {
    int stage;
    int error;
    int detail_index;
};

// Everything the child needs, as plain arrays built before fork.
struct ChildPlan {
    const SpawnPlan* plan;
    const char* executable;
    char* const* argv;
    char* const* envp;
    const gid_t* groups;
    std::size_t group_count;
    int status_fd;
};

[[noreturn]] void fail(int status_fd, SpawnStage stage, int error, int detail_index = -1) {
    StatusReport report{static_cast<int>(stage), error, detail_index};
    // A short write is impossible for a pipe write this small; nothing else to do on error.
    [[maybe_unused]] ssize_t n = ::write(status_fd, &report, sizeof report);
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

// Runs in the child between fork and exec: async-signal-safe calls only, no
// allocation, no locks, no exceptions.
[[noreturn]] void run_child(const ChildPlan& child) {
    const SpawnPlan& plan = *child.plan;
    const int status = child.status_fd;

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
        if (::setgroups(child.group_count, child.groups) != 0)
            fail(status, SpawnStage::Setgroups, errno);
        if (::setresgid(id.gid, id.gid, id.gid) != 0) fail(status, SpawnStage::Setresgid, errno);
        if (::setresuid(id.uid, id.uid, id.uid) != 0) fail(status, SpawnStage::Setresuid, errno);

        // Verify the drop instead of assuming it.
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;
        if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0)
            fail(status, SpawnStage::VerifyIds, errno);
        if (ruid != id.uid || euid != id.uid || suid != id.uid || rgid != id.gid || egid != id.gid ||
            sgid != id.gid || ::getuid() != id.uid || ::getgid() != id.gid)
            fail(status, SpawnStage::VerifyIds, EPERM);
        if (id.uid != 0 && ::setresuid(0, 0, 0) == 0) fail(status, SpawnStage::VerifyIds, EPERM);
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

    // Dispositions tend's own parent set to SIG_IGN would survive exec.
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
        case SpawnStage::StatusPipe: return "create the status pipe";
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
    // All allocation happens here, before fork.
    std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> envp = c_strings(plan.envp);
    std::vector<gid_t> groups = plan.identity ? plan.identity->groups : std::vector<gid_t>{};

    auto status_pipe = sys::make_pipe();
    if (!status_pipe) return std::unexpected(SpawnFailure{SpawnStage::StatusPipe, status_pipe.error(), {}});

    ChildPlan child{&plan, plan.executable.c_str(), argv.data(), envp.data(), groups.data(), groups.size(),
                    status_pipe->write.get()};
    pid_t pid = ::fork();
    if (pid < 0) return std::unexpected(SpawnFailure{SpawnStage::Fork, errno, {}});
    if (pid == 0) run_child(child);

    // Also from the parent, so the group exists before anyone signals it.
    if (plan.group == GroupMode::NewProcessGroup) ::setpgid(pid, pid);
    status_pipe->write.reset();

    StatusReport report{};
    ssize_t n;
    do {
        n = ::read(status_pipe->read.get(), &report, sizeof report);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return pid;  // exec closed the pipe: running

    // The child reported a failure and is exiting: reap it now so its exit is
    // not mistaken for a start-then-crash.
    int wstatus;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    SpawnFailure failure;
    if (n != static_cast<ssize_t>(sizeof report)) {
        failure = {SpawnStage::Exec, n < 0 ? errno : EIO, {}};
    } else {
        failure = {static_cast<SpawnStage>(report.stage), report.error, {}};
        if (failure.stage == SpawnStage::Rlimit && report.detail_index >= 0 &&
            static_cast<std::size_t>(report.detail_index) < plan.limits.size())
            failure.detail = plan.limits[static_cast<std::size_t>(report.detail_index)].name;
    }
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
