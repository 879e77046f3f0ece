// Proves: docs/logs.md
// --log-prefix, --log-format=json, --verbosity.
//
// With --log-prefix every line a service writes reaches tend's stdout or
// stderr (the same stream it was written to) as `<name> | <line>`: whole
// lines, long ones cut into 16 KiB pieces, a partial last line flushed, the
// pipes usable by path for a non-root service, and a slow reader of tend's
// stdout slowing the services down instead of losing bytes or freezing tend.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"
#include "stdout_fifo.hpp"

namespace tend::itest {
namespace {

using namespace readers;

constexpr std::size_t kPiece = 16 * 1024;

// The lines of `text` that start with "<name> |", prefix removed ("" for an
// empty line, whether or not tend keeps the blank after the bar).
std::vector<std::string> prefixed_lines(std::string_view text, std::string_view name) {
    const std::string bar = std::string(name) + " |";
    std::vector<std::string> found;
    for (auto& line : lines_of(text)) {
        if (!line.starts_with(bar)) continue;
        std::string rest = line.substr(bar.size());
        if (rest.starts_with(' ')) rest.erase(0, 1);
        found.push_back(rest);
    }
    return found;
}

TEST(LogPrefix, EachStreamGoesToTheSameStreamOfTendWithTheServiceName) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(
        "echo hello\n"
        "echo oops >&2\n"
        "printf 'two\\nlines\\n'\n"
        "echo 'a | b' >&2\n"
        "echo done > \"$OUT/web.done\"\n"
        "exec sleep 1000\n");
    sandbox.service("db").run("echo 'db says hi'\necho > \"$OUT/db.done\"\nexec sleep 1000\n");

    TendOptions options{.args = {"--log-prefix"},
                        .command = sandbox.sh(sh_wait_for_file("\"$OUT/web.done\"") +
                                              sh_wait_for_file("\"$OUT/db.done\"") +
                                              "sleep 0.2\necho 'from the CMD'\n")};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    SCOPED_TRACE(r.diagnostics());
    EXPECT_EQ(prefixed_lines(r.out, "web"), (std::vector<std::string>{"hello", "two", "lines"}));
    EXPECT_EQ(prefixed_lines(r.err, "web"), (std::vector<std::string>{"oops", "a | b"}));
    EXPECT_EQ(prefixed_lines(r.out, "db"), (std::vector<std::string>{"db says hi"}));
    EXPECT_TRUE(prefixed_lines(r.err, "db").empty());
    EXPECT_EQ(lines_containing(r.out, "from the CMD"), (std::vector<std::string>{"from the CMD"}))
        << "the CMD's output is passed through unprefixed";
    EXPECT_TRUE(lines_containing(r.out, "oops").empty()) << "stderr leaked into stdout";
    EXPECT_TRUE(lines_containing(r.err, "hello").empty()) << "stdout leaked into stderr";
}

// Two services writing many lines at once: every line arrives whole, under
// its own name, in its service's order.
TEST(LogPrefix, ConcurrentServicesNeverMixLines) {
    TEND_REQUIRE_NAMESPACES();
    constexpr int kLines = 3000;
    const std::string padding(150, '.');
    Sandbox sandbox;
    for (const char* name : {"left", "right"})
        sandbox.service(name).run(fmt::format(
            "i=0\nwhile [ $i -lt {0} ]; do echo \"{1}-$i-{2}\"; i=$((i+1)); done\n"
            "echo > \"$OUT/{1}.done\"\nexec sleep 1000\n",
            kLines, name, padding));

    TendProcess tend(sandbox, {.args = {"--log-prefix"}});
    for (const char* name : {"left", "right"}) {
        const std::string last = fmt::format("{0} | {0}-{1}-", name, kLines - 1);
        EXPECT_TRUE(wait_for_out(tend, last, 20s)) << name << "\n" << tend.current_err();
    }
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    for (const char* name : {"left", "right"}) {
        SCOPED_TRACE(name);
        const auto lines = prefixed_lines(r.out, name);
        ASSERT_EQ(lines.size(), static_cast<std::size_t>(kLines));
        for (int i = 0; i < kLines; ++i)
            ASSERT_EQ(lines[static_cast<std::size_t>(i)], fmt::format("{}-{}-{}", name, i, padding)) << "line " << i;
    }
    std::size_t foreign = 0;
    for (const auto& line : lines_of(r.out))
        if (!line.starts_with("left | left-") && !line.starts_with("right | right-")) ++foreign;
    EXPECT_EQ(foreign, 0U) << "lines that are neither service's whole line";
}

// 40000 bytes -> 16384 + 16384 + 7232; a line of exactly 16 KiB stays whole.
TEST(LogPrefix, LongLinesAreCutInto16KiBPiecesWithNothingLost) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("long").run(fmt::format(
        "head -c 40000 /dev/zero | tr '\\0' x; echo\n"
        "head -c {0} /dev/zero | tr '\\0' y; echo\n"
        "head -c 20000 /dev/zero | tr '\\0' z >&2; echo >&2\n"
        "echo after\n"
        "exec sleep 1000\n",
        kPiece));

