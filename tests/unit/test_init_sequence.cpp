// The init sequence as a pure machine: every phase
// transition and timeout, the exit-code rules of docs/behaviour.md, and a shutdown
// signal arriving in each phase, driven with a fake clock and made-up facts.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fake_clock.hpp"
#include "tend/core/init_sequence.hpp"
#include "tend/process/spawn.hpp"

using namespace tend::core;
using namespace std::chrono_literals;

namespace {

using AK = InitActionKind;
using EK = InitEventKind;

InitSettings default_settings() {
    InitSettings settings;
    settings.services_grace = Duration{1000};
    settings.finish_timeout = Duration{2000};
    settings.kill_grace = Duration{3000};
    return settings;
}

// Init's side, simulated: facts it would see, the actions it was asked for.
struct Driver {
    explicit Driver(InitSettings settings = default_settings()) : sequence(settings) {}

    FakeClock clock;
    InitSequence sequence;
    InitFacts facts{};
    std::vector<InitAction> actions;  // every action so far

    std::vector<InitAction> send(InitEvent event) {
        auto got = sequence.handle(event, facts, clock.now());
        actions.insert(actions.end(), got.begin(), got.end());
        // Init sends Progress after each event until the phase stays.
        for (;;) {
            const Phase before = sequence.phase();
            auto more = sequence.handle({EK::Progress}, facts, clock.now());
            actions.insert(actions.end(), more.begin(), more.end());
            got.insert(got.end(), more.begin(), more.end());
            if (sequence.phase() == before) break;
        }
        return got;
    }
    bool asked(AK kind, int signal = -1) const {
        return std::any_of(actions.begin(), actions.end(), [&](const InitAction& a) {
            return a.kind == kind && (signal < 0 || a.signal == signal);
        });
    }
    bool said(const std::string& text) const {
        return std::any_of(actions.begin(), actions.end(), [&](const InitAction& a) {
            return (a.kind == AK::Say || a.kind == AK::Log) && a.text == text;
        });
    }
    void fire() {
        ASSERT_TRUE(sequence.next_deadline().has_value());
        clock.set(*sequence.next_deadline());
        send({EK::Timer});
    }

    // Recipes to reach each phase (with a CMD running in Running).
    void to_running() {
        send({EK::ContInitDone});
        ASSERT_EQ(sequence.phase(), Phase::Running);
        send({EK::ServicesStarted});
        send({EK::CmdStarting});
        facts.cmd_running = true;
    }
    void to_stopping_primary() {
        to_running();
        send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
        ASSERT_EQ(sequence.phase(), Phase::StoppingPrimary);
    }
    void to_stopping_services() {
        facts.all_down = false;
        to_stopping_primary();
        facts.cmd_running = false;
        send({EK::PrimaryExited, 143, false, "CMD killed by SIGTERM"});
        ASSERT_EQ(sequence.phase(), Phase::StoppingServices);
    }
    void to_cont_finish() {
        to_stopping_services();
        facts.all_down = true;
        send({EK::Progress});
        ASSERT_EQ(sequence.phase(), Phase::ContFinish);
    }
    void to_kill_all() {
        to_cont_finish();
        send({EK::ContFinishDone});
        ASSERT_EQ(sequence.phase(), Phase::KillAll);
    }
};

// ---- phase transitions ----------------------------------------------------

TEST(InitSequence, ContInitThenRunningStartsTheServices) {
    Driver d;
    EXPECT_EQ(d.sequence.phase(), Phase::ContInit);
    auto actions = d.send({EK::ContInitDone});
    EXPECT_EQ(d.sequence.phase(), Phase::Running);
    EXPECT_TRUE(d.asked(AK::StartServices));
}

TEST(InitSequence, AFailingContInitScriptStopsTheBootWithItsCode) {
    Driver d;
    d.send({EK::ScriptStarted, 0, false, "/etc/cont-init.d/10-x"});
    d.send({EK::ScriptExited, 3, true, "/etc/cont-init.d/10-x"});
    EXPECT_TRUE(d.said("/etc/cont-init.d/10-x: exited with code 3; stopping (--on-init-failure=stop)"));
    EXPECT_TRUE(d.asked(AK::SkipScripts));
    EXPECT_TRUE(d.sequence.shutdown_requested());
    d.send({EK::ContInitDone});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish) << "services never start";
    EXPECT_FALSE(d.asked(AK::StartServices));
    EXPECT_TRUE(d.asked(AK::RunContFinish));
    EXPECT_EQ(d.sequence.exit_code(), 3);
}

