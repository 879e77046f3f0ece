// Proves: docs/migrating-from-supercronic.md
// The supercronic applet with the real binary as PID 1 of a PID namespace,
// started as an image starts Supercronic (`supercronic [flags] CRONTAB`, tend
// linked under that name): -test on a good and a broken crontab, a job
// running with the crontab's variables, SIGUSR2 reloading once the running
// job has finished (a broken crontab is not taken), refused flags,
// -overlapping runs side by side.
#include <signal.h>

#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// `supercronic ARGS...` as PID 1 of the namespace: a link named supercronic
// to the tend binary inside the sandbox.
TendOptions supercronic(const Sandbox& sandbox, const std::vector<std::string>& args) {
    const fs::path link = sandbox.root() / "bin" / "supercronic";
    if (!fs::exists(fs::symlink_status(link))) {
        fs::create_directories(link.parent_path());
        fs::create_symlink(tend_binary(), link);
    }
    std::string line = "exec " + shell_quote(link.string());
    for (const auto& arg : args) line += " " + shell_quote(arg);
    TendOptions options;
    options.use_default_args = false;
    options.launcher_script = line;
    return options;
}

TEST(Supercronic, TestFlagAcceptsAGoodCrontabAndNamesEveryBadLine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    write_file(crontab, "SHELL=/bin/sh\n*/5 * * * * * * echo seconds\n0 0 L * * echo last day\n@hourly date\n");
    RunResult good = run_tend(sandbox, supercronic(sandbox, {"-test", crontab.string()}));
    EXPECT_EQ(good.exit_code, 0) << good.diagnostics();
    EXPECT_TRUE(contains(good.err, crontab.string() + ": crontab is valid (3 jobs)")) << good.diagnostics();

    write_file(crontab, "* * * * * ok\n0 25 * * * echo late\nCRON_TZ=Mars/Base\n");
    RunResult bad = run_tend(sandbox, supercronic(sandbox, {"--test", crontab.string()}));
    EXPECT_EQ(bad.exit_code, 1) << bad.diagnostics();
    EXPECT_TRUE(contains(bad.err, crontab.string() + ":2: bad crontab line '0 25 * * * echo late'")) << bad.diagnostics();
    EXPECT_TRUE(contains(bad.err, "hour: '25' is not an hour (0-23)")) << bad.diagnostics();
    EXPECT_TRUE(contains(bad.err, crontab.string() + ":3: CRON_TZ=Mars/Base: unknown time zone")) << bad.diagnostics();
}

TEST(Supercronic, FlagsItCannotHonourAreRefusedByName) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    write_file(crontab, "* * * * * * * echo \"$OUT\" > /dev/null\n");
    for (const char* flag : {"-sentry-dsn=https://key@sentry.example/1", "-prometheus-listen-address=0.0.0.0:9746"}) {
        RunResult r = run_tend(sandbox, supercronic(sandbox, {flag, crontab.string()}));
        EXPECT_EQ(r.exit_code, 2) << r.diagnostics();
        const std::string name = std::string(flag).substr(0, std::string(flag).find('='));
        EXPECT_TRUE(contains(r.err, "supercronic: error: " + name + " is not supported")) << r.diagnostics();
    }
    RunResult unknown = run_tend(sandbox, supercronic(sandbox, {"-frobnicate", crontab.string()}));
    EXPECT_EQ(unknown.exit_code, 2) << unknown.diagnostics();
    EXPECT_TRUE(contains(unknown.err, "flag provided but not defined: -frobnicate")) << unknown.diagnostics();
}

// A seconds job every second, its output prefixed with the job's name (as
// Supercronic wraps it in a log line), the crontab's variable in its
// environment, JSON logs with -json; SIGTERM stops tend cleanly (exit 0).
TEST(Supercronic, AJobRunsWithTheCrontabsVariables) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    write_file(crontab, fmt::format("GREETING='hello cron'\n"
                                    "* * * * * * * echo \"$GREETING\" >> {0}; echo \"said $GREETING\"\n",
                                    sandbox.out("cron.out").string()));
    TendProcess tend(sandbox, supercronic(sandbox, {"-json", crontab.string()}));
    ASSERT_TRUE(wait_for_lines(sandbox.out("cron.out"), 2, 15s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("cron.out")).front(), "hello cron");
    EXPECT_TRUE(contains(r.out, "crontab-0 | said hello cron")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "\"message\":\"" + crontab.string() + ": job 0 (line 2)")) << r.diagnostics();
}

