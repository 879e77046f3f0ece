// The never-wait rule: PID 1 never waits, in any system call, on a process
// that an untrusted uid can stop, trace or slow. A child that switches to a
// service's uid may be sent SIGSTOP by every process of that uid from the
// moment of its setresuid until its exec; a child that keeps tend's identity
// may still hang in chdir or execve on a dead NFS or FUSE mount. So spawn()
// never waits for the child at all:
//
// - The child is made with fork (copy-on-write; no CLONE_VM, no CLONE_VFORK:
//   with CLONE_VFORK the kernel suspends tend until the child execs, and one
//   stopped child froze PID 1 in kernel_clone). spawn() returns its pid and
//   the read end of a close-on-exec status pipe at once.
// - A failing step writes (stage, errno, detail) to the pipe and the child
//   _exits 127. The exec closes the pipe: EOF without a report means the
//   program runs. The parent reads the pipe from the event loop
//   (ChildWatch), never blocking, and combines the report with the child's
//   reaped exit: a child that reported a failure never ran its program.
// - There is no fast path for children that keep tend's identity: the
//   measurement in bench/README.md shows what fork costs against the old
//   CLONE_VM|CLONE_VFORK (a few tenths of a millisecond per start on a small
//   VM), and the same freeze on a dead mount applies to them too.
// - Helpers that act as a uid (uid_helper.hpp) follow the same rule.
//
// Rules for the code the child runs (run_child and what it calls), between
// fork and exec: async-signal-safe system calls only, no allocation, no
// locks (no malloc, no stdio, no spdlog), no exceptions; leave through
// _exit only. setgroups/setresgid/setresuid go through syscall(SYS_...): the
// child is single-threaded, and glibc's wrappers would "switch every other
// thread" of a process that no longer has any.
//
// Fds: close-on-exec is not enough. The child holds a copy of every fd tend
// has until its exec, and a child stopped between its setresuid and its exec
// (see above) would hold them for as long as the uid likes: a control
// client's connection that tend has answered and closed would never see its
// EOF, a service's output pipe or notification pipe would never close. So
// the child's first step closes every fd but the ones its plan names
// (close_range over the gaps; where close_range is missing or refused,
// close() up to the highest fd the parent saw open).
//
// Signals: the parent blocks every signal around the fork, so the child
// starts with all of them blocked. Until its setsid (setpgid for the CMD)
// it is in tend's process group, and a signal sent to that group (a
// terminal's ^C, a flood from anyone allowed) is left pending in it; right
// after the setsid the child discards every pending signal by setting each
// disposition to SIG_IGN (which drops a pending signal) and then to SIG_DFL.
// What comes after that was sent to its own group and stays pending until
// the mask is emptied just before exec. tend itself sends a starting child
// nothing but SIGKILL before its exec (ChildWatch::when_started): a signal
// sent between the setsid and the drop would be dropped.
#include "tend/process/spawn.hpp"

#include <dirent.h>
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

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tend::process {
namespace {

// The soft RLIMIT_NOFILE tend had before raising its own (see
// raise_own_nofile_limit); children get it back. Written once in the setup
// phase, read in the child between clone and exec.
bool g_restore_nofile = false;
rlimit g_child_nofile{};

// What the child writes to the status pipe when a step fails: one write of
// a few bytes, atomic on a pipe.
struct StatusReport {
    int stage = 0;
    int error = 0;
    int detail_index = -1;
};

// Everything the child needs, as plain arrays built before the fork.
struct ChildPlan {
    const SpawnPlan* plan;
    const char* executable;
    char* const* argv;
    char* const* envp;
    const gid_t* groups;
    std::size_t group_count;
    int landlock_fd;     // plan.landlock_ruleset_fd, or a copy off the notification fd's number
    int status_fd;       // write end, close-on-exec
    // The fds the child keeps, ascending and unique: 0..2 and the plan's.
    std::array<int, 9> keep_fds;
    std::size_t keep_count;
    // -1: close_range works here (asked in the parent, whose seccomp filter
    // and kernel the child shares). Else where close() stops: the highest fd
    // that may be open.
    int fallback_last_fd;
};

// The highest fd open in this process, for when close_range is missing (a
// kernel before 5.9) or refused (older container runtimes' seccomp profiles
// answer EPERM to system calls they do not know): from /proc/self/fd, else
// the fd limit. In the parent (it allocates).
int highest_open_fd() {
    int highest = -1;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (const dirent* entry = ::readdir(dir)) highest = std::max(highest, std::atoi(entry->d_name));
        ::closedir(dir);
    }
    if (highest >= 0) return highest;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1U << 20)) - 1;
    return (1 << 20) - 1;
}

// One system call per spawn, not cached: a seccomp filter may come later
// (a test installs one). Closing the range ~0U..~0U closes nothing.
bool close_range_works() { return ::syscall(SYS_close_range, ~0U, ~0U, 0) == 0; }