TEST(InitSequence, AScriptKilledBySignalGives128PlusN) {
    Driver d;
    d.send({EK::ScriptExited, 128 + SIGKILL, true, "s"});
    EXPECT_EQ(d.sequence.exit_code(), 137);
}

TEST(InitSequence, OnInitFailureContinueGoesOn) {
    InitSettings settings = default_settings();
    settings.stop_on_init_failure = false;
    Driver d(settings);
    d.send({EK::ScriptExited, 3, true, "s"});
    EXPECT_TRUE(d.said("s: exited with code 3; continuing (--on-init-failure=continue)"));
    EXPECT_FALSE(d.asked(AK::SkipScripts));
    d.send({EK::ContInitDone});
    EXPECT_EQ(d.sequence.phase(), Phase::Running);
    EXPECT_EQ(d.sequence.exit_code(), 0);
}

TEST(InitSequence, TheWholeShutdownInOrder) {
    Driver d;
    d.to_kill_all();
    EXPECT_TRUE(d.asked(AK::SignalCmd, SIGTERM));
    EXPECT_TRUE(d.asked(AK::StopPrimaries));
    EXPECT_TRUE(d.asked(AK::StopAll));
    EXPECT_TRUE(d.asked(AK::RunContFinish));
    EXPECT_TRUE(d.asked(AK::FinalSweep, SIGTERM));
    // The phases in order, as the debug lines say them.
    std::vector<std::string> phases;
    for (const auto& a : d.actions)
        if (a.kind == AK::Log && a.text.starts_with("phase: ")) phases.push_back(a.text);
    EXPECT_EQ(phases, (std::vector<std::string>{"phase: cont-init -> running",
                                                "phase: running -> stopping the primary",
                                                "phase: stopping the primary -> stopping services",
                                                "phase: stopping services -> cont-finish",
                                                "phase: cont-finish -> killing the rest"}));
    d.facts.children_left = false;
    d.send({EK::Progress});
    EXPECT_EQ(d.sequence.phase(), Phase::Done);
    EXPECT_EQ(d.sequence.exit_code(), 143) << "the CMD's status";
}

TEST(InitSequence, StoppingServicesWaitsForEveryServiceToBeDown) {
    Driver d;
    d.to_stopping_services();
    d.send({EK::Progress});
    EXPECT_EQ(d.sequence.phase(), Phase::StoppingServices);
    d.facts.all_down = true;
    d.send({EK::Progress});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
}

TEST(InitSequence, StoppingThePrimaryWaitsForPrimaryServicesToo) {
    Driver d;
    d.facts.has_primary_service = true;
    d.facts.primaries_down = false;
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_EQ(d.sequence.phase(), Phase::StoppingPrimary);
    EXPECT_FALSE(d.asked(AK::SignalCmd)) << "no CMD is running";
    d.facts.primaries_down = true;
    d.send({EK::Progress});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish) << "all services were down already";
}

// ---- timeouts ---------------------------------------------------------------

TEST(InitSequence, TheCmdGetsSigkillAfterServicesGrace) {
    Driver d;
    d.to_stopping_primary();
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{1000});
    d.fire();
    EXPECT_TRUE(d.asked(AK::KillCmd, SIGKILL));
    EXPECT_TRUE(d.said("CMD still running after --services-grace, sending SIGKILL"));
}

TEST(InitSequence, ASignalBeforeAnyScriptStartedSaysBeforeTheServicesStartedNotContInit) {
    Driver d;
    d.facts.script_running = false;
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_TRUE(d.said("shutting down: SIGTERM received before the services started"));
    EXPECT_FALSE(d.said("shutting down: SIGTERM received during cont-init"));
    EXPECT_FALSE(d.asked(AK::SignalScript, SIGTERM));
}

TEST(InitSequence, AContInitScriptIgnoringTheSignalGetsSigkillAfterServicesGrace) {
    Driver d;
    d.facts.script_running = true;
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_TRUE(d.said("shutting down: SIGTERM received during cont-init"));
    EXPECT_TRUE(d.asked(AK::SignalScript, SIGTERM));
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{1000});
    d.fire();
    ASSERT_TRUE(d.asked(AK::KillScript, SIGKILL));
    d.facts.script_running = false;
    d.send({EK::ScriptExited, 137, true, "s"});
    EXPECT_TRUE(d.asked(AK::SkipScripts));
    d.send({EK::ContInitDone});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
    EXPECT_EQ(d.sequence.exit_code(), 0) << "a script killed by the shutdown is no init failure";
}