    TendProcess tend(sandbox, {.args = {"--log-prefix"}});
    EXPECT_TRUE(wait_for_out(tend, "long | after\n")) << tend.current_err();
    EXPECT_TRUE(tend.wait_for_err("long | zzz", 5s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const std::vector<std::string> expected_out{std::string(kPiece, 'x'), std::string(kPiece, 'x'),
                                                std::string(40000 - 2 * kPiece, 'x'),
                                                std::string(kPiece, 'y'), "after"};
    const auto out = prefixed_lines(r.out, "long");
    ASSERT_EQ(out.size(), expected_out.size()) << "stdout: " << r.out.size() << " bytes";
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_TRUE(out[i] == expected_out[i]) << "piece " << i << " has " << out[i].size()
                                               << " bytes, expected " << expected_out[i].size();
    const auto err = prefixed_lines(r.err, "long");
    ASSERT_EQ(err.size(), 2U) << r.err.size() << " bytes of stderr";
    EXPECT_TRUE(err[0] == std::string(kPiece, 'z')) << err[0].size();
    EXPECT_TRUE(err[1] == std::string(20000 - kPiece, 'z')) << err[1].size();
}

// `exits` leaves a partial line and exits: it must appear while tend still
// runs (flushed at EOF). `lingers` leaves one and keeps the pipe open: it
// must appear by the end of the shutdown.
TEST(LogPrefix, PartialLastLineIsFlushedAtExitAndAtShutdown) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("exits").restart("never").run("printf 'first\\nno newline at the end'\n");
    sandbox.service("lingers").run("printf 'pending' >&2\necho up > \"$OUT/lingers.up\"\nexec sleep 1000\n");

    TendProcess tend(sandbox, {.args = {"--log-prefix"}});
    EXPECT_TRUE(wait_for_out(tend, "exits | no newline at the end\n"))
        << "partial line not flushed at EOF\n--- stdout ---\n" << tend.current_out();
    // The partial line is in the pipe before the shutdown starts.
    ASSERT_TRUE(wait_for_file(sandbox.out("lingers.up"))) << tend.current_err();
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(prefixed_lines(r.out, "exits"), (std::vector<std::string>{"first", "no newline at the end"}))
        << r.diagnostics();
    EXPECT_EQ(prefixed_lines(r.err, "lingers"), (std::vector<std::string>{"pending"})) << r.diagnostics();
}

// The pipes belong to the service's user: reopening them by path works.
TEST(LogPrefix, NonRootServiceCanOpenItsStdoutAndStderrByPath) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    for (auto [name, user] : {std::pair{"nobody-svc", "nobody"}, std::pair{"numeric-svc", "23456:23456"}})
        sandbox.service(name).user(user).run(fmt::format(
            "echo via-dev-stdout > /dev/stdout || echo dev-stdout >> \"$OUT/{0}.failed\"\n"
            "echo via-proc-fd1 > /proc/self/fd/1 || echo proc-fd1 >> \"$OUT/{0}.failed\"\n"
            "echo via-dev-stderr > /dev/stderr || echo dev-stderr >> \"$OUT/{0}.failed\"\n"
            "echo via-proc-fd2 > /proc/self/fd/2 || echo proc-fd2 >> \"$OUT/{0}.failed\"\n"
            "echo > \"$OUT/{0}.done\"\n"
            "exec sleep 1000\n",
            name));

