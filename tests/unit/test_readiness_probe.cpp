// `ready-when` probing: the backoff schedule (fake clock, every delay exact),
// the probe against real sockets and files, and the supervisor treating a
// probed service like a notification-fd one (not ready until the probe
// succeeds, again after each restart, and no deadline once ready).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "scratch.hpp"
#include "without_dac.hpp"

#include "fake_clock.hpp"
#include "tend/core/readiness_probe.hpp"
#include "tend/core/supervisor.hpp"

using namespace tend;
namespace fs = std::filesystem;
using core::Duration;
using core::ProbeSchedule;

namespace {

// --- schedule -----------------------------------------------------------------

TEST(ProbeSchedule, BacksOffFromTenMillisecondsDoublingToOneSecond) {
    core::FakeClock clock;
    ProbeSchedule schedule;
    EXPECT_FALSE(schedule.active());
    EXPECT_EQ(schedule.deadline(), std::nullopt);

    const core::TimePoint start = clock.now();
    schedule.start(start);
    ASSERT_EQ(schedule.deadline(), start + Duration{10});
    EXPECT_FALSE(schedule.due(start + Duration{9}));
    EXPECT_TRUE(schedule.due(start + Duration{10}));

    std::vector<long> delays;
    for (int i = 0; i < 10; ++i) {
        clock.set(*schedule.deadline());
        schedule.attempted(clock.now());
        delays.push_back(std::chrono::duration_cast<Duration>(*schedule.deadline() - clock.now()).count());
    }
    EXPECT_EQ(delays, (std::vector<long>{20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000}));
}

TEST(ProbeSchedule, ALateAttemptCountsFromWhenItRan) {
    core::FakeClock clock;
    ProbeSchedule schedule;
    schedule.start(clock.now());
    clock.advance(Duration{500});  // the loop was busy
    schedule.attempted(clock.now());
    EXPECT_EQ(schedule.deadline(), clock.now() + Duration{20});
}

TEST(ProbeSchedule, StopEndsItAndAStartBeginsAgainAtTenMilliseconds) {
    core::FakeClock clock;
    ProbeSchedule schedule;
    schedule.start(clock.now());
    for (int i = 0; i < 8; ++i) schedule.attempted(clock.now());
    EXPECT_EQ(schedule.delay(), Duration{1000});

    schedule.stop();
    EXPECT_FALSE(schedule.active());
    EXPECT_FALSE(schedule.due(clock.now() + Duration{100000}));
    schedule.attempted(clock.now());  // a late report after the stop
    EXPECT_FALSE(schedule.active()) << "a stopped schedule must stay stopped: no wakeups after ready";

    clock.advance(Duration{5});
    schedule.start(clock.now());
    EXPECT_EQ(schedule.deadline(), clock.now() + Duration{10});
}

// --- probe against real sockets and files ----------------------------------------

// Waits (without a fixed sleep) until the coarse wall clock, which stamps
// files, has moved past `file`'s ctime: only then is the file "old" for a
// probe started now.
void wait_until_older_than_now(const fs::path& file) {
    struct stat status {};
    ASSERT_EQ(::stat(file.c_str(), &status), 0) << file;
    timespec now{};
    do {
        ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    } while (now.tv_sec < status.st_ctim.tv_sec ||
             (now.tv_sec == status.st_ctim.tv_sec && now.tv_nsec <= status.st_ctim.tv_nsec));
}

// A unix stream socket bound at `path`; listening when `listen_now`.
int bound_unix_socket(const fs::path& path, bool listen_now) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    if (listen_now) {
        EXPECT_EQ(::listen(fd, 16), 0);
    }
    return fd;
}

class ProbeTest : public ::testing::Test {
protected:
    void SetUp() override { loop.emplace(std::move(*sys::EventLoop::create())); }

    core::ReadinessProbe& make(const std::string& line) {
        auto condition = config::parse_ready_when(line);
        EXPECT_TRUE(condition.has_value()) << condition.error();
        probe = std::make_unique<core::ReadinessProbe>(*loop, "svc", *condition, std::nullopt, [this] { ++readies; });
        return *probe;
    }
    // Runs the attempt that is due now (the timer's part of the loop).
    void tick() {
        ASSERT_TRUE(probe->deadline().has_value());
        clock.set(*probe->deadline());
        probe->on_timer(clock.now());
    }

    tend::testing::ScratchDir scratch;
    std::optional<sys::EventLoop> loop;
    core::FakeClock clock;
    std::unique_ptr<core::ReadinessProbe> probe;
    int readies = 0;
};