// Closes fds first..last (last may be ~0U), in the child.
void close_fds(unsigned first, unsigned last, int fallback_last_fd) {
    if (first > last) return;
    if (fallback_last_fd < 0) {
        ::syscall(SYS_close_range, first, last, 0);
        return;
    }
    for (long fd = first; fd <= static_cast<long>(last) && fd <= fallback_last_fd; ++fd) ::close(static_cast<int>(fd));
}

// Closes every fd but child.keep_fds, in the child.
void close_all_but_kept(const ChildPlan& child) {
    unsigned next = 0;
    for (std::size_t i = 0; i < child.keep_count; ++i) {
        const auto kept_fd = static_cast<unsigned>(child.keep_fds[i]);
        if (kept_fd > next) close_fds(next, kept_fd - 1, child.fallback_last_fd);
        next = kept_fd + 1;
    }
    close_fds(next, ~0U, child.fallback_last_fd);
}

[[noreturn]] void fail(const ChildPlan& child, SpawnStage stage, int error, int detail_index = -1) {
    StatusReport report{static_cast<int>(stage), error, detail_index};
    // A full pipe cannot happen (it is empty and ours); EINTR cannot either
    // (every signal is blocked until just before exec).
    [[maybe_unused]] ssize_t written = ::write(child.status_fd, &report, sizeof report);
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
    const ChildPlan& status = child;
    // Before anything else, and long before the user switch from which the
    // uid may stop us (see Fds at the top): the status pipe's read end goes
    // too, leaving room for /dev/null below.
    close_all_but_kept(child);

    if (plan.group == GroupMode::NewSession) {
        if (::setsid() < 0) fail(status, SpawnStage::Session, errno);
    } else {
        // The parent calls setpgid on us as well: whichever comes first.
        if (::setpgid(0, 0) < 0 && ::getpgid(0) != ::getpid()) fail(status, SpawnStage::Session, errno);
        // Best effort, as tini: no terminal is not an error. Signals are still
        // blocked here, so SIGTTOU cannot stop us.
        if (plan.take_terminal && ::isatty(0)) ::tcsetpgrp(0, ::getpid());
    }
    // Out of tend's group now: drop what was sent to that group meanwhile
    // (SIG_IGN discards a pending signal), and leave every disposition at
    // SIG_DFL, which is also what the program must start with (a SIG_IGN
    // inherited from tend's own parent would survive exec).
    {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int signo = 1; signo < NSIG; ++signo) {
            if (signo == SIGKILL || signo == SIGSTOP) continue;
            // EINVAL for glibc's reserved ones is fine.
            ::sigaction(signo, &ignore, nullptr);
            ::sigaction(signo, &default_action, nullptr);
        }
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

    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(status, SpawnStage::Signals, errno);

    if (plan.stdout_fd >= 0 && !place_fd(plan.stdout_fd, 1)) fail(status, SpawnStage::Stdio, errno);
    if (plan.stderr_fd >= 0 && !place_fd(plan.stderr_fd, 2)) fail(status, SpawnStage::Stdio, errno);
    if (plan.notification_fd >= 0 && !place_fd(plan.notification_fd, plan.notification_fd_number))
        fail(status, SpawnStage::NotificationFd, errno);
    // Last of the fds: with tend's own fd 0 closed, any fd above may have
    // been given number 0.
    if (plan.stdin_fd >= 0) {
        if (!place_fd(plan.stdin_fd, 0)) fail(status, SpawnStage::Stdin, errno);
    } else if (plan.stdin_null) {
        int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || !place_fd(null_fd, 0)) fail(status, SpawnStage::Stdin, errno);
        if (null_fd != 0) ::close(null_fd);
    }

    // Landlock (`paths`, process/landlock.hpp; the ruleset was built in the
    // parent): after no_new_privs, which it needs, and after the /dev/null
    // above, which is tend's open, not the service's; so the exec itself is
    // the first access the rules decide.
    if (child.landlock_fd >= 0 && ::syscall(SYS_landlock_restrict_self, child.landlock_fd, 0) != 0)
        fail(status, SpawnStage::Landlock, errno);

    ::execve(child.executable, child.argv, child.envp);
    fail(status, SpawnStage::Exec, errno);
}

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
        case SpawnStage::StatusPipe: return "create the status pipe";
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
        case SpawnStage::Stdin: return "set up stdin";
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
    text += reason.empty() ? std::strerror(error) : reason;
    return text;
}

