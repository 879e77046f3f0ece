// Proves: docs/logs.md#service-output
// Service output belongs to the
// service.
//
// By default every service has its own stdout and stderr pipe, owned by its
// uid (made under its fsuid, so tend needs no CAP_CHOWN), kept for tend's
// whole life (a crash loop creates no fds), read by tend and written to tend's
// stdout/stderr as whole lines, unprefixed unless --log-prefix. At exit the
// buffered rest gets --drain-timeout; what is left is named on tend's stderr.
// --inherit-output gives services tend's own fds. A --cmd-user CMD gets owned
// pipes where tend's stdio is not a terminal.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "require_capsh.hpp"
#include "stdout_fifo.hpp"

namespace tend::itest {
namespace {

constexpr uid_t kNobody = 65534;

bool wait_for_stdout(const TendProcess& tend, std::string_view needle, Clock::duration timeout = 10s) {
    return wait_until([&] { return contains(tend.current_out(), needle); }, timeout);
}

std::size_t open_fd_count(pid_t pid) {
    std::size_t count = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++count;
    return count;
}

std::string fd_target(pid_t pid, int fd) {
    std::error_code ec;
    return fs::read_symlink(fmt::format("/proc/{}/fd/{}", pid, fd), ec).string();
}

// Service body: writes a line through each way of naming its output, and
// reports its fd 1's owner and any failure. Facts about the shell's own fds
// are taken in a command substitution: with `cmd > file` dash may redirect
// its own fd 1 before running cmd.
std::string reopening_run(std::string_view name) {
    return fmt::format(
        "owner1=$(stat -L -c %u /proc/$$/fd/1); echo \"$owner1\" > \"$OUT/{0}.owner1\"\n"
        "owner2=$(stat -L -c %u /proc/$$/fd/2); echo \"$owner2\" > \"$OUT/{0}.owner2\"\n"
        "echo {0}-via-dev-stdout > /dev/stdout || echo dev-stdout >> \"$OUT/{0}.failed\"\n"
        "echo {0}-via-proc-fd1 > /proc/self/fd/1 || echo proc-fd1 >> \"$OUT/{0}.failed\"\n"
        "echo {0}-via-dev-stderr > /dev/stderr || echo dev-stderr >> \"$OUT/{0}.failed\"\n"
        "echo {0}-via-proc-fd2 > /proc/self/fd/2 || echo proc-fd2 >> \"$OUT/{0}.failed\"\n"
        "echo > \"$OUT/{0}.done\"\n"
        "exec sleep 1000\n",
        name);
}

void expect_reopened_output(const Sandbox& sandbox, const RunResult& r, std::string_view name) {
    SCOPED_TRACE(std::string(name));
    const std::string n(name);
    EXPECT_EQ(read_file(sandbox.out(n + ".failed")), "") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out(n + ".owner1")), fmt::format("{}\n", kNobody)) << "owner of the service's fd 1";
    EXPECT_EQ(read_file(sandbox.out(n + ".owner2")), fmt::format("{}\n", kNobody)) << "owner of the service's fd 2";
    // Unprefixed, each on its own stream of tend's.
    EXPECT_EQ(lines_containing(r.out, n + "-via-"),
              (std::vector<std::string>{n + "-via-dev-stdout", n + "-via-proc-fd1"}))
        << r.diagnostics();
    EXPECT_EQ(lines_containing(r.err, n + "-via-"),
              (std::vector<std::string>{n + "-via-dev-stderr", n + "-via-proc-fd2"}))
        << r.diagnostics();
}

