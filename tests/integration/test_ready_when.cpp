// Proves: docs/service-directory.md#readiness
// `ready-when` (socket, tcp, file) for daemons that cannot
// write to a notification fd.
//
// Order is observed as in test_readiness.cpp: every process appends a marker
// line to $OUT/order. A listener writes its marker just *before* listen(), so
// with a correct tend the marker always precedes readiness, and the service
// waits half a second before it, a window in which a tend that took a stale
// socket file, a bound-but-not-listening socket or an old file for readiness
// would show the opposite order. Listeners are small perl programs: perl-base
// (Socket, IO::Socket::IP) is part of every Debian system.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"

namespace tend::itest {
namespace {

using namespace readers;

std::size_t count_of(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

// Shell code exec'ing a unix stream listener at `path` (a shell word): it
// removes whatever file is there, binds, sets `mode`, waits `delay` seconds,
// appends `marker` to $OUT/order, listens, and accepts forever; or, with
// `quit_file`, exits 1 once that file exists (leaving its socket file behind,
// as a crashed daemon does).
std::string sh_unix_listener(std::string_view path, std::string_view mode, std::string_view marker,
                             std::string_view delay = "0", std::string_view quit_file = "\"\"") {
    static constexpr std::string_view kScript = R"(
use Socket;
my ($path, $mode, $order, $marker, $delay, $quit) = @ARGV;
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
unlink $path;
bind($s, pack_sockaddr_un($path)) or die "bind $path: $!";
chmod(oct($mode), $path) or die "chmod $path: $!";
select(undef, undef, undef, $delay) if $delay > 0;
open(my $f, ">>", $order) or die "$order: $!"; print $f "$marker\n"; close $f;
listen($s, 64) or die "listen: $!";
if ($quit ne "") { until (-e $quit) { select(undef, undef, undef, 0.01) } exit 1 }
for (;;) { if (accept(my $c, $s)) { close $c } }
)";
    return fmt::format("exec perl -e '{}' {} {} \"$OUT/order\" {} {} {}\n", kScript, path, mode, marker, delay,
                       quit_file);
}

// Shell code exec'ing a TCP listener on host:port that appends `marker` to
// $OUT/order just before it listens.
std::string sh_tcp_listener(std::string_view host, int port, std::string_view marker) {
    static constexpr std::string_view kScript = R"(
use IO::Socket::IP;
my ($host, $port, $order, $marker) = @ARGV;
open(my $f, ">>", $order) or die "$order: $!"; print $f "$marker\n"; close $f;
my $s = IO::Socket::IP->new(LocalHost => $host, LocalPort => $port, Listen => 64, ReuseAddr => 1)
    or die "listen on $host:$port: $@";
for (;;) { my $c = $s->accept; close $c if $c }
)";
    return fmt::format("exec perl -e '{}' {} {} \"$OUT/order\" {}\n", kScript, host, port, marker);
}

// A port nobody listens on now, from the kernel (tests run in parallel in
// one network namespace); 0 when `host` has no such address (no IPv6).
int free_port(int family, const char* host) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_storage address{};
    socklen_t length;
    if (family == AF_INET6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        v6->sin6_family = AF_INET6;
        ::inet_pton(AF_INET6, host, &v6->sin6_addr);
        length = sizeof *v6;
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
        v4->sin_family = AF_INET;
        ::inet_pton(AF_INET, host, &v4->sin_addr);
        length = sizeof *v4;
    }
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    }
    ::close(fd);
    return port;
}

// A socket file nobody listens on: what a killed daemon leaves behind.
void make_stale_socket(const fs::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    ::close(fd);
    struct stat status {};
    ASSERT_EQ(::stat(path.c_str(), &status), 0);
    ASSERT_TRUE(S_ISSOCK(status.st_mode));
}

// A CMD that says "cmd" and then stays until `until_marker` is in the order
// file (so what it waits for has happened before tend shuts down).
std::vector<std::string> cmd_waiting_for(const Sandbox& sandbox, std::string_view until_marker) {
    return sandbox.sh(mark("cmd") + fmt::format("i=0; until grep -qx {} \"$OUT/order\" || [ $i -ge 1000 ]; do "
                                                "sleep 0.01; i=$((i+1)); done\n",
                                                until_marker));
}

// --- socket ---------------------------------------------------------------------------

struct NotListeningCase {
    const char* name;
    bool stale_file_before;  // a socket file of a previous life exists when tend starts
    const char* bind_delay;  // the listener binds, waits this long, then listens
    const char* start_delay;  // the service waits this long before it binds

