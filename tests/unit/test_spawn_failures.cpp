// How spawn() reports a start and a failure. The child is made with
// clone(CLONE_VM | CLONE_VFORK) and reports a failed step in the parent's
// memory (no status pipe): these pin down that the exact stage still comes
// back, that spawn needs no fd of its own (issue 8: out of fds was once
// reported as "cannot fork"), and that the child, sharing tend's memory,
// changes nothing of tend's (signal mask, pending signals, threads' ids).
//
// Each case runs in a forked process, so a full fd table, a blocked signal or
// a broken privilege drop cannot leak into the test runner; the case sends
// back one line of text through a pipe.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
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

// "stage=<n> <message> reaped" when the failed child was reaped by spawn.
std::string failure_text(const std::expected<pid_t, tend::process::SpawnFailure>& spawned) {
    if (spawned) return "started " + how_it_ended(*spawned);
    std::string text = "stage=" + std::to_string(static_cast<int>(spawned.error().stage)) + " " +
                       spawned.error().message() + " shell=" + std::to_string(spawned.error().shell_code());
    // spawn() reaps a child that reported a failure: none is left to wait for.
    text += ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD ? " reaped" : " left-unreaped";
    return text;
}

std::string stage_text(SpawnStage stage) { return "stage=" + std::to_string(static_cast<int>(stage)) + " "; }

TEST(Spawn, StartsWithAFullFdTable) {
    const std::string text = in_a_forked_process([] {
        rlimit limit{64, 64};
        ::setrlimit(RLIMIT_NOFILE, &limit);
        // Close-on-exec, as tend's own fds: the program exec'd has room again.
        while (::fcntl(0, F_DUPFD_CLOEXEC, 0) >= 0) {
        }
        if (errno != EMFILE) return std::string("could not fill the fd table");
        const auto spawned = tend::process::spawn(plan_for("/bin/sh", {"sh", "-c", "exit 7"}));
        if (!spawned) return spawned.error().message();
        return how_it_ended(*spawned);
    });
    EXPECT_EQ(text, "exit 7") << "spawn needs no fd of its own";
}

TEST(Spawn, AMissingExecutableIsAnExecFailureWithEnoent) {
    const std::string text = in_a_forked_process(
        [] { return failure_text(tend::process::spawn(plan_for("/nonexistent/tend-test", {"tend-test"}))); });
    EXPECT_EQ(text, stage_text(SpawnStage::Exec) + "cannot exec: No such file or directory shell=127 reaped");
}

TEST(Spawn, AFailedStepIsReportedWithItsStageAndDetail) {
    const std::string limit_text = in_a_forked_process([] {
        SpawnPlan plan = plan_for("/bin/true", {"true"});
        // The second limit is invalid (soft above hard): the index names it.
        plan.limits = {{RLIMIT_CORE, 0, 0, "core"}, {RLIMIT_NOFILE, 64, 32, "nofile"}};
        return failure_text(tend::process::spawn(plan));
    });
    EXPECT_EQ(limit_text, stage_text(SpawnStage::Rlimit) + "cannot set limit nofile: Invalid argument shell=126 reaped");

    const std::string chdir_text = in_a_forked_process([] {
        SpawnPlan plan = plan_for("/bin/true", {"true"});
        plan.workdir = "/nonexistent/tend-test-dir";
        return failure_text(tend::process::spawn(plan));
    });
    EXPECT_EQ(chdir_text,
              stage_text(SpawnStage::Chdir) + "cannot change to workdir /nonexistent/tend-test-dir: No such file or directory shell=126 reaped");
}

// The parent blocks every signal around the clone; afterwards its mask is
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
        std::string child = how_it_ended(*spawned);

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

// The child shares the parent's memory and thread-local storage but is a
// process of its own: its user switch (raw setresuid, not glibc's wrapper,
// whose broadcast to "its" threads would take glibc's thread-list lock) moves
// the child only; the calling thread and the parent's other threads keep
// their ids.
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
        std::string result = spawned ? "child " + how_it_ended(*spawned) : spawned.error().message();
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
