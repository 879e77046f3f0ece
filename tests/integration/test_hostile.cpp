// Proves: docs/security.md, docs/testing.md#hostile-services
// Hostile services. A service running as nobody attacks tend
// (PID 1 of its namespace): setuid escalation, reading and tracing PID 1,
// signalling PID 1 and everyone, a fork bomb, a 100 MB stdout flood against a
// stalled reader, escaping SIGTERM by re-forking, stopping itself, holding
// control connections. Each attempt fails or is contained; tend keeps serving
// (the control socket answers), shutdown ends every process (none of the
// sandbox's is left on the host), and tend's RSS stays bounded.
//
// The attacks are modes of this test binary (`--tend-hostile-helper MODE
// ...`), run from a copy inside the sandbox so nobody can execute it; no
// shell is used for the setuid case because dash and bash drop a setuid euid
// by themselves.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "control_client.hpp"
#include "harness.hpp"

namespace tend::itest {
namespace {

constexpr const char* kHostileFlag = "--tend-hostile-helper";

// --- the test side ----------------------------------------------------------

// A copy of this binary at <sandbox>/<name>, so a service of any user can run it.
fs::path helper_copy(const Sandbox& sandbox, std::string_view name = "hostile-helper") {
    const fs::path copy = sandbox.root() / name;
    if (!file_exists(copy)) {
        std::error_code ec;
        fs::copy_file(self_exe(), copy, ec);
        EXPECT_FALSE(ec) << "copy " << self_exe() << ": " << ec.message();
        ::chmod(copy.c_str(), 0755);
    }
    return copy;
}

std::string hostile(const fs::path& binary, const std::vector<std::string>& mode_and_args) {
    std::string text = shell_quote(binary.string()) + " " + kHostileFlag;
    for (const auto& word : mode_and_args) text += " " + shell_quote(word);
    return text;
}

bool serving(const Sandbox& sandbox) {
    return wait_until([&] { return ctl(sandbox, {"status"}).code == 0; }, 15s);
}

// Host pids of processes whose command line contains `needle`.
std::vector<pid_t> host_pids_with(std::string_view needle) {
    std::vector<pid_t> pids;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return pids;
    while (dirent* entry = ::readdir(proc)) {
        const pid_t pid = std::atoi(entry->d_name);
        if (pid <= 0 || pid == ::getpid()) continue;
        std::string cmdline = read_file(fmt::format("/proc/{}/cmdline", pid));
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (contains(cmdline, needle)) pids.push_back(pid);
    }
    ::closedir(proc);
    return pids;
}

// Every process that ran something of the sandbox (its scripts, the helper
// copies) is gone: "shutdown leaves no process", seen from the host.
void expect_nothing_left(const Sandbox& sandbox) {
    const bool gone = wait_until([&] { return host_pids_with(sandbox.root().string()).empty(); }, 5s);
    EXPECT_TRUE(gone) << host_pids_with(sandbox.root().string()).size() << " processes of the sandbox left";
}

long rss_kb(pid_t pid) {
    const auto status = parse_proc_status(read_file(fmt::format("/proc/{}/status", pid)));
    const auto found = status.find("VmRSS");
    return found == status.end() ? -1 : std::atol(found->second.c_str());
}

// tend's own memory after an attack: a few MiB normally; 32 MiB would mean
// it kept something of the attack.
void expect_rss_bounded(TendProcess& tend) {
    const long rss = rss_kb(tend.tend_pid());
    EXPECT_GT(rss, 0);
    EXPECT_LT(rss, 32 * 1024) << "tend's VmRSS is " << rss << " kB";
}

RunResult stop(TendProcess& tend) {
    expect_rss_bounded(tend);
    EXPECT_TRUE(tend.signal(SIGTERM));
    RunResult result = tend.wait();
    EXPECT_FALSE(result.timed_out) << result.diagnostics();
    return result;
}

// --- setuid -----------------------------------------------------------------

// A setuid-root copy of a program run by nobody keeps euid nobody: tend sets
// no_new_privs. The same copy under allow-new-privs does become root, so the
// file system honours setuid here and the first half can fail.
TEST(Hostile, SetuidRootHelperDoesNotRaiseNobody) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path setuid_copy = helper_copy(sandbox, "setuid-helper");
    ASSERT_EQ(::chown(setuid_copy.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(setuid_copy.c_str(), 04755), 0);
    sandbox.service("attacker").user("nobody").restart("never").run(
        "exec " + hostile(setuid_copy, {"ids", sandbox.out("attacker.ids").string()}) + "\n");
    sandbox.service("allowed").user("nobody").flag("allow-new-privs").restart("never").run(
        "exec " + hostile(setuid_copy, {"ids", sandbox.out("allowed.ids").string()}) + "\n");

    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("attacker.ids"))) << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("allowed.ids"))) << tend.current_err();
    EXPECT_EQ(read_file(sandbox.out("attacker.ids")), "ruid=65534 euid=65534 suid=65534\n");
    EXPECT_EQ(read_file(sandbox.out("allowed.ids")), "ruid=65534 euid=0 suid=0\n")
        << "control: setuid works on this file system";
    EXPECT_TRUE(serving(sandbox));
    stop(tend);
    expect_nothing_left(sandbox);
}