TEST(InitSequence, AContFinishScriptGetsSigkillAfterFinishTimeout) {
    Driver d;
    d.to_cont_finish();
    d.facts.script_running = true;
    d.send({EK::ScriptStarted, 0, false, "f"});
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{2000});
    d.fire();
    EXPECT_TRUE(d.asked(AK::KillScript, SIGKILL));
    d.facts.script_running = false;
    d.send({EK::ScriptExited, 137, true, "f"});
    EXPECT_TRUE(d.said("f: exited with code 137"));
    EXPECT_TRUE(d.asked(AK::RunNextScript));
    EXPECT_FALSE(d.sequence.next_deadline()) << "the next script gets its own timeout";
}

TEST(InitSequence, AsPid1KillGraceEndsWithTheExit) {
    Driver d;
    d.to_kill_all();
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{3000});
    d.fire();
    EXPECT_TRUE(d.asked(AK::CountLeft));
    d.send({EK::KillGraceOver, 2, false, {}, 0});
    EXPECT_TRUE(d.said("2 processes left after --kill-grace (3000 ms); exiting, which ends them with the PID namespace"));
    EXPECT_EQ(d.sequence.phase(), Phase::Done);
    EXPECT_EQ(d.sequence.exit_code(), 143) << "what is left does not change the code";
}

TEST(InitSequence, ASubreaperSigkillsOnceThenGivesUp) {
    InitSettings settings = default_settings();
    settings.is_pid1 = false;
    Driver d(settings);
    d.to_kill_all();
    d.fire();
    d.send({EK::KillGraceOver, 1, false, {}, 0});
    EXPECT_TRUE(d.said("1 process left after --kill-grace (3000 ms), sending SIGKILL"));
    EXPECT_TRUE(d.asked(AK::FinalSweep, SIGKILL));
    EXPECT_EQ(d.sequence.phase(), Phase::KillAll);
    d.fire();
    d.send({EK::KillGraceOver, 1, false, {}, 0});
    EXPECT_TRUE(d.said("1 process still running 3000 ms after SIGKILL; exiting anyway"));
    EXPECT_EQ(d.sequence.phase(), Phase::Done);
}

TEST(InitSequence, ASubreaperWithNothingLeftIsDone) {
    InitSettings settings = default_settings();
    settings.is_pid1 = false;
    Driver d(settings);
    d.to_kill_all();
    d.fire();
    d.send({EK::KillGraceOver, 0, false, {}, 0});
    EXPECT_EQ(d.sequence.phase(), Phase::Done);
    EXPECT_FALSE(d.asked(AK::FinalSweep, SIGKILL));
}

TEST(InitSequence, ReadyTimeoutSkipsTheCmdAndExitsOne) {
    InitSettings settings = default_settings();
    settings.ready_timeout = Duration{500};
    Driver d(settings);
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{500});
    d.fire();
    EXPECT_TRUE(d.asked(AK::ReportNotReady));
    EXPECT_TRUE(d.said("shutting down: services not ready after --ready-timeout"));
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
    EXPECT_EQ(d.sequence.exit_code(), 1);
}

TEST(InitSequence, ReadyTimeoutCanStartTheCmdAnyway) {
    InitSettings settings = default_settings();
    settings.ready_timeout = Duration{500};
    settings.start_cmd_after_ready_timeout = true;
    Driver d(settings);
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    d.fire();
    EXPECT_TRUE(d.asked(AK::StartCmdAnyway));
    EXPECT_FALSE(d.asked(AK::ReportNotReady));
    EXPECT_TRUE(d.sequence.cmd_started());
    EXPECT_EQ(d.sequence.phase(), Phase::Running);
    EXPECT_FALSE(d.sequence.decided_exit_code());
}

TEST(InitSequence, AShutdownRequestWithItsOwnReason) {
    Driver d;
    d.to_running();
    d.send({EK::Shutdown, SIGTERM, false, "halt requested by pid 7 (uid 0)"});
    EXPECT_TRUE(d.said("shutting down: halt requested by pid 7 (uid 0)"));
    EXPECT_TRUE(d.asked(AK::SignalCmd, SIGTERM));
    EXPECT_FALSE(d.sequence.decided_exit_code()) << "the code is the primary's, as for a signal";
}

