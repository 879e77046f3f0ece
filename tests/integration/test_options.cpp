// Proves: docs/configuration.md
// Options and files the other suites do not reach: --cmd-user, --as-me,
// allow-new-privs, timeout-finish, TEND_* twins of directory options; and
// command-line mistakes: named on one line, exit 2, nothing started.
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


// --- Mistakes on the command line or in TEND_* -----------------------------------

// A cont-init script, a service and a CMD that would each leave a file: a
// refused command line must start none of them.
struct WouldStart {
    explicit WouldStart(const Sandbox& sandbox) {
        sandbox.cont_init("init", "echo ran > \"$OUT/init\"\n");
        sandbox.service("svc").run("echo ran > \"$OUT/svc\"\nexec sleep 1000\n");
    }
};

void expect_refused_with_one_line(const Sandbox& sandbox, const RunResult& r, std::string_view line) {
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 2) << r.diagnostics();
    EXPECT_EQ(r.err, std::string(line) + "\n") << r.diagnostics();
    EXPECT_EQ(r.out, "") << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("init"))) << "cont-init ran";
    EXPECT_FALSE(file_exists(sandbox.out("svc"))) << "a service ran";
    EXPECT_FALSE(file_exists(sandbox.out("cmd"))) << "the CMD ran";
}

TEST(OptionMistakes, AnUnknownOptionIsNamedNotRunAsTheCmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.args = {"--service-dir", "/srv/services"},
                                     .command = sandbox.sh("echo ran > \"$OUT/cmd\"\n")});
    expect_refused_with_one_line(sandbox, r,
                                 "tend: error: unknown option --service-dir (did you mean --services-dir?)");
}

TEST(OptionMistakes, AnUnknownOptionWithoutACmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.args = {"--bogus"}});
    expect_refused_with_one_line(
        sandbox, r, "tend: error: unknown option --bogus (see tend --help; a CMD that starts with '-' goes after --)");
}

TEST(OptionMistakes, ABadVariableIsNamedWithItsValue) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.command = sandbox.sh("echo ran > \"$OUT/cmd\"\n"),
                                     .env = {{"TEND_VERBOSITY", "abc"}}});
    expect_refused_with_one_line(sandbox, r, "tend: error: TEND_VERBOSITY=abc: not a number (0..4)");
}

TEST(OptionMistakes, ABadDurationNamesTheAcceptedForms) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.args = {"--services-grace", "3x"},
                                     .command = sandbox.sh("echo ran > \"$OUT/cmd\"\n")});
    expect_refused_with_one_line(sandbox, r,
                                 "tend: error: --services-grace 3x: not a duration; accepted forms: 3000 "
                                 "(milliseconds), 500ms, 3s, 2m, 1h; at most 24h");
}

TEST(OptionMistakes, ZeroIsRefusedForTheReadyTimeout) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.args = {"--wait-ready"},
                                     .command = sandbox.sh("echo ran > \"$OUT/cmd\"\n"),
                                     .env = {{"TEND_READY_TIMEOUT", "0"}}});
    expect_refused_with_one_line(sandbox, r,
                                 "tend: error: TEND_READY_TIMEOUT=0: 0 is not allowed here (leave it unset to "
                                 "wait forever)");
}

TEST(OptionMistakes, TheErrorIsJsonWhenTheLogFormatIs) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult r = run_tend(sandbox, {.args = {"--kill-grace=2d"},
                                     .command = sandbox.sh("echo ran > \"$OUT/cmd\"\n"),
                                     .env = {{"TEND_LOG_FORMAT", "json"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 2) << r.diagnostics();
    ASSERT_EQ(lines_containing(r.err, "").size(), 1u) << r.diagnostics();
    EXPECT_TRUE(r.err.starts_with("{\"time\":\"")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, R"("level":"error","source":"tend","message":"--kill-grace=2d: not a duration;)"))
        << r.diagnostics();
    EXPECT_TRUE(r.err.ends_with("}\n")) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("init")));
    EXPECT_FALSE(file_exists(sandbox.out("cmd")));
}

// --- What is not a mistake ------------------------------------------------------

TEST(OptionMistakes, AfterDoubleDashADashedWordIsTheCmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path bin = sandbox.root() / "bin";
    write_file(bin / "--weird", sandbox.script("echo \"$1\" > \"$OUT/weird\"\n"), 0755);
    RunResult r = run_tend(sandbox, {.command = {"--weird", "--also-not-tends"},
                                     .env = {{"PATH", bin.string() + ":/usr/bin:/bin"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("weird")), "--also-not-tends\n") << r.diagnostics();
}

TEST(OptionMistakes, WithoutDoubleDashTheFirstPlainWordStartsTheCmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    std::vector<std::string> args = {"--kill-grace", "1s"};
    for (auto& word : sandbox.sh("echo \"$0\" > \"$OUT/cmd\"\n")) args.push_back(word);
    args.push_back("--bogus");  // sh's $0: the CMD's, not tend's
    RunResult r = run_tend(sandbox, {.args = args});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd")), "--bogus\n") << r.diagnostics();
}

TEST(OptionMistakes, DurationsWithUnitsWorkInOptionsVariablesAndServiceFiles) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").timeout_kill("2s").line("timeout-finish", "1m").run(
        "echo ran > \"$OUT/svc\"\nexec sleep 1000\n");
    RunResult r = run_until_files(sandbox, {"svc"},
                                  {.args = {"--services-grace", "3s", "--finish-timeout=1m", "--kill-grace", "500ms"},
                                   .env = {{"TEND_DRAIN_TIMEOUT", "1s"}, {"TEND_READY_TIMEOUT", "1h"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "error").empty()) << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "timeout-").empty()) << r.diagnostics();
}

TEST(OptionMistakes, HelpAndVersionPrintAndStartNothing) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    WouldStart would_start(sandbox);
    RunResult help = run_tend(sandbox, {.args = {"--help"}, .env = {{"TEND_VERBOSITY", "abc"}}});
    ASSERT_FALSE(help.timed_out) << help.diagnostics();
    EXPECT_EQ(help.exit_code, 0) << help.diagnostics();
    EXPECT_TRUE(help.out.starts_with("Usage: tend [OPTIONS] [--] [CMD [ARGS...]]\n")) << help.diagnostics();
    EXPECT_EQ(lines_containing(help.out, "Usage").size(), 1u) << help.diagnostics();
    EXPECT_EQ(help.err, "") << help.diagnostics();

    RunResult version = run_tend(sandbox, {.args = {"--version"}});
    ASSERT_FALSE(version.timed_out) << version.diagnostics();
    EXPECT_EQ(version.exit_code, 0) << version.diagnostics();
    EXPECT_TRUE(version.out.starts_with("tend ")) << version.diagnostics();
    EXPECT_TRUE(contains(version.out, " build)\n")) << version.diagnostics();
    EXPECT_EQ(lines_containing(version.out, "").size(), 1u) << version.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("init")));
    EXPECT_FALSE(file_exists(sandbox.out("svc")));
}

}  // namespace
}  // namespace tend::itest
