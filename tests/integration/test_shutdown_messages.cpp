// Proves: docs/logs.md#why-tend-shut-down-and-its-exit-code
// Each shutdown says why it started, and tend's
// last line names its exit code. Used like tini (no service, no script), tend
// prints nothing at the default verbosity. A cont-init script that
// ignores SIGTERM gets SIGKILL after --services-grace.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// The last non-empty line of tend's stderr.
std::string last_line(const std::string& err) {
    std::string_view text = err;
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::size_t start = text.rfind('\n');
    return std::string(start == std::string_view::npos ? text : text.substr(start + 1));
}

struct ReasonCase {
    const char* name;
    bool with_cmd;            // else a `primary` service named php-fpm
    const char* body;         // the CMD's or the primary's script
    int expected_exit;
    const char* expected_line;

    friend void PrintTo(const ReasonCase& c, std::ostream* os) { *os << c.name; }
};

class ShutdownReason : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(ShutdownReason, IsSaidOnceAndTheLastLineNamesTheExitCode) {
    TEND_REQUIRE_NAMESPACES();
    const ReasonCase& c = GetParam();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    TendOptions options;
    if (c.with_cmd)
        options.command = sandbox.sh(c.body);
    else
        sandbox.service("php-fpm").flag("primary").run(c.body);
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, c.expected_exit) << r.diagnostics();
    const auto lines = lines_containing(r.err, "shutting down");
    ASSERT_EQ(lines.size(), 1U) << r.diagnostics();
    EXPECT_EQ(lines.front(), fmt::format("tend: info: shutting down: {}", c.expected_line)) << r.diagnostics();
    EXPECT_EQ(last_line(r.err), fmt::format("tend: info: exiting with code {}", c.expected_exit)) << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(
    Causes, ShutdownReason,
    ::testing::Values(
        ReasonCase{"CmdExit", true, "exit 3\n", 3, "CMD exited with code 3"},
        ReasonCase{"CmdKilled", true, "kill -KILL $$\n", 137, "CMD killed by SIGKILL"},
        ReasonCase{"PrimaryExit", false, "exit 3\n", 3, "primary service php-fpm exited with code 3"},
        ReasonCase{"PrimaryKilled", false, "kill -KILL $$\n", 137, "primary service php-fpm killed by SIGKILL"}),
    ParamName{});

TEST(ShutdownReason, SignalIsNamedAndTheCmdsEndIsSaidAfterIt) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    TendProcess tend(sandbox, {.command = sandbox.sh("echo up > \"$OUT/cmd.up\"\nexec sleep 1000\n")});
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"))) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 143) << r.diagnostics();
    const auto lines = lines_containing(r.err, "shutting down");
    ASSERT_EQ(lines.size(), 1U) << r.diagnostics();
    EXPECT_EQ(lines.front(), "tend: info: shutting down: SIGTERM received");
    EXPECT_EQ(lines_containing(r.err, "tend: info: CMD killed by SIGTERM").size(), 1U) << r.diagnostics();
    EXPECT_EQ(last_line(r.err), "tend: info: exiting with code 143") << r.diagnostics();
}

// A primary service that ends on the shutdown's SIGTERM is one line, as the CMD is.
TEST(ShutdownReason, PrimaryServiceEndingOnTheSignalIsSaidOnce) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("php-fpm").flag("primary").run("echo up > \"$OUT/fpm.up\"\nexec sleep 1000\n");
    TendProcess tend(sandbox, {});
    ASSERT_TRUE(wait_for_file(sandbox.out("fpm.up"))) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 143) << r.diagnostics();
    const auto lines = lines_containing(r.err, "killed by");
    ASSERT_EQ(lines.size(), 1U) << r.diagnostics();
    EXPECT_EQ(lines.front(), "tend: info: primary service php-fpm killed by SIGTERM") << r.diagnostics();
}