// --- PID 1: /proc, ptrace, signals ---------------------------------------------

// nobody cannot read tend's environment or memory, trace it, or signal it;
// its kill(-1) reaches only its own uid: a bystander of another uid is not
// restarted, tend keeps serving.
TEST(Hostile, ProcPtraceAndSignalsCannotReachTend) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    sandbox.service("bystander").user("daemon").run(
        "echo $$ >> \"$OUT/bystander.starts\"\n" + sh_wait_for_file("\"$OUT/ping\"", 60) +
        "echo pong > \"$OUT/pong\"\nexec sleep 1000\n");
    sandbox.service("attacker").user("nobody").restart("never").run(
        "exec " + hostile(helper, {"pid1", sandbox.out("attacker.report").string()}) + "\n");

    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("bystander.starts"))) << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("attacker.report"))) << tend.current_err();
    EXPECT_EQ(read_file(sandbox.out("attacker.report")),
              "environ=EACCES mem=EACCES ptrace-attach=EPERM ptrace-seize=EPERM "
              "kill-1-term=EPERM kill-1-kill=EPERM kill-all=allowed own-child=killed\n");

    write_file(sandbox.out("ping"), "1\n");
    ASSERT_TRUE(wait_for_file(sandbox.out("pong"))) << tend.current_err();
    EXPECT_EQ(read_lines(sandbox.out("bystander.starts")).size(), 1u) << "the bystander was killed and restarted";
    EXPECT_TRUE(tend.running());
    EXPECT_TRUE(serving(sandbox));
    const RunResult result = stop(tend);
    EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
    expect_nothing_left(sandbox);
}

// --- fork bomb -----------------------------------------------------------------

// `limits nproc` stops the bomb with EAGAIN; tend keeps serving and ends
// every process of the bomb at shutdown.
TEST(Hostile, ForkBombStopsAtItsNprocLimit) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    sandbox.service("bomb").user("nobody").file("limits", "nproc 40\n").restart("never").run(
        "exec " + hostile(helper, {"forkbomb", sandbox.out("bomb.report").string()}) + "\n");

    TendProcess tend(sandbox, TendOptions{.args = {"--services-grace", "1s", "--kill-grace", "1s"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("bomb.report"))) << tend.current_err();
    const std::string report = read_file(sandbox.out("bomb.report"));
    EXPECT_TRUE(contains(report, "error=EAGAIN")) << report;
    // RLIMIT_NPROC counts every process of the uid on the host, so the
    // bomb's share is at most the limit.
    const int forks = std::atoi(report.c_str() + std::strlen("forks="));
    EXPECT_LT(forks, 40) << report;
    EXPECT_TRUE(serving(sandbox));
    stop(tend);
    expect_nothing_left(sandbox);
}

// --- stdout flood ----------------------------------------------------------------

