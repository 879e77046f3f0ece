// Proves: docs/behaviour.md#stages, docs/logs.md#service-output, docs/design-decisions.md#principles
// Work tend does on its event path stays bounded, whatever the
// services do (tend as PID 1 of its own namespace).
//
// - Starting many services yields to signals: a SIGTERM that arrives while
//   tend is still spawning is handled before the remaining spawns.
// - --wait-ready asks "held by a down file?" once per service, not once per
//   dependency path (26 services each depending on all before have 2^25
//   paths).
// - A service that floods its notification fd with bytes that are not a
//   newline costs tend a bounded amount of work, not a core.
//
// CPU time is read from /proc/<tend>/stat: it counts tend's work, not the
// machine's load, so these assertions hold on a busy CI runner.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <string>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"

namespace tend::itest {
namespace {

using namespace readers;

// The first service (names start in order) sends SIGTERM to tend while tend
// is still spawning the other 999. Before, tend spawned all 1000 and only
// then read the signal.
TEST(EventPathBounds, SigtermDuringStartUpStopsSpawning) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    constexpr int kServices = 1000;
    sandbox.service("a-killer").run("kill -TERM 1\nexec sleep 1000\n");
    for (int i = 0; i < kServices - 1; ++i) sandbox.service(fmt::format("s{:04}", i)).run("exec sleep 1000\n");

    TendOptions options{.timeout = 60s};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    ASSERT_TRUE(contains(r.err, "shutting down: SIGTERM received")) << r.err;
    const std::size_t started = lines_containing(r.err, ": started (pid").size();
    EXPECT_GE(started, 1U) << r.err;
    // The signal is read between two batches of spawns: far fewer than all.
    EXPECT_LT(started, static_cast<std::size_t>(kServices) / 2)
        << started << " of " << kServices << " services were spawned after the SIGTERM";
}

// s00 .. s25, each depending on every service before it.
TEST(EventPathBounds, WaitReadyOverADenseDependencyGraphIsCheap) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    constexpr int kServices = 26;
    for (int i = 0; i < kServices; ++i) {
        std::string depends;
        for (int j = 0; j < i; ++j) depends += fmt::format("s{:02}\n", j);
        auto service = sandbox.service(fmt::format("s{:02}", i));
        service.run("exec sleep 1000\n");
        if (!depends.empty()) service.file("depends", depends);
    }
    TendOptions options{.args = {"--wait-ready"},
                        .command = sandbox.sh("echo up > \"$OUT/cmd.tmp\"; mv \"$OUT/cmd.tmp\" \"$OUT/cmd\"\n"
                                              "exec sleep 1000\n"),
                        .timeout = 60s};
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(tend.started());
    const bool cmd_started = wait_for_file(sandbox.out("cmd"), 40s);
    const auto cpu = cpu_time(tend.tend_pid());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_TRUE(cmd_started) << r.diagnostics();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    ASSERT_TRUE(cpu);
    // Linear work is a few milliseconds; walking every path was seconds.
    EXPECT_LT(*cpu, 1000ms) << "tend used " << cpu->count() << " ms of CPU before the CMD started";
}

// `cat /dev/zero` into the notification fd: NUL bytes forever, never a
// newline. tend stops reading it after a bound, says so, and keeps serving:
// a well-behaved service that becomes ready later is still seen as ready.
TEST(EventPathBounds, NotificationFdFloodIsBounded) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("flood").line("notification-fd", "3").run("exec cat /dev/zero >&3\n");
    sandbox.service("later")
        .line("notification-fd", "4")
        .run(sh_wait_for_file("\"$OUT/go\"") + "echo >&4\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    ASSERT_TRUE(tend.started());
    const bool gave_up = tend.wait_for_err("service flood: notification-fd:", 20s);
    const auto cpu_at_give_up = cpu_time(tend.tend_pid());
    // The flooder keeps running (blocked on the full pipe); tend does other
    // work meanwhile.
    write_file(sandbox.out("go"), "1");
    const bool later_ready = tend.wait_for_err("service later: ready", 20s);
    const auto cpu_after = cpu_time(tend.tend_pid());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_TRUE(gave_up) << r.diagnostics();
    EXPECT_TRUE(later_ready) << r.diagnostics();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "service flood: ready")) << r.err;
    EXPECT_TRUE(contains(r.err, "without a newline")) << r.err;
    ASSERT_TRUE(cpu_at_give_up && cpu_after);
    EXPECT_LT(*cpu_at_give_up, 1000ms) << "tend spun on the flood before giving up";
    EXPECT_LT(*cpu_after - *cpu_at_give_up, 300ms) << "tend kept reading the flood after giving up";
}

}  // namespace
}  // namespace tend::itest