TEST(ShutdownReason, NoServiceAndNoCmdSaysThereIsNothingToWaitFor) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("10-hello", "true\n");  // a script: not plain-init, so info
    RunResult r = run_tend(sandbox);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(lines_containing(r.err, "tend: info: shutting down: nothing to wait for").size(), 1U)
        << r.diagnostics();
    EXPECT_EQ(last_line(r.err), "tend: info: exiting with code 0") << r.diagnostics();
}

// tend used like tini (`podman run --init`, `tend -- CMD`): no services, no
// scripts. It prints nothing by default; the same lines are debug.
struct PlainCase {
    const char* name;
    std::vector<std::string> command;
    bool sigterm;  // stop tend with SIGTERM once the CMD is up
    int expected_exit;
    const char* reason;

    friend void PrintTo(const PlainCase& c, std::ostream* os) { *os << c.name; }
};

class PlainInit : public ::testing::TestWithParam<PlainCase> {};

TEST_P(PlainInit, PrintsNothingByDefaultAndTheSameLinesAtDebug) {
    TEND_REQUIRE_NAMESPACES();
    const PlainCase& c = GetParam();
    for (bool debug : {false, true}) {
        SCOPED_TRACE(debug ? "--verbosity=3" : "default verbosity");
        Sandbox sandbox;
        TendOptions options;
        options.command = sandbox.sh(std::string("echo up > \"$OUT/cmd.up\"\n") +
                                     (c.command.empty() ? "" : c.command.front()));
        if (debug) options.args = {"--verbosity=3"};
        TendProcess tend(sandbox, options);
        if (c.sigterm) {
            ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"))) << tend.current_err();
            ASSERT_TRUE(tend.signal(SIGTERM));
        }
        RunResult r = tend.wait();
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_EQ(r.exit_code, c.expected_exit) << r.diagnostics();
        if (!debug) {
            EXPECT_EQ(r.err, "") << r.diagnostics();
            continue;
        }
        EXPECT_EQ(lines_containing(r.err, fmt::format("tend: debug: shutting down: {}", c.reason)).size(), 1U)
            << r.diagnostics();
        EXPECT_EQ(last_line(r.err), fmt::format("tend: debug: exiting with code {}", c.expected_exit))
            << r.diagnostics();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Tini, PlainInit,
    ::testing::Values(PlainCase{"ExitWithABackgroundChild", {"sleep 1 & exit 3\n"}, false, 3, "CMD exited with code 3"},
                      PlainCase{"Sigterm", {"exec sleep 1000\n"}, true, 143, "SIGTERM received"}),
    ParamName{});

// The script ignores SIGTERM (and so does its `sleep`): SIGKILL to its group
// after --services-grace, then cont-finish runs and tend exits 0 (a signal,
// no primary). Without the escalation the run hits the harness's deadline.
TEST(ContInitShutdown, ScriptIgnoringSigtermIsKilledAfterServicesGrace) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("10-stubborn", "trap '' TERM\necho up > \"$OUT/init.up\"\nsleep 1000\n");
    sandbox.cont_init("20-never", "echo ran > \"$OUT/never.ran\"\n");
    sandbox.cont_finish("10-finish", "echo ran > \"$OUT/finish.ran\"\n");
    TendProcess tend(sandbox, {.args = {"--services-grace=300"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("init.up"))) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << "the stubborn cont-init script was never killed\n" << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(lines_containing(r.err, "tend: info: shutting down: SIGTERM received during cont-init").size(), 1U)
        << r.diagnostics();
    const auto killed = lines_containing(r.err, "still running after --services-grace, sending SIGKILL");
    ASSERT_EQ(killed.size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(killed.front(), "10-stubborn")) << killed.front();
    EXPECT_FALSE(file_exists(sandbox.out("never.ran"))) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("finish.ran"))) << r.diagnostics();
    EXPECT_EQ(last_line(r.err), "tend: info: exiting with code 0") << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