// 100 MB of lines through --log-prefix while tend's stdout reader is stalled:
// the service blocks on its full pipe (tend stops reading it), tend answers
// the control socket meanwhile, and once the reader drains, all of it passes
// with tend's RSS bounded far below the flood.
TEST(Hostile, StdoutFloodAgainstAStalledReaderKeepsRssBounded) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    constexpr long kFloodBytes = 100L * 1000 * 1000;
    sandbox.service("flood").user("nobody").restart("never").run(
        "exec " + hostile(helper, {"flood", std::to_string(kFloodBytes), sandbox.out("flood.done").string()}) + "\n");

    // tend's stdout is a FIFO whose reader waits for $OUT/drain.
    const fs::path fifo = sandbox.root() / "stdout.fifo";
    TendOptions options;
    options.args = {"--log-prefix"};
    options.timeout = 120s;
    options.launcher_script = fmt::format(
        "mkfifo {fifo}\n"
        "( while [ ! -e {drain} ]; do sleep 0.02; done\n"
        "  exec grep -n -x --line-buffered 'flood | END' > {drained} ) < {fifo} &\n"
        "exec \"$@\" > {fifo}\n",
        fmt::arg("fifo", shell_quote(fifo.string())), fmt::arg("drain", shell_quote(sandbox.out("drain").string())),
        fmt::arg("drained", shell_quote(sandbox.out("drained").string())));
    TendProcess tend(sandbox, options);
    const pid_t tend_pid = tend.tend_pid();
    ASSERT_GT(tend_pid, 0);
    ASSERT_TRUE(serving(sandbox)) << tend.current_err();
    const long rss_before = rss_kb(tend_pid);
    ASSERT_GT(rss_before, 0);

    // Stalled: the flooder sleeps in a pipe write.
    const std::string flood_marker = (sandbox.root() / "hostile-helper").string() + " " + kHostileFlag + " flood";
    ASSERT_TRUE(wait_until(
        [&] {
            for (pid_t pid : host_pids_with(flood_marker))
                if (contains(read_file(fmt::format("/proc/{}/wchan", pid)), "pipe_write")) return true;
            return false;
        },
        30s))
        << tend.current_err();
    EXPECT_TRUE(serving(sandbox)) << "tend answers while its stdout is stalled";
    long rss_max = rss_kb(tend_pid);

    write_file(sandbox.out("drain"), "1\n");
    const bool done = wait_until(
        [&] {
            rss_max = std::max(rss_max, rss_kb(tend_pid));
            return !read_file(sandbox.out("drained")).empty();
        },
        90s);
    ASSERT_TRUE(done) << "the flood did not get through; flooder: " << read_file(sandbox.out("flood.done"))
                      << "\n" << tend.current_err();
    // Every line arrived, prefixed, with nothing lost: the reader saw the
    // last one as line lines+1.
    // The flooder reports after its last write, which the reader may see first.
    ASSERT_TRUE(wait_for_file(sandbox.out("flood.done")));
    const std::string written = read_file(sandbox.out("flood.done"));
    const long lines = std::atol(written.c_str() + std::strlen("lines="));
    EXPECT_GT(lines, kFloodBytes / 100 - 1) << written;
    EXPECT_EQ(read_file(sandbox.out("drained")), fmt::format("{}:flood | END\n", lines + 1)) << written;
    // Bounded: tend's queues are 256 KiB a stream; 16 MiB is far above what
    // tend needs and far below what keeping the flood would take.
    EXPECT_LT(rss_max - rss_before, 16 * 1024) << "VmRSS before " << rss_before << " kB, max " << rss_max << " kB";
    EXPECT_TRUE(serving(sandbox));
    stop(tend);
    expect_nothing_left(sandbox);
}

// --- escaping SIGTERM ------------------------------------------------------------

// On SIGTERM the service forks a child that ignores SIGTERM, and exits.
// Staying in its process group, the child is ended by the group's SIGKILL
// after timeout-kill; in a session of its own it escapes the group, and
// tend says what is left after --kill-grace, exits, and the end of the
// namespace ends it. Either way nothing is left.
struct EscapeCase {
    const char* name;
    bool new_session;
};

class HostileEscape : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(HostileEscape, ReForkingToEscapeSigtermLeavesNoProcess) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    sandbox.service("escape").user("nobody").line("timeout-kill", "1s").run(
        "exec " +
        hostile(helper, {"escape", GetParam().new_session ? "session" : "group", sandbox.out("escape.up").string(),
                         sandbox.out("escape.forked").string()}) +
        "\n");

    TendProcess tend(sandbox, TendOptions{.args = {"--kill-grace", "1s"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("escape.up"))) << tend.current_err();
    const RunResult result = stop(tend);
    EXPECT_TRUE(file_exists(sandbox.out("escape.forked"))) << "the service did try to escape\n" << result.diagnostics();
    EXPECT_EQ(contains(result.err, "left after --kill-grace"), GetParam().new_session) << result.diagnostics();
    expect_nothing_left(sandbox);
}

INSTANTIATE_TEST_SUITE_P(Hostile, HostileEscape,
                         ::testing::Values(EscapeCase{"InItsGroup", false}, EscapeCase{"InANewSession", true}),
                         ParamName{});

// --- SIGSTOP -----------------------------------------------------------------------

