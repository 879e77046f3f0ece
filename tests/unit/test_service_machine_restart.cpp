// ServiceMachine's Restart event (tend ctl restart, and start of a service
// that is still on its way down), driven by a fake clock.
#include <gtest/gtest.h>
#include <signal.h>

#include "fake_clock.hpp"
#include "tend/core/service_machine.hpp"

using namespace tend::core;
using tend::config::RestartPolicy;

namespace {

constexpr int exited(int code) { return code << 8; }

struct Harness {
    explicit Harness(ServiceSettings settings = {}) : machine(settings) {}
    FakeClock clock;
    ServiceMachine machine;

    std::vector<Action> send(Event event) { return machine.handle(event, clock.now()); }
    void run() {
        send({EventKind::Start});
        send({EventKind::Spawned});
        ASSERT_EQ(machine.state(), ServiceState::Running);
    }
};

const std::vector<Action> kStopSignals{{ActionKind::SignalGroup, SIGTERM}, {ActionKind::SignalGroup, SIGCONT}};

}  // namespace

TEST(ServiceMachineRestart, RunningServiceStopsThenStartsAgainWithoutBackoff) {
    Harness h;
    h.run();
    EXPECT_EQ(h.send({EventKind::Restart}), kStopSignals);
    EXPECT_EQ(h.machine.state(), ServiceState::Stopping);
    EXPECT_TRUE(h.machine.restart_pending());
    // A cooperative exit: straight to an immediate restart, even with restart=always's backoff.
    EXPECT_TRUE(h.send({EventKind::MainExited, exited(0), true}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
    ASSERT_TRUE(h.machine.deadline());
    EXPECT_EQ(*h.machine.deadline(), h.clock.now());
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
    EXPECT_FALSE(h.machine.restart_pending());
    h.send({EventKind::Spawned});
    EXPECT_EQ(h.machine.starts(), 2u);
}

TEST(ServiceMachineRestart, RestartPolicyNeverDoesNotStopARestart) {
    ServiceSettings settings;
    settings.restart = RestartPolicy::Never;
    Harness h(settings);
    h.run();
    h.send({EventKind::Restart});
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachineRestart, DownServiceStartsAtOnceOrWaitsForDependencies) {
    Harness h;
    EXPECT_EQ(h.send({EventKind::Restart}), (std::vector<Action>{{ActionKind::Spawn}}));
    Harness waiting;
    EXPECT_TRUE(waiting.send({EventKind::Restart, 0, false, false}).empty());
    EXPECT_EQ(waiting.machine.state(), ServiceState::Waiting);
}

TEST(ServiceMachineRestart, StoppedServiceComesBackOnlyWhenRestarted) {
    Harness h;
    h.run();
    h.send({EventKind::Stop});
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
    EXPECT_FALSE(h.machine.deadline());
    EXPECT_EQ(h.send({EventKind::Restart}), (std::vector<Action>{{ActionKind::Spawn}}));
    EXPECT_FALSE(h.machine.stop_requested());
}

TEST(ServiceMachineRestart, RestartWhileStoppingStartsAgainOnceDown) {
    Harness h;
    h.run();
    h.send({EventKind::Stop});
    EXPECT_TRUE(h.send({EventKind::Restart}).empty());  // no second down-signal
    EXPECT_TRUE(h.machine.restart_pending());
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachineRestart, RestartWaitsForTheFinishScript) {
    ServiceSettings settings;
    settings.has_finish = true;
    Harness h(settings);
    h.run();
    h.send({EventKind::Restart});
    auto actions = h.send({EventKind::MainExited, exited(0), true});
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, ActionKind::RunFinish);
    EXPECT_EQ(h.machine.state(), ServiceState::Finishing);
    h.send({EventKind::FinishExited});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachineRestart, RestartInBackoffCutsTheDelay) {
    Harness h;
    h.run();
    h.send({EventKind::MainExited, exited(1), true});
    ASSERT_EQ(h.machine.state(), ServiceState::Backoff);
    ASSERT_GT(*h.machine.deadline(), h.clock.now());
    EXPECT_TRUE(h.send({EventKind::Restart}).empty());
    EXPECT_EQ(*h.machine.deadline(), h.clock.now());
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachineRestart, StopCancelsAPendingRestart) {
    Harness h;
    h.run();
    h.send({EventKind::Restart});
    h.send({EventKind::Stop});  // shutdown began meanwhile
    EXPECT_FALSE(h.machine.restart_pending());
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
}

TEST(ServiceMachineRestart, WaitingOrStartingIgnoreRestart) {
    Harness waiting;
    waiting.send({EventKind::Start, 0, false, false});
    EXPECT_TRUE(waiting.send({EventKind::Restart}).empty());
    EXPECT_EQ(waiting.machine.state(), ServiceState::Waiting);
    Harness starting;
    starting.send({EventKind::Start});
    EXPECT_TRUE(starting.send({EventKind::Restart}).empty());
    EXPECT_EQ(starting.machine.state(), ServiceState::Starting);
}

// The backoff runs from the exit itself, to the microsecond: an exit 0.7 ms
// into a millisecond restarts 100 ms later, not 99.3 ms later (the clock
// once counted whole milliseconds, so a restart could come up to 1 ms early).
TEST(ServiceMachineRestart, BackoffCountsFromTheExitToTheMicrosecond) {
    Harness h;
    h.clock.advance(std::chrono::microseconds{700});
    h.run();
    h.clock.advance(std::chrono::seconds{1} + std::chrono::microseconds{150});
    const TimePoint exit_at = h.clock.now();
    h.send({EventKind::MainExited, exited(1), true});
    ASSERT_EQ(h.machine.state(), ServiceState::Backoff);
    ASSERT_TRUE(h.machine.deadline());
    EXPECT_EQ(*h.machine.deadline() - exit_at, std::chrono::milliseconds{100});
    h.clock.advance(std::chrono::microseconds{99'999});
    EXPECT_TRUE(h.send({EventKind::Timer}).empty()) << "1 µs before the backoff ends";
    h.clock.advance(std::chrono::microseconds{1});
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}
