// Proves: docs/service-directory.md#readiness, docs/service-directory.md#dependencies
// Readiness (`notification-fd`, s6 style), `depends`,
// --wait-ready and --ready-timeout.
//
// Order is observed through one shared file that every process appends a
// marker line to; each "not before" claim is given a window of a few hundred
// milliseconds (a sleep inside the service) in which a wrong tend would have
// shown the opposite order.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"

namespace tend::itest {
namespace {

using namespace readers;

// A service that says "<name>-start", waits `delay`, says "<name>-ready" and
// only then writes the newline to `fd`.
std::string notifying_run(std::string_view name, int fd, std::string_view delay,
                          std::string_view before_newline = "") {
    return mark(fmt::format("{}-start", name)) + std::string(before_newline) +
           fmt::format("sleep {}\n", delay) + mark(fmt::format("{}-ready", name)) +
           fmt::format("echo >&{}\nexec sleep 1000\n", fd);
}

// Bytes without a newline ("READY=1", as sd_notify would send) must not count:
// the newline comes 0.5 s later, and the CMD must not run in between.
TEST(Readiness, OnlyANewlineOnTheNotificationFdMakesAServiceReady) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").line("notification-fd", "3").run(notifying_run("svc", 3, "0.5", "printf 'READY=1' >&3\n"));

    TendOptions options{.args = {"--wait-ready"}, .command = sandbox.sh(mark("cmd"))};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("order")), (std::vector<std::string>{"svc-start", "svc-ready", "cmd"}))
        << r.diagnostics();
}

struct NeverReadyCase {
    const char* name;
    const char* run;

    friend void PrintTo(const NeverReadyCase& c, std::ostream* os) { *os << c.name; }
};

class NeverReady : public ::testing::TestWithParam<NeverReadyCase> {};

// --ready-timeout=300: the CMD never runs, the error names the service that
// is not ready (and not the one that is), tend shuts down and exits 1.
TEST_P(NeverReady, ReadyTimeoutSkipsTheCmdNamesTheServiceAndExitsOne) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("stuck")
        .line("notification-fd", "3")
        .run(std::string("echo > \"$OUT/stuck.started\"\n") + GetParam().run + "exec sleep 1000\n");
    sandbox.service("prompt").line("notification-fd", "3").run("echo >&3\nexec sleep 1000\n");

    TendOptions options{.args = {"--wait-ready", "--ready-timeout=300"},
                        .command = sandbox.sh("echo > \"$OUT/cmd.ran\"\n")};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("stuck.started"))) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("cmd.ran"))) << "the CMD ran without its services ready";
    const auto errors = error_lines_about(r.err, "stuck");
    ASSERT_FALSE(errors.empty()) << "no error names the service that is not ready\n" << r.diagnostics();
    EXPECT_FALSE(contains(errors.front(), "prompt")) << "a ready service is named: " << errors.front();
    EXPECT_TRUE(contains(r.err, "service prompt: ready")) << r.diagnostics();
    EXPECT_GE(r.elapsed, 300ms) << "gave up before the timeout";
    EXPECT_LT(r.elapsed, 5s) << "the shutdown after the timeout should be quick\n" << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NeverReady,
    ::testing::Values(NeverReadyCase{"writes_nothing", ""},
                      NeverReadyCase{"writes_other_bytes", "printf 'READY=1' >&3\n"},
                      NeverReadyCase{"closes_the_fd", "exec 3>&-\n"},
                      NeverReadyCase{"writes_bytes_then_closes", "printf 'x' >&3\nexec 3>&-\n"}),
    ParamName{});

// Two services with notification fds 3 and 5 and different delays, one
// without (ready when started), one `down` (not started, so not waited for).
// With --wait-ready the CMD comes after both; without it, before both.
struct WaitReadyCase {
    const char* name;
    bool wait_ready;

    friend void PrintTo(const WaitReadyCase& c, std::ostream* os) { *os << c.name; }
};

class WaitReady : public ::testing::TestWithParam<WaitReadyCase> {};

TEST_P(WaitReady, HoldsTheCmdUntilEveryStartedServiceIsReady) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("fast").line("notification-fd", "3").run(notifying_run("fast", 3, "0.3"));
    sandbox.service("slow").line("notification-fd", "5").run(notifying_run("slow", 5, "0.6"));
    sandbox.service("plain").run(mark("plain-start") + "exec sleep 1000\n");
    sandbox.service("off").flag("down").line("notification-fd", "3").run(mark("off-start") + "exec sleep 1000\n");

    // The CMD stays until both services said ready, so both markers exist either way.
    TendOptions options{.command = sandbox.sh(
                            mark("cmd") +
                            "i=0; until grep -qx slow-ready \"$OUT/order\" || [ $i -ge 1000 ]; do sleep 0.01; "
                            "i=$((i+1)); done\n")};
    if (GetParam().wait_ready) options.args.push_back("--wait-ready");
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto order = read_lines(sandbox.out("order"));
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    const long cmd = position(order, "cmd");
    ASSERT_GE(cmd, 0);
    ASSERT_GE(position(order, "fast-ready"), 0);
    ASSERT_GE(position(order, "slow-ready"), 0);
    if (GetParam().wait_ready) {
        EXPECT_GT(cmd, position(order, "fast-ready"));
        EXPECT_GT(cmd, position(order, "slow-ready"));
        EXPECT_GT(cmd, position(order, "plain-start"));
    } else {
        EXPECT_LT(cmd, position(order, "fast-ready")) << "without --wait-ready the CMD does not wait";
    }
    EXPECT_EQ(position(order, "off-start"), -1) << "a down service was started";
}

