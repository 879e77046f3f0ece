// Proves: docs/behaviour.md#the-final-sweep
// The final sweep reaches every process, also when tend may
// not signal them (root without CAP_KILL, as with `--cap-drop ALL --cap-add
// SETUID,SETGID`): kill(-1) skips them and still returns 0, so tend signals
// them from one helper per uid. Messages give true counts.
//
// tend runs with CAP_KILL dropped from its bounding set (so from every set
// after exec) and keeps SETUID/SETGID; the CMD runs as uid 4242 through
// --cmd-user, forks a worker and exits, leaving the worker to the sweep.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"
#include "require_capsh.hpp"

namespace tend::itest {
namespace {

using readers::cap_bit;
using readers::cap_sets_from_status;
using readers::kCapKill;

constexpr int kCapSetgid = 6;
constexpr int kCapSetuid = 7;

// tend stays PID 1: capsh execs it.
const std::string kWithoutCapKill = "exec capsh --drop=cap_kill -- -c 'exec \"$@\"' sh \"$@\"";
// tend is a child of the launcher shell (PID 1): subreaper mode. (bash would
// exec a lone command; the `exit` keeps it the parent.)
const std::string kWithoutCapKillAsSubreaper = "exec capsh --drop=cap_kill -- -c '\"$@\"; exit $?' sh \"$@\"";

// The CMD (uid 4242) records tend's status, starts `worker` in the
// background, waits until the worker says it is in place, and ends with
// `end` (exits 3 by default).
std::vector<std::string> cmd_leaving_a_worker(const Sandbox& sandbox, std::string_view worker,
                                              std::string_view end = "exit 3") {
    return sandbox.sh(fmt::format("cat /proc/$PPID/status > \"$OUT/tend.status\"\n"
                                  "( {} ) &\n"
                                  "{}"
                                  "{}\n",
                                  worker, sh_wait_for_file("\"$OUT/worker.ready\""), end));
}

void expect_tend_had_no_cap_kill(const Sandbox& sandbox) {
    const auto caps = cap_sets_from_status(read_file(sandbox.out("tend.status")));
    ASSERT_TRUE(caps.has_value()) << "the CMD did not record tend's status";
    ASSERT_EQ(caps->effective & cap_bit(kCapKill), 0U) << "tend still has CAP_KILL: the test proves nothing";
    ASSERT_NE(caps->effective & cap_bit(kCapSetuid), 0U) << "tend lost CAP_SETUID";
    ASSERT_NE(caps->effective & cap_bit(kCapSetgid), 0U) << "tend lost CAP_SETGID";
}

// The worker dies on SIGTERM: tend exits as soon as it is gone, long before
// --kill-grace (60 s, twice the harness's deadline: waiting for it would time
// the run out), and says nothing about processes left.
TEST(FinalSweep, WithoutCapKillAWorkerOfAnotherUidGetsSigtermAndTendExitsWhenItIsGone) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");  // not plain-init: tend speaks at info
    const std::string worker = "trap 'echo term > \"$OUT/worker.term\"; exit 0' TERM\n"
                               "echo $$ > \"$OUT/worker.ready\"\n"
                               "while :; do sleep 0.05; done";
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "4242", "--kill-grace=60000"},
                                     .command = cmd_leaving_a_worker(sandbox, worker),
                                     .launcher_script = kWithoutCapKill});
    ASSERT_FALSE(r.timed_out) << "tend waited for --kill-grace: the worker never got SIGTERM\n" << r.diagnostics();
    expect_tend_had_no_cap_kill(sandbox);
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("worker.term")), "term\n") << "the worker did not see SIGTERM\n"
                                                              << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "shutting down: CMD exited with code 3")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "left after")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "SIGKILL")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "cannot send")) << r.diagnostics();
}

// The case: the CMD is killed (`podman kill`), its worker is left.
TEST(FinalSweep, WithoutCapKillTheWorkerOfAKilledCmdGetsSigtermAndTendExitsWith137) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    const std::string worker = "trap 'echo term > \"$OUT/worker.term\"; exit 0' TERM\n"
                               "echo $$ > \"$OUT/worker.ready\"\n"
                               "while :; do sleep 0.05; done";
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "4242", "--kill-grace=60000"},
                                     .command = cmd_leaving_a_worker(sandbox, worker, "kill -KILL $$"),
                                     .launcher_script = kWithoutCapKill});
    ASSERT_FALSE(r.timed_out) << "tend waited for --kill-grace: the worker never got SIGTERM\n" << r.diagnostics();
    expect_tend_had_no_cap_kill(sandbox);
    EXPECT_EQ(r.exit_code, 137) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("worker.term")), "term\n") << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "shutting down: CMD killed by SIGKILL")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "left after")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "cannot send")) << r.diagnostics();
}