// SIGUSR2: no new run starts, the running one finishes, then the edited
// crontab runs. A broken edit is named and the jobs that run go on.
TEST(Supercronic, Sigusr2ReloadsTheCrontabOnceTheRunningJobHasFinished) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    const std::string out = sandbox.out_dir().string();
    // The first job's run waits for $OUT/gate, so it is running at the reload.
    write_file(crontab, fmt::format("* * * * * * * echo started >> {0}/old; "
                                    "while [ ! -e {0}/gate ]; do sleep 0.05; done; echo finished >> {0}/old\n",
                                    out));
    TendProcess tend(sandbox, supercronic(sandbox, {crontab.string()}));
    ASSERT_TRUE(wait_for_file(sandbox.out("old"), 15s)) << tend.current_err();
    const pid_t pid = tend.tend_pid();

    write_file(crontab, "this is not a crontab line\n");
    ASSERT_TRUE(tend.signal(SIGUSR2));
    ASSERT_TRUE(tend.wait_for_err(crontab.string() + ":1: bad crontab line 'this is not a crontab line'"))
        << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("SIGUSR2 received: " + crontab.string() + " not reloaded: the current jobs go on"))
        << tend.current_err();

    write_file(crontab, fmt::format("* * * * * * * echo new >> {0}/new\n", out));
    ASSERT_TRUE(tend.signal(SIGUSR2));
    ASSERT_TRUE(tend.wait_for_err("reloading " + crontab.string() + " once the running jobs have finished"))
        << tend.current_err();
    EXPECT_FALSE(file_exists(sandbox.out("new"))) << "the old run is still going";
    write_file(sandbox.out("gate"), "open\n");
    ASSERT_TRUE(wait_for_file(sandbox.out("new"), 15s)) << tend.current_err();
    EXPECT_EQ(read_lines(sandbox.out("old")), (std::vector<std::string>{"started", "finished"}))
        << "one run of the old job, finished before the reload";
    EXPECT_EQ(tend.tend_pid(), pid);
    EXPECT_TRUE(contains(tend.current_err(), "job 0 (line 1): '* * * * * * *' runs echo new")) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
}

// At start, as Supercronic: a bad crontab stops it (exit 1, the line named);
// an empty one keeps it up, and a reload can bring jobs.
TEST(Supercronic, ABadCrontabStopsTheStartAnEmptyOneWaitsForAReload) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    write_file(crontab, "* * * * * ok\n* * * * 13 * * x\n");
    RunResult bad = run_tend(sandbox, supercronic(sandbox, {crontab.string()}));
    EXPECT_EQ(bad.exit_code, 1) << bad.diagnostics();
    EXPECT_TRUE(contains(bad.err, crontab.string() + ":2: bad crontab line '* * * * 13 * * x'")) << bad.diagnostics();

    write_file(crontab, "# no job yet\n");
    TendProcess tend(sandbox, supercronic(sandbox, {crontab.string()}));
    ASSERT_GT(tend.tend_pid(), 0) << tend.current_err();
    write_file(crontab, fmt::format("* * * * * * * echo now >> {}\n", sandbox.out("now").string()));
    ASSERT_TRUE(tend.running()) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGUSR2));
    ASSERT_TRUE(wait_for_file(sandbox.out("now"), 15s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
}

// -inotify: writing the file reloads it, as SIGUSR2 does.
TEST(Supercronic, InotifyReloadsAnEditedCrontab) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    const std::string out = sandbox.out_dir().string();
    write_file(crontab, fmt::format("* * * * * * * echo old >> {0}/old\n", out));
    TendProcess tend(sandbox, supercronic(sandbox, {"-inotify", crontab.string()}));
    ASSERT_TRUE(wait_for_file(sandbox.out("old"), 15s)) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("watching " + crontab.string() + " for changes (-inotify)")) << tend.current_err();
    write_file(crontab, fmt::format("* * * * * * * echo new >> {0}/new\n", out));
    ASSERT_TRUE(wait_for_file(sandbox.out("new"), 15s)) << tend.current_err();
    EXPECT_TRUE(contains(tend.current_err(), "the crontab changed: reloading " + crontab.string())) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
}

