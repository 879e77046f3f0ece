// Proves: docs/behaviour.md#stages
// Cont-init scripts run one at a time in byte order of name,
// as tend's user (root), with the container environment; a failure stops the
// boot with the script's code unless --on-init-failure=continue.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// Each script appends "<name> <uid> <CONTAINER_VAR>" to $OUT/init.order.
std::string reporting_script(std::string_view name) {
    return fmt::format("echo \"{} $(id -u) $CONTAINER_VAR\" >> \"$OUT/init.order\"\n", name);
}

TEST(ContInit, RunsExecutableScriptsInByteOrderAsRootWithContainerEnvironment) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Byte order: '1' < '2' < 'B' < 'a' (a locale-aware sort would differ).
    for (const char* name : {"a-lower", "B-upper", "2-two", "10-ten"})
        sandbox.cont_init(name, reporting_script(name));
    sandbox.cont_init(".hidden", reporting_script(".hidden"));
    sandbox.cont_init("not-executable", reporting_script("not-executable"), 0644);
    sandbox.service("svc").run(
        "wc -l < \"$OUT/init.order\" > \"$OUT/svc.saw.tmp\"\n"
        "mv \"$OUT/svc.saw.tmp\" \"$OUT/svc.saw\"\n"
        "exec sleep 1000\n");

    RunResult r = run_tend(
        sandbox, {.command = sandbox.sh(sh_wait_for_file("\"$OUT/svc.saw\"") + "exit 0\n"),
                  .env = {{"CONTAINER_VAR", "from-container"}}});

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("init.order")),
              (std::vector<std::string>{"10-ten 0 from-container", "2-two 0 from-container",
                                        "B-upper 0 from-container", "a-lower 0 from-container"}))
        << r.diagnostics();
    EXPECT_EQ(split_words(read_file(sandbox.out("svc.saw"))), std::vector<std::string>{"4"})
        << "services must start after every cont-init script finished";
    EXPECT_FALSE(lines_containing(r.err, "not-executable").empty())
        << "skipping a non-executable script deserves a warning\n" << r.diagnostics();
    EXPECT_FALSE(lines_containing(r.err, ".hidden").empty())
        << "skipping a hidden script deserves a warning\n" << r.diagnostics();
}

TEST(ContInit, FailingScriptStopsTheBootRunsContFinishAndExitsWithItsCode) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("1-ok", "echo ok > \"$OUT/1-ok\"\n");
    sandbox.cont_init("2-fail", "echo failing > \"$OUT/2-fail\"\nexit 3\n");
    sandbox.cont_init("3-after", "echo ran > \"$OUT/3-after\"\n");
    sandbox.cont_finish("finish", "echo ran > \"$OUT/cont-finish\"\n");
    sandbox.service("svc").run("echo ran > \"$OUT/svc\"\nexec sleep 1000\n");

    RunResult r = run_tend(sandbox, {.command = sandbox.sh("echo ran > \"$OUT/cmd\"\n")});

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("1-ok")));
    EXPECT_TRUE(file_exists(sandbox.out("2-fail")));
    EXPECT_FALSE(file_exists(sandbox.out("3-after"))) << "scripts after the failing one must not run";
    EXPECT_FALSE(file_exists(sandbox.out("svc"))) << "services must not start after a failed cont-init";
    EXPECT_FALSE(file_exists(sandbox.out("cmd"))) << "the CMD must not start after a failed cont-init";
    EXPECT_TRUE(file_exists(sandbox.out("cont-finish"))) << "cont-finish must still run\n"
                                                    << r.diagnostics();
    EXPECT_LT(r.elapsed, 5s) << r.diagnostics();
}

struct InitFailureCase {
    const char* name;
    const char* body;
    int expected_exit;

    friend void PrintTo(const InitFailureCase& c, std::ostream* os) { *os << c.name; }
};

class ContInitFailure : public ::testing::TestWithParam<InitFailureCase> {};

TEST_P(ContInitFailure, ExitCodeIsTheScriptsCodeOr128PlusSignal) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("1-script", GetParam().body);
    RunResult r = run_tend(sandbox, {.command = {"true"}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, GetParam().expected_exit) << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(
    Codes, ContInitFailure,
    ::testing::Values(InitFailureCase{"Exit1", "exit 1\n", 1},
                      InitFailureCase{"Exit3", "exit 3\n", 3},
                      InitFailureCase{"Exit200", "exit 200\n", 200},
                      InitFailureCase{"KilledBySigkill", "kill -KILL $$\nsleep 5\n", 137},
                      // Also proves tend unblocks signals for the scripts it runs.
                      InitFailureCase{"KilledBySigterm", "kill -TERM $$\nsleep 5\n", 143}),
    ParamName{});

struct ContinueCase {
    const char* name;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;

    friend void PrintTo(const ContinueCase& c, std::ostream* os) { *os << c.name; }
};

class ContInitContinue : public ::testing::TestWithParam<ContinueCase> {};

TEST_P(ContInitContinue, FailureOnlyWarnsAndTheBootGoesOn) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("1-fail", "exit 3\n");
    sandbox.cont_init("2-after", "echo ran > \"$OUT/2-after\"\n");
    sandbox.service("svc").run("echo ran > \"$OUT/svc\"\nexec sleep 1000\n");

    RunResult r = run_tend(
        sandbox, {.args = GetParam().args,
                  .command = sandbox.sh(sh_wait_for_file("\"$OUT/svc\"") + "exit 0\n"),
                  .env = GetParam().env});

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("2-after"))) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("svc"))) << r.diagnostics();
    const auto mentions = lines_containing(r.err, "1-fail");
    ASSERT_FALSE(mentions.empty()) << "the failure must be logged\n" << r.diagnostics();
    bool warned = false;
    for (const auto& line : mentions) warned = warned || contains(line, "warn");
    EXPECT_TRUE(warned) << "the failure should be logged as a warning\n" << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, ContInitContinue,
    ::testing::Values(ContinueCase{"Option", {"--on-init-failure=continue"}, {}},
                      ContinueCase{"EnvironmentTwin", {}, {{"TEND_ON_INIT_FAILURE", "continue"}}}),
    ParamName{});

}  // namespace
}  // namespace tend::itest

namespace tend::itest {
namespace {

// `docker stop` in the very moment the container starts: the SIGTERM is
// pending before tend's loop reads its first signal. Nothing of cont-init
// or the services runs, cont-finish does, and tend says why it stops.
TEST(ContInit, ASigtermPendingAtTheStartRunsNoContInitNorServiceButContFinish) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("10-init", "echo ran > \"$OUT/init.ran\"\n");
    sandbox.cont_finish("10-finish", "echo ran > \"$OUT/finish.ran\"\n");
    sandbox.service("svc").run("echo ran > \"$OUT/svc.ran\"\nexec sleep 1000\n");
    RunResult r = run_tend(sandbox, {.launcher_script = "exec " + helper_shell_command({"pending-signal", "15"}) + " \"$@\""});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(fs::exists(sandbox.out("init.ran"))) << r.diagnostics();
    EXPECT_FALSE(fs::exists(sandbox.out("svc.ran"))) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("finish.ran")), "ran\n") << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "info: shutting down: SIGTERM received before the services started")) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