// php-fpm's `error_log = /proc/self/fd/2` and nginx's `error_log /dev/stderr`
// as a non-root service, with nothing to configure.
TEST(Output, NonRootServiceOwnsItsPipesAndReopensThemByPath) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").user("nobody").run(reopening_run("web"));
    RunResult r = run_until_files(sandbox, {"web.done"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_reopened_output(sandbox, r, "web");
}

// The pipes are made under the service's fsuid: no CAP_CHOWN needed. capsh
// drops it from the bounding set, so root's exec of tend leaves it out of
// tend's permitted and effective sets.
TEST(Output, WorksWithoutCapChown) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("web").user("nobody").run(reopening_run("web"));
    TendProcess tend(sandbox, {.launcher_script = "exec capsh --drop=cap_chown -- -c 'exec \"$@\"' sh \"$@\""});
    const pid_t tend_pid = tend.tend_pid();
    ASSERT_GT(tend_pid, 0);
    const auto status = parse_proc_status(read_file(fmt::format("/proc/{}/status", tend_pid)));
    ASSERT_TRUE(status.contains("CapEff")) << tend.current_err();
    const std::uint64_t effective = std::stoull(status.at("CapEff"), nullptr, 16);
    const std::uint64_t permitted = std::stoull(status.at("CapPrm"), nullptr, 16);
    EXPECT_EQ(effective & 1U, 0U) << "tend still has CAP_CHOWN: the test proves nothing";
    EXPECT_EQ(permitted & 1U, 0U) << "tend still has CAP_CHOWN: the test proves nothing";
    // CAP_SETGID (6) and CAP_SETUID (7) are all the switch needs.
    EXPECT_EQ(effective & 0xC0U, 0xC0U) << "tend lacks CAP_SETUID or CAP_SETGID";
    EXPECT_TRUE(wait_for_file(sandbox.out("web.done"))) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_reopened_output(sandbox, r, "web");
    EXPECT_TRUE(lines_containing(r.err, "tend: warning").empty()) << r.diagnostics();
}

TEST(Output, PrefixedWithLogPrefix) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("echo hello\necho oops >&2\necho > \"$OUT/web.done\"\nexec sleep 1000\n");
    for (bool prefix : {false, true}) {
        SCOPED_TRACE(prefix ? "--log-prefix" : "default");
        std::filesystem::remove(sandbox.out("web.done"));
        TendOptions options;
        if (prefix) options.args = {"--log-prefix"};
        RunResult r = run_until_files(sandbox, {"web.done"}, options);
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_EQ(lines_containing(r.out, "hello"),
                  (std::vector<std::string>{prefix ? "web | hello" : "hello"}))
            << r.diagnostics();
        EXPECT_EQ(lines_containing(r.err, "oops"), (std::vector<std::string>{prefix ? "web | oops" : "oops"}))
            << r.diagnostics();
    }
}