std::expected<SpawnedChild, SpawnFailure> spawn(const SpawnPlan& plan) {
    // All allocation happens here, before the fork.
    std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> envp = c_strings(plan.envp);
    std::vector<gid_t> groups = plan.identity ? plan.identity->groups : std::vector<gid_t>{};

    int ends[2];
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
        return std::unexpected(SpawnFailure{SpawnStage::StatusPipe, errno, {}, {}});
    sys::UniqueFd status_read(ends[0]);
    sys::UniqueFd status_write(ends[1]);
    // Never on 0..2, which the child replaces with its stdio, nor on the
    // notification fd's number, which it replaces after them.
    if (status_write.get() < 3 || status_write.get() == plan.notification_fd_number) {
        int moved = ::fcntl(status_write.get(), F_DUPFD_CLOEXEC, 3);
        if (moved < 0) return std::unexpected(SpawnFailure{SpawnStage::StatusPipe, errno, {}, {}});
        status_write = sys::UniqueFd(moved);
    }

    // The ruleset is applied after the notification fd is placed: not on its number either.
    sys::UniqueFd landlock_copy;
    int landlock_fd = plan.landlock_ruleset_fd;
    if (landlock_fd >= 0 && landlock_fd == plan.notification_fd_number) {
        landlock_copy = sys::UniqueFd(::fcntl(landlock_fd, F_DUPFD_CLOEXEC, 3));
        if (!landlock_copy) return std::unexpected(SpawnFailure{SpawnStage::Landlock, errno, {}, {}});
        landlock_fd = landlock_copy.get();
    }

    ChildPlan child{&plan,       plan.executable.c_str(), argv.data(), envp.data(), groups.data(), groups.size(),
                    landlock_fd, status_write.get(),      {},          0,           close_range_works() ? -1 : highest_open_fd()};
    for (int fd : {0, 1, 2, status_write.get(), plan.stdin_fd, plan.stdout_fd, plan.stderr_fd, plan.notification_fd,
                   landlock_fd}) {
        if (fd < 0) continue;
        bool known = false;
        for (std::size_t i = 0; i < child.keep_count; ++i) known = known || child.keep_fds[i] == fd;
        if (!known) child.keep_fds[child.keep_count++] = fd;
    }
    std::sort(child.keep_fds.begin(), child.keep_fds.begin() + static_cast<std::ptrdiff_t>(child.keep_count));
    pid_t pid;
    int fork_error = 0;
    {
        AllSignalsBlocked blocked;
        pid = ::fork();
        if (pid == 0) run_child(child);
        if (pid < 0) fork_error = errno;
    }
    if (pid < 0) return std::unexpected(SpawnFailure{SpawnStage::Fork, fork_error, {}, {}});
    // The CMD's group exists as soon as spawn() returns, whoever is first
    // (an EACCES after its exec, or ESRCH after its exit, changes nothing).
    if (plan.group == GroupMode::NewProcessGroup) ::setpgid(pid, pid);
    return SpawnedChild{pid, std::move(status_read)};
}

FailureContext FailureContext::of(const SpawnPlan& plan) {
    FailureContext context{plan.executable, {}, plan.workdir};
    context.limit_names.reserve(plan.limits.size());
    for (const auto& limit : plan.limits) context.limit_names.push_back(limit.name);
    return context;
}

StartReport read_start_report(int status_fd, const SpawnPlan& plan) {
    return read_start_report(status_fd, FailureContext::of(plan));
}

StartReport read_start_report(int status_fd, const FailureContext& context) {
    StatusReport raw;
    ssize_t n;
    do {
        n = ::read(status_fd, &raw, sizeof raw);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return {};  // EAGAIN: not yet
    if (n != static_cast<ssize_t>(sizeof raw)) return {StartOutcome::Running, {}};
    SpawnFailure failure{static_cast<SpawnStage>(raw.stage), raw.error, {}, {}};
    if (failure.stage == SpawnStage::Rlimit && raw.detail_index >= 0 &&
        static_cast<std::size_t>(raw.detail_index) < context.limit_names.size())
        failure.detail = context.limit_names[static_cast<std::size_t>(raw.detail_index)];
    if (failure.stage == SpawnStage::Chdir && context.workdir) failure.detail = *context.workdir;
    if (failure.stage == SpawnStage::Exec && failure.error == ENOENT) {
        if (auto missing = explain_missing_interpreter(context.executable)) {
            failure.detail = missing->first;
            failure.reason = missing->second;
        }
    }
    return {StartOutcome::Failed, std::move(failure)};
}

namespace {

// The interpreter named by a "#!" first line, or "" when there is none. The
// file is opened without blocking (a FIFO planted in place of a script
// cannot hang tend) and must be a regular file.
std::string shebang_interpreter(const std::string& file) {
    sys::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return {};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
    char head[256];
    ssize_t n = ::read(fd.get(), head, sizeof head);
    if (n < 3 || head[0] != '#' || head[1] != '!') return {};
    std::string_view line(head + 2, static_cast<std::size_t>(n - 2));
    line = line.substr(0, line.find('\n'));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    return std::string(line.substr(0, line.find_first_of(" \t")));
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> explain_missing_interpreter(const std::string& executable) {
    std::string file = executable;
    if (!exists(file)) return std::nullopt;  // the executable itself: strerror says it
    for (int depth = 0; depth < 4; ++depth) {  // the kernel follows 4 levels of interpreters
        std::string interpreter = shebang_interpreter(file);
        if (interpreter.empty()) return std::nullopt;
        if (!exists(interpreter)) {
            std::string printable;
            for (char c : interpreter) {
                if (c == '\r') printable += "\\r (the script has Windows line ends)";
                else printable += c;
            }
            return std::pair{file, "its interpreter " + printable + " does not exist"};
        }
        file = interpreter;
    }
    return std::nullopt;
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
