// Loggers in the supervisor (fake process ops, fake clock): a v2 `log/` dir
// is the service NAME-log, started before its producer and stopped after
// it, reading the producer's stdout through one close-on-exec pipe that
// every start of either side gets again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "supervisor_fixture.hpp"
#include "tend/core/supervisor.hpp"

using namespace tend;
namespace fs = std::filesystem;

namespace {

class SupervisorLoggers : public test::SupervisorFixture {
protected:
    // services/<name>/log/run, executable.
    void logger_of(const std::string& name) {
        test::write_service(root / name, "log");
    }
    std::vector<std::string> signalled(int signo) {
        std::vector<std::string> names;
        for (auto [pgid, sig] : ops.signals)
            for (auto& [name, pid] : ops.pids)
                if (pid == pgid && sig == signo) names.push_back(name);
        return names;
    }
    static bool cloexec(int fd) { return fd >= 3 && (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }
};

// (FakeProcessOps names a spawn by its run file's dir: the logger is "log".)
TEST_F(SupervisorLoggers, ALogDirIsAServiceReadingTheProducersStdout) {
    service("app");
    logger_of("app");
    auto& sup = load(context());
    ASSERT_EQ(sup.size(), 2u);
    const auto& logger = record("app-log");
    EXPECT_FALSE(logger.refused()) << logger.refusal;
    EXPECT_EQ(logger.config->name, "app-log");  // TEND_SERVICE
    ASSERT_TRUE(record("app").logger.has_value());
    EXPECT_EQ(sup.services()[*record("app").logger].name, "app-log");
    EXPECT_EQ(record("app").config->depends, std::vector<std::string>{"app-log"});

    sup.start_all();
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"log", "app"})) << "the logger starts first";
    const int read_end = logger.io->log_pipe_read_end();
    const int write_end = logger.io->log_pipe_write_end();
    EXPECT_TRUE(cloexec(read_end));
    EXPECT_TRUE(cloexec(write_end));
    EXPECT_EQ(ops.plans.at("log").stdin_fd, read_end);
    EXPECT_EQ(ops.plans.at("app").stdout_fd, write_end);
    EXPECT_EQ(ops.plans.at("app").stdin_fd, -1);
    EXPECT_TRUE(ops.plans.at("app").stdin_null);

    // A restart of either side gets the same pipe: it is tend's, not theirs.
    exit_service("log", 0);
    exit_service("app", 1 << 8);
    clock.advance(std::chrono::seconds(1));
    sup.on_timer();
    EXPECT_EQ(ops.count("log"), 2u);
    EXPECT_EQ(ops.count("app"), 2u);
    EXPECT_EQ(ops.plans.at("log").stdin_fd, read_end);
    EXPECT_EQ(ops.plans.at("app").stdout_fd, write_end);
    EXPECT_EQ(record("app-log").io->log_pipe_read_end(), read_end);
}

TEST_F(SupervisorLoggers, ThePipeCarriesWhatTheProducerWritesWhileNoLoggerRuns) {
    service("app");
    logger_of("app");
    auto& sup = load(context());
    sup.start_all();
    const auto& logger = record("app-log");
    exit_service("log", 0);  // the logger is down
    ASSERT_EQ(::write(ops.plans.at("app").stdout_fd, "kept\n", 5), 5);
    char buffer[16] = {};
    ASSERT_EQ(::read(logger.io->log_pipe_read_end(), buffer, sizeof buffer), 5);
    EXPECT_STREQ(buffer, "kept\n");
}

TEST_F(SupervisorLoggers, TheProducerStopsFirstThenItsLogger) {
    service("app");
    logger_of("app");
    auto& sup = load(context());
    sup.start_all();
    sup.stop_all();
    EXPECT_EQ(signalled(SIGTERM), std::vector<std::string>{"app"});
    exit_service("app", SIGTERM);
    EXPECT_EQ(signalled(SIGTERM), (std::vector<std::string>{"app", "log"}));
    exit_service("log", 0);
    EXPECT_TRUE(sup.all_down());
}

TEST_F(SupervisorLoggers, ATakenNameOrABrokenLoggerLeavesTheProducerOnItsOwn) {
    service("app");
    logger_of("app");
    service("app-log");  // a service of that name wins
    service("web");
    fs::create_directories(root / "web" / "log");  // no run: the logger is refused
    auto& sup = load(context());
    EXPECT_EQ(sup.size(), 4u);
    EXPECT_FALSE(record("app").logger.has_value());
    EXPECT_TRUE(record("app").config->depends.empty());
    EXPECT_TRUE(record("web-log").refused());
    EXPECT_FALSE(record("web").refused()) << record("web").refusal;
    EXPECT_FALSE(record("web").logger.has_value());
    sup.start_all();
    EXPECT_EQ(ops.plans.at("web").stdout_fd, -1);  // tend's own (no router in this fixture)
}

// s6-rc pipelines come as extra service dirs naming their consumer.
TEST_F(SupervisorLoggers, AnS6RcProducerForLinksTheTwoLongruns) {
    const fs::path rc = root / "rc";
    test::write_service(rc, "svc");
    test::write_service(rc, "svc-log");
    fs::create_directories(root / "services");
    supervisor = std::make_unique<core::Supervisor>(*loop, clock, ops, context());
    supervisor->load(root / "services", {{rc / "svc", {"svc-log"}, "svc-log"}, {rc / "svc-log", {}}});
    supervisor->start_all();
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"svc-log", "svc"}));
    EXPECT_EQ(ops.plans.at("svc").stdout_fd, record("svc-log").io->log_pipe_write_end());
    EXPECT_EQ(ops.plans.at("svc-log").stdin_fd, record("svc-log").io->log_pipe_read_end());
}

}  // namespace
