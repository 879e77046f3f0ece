// Proves: docs/service-directory.md#restart-backoff
// Services are restarted with the spec's backoff (100 ms,
// doubling), according to `restart`; `finish` gets "<exit code> <signal>";
// `down` keeps a service from starting. (Exact delays are unit-tested with a
// fake clock; here the real binary's count in a window is bounded.)
#include <signal.h>

#include <thread>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// One line per start in $OUT/<name>.starts, then the given tail.
std::string counting_run(std::string_view tail) {
    return fmt::format("echo start >> \"$OUT/$TEND_SERVICE.starts\"\n{}", tail);
}

TEST(Supervision, CrashingServicesRestartWithBackoffAccordingToTheirPolicy) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("crash").run(counting_run("exit 1\n"));
    sandbox.service("never").restart("never").run(counting_run("exit 1\n"));
    sandbox.service("onfail-ok").restart("on-failure").run(counting_run("exit 0\n"));
    sandbox.service("onfail-bad").restart("on-failure").run(counting_run("exit 1\n"));
    sandbox.service("onfail-signal").restart("on-failure").run(counting_run("kill -KILL $$\n"));
    sandbox.service("always-ok").run(counting_run("exit 0\n"));
    sandbox.service("keeper").run("exec sleep 1000\n");  // keeps tend busy

    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("crash.starts"), 10s)) << tend.current_err();
    // Starts at about 0, 0.1, 0.3, 0.7, 1.5 s (then 3.1 s): counted once
    // crash's fifth start is there. The others started with it and share its
    // backoff, so they are at 4 or 5; a restart without backoff (dozens) or
    // no restart (1) fails the bounds.
    ASSERT_TRUE(wait_for_lines(sandbox.out("crash.starts"), 5, 10s)) << tend.current_err();
    const auto crash = read_lines(sandbox.out("crash.starts")).size();
    const auto never = read_lines(sandbox.out("never.starts")).size();
    const auto onfail_ok = read_lines(sandbox.out("onfail-ok.starts")).size();
    const auto onfail_bad = read_lines(sandbox.out("onfail-bad.starts")).size();
    const auto onfail_signal = read_lines(sandbox.out("onfail-signal.starts")).size();
    const auto always_ok = read_lines(sandbox.out("always-ok.starts")).size();
    EXPECT_TRUE(tend.running()) << "tend must keep supervising";
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    EXPECT_GE(crash, 4u) << r.diagnostics();
    EXPECT_LE(crash, 7u) << r.diagnostics();
    EXPECT_EQ(never, 1u) << "restart=never";
    EXPECT_EQ(onfail_ok, 1u) << "restart=on-failure must not restart after exit 0";
    EXPECT_GE(onfail_bad, 4u) << "restart=on-failure must restart after exit 1";
    EXPECT_LE(onfail_bad, 7u);
    EXPECT_GE(onfail_signal, 4u) << "death by signal is a failure";
    EXPECT_LE(onfail_signal, 7u);
    EXPECT_GE(always_ok, 4u) << "restart=always restarts after exit 0 too";
    EXPECT_LE(always_ok, 7u);
}

TEST(Supervision, FinishGetsExitCodeAndSignalNumber) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const std::string finish =
        "echo \"$# $1 $2 $(id -u)\" >> \"$OUT/$TEND_SERVICE.finish\"\n";
    sandbox.service("exits-3").restart("never").run("exit 3\n").finish(finish);
    sandbox.service("killed").restart("never").run("kill -KILL $$\nsleep 5\n").finish(finish);
    sandbox.service("termed").restart("never").run("kill -TERM $$\nsleep 5\n").finish(finish);
    sandbox.service("as-nobody").user("nobody").restart("never").run("exit 0\n").finish(finish);
    sandbox.service("keeper").run("exec sleep 1000\n");

    TendProcess tend(sandbox);
    for (const char* name : {"exits-3", "killed", "termed", "as-nobody"})
        EXPECT_TRUE(wait_for_file(sandbox.out(std::string(name) + ".finish"), 10s))
            << name << "\n" << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();

    // "<argc> <exit code> <signal> <uid>"
    EXPECT_EQ(read_lines(sandbox.out("exits-3.finish")), std::vector<std::string>{"2 3 0 0"});
    EXPECT_EQ(read_lines(sandbox.out("killed.finish")), std::vector<std::string>{"2 256 9 0"});
    EXPECT_EQ(read_lines(sandbox.out("termed.finish")), std::vector<std::string>{"2 256 15 0"});
    EXPECT_EQ(read_lines(sandbox.out("as-nobody.finish")),
              std::vector<std::string>{"2 0 0 65534"})
        << "finish runs with the service's credentials";
}

TEST(Supervision, DownFileKeepsTheServiceFromStarting) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("downed").flag("down").run("echo ran > \"$OUT/downed\"\nexec sleep 1000\n");
    sandbox.service("up").run("echo ran > \"$OUT/up\"\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("up"), 10s)) << tend.current_err();
    // Services start in name order: a wrong start of `downed` would have been
    // logged before `up` was even spawned.
    ASSERT_TRUE(tend.wait_for_err("service up: started")) << tend.current_err();
    EXPECT_FALSE(contains(tend.current_err(), "service downed: started")) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("downed"))) << r.diagnostics();
}

// SPEC: when a service's main process exits, the rest of its process group is
// stopped before any restart.
TEST(Supervision, RestartedServiceNeverRunsBesideLeftoversOfItsPreviousLife) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("leaky").run(
        "if [ -s \"$OUT/child.pid\" ] && kill -0 \"$(cat \"$OUT/child.pid\")\" 2>/dev/null; then\n"
        "  echo leftover >> \"$OUT/leftover\"\n"
        "fi\n"
        "echo start >> \"$OUT/leaky.starts\"\n"
        "if [ \"$(wc -l < \"$OUT/leaky.starts\")\" -ge 3 ]; then exec sleep 1000; fi\n"
        "sleep 1000 &\n"
        "echo $! > \"$OUT/child.pid\"\n"
        "exit 1\n");
    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_lines(sandbox.out("leaky.starts"), 3, 10s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("leftover")))
        << "the previous run's background child was still alive at restart\n" << r.diagnostics();
}

// The leftovers of a crashed service get its down-signal (SIGTERM) at once,
// so a cooperative leftover does not delay the restart to timeout-kill (3 s).
TEST(Supervision, LeftoversGetTheDownSignalAtOnceSoTheRestartIsNotDelayed) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("leaky").run(
        "date +%s%N >> \"$OUT/leaky.starts\"\n"
        "if [ \"$(wc -l < \"$OUT/leaky.starts\")\" -ge 2 ]; then exec sleep 1000; fi\n"
        "sleep 1000 &\n"
        "exit 1\n");
    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_lines(sandbox.out("leaky.starts"), 2, 10s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    const auto starts = read_lines(sandbox.out("leaky.starts"));
    ASSERT_EQ(starts.size(), 2u) << r.diagnostics();
    const auto gap_ms = (std::stoll(starts[1]) - std::stoll(starts[0])) / 1'000'000;
    EXPECT_LT(gap_ms, 1500) << "restart waited for SIGKILL of the leftover\n" << r.diagnostics();
    EXPECT_GE(gap_ms, 90) << "the first restart comes after 100 ms";
}

}  // namespace
}  // namespace tend::itest