TEST_F(ProbeTest, AStaleUnixSocketFileNeverCountsOnlyAListenerDoes) {
    const fs::path path = scratch.path() / "app.sock";
    ::close(bound_unix_socket(path, true));  // the previous life: the file stays
    ASSERT_TRUE(fs::exists(path));

    auto& p = make("socket " + path.string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    for (int i = 0; i < 5; ++i) tick();
    EXPECT_EQ(readies, 0) << "a socket file nobody listens on made it ready";

    // Bound but not yet listening: the file is back, still no listener.
    fs::remove(path);
    const int server = bound_unix_socket(path, false);
    tick();
    EXPECT_EQ(readies, 0) << "bind() alone made it ready";

    ASSERT_EQ(::listen(server, 16), 0);
    tick();
    EXPECT_EQ(readies, 1);
    EXPECT_FALSE(p.active());
    EXPECT_EQ(p.deadline(), std::nullopt) << "a ready probe must not wake tend again";
    ::close(server);
}

// connect() tells a socket of another type by EPROTOTYPE; the probe then
// tries the other types, so seqpacket and datagram daemons work too.
TEST_F(ProbeTest, SeqpacketAndDatagramUnixSocketsWork) {
    for (int type : {SOCK_SEQPACKET, SOCK_DGRAM}) {
        SCOPED_TRACE(type == SOCK_DGRAM ? "datagram" : "seqpacket");
        const fs::path path = scratch.path() / ("typed" + std::to_string(type) + ".sock");
        const int server = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        if (type == SOCK_SEQPACKET) {
            ASSERT_EQ(::listen(server, 4), 0);
        }
        readies = 0;
        auto& p = make("socket " + path.string());
        p.start(clock.now(), core::ReadinessProbe::file_clock_now());
        tick();
        EXPECT_EQ(readies, 1);
        ::close(server);
    }
}

TEST_F(ProbeTest, AMissingSocketIsNotReady) {
    auto& p = make("socket " + (scratch.path() / "nothing.sock").string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    tick();
    EXPECT_EQ(readies, 0);
    EXPECT_TRUE(p.active());
}

TEST_F(ProbeTest, TcpListenerOnLoopbackIsReady) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(server, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const int port = ntohs(address.sin_port);

    auto& p = make("tcp 127.0.0.1:" + std::to_string(port));
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    tick();
    EXPECT_EQ(readies, 0) << "bound, not listening";

    // A loopback connect may complete at once or report through epoll (then
    // the refused one of the attempt before may still be reporting).
    ASSERT_EQ(::listen(server, 16), 0);
    for (int i = 0; i < 5 && readies == 0; ++i) {
        tick();
        while (p.connecting()) {
            loop->set_timer(core::MonotonicClock().now() + Duration{5000});  // bounds a lost event
            ASSERT_TRUE(loop->run_once());
        }
    }
    EXPECT_EQ(readies, 1);
    EXPECT_EQ(p.deadline(), std::nullopt);
    ::close(server);
}

TEST_F(ProbeTest, AnOldFileDoesNotCountANewOrChangedOneDoes) {
    const fs::path path = scratch.path() / "app.pid";
    tend::testing::write_file(path, "41\n");
    wait_until_older_than_now(path);

    auto& p = make("file " + path.string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    tick();
    tick();
    EXPECT_EQ(readies, 0) << "a file from before the start made it ready";

    tend::testing::write_file(path, "42\n");
    tick();
    EXPECT_EQ(readies, 1);
    EXPECT_EQ(p.deadline(), std::nullopt);

    // The next start: the file is from the previous life now.
    wait_until_older_than_now(path);
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    tick();
    EXPECT_EQ(readies, 1);
    fs::remove(path);
    tick();
    tend::testing::write_file(path, "43\n");
    tick();
    EXPECT_EQ(readies, 2);
}

// The start time is taken before the spawn: a service that writes its file
// at once, in the same clock tick, is ready.
TEST_F(ProbeTest, AFileWrittenRightAfterTheSpawnCounts) {
    const fs::path path = scratch.path() / "fast.pid";
    const timespec spawned_at = core::ReadinessProbe::file_clock_now();
    tend::testing::write_file(path, "1\n");
    auto& p = make("file " + path.string());
    p.start(clock.now(), spawned_at);
    tick();
    EXPECT_EQ(readies, 1);
}

// inotify: the file appearing wakes the probe at once, before its timer.
TEST_F(ProbeTest, AFileAppearingIsSeenWithoutWaitingForTheTimer) {
    const fs::path path = scratch.path() / "started";
    auto& p = make("file " + path.string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    ASSERT_TRUE(p.watching());
    tend::testing::write_file(path, "");
    loop->set_timer(core::MonotonicClock().now() + Duration{5000});  // bounds a lost event
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(readies, 1) << "the directory event did not trigger a check";
    EXPECT_FALSE(p.watching()) << "a ready probe keeps its inotify fd";
}

// A socket appears at bind(), before listen(): the event triggers a check
// that fails, and the timer, still running, finds the listener.
TEST_F(ProbeTest, ASocketEventNeverReplacesTheTimer) {
    const fs::path path = scratch.path() / "late.sock";
    auto& p = make("socket " + path.string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    ASSERT_TRUE(p.watching());
    const int server = bound_unix_socket(path, false);
    loop->set_timer(core::MonotonicClock().now() + Duration{5000});
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(readies, 0) << "bound but not listening";
    EXPECT_TRUE(p.deadline().has_value()) << "the timer must go on";
    ASSERT_EQ(::listen(server, 4), 0);
    tick();
    EXPECT_EQ(readies, 1);
    ::close(server);
}

// The socket's directory does not exist at the start (the daemon makes it):
// the timed attempts watch it once it does.
TEST_F(ProbeTest, ADirectoryMadeLaterIsWatchedFromTheNextAttempt) {
    const fs::path dir = scratch.path() / "php";
    auto& p = make("file " + (dir / "ready").string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    EXPECT_FALSE(p.watching());
    tick();
    EXPECT_FALSE(p.watching());
    fs::create_directory(dir);
    tick();
    EXPECT_TRUE(p.watching());
    p.stop();
    EXPECT_FALSE(p.watching());
}

TEST_F(ProbeTest, StopEndsAttemptsAndDeadlines) {
    auto& p = make("socket " + (scratch.path() / "never.sock").string());
    p.start(clock.now(), core::ReadinessProbe::file_clock_now());
    tick();
    p.stop();
    EXPECT_EQ(p.deadline(), std::nullopt);
    p.on_timer(clock.now() + Duration{10000});
    EXPECT_EQ(readies, 0);
    EXPECT_FALSE(p.active());
}

// Root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (tend under --cap-drop
// ALL) cannot reach a 0660 socket of nobody's in nobody's 0700 directory; the
// probe, as nobody's fsuid/fsgid, can, and gives tend its own ids back.
TEST(ProbeIdentity, ConnectsAsTheServiceUserAndRestoresTendsFilesystemIds) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give files to nobody";
    tend::testing::ScratchDir scratch;
    const fs::path dir = scratch.path() / "private";
    const fs::path path = dir / "php.sock";
    ASSERT_EQ(::chmod(scratch.path().c_str(), 0755), 0);  // mkdtemp's 0700 would stop nobody
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    const int server = bound_unix_socket(path, true);
    ASSERT_EQ(::chmod(path.c_str(), 0660), 0);
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);

    const std::string result = tend::testing::without_dac([&]() -> std::string {
        auto loop = sys::EventLoop::create();
        if (!loop) return "no event loop";
        core::FakeClock clock;
        const auto condition = *config::parse_ready_when("socket " + path.string());
        int as_root = 0;
        int as_nobody = 0;
        core::ReadinessProbe root_probe(*loop, "svc", condition, std::nullopt, [&] { ++as_root; });
        core::ReadinessProbe nobody_probe(*loop, "svc", condition, core::ProbeIdentity{65534, 65534},
                                          [&] { ++as_nobody; });
        root_probe.start(clock.now(), core::ReadinessProbe::file_clock_now());
        nobody_probe.start(clock.now(), core::ReadinessProbe::file_clock_now());
        clock.advance(Duration{10});
        root_probe.on_timer(clock.now());
        nobody_probe.on_timer(clock.now());
        std::string problems;
        if (as_root != 0) problems += "root without DAC reached the socket: the test proves nothing; ";
        if (as_nobody != 1) problems += "the probe as nobody did not connect; ";
        const auto fsuid = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1)));
        const auto fsgid = static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1)));
        if (fsuid != 0 || fsgid != 0)
            problems += "fsuid/fsgid left at " + std::to_string(fsuid) + ":" + std::to_string(fsgid) + "; ";
        return problems.empty() ? "ok" : problems;
    });
    EXPECT_EQ(result, "ok");
    ::close(server);
}

