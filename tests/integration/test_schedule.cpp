// Proves: docs/scheduled-services.md
// Scheduled services (a `schedule` file), with the real binary as
// PID 1: every-second ticks run once each, overlaps are skipped (or
// replaced) and logged, a run gets the service's uid, env and no_new_privs,
// failures are logged and stop nothing, tend sleeps between ticks, and it all
// works as an arbitrary uid without a passwd entry (OpenShift).
//
// Exact times (DST, leap days, missed ticks) are unit-tested with fake clocks;
// here the runs record the wall-clock second they started in, so "one run per
// second" is checked on what happened, not on how long the test waited.
#include <fstream>
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// Appends the wall-clock second of each run to $OUT/<service>.seconds.
constexpr std::string_view kRecordSecond = "date +%s >> \"$OUT/$TEND_SERVICE.seconds\"\n";

std::vector<long> seconds_of(const Sandbox& sandbox, const std::string& service) {
    std::vector<long> seconds;
    for (const auto& line : read_lines(sandbox.out(service + ".seconds"))) seconds.push_back(std::stol(line));
    return seconds;
}

long voluntary_switches(pid_t pid) {
    for (const auto& line : read_lines(fmt::format("/proc/{}/status", pid)))
        if (line.starts_with("voluntary_ctxt_switches:")) return std::stol(line.substr(line.find(':') + 1));
    return -1;
}

TEST(Schedule, EverySecondScheduleRunsOncePerSecond) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("tick").line("schedule", "* * * * * * *").run(kRecordSecond);
    TendProcess tend(sandbox);
    constexpr std::size_t kRuns = 5;
    ASSERT_TRUE(wait_for_lines(sandbox.out("tick.seconds"), kRuns, 15s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    // N runs in N seconds, within one: distinct seconds, each run in the
    // second after the previous one at most one tick late.
    std::vector<long> seconds = seconds_of(sandbox, "tick");
    ASSERT_GE(seconds.size(), kRuns);
    for (std::size_t i = 1; i < seconds.size(); ++i) EXPECT_GT(seconds[i], seconds[i - 1]) << r.diagnostics();
    EXPECT_LE(seconds[kRuns - 1] - seconds[0], static_cast<long>(kRuns)) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service tick: scheduled '* * * * * * *', next run")) << r.err;
    EXPECT_TRUE(contains(r.err, "service tick: run succeeded after")) << r.err;
}

TEST(Schedule, OverlappingTickIsSkippedAndLogged) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Each run lasts 2.5 s, so at least one tick finds the last run going.
    sandbox.service("slow")
        .line("schedule", "* * * * * * *")
        .run("[ -e \"$OUT/running\" ] && echo overlap >> \"$OUT/overlap\"\n"
             "touch \"$OUT/running\"\n"
             "sleep 2.5\n"
             "rm \"$OUT/running\"\n"
             "echo done >> \"$OUT/slow.done\"\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_lines(sandbox.out("slow.done"), 2, 20s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("overlap"))) << "two runs at once\n" << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service slow: tick skipped: the previous run (pid ")) << r.err;
    EXPECT_TRUE(contains(r.err, "is still running (schedule-overlap skip); next run")) << r.err;
}

TEST(Schedule, OverlapKillReplacesTheOldRun) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("stuck")
        .line("schedule", "* * * * * * *")
        .line("schedule-overlap", "kill")
        .run("echo $$ >> \"$OUT/stuck.pids\"\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_lines(sandbox.out("stuck.pids"), 3, 20s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "is still running at the tick: stopping it (schedule-overlap kill)")) << r.err;
    EXPECT_TRUE(contains(r.err, "service stuck: run killed by SIGTERM after")) << r.err;
}

TEST(Schedule, ARunHasTheServicesUserEnvironmentAndNoNewPrivs) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("report")
        .line("schedule", "* * * * * * *")
        .user("nobody")
        .env("GREETING", "hello\n")
        .run("cat /proc/$$/status > \"$OUT/report.status.tmp\"\n"
             "cat /proc/$$/environ > \"$OUT/report.env.tmp\"\n"
             "mv \"$OUT/report.env.tmp\" \"$OUT/report.env\"\n"
             "mv \"$OUT/report.status.tmp\" \"$OUT/report.status\"\n");
    sandbox.service("failing").line("schedule", "* * * * * * *").run("exit 3\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("report.status"), 15s)) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("service failing: run exited with code 3 after", 15s)) << tend.current_err();
    EXPECT_TRUE(tend.running()) << "a failed run never stops the container";
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    const std::string text = read_file(sandbox.out("report.status"));
    auto status = parse_proc_status(text);
    EXPECT_EQ(split_words(status["Uid"]), (std::vector<std::string>{"65534", "65534", "65534", "65534"})) << text;
    EXPECT_EQ(status["NoNewPrivs"], "1") << text;
    EXPECT_EQ(status["CapEff"], "0000000000000000") << text;
    auto env = parse_environ(read_file(sandbox.out("report.env")));
    EXPECT_EQ(env["GREETING"], "hello");
    EXPECT_EQ(env["TEND_SERVICE"], "report");
    EXPECT_EQ(env["USER"], "nobody");
}

