// The supervisor against a fake ProcessOps: dependency order at start and at
// shutdown, refusals, readiness through a real notification pipe.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "fake_clock.hpp"
#include "supervisor_fixture.hpp"
#include "tend/core/supervisor.hpp"

using namespace tend;
namespace fs = std::filesystem;

namespace {

class SupervisorTest : public test::SupervisorFixture {
protected:
    core::Supervisor& make() { return load(context()); }
    // Names of the services signalled with `signo`, in the order they were.
    std::vector<std::string> signalled(int signo) {
        std::vector<std::string> names;
        for (auto [pgid, sig] : ops.signals)
            for (auto& [name, pid] : ops.pids)
                if (pid == pgid && sig == signo) names.push_back(name);
        return names;
    }
    void exit_service(const std::string& name) { SupervisorFixture::exit_service(name, SIGTERM); }
};

TEST_F(SupervisorTest, DependantStartsOnlyWhenItsDependencyIsReady) {
    service("php", {{"notification-fd", "3\n"}});
    service("nginx", {{"depends", "php\n"}});
    auto& sup = make();
    sup.start_all();
    EXPECT_EQ(ops.spawned, std::vector<std::string>{"php"});
    EXPECT_EQ(record("nginx").machine->state(), core::ServiceState::Waiting);

    // Bytes without a newline do not make it ready.
    ASSERT_EQ(::write(ops.notify_fds.at("php"), "x", 1), 1);
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(ops.spawned, std::vector<std::string>{"php"});

    ASSERT_EQ(::write(ops.notify_fds.at("php"), "\n", 1), 1);
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx"}));
    EXPECT_TRUE(sup.all_ready());
}

TEST_F(SupervisorTest, ShutdownSignalsADependencyOnlyAfterItsDependantsExited) {
    service("db");
    service("app", {{"depends", "db\n"}});
    service("web", {{"depends", "app\n"}});
    auto& sup = make();
    sup.start_all();
    ASSERT_EQ(ops.spawned, (std::vector<std::string>{"db", "app", "web"}));

    sup.stop_all();
    EXPECT_EQ(signalled(SIGTERM), std::vector<std::string>{"web"});
    exit_service("web");
    EXPECT_EQ(signalled(SIGTERM), (std::vector<std::string>{"web", "app"}));
    exit_service("app");
    EXPECT_EQ(signalled(SIGTERM), (std::vector<std::string>{"web", "app", "db"}));
    EXPECT_FALSE(sup.all_down());
    exit_service("db");
    EXPECT_TRUE(sup.all_down());
}

TEST_F(SupervisorTest, CyclesAndMissingDependenciesRefuseOnlyTheServicesInvolved) {
    service("a", {{"depends", "b\n"}});
    service("b", {{"depends", "a\n"}});
    service("self", {{"depends", "self\n"}});
    service("orphan", {{"depends", "nowhere\n"}});
    service("after-orphan", {{"depends", "orphan\n"}});
    service("fine");
    auto& sup = make();
    sup.start_all();
    EXPECT_EQ(ops.spawned, std::vector<std::string>{"fine"});
    EXPECT_NE(record("a").refusal.find("dependency cycle"), std::string::npos) << record("a").refusal;
    EXPECT_NE(record("b").refusal.find("dependency cycle"), std::string::npos);
    EXPECT_NE(record("self").refusal.find("self -> self"), std::string::npos) << record("self").refusal;
    EXPECT_NE(record("orphan").refusal.find("no service named 'nowhere'"), std::string::npos);
    EXPECT_NE(record("orphan").refusal.find((root / "orphan" / "depends").string()), std::string::npos);
    EXPECT_NE(record("after-orphan").refusal.find("'orphan' is refused"), std::string::npos);
}

TEST_F(SupervisorTest, ADownDependencyMakesItsDependantWait) {
    service("db", {{"down", ""}});
    service("app", {{"depends", "db\n"}});
    auto& sup = make();
    sup.start_all();
    EXPECT_TRUE(ops.spawned.empty());
    EXPECT_EQ(record("app").machine->state(), core::ServiceState::Waiting);
    // Waiting for a `down` service is not "started": --wait-ready ignores it.
    EXPECT_TRUE(sup.not_ready().empty());
    EXPECT_TRUE(sup.all_ready());
}

TEST_F(SupervisorTest, UnknownChildrenAreNotOurs) {
    service("one");
    auto& sup = make();
    sup.start_all();
    EXPECT_FALSE(sup.on_child_exit(4242, 0));
    EXPECT_EQ(record("one").machine->state(), core::ServiceState::Running);
}

TEST_F(SupervisorTest, LeftoversInTheGroupAreSignalledBeforeTheRestart) {
    service("leaky", {{"down-signal", "SIGQUIT\n"}});
    auto& sup = make();
    sup.start_all();
    pid_t pid = ops.pids.at("leaky");
    // Main exits but its group still has members.
    EXPECT_TRUE(sup.on_child_exit(pid, 1 << 8));
    EXPECT_EQ(signalled(SIGQUIT), std::vector<std::string>{"leaky"});
    EXPECT_EQ(record("leaky").machine->state(), core::ServiceState::Draining);
    ops.alive.erase(pid);
    sup.after_reap();
    EXPECT_EQ(record("leaky").machine->state(), core::ServiceState::Backoff);
    clock.advance(core::Duration{100});
    sup.on_timer();
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"leaky", "leaky"}));
}

}  // namespace