// --- in the supervisor --------------------------------------------------------------

class FakeOps final : public core::ProcessOps {
public:
    std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) override {
        pid_t pid = next_pid++;
        spawned.push_back(fs::path(plan.executable).parent_path().filename().string());
        pids[spawned.back()] = pid;
        alive.insert(pid);
        return pid;
    }
    void signal_group(pid_t, int, const process::IdentityChange*) override {}
    bool group_alive(pid_t pgid) override { return alive.contains(pgid); }

    pid_t next_pid = 100;
    std::vector<std::string> spawned;
    std::map<std::string, pid_t> pids;
    std::set<pid_t> alive;
};

class ProbedServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        loop.emplace(std::move(*sys::EventLoop::create()));
        services = scratch.path() / "services";
        options.services_dir = services;
        marker = scratch.path() / "php.ready";
        service("php", {{"ready-when", "file " + marker.string() + "\n"}});
        service("nginx", {{"depends", "php\n"}});
        core::SupervisorContext context;
        context.options = &options;
        context.container_env = &env;
        context.own_credentials = process::current_credentials();
        supervisor = std::make_unique<core::Supervisor>(*loop, clock, ops, context);
        supervisor->load(services);
    }
    void service(const std::string& name, std::map<std::string, std::string> files) {
        fs::create_directories(services / name);
        std::ofstream(services / name / "run") << "#!/bin/sh\n";
        fs::permissions(services / name / "run", fs::perms::owner_all);
        for (const auto& [file, content] : files) std::ofstream(services / name / file) << content;
    }
    const core::ServiceRecord& record(const std::string& name) {
        for (const auto& r : supervisor->services())
            if (r.name == name) return r;
        throw std::runtime_error("no service " + name);
    }
    // What the event loop does when the timerfd fires at the earliest deadline.
    void fire_timer() {
        auto deadline = supervisor->next_deadline();
        ASSERT_TRUE(deadline.has_value());
        clock.set(*deadline);
        supervisor->on_timer();
    }

    tend::testing::ScratchDir scratch;
    fs::path services;
    fs::path marker;
    std::optional<sys::EventLoop> loop;
    core::FakeClock clock;
    FakeOps ops;
    config::Options options;
    process::Environment env;
    std::unique_ptr<core::Supervisor> supervisor;
};

