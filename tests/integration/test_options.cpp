// Options and files the other suites do not reach: --cmd-user, --as-me,
// allow-new-privs, timeout-finish, TEND_* twins of directory options.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

constexpr std::string_view kReportStatus =
    "cat /proc/$$/status > \"$OUT/$TEND_SERVICE.tmp\"\n"
    "mv \"$OUT/$TEND_SERVICE.tmp\" \"$OUT/$TEND_SERVICE.status\"\n"
    "exec sleep 1000\n";

std::map<std::string, std::string> status_of(const Sandbox& sandbox, const std::string& name) {
    return parse_proc_status(read_file(sandbox.out(name + ".status")));
}

TEST(Options, CmdUserDropsTheCmdLikeAService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "nobody"},
                                     .command = sandbox.sh("cat /proc/$$/status > \"$OUT/cmd.status\"\n")});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    auto status = parse_proc_status(read_file(sandbox.out("cmd.status")));
    ASSERT_TRUE(status.contains("Uid")) << r.diagnostics();
    EXPECT_EQ(split_words(status["Uid"]), (std::vector<std::string>{"65534", "65534", "65534", "65534"}));
    EXPECT_EQ(split_words(status["Gid"]), (std::vector<std::string>{"65534", "65534", "65534", "65534"}));
    EXPECT_EQ(status["NoNewPrivs"], "1");
    EXPECT_EQ(status["CapEff"], "0000000000000000");
    EXPECT_EQ(status["CapPrm"], "0000000000000000");
}

TEST(Options, WithoutCmdUserTheCmdKeepsTendsUserAndPrivilegesLikeTini) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    RunResult r = run_tend(sandbox, {.command = sandbox.sh("cat /proc/$$/status > \"$OUT/cmd.status\"\n")});
    ASSERT_EQ(r.exit_code, 0) << r.diagnostics();
    auto status = parse_proc_status(read_file(sandbox.out("cmd.status")));
    EXPECT_EQ(split_words(status["Uid"]), (std::vector<std::string>{"0", "0", "0", "0"}));
    EXPECT_EQ(status["NoNewPrivs"], "0");
    EXPECT_NE(status["CapEff"], "0000000000000000");
}

TEST(Options, AsMeIgnoresUserFilesAndSaysSo) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").user("nobody").run(kReportStatus);
    RunResult r = run_until_files(sandbox, {"web.status"}, {.args = {"--as-me"}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    auto status = status_of(sandbox, "web");
    EXPECT_EQ(split_words(status["Uid"]), (std::vector<std::string>{"0", "0", "0", "0"})) << r.diagnostics();
    EXPECT_FALSE(lines_containing(r.err, "--as-me").empty()) << r.diagnostics();
}

TEST(Options, AllowNewPrivsLeavesNoNewPrivsUnset) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("strict").user("nobody").run(kReportStatus);
    sandbox.service("loose").user("nobody").flag("allow-new-privs").run(kReportStatus);
    RunResult r = run_until_files(sandbox, {"strict.status", "loose.status"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(status_of(sandbox, "strict")["NoNewPrivs"], "1");
    EXPECT_EQ(status_of(sandbox, "loose")["NoNewPrivs"], "0");
}

TEST(Options, TimeoutFinishKillsASlowFinishAndTheServiceStillRestarts) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc")
        .run("echo start >> \"$OUT/starts\"\nexit 1\n")
        .finish("echo finish >> \"$OUT/finishes\"\nexec sleep 1000\n")
        .line("timeout-finish", "300");
    TendProcess tend(sandbox);
    // Two starts prove the first finish was killed (it would sleep 1000 s).
    ASSERT_TRUE(wait_for_lines(sandbox.out("starts"), 2, 5s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(lines_containing(r.err, "timeout-finish").empty()) << r.diagnostics();
}

TEST(Options, DirectoryOptionsHaveEnvironmentTwins) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.cont_init("init", "echo ran > \"$OUT/init\"\n");
    sandbox.service("svc").run("echo ran > \"$OUT/svc\"\nexec sleep 1000\n");
    RunResult r = run_until_files(sandbox, {"init", "svc"},
                                  {.env = {{"TEND_SERVICES_DIR", sandbox.services_dir().string()},
                                           {"TEND_CONT_INIT_DIR", sandbox.cont_init_dir().string()},
                                           {"TEND_CONT_FINISH_DIR", sandbox.cont_finish_dir().string()}},
                                   .use_default_args = false});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
