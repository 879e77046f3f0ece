// Proves: docs/s6-overlay.md#loggers, docs/logs.md#a-service-with-a-logger
// Loggers as s6 runs them: a v2 `services.d/NAME/log/run` and an s6-rc
// pipeline (`producer-for`, `consumer-for`, `pipeline-name`) run the logger
// as a supervised service whose stdin is the producer's stdout, through one
// pipe tend holds: lines arrive in the logger and not on tend's stdout, a
// restart of the producer or of the logger loses nothing, and at shutdown
// the producer stops first so its logger still takes its last words.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include "control_client.hpp"
#include "harness.hpp"

namespace tend::itest {
namespace {

// A producer: each life appends to $OUT/app.lives and writes three lines;
// the first life then exits (a producer restart), later ones wait for
// $OUT/more, write one more line, and say goodbye on SIGTERM.
std::string producer(const Sandbox& sandbox) {
    return sandbox.script(
        "echo x >> \"$OUT/app.lives\"\n"
        "n=$(wc -l < \"$OUT/app.lives\")\n"
        "for i in 0 1 2; do echo \"life$n line$i\"; done\n"
        "echo \"life$n on stderr\" >&2\n"
        "[ \"$n\" -eq 1 ] && exit 1\n"
        // Slow to stop: a logger stopped at the same time would be signalled
        // long before $OUT/app.gone exists.
        "trap 'echo \"life$n bye\"; sleep 0.3; echo gone > \"$OUT/app.gone\"; exit 0' TERM\n"
        "while [ ! -e \"$OUT/more\" ]; do sleep 0.02; done\n"
        "echo \"life$n after the logger restarted\"\n"
        "sleep 1000 & wait\n");
}

std::vector<std::string> expected_lines(bool with_bye) {
    std::vector<std::string> lines{"life1 line0", "life1 line1", "life1 line2", "life2 line0",
                                   "life2 line1", "life2 line2", "life2 after the logger restarted"};
    if (with_bye) lines.push_back("life2 bye");
    return lines;
}

// Lines of a logdir's `current` without their timestamps ("@... " prefix).
std::vector<std::string> logged_lines(const fs::path& current) {
    std::vector<std::string> lines;
    for (const auto& line : read_lines(current)) lines.push_back(line.starts_with('@') ? line.substr(26) : line);
    return lines;
}

// v2: services.d/app/log/run, a shell logger reading its stdin a line at a
// time; its first life takes two lines and exits, so both sides restart.
TEST(Loggers, V2LogRunReadsTheServiceStdoutAcrossRestartsOfEitherSide) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("app").file("run", producer(sandbox), 0755);
    write_file(sandbox.services_dir() / "app/log/run",
               sandbox.script("echo x >> \"$OUT/log.lives\"\n"
                              "echo \"$TEND_SERVICE\" > \"$OUT/log.name\"\n"
                              "if [ \"$(wc -l < \"$OUT/log.lives\")\" -eq 1 ]; then\n"
                              "  read a; echo \"$a\" >> \"$OUT/logged\"; read b; echo \"$b\" >> \"$OUT/logged\"; exit 0\n"
                              "fi\n"
                              // SIGTERM is noted (was the producer gone by then?) and reading
                              // goes on until timeout-kill.
                              "trap 'if [ -e \"$OUT/app.gone\" ]; then echo after; else echo before; fi "
                              ">> \"$OUT/log.stopped\"' TERM\n"
                              "while :; do if read line; then echo \"$line\" >> \"$OUT/logged\"; fi; done\n"),
               0755);
    write_file(sandbox.services_dir() / "app/log/timeout-kill", "500\n");
    TendOptions options;
    options.args.push_back("--runtime-dir=" + sandbox.runtime_dir().string());
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_lines(sandbox.out("logged"), 6, 15s)) << read_file(sandbox.out("logged")) << tend.current_err();
    write_file(sandbox.out("more"), "x");
    ASSERT_TRUE(wait_for_lines(sandbox.out("logged"), 7, 15s)) << read_file(sandbox.out("logged")) << tend.current_err();
    EXPECT_EQ(read_lines(sandbox.out("logged")), expected_lines(false)) << "nothing lost, nothing twice";
    EXPECT_GE(read_lines(sandbox.out("log.lives")).size(), 2u) << "the logger restarted";
    EXPECT_EQ(read_file(sandbox.out("log.name")), "app-log\n");
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(contains(r.out, "line0")) << "the producer's stdout goes to its logger, not to tend's\n"
                                           << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "life1 on stderr")) << "its stderr still goes through tend\n" << r.diagnostics();
    // The producer was stopped first: its logger got SIGTERM only once it
    // had exited, and took its goodbye.
    EXPECT_EQ(read_file(sandbox.out("log.stopped")), "after\n") << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("logged")), expected_lines(true)) << r.diagnostics();
}

