// The service state machine, driven by a fake clock: every delay is exact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "fake_clock.hpp"
#include "tend/core/service_machine.hpp"

using namespace tend::core;
using tend::config::RestartPolicy;

namespace {

constexpr int exited(int code) { return code << 8; }
constexpr int killed(int signo) { return signo; }

struct Harness {
    explicit Harness(ServiceSettings settings = {}) : machine(settings) {}
    FakeClock clock;
    ServiceMachine machine;

    std::vector<Action> send(Event event) { return machine.handle(event, clock.now()); }
    std::vector<Action> start() {
        auto actions = send({EventKind::Start});
        EXPECT_EQ(actions, (std::vector<Action>{{ActionKind::Spawn}}));
        return send({EventKind::Spawned});
    }
    // Advances to the deadline and fires the timer.
    std::vector<Action> fire() {
        EXPECT_TRUE(machine.deadline().has_value());
        clock.set(*machine.deadline());
        return send({EventKind::Timer});
    }
    // In whole milliseconds, as the backoff is configured (checked, not rounded).
    Duration delay() const {
        const auto exact = *machine.deadline() - clock.now();
        EXPECT_EQ(exact % Duration{1}, TimePoint::duration{0});
        return std::chrono::duration_cast<Duration>(exact);
    }
};

}  // namespace