// The same pipe for every start and for finish: restarts make no fds, and
// what finish writes arrives like the service's own output.
TEST(Output, RestartsAndFinishShareTheServicesPipes) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc")
        .run("n=$(cat \"$OUT/starts\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$OUT/starts\"\n"
             "fd1=$(readlink /proc/$$/fd/1); fd2=$(readlink /proc/$$/fd/2)\n"
             "echo \"$fd1\" > \"$OUT/run$n.fd1\"; echo \"$fd2\" > \"$OUT/run$n.fd2\"\n"
             "echo run $n\n"
             "[ $n -lt 3 ] && exit 1\n"
             "exec sleep 1000\n")
        .finish("fd1=$(readlink /proc/$$/fd/1)\n"
                "echo \"$fd1\" > \"$OUT/finish.fd1.tmp\"; mv \"$OUT/finish.fd1.tmp\" \"$OUT/finish.fd1\"\n"
                "echo finish ran\n");
    RunResult r = run_until_files(sandbox, {"run3.fd2", "finish.fd1"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    const std::string first = read_file(sandbox.out("run1.fd1"));
    EXPECT_TRUE(first.starts_with("pipe:[")) << first;
    EXPECT_EQ(read_file(sandbox.out("run2.fd1")), first);
    EXPECT_EQ(read_file(sandbox.out("run3.fd1")), first);
    EXPECT_EQ(read_file(sandbox.out("finish.fd1")), first);
    EXPECT_NE(read_file(sandbox.out("run1.fd2")), first) << "stdout and stderr are separate pipes";
    EXPECT_EQ(read_file(sandbox.out("run3.fd2")), read_file(sandbox.out("run1.fd2")));
    for (const char* line : {"run 1", "run 2", "run 3"})
        EXPECT_EQ(lines_containing(r.out, line).size(), 1U) << line << "\n" << r.diagnostics();
    EXPECT_GE(lines_containing(r.out, "finish ran").size(), 1U) << r.diagnostics();
}

// Two services writing many lines at once, unprefixed: each line arrives
// whole and in its service's order.
TEST(Output, TwoChattyServicesNeverInterleaveMidLine) {
    TEND_REQUIRE_NAMESPACES();
    constexpr int kLines = 3000;
    const std::string padding(300, '.');
    Sandbox sandbox;
    for (const char* name : {"left", "right"})
        sandbox.service(name).run(fmt::format(
            "i=0\nwhile [ $i -lt {0} ]; do echo \"{1}-$i-{2}\"; i=$((i+1)); done\n"
            "echo > \"$OUT/{1}.done\"\nexec sleep 1000\n",
            kLines, name, padding));

    TendProcess tend(sandbox);
    for (const char* name : {"left", "right"})
        EXPECT_TRUE(wait_for_stdout(tend, fmt::format("{}-{}-", name, kLines - 1), 20s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    int next[2] = {0, 0};
    std::size_t foreign = 0;
    for (const auto& line : lines_of(r.out)) {
        int side = line.starts_with("left-") ? 0 : line.starts_with("right-") ? 1 : -1;
        if (side < 0) {
            ++foreign;
            continue;
        }
        const char* name = side == 0 ? "left" : "right";
        ASSERT_EQ(line, fmt::format("{}-{}-{}", name, next[side], padding)) << "line " << next[side] << " of " << name;
        ++next[side];
    }
    EXPECT_EQ(next[0], kLines);
    EXPECT_EQ(next[1], kLines);
    EXPECT_EQ(foreign, 0U) << "lines that are neither service's whole line";
}

// A prompt without a newline from a service that keeps running shows after
// about a second (no timing asserted: only that it shows while the service
// is still up, before any exit or shutdown could have flushed it).
TEST(Output, PartialLineShowsWhileTheServiceRuns) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run("printf 'whole\\nprompt> '\nprintf 'err-partial' >&2\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_stdout(tend, "whole\nprompt> \n")) << tend.current_out();
    EXPECT_TRUE(tend.wait_for_err("err-partial\n")) << tend.current_err();
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(lines_containing(r.out, "prompt>"), (std::vector<std::string>{"prompt> "})) << "flushed once";
}

// With --log-prefix and tend's stdout stalled, 20 crash-looping
// services took tend from 179 to 259 fds in 9 s. Now a service's pipes are
// made once: its restarts add none, prefixed or not.
TEST(Output, CrashLoopWithStalledStdoutKeepsTendsFdCountConstant) {
    TEND_REQUIRE_NAMESPACES();
    for (bool prefix : {false, true}) {
        SCOPED_TRACE(prefix ? "--log-prefix" : "default");
        Sandbox sandbox;
        // Fills every buffer between itself and the stalled FIFO.
        sandbox.service("flood").run("echo > \"$OUT/flood.started\"\nseq 1 2000000\nexec sleep 1000\n");
        for (int i = 0; i < 5; ++i)
            sandbox.service(fmt::format("crash{}", i))
                .run(fmt::format("echo crashing\necho x >> \"$OUT/crash{}.starts\"\nexit 1\n", i));
        TendOptions options{.launcher_script = fifo_launcher(sandbox, "exec sleep 1000;")};
        if (prefix) options.args = {"--log-prefix"};
        TendProcess tend(sandbox, options);
        ASSERT_TRUE(wait_for_file(sandbox.out("flood.started"))) << tend.current_err();
        const pid_t tend_pid = tend.tend_pid();
        ASSERT_GT(tend_pid, 0);
        // Every crash loop past its first start, which makes the service's pipes.
        auto starts = [&] {
            std::size_t fewest = SIZE_MAX;
            for (int i = 0; i < 5; ++i)
                fewest = std::min(fewest, read_lines(sandbox.out(fmt::format("crash{}.starts", i))).size());
            return fewest;
        };
        ASSERT_TRUE(wait_until([&] { return starts() >= 2; })) << tend.current_err();
        // A spawn in flight holds its status pipe until the exec: the baseline
        // is the fewest fds seen over a second of backoffs, not one sample.
        std::size_t fds_before = SIZE_MAX;
        wait_until([&] {
            fds_before = std::min(fds_before, open_fd_count(tend_pid));
            return false;
        }, 1s);
        const std::size_t starts_before = starts();
        ASSERT_TRUE(wait_until([&] { return starts() >= starts_before + 3; })) << tend.current_err();
        // Between two starts, not while one is being made (its status pipe).
        std::size_t fds_after = 0;
        EXPECT_TRUE(wait_until([&] { return (fds_after = open_fd_count(tend_pid)) == fds_before; }, 2s))
            << "tend had " << fds_before << " fds, then " << fds_after << " after more restarts";
        tend.signal(SIGTERM);
        RunResult r = tend.wait();
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
    }
}

// tend's stdout is a FIFO the test itself reads (outside the namespace, so
// tend's final kill cannot end the reader). Opened non-blocking before tend
// starts, so the launcher's open for writing does not wait.
class HostFifo {
public:
    explicit HostFifo(const fs::path& path) : path_(path) {
        EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
        fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        EXPECT_GE(fd_, 0);
    }
    ~HostFifo() {
        if (fd_ >= 0) ::close(fd_);
    }
    // Reads until every writer closed (tend exited), or the timeout. With
    // `slowly`, 4 KiB every 5 ms: a reader slower than tend's output.
    std::string read_to_end(bool slowly = false, Clock::duration timeout = 30s) {
        std::string got;
        const auto until = Clock::now() + timeout;
        char buffer[65536];
        while (Clock::now() < until) {
            ssize_t n = ::read(fd_, buffer, slowly ? 4096 : sizeof buffer);
            if (n > 0) {
                got.append(buffer, static_cast<std::size_t>(n));
                if (slowly) std::this_thread::sleep_for(5ms);
                continue;
            }
            if (n == 0) break;  // every writer is gone
            pollfd p{fd_, POLLIN, 0};
            ::poll(&p, 1, 100);
        }
        return got;
    }
    std::string launcher() const {
        return fmt::format("exec \"$@\" > {}", shell_quote(path_.string()));
    }

private:
    fs::path path_;
    int fd_ = -1;
};

// 300 KB from a primary service that exits while nobody reads tend's stdout.
// 3000 lines of 100 bytes.
void add_big_primary(const Sandbox& sandbox) {
    sandbox.service("big")
        .flag("primary")
        .run("i=1000; while [ $i -lt 4000 ]; do printf '%s%0095d\\n' $i 0; i=$((i+1)); done\n"
             "echo > \"$OUT/big.wrote\"\n");
}

std::string big_expected() {
    std::string expected;
    for (int i = 1000; i < 4000; ++i) expected += fmt::format("{}{:095d}\n", i, 0);
    return expected;
}

// Output still buffered at shutdown was cut off after --kill-grace
// with no word. The reader stalls until tend is shutting down, then reads
// slowly (about 0.4 s for all, 4 times --kill-grace): every line arrives.
TEST(OutputAtExit, BufferedOutputAllArrivesWithinTheDrainTimeout) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    add_big_primary(sandbox);
    HostFifo fifo(sandbox.root() / "stdout.fifo");
    TendProcess tend(sandbox, {.args = {"--drain-timeout", "20000", "--kill-grace", "100"},
                               .launcher_script = fifo.launcher()});
    ASSERT_TRUE(tend.wait_for_err("shutting down", 20s)) << tend.current_err();
    const std::string got = fifo.read_to_end(true);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(got == big_expected()) << "got " << got.size() << " bytes, expected " << big_expected().size() << "\n"
                                       << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "dropped").empty()) << r.diagnostics();
}

