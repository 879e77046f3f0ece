// How spawn() reports a start and a failure. The child is forked and never
// waited for: spawn() returns at once, and a failed step comes back through
// the close-on-exec status pipe (read_start_report) with its exact stage.
// These pin down that, that a signal sent to the caller's process group before the
// child's setsid does not reach the program, that the child changes nothing
// of the caller's (signal mask, pending signals, threads' ids), and that a
// missing interpreter of an interpreter is named.
//
// Each case runs in a forked process, so a full fd table, a blocked signal or
// a broken privilege drop cannot leak into the test runner; the case sends
// back one line of text through a pipe.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <iterator>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tend/process/spawn.hpp"

namespace {

using tend::process::SpawnPlan;
using tend::process::SpawnStage;

std::string in_a_forked_process(const std::function<std::string()>& body) {
    int report[2];
    if (::pipe(report) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(report[0]);
        const std::string text = body();
        [[maybe_unused]] ssize_t n = ::write(report[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string text;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(report[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return text;
}

SpawnPlan plan_for(std::string executable, std::vector<std::string> argv) {
    SpawnPlan plan;
    plan.executable = std::move(executable);
    plan.argv = std::move(argv);
    return plan;
}

// "exit N", "signal N" or what went wrong, for a pid spawn() returned.
std::string how_it_ended(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    return "signal " + std::to_string(WTERMSIG(status));
}

// Spawns, reaps the child, then reads its status pipe (complete once it has
// exited): "stage=<n> <message> shell=<code> exit 127" for a failed step,
// "started exit N" for a program that ran.
std::string failure_text(const SpawnPlan& plan) {
    auto spawned = tend::process::spawn(plan);
    if (!spawned) return "not forked: " + spawned.error().message();
    const std::string ended = how_it_ended(spawned->pid);
    auto report = tend::process::read_start_report(spawned->status.get(), plan);
    if (report.outcome == tend::process::StartOutcome::Running) return "started " + ended;
    if (report.outcome == tend::process::StartOutcome::Pending) return "no EOF after the exit: " + ended;
    return "stage=" + std::to_string(static_cast<int>(report.failure.stage)) + " " + report.failure.message() +
           " shell=" + std::to_string(report.failure.shell_code()) + " " + ended;
}

std::string stage_text(SpawnStage stage) { return "stage=" + std::to_string(static_cast<int>(stage)) + " "; }

// The status pipe needs two fds; without them spawn says so instead of
// starting a child whose failure nobody could hear.
TEST(Spawn, AFullFdTableIsReportedAsTheStatusPipe) {
    const std::string text = in_a_forked_process([] {
        rlimit limit{64, 64};
        ::setrlimit(RLIMIT_NOFILE, &limit);
        while (::fcntl(0, F_DUPFD_CLOEXEC, 0) >= 0) {
        }
        if (errno != EMFILE) return std::string("could not fill the fd table");
        return failure_text(plan_for("/bin/sh", {"sh", "-c", "exit 7"}));
    });
    EXPECT_EQ(text, "not forked: cannot create the status pipe: Too many open files");
}

// With two fds free (the pipe), the child still finds room for /dev/null.
TEST(Spawn, StartsWithAnAlmostFullFdTable) {
    const std::string text = in_a_forked_process([] {
        rlimit limit{64, 64};
        ::setrlimit(RLIMIT_NOFILE, &limit);
        int last = -1, before_last = -1;
        for (int fd; (fd = ::fcntl(0, F_DUPFD_CLOEXEC, 0)) >= 0;) {
            before_last = last;
            last = fd;
        }
        ::close(last);
        ::close(before_last);
        SpawnPlan plan = plan_for("/bin/sh", {"sh", "-c", "exit 7"});
        plan.stdin_null = true;
        return failure_text(plan);
    });
    EXPECT_EQ(text, "started exit 7");
}

TEST(Spawn, AMissingExecutableIsAnExecFailureWithEnoent) {
    const std::string text =
        in_a_forked_process([] { return failure_text(plan_for("/nonexistent/tend-test", {"tend-test"})); });
    EXPECT_EQ(text, stage_text(SpawnStage::Exec) + "cannot exec: No such file or directory shell=127 exit 127");
}

// A script whose interpreter is itself a script with a missing interpreter
// (Debian's /usr/bin/execlineb wrapper in an image without
// /usr/lib/execline/bin/execlineb): the message names that one.
TEST(Spawn, AMissingInterpreterOfAnInterpreterIsNamed) {
    char dir_template[] = "/tmp/tend-spawn-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    {
        std::ofstream(dir + "/execlineb") << "#!" << dir << "/lib/execlineb -S0\n";
        std::ofstream(dir + "/run") << "#!" << dir << "/execlineb -P\ns6-svscanctl -t /run/service\n";
        std::ofstream(dir + "/crlf") << "#!/bin/sh\r\nexit 0\r\n";
    }
    ::chmod((dir + "/execlineb").c_str(), 0755);
    ::chmod((dir + "/run").c_str(), 0755);
    ::chmod((dir + "/crlf").c_str(), 0755);
    const std::string text = in_a_forked_process([&] { return failure_text(plan_for(dir + "/run", {"run"})); });
    const std::string crlf = in_a_forked_process([&] { return failure_text(plan_for(dir + "/crlf", {"crlf"})); });
    std::filesystem::remove_all(dir);
    EXPECT_EQ(text, stage_text(SpawnStage::Exec) + "cannot exec " + dir + "/execlineb: its interpreter " + dir +
                        "/lib/execlineb does not exist shell=127 exit 127");
    EXPECT_EQ(crlf, stage_text(SpawnStage::Exec) + "cannot exec " + dir +
                        "/crlf: its interpreter /bin/sh\\r (the script has Windows line ends) does not exist "
                        "shell=127 exit 127");
}

TEST(Spawn, AFailedStepIsReportedWithItsStageAndDetail) {
    const std::string limit_text = in_a_forked_process([] {
        SpawnPlan plan = plan_for("/bin/true", {"true"});
        // The second limit is invalid (soft above hard): the index names it.
        plan.limits = {{RLIMIT_CORE, 0, 0, "core"}, {RLIMIT_NOFILE, 64, 32, "nofile"}};
        return failure_text(plan);
    });
    EXPECT_EQ(limit_text,
              stage_text(SpawnStage::Rlimit) + "cannot set limit nofile: Invalid argument shell=126 exit 127");

    const std::string chdir_text = in_a_forked_process([] {
        SpawnPlan plan = plan_for("/bin/true", {"true"});
        plan.workdir = "/nonexistent/tend-test-dir";
        return failure_text(plan);
    });
    EXPECT_EQ(chdir_text, stage_text(SpawnStage::Chdir) +
                              "cannot change to workdir /nonexistent/tend-test-dir: No such file or directory "
                              "shell=126 exit 127");
}

// A signal sent to the caller's process group while the child is still in
// it (before its setsid) is dropped by the child, not left pending for the
// program: the flood of signals to tend's group that killed new services.
TEST(Spawn, ASignalToTheCallersGroupBeforeTheSetsidDoesNotReachTheProgram) {
    const std::string text = in_a_forked_process([] {
        ::setpgid(0, 0);  // a group of our own, so the flood reaches nobody else
        sigset_t hup;
        sigemptyset(&hup);
        sigaddset(&hup, SIGHUP);
        ::pthread_sigmask(SIG_BLOCK, &hup, nullptr);  // as tend: signals come through signalfd
        std::string result;
        for (int i = 0; i < 200; ++i) {
            SpawnPlan plan = plan_for("/bin/sh", {"sh", "-c", "exit 0"});
            plan.stdin_null = true;
            auto spawned = tend::process::spawn(plan);
            if (!spawned) return spawned.error().message();
            ::kill(0, SIGHUP);  // to our group: the child too if it has not left it yet
            std::string ended = how_it_ended(spawned->pid);
            if (ended != "exit 0") result += ended + "; ";
        }
        return result.empty() ? std::string("all exit 0") : result;
    });
    EXPECT_EQ(text, "all exit 0");
}

// stdin_null gives the program /dev/null as fd 0; without it fd 0 is the caller's.
TEST(Spawn, StdinNullPutsDevNullOnFdZero) {
    const std::string text = in_a_forked_process([] {
        SpawnPlan plan = plan_for("/bin/sh", {"sh", "-c", "test \"$(readlink /proc/self/fd/0)\" = /dev/null"});
        plan.stdin_null = true;
        return failure_text(plan);
    });
    EXPECT_EQ(text, "started exit 0");
}

// Spawns `plan` running a shell that lists its own fds on stdout (through a
// close-on-exec pipe, as tend's output pipes are): "exit 0: 0 1 2 3 ...".
// The shell's `cd` and glob open one fd of their own (the directory).
std::string fds_the_program_sees(SpawnPlan plan) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return "pipe failed";
    plan.executable = "/bin/sh";
    plan.argv = {"sh", "-c", "cd /proc/self/fd && echo *"};
    plan.stdout_fd = out[1];
    auto spawned = tend::process::spawn(plan);
    ::close(out[1]);
    if (!spawned) return "not forked: " + spawned.error().message();
    std::string listed;
    char buffer[256];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) listed.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    return how_it_ended(spawned->pid) + ": " + listed;
}

// The child closes every fd its plan does not name as its first step, not
// at its exec: a child stopped before its exec (any process of the service's
// uid may stop it once it switched) must not hold tend's fds, such as a
// control client's connection tend has answered and closed. Fds without
// close-on-exec show it here: the program sees only 0..2 and the
// notification fd, whatever the caller had open.
TEST(Spawn, TheChildKeepsOnlyTheFdsOfItsPlanFromItsFirstStep) {
    const std::string text = in_a_forked_process([] {
        int leaked[2], notify[2];
        if (::pipe(leaked) != 0 || ::pipe2(notify, O_CLOEXEC) != 0) return std::string("pipe failed");
        if (::fcntl(leaked[0], F_DUPFD, 900) < 0) return std::string("dup failed");  // past a gap, without close-on-exec
        SpawnPlan plan;
        plan.notification_fd = notify[1];
        plan.notification_fd_number = 5;
        return fds_the_program_sees(plan);
    });
    EXPECT_EQ(text, "exit 0: 0 1 2 3 5\n");
}

// The same where close_range is refused: older container runtimes' seccomp
// profiles answer EPERM to system calls they do not know, a kernel before
// 5.9 ENOSYS. A filter makes it so here; the child closes one by one.
TEST(Spawn, TheChildKeepsOnlyItsFdsAlsoWhereCloseRangeIsRefused) {
    const std::string text = in_a_forked_process([] {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
            return std::string("cannot install the seccomp filter");
        if (::syscall(SYS_close_range, 1000U, 1000U, 0) == 0 || errno != EPERM) return std::string("filter not in force");
        int leaked[2];
        if (::pipe(leaked) != 0 || ::fcntl(leaked[0], F_DUPFD, 300) < 0) return std::string("pipe failed");
        return fds_the_program_sees(SpawnPlan{});
    });
    EXPECT_EQ(text, "exit 0: 0 1 2 3\n");
}

// The notification fd may be given any number (s6 services say 3, 4, ...),
// also the one the status pipe's write end got: the child still reports a
// failure through the status pipe, not into the service's notification pipe.
TEST(Spawn, ANotificationFdOnTheStatusPipesNumberDoesNotHideAFailure) {
    const std::string text = in_a_forked_process([] {
        int notify[2];
        if (::pipe2(notify, O_CLOEXEC) != 0) return std::string("pipe failed");
        const int lowest_free = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
        ::close(lowest_free);
        SpawnPlan plan = plan_for("/nonexistent/program", {"program"});
        plan.notification_fd = notify[1];
        plan.notification_fd_number = lowest_free + 1;  // the status pipe's write end, unless moved
        return failure_text(plan);
    });
    EXPECT_EQ(text, stage_text(SpawnStage::Exec) + "cannot exec: No such file or directory shell=127 exit 127");
}

// The parent blocks every signal around the fork; afterwards its mask is
// what it was, a signal pending for it is still pending for it, and the
// child starts with an empty mask and no pending signal.
TEST(Spawn, LeavesTheCallersSignalMaskAndPendingSignalsAlone) {
    const std::string text = in_a_forked_process([] {
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        ::pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
        ::raise(SIGUSR1);  // pending, blocked
        sigset_t before;
        ::pthread_sigmask(SIG_SETMASK, nullptr, &before);

        // The child checks its blocked and pending masks as the kernel shows them.
        const auto spawned = tend::process::spawn(
            plan_for("/bin/sh", {"sh", "-c", "grep -q '^SigBlk:\\s*0*$' /proc/self/status && "
                                             "grep -q '^SigPnd:\\s*0*$' /proc/self/status"}));
        if (!spawned) return spawned.error().message();
        std::string child = how_it_ended(spawned->pid);

        sigset_t after;
        ::pthread_sigmask(SIG_SETMASK, nullptr, &after);
        sigset_t pending;
        ::sigpending(&pending);
        std::string result = "child " + child;
        for (int signo = 1; signo < NSIG; ++signo) {
            if (sigismember(&before, signo) != sigismember(&after, signo))
                result += " mask-changed-for-" + std::to_string(signo);
        }
        result += sigismember(&pending, SIGUSR1) == 1 ? " usr1-pending" : " usr1-lost";
        return result;
    });
    EXPECT_EQ(text, "child exit 0 usr1-pending");
}

std::string uid_line_of_task(pid_t tid) {
    std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Uid:", 0) == 0) return line;
    }
    return "no Uid line";
}

// The child is a process of its own: its user switch (raw setresuid, not
// glibc's wrapper, whose broadcast to "its" threads would be wrong in a
// forked child) moves the child only; the calling thread and the parent's
// other threads keep their ids.
TEST(Spawn, SwitchingTheChildsUserLeavesTheParentsThreadsAlone) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
    const std::string text = in_a_forked_process([] {
        std::mutex mutex;
        std::condition_variable changed;
        bool done = false;
        pid_t helper_tid = 0;
        std::thread helper([&] {
            std::unique_lock lock(mutex);
            helper_tid = static_cast<pid_t>(::syscall(SYS_gettid));
            changed.notify_all();
            changed.wait(lock, [&] { return done; });
        });
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return helper_tid != 0; });
        }

        SpawnPlan plan = plan_for("/bin/sh", {"sh", "-c", "test \"$(id -u):$(id -g)\" = 65534:65534"});
        plan.identity = tend::process::IdentityChange{65534, 65534, {}};
        const auto spawned = tend::process::spawn(plan);
        std::string result = spawned ? "child " + how_it_ended(spawned->pid) : spawned.error().message();
        result += " | main " + uid_line_of_task(static_cast<pid_t>(::syscall(SYS_gettid)));
        result += " | helper " + uid_line_of_task(helper_tid);
        {
            std::lock_guard lock(mutex);
            done = true;
        }
        changed.notify_all();
        helper.join();
        return result;
    });
    EXPECT_EQ(text, "child exit 0 | main Uid:\t0\t0\t0\t0 | helper Uid:\t0\t0\t0\t0");
}

}  // namespace