TEST_F(ProbedServiceTest, NotReadyUntilTheProbeSucceedsThenNoMoreDeadlines) {
    supervisor->start_all();
    EXPECT_EQ(ops.spawned, std::vector<std::string>{"php"});
    EXPECT_FALSE(record("php").machine->ready());
    EXPECT_EQ(supervisor->not_ready(), (std::vector<std::string>{"nginx", "php"}));
    EXPECT_EQ(supervisor->next_deadline(), clock.now() + Duration{10});

    fire_timer();
    fire_timer();
    EXPECT_FALSE(record("php").machine->ready());
    EXPECT_EQ(ops.spawned, std::vector<std::string>{"php"}) << "the dependant started before php was ready";

    tend::testing::write_file(marker, "");
    fire_timer();
    EXPECT_TRUE(record("php").machine->ready());
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx"}));
    EXPECT_TRUE(supervisor->all_ready());
    EXPECT_EQ(supervisor->next_deadline(), std::nullopt) << "tend would wake up although everything is ready";
}

TEST_F(ProbedServiceTest, AfterARestartNotReadyUntilTheProbeSucceedsAgain) {
    supervisor->start_all();
    tend::testing::write_file(marker, "");
    fire_timer();
    ASSERT_TRUE(record("php").machine->ready());

    // php dies; its file stays behind.
    const pid_t pid = ops.pids.at("php");
    ops.alive.erase(pid);
    ASSERT_TRUE(supervisor->on_child_exit(pid, 1 << 8));
    EXPECT_FALSE(record("php").machine->ready());
    EXPECT_EQ(record("php").machine->state(), core::ServiceState::Backoff);
    EXPECT_FALSE(record("php").io->probe()->active()) << "a probe outlived its service";

    wait_until_older_than_now(marker);
    fire_timer();  // the restart
    ASSERT_EQ(record("php").machine->state(), core::ServiceState::Running);
    EXPECT_EQ(ops.spawned.size(), 3U);
    for (int i = 0; i < 4; ++i) fire_timer();
    EXPECT_FALSE(record("php").machine->ready()) << "the previous life's file made it ready";

    tend::testing::write_file(marker, "again");
    fire_timer();
    EXPECT_TRUE(record("php").machine->ready());
    EXPECT_EQ(supervisor->next_deadline(), std::nullopt);
}

TEST_F(ProbedServiceTest, AStopWhileStartingEndsTheProbe) {
    supervisor->start_all();
    fire_timer();
    supervisor->stop_all();
    EXPECT_FALSE(record("php").io->probe()->active());
    EXPECT_EQ(record("php").machine->state(), core::ServiceState::Stopping);
}

}  // namespace
