// The lines `tend ctl start|stop|restart|once|signal` print, worded by the
// ControlBridge from what the Supervisor says it did (admin.hpp), without a
// supervisor: every outcome and refusal, byte for byte. The supervisor tests
// (test_supervisor_admin.cpp, test_scheduled_services.cpp) check that each
// situation leads to its outcome through the same bridge.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "fake_clock.hpp"
#include "tend/core/admin.hpp"
#include "tend/core/control_bridge.hpp"
#include "tend/core/scheduler.hpp"

using namespace tend;
using namespace std::chrono;
using core::ControlBridge;
using core::admin::Refusal;
using core::admin::RunInProgress;

namespace {

struct ControlBridgeAnswer : ::testing::Test {
    core::FakeClock clock;
    core::FakeWallClock wall;
    core::Scheduler scheduler{clock, wall};  // no jobs: times are shown in its zone, UTC
    const core::admin::NextRun next_tick{0, core::WallTime{sys_days{2026y / 1 / 5} + 10h + 1min}};
    const core::admin::NextRun no_next_run{0, std::nullopt};

    template <typename Outcome>
    static Outcome refused(Refusal refusal, std::string reason = {}) {
        Outcome outcome;
        outcome.refusal = refusal;
        outcome.refusal_reason = std::move(reason);
        return outcome;
    }
    control::ActionResult start(core::admin::StartOutcome::What what, pid_t pid = 0) {
        core::admin::StartOutcome outcome;
        outcome.what = what;
        outcome.pid = pid;
        outcome.next = next_tick;
        return ControlBridge::answer("web", outcome, scheduler);
    }
    control::ActionResult restart(core::admin::RestartOutcome::What what, pid_t pid = 0) {
        core::admin::RestartOutcome outcome;
        outcome.what = what;
        outcome.pid = pid;
        return ControlBridge::answer("web", outcome, scheduler);
    }
};

void expect(const control::ActionResult& result, bool ok, const std::string& message) {
    EXPECT_EQ(result.ok, ok) << result.message;
    EXPECT_EQ(result.message, message);
}

}  // namespace

TEST_F(ControlBridgeAnswer, RefusalsNameTheServiceAndWhy) {
    using core::admin::StartOutcome;
    expect(ControlBridge::answer("nope", refused<StartOutcome>(Refusal::NoSuchService), scheduler), false,
           "no service named 'nope'");
    expect(ControlBridge::answer("bad", refused<StartOutcome>(Refusal::Refused, "/srv/bad/user: no user 'x'"),
                                 scheduler),
           false, "bad: refused: /srv/bad/user: no user 'x'");
    expect(ControlBridge::answer("web", refused<StartOutcome>(Refusal::NotLoaded), scheduler), false,
           "web: not loaded");
    expect(ControlBridge::answer("web", refused<StartOutcome>(Refusal::ShuttingDown), scheduler), false,
           "web: tend is shutting down");
    expect(ControlBridge::answer("web", refused<core::admin::SignalOutcome>(Refusal::NotRunning)), false,
           "web: not running");
    expect(ControlBridge::answer("job", refused<core::admin::OnceOutcome>(Refusal::Scheduled)), false,
           "job is a scheduled service: use `tend ctl stop` to disarm it");
}

TEST_F(ControlBridgeAnswer, ThePrimaryServiceIsRefusedWithWhatToDoInstead) {
    expect(ControlBridge::answer("main", refused<core::admin::StopOutcome>(Refusal::Primary)), false,
           "main is the primary service: use `tend ctl halt` to stop the container");
    expect(ControlBridge::answer("main", refused<core::admin::RestartOutcome>(Refusal::Primary), scheduler), false,
           "main is the primary service: its exit ends the container; use `tend ctl halt`");
    expect(ControlBridge::answer("main", refused<core::admin::OnceOutcome>(Refusal::Primary)), false,
           "main is the primary service: its exit ends the container already");
}

TEST_F(ControlBridgeAnswer, StartSaysWhereTheServiceIs) {
    using What = core::admin::StartOutcome::What;
    expect(start(What::AlreadyRunning, 42), true, "web: already running (pid 42)");
    expect(start(What::AlreadyRunning, 0), true, "web: already running");
    expect(start(What::AlreadyWaiting), true, "web: already waiting for its dependencies");
    expect(start(What::AlreadyRestarting), true, "web: already restarting (backoff)");
    expect(start(What::Started, 43), true, "web: started (pid 43)");
    expect(start(What::Waiting), true, "web: waiting for its dependencies");
    expect(start(What::StartsOnceStopped), true, "web: starts again once it has stopped");
    core::admin::StartOutcome elsewhere;
    elsewhere.what = What::InState;
    elsewhere.state = core::ServiceState::Stopping;
    expect(ControlBridge::answer("web", elsewhere, scheduler), true, "web: stopping");
}