// A script's own limit (s6-rc's timeout-up) tightens the phase's deadline,
// never loosens it.
TEST(InitSequence, AScriptDeadlineOnlyComesEarlier) {
    Driver d;
    d.to_cont_finish();
    d.facts.script_running = true;
    d.send({EK::ScriptStarted, 0, false, "f"});
    const TimePoint finish_deadline = *d.sequence.next_deadline();
    d.send({EK::ScriptDeadline, 0, false, {}, 0, d.clock.now() + Duration{5000}});
    EXPECT_EQ(*d.sequence.next_deadline(), finish_deadline) << "--finish-timeout comes first";
    d.send({EK::ScriptDeadline, 0, false, {}, 0, d.clock.now() + Duration{100}});
    EXPECT_EQ(*d.sequence.next_deadline() - d.clock.now(), Duration{100});
    d.fire();
    EXPECT_TRUE(d.asked(AK::KillScript, SIGKILL));
}

TEST(InitSequence, ReadyTimeoutIsOffOnceTheCmdStarts) {
    InitSettings settings = default_settings();
    settings.ready_timeout = Duration{500};
    Driver d(settings);
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    d.send({EK::CmdStarting});
    EXPECT_FALSE(d.sequence.next_deadline());
}

// ---- exit codes ----------------------------------------------------------------

TEST(InitSequence, ThePrimarysCodeIsTendsCode) {
    for (int code : {0, 3, 126, 127, 137, 143}) {
        Driver d;
        d.to_running();
        d.facts.cmd_running = false;
        d.send({EK::PrimaryExited, code, false, "CMD exited with code " + std::to_string(code)});
        EXPECT_TRUE(d.said("shutting down: CMD exited with code " + std::to_string(code)));
        EXPECT_EQ(d.sequence.exit_code(), code);
        EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
    }
}

// The code a CMD or primary that could not start reports (docs/behaviour.md: 127 when
// not found, 126 when it could not be executed or configured).
TEST(InitSequence, ACmdThatCannotStartReports127Or126) {
    using tend::process::SpawnFailure;
    using tend::process::SpawnStage;
    EXPECT_EQ((SpawnFailure{SpawnStage::Exec, ENOENT, {}}.shell_code()), 127);
    EXPECT_EQ((SpawnFailure{SpawnStage::Exec, EACCES, {}}.shell_code()), 126);
    EXPECT_EQ((SpawnFailure{SpawnStage::Chdir, ENOENT, {}}.shell_code()), 126) << "a missing workdir is no missing command";
    EXPECT_EQ((SpawnFailure{SpawnStage::Setresuid, EPERM, {}}.shell_code()), 126);
}

TEST(InitSequence, ShutdownBySignalWithoutAPrimaryExitsZero) {
    Driver d;
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    d.send({EK::ShutdownSignal, SIGINT, false, "SIGINT received"});
    EXPECT_EQ(d.sequence.exit_code(), 0);
}

TEST(InitSequence, OnlyTheFirstPrimaryExitCounts) {
    Driver d;
    d.to_running();
    d.send({EK::PrimaryExited, 5, false, "primary service a exited with code 5"});
    d.send({EK::PrimaryExited, 7, false, "primary service b exited with code 7"});
    EXPECT_EQ(d.sequence.exit_code(), 5);
}

TEST(InitSequence, HaltsCodeWinsOverThePrimarys) {
    Driver d;
    d.to_running();
    d.send({EK::Halt, 42, false, {}, 1000});
    EXPECT_TRUE(d.said("shutting down: tend ctl halt from uid 1000"));
    d.facts.cmd_running = false;
    d.send({EK::PrimaryExited, 143, false, "CMD killed by SIGTERM"});
    EXPECT_TRUE(d.said("CMD killed by SIGTERM")) << "said, not a second shutdown";
    EXPECT_EQ(d.sequence.exit_code(), 42);
}

TEST(InitSequence, AHaltDuringShutdownChangesNothing) {
    Driver d;
    d.to_stopping_primary();
    d.send({EK::Halt, 42, false, {}, 0});
    EXPECT_TRUE(d.said("tend ctl halt from uid 0: already shutting down"));
    EXPECT_EQ(d.sequence.exit_code(), 0);
}

TEST(InitSequence, OutOfMemoryShutsDownWithOne) {
    Driver d;
    d.to_running();
    d.send({EK::OutOfMemory});
    EXPECT_TRUE(d.said("shutting down: out of memory"));
    EXPECT_EQ(d.sequence.phase(), Phase::StoppingPrimary);
    EXPECT_EQ(d.sequence.exit_code(), 1);
}