// Nobody reads until tend has exited: after --drain-timeout tend says how
// many bytes of which service it dropped, and that number is exactly what
// did not arrive.
TEST(OutputAtExit, WhatCannotBeWrittenInTimeIsNamedOnTheLastLine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    add_big_primary(sandbox);
    HostFifo fifo(sandbox.root() / "stdout.fifo");
    TendProcess tend(sandbox, {.args = {"--drain-timeout", "300"}, .launcher_script = fifo.launcher()});
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const std::string got = fifo.read_to_end();
    const std::string expected = big_expected();
    EXPECT_TRUE(expected.starts_with(got)) << "what arrived is not the start of the output";

    const auto dropped_lines = lines_containing(r.err, "dropped");
    ASSERT_EQ(dropped_lines.size(), 1U) << r.diagnostics();
    const std::string& line = dropped_lines.front();
    EXPECT_EQ(line, fmt::format("tend: warning: service output dropped at exit: {} bytes of big "
                                "(--drain-timeout of 300 ms reached)",
                                expected.size() - got.size()))
        << "arrived: " << got.size() << " of " << expected.size();
    // Nothing of tend's but (possibly) its exit line comes after it.
    const auto err_lines = lines_of(r.err);
    auto at = std::find(err_lines.begin(), err_lines.end(), line);
    ASSERT_NE(at, err_lines.end());
    for (auto it = at + 1; it != err_lines.end(); ++it) EXPECT_TRUE(contains(*it, "exit")) << *it;
}

