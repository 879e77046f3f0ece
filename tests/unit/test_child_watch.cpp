// ChildWatch: the children tend starts, settled from the event loop and the
// reaper, never waited for. A start's failure reaches the caller with the
// child's reap; a helper acting as a uid that does not finish by its deadline
// is killed and reported as ETIMEDOUT.
//
// The test reaps its own children (waitpid on the pid), as tend's reaper
// does for every child; each case runs in a forked process so that a child
// left over cannot reach another test's waitpid.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "fake_clock.hpp"
#include "tend/core/process_ops.hpp"
#include "tend/process/child_watch.hpp"

namespace {

using tend::process::ChildWatch;
using tend::process::SpawnPlan;
using tend::process::SpawnStage;

int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

template <typename Body>
int exit_code_of_forked(Body body) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(body());
    const int status = reap(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

struct Fixture {
    tend::sys::EventLoop loop = std::move(*tend::sys::EventLoop::create());
    tend::core::FakeClock clock;
    ChildWatch children{loop, clock};
};

TEST(ChildWatch, AFailedExecIsHandedOverAtTheReap) {
    EXPECT_EQ(exit_code_of_forked([] {
                  Fixture f;
                  SpawnPlan plan;
                  plan.executable = "/nonexistent/tend-test";
                  plan.argv = {"tend-test"};
                  auto pid = f.children.spawn(plan);
                  if (!pid) return 1;
                  reap(*pid);  // before the loop read the pipe: settled at the reap
                  auto failure = f.children.start_failure(*pid);
                  if (!failure) return 2;
                  if (failure->stage != SpawnStage::Exec || failure->error != ENOENT) return 3;
                  if (f.children.start_failure(*pid)) return 4;  // handed over once
                  return 0;
              }),
              0);
}

TEST(ChildWatch, AProgramThatRanHasNoStartFailure) {
    EXPECT_EQ(exit_code_of_forked([] {
                  Fixture f;
                  SpawnPlan plan;
                  plan.executable = "/bin/sh";
                  plan.argv = {"sh", "-c", "exit 127"};  // the program's 127, not a failed start
                  auto pid = f.children.spawn(plan);
                  if (!pid) return 1;
                  if (!f.loop.run_once()) return 2;  // the status pipe's EOF (or data) wakes the loop
                  const int status = reap(*pid);
                  if (!WIFEXITED(status) || WEXITSTATUS(status) != 127) return 3;
                  return f.children.start_failure(*pid) ? 4 : 0;
              }),
              0);
}

// A stop right after the start (a shutdown or `tend ctl restart` in the
// same moment): the child may not have its own session yet, so its group
// does not exist and a signal to its pid would be discarded at its setsid.
// The signal waits for the exec and then ends the program; SIGTERM here,
// with a program that would otherwise run for a minute.
TEST(ChildWatch, ASignalToAGroupStillStartingReachesTheProgram) {
    EXPECT_EQ(exit_code_of_forked([] {
                  for (int round = 0; round < 20; ++round) {
                      Fixture f;
                      tend::core::SystemProcessOps ops(f.children);
                      SpawnPlan plan;
                      plan.executable = "/bin/sleep";
                      plan.argv = {"sleep", "60"};
                      auto pid = f.children.spawn(plan);
                      if (!pid) return 1;
                      ops.signal_group(*pid, SIGTERM, nullptr);  // most often before its setsid
                      while (f.children.starting(*pid))
                          if (!f.loop.run_once()) return 2;
                      // Ended by SIGTERM, or still running 5 s later: then the signal was lost.
                      int status = 0;
                      for (int tries = 0; tries < 500 && ::waitpid(*pid, &status, WNOHANG) == 0; ++tries) {
                          timespec pause{0, 10'000'000};
                          ::nanosleep(&pause, nullptr);
                      }
                      if (::waitpid(*pid, &status, WNOHANG) == 0 && ::kill(*pid, SIGKILL) == 0) {
                          reap(*pid);
                          return 3;
                      }
                      if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM) return 4;
                  }
                  return 0;
              }),
              0);
}

TEST(ChildWatch, AHelperPastItsDeadlineIsKilledAndReportedAsTimedOut) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
    EXPECT_EQ(exit_code_of_forked([] {
                  Fixture f;
                  std::optional<int> result;
                  // Whether the helper is still running or already gone when the
                  // deadline passes, it is reported as not finished in time.
                  f.children.act_as(65534, 65534, {{::getpid(), 0}}, [&](int error) { result = error; });
                  if (f.children.helpers_running() != 1) return 1;
                  if (!f.children.next_deadline()) return 2;
                  f.clock.advance(ChildWatch::kHelperDeadline);
                  f.children.on_timer();  // SIGKILL, whatever state the helper is in
                  if (f.children.next_deadline()) return 3;  // no second deadline for a killed one
                  int status = 0;
                  const pid_t reaped = ::wait(&status);
                  if (reaped <= 0 || !f.children.helper_reaped(reaped, status)) return 4;
                  if (!result || *result != ETIMEDOUT) return 5;
                  return 0;
              }),
              0);
}

// A helper that switched and sent its signals reports 0.
TEST(ChildWatch, AHelperThatSignalledReportsZero) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
    EXPECT_EQ(exit_code_of_forked([] {
                  Fixture f;
                  std::optional<int> result;
                  f.children.act_as(65534, 65534, {{::getpid(), 0}}, [&](int error) { result = error; });
                  int status = 0;
                  const pid_t reaped = ::wait(&status);
                  if (reaped <= 0 || !f.children.helper_reaped(reaped, status)) return 1;
                  return result && *result == 0 ? 0 : 2;
              }),
              0);
}

}  // namespace