// The worker ignores SIGTERM: as PID 1, tend exits when --kill-grace ends
// (the namespace ends with it, no SIGKILL needed) and counts it truly.
TEST(FinalSweep, WithoutCapKillAWorkerIgnoringSigtermIsCountedAndEndsWithTheNamespace) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    const std::string worker = "trap '' TERM\necho $$ > \"$OUT/worker.ready\"\nexec sleep 1000";
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "4242", "--kill-grace=300"},
                                     .command = cmd_leaving_a_worker(sandbox, worker),
                                     .launcher_script = kWithoutCapKill});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    expect_tend_had_no_cap_kill(sandbox);
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    const auto left = lines_containing(r.err, "left after --kill-grace");
    ASSERT_EQ(left.size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(left.front(), "warning: 1 process left after --kill-grace (300 ms)")) << left.front();
    EXPECT_FALSE(contains(r.err, "survived")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "sending SIGKILL")) << "PID 1 needs no SIGKILL\n" << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "cannot send")) << r.diagnostics();
}

// Without CAP_KILL and without CAP_SETUID no helper can reach another uid:
// tend says so with the count and the cause, and never claims a signal.
// The uid-4242 process is started by the launcher before it execs tend, so
// it becomes tend's child.
TEST(FinalSweep, WhenNoHelperCanSwitchTheProcessesNotSignalledAreCountedWithTheCause) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("echo up > \"$OUT/idle.up\"\nexec sleep 1000\n");
    TendProcess tend(sandbox, {.args = {"--kill-grace=300"},
                               .launcher_script = "setpriv --reuid 4242 --regid 4242 --clear-groups sleep 1000 &\n"
                                                  "exec capsh --drop=cap_kill,cap_setuid -- -c 'exec \"$@\"' sh \"$@\""});
    ASSERT_TRUE(wait_for_file(sandbox.out("idle.up"))) << tend.current_err();
    const auto caps = cap_sets_from_status(read_file(fmt::format("/proc/{}/status", tend.tend_pid())));
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    ASSERT_TRUE(caps.has_value());
    ASSERT_EQ(caps->effective & (cap_bit(kCapKill) | cap_bit(kCapSetuid)), 0U) << "tend kept CAP_KILL or CAP_SETUID";
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto cannot = lines_containing(r.err, "cannot send SIGTERM to 1 process of uid 4242");
    ASSERT_EQ(cannot.size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(cannot.front(), "warning")) << cannot.front();
    EXPECT_TRUE(contains(cannot.front(), "Operation not permitted")) << cannot.front();
    EXPECT_EQ(lines_containing(r.err, "warning: 1 process left after --kill-grace (300 ms)").size(), 1U)
        << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "SIGKILL")) << r.diagnostics();
}

// As a subreaper tend signals only its descendants, by pid; the one of
// another uid gets SIGTERM, then SIGKILL, from a helper, and tend exits once
// it is gone, without claiming anything survived.
TEST(FinalSweep, AsSubreaperWithoutCapKillADescendantOfAnotherUidGetsSigkillFromAHelper) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    const std::string worker = "trap '' TERM\necho $$ > \"$OUT/worker.ready\"\nexec sleep 1000";
    std::vector<std::string> command = sandbox.sh(fmt::format("cat /proc/$PPID/status > \"$OUT/tend.status\"\n"
                                                              "( {} ) &\n{}exit 3\n",
                                                              worker, sh_wait_for_file("\"$OUT/worker.ready\"")));
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "4242", "--kill-grace=300"},
                                     .command = command,
                                     .launcher_script = kWithoutCapKillAsSubreaper});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    expect_tend_had_no_cap_kill(sandbox);
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    const auto left = lines_containing(r.err, "left after --kill-grace");
    ASSERT_EQ(left.size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(left.front(), "1 process left after --kill-grace (300 ms), sending SIGKILL")) << left.front();
    EXPECT_FALSE(contains(r.err, "still running")) << "the SIGKILL was delivered\n" << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "survived")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "cannot send")) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