// A service that stopped itself before shutdown is still ended: SIGCONT
// follows the SIGTERM (the group's SIGKILL would come after timeout-kill),
// without waiting for --kill-grace.
TEST(Hostile, ServiceStoppedWithSigstopIsEndedAtShutdown) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    sandbox.service("stopped").user("nobody").line("timeout-kill", "1s").run(
        "exec " + hostile(helper, {"stopme", sandbox.out("stopped.up").string()}) + "\n");

    TendProcess tend(sandbox, TendOptions{.args = {"--kill-grace", "20s"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("stopped.up"))) << tend.current_err();
    const std::string marker = (sandbox.root() / "hostile-helper").string() + " " + kHostileFlag + " stopme";
    ASSERT_TRUE(wait_until([&] {
        for (pid_t pid : host_pids_with(marker))
            if (contains(read_file(fmt::format("/proc/{}/stat", pid)), ") T ")) return true;
        return false;
    })) << "the service never stopped itself";
    const RunResult result = stop(tend);
    EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
    EXPECT_FALSE(contains(result.err, "left after --kill-grace")) << result.diagnostics();
    // SIGCONT after the SIGTERM lets the SIGTERM act: no need for timeout-kill's SIGKILL.
    EXPECT_TRUE(contains(result.err, "service stopped: killed by SIGTERM")) << result.diagnostics();
    expect_nothing_left(sandbox);
}

// --- control socket ------------------------------------------------------------------

// A service allowed on the control socket (--control-group) opens more
// connections than the server takes and holds them without a whole request.
// Others are served once the stale ones pass their deadline, and shutdown is
// not held up.
TEST(Hostile, HeldControlConnectionsDoNotStopOthersOrTheShutdown) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path helper = helper_copy(sandbox);
    sandbox.service("holder").user("nobody:nogroup").restart("never").run(
        "exec " + hostile(helper, {"hold-control", (sandbox.runtime_dir() / "control.sock").string(), "300",
                                   sandbox.out("holder.report").string()}) +
        "\n");

    TendProcess tend(sandbox, TendOptions{.args = {"--control-group", "nogroup"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("holder.report"), 30s)) << tend.current_err();
    const std::string report = read_file(sandbox.out("holder.report"));
    EXPECT_TRUE(contains(report, "connected=300")) << report;
    // The holder still holds every socket it opened.
    EXPECT_TRUE(serving(sandbox)) << tend.current_err();
    const RunResult result = stop(tend);
    EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
    expect_nothing_left(sandbox);
}

// --- a forged log line ----------------------------------------------------------------

// A refused service dir named "x\ntend: info: service db:
// ready" put that line into the text log as if tend had written it.
TEST(Hostile, AServiceDirNameCannotForgeALogLine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const std::string name = "x\ntend: info: service db: ready";
    sandbox.service(name).run("exec sleep 1000\n");
    sandbox.service("canary").run("echo up > \"$OUT/canary\"\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("canary"))) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("x\\ntend: info: service db: ready")) << tend.current_err();
    const RunResult result = stop(tend);
    for (const auto& line : lines_containing(result.err, "service db: ready"))
        EXPECT_FALSE(line.starts_with("tend: info: service db")) << "forged line:\n" << result.err;
}

// --- the helper modes (in the service) ------------------------------------------------

void report(const char* file, const std::string& text) {
    const std::string temporary = std::string(file) + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return;
    [[maybe_unused]] ssize_t n = ::write(fd, text.data(), text.size());
    ::close(fd);
    ::rename(temporary.c_str(), file);
}

const char* error_name(int error) { return error == 0 ? "none" : strerrorname_np(error); }

// Result of one attempt: the errno name, or "allowed".
std::string attempt(bool ok, int error) { return ok ? std::string("allowed") : std::string(error_name(error)); }

int mode_ids(const char* file) {
    uid_t ruid, euid, suid;
    ::getresuid(&ruid, &euid, &suid);
    report(file, fmt::format("ruid={} euid={} suid={}\n", ruid, euid, suid));
    return 0;
}

int mode_pid1(const char* file) {
    std::string text;
    const int environ_fd = ::open("/proc/1/environ", O_RDONLY | O_CLOEXEC);
    int error = errno;
    char byte;
    const bool environ_read = environ_fd >= 0 && ::read(environ_fd, &byte, 1) >= 0;
    if (environ_fd >= 0 && !environ_read) error = errno;
    text += "environ=" + attempt(environ_read, error);
    const int mem_fd = ::open("/proc/1/mem", O_RDONLY | O_CLOEXEC);
    text += " mem=" + attempt(mem_fd >= 0, errno);
    const long attached = ::ptrace(PTRACE_ATTACH, 1, nullptr, nullptr);
    text += " ptrace-attach=" + attempt(attached == 0, errno);
    const long seized = ::ptrace(PTRACE_SEIZE, 1, nullptr, nullptr);
    text += " ptrace-seize=" + attempt(seized == 0, errno);
    text += " kill-1-term=" + attempt(::kill(1, SIGTERM) == 0, errno);
    text += " kill-1-kill=" + attempt(::kill(1, SIGKILL) == 0, errno);
    // kill(-1) reaches every process this uid may signal except itself: a
    // child of its own shows that it did go out.
    const pid_t own_child = ::fork();
    if (own_child == 0) {
        for (;;) ::pause();
    }
    text += " kill-all=" + attempt(::kill(-1, SIGKILL) == 0, errno);
    int status = 0;
    ::waitpid(own_child, &status, 0);
    text += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? " own-child=killed" : " own-child=alive";
    report(file, text + "\n");
    return 0;
}

int mode_forkbomb(const char* file) {
    int forks = 0;
    int error = 0;
    // Bounded, so a limit that was not applied fails the test, not the host.
    for (int i = 0; i < 200; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            for (;;) ::pause();
        }
        if (pid < 0) {
            error = errno;
            break;
        }
        ++forks;
    }
    report(file, fmt::format("forks={} error={}\n", forks, error_name(error)));
    for (;;) ::pause();
}