TEST_F(ControlBridgeAnswer, StartOfAScheduledServiceNamesTheRunAndTheNextOne) {
    using What = core::admin::StartOutcome::What;
    expect(start(What::RunStarted, 50), true, "web: run started (pid 50); next run 2026-01-05 10:01:00 UTC");
    expect(start(What::RunStartedBeside, 51), true,
           "web: run started beside the one in progress (pid 51); next run 2026-01-05 10:01:00 UTC");
    expect(start(What::RunReplacing), true, "web: the run in progress is stopped, a new one starts once it is gone");
    core::admin::StartOutcome not_run;
    not_run.what = What::RunNotStarted;
    not_run.not_run_reason = "dependency 'db' is not ready";
    not_run.next = no_next_run;
    expect(ControlBridge::answer("web", not_run, scheduler), false,
           "web: not run: dependency 'db' is not ready; no next run");
}

TEST_F(ControlBridgeAnswer, StopNamesTheDependantsStillRunning) {
    using What = core::admin::StopOutcome::What;
    core::admin::StopOutcome outcome;
    outcome.what = What::AlreadyDown;
    expect(ControlBridge::answer("db", outcome), true, "db: already down; stays down until `tend ctl start`");
    outcome.what = What::Stopped;
    expect(ControlBridge::answer("db", outcome), true, "db: stopped");
    outcome.dependants_running = {"app", "worker"};
    expect(ControlBridge::answer("db", outcome), true, "db: stopped; its dependants keep running: app, worker");
    outcome.what = What::Stopping;
    expect(ControlBridge::answer("db", outcome), true, "db: stopping; its dependants keep running: app, worker");
}

TEST_F(ControlBridgeAnswer, StopOfAScheduledServiceSaysWhatBecameOfItsRun) {
    core::admin::StopOutcome outcome;
    outcome.what = core::admin::StopOutcome::What::Disarmed;
    expect(ControlBridge::answer("job", outcome), true, "job: disarmed, no runs until `tend ctl start` or `restart`");
    outcome.run = RunInProgress::Stopped;
    expect(ControlBridge::answer("job", outcome), true,
           "job: disarmed, no runs until `tend ctl start` or `restart`; its run was stopped");
    outcome.run = RunInProgress::Stopping;
    outcome.pid = 60;
    expect(ControlBridge::answer("job", outcome), true,
           "job: disarmed, no runs until `tend ctl start` or `restart`; stopping its run in progress (pid 60)");
    outcome.pid = 0;  // only its finish or leftover processes
    expect(ControlBridge::answer("job", outcome), true,
           "job: disarmed, no runs until `tend ctl start` or `restart`; stopping its run in progress");
}

TEST_F(ControlBridgeAnswer, RestartSaysWhatItDid) {
    using What = core::admin::RestartOutcome::What;
    expect(restart(What::Waiting), true, "web: waiting for its dependencies");
    expect(restart(What::Starting), true, "web: starting");
    expect(restart(What::WasDownStarted, 44), true, "web: was down, started (pid 44)");
    expect(restart(What::WasDownWaiting), true, "web: was down, waiting for its dependencies");
    expect(restart(What::Restarting), true, "web: restarting");
}

TEST_F(ControlBridgeAnswer, RestartOfAScheduledServiceNamesItsNextRun) {
    core::admin::RestartOutcome outcome;
    outcome.what = core::admin::RestartOutcome::What::Rearmed;
    outcome.next = next_tick;
    expect(ControlBridge::answer("job", outcome, scheduler), true, "job: re-armed, next run 2026-01-05 10:01:00 UTC");
    outcome.run = RunInProgress::Stopping;
    expect(ControlBridge::answer("job", outcome, scheduler), true,
           "job: re-armed, next run 2026-01-05 10:01:00 UTC; its run in progress is stopping");
    outcome.run = RunInProgress::Stopped;
    outcome.next = no_next_run;
    expect(ControlBridge::answer("job", outcome, scheduler), true,
           "job: re-armed, no next run; its run in progress was stopped");
}

TEST_F(ControlBridgeAnswer, OnceAndSignal) {
    core::admin::OnceOutcome once;
    once.what = core::admin::OnceOutcome::What::Down;
    expect(ControlBridge::answer("web", once), true, "web: down; stays down until `tend ctl start`");
    once.what = core::admin::OnceOutcome::What::RunsOn;
    expect(ControlBridge::answer("web", once), true,
           "web: runs on, and stays down once it exits until `tend ctl start`");
    core::admin::SignalOutcome sent;
    sent.signo = SIGUSR1;
    sent.pgid = 70;
    expect(ControlBridge::answer("web", sent), true, "sent SIGUSR1 to web (process group 70)");
}