// v3: an s6-rc pipeline into tend's own s6-log applet writing a logdir; the
// logger is restarted with `tend ctl restart` while the producer runs.
TEST(Loggers, S6RcPipelineIntoS6LogLosesNothingAndStopsProducerFirst) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path root = sandbox.root() / "root";
    const std::string install = fmt::format("{} compat install {}", shell_quote(tend_binary().string()),
                                            shell_quote(root.string()));
    ASSERT_EQ(std::system(install.c_str()), 0) << install;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    const fs::path logs = sandbox.out_dir() / "logs";
    write_file(rc / "app/type", "longrun\n");
    write_file(rc / "app/run", producer(sandbox), 0755);
    write_file(rc / "app/producer-for", "app-log\n");
    write_file(rc / "app-log/type", "longrun\n");
    write_file(rc / "app-log/consumer-for", "app\n");
    write_file(rc / "app-log/pipeline-name", "app-pipeline\n");
    // s6-log says it is ready on fd 3 once its logdir is open; the producer starts after that.
    write_file(rc / "app-log/notification-fd", "3\n");
    write_file(rc / "app-log/run",
               fmt::format("#!/bin/sh\nexec {} -b -d3 -- t n3 s4096 {}\n", shell_quote((root / "command/s6-log").string()),
                           shell_quote(logs.string())),
               0755);
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/app-pipeline", "");

    TendOptions options;
    options.launcher_script = fmt::format(
        "set -e\n/bin/mkdir -p {r}/etc-work\n"
        "/bin/mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "/bin/mount -t tmpfs tmpfs /run\nset +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
    options.args.push_back("--runtime-dir=" + sandbox.runtime_dir().string());
    TendProcess tend(sandbox, options);
    const fs::path current = logs / "current";
    ASSERT_TRUE(wait_until([&] { return logged_lines(current).size() >= 6; }, 15s))
        << read_file(current) << tend.current_err();
    // A logger restart while the producer runs: what it writes meanwhile waits in the pipe.
    const CtlResult restarted = ctl(sandbox, {"restart", "app-log"});
    EXPECT_EQ(restarted.code, 0) << restarted.out << restarted.err;
    write_file(sandbox.out("more"), "x");
    ASSERT_TRUE(wait_until([&] { return logged_lines(current).size() >= 7; }, 15s))
        << read_file(current) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    // s6-log drains what is in the pipe when it is stopped, after the producer.
    EXPECT_EQ(logged_lines(current), expected_lines(true)) << read_file(current) << r.diagnostics();
    for (const auto& line : read_lines(current))
        EXPECT_TRUE(line.size() > 26 && line[0] == '@' && line[25] == ' ') << "a TAI64N label: " << line;
    struct stat st {};
    ASSERT_EQ(::stat(current.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0744u) << "finalised by s6-log at its exit";
    EXPECT_FALSE(contains(r.out, "line0")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "pipelines are not supported")) << r.diagnostics();
    const auto logger_ready = r.err.find("service app-log: ready");
    const auto app_started = r.err.find("service app: started");
    ASSERT_NE(logger_ready, std::string::npos) << r.diagnostics();
    EXPECT_LT(logger_ready, app_started) << r.diagnostics();
    // The producer was stopped (and exited) before its logger was.
    const auto app_done = r.err.rfind("service app: exited");
    const auto log_stopped = r.err.rfind("service app-log:");
    ASSERT_NE(app_done, std::string::npos) << r.diagnostics();
    ASSERT_NE(log_stopped, std::string::npos) << r.diagnostics();
    EXPECT_LT(app_done, log_stopped) << r.diagnostics();
}

// A logger that never reads: what is left in its pipe at exit is said.
TEST(Loggers, BytesALoggerNeverReadAreNamedAtExit) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("app").run("echo hello\necho > \"$OUT/wrote\"\nexec sleep 1000\n");
    write_file(sandbox.services_dir() / "app/log/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    RunResult r = run_until_files(sandbox, {"wrote"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service output dropped at exit: 6 bytes never read by the logger app-log"))
        << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