int mode_flood(long bytes, const char* file) {
    std::string line(99, 'x');
    line += '\n';
    std::string block;
    while (block.size() < 65536) block += line;
    long written = 0;
    long lines = 0;
    while (written < bytes) {
        std::string_view rest = block;
        while (!rest.empty()) {
            const ssize_t n = ::write(1, rest.data(), rest.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return 1;
            }
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        written += static_cast<long>(block.size());
        lines += static_cast<long>(block.size() / line.size());
    }
    if (::write(1, "END\n", 4) != 4) return 1;
    report(file, fmt::format("lines={} bytes={}\n", lines, written));
    for (;;) ::pause();
}

int mode_escape(bool new_session, const char* up_file, const char* forked_file) {
    static const char* forked = forked_file;
    static bool leave_group = new_session;
    struct sigaction action {};
    action.sa_handler = [](int) {
        if (::fork() == 0) {
            if (leave_group) ::setsid();
            ::signal(SIGTERM, SIG_IGN);
            const int fd = ::open(forked, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            [[maybe_unused]] ssize_t n = ::write(fd, "1\n", 2);
            ::close(fd);
            for (;;) ::pause();
        }
        ::_exit(0);
    };
    ::sigaction(SIGTERM, &action, nullptr);
    report(up_file, "up\n");
    for (;;) ::pause();
}

int mode_stopme(const char* up_file) {
    report(up_file, "up\n");
    ::raise(SIGSTOP);
    for (;;) ::pause();
}

int mode_hold_control(const char* socket_path, int count, const char* file) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
    int connected = 0;
    int error = 0;
    for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            error = errno;
            continue;
        }
        ++connected;
        // Half of them start a request and never finish it.
        if (i % 2 == 0) {
            [[maybe_unused]] ssize_t n = ::send(fd, "tend-ctl/1 sta", 14, MSG_NOSIGNAL);
        }
    }
    report(file, fmt::format("connected={} error={}\n", connected, error_name(error)));
    for (;;) ::pause();
}

__attribute__((constructor)) void run_hostile_helper_if_asked(int argc, char** argv, char**) {
    if (argc < 3 || argv == nullptr || std::strcmp(argv[1], kHostileFlag) != 0) return;
    const std::string_view mode = argv[2];
    char** args = argv + 3;
    const int count = argc - 3;
    if (mode == "ids" && count >= 1) ::_exit(mode_ids(args[0]));
    if (mode == "pid1" && count >= 1) ::_exit(mode_pid1(args[0]));
    if (mode == "forkbomb" && count >= 1) ::_exit(mode_forkbomb(args[0]));
    if (mode == "flood" && count >= 2) ::_exit(mode_flood(std::atol(args[0]), args[1]));
    if (mode == "escape" && count >= 3)
        ::_exit(mode_escape(std::string_view(args[0]) == "session", args[1], args[2]));
    if (mode == "stopme" && count >= 1) ::_exit(mode_stopme(args[0]));
    if (mode == "hold-control" && count >= 3) ::_exit(mode_hold_control(args[0], std::atoi(args[1]), args[2]));
    ::_exit(122);
}

}  // namespace
}  // namespace tend::itest