    friend void PrintTo(const NotListeningCase& c, std::ostream* os) { *os << c.name; }
};

class SocketReadiness : public ::testing::TestWithParam<NotListeningCase> {};

// php (ready-when socket) gates both its dependant web and a --wait-ready
// CMD; what exists before the listen() (a stale socket file, or the new
// socket bound but not listening) never makes php ready.
TEST_P(SocketReadiness, GatesTheDependantAndTheCmdUntilSomethingListens) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path socket = sandbox.out("php.sock");
    if (GetParam().stale_file_before) make_stale_socket(socket);
    sandbox.service("php")
        .line("ready-when", "socket " + socket.string())
        .run(mark("php-start") + fmt::format("sleep {}\n", GetParam().start_delay) +
             sh_unix_listener("\"$OUT/php.sock\"", "0660", "php-listen", GetParam().bind_delay));
    sandbox.service("web").line("depends", "php").run(mark("web-start") + "exec sleep 1000\n");

    RunResult r = run_tend(sandbox, {.args = {"--wait-ready"}, .command = cmd_waiting_for(sandbox, "web-start")});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto order = read_lines(sandbox.out("order"));
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    ASSERT_GE(position(order, "php-listen"), 0);
    ASSERT_GE(position(order, "web-start"), 0);
    ASSERT_GE(position(order, "cmd"), 0);
    EXPECT_GT(position(order, "web-start"), position(order, "php-listen")) << "web started before php listened";
    EXPECT_GT(position(order, "cmd"), position(order, "php-listen")) << "the CMD ran before php listened";
    EXPECT_TRUE(contains(r.err, "service php: ready (socket " + socket.string() + ")"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SocketReadiness,
    ::testing::Values(NotListeningCase{"stale_file_of_a_previous_life", true, "0", "0.5"},
                      NotListeningCase{"bound_before_it_listens", false, "0.5", "0"}),
    ParamName{});

// The first life listens, then dies leaving its socket file; the second life
// listens only after half a second. Readiness must come again only then: the
// test sees the second "ready" line only after the second listen marker.
TEST(SocketReadinessAfterRestart, NotReadyUntilTheNewLifeListens) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path socket = sandbox.out("php.sock");
    sandbox.service("php")
        .line("ready-when", "socket " + socket.string())
        .run("if [ ! -e \"$OUT/first.done\" ]; then\n"
             "  echo > \"$OUT/first.done\"\n" +
             sh_unix_listener("\"$OUT/php.sock\"", "0600", "first-listen", "0", "\"$OUT/die\"") +
             "fi\n" + mark("second-start") + "sleep 0.5\n" +
             sh_unix_listener("\"$OUT/php.sock\"", "0600", "second-listen"));

    TendProcess tend(sandbox);
    const std::string ready_line = "service php: ready";
    ASSERT_TRUE(wait_until([&] { return count_of(tend.current_err(), ready_line) >= 1; })) << tend.current_err();
    write_file(sandbox.out("die"), "now\n");
    ASSERT_TRUE(wait_for_text(sandbox.out("order"), "second-start")) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return count_of(tend.current_err(), ready_line) >= 2; })) << tend.current_err();
    // Read right after the second "ready" showed: the listen marker of the
    // second life must already be there.
    const auto order = read_lines(sandbox.out("order"));
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    EXPECT_GE(position(order, "second-listen"), 0)
        << "ready again on the socket file of the previous life, before the new one listened";
    EXPECT_EQ(count_of(r.err, ready_line), 2U);
}

// --- tcp -------------------------------------------------------------------------------

struct TcpCase {
    const char* name;
    int family;
    const char* host;         // where the listener listens
    const char* ready_when;   // fmt pattern with {} for the port

    friend void PrintTo(const TcpCase& c, std::ostream* os) { *os << c.name; }
};

class TcpReadiness : public ::testing::TestWithParam<TcpCase> {};

TEST_P(TcpReadiness, TheCmdWaitsUntilThePortListens) {
    TEND_REQUIRE_NAMESPACES();
    const int port = free_port(GetParam().family, GetParam().host);
    if (port == 0) GTEST_SKIP() << "no " << GetParam().host << " on this machine";
    Sandbox sandbox;
    const std::string line = fmt::format(fmt::runtime(GetParam().ready_when), port);
    sandbox.service("web")
        .line("ready-when", line)
        .run(mark("web-start") + "sleep 0.5\n" + sh_tcp_listener(GetParam().host, port, "web-listen"));

    RunResult r = run_tend(sandbox, {.args = {"--wait-ready"}, .command = sandbox.sh(mark("cmd"))});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto order = read_lines(sandbox.out("order"));
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    ASSERT_GE(position(order, "web-listen"), 0);
    EXPECT_GT(position(order, "cmd"), position(order, "web-listen")) << "the CMD ran before the port listened";
    EXPECT_TRUE(contains(r.err, "service web: ready (tcp ")) << "no readiness line";
}