    RunResult r = run_until_files(sandbox, {"nobody-svc.done", "numeric-svc.done"}, {.args = {"--log-prefix"}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    for (const char* name : {"nobody-svc", "numeric-svc"}) {
        SCOPED_TRACE(name);
        EXPECT_EQ(read_file(sandbox.out(std::string(name) + ".failed")), "") << r.diagnostics();
        EXPECT_EQ(prefixed_lines(r.out, name), (std::vector<std::string>{"via-dev-stdout", "via-proc-fd1"}))
            << r.diagnostics();
        EXPECT_EQ(prefixed_lines(r.err, name), (std::vector<std::string>{"via-dev-stderr", "via-proc-fd2"}))
            << r.diagnostics();
    }
}

// A service writing ~5 MB: echo started, seq, echo done, stay up.
std::string flood_run(int lines) {
    return fmt::format("echo > \"$OUT/svc.started\"\nseq 1 {}\necho > \"$OUT/svc.done\"\nexec sleep 1000\n",
                       lines);
}

// The reader waits 2 s before reading. The service must be held back (it
// cannot have finished when the reader starts: buffers stay bounded), tend
// must wait rather than spin meanwhile, and once the reader drains, every
// line arrives, in order.
TEST(LogPrefixBackpressure, SlowReaderGetsEveryLineInOrder) {
    TEND_REQUIRE_NAMESPACES();
    constexpr int kLines = 750000;
    Sandbox sandbox;
    sandbox.service("svc").run(flood_run(kLines));

    TendProcess tend(sandbox,
                     {.args = {"--log-prefix"},
                      .launcher_script = fifo_launcher(
                          sandbox, "sleep 2; echo > \"$OUT/reader.started\"; exec cat > \"$OUT/slow\";")});
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.started"), 10s)) << tend.current_err();
    const pid_t tend_pid = tend.tend_pid();
    const auto cpu_at_start = cpu_time(tend_pid);
    ASSERT_TRUE(wait_for_file(sandbox.out("reader.started"), 10s)) << tend.current_err();
    const auto cpu_while_blocked = cpu_time(tend_pid);
    const bool done_before_reader = file_exists(sandbox.out("svc.done"));
    EXPECT_TRUE(wait_for_file(sandbox.out("svc.done"), 20s)) << tend.current_err();
    EXPECT_TRUE(wait_for_text(sandbox.out("slow"), fmt::format("svc | {}\n", kLines), 20s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    EXPECT_FALSE(done_before_reader)
        << "the service wrote 5 MB before anyone read tend's stdout: no backpressure";
    ASSERT_TRUE(cpu_at_start && cpu_while_blocked);
    // About 2 s of wall time with the output blocked: waiting, not spinning.
    EXPECT_LT(*cpu_while_blocked - *cpu_at_start, 500ms) << "tend burnt CPU while its stdout was full";

    const std::string slow = read_file(sandbox.out("slow"));
    std::string expected;
    expected.reserve(slow.size());
    for (int i = 1; i <= kLines; ++i) fmt::format_to(std::back_inserter(expected), "svc | {}\n", i);
    if (slow != expected) {
        std::size_t at = 0;
        while (at < slow.size() && at < expected.size() && slow[at] == expected[at]) ++at;
        const std::size_t line_start = at == 0 ? 0 : expected.rfind('\n', at - 1) + 1;  // npos + 1 == 0
        ADD_FAILURE() << "tend's stdout differs from the service's output: got " << slow.size()
                      << " bytes, expected " << expected.size() << "; first difference in expected line \""
                      << expected.substr(line_start, expected.find('\n', line_start) - line_start)
                      << "\", got \"" << slow.substr(std::min(line_start, slow.size()), 40) << "\"";
    }
}

// Nobody reads tend's stdout for now. A service that keeps crashing (and so
// keeps closing its output pipes) must still be restarted on schedule, and
// tend must not turn the hang-ups of pipes it is not reading into a busy loop.
TEST(LogPrefixBackpressure, SupervisionGoesOnWithoutSpinningWhileStdoutIsFull) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run(flood_run(750000));
    sandbox.service("blip").run("echo > \"$OUT/blip.started\"\nexit 3\n");

    TendProcess tend(sandbox, {.args = {"--log-prefix"}, .launcher_script = fifo_launcher(sandbox, "exec sleep 1000;")});
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.started"), 10s)) << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("blip.started"), 10s)) << tend.current_err();
    const pid_t tend_pid = tend.tend_pid();
    const auto cpu_before = cpu_time(tend_pid);
    const auto starts_before = lines_containing(tend.current_err(), "service blip: started").size();
    // Two more restarts (backoff 0.1, 0.2, 0.4, 0.8 s) while stdout stays full.
    wait_until([&] { return lines_containing(tend.current_err(), "service blip: started").size() >= starts_before + 2; },
               10s);
    const auto cpu_after = cpu_time(tend_pid);
    const auto starts_after = lines_containing(tend.current_err(), "service blip: started").size();
    const bool svc_done = file_exists(sandbox.out("svc.done"));
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    EXPECT_FALSE(svc_done) << "the service was not held back";
    EXPECT_GE(starts_after - starts_before, 2U) << "tend stopped restarting services while its stdout was full\n"
                                                << r.err;
    ASSERT_TRUE(cpu_before && cpu_after);
    EXPECT_LT(*cpu_after - *cpu_before, 300ms) << "tend burnt CPU while its stdout was full";
}

// Nobody ever reads tend's stdout: a SIGTERM must still be handled at once
// (tend never blocks on its output) and the shutdown must end.
TEST(LogPrefixBackpressure, SigtermIsHandledWhileStdoutIsFull) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run(flood_run(750000));

    TendProcess tend(sandbox, {.args = {"--log-prefix", "--drain-timeout", "1000"},
                               .launcher_script = fifo_launcher(sandbox, "exec sleep 1000;"),
                               .timeout = 20s});
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.started"))) << tend.current_err();
    // The service needs far less than this to fill every buffer on the way.
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(file_exists(sandbox.out("svc.done"))) << "the service was not held back";
    const auto sent = Clock::now();
    ASSERT_TRUE(tend.signal(SIGTERM));
    EXPECT_TRUE(tend.wait_for_err("shutting down", 1s)) << "SIGTERM not handled within 1 s\n" << tend.current_err();
    RunResult r = tend.wait();
    const auto shutdown_time = Clock::now() - sent;
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    // The services stage is bounded by a 3 s grace, the final drain by --drain-timeout.
    EXPECT_LT(shutdown_time, 8s) << r.diagnostics();
}

// A service name with a quote and a backslash makes the escaping visible.
TEST(LogFormat, JsonMakesEachOwnMessageOneJsonObjectALine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("we\"ird\\name").run("exec sleep 1000\n");
    sandbox.service("bad").line("capabilities", "cap_frobnicate");

    TendOptions options{.args = {"--log-format=json"}, .command = {"sleep", "0.3"}};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    std::set<std::string> levels;
    bool saw_quoted_name = false;
    std::size_t count = 0;
    for (const auto& line : lines_of(r.err)) {
        if (line.empty()) continue;
        ++count;
        auto object = parse_flat_json_object(line);
        ASSERT_TRUE(object.has_value()) << "not a flat JSON object: " << line;
        ASSERT_TRUE(object->contains("level")) << line;
        ASSERT_TRUE(object->contains("message")) << line;
        EXPECT_FALSE(object->at("message").empty()) << line;
        levels.insert(object->at("level"));
        if (contains(object->at("message"), "we\"ird\\name")) saw_quoted_name = true;
    }
    EXPECT_GE(count, 3U) << r.diagnostics();
    EXPECT_TRUE(levels.contains("info")) << r.diagnostics();
    EXPECT_TRUE(levels.contains("error")) << r.diagnostics();
    EXPECT_TRUE(saw_quoted_name) << "no message names the service with the quote\n" << r.diagnostics();
}

struct VerbosityCase {
    const char* name;
    const char* verbosity;
    bool errors, warnings, infos;

    friend void PrintTo(const VerbosityCase& c, std::ostream* os) { *os << c.name; }
};

class Verbosity : public ::testing::TestWithParam<VerbosityCase> {};

// One error (an unknown capability), one warning (keep-env beside
// import-env) and the usual info lines; each level shows only what it should.
TEST_P(Verbosity, ShowsOnlyLevelsUpToTheChosenOne) {
    TEND_REQUIRE_NAMESPACES();
    const VerbosityCase& c = GetParam();
    Sandbox sandbox;
    sandbox.service("bad").line("capabilities", "cap_frobnicate").run("exec sleep 1000\n");
    sandbox.service("warned").flag("keep-env").line("import-env", "PATH").run("exec sleep 1000\n");

    TendOptions options{.args = {"--verbosity", c.verbosity}, .command = {"sleep", "0.3"}};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(!lines_containing(r.err, "tend: error:").empty(), c.errors) << r.diagnostics();
    EXPECT_EQ(!lines_containing(r.err, "tend: warning:").empty(), c.warnings) << r.diagnostics();
    EXPECT_EQ(!lines_containing(r.err, "tend: info:").empty(), c.infos) << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "tend: debug:").empty() || c.verbosity[0] >= '3') << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(Levels, Verbosity,
                         ::testing::Values(VerbosityCase{"zero_errors_only", "0", true, false, false},
                                           VerbosityCase{"one_adds_warnings", "1", true, true, false},
                                           VerbosityCase{"two_adds_info", "2", true, true, true}),
                         ParamName{});

}  // namespace
}  // namespace tend::itest