namespace {

TEST_F(SupervisorTest, APrimaryWhoseDirIsBrokenEndsTheContainerWith126) {
    service("app", {{"primary", ""}, {"down-signal", "SIGNOPE\n"}});
    service("worker");
    auto& sup = make();
    std::vector<int> codes;
    std::vector<std::string> reasons;
    sup.on_primary_exit = [&](int code, const std::string& reason) {
        codes.push_back(code);
        reasons.push_back(reason);
    };
    EXPECT_TRUE(sup.has_primary());
    sup.start_all();
    EXPECT_TRUE(codes.empty()) << "Init hears of it from the loop, not from inside start_all";
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(codes, std::vector<int>{126});
    EXPECT_EQ(reasons, std::vector<std::string>{"primary service app is refused"});
    EXPECT_NE(record("app").refusal.find("down-signal"), std::string::npos) << record("app").refusal;
}

TEST_F(SupervisorTest, APrimaryServiceIsNeverRestartedAndReportsItsCode) {
    service("app", {{"primary", ""}});
    auto& sup = make();
    std::vector<int> codes;
    std::vector<std::string> reasons;
    sup.on_primary_exit = [&](int code, const std::string& reason) {
        codes.push_back(code);
        reasons.push_back(reason);
    };
    sup.start_all();
    pid_t pid = ops.pids.at("app");
    ops.alive.erase(pid);
    EXPECT_TRUE(sup.on_child_exit(pid, 5 << 8));
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(codes, std::vector<int>{5});
    EXPECT_EQ(reasons, std::vector<std::string>{"primary service app exited with code 5"});
    EXPECT_EQ(record("app").machine->state(), core::ServiceState::Down);
}

}  // namespace

namespace {

TEST_F(SupervisorTest, ACrashedDependantRestartsOnlyOnceItsDependencyIsReadyAgain) {
    service("php", {{"notification-fd", "3\n"}});
    service("nginx", {{"depends", "php\n"}});
    auto& sup = make();
    sup.start_all();
    ASSERT_EQ(::write(ops.notify_fds.at("php"), "\n", 1), 1);
    ASSERT_TRUE(loop->run_once());
    ASSERT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx"}));

    // php restarts and is not ready yet when nginx's backoff ends.
    ::close(ops.notify_fds.at("php"));
    ops.notify_fds.erase("php");
    exit_service("php");
    exit_service("nginx");
    clock.advance(core::Duration{100});
    sup.on_timer();
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx", "php"}));
    EXPECT_EQ(record("nginx").machine->state(), core::ServiceState::Waiting);

    ASSERT_EQ(::write(ops.notify_fds.at("php"), "\n", 1), 1);
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx", "php", "nginx"}));
}

}  // namespace

// A handler that throws is caught by the loop (one place), the
// failure is reported with its cause, and supervision goes on: the stop whose
// SIGTERM failed still ends with timeout-kill's SIGKILL, and every service
// reaches Down.
TEST_F(SupervisorTest, AFailureInAHandlerIsReportedAndSupervisionGoesOn) {
    service("php", {{"notification-fd", "3\n"}, {"timeout-kill", "500\n"}});
    service("nginx", {{"depends", "php\n"}});
    auto& sup = make();
    std::vector<std::string> failures;
    loop->on_failure([&](const sys::EventLoop::Failure& failure) {
        failures.push_back(std::string(failure.where) + ": " + std::string(failure.cause));
    });
    sup.start_all();

    // A handler that throws, in the same round as php's readiness.
    int broken[2];
    ASSERT_EQ(::pipe2(broken, O_CLOEXEC), 0);
    ASSERT_TRUE(loop->add(broken[0], EPOLLIN, [](std::uint32_t) -> void { throw std::runtime_error("broken handler"); }));
    ASSERT_EQ(::write(broken[1], "x", 1), 1);
    ASSERT_EQ(::write(ops.notify_fds.at("php"), "\n", 1), 1);
    ASSERT_TRUE(loop->run_once());
    ASSERT_EQ(failures.size(), 1U);
    EXPECT_EQ(failures[0], "the handler of fd " + std::to_string(broken[0]) + ": broken handler");
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"php", "nginx"})) << "the other handler did not run";
    loop->remove(broken[0]);
    ::close(broken[0]);
    ::close(broken[1]);

    // Shutdown, where nginx's SIGTERM fails in the middle of the stop.
    ops.fail_next_signal = true;
    loop->defer([&] { sup.stop_all(); });
    ASSERT_TRUE(loop->run_once());
    ASSERT_EQ(failures.size(), 2U);
    EXPECT_EQ(failures[1], "a deferred task: injected failure");
    EXPECT_TRUE(signalled(SIGTERM).empty());

    // nginx's stop timer still runs out: SIGKILL, it exits, then php stops.
    clock.advance(std::chrono::seconds(31));
    loop->defer([&] { sup.on_timer(); });
    ASSERT_TRUE(loop->run_once());
    EXPECT_EQ(signalled(SIGKILL), std::vector<std::string>{"nginx"});
    exit_service("nginx");
    EXPECT_EQ(signalled(SIGTERM), std::vector<std::string>{"php"});
    exit_service("php");
    EXPECT_TRUE(sup.all_down());
    EXPECT_EQ(failures.size(), 2U);
}