INSTANTIATE_TEST_SUITE_P(Addresses, TcpReadiness,
                         ::testing::Values(TcpCase{"ipv4_default_host", AF_INET, "127.0.0.1", "tcp {}"},
                                           TcpCase{"ipv4_localhost", AF_INET, "127.0.0.1", "tcp localhost:{}"},
                                           TcpCase{"ipv6_loopback", AF_INET6, "::1", "tcp [::1]:{}"}),
                         ParamName{});

// --- file -------------------------------------------------------------------------------

// Waits (no fixed sleep) until the coarse wall clock that stamps files has
// passed `file`'s ctime: only then is the file older than any later start,
// even to a filesystem with a few milliseconds of timestamp granularity.
void wait_until_file_is_in_the_past(const fs::path& file) {
    struct stat status {};
    ASSERT_EQ(::stat(file.c_str(), &status), 0) << file;
    timespec now{};
    do {
        ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    } while (now.tv_sec < status.st_ctim.tv_sec ||
             (now.tv_sec == status.st_ctim.tv_sec && now.tv_nsec <= status.st_ctim.tv_nsec));
}

// The file exists from before tend started: it does not count. The service
// rewrites it half a second after its start: that counts.
TEST(FileReadiness, AnOldFileDoesNotCountANewOneDoes) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path file = sandbox.out("app.pid");
    write_file(file, "1\n");
    wait_until_file_is_in_the_past(file);
    sandbox.service("app")
        .line("ready-when", "file " + file.string())
        .run(mark("app-start") + "sleep 0.5\n" + mark("app-write") + "echo $$ > \"$OUT/app.pid\"\nexec sleep 1000\n");

    RunResult r = run_tend(sandbox, {.args = {"--wait-ready"}, .command = sandbox.sh(mark("cmd"))});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto order = read_lines(sandbox.out("order"));
    SCOPED_TRACE("order: " + joined(order) + "\n" + r.diagnostics());
    ASSERT_GE(position(order, "app-write"), 0);
    EXPECT_GT(position(order, "cmd"), position(order, "app-write")) << "the old file made the service ready";
    EXPECT_TRUE(contains(r.err, "service app: ready (file " + file.string() + ")"));
}

// --- permissions ------------------------------------------------------------------------

// tend is root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (as under
// --cap-drop ALL --cap-add SETUID --cap-add SETGID). The service, as
// nobody:nogroup, listens on a 0660 socket in a 0700 directory of its own:
// root without those capabilities can neither search the directory nor write
// the socket; only a probe under the service's fsuid/fsgid can connect.
TEST(SocketReadinessPermissions, A0660SocketOfTheServiceUserIsReachableWithoutDacOverride) {
    TEND_REQUIRE_NAMESPACES();
    if (find_program("capsh").empty()) {
        if (::geteuid() == 0) GTEST_FAIL() << "capsh (libcap2-bin) is not installed";
        GTEST_SKIP() << "capsh (libcap2-bin) is not installed";
    }
    Sandbox sandbox;
    write_file(sandbox.out("order"), "", 0666);  // written by nobody, then by tend's root CMD without DAC
    const fs::path socket = sandbox.out("private") / "php.sock";
    sandbox.service("php")
        .user("nobody:nogroup")
        .line("ready-when", "socket " + socket.string())
        .run("mkdir -m 0700 \"$OUT/private\"\n" + sh_unix_listener("\"$OUT/private/php.sock\"", "0660", "php-listen"));

    TendProcess tend(sandbox, {.args = {"--wait-ready", "--ready-timeout=15000"},
                               .command = sandbox.sh(mark("cmd")),
                               .launcher_script = "exec capsh --drop=cap_dac_override,cap_dac_read_search -- "
                                                  "-c 'exec \"$@\"' sh \"$@\""});
    const auto own = cap_sets_from_status(tend_status(tend));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    SCOPED_TRACE(r.diagnostics());

    ASSERT_TRUE(own.has_value()) << "cannot read tend's own status";
    constexpr std::uint64_t dac = cap_bit(kCapDacOverride) | cap_bit(2 /* CAP_DAC_READ_SEARCH */);
    ASSERT_EQ(own->effective & dac, 0U) << "tend still has DAC capabilities: " << hex_mask(own->effective);
    ASSERT_EQ(own->permitted & dac, 0U) << "tend could raise DAC capabilities: " << hex_mask(own->permitted);

    struct stat status {};
    ASSERT_EQ(::stat(socket.c_str(), &status), 0) << socket;
    EXPECT_EQ(status.st_mode & 07777, 0660U);
    EXPECT_EQ(status.st_uid, 65534U);
    EXPECT_EQ(status.st_gid, 65534U);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(read_lines(sandbox.out("order")), (std::vector<std::string>{"php-listen", "cmd"}));
    EXPECT_TRUE(contains(r.err, "service php: ready (socket "));
}

