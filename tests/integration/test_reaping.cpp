// Proves: docs/behaviour.md#signals, docs/migrating-from-tini.md
// Tend reaps every child, known or not, as PID 1 and as
// a subreaper, without confusing unknown children with services.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdio>

#include "harness.hpp"

namespace tend::itest {
namespace {

// The helper's report "zombies=N made_ms=T reaped_ms=T" -> N, or -1.
int zombies_in_report(const std::string& report) {
    int zombies = -1;
    if (std::sscanf(report.c_str(), "zombies=%d", &zombies) != 1) return -1;
    return zombies;
}

TEST(Reaping, TenThousandDoubleForkOrphansLeaveNoZombieAndDoNotDisturbServices) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("steady").run(
        "echo $$ >> \"$OUT/steady.starts\"\n"
        "exec sleep 1000\n");
    // The CMD makes the orphans once the service runs, then checks that the
    // service is still the same process (a confused reaper would have taken
    // an orphan's exit for the service's and restarted it after 100 ms).
    const std::string cmd = sh_wait_for_file("\"$OUT/steady.starts\"") +
                            helper_shell_command({"orphans", "10000", sandbox.out("zombies").string()}) +
                            "\nsleep 0.3\n"
                            "pid=$(head -n1 \"$OUT/steady.starts\")\n"
                            "kill -0 \"$pid\" && echo \"$pid\" > \"$OUT/steady.alive\"\n"
                            "exit 0\n";
    RunResult r = run_tend(sandbox, {.command = sandbox.sh(cmd), .timeout = 60s});

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const std::string report = read_file(sandbox.out("zombies"));
    ASSERT_FALSE(report.empty()) << "the orphan maker did not report\n" << r.diagnostics();
    EXPECT_EQ(zombies_in_report(report), 0) << report;

    const auto starts = read_lines(sandbox.out("steady.starts"));
    ASSERT_EQ(starts.size(), 1u) << "the service was restarted during the orphan storm\n"
                                 << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("steady.alive")), starts)
        << "the service's process was not alive after the storm";
    // Before the shutdown, the only word about the service is its start.
    const std::string before_shutdown = r.err.substr(0, r.err.find("shutting down"));
    EXPECT_EQ(lines_containing(before_shutdown, "service steady").size(), 1u)
        << "an orphan's exit was taken for the service's\n" << r.diagnostics();
    RecordProperty("orphan_report", report);
}

TEST(Reaping, ServiceOrphansAreReapedWhileTheServiceRuns) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Orphans made by a service (not the CMD) end up with PID 1 as well.
    sandbox.service("orphan-maker")
        .run(helper_shell_command({"orphans", "500", sandbox.out("zombies").string()}) +
             "\necho done > \"$OUT/made\"\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("made"), 20s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(zombies_in_report(read_file(sandbox.out("zombies"))), 0)
        << read_file(sandbox.out("zombies"));
}

// Item 2: not PID 1. tend runs as a child of a shell that is PID 1 of the
// namespace; beside it runs a `sleep` that is not tend's descendant, which
// tend must never signal (kill(-1) is for PID 1 only).
TEST(Subreaper, NotPid1TendBecomesSubreaperReapsOrphansAndSparesOthers) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const std::string launcher = fmt::format(
        "OUT={}\n"
        "sleep 30 & sibling=$!\n"
        "\"$@\"\n"
        "rc=$?\n"
        "if kill -0 $sibling 2>/dev/null; then echo alive > \"$OUT/sibling\"; fi\n"
        "exit $rc\n",
        shell_quote(sandbox.out_dir().string()));
    const std::string cmd =
        "echo $PPID > \"$OUT/tend.pid\"\n"
        // The subshell exits at once: its `sleep` is orphaned while running and
        // must be re-parented to tend (the subreaper), not to PID 1.
        "(sleep 0.3 & echo $! > \"$OUT/orphan.pid\")\n"
        "sed -n 's/^PPid:[[:space:]]*//p' /proc/$(cat \"$OUT/orphan.pid\")/status > "
        "\"$OUT/orphan.ppid\"\n" +
        helper_shell_command({"orphans", "300", sandbox.out("zombies").string()}) +
        "\nsleep 0.5\n" +  // the orphaned sleep has exited meanwhile
        helper_shell_command({"zombies", sandbox.out("zombies.end").string()}) + "\nexit 0\n";
    RunResult r = run_tend(sandbox, {.args = {"--verbosity=3"},
                                     .command = sandbox.sh(cmd),
                                     .launcher_script = launcher});

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const std::string tend_pid = split_words(read_file(sandbox.out("tend.pid"))).at(0);
    EXPECT_NE(tend_pid, "1") << "the launcher should have kept tend from being PID 1";
    EXPECT_EQ(split_words(read_file(sandbox.out("orphan.ppid"))),
              std::vector<std::string>{tend_pid})
        << "the orphan was not re-parented to tend: is tend a child subreaper?";
    EXPECT_EQ(zombies_in_report(read_file(sandbox.out("zombies"))), 0)
        << read_file(sandbox.out("zombies"));
    EXPECT_EQ(read_file(sandbox.out("zombies.end")), "0\n");
    EXPECT_TRUE(file_exists(sandbox.out("sibling")))
        << "a process that is not tend's descendant was killed: kill(-1) outside PID 1?\n"
        << r.diagnostics();
    EXPECT_FALSE(lines_containing(r.err, "subreaper").empty())
        << "the debug log should say tend became a subreaper\n"
        << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