// Between ticks tend sleeps in epoll_wait: its voluntary context switches
// grow by a handful per run (timer, spawn, SIGCHLD), not with time.
TEST(Schedule, TendSleepsBetweenTicks) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("tick").line("schedule", "*/2 * * * * * *").run(kRecordSecond);
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_lines(sandbox.out("tick.seconds"), 1, 15s)) << tend.current_err();
    const pid_t pid = tend.tend_pid();
    ASSERT_GT(pid, 0);
    const long before = voluntary_switches(pid);
    constexpr std::size_t kTicks = 3;
    ASSERT_TRUE(wait_for_lines(sandbox.out("tick.seconds"), 1 + kTicks, 20s)) << tend.current_err();
    const long after = voluntary_switches(pid);
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    ASSERT_GE(before, 0);
    // About 6 s passed: a 10 ms poll would make hundreds of wakeups.
    EXPECT_LE(after - before, static_cast<long>(8 * (kTicks + 1)))
        << "voluntary context switches over " << kTicks << " ticks: " << after - before << "\n"
        << r.diagnostics();
}

TEST(Schedule, ATickWhoseDependencyIsNotReadyIsSkippedAndLogged) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Never writes its readiness newline.
    sandbox.service("db").line("notification-fd", "3").run("exec sleep 1000\n");
    sandbox.service("backup").line("schedule", "* * * * * * *").line("depends", "db").run(kRecordSecond);
    TendProcess tend(sandbox);
    ASSERT_TRUE(tend.wait_for_err("service backup: tick skipped: dependency 'db' is not ready; next run", 15s))
        << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("backup.seconds"))) << r.diagnostics();
}

// OpenShift runs the image as an arbitrary uid with gid 0 and no passwd entry.
TEST(Schedule, WorksAsAnArbitraryUidWithoutPasswdEntry) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("job").line("schedule", "* * * * * * *").run(
        "id -u > \"$OUT/job.uid.tmp\"\nmv \"$OUT/job.uid.tmp\" \"$OUT/job.uid\"\n");
    TendOptions options;
    options.launcher_script = "exec setpriv --reuid 123456 --regid 0 --clear-groups \"$@\"\n";
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_file(sandbox.out("job.uid"), 15s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("job.uid")), "123456\n");
}

TEST(Schedule, BadScheduleRefusesOnlyThatServiceNamingTheField) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto bad = sandbox.service("bad");
    bad.line("schedule", "0 25 * * *").run("exit 0\n");
    sandbox.service("conflict").line("schedule", "@daily").restart("never").run("exit 0\n");
    sandbox.service("good").run("echo up > \"$OUT/good\"\nexec sleep 1000\n");
    RunResult r = run_until_files(sandbox, {"good"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, (bad.file_path("schedule").string() + ": hour: '25' is not an hour (0-23)")))
        << r.err;
    EXPECT_TRUE(contains(r.err, "/conflict/schedule: cannot be combined with ")) << r.err;
}

}  // namespace
// --crontab: a Supercronic crontab's jobs run beside the services, with the
// crontab's variables (quotes removed) on top of the container environment.
TEST(Schedule, CrontabJobsRunWithTheirVariables) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const auto crontab = sandbox.root() / "crontab";
    {
        std::ofstream file(crontab);
        file << "# Supercronic's format\nGREETING='hello cron'\n"
                "* * * * * * * echo \"$GREETING\" >> " << sandbox.out("cron.out").string() << "\n";
    }
    TendProcess tend(sandbox, TendOptions{.args = {"--crontab", crontab.string()}});
    ASSERT_TRUE(wait_for_lines(sandbox.out("cron.out"), 2, 15s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("cron.out")).front(), "hello cron");
    EXPECT_TRUE(contains(r.err, "job 0 (line 3): '* * * * * * *' runs echo")) << r.err;
    EXPECT_TRUE(contains(r.err, "service crontab-0: scheduled '* * * * * * *'")) << r.err;
}

}  // namespace tend::itest