INSTANTIATE_TEST_SUITE_P(Modes, WaitReady,
                         ::testing::Values(WaitReadyCase{"with_wait_ready", true},
                                           WaitReadyCase{"without_wait_ready", false}),
                         ParamName{});

// db notifies 0.5 s after it started; app (depends on db) must start after
// that, and so must web (depends on app, and on db by a second line).
TEST(Depends, ServiceStartsOnlyAfterItsDependencyIsReady) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("db").line("notification-fd", "3").run(notifying_run("db", 3, "0.5"));
    sandbox.service("app").line("depends", "db").run(mark("app-start") + "exec sleep 1000\n");
    sandbox.service("web").file("depends", "app\ndb\n").run(mark("web-start") + "exec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_lines(sandbox.out("order"), 4)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto order = read_lines(sandbox.out("order"));
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    ASSERT_EQ(order.size(), 4U);
    EXPECT_EQ(order[0], "db-start");
    EXPECT_EQ(order[1], "db-ready");
    EXPECT_GT(position(order, "app-start"), position(order, "db-ready"));
    EXPECT_GT(position(order, "web-start"), position(order, "db-ready"));
}

// web -> app -> db. Each dependant takes 0.3 s to exit after SIGTERM; a tend
// that signals everyone at once would see db (which exits at once) first.
TEST(Depends, ShutdownStopsDependantsBeforeTheirDependencies) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto trapping = [](std::string_view name, std::string_view delay) {
        return fmt::format(
            "trap '{}{}exit 0' TERM\n"
            "echo > \"$OUT/{}.up\"\n"
            "sleep 1000 & wait\n",
            delay.empty() ? std::string() : fmt::format("sleep {}; ", delay),
            fmt::format("echo {} >> \"$OUT/stopped\"; ", name), name);
    };
    sandbox.service("db").run(trapping("db", ""));
    sandbox.service("app").line("depends", "db").run(trapping("app", "0.3"));
    sandbox.service("web").line("depends", "app").run(trapping("web", "0.3"));

    RunResult r = run_until_files(sandbox, {"db.up", "app.up", "web.up"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("stopped")), (std::vector<std::string>{"web", "app", "db"}))
        << r.diagnostics();
}

// A missing dependency, a two-service cycle, a self-dependency and a service
// depending on a refused one are each refused by name; a service waiting on
// a `down` one waits without an error; an unrelated service runs.
TEST(Depends, MissingOrCyclicDependenciesRefuseOnlyTheServicesInvolved) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const std::vector<std::pair<std::string, std::string>> refused{
        {"orphan", "nosuch\n"}, {"ping", "pong\n"}, {"pong", "ping\n"}, {"narcissus", "narcissus\n"},
        {"downstream", "ping\n"}};
    for (const auto& [name, depends] : refused)
        sandbox.service(name).file("depends", depends).run(mark(name) + "exec sleep 1000\n");
    sandbox.service("sleeper").flag("down").run(mark("sleeper") + "exec sleep 1000\n");
    sandbox.service("waiter").line("depends", "sleeper").run(mark("waiter") + "exec sleep 1000\n");
    sandbox.service("unrelated").run(mark("unrelated") + "exec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_text(sandbox.out("order"), "unrelated")) << tend.current_err();
    for (const auto& [name, depends] : refused)
        EXPECT_TRUE(tend.wait_for_err("service " + name + ":", 5s)) << name << "\n" << tend.current_err();
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    SCOPED_TRACE(r.diagnostics());
    EXPECT_EQ(read_lines(sandbox.out("order")), (std::vector<std::string>{"unrelated"}));

    auto refusal = [&](const std::string& name) {
        auto lines = error_lines_about(r.err, "service " + name + ":");
        return lines.empty() ? std::string() : lines.front();
    };
    auto depends_path = [&](const std::string& name) {
        return (sandbox.services_dir() / name / "depends").string();
    };
    EXPECT_TRUE(contains(refusal("orphan"), "nosuch")) << refusal("orphan");
    for (const char* name : {"orphan", "ping", "pong", "narcissus", "downstream"})
        EXPECT_TRUE(contains(refusal(name), depends_path(name))) << "the error should name the file: " << refusal(name);
    for (const char* name : {"ping", "pong", "narcissus"})
        EXPECT_TRUE(contains(refusal(name), "cycle")) << refusal(name);
    EXPECT_TRUE(contains(refusal("downstream"), "ping")) << refusal("downstream");
    EXPECT_EQ(refusal("waiter"), "") << "a down dependency makes a service wait, it is no error";
    EXPECT_EQ(refusal("unrelated"), "");
}

}  // namespace
}  // namespace tend::itest