// --inherit-output: services write straight to tend's fds (the old way).
// Default: a pipe of their own, not tend's.
TEST(Output, InheritOutputGivesServicesTendsOwnFds) {
    TEND_REQUIRE_NAMESPACES();
    for (bool inherit : {false, true}) {
        SCOPED_TRACE(inherit ? "--inherit-output" : "default");
        Sandbox sandbox;
        sandbox.service("svc").run(
            "fd1=$(readlink /proc/$$/fd/1); fd2=$(readlink /proc/$$/fd/2)\n"
            "printf '%s\\n%s\\n' \"$fd1\" \"$fd2\" > \"$OUT/fds.tmp\"; mv \"$OUT/fds.tmp\" \"$OUT/fds\"\n"
            "echo straight\nexec sleep 1000\n");
        TendOptions options;
        if (inherit) options.args = {"--inherit-output"};
        TendProcess tend(sandbox, options);
        ASSERT_TRUE(wait_for_file(sandbox.out("fds"))) << tend.current_err();
        const pid_t tend_pid = tend.tend_pid();
        const std::string tends = fd_target(tend_pid, 1) + "\n" + fd_target(tend_pid, 2) + "\n";
        EXPECT_TRUE(wait_for_stdout(tend, "straight\n"));
        tend.signal(SIGTERM);
        RunResult r = tend.wait();
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        const std::string service_fds = read_file(sandbox.out("fds"));
        if (inherit) {
            EXPECT_EQ(service_fds, tends);
        } else {
            EXPECT_NE(service_fds, tends);
            EXPECT_TRUE(service_fds.starts_with("pipe:[")) << service_fds;
        }
    }
}

TEST(Output, LogPrefixWithInheritOutputIsRefusedAtStart) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run("echo > \"$OUT/ran\"\nexec sleep 1000\n");
    for (auto env : {std::map<std::string, std::string>{},
                     std::map<std::string, std::string>{{"TEND_LOG_PREFIX", "1"}, {"TEND_INHERIT_OUTPUT", "1"}}}) {
        TendOptions options{.env = env};
        if (env.empty()) options.args = {"--log-prefix", "--inherit-output"};
        RunResult r = run_tend(sandbox, options);
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_EQ(r.exit_code, 2) << r.diagnostics();
        EXPECT_EQ(lines_containing(r.err, "cannot be combined with --inherit-output").size(), 1U) << r.diagnostics();
    }
    EXPECT_FALSE(file_exists(sandbox.out("ran")));
}

// tend's stdout is a pipe (read by a cat in the namespace): a --cmd-user CMD
// gets a pipe of its own user for it, and reopening it works; without
// --cmd-user the CMD keeps tend's very fd.
TEST(Output, CmdUserGetsOwnedPipesWhenStdioIsNoTerminal) {
    TEND_REQUIRE_NAMESPACES();
    for (bool as_nobody : {true, false}) {
        SCOPED_TRACE(as_nobody ? "--cmd-user nobody" : "no --cmd-user");
        Sandbox sandbox;
        const std::string launcher = fmt::format(
            "OUT={}\n"
            "mkfifo \"$OUT/fifo\" || exit 99\n"
            "{{ exec cat > \"$OUT/stdout\"; }} < \"$OUT/fifo\" &\n"
            "exec \"$@\" > \"$OUT/fifo\"",
            shell_quote(sandbox.out_dir().string()));
        TendOptions options{
            .command = sandbox.sh("owner=$(stat -L -c %u /proc/$$/fd/1); fd1=$(readlink /proc/$$/fd/1)\n"
                                  "echo \"$owner\" > \"$OUT/owner\"; echo \"$fd1\" > \"$OUT/fd1\"\n"
                                  "echo via-dev-stdout > /dev/stdout || echo failed > \"$OUT/failed\"\n"
                                  "echo > \"$OUT/done\"\n" +
                                  sh_wait_for_file("\"$OUT/go\"")),
            .launcher_script = launcher};
        if (as_nobody) options.args = {"--cmd-user", "nobody"};
        TendProcess tend(sandbox, options);
        ASSERT_TRUE(wait_for_file(sandbox.out("done"))) << tend.current_err();
        const std::string tends = fd_target(tend.tend_pid(), 1);
        write_file(sandbox.out("go"), "go\n");
        RunResult r = tend.wait();
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
        EXPECT_EQ(read_file(sandbox.out("failed")), "") << r.diagnostics();
        EXPECT_TRUE(wait_for_text(sandbox.out("stdout"), "via-dev-stdout\n")) << read_file(sandbox.out("stdout"));
        if (as_nobody) {
            EXPECT_EQ(read_file(sandbox.out("owner")), fmt::format("{}\n", kNobody));
            EXPECT_NE(read_file(sandbox.out("fd1")), tends + "\n") << "the CMD still has tend's own stdout";
        } else {
            EXPECT_EQ(read_file(sandbox.out("fd1")), tends + "\n") << "the CMD must keep tend's stdio";
        }
    }
}

}  // namespace
}  // namespace tend::itest