TEST(InitSequence, NothingToWaitForEndsAtOnceWithZero) {
    Driver d;
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted, 0, true});
    EXPECT_TRUE(d.said("shutting down: nothing to wait for (no CMD and no service)"));
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
    EXPECT_EQ(d.sequence.exit_code(), 0);
}

// ---- a shutdown signal in each phase ----------------------------------------

TEST(InitSequence, ASignalInEachPhase) {
    struct Case {
        const char* name;
        void (Driver::*reach)();
        Phase after;
        bool new_shutdown;
    };
    const Case cases[] = {
        {"running", &Driver::to_running, Phase::StoppingPrimary, true},
        {"stopping the primary", &Driver::to_stopping_primary, Phase::StoppingPrimary, false},
        {"stopping services", &Driver::to_stopping_services, Phase::StoppingServices, false},
        {"cont-finish", &Driver::to_cont_finish, Phase::ContFinish, false},
        {"killing the rest", &Driver::to_kill_all, Phase::KillAll, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Driver d;
        (d.*c.reach)();
        const auto before = d.actions.size();
        d.send({EK::ShutdownSignal, SIGQUIT, false, "SIGQUIT received"});
        EXPECT_EQ(d.sequence.phase(), c.after);
        std::vector<InitAction> got(d.actions.begin() + static_cast<long>(before), d.actions.end());
        const bool shut = std::any_of(got.begin(), got.end(), [](const InitAction& a) {
            return a.kind == AK::Say && a.text == "shutting down: SIGQUIT received";
        });
        EXPECT_EQ(shut, c.new_shutdown);
        if (!c.new_shutdown) {
            ASSERT_EQ(got.size(), 1U);
            EXPECT_EQ(got[0].text, std::string("already shutting down (") + c.name + "): SIGQUIT received");
        }
    }
    // In cont-init: remembered; cont-finish follows the script.
    Driver d;
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_TRUE(d.sequence.shutdown_requested());
    EXPECT_EQ(d.sequence.phase(), Phase::ContInit);
    d.send({EK::ContInitDone});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
}

TEST(InitSequence, ForwardSignalsSendsTheSignalToARunningPrimaryInstead) {
    InitSettings settings = default_settings();
    settings.forward_signals = true;
    Driver d(settings);
    d.to_running();
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_TRUE(d.asked(AK::ForwardSignal, SIGTERM));
    EXPECT_EQ(d.sequence.phase(), Phase::Running);
    // Without a running primary the signal shuts tend down.
    d.facts.cmd_running = false;
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    EXPECT_EQ(d.sequence.phase(), Phase::ContFinish);
}

// ---- halts from inside the container and the final exit code -----------------

TEST(InitSequence, AHaltRequestWithACodeWinsEvenDuringShutdown) {
    Driver d;
    d.to_stopping_primary();
    d.send(InitEvent::halt_request(9, "halt with exit code 9 requested by pid 7 (uid 0)"));
    EXPECT_EQ(d.sequence.final_exit_code(std::nullopt), 9);
    EXPECT_EQ(d.sequence.final_exit_code(4), 9) << "a halt's code wins over s6-overlay's exit-code files";
}

TEST(InitSequence, AHaltRequestWithoutACodeKeepsWhatWasDecidedBeforeIt) {
    Driver d;
    d.to_running();
    d.send(InitEvent::halt_request(std::nullopt, "halt requested by pid 7 (uid 0)"));
    EXPECT_TRUE(d.said("shutting down: halt requested by pid 7 (uid 0)"));
    d.facts.cmd_running = false;
    d.send({EK::PrimaryExited, 143, false, "CMD killed by SIGTERM"});
    EXPECT_EQ(d.sequence.final_exit_code(std::nullopt), 0) << "the CMD ended by the halt decides nothing";
    EXPECT_EQ(d.sequence.final_exit_code(4), 4) << "s6-overlay's exit-code file decides then";

    Driver after;  // the primary had exited first: its code stays
    after.to_running();
    after.send({EK::PrimaryExited, 3, false, "CMD exited with code 3"});
    after.send(InitEvent::halt_request(std::nullopt, "halt requested by pid 7 (uid 0)"));
    EXPECT_EQ(after.sequence.final_exit_code(std::nullopt), 3);
}

TEST(InitSequence, WithoutAHaltTheExitCodeFilesWinOverThePrimarys) {
    Driver d;
    d.to_running();
    d.send({EK::PrimaryExited, 3, false, "CMD exited with code 3"});
    EXPECT_EQ(d.sequence.final_exit_code(std::nullopt), 3);
    EXPECT_EQ(d.sequence.final_exit_code(5), 5);
}

TEST(InitSequence, TheCmdStartsOnceAndOnlyWhileRunning) {
    Driver d;
    d.send({EK::ContInitDone});
    d.send({EK::ServicesStarted});
    auto first = d.send({EK::CmdStarting});
    auto second = d.send({EK::CmdStarting});
    EXPECT_EQ(std::count_if(first.begin(), first.end(), [](const InitAction& a) { return a.kind == AK::StartCmd; }), 1);
    EXPECT_TRUE(second.empty()) << "asked twice (two changes before the first was handled): started once";

    Driver late;  // the services' start already ended Running
    late.send({EK::ContInitDone});
    late.send({EK::ServicesStarted, 0, true});
    late.send({EK::CmdStarting});
    EXPECT_FALSE(late.asked(AK::StartCmd));
}

TEST(InitSequence, AScriptKilledAtItsOwnDeadlineSaysWhichOne) {
    Driver d;
    d.facts.script_running = true;
    d.send({EK::ScriptStarted, 0, false, "up"});
    d.send({EK::ScriptDeadline, 0, false, "timeout-up of 300 ms passed", 0, d.clock.now() + Duration{300}});
    d.fire();
    ASSERT_TRUE(d.asked(AK::KillScript, SIGKILL));
    EXPECT_EQ(d.actions.back().text, "timeout-up of 300 ms passed");

    Driver f;  // --finish-timeout comes first: it is the one named
    f.to_cont_finish();
    f.facts.script_running = true;
    f.send({EK::ScriptStarted, 0, false, "down"});
    f.send({EK::ScriptDeadline, 0, false, "timeout-down of 5 s passed", 0, f.clock.now() + Duration{5000}});
    f.fire();
    ASSERT_TRUE(f.asked(AK::KillScript, SIGKILL));
    EXPECT_EQ(f.actions.back().text, "still running after --finish-timeout");
}

// ---- an event loop that keeps failing ----------------------------------------

TEST(InitSequence, ALoopThatKeepsFailingStartsTheShutdown) {
    Driver d;
    d.to_running();
    for (unsigned i = 1; i < kLoopFailuresBeforeShutdown; ++i)
        d.send(InitEvent::loop_failed("epoll_wait failed: Bad file descriptor", i));
    EXPECT_TRUE(d.said("event loop: epoll_wait failed: Bad file descriptor"));
    EXPECT_EQ(d.sequence.phase(), Phase::Running) << "one failure is logged, not yet escalated";
    d.send(InitEvent::loop_failed("epoll_wait failed: Bad file descriptor", kLoopFailuresBeforeShutdown));
    EXPECT_TRUE(d.said("shutting down: the event loop keeps failing (epoll_wait failed: Bad file descriptor)"));
    EXPECT_TRUE(d.asked(AK::SignalCmd, SIGTERM));
    EXPECT_EQ(d.sequence.phase(), Phase::StoppingPrimary);
    EXPECT_EQ(d.sequence.exit_code(), 1);
}

TEST(InitSequence, ALoopThatStillFailsExitsWithTheDecidedCode) {
    Driver d;
    d.to_running();
    d.send({EK::PrimaryExited, 3, false, "CMD exited with code 3"});
    d.facts.primaries_down = false;  // a service that never gets to stop
    d.send({EK::ShutdownSignal, SIGTERM, false, "SIGTERM received"});
    for (unsigned i = 1; i < kLoopFailuresBeforeExit; ++i) {
        d.send(InitEvent::loop_failed("epoll_wait failed: Bad file descriptor", i));
        ASSERT_NE(d.sequence.phase(), Phase::Done) << i;
    }
    d.send(InitEvent::loop_failed("epoll_wait failed: Bad file descriptor", kLoopFailuresBeforeExit));
    EXPECT_EQ(d.sequence.phase(), Phase::Done) << "never a spin: the loop cannot carry the shutdown";
    EXPECT_TRUE(d.asked(AK::FinalSweep, SIGTERM));
    EXPECT_EQ(d.sequence.exit_code(), 3) << "the code decided before the loop broke";
}

}  // namespace
