// Proves: docs/behaviour.md#exit-codes, docs/behaviour.md#a-primary-service
// The primary (CMD, or a `primary` service) decides tend's
// exit code, and its exit halts everything.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

struct CmdCase {
    const char* name;
    std::vector<std::string> command;
    int expected_exit;

    friend void PrintTo(const CmdCase& c, std::ostream* os) { *os << c.name; }
};

class PrimaryCmd : public ::testing::TestWithParam<CmdCase> {};

TEST_P(PrimaryCmd, TendExitsWithTheCmdsStatus) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(sandbox, {.command = GetParam().command});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, GetParam().expected_exit) << r.diagnostics();
    EXPECT_LT(r.elapsed, 2s) << "nothing to wait for: tend must exit at once\n" << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(
    Codes, PrimaryCmd,
    ::testing::Values(CmdCase{"True", {"true"}, 0},
                      CmdCase{"False", {"false"}, 1},
                      CmdCase{"Exit7", {"sh", "-c", "exit 7"}, 7},
                      CmdCase{"Exit255", {"sh", "-c", "exit 255"}, 255},
                      CmdCase{"KilledBySigkill", {"sh", "-c", "kill -KILL $$"}, 137},
                      CmdCase{"KilledBySigsegv", {"sh", "-c", "kill -SEGV $$"}, 139},
                      // Arguments reach the CMD unchanged, spaces included.
                      CmdCase{"Arguments",
                              {"sh", "-c", "[ \"$1\" = 'a b' ] && [ \"$2\" = '--x' ] && exit 42",
                               "sh", "a b", "--x"},
                              42}),
    ParamName{});

TEST(Primary, CmdThatCannotBeExecutedFailsWithAMessageNamingIt) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(sandbox, {.command = {"/nonexistent/command"}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_NE(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(logs_path_with_reason(r.err, "/nonexistent/command")) << r.diagnostics();
    EXPECT_LT(r.elapsed, 2s) << r.diagnostics();
}

TEST(Primary, TendWithTrueAndNoDirectoriesAtAllExitsZeroAtOnce) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(sandbox, {.args = {"--services-dir", "/nonexistent/services",
                                              "--cont-init-dir", "/nonexistent/cont-init",
                                              "--cont-finish-dir", "/nonexistent/cont-finish"},
                                     .command = {"true"},
                                     .use_default_args = false});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_LT(r.elapsed, 2s) << r.diagnostics();
}

TEST(Primary, NoCmdNoPrimaryNoServiceRunsContFinishAndExitsZero) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("init", "echo ran > \"$OUT/init\"\n");
    sandbox.cont_finish("finish", "echo ran > \"$OUT/finish\"\n");
    RunResult r = run_tend(sandbox);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("init")));
    EXPECT_TRUE(file_exists(sandbox.out("finish")));
    EXPECT_LT(r.elapsed, 2s) << r.diagnostics();
}

TEST(Primary, CmdRunsWithTheContainerEnvironmentAsRootInItsOwnProcessGroup) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(
        sandbox,
        {.command = sandbox.sh("echo \"$(id -u) $CONTAINER_VAR\" > \"$OUT/cmd\"\n"
                               "ps_pgid=$(cut -d' ' -f5 /proc/$$/stat)\n"  // pgrp field
                               "echo \"$$ $ps_pgid\" > \"$OUT/cmd.pgid\"\n"),
         .env = {{"CONTAINER_VAR", "from-container"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd")), "0 from-container\n");
    const auto pid_and_group = split_words(read_file(sandbox.out("cmd.pgid")));
    ASSERT_EQ(pid_and_group.size(), 2u);
    EXPECT_EQ(pid_and_group[0], pid_and_group[1]) << "the CMD leads its own process group";
}

TEST(Primary, PrimaryServiceExitHaltsEverythingWithItsCode) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("other").run(
        "trap 'echo stopped > \"$OUT/other.stopped\"; exit 0' TERM\n"
        + sh_background_sleep() +  // before reporting: the stop signal must reach it
        "echo up > \"$OUT/other.up\"\n"
        "wait\n");
    sandbox.service("main").flag("primary").run(
        "echo start >> \"$OUT/main.starts\"\n" + sh_wait_for_file("\"$OUT/other.up\"") + "exit 5\n");
    sandbox.cont_finish("finish", "echo ran > \"$OUT/cont-finish\"\n");

    RunResult r = run_tend(sandbox);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 5) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("other.stopped")))
        << "the other service must get its down-signal\n" << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("main.starts")).size(), 1u) << "a primary is never restarted";
    EXPECT_TRUE(file_exists(sandbox.out("cont-finish")));
    EXPECT_LT(r.elapsed, 3s) << "a cooperative shutdown must not wait for any grace time\n"
                             << r.diagnostics();
}

TEST(Primary, PrimaryServiceKilledBySignalGives128PlusN) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("main").flag("primary").run("kill -KILL $$\n");
    sandbox.service("other").run("exec sleep 1000\n");
    RunResult r = run_tend(sandbox);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 137) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