// tend's children (host pids, from /proc) whose command line contains `marker`.
std::vector<pid_t> children_running(pid_t parent, std::string_view marker) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string status = read_file(entry.path() / "status");
        const auto ppid = status.find("\nPPid:\t");
        if (ppid == std::string::npos || std::atoi(status.c_str() + ppid + 7) != parent) continue;
        std::string cmdline = read_file(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (contains(cmdline, marker)) found.push_back(std::atoi(name.c_str()));
    }
    return found;
}

// -overlapping: a job due every second whose runs last until a gate opens
// has two runs alive at once (children of tend, read from /proc), each one's
// output routed as the job's (prefixed with its name); at SIGTERM every run
// is stopped and tend exits 0.
// Without the flag the same job has one run and the ticks are skipped.
TEST(Supercronic, OverlappingRunsAJobBesideItsRunInProgress) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    const std::string out = sandbox.out_dir().string();
    write_file(crontab, fmt::format("* * * * * * * echo started; while [ ! -e {0}/gate ]; do sleep 0.05; done\n", out));

    TendProcess tend(sandbox, supercronic(sandbox, {"-overlapping", crontab.string()}));
    const pid_t pid = tend.tend_pid();
    ASSERT_GT(pid, 0) << tend.current_err();
    // Both runs have written their line (and so are past their exec), and
    // both are alive at once.
    const auto started_lines = [&] {
        const std::string out = tend.current_out();
        std::size_t n = 0;
        for (auto at = out.find("crontab-0 | started"); at != std::string::npos;
             at = out.find("crontab-0 | started", at + 1))
            ++n;
        return n;
    };
    ASSERT_TRUE(wait_until([&] { return started_lines() >= 2 && children_running(pid, "/gate ]").size() >= 2; }, 15s))
        << "two runs of the job alive at once\n" << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("service crontab-0: the previous run (pid ")) << tend.current_err();
    EXPECT_TRUE(contains(tend.current_err(), "is still running at the tick: starting another run beside it (-overlapping)"))
        << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service crontab-0: stopping its overlapping run (pid ")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service crontab-0: overlapping run (pid ")) << "its end, logged\n" << r.diagnostics();

    TendProcess plain(sandbox, supercronic(sandbox, {crontab.string()}));
    ASSERT_TRUE(plain.wait_for_err("tick skipped: the previous run (pid ", 15s)) << plain.current_err();
    EXPECT_EQ(children_running(plain.tend_pid(), "/gate ]").size(), 1u) << plain.current_err();
    ASSERT_TRUE(plain.signal(SIGTERM));
    RunResult p = plain.wait();
    EXPECT_EQ(p.exit_code, 0) << p.diagnostics();
}

// -overlapping: each overlapping run has its own output pipes. The first run
// writes half a line, the next run (beside it) a whole line, then the first
// run the rest: two lines, each whole, neither cut nor joined with the other
// (on one shared pipe the router read "first-beginsecond-line").
TEST(Supercronic, OverlappingRunsNeverJoinOrCutEachOthersLines) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    const fs::path job = sandbox.root() / "job.sh";
    const std::string out = sandbox.out_dir().string();
    write_file(job, fmt::format(
        "wait_for() {{ while [ ! -e \"$1\" ]; do sleep 0.02; done; }}\n"
        "if mkdir {0}/first 2>/dev/null; then\n"
        "  wait_for {0}/second-started\n"
        "  printf first-begin\n"
        "  touch {0}/half-written\n"
        "  wait_for {0}/second-done\n"
        "  echo -first-end\n"
        "  echo done > {0}/first-done\n"
        "elif mkdir {0}/second 2>/dev/null; then\n"
        "  touch {0}/second-started\n"
        "  wait_for {0}/half-written\n"
        "  echo second-line\n"
        "  touch {0}/second-done\n"
        "fi\n", out));
    write_file(crontab, fmt::format("* * * * * * * sh {}\n", job.string()));
    TendProcess tend(sandbox, supercronic(sandbox, {"-overlapping", crontab.string()}));
    ASSERT_TRUE(wait_for_file(sandbox.out("first-done"), 15s)) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return contains(tend.current_out(), "-first-end"); }, 5s)) << tend.current_out();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(contains(r.out, "crontab-0 | second-line\n")) << r.diagnostics();
    EXPECT_TRUE(contains(r.out, "crontab-0 | first-begin-first-end\n")) << r.diagnostics();
    EXPECT_FALSE(contains(r.out, "first-beginsecond")) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