// --- no wakeups -------------------------------------------------------------------------

std::optional<long> voluntary_switches(pid_t pid) {
    const auto fields = parse_proc_status(read_file(fmt::format("/proc/{}/status", pid)));
    auto it = fields.find("voluntary_ctxt_switches");
    if (it == fields.end()) return std::nullopt;
    return std::stol(it->second);
}

// 'S' while tend waits in epoll_wait (its only blocking call: stderr here is a file).
bool sleeping(pid_t pid) {
    const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
    const std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'S';
}

// Once every probe has succeeded, tend blocks in epoll_wait and stays there:
// its count of voluntary context switches does not move for 1.5 s. A probe
// left running, even at its slowest (1 s), would move it.
TEST(ReadyWhenWakeups, NoneOnceTheServiceIsReady) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path socket = sandbox.out("php.sock");
    const fs::path file = sandbox.out("app.pid");
    sandbox.service("php")
        .line("ready-when", "socket " + socket.string())
        .run("sleep 0.3\n" + sh_unix_listener("\"$OUT/php.sock\"", "0600", "php-listen"));
    sandbox.service("app").line("ready-when", "file " + file.string()).run("sleep 0.3\necho > \"$OUT/app.pid\"\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    const pid_t pid = tend.tend_pid();
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(tend.wait_for_err("service php: ready")) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("service app: ready")) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return sleeping(pid); }));
    const auto before = voluntary_switches(pid);
    ASSERT_TRUE(before.has_value());
    const bool woke = wait_until(
        [&] {
            auto now = voluntary_switches(pid);
            return !now || *now != *before;
        },
        1500ms);
    const auto after = voluntary_switches(pid);
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_FALSE(woke) << "tend woke up after every service was ready: voluntary_ctxt_switches " << *before
                       << " -> " << after.value_or(-1) << "\n"
                       << r.diagnostics();
}

// --- bad input --------------------------------------------------------------------------

// Each bad `ready-when` refuses its service alone, with the file's path and
// what is wrong; with notification-fd too, both files are named.
TEST(ReadyWhenBadInput, RefusedWithThePathAndTheReason) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const std::vector<std::pair<std::string, std::string>> bad{
        {"hostname", "tcp db.internal:5432\n"},
        {"relative", "socket run/php.sock\n"},
        {"unknown", "http 80\n"},
        {"bare_ipv6", "tcp ::1:80\n"},
        {"two_lines", "tcp 80\nfile /x\n"},
        {"empty", ""},
    };
    for (const auto& [name, content] : bad)
        sandbox.service(name).file("ready-when", content).run(mark(name) + "exec sleep 1000\n");
    sandbox.service("both")
        .line("notification-fd", "3")
        .line("ready-when", "tcp 80")
        .run(mark("both") + "exec sleep 1000\n");
    sandbox.service("fine").run(mark("fine") + "exec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_text(sandbox.out("order"), "fine")) << tend.current_err();
    EXPECT_TRUE(tend.wait_for_err("service both:", 5s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    SCOPED_TRACE(r.diagnostics());
    EXPECT_EQ(read_lines(sandbox.out("order")), (std::vector<std::string>{"fine"}));
    for (const auto& [name, content] : bad) {
        const std::string path = (sandbox.services_dir() / name / "ready-when").string();
        EXPECT_TRUE(logs_path_with_reason(r.err, path)) << name;
        EXPECT_FALSE(error_lines_about(r.err, path).empty()) << name << ": not at error level";
    }
    const auto both = error_lines_about(r.err, "service both:");
    ASSERT_FALSE(both.empty());
    EXPECT_TRUE(contains(both.front(), (sandbox.services_dir() / "both" / "ready-when").string())) << both.front();
    EXPECT_TRUE(contains(both.front(), (sandbox.services_dir() / "both" / "notification-fd").string()))
        << both.front();
    EXPECT_TRUE(contains(r.err, "is a host name")) << "the hostname refusal should say why";
}

}  // namespace
}  // namespace tend::itest
