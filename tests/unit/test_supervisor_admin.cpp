// tend ctl start/stop/restart/signal on the supervisor, and the status the
// control bridge builds from it, against a fake ProcessOps and a fake clock.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "fake_clock.hpp"
#include "supervisor_fixture.hpp"
#include "tend/core/control_bridge.hpp"
#include "tend/core/supervisor.hpp"

using namespace tend;
namespace fs = std::filesystem;

namespace {

class SupervisorAdmin : public test::SupervisorFixture {
protected:
    core::Supervisor& make() {
        auto& sup = load(context());
        sup.start_all();
        return sup;
    }
    // The main process exits by the signal it was sent; its group is empty.
    void exit_service(const std::string& name, int wait_status = SIGTERM) {
        SupervisorFixture::exit_service(name, wait_status);
    }
    core::ServiceState state(const std::string& name) {
        for (const auto& r : supervisor->services())
            if (r.name == name) return r.machine->state();
        return core::ServiceState::Down;
    }
    // Delivers due deadlines, as Init's timer would.
    void fire_timers() {
        while (auto deadline = supervisor->next_deadline()) {
            if (*deadline > clock.now()) clock.set(*deadline);
            supervisor->on_timer();
            if (supervisor->next_deadline() == deadline) break;
        }
    }
};

}  // namespace

TEST_F(SupervisorAdmin, StoppedServiceStaysDownUntilStarted) {
    service("web");
    auto& sup = make();
    auto stop = ctl().stop("web");
    EXPECT_TRUE(stop.ok);
    EXPECT_EQ(stop.message, "web: stopping");
    EXPECT_EQ(ops.signals.front(), (std::pair<pid_t, int>{100, SIGTERM}));
    exit_service("web");
    EXPECT_EQ(state("web"), core::ServiceState::Down);
    EXPECT_FALSE(sup.next_deadline()) << "no restart is scheduled";
    EXPECT_TRUE(sup.services()[0].admin_stopped);

    auto start = ctl().start("web");
    EXPECT_TRUE(start.ok);
    EXPECT_EQ(start.message, "web: started (pid 101)");
    EXPECT_FALSE(sup.services()[0].admin_stopped);
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"web", "web"}));
}

TEST_F(SupervisorAdmin, RestartGivesANewProcessWithoutBackoff) {
    service("web");
    make();
    EXPECT_TRUE(ctl().restart("web").ok);
    exit_service("web");
    fire_timers();
    EXPECT_EQ(ops.spawned, (std::vector<std::string>{"web", "web"}));
    EXPECT_EQ(ops.pids.at("web"), 101);
    EXPECT_EQ(state("web"), core::ServiceState::Running);
}

TEST_F(SupervisorAdmin, RestartOfADownServiceStartsIt) {
    service("optional", {{"down", ""}});
    make();
    EXPECT_TRUE(ops.spawned.empty());
    auto result = ctl().restart("optional");
    EXPECT_TRUE(result.ok);
    EXPECT_EQ(result.message, "optional: was down, started (pid 100)");
}

TEST_F(SupervisorAdmin, StartWhileStoppingStartsAgainOnceDown) {
    service("web");
    make();
    ctl().stop("web");
    auto start = ctl().start("web");
    EXPECT_EQ(start.message, "web: starts again once it has stopped");
    exit_service("web");
    fire_timers();
    EXPECT_EQ(ops.spawned.size(), 2u);
}

TEST_F(SupervisorAdmin, PrimaryRefusedAndDependantsKeepRunning) {
    service("main", {{"primary", ""}});
    service("db");
    service("app", {{"depends", "db\n"}});
    make();
    auto primary = ctl().stop("main");
    EXPECT_FALSE(primary.ok);
    EXPECT_NE(primary.message.find("use `tend ctl halt`"), std::string::npos);
    EXPECT_FALSE(ctl().restart("main").ok);
    auto db = ctl().stop("db");
    EXPECT_TRUE(db.ok);
    EXPECT_EQ(db.message, "db: stopping; its dependants keep running: app");
    exit_service("db");
    EXPECT_EQ(state("app"), core::ServiceState::Running);
}

TEST_F(SupervisorAdmin, RefusedAndUnknownServicesAnswerWithTheirReason) {
    service("bad", {{"user", "no-such-user-here\n"}});
    make();
    auto bad = ctl().start("bad");
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.message.find("bad: refused: "), std::string::npos) << bad.message;
    EXPECT_NE(bad.message.find("no-such-user-here"), std::string::npos) << bad.message;
    EXPECT_FALSE(ctl().stop("nope").ok);
    EXPECT_FALSE(ctl().signal("bad", SIGHUP).ok);
}

TEST_F(SupervisorAdmin, SignalGoesToTheGroupOfARunningServiceOnly) {
    service("web");
    make();
    auto sent = ctl().signal("web", SIGHUP);
    EXPECT_TRUE(sent.ok);
    EXPECT_EQ(sent.message, "sent SIGHUP to web (process group 100)");
    EXPECT_EQ(ops.signals.back(), (std::pair<pid_t, int>{100, SIGHUP}));
    ctl().stop("web");
    exit_service("web");
    EXPECT_FALSE(ctl().signal("web", SIGHUP).ok);
}

TEST_F(SupervisorAdmin, NothingDuringShutdown) {
    service("web");
    auto& sup = make();
    sup.stop_all();
    auto start = ctl().start("web");
    EXPECT_FALSE(start.ok);
    EXPECT_EQ(start.message, "web: tend is shutting down");
}

TEST_F(SupervisorAdmin, BridgeReportsStateRestartsAndLastExit) {
    service("web");
    service("crash");
    auto& sup = make();
    core::ControlBridge bridge(sup, clock);
    clock.advance(core::Duration(1500));
    exit_service("crash", 78 << 8);  // backoff 100 ms
    auto list = bridge.services();
    ASSERT_EQ(list.size(), 2u);
    const auto& crash = list[0].name == "crash" ? list[0] : list[1];
    const auto& web = list[0].name == "web" ? list[0] : list[1];
    EXPECT_EQ(web.state, "running");
    EXPECT_EQ(web.pid, ops.pids.at("web"));
    EXPECT_EQ(web.uptime, control::Millis(1500));
    EXPECT_TRUE(web.ready);
    EXPECT_EQ(crash.state, "backoff");
    EXPECT_EQ(crash.last_exit, "exited with code 78");
    EXPECT_EQ(crash.restart_in, control::Millis(100));
    fire_timers();
    list = bridge.services();
    const auto& again = list[0].name == "crash" ? list[0] : list[1];
    EXPECT_EQ(again.state, "running");
    EXPECT_EQ(again.restarts, 1u);
    EXPECT_EQ(again.last_exit, "exited with code 78") << "the last exit stays visible after the restart";
}