namespace tend::itest {
namespace {

// tend's own log lines and a service's long stderr lines share tend's stderr.
// With a slow reader the pipe takes partial writes; still every line must be
// whole: either tend's own or a prefixed service line, never one inside the
// other.
TEST(LogPrefixStderr, OwnLinesNeverLandInsideAServiceLine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // 300 lines of 3000 bytes on stderr: 900 KB, far more than a pipe holds.
    sandbox.service("noisy").run(
        "line=$(printf '%03000d' 0)\n"
        "i=0; while [ $i -lt 300 ]; do echo \"$i$line\" >&2; i=$((i+1)); done\n"
        "echo > \"$OUT/noisy.done\"\nexec sleep 1000\n");
    // A crash loop keeps tend logging meanwhile; each start is counted.
    sandbox.service("blip").run("echo >> \"$OUT/blip.starts\"\nexit 3\n");
    const std::string launcher = fmt::format(
        "OUT={}\n"
        "mkfifo \"$OUT/errfifo\" || exit 99\n"
        "{{ sleep 1; exec cat > \"$OUT/stderr\"; }} < \"$OUT/errfifo\" &\n"
        "exec \"$@\" 2> \"$OUT/errfifo\"",
        shell_quote(sandbox.out_dir().string()));
    TendProcess tend(sandbox, {.args = {"--log-prefix"}, .launcher_script = launcher});
    ASSERT_TRUE(wait_for_file(sandbox.out("noisy.done"), 20s));
    ASSERT_TRUE(wait_for_text(sandbox.out("stderr"), "noisy | 299", 20s));
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();

    const auto lines = read_lines(sandbox.out("stderr"));
    std::size_t noisy = 0, own = 0;
    for (const auto& line : lines) {
        if (line.starts_with("noisy | ")) {
            ++noisy;
            EXPECT_EQ(line.size(), std::string("noisy | ").size() + 3000 + std::to_string(noisy - 1).size())
                << "line " << noisy - 1 << " is not whole";
        } else if (line.starts_with("tend: ")) {
            ++own;
            EXPECT_LT(line.size(), 200u) << line.substr(0, 200);
        } else {
            ADD_FAILURE() << "neither tend's nor a prefixed line: " << line.substr(0, 120);
        }
    }
    EXPECT_EQ(noisy, 300u);
    EXPECT_GE(own, 3u) << "the crash loop should have logged meanwhile";
    // While the pipe was full, tend's own lines waited in order; none is lost.
    std::size_t logged_starts = 0;
    for (const auto& line : lines) logged_starts += line.starts_with("tend: info: service blip: started") ? 1 : 0;
    EXPECT_EQ(logged_starts, read_lines(sandbox.out("blip.starts")).size());
}

}  // namespace
}  // namespace tend::itest