TEST(RestartBackoff, DoublesFrom100msUpTo30sAndResetsAfter10sUp) {
    RestartBackoff backoff;
    std::vector<long> delays;
    for (int i = 0; i < 12; ++i) delays.push_back(backoff.next_delay(Duration{5}).count());
    EXPECT_EQ(delays, (std::vector<long>{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000}));
    EXPECT_EQ(backoff.next_delay(Duration{9'999}).count(), 30000);
    EXPECT_EQ(backoff.next_delay(Duration{10'000}).count(), 100);
    EXPECT_EQ(backoff.next_delay(Duration{0}).count(), 200);
}

TEST(ExitInfo, ExitCodeAndSignalAsFinishGetsThem) {
    EXPECT_EQ(exit_info(exited(3)).code, 3);
    EXPECT_EQ(exit_info(exited(3)).signal, 0);
    EXPECT_EQ(exit_info(killed(SIGKILL)).code, 256);
    EXPECT_EQ(exit_info(killed(SIGKILL)).signal, SIGKILL);
    EXPECT_EQ(exit_info(killed(SIGKILL)).shell_code(), 137);
    EXPECT_EQ(exit_info(exited(7)).shell_code(), 7);
    EXPECT_FALSE(exit_info(exited(0)).failed());
    EXPECT_TRUE(exit_info(killed(SIGTERM)).failed());
}

TEST(ShouldRestart, PolicyTable) {
    struct Row { RestartPolicy policy; bool failed; bool expected; };
    const Row rows[] = {
        {RestartPolicy::Always, false, true},    {RestartPolicy::Always, true, true},
        {RestartPolicy::OnFailure, false, false}, {RestartPolicy::OnFailure, true, true},
        {RestartPolicy::Never, false, false},    {RestartPolicy::Never, true, false},
    };
    for (const auto& row : rows) EXPECT_EQ(should_restart(row.policy, row.failed), row.expected);
}

TEST(ServiceMachine, CrashLoopBacksOffExactly) {
    Harness h;
    h.start();
    std::vector<long> delays;
    for (int i = 0; i < 6; ++i) {
        h.clock.advance(Duration{50});
        h.send({EventKind::MainExited, exited(1), true});
        ASSERT_EQ(h.machine.state(), ServiceState::Backoff);
        delays.push_back(h.delay().count());
        EXPECT_EQ(h.fire(), (std::vector<Action>{{ActionKind::Spawn}}));
        h.send({EventKind::Spawned});
    }
    EXPECT_EQ(delays, (std::vector<long>{100, 200, 400, 800, 1600, 3200}));
    EXPECT_EQ(h.machine.starts(), 7u);
}

TEST(ServiceMachine, StayingUpTenSecondsResetsTheBackoff) {
    Harness h;
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    h.fire();
    h.send({EventKind::Spawned});
    h.send({EventKind::MainExited, exited(1), true});
    EXPECT_EQ(h.delay().count(), 200);
    h.fire();
    h.send({EventKind::Spawned});
    h.clock.advance(Duration{10'000});
    h.send({EventKind::MainExited, exited(1), true});
    EXPECT_EQ(h.delay().count(), 100);
}

TEST(ServiceMachine, TimerBeforeDeadlineDoesNothing) {
    Harness h;
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    h.clock.advance(Duration{99});
    EXPECT_TRUE(h.send({EventKind::Timer}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
    h.clock.advance(Duration{1});
    EXPECT_EQ(h.send({EventKind::Timer}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachine, RestartPolicies) {
    struct Row { RestartPolicy policy; int status; ServiceState after; };
    const Row rows[] = {
        {RestartPolicy::Always, exited(0), ServiceState::Backoff},
        {RestartPolicy::Always, exited(2), ServiceState::Backoff},
        {RestartPolicy::OnFailure, exited(0), ServiceState::Down},
        {RestartPolicy::OnFailure, exited(2), ServiceState::Backoff},
        {RestartPolicy::OnFailure, killed(SIGSEGV), ServiceState::Backoff},
        {RestartPolicy::Never, exited(2), ServiceState::Down},
    };
    for (const auto& row : rows) {
        ServiceSettings settings;
        settings.restart = row.policy;
        Harness h(settings);
        h.start();
        h.send({EventKind::MainExited, row.status, true});
        EXPECT_EQ(h.machine.state(), row.after) << static_cast<int>(row.policy) << " " << row.status;
    }
}

TEST(ServiceMachine, FinishGetsCodeAndSignalThenRestart) {
    ServiceSettings settings;
    settings.has_finish = true;
    settings.timeout_finish = Duration{700};
    Harness h(settings);
    h.start();
    auto actions = h.send({EventKind::MainExited, killed(SIGKILL), true});
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].kind, ActionKind::RunFinish);
    EXPECT_EQ(actions[0].exit.code, 256);
    EXPECT_EQ(actions[0].exit.signal, SIGKILL);
    EXPECT_EQ(h.machine.state(), ServiceState::Finishing);
    EXPECT_EQ(h.delay().count(), 700);
    h.send({EventKind::FinishExited});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
}

TEST(ServiceMachine, SlowFinishIsKilledAtTimeoutFinish) {
    ServiceSettings settings;
    settings.has_finish = true;
    settings.timeout_finish = Duration{700};
    Harness h(settings);
    h.start();
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.fire(), (std::vector<Action>{{ActionKind::KillFinish}}));
    EXPECT_EQ(h.machine.state(), ServiceState::Finishing);
    h.send({EventKind::FinishExited});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
}

TEST(ServiceMachine, LeftoversOfAGroupAreStoppedBeforeARestart) {
    ServiceSettings settings;
    settings.down_signal = SIGQUIT;
    settings.timeout_kill = Duration{500};
    Harness h(settings);
    h.start();
    auto actions = h.send({EventKind::MainExited, exited(1), false});
    EXPECT_EQ(actions, (std::vector<Action>{{ActionKind::SignalGroup, SIGQUIT}, {ActionKind::SignalGroup, SIGCONT}}));
    EXPECT_EQ(h.machine.state(), ServiceState::Draining);
    EXPECT_EQ(h.delay().count(), 500);
    EXPECT_EQ(h.fire(), (std::vector<Action>{{ActionKind::KillGroup}}));
    h.send({EventKind::GroupEmpty});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
}

TEST(ServiceMachine, StopSendsDownSignalThenKillsAfterTimeoutKill) {
    ServiceSettings settings;
    settings.down_signal = SIGQUIT;
    settings.timeout_kill = Duration{1200};
    Harness h(settings);
    h.start();
    auto actions = h.send({EventKind::Stop});
    EXPECT_EQ(actions, (std::vector<Action>{{ActionKind::SignalGroup, SIGQUIT}, {ActionKind::SignalGroup, SIGCONT}}));
    EXPECT_EQ(h.machine.state(), ServiceState::Stopping);
    EXPECT_EQ(h.delay().count(), 1200);
    EXPECT_EQ(h.fire(), (std::vector<Action>{{ActionKind::KillGroup}}));
    h.send({EventKind::MainExited, killed(SIGKILL), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
    EXPECT_FALSE(h.machine.deadline().has_value());
}

TEST(ServiceMachine, LeftoversAtAStopGetTheDownSignalAgainWithTheSameDeadline) {
    ServiceSettings settings;
    settings.timeout_kill = Duration{1000};
    Harness h(settings);
    h.start();
    h.send({EventKind::Stop});
    h.clock.advance(Duration{300});
    auto actions = h.send({EventKind::MainExited, exited(0), false});
    EXPECT_EQ(actions, (std::vector<Action>{{ActionKind::SignalGroup, SIGTERM}, {ActionKind::SignalGroup, SIGCONT}}));
    EXPECT_EQ(h.machine.state(), ServiceState::Draining);
    EXPECT_EQ(h.delay().count(), 700);
    h.send({EventKind::GroupEmpty});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
}

TEST(ServiceMachine, ZeroTimeoutsMeanNoTimeoutAsInS6) {
    ServiceSettings settings;
    settings.timeout_kill = Duration{0};
    settings.timeout_finish = Duration{0};
    settings.has_finish = true;
    Harness h(settings);
    h.start();
    h.send({EventKind::Stop});
    EXPECT_EQ(h.machine.state(), ServiceState::Stopping);
    EXPECT_FALSE(h.machine.deadline().has_value());
    h.send({EventKind::MainExited, exited(0), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Finishing);
    EXPECT_FALSE(h.machine.deadline().has_value());
}

TEST(ServiceMachine, CooperativeStopEndsAtOnceWithoutRestart) {
    Harness h;
    h.start();
    h.send({EventKind::Stop});
    h.send({EventKind::MainExited, killed(SIGTERM), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
    EXPECT_FALSE(h.machine.deadline().has_value());
}

TEST(ServiceMachine, StopDuringBackoffOrWaitingIsImmediate) {
    Harness h;
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    ASSERT_EQ(h.machine.state(), ServiceState::Backoff);
    EXPECT_TRUE(h.send({EventKind::Stop}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Down);

    Harness waiting;
    EXPECT_TRUE(waiting.send({EventKind::Start, 0, false, false}).empty());
    EXPECT_EQ(waiting.machine.state(), ServiceState::Waiting);
    waiting.send({EventKind::Stop});
    EXPECT_EQ(waiting.machine.state(), ServiceState::Down);
}

TEST(ServiceMachine, StopDuringFinishEndsDownNotRestarted) {
    ServiceSettings settings;
    settings.has_finish = true;
    Harness h(settings);
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    h.send({EventKind::Stop});
    EXPECT_EQ(h.machine.state(), ServiceState::Finishing);
    h.send({EventKind::FinishExited});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
}

TEST(ServiceMachine, WaitsForDependenciesThenSpawns) {
    Harness h;
    h.send({EventKind::Start, 0, false, false});
    EXPECT_EQ(h.machine.state(), ServiceState::Waiting);
    EXPECT_EQ(h.send({EventKind::DependenciesReady}), (std::vector<Action>{{ActionKind::Spawn}}));
    EXPECT_EQ(h.machine.state(), ServiceState::Starting);
}

TEST(ServiceMachine, ARestartWaitsForDependenciesThatAreNotReadyAnyMore) {
    Harness h;
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    h.clock.set(*h.machine.deadline());
    EXPECT_TRUE(h.send({EventKind::Timer, 0, false, false}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Waiting);
    EXPECT_FALSE(h.machine.deadline().has_value());
    EXPECT_EQ(h.send({EventKind::DependenciesReady}), (std::vector<Action>{{ActionKind::Spawn}}));
}

TEST(ServiceMachine, ReadinessNeedsTheNotificationWhenConfigured) {
    ServiceSettings settings;
    settings.has_notification_fd = true;
    Harness h(settings);
    h.start();
    EXPECT_FALSE(h.machine.ready());
    h.send({EventKind::Ready});
    EXPECT_TRUE(h.machine.ready());
    // After a restart it is not ready until it says so again.
    h.send({EventKind::MainExited, exited(1), true});
    EXPECT_FALSE(h.machine.ready());
    h.fire();
    h.send({EventKind::Spawned});
    EXPECT_FALSE(h.machine.ready());

    Harness plain;
    plain.start();
    EXPECT_TRUE(plain.machine.ready());
}

TEST(ServiceMachine, SpawnFailureBacksOffWithoutFinish) {
    ServiceSettings settings;
    settings.has_finish = true;
    Harness h(settings);
    h.send({EventKind::Start});
    EXPECT_TRUE(h.send({EventKind::SpawnFailed}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);
    EXPECT_EQ(h.delay().count(), 100);
}

TEST(ServiceMachine, EventsThatDoNotApplyAreIgnored) {
    Harness h;
    EXPECT_TRUE(h.send({EventKind::MainExited, exited(0), true}).empty());
    EXPECT_TRUE(h.send({EventKind::GroupEmpty}).empty());
    EXPECT_TRUE(h.send({EventKind::FinishExited}).empty());
    EXPECT_TRUE(h.send({EventKind::Timer}).empty());
    EXPECT_TRUE(h.send({EventKind::Stop}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
}

// s6-svc -O: no signal, the run goes on; when it ends the service stays down,
// and a shutdown can still stop it (Once is not a Stop).
TEST(ServiceMachine, OnceLetsTheRunEndThenStaysDown) {
    Harness h;
    h.start();
    EXPECT_TRUE(h.send({EventKind::Once}).empty());
    EXPECT_EQ(h.machine.state(), ServiceState::Running);
    EXPECT_FALSE(h.machine.stop_requested());
    h.send({EventKind::MainExited, exited(1), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);
    EXPECT_FALSE(h.machine.deadline().has_value());

    // start undoes it: the next run is restarted again as the policy says.
    h.start();
    h.send({EventKind::MainExited, exited(1), true});
    EXPECT_EQ(h.machine.state(), ServiceState::Backoff);

    // In backoff: the restart is dropped.
    h.send({EventKind::Once});
    EXPECT_EQ(h.machine.state(), ServiceState::Down);

    // A shutdown's Stop still signals a run under Once.
    Harness stopped;
    stopped.start();
    stopped.send({EventKind::Once});
    auto actions = stopped.send({EventKind::Stop});
    EXPECT_FALSE(actions.empty());
    EXPECT_EQ(stopped.machine.state(), ServiceState::Stopping);
}
