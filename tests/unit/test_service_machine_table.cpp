// ServiceMachine over every (state, event) pair, table-driven
// in the way of Horust's tests: each row puts a fresh machine into a state by
// a fixed recipe, sends one event, and names the state it must be in and the
// actions it must ask for. A pair that changes behaviour changes its row.
//
// Settings of every row: restart always, a finish script, down-signal
// SIGTERM, timeout-kill 1 s, timeout-finish 2 s. Events carry: Start and
// Restart with dependencies ready, MainExited as exit 1 with an empty group.
// Timer is sent at the machine's deadline (or now, when it has none).
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "fake_clock.hpp"
#include "tend/core/service_machine.hpp"

using namespace tend::core;

namespace {

using State = ServiceState;
using Kind = EventKind;

ServiceSettings table_settings() {
    ServiceSettings settings;
    settings.restart = tend::config::RestartPolicy::Always;
    settings.has_finish = true;
    settings.down_signal = SIGTERM;
    settings.timeout_kill = Duration{1000};
    settings.timeout_finish = Duration{2000};
    return settings;
}

struct Driver {
    FakeClock clock;
    ServiceMachine machine{table_settings()};
    std::vector<Action> send(Event event) { return machine.handle(event, clock.now()); }
};

// The recipe that brings a fresh machine into `state`.
void enter(Driver& d, State state) {
    const int exit_1 = 1 << 8;
    switch (state) {
        case State::Down: break;
        case State::Waiting: d.send({Kind::Start, 0, false, false}); break;
        case State::Starting: d.send({Kind::Start}); break;
        case State::Running: d.send({Kind::Start}); d.send({Kind::Spawned}); break;
        case State::Stopping: enter(d, State::Running); d.send({Kind::Stop}); break;
        case State::Draining: enter(d, State::Running); d.send({Kind::MainExited, exit_1, false}); break;
        case State::Finishing: enter(d, State::Running); d.send({Kind::MainExited, exit_1, true}); break;
        case State::Backoff: d.send({Kind::Start}); d.send({Kind::SpawnFailed}); break;
    }
    ASSERT_EQ(d.machine.state(), state) << "recipe for " << to_string(state);
}

Event event_of(Kind kind) {
    switch (kind) {
        case Kind::MainExited: return {Kind::MainExited, 1 << 8, true};
        default: return {kind};
    }
}

struct Row {
    State from;
    Kind event;
    State to;
    std::vector<Action> actions;
};

const Action kSpawn{ActionKind::Spawn};
const Action kTerm{ActionKind::SignalGroup, SIGTERM};
const Action kCont{ActionKind::SignalGroup, SIGCONT};
const Action kKill{ActionKind::KillGroup};
const Action kFinish{ActionKind::RunFinish, 0, ExitInfo{1, 0}};
const Action kKillFinish{ActionKind::KillFinish};

// Pairs not listed leave the state as it is and ask for nothing.
const std::vector<Row> kChanges = {
    {State::Down, Kind::Start, State::Starting, {kSpawn}},
    {State::Down, Kind::Restart, State::Starting, {kSpawn}},

    {State::Waiting, Kind::DependenciesReady, State::Starting, {kSpawn}},
    {State::Waiting, Kind::Stop, State::Down, {}},

    {State::Starting, Kind::Spawned, State::Running, {}},
    {State::Starting, Kind::SpawnFailed, State::Backoff, {}},

    {State::Running, Kind::MainExited, State::Finishing, {kFinish}},
    {State::Running, Kind::Stop, State::Stopping, {kTerm, kCont}},
    {State::Running, Kind::Restart, State::Stopping, {kTerm, kCont}},

    {State::Stopping, Kind::MainExited, State::Finishing, {kFinish}},
    {State::Stopping, Kind::Timer, State::Stopping, {kKill}},

    {State::Draining, Kind::GroupEmpty, State::Finishing, {kFinish}},
    {State::Draining, Kind::Timer, State::Draining, {kKill}},

    {State::Finishing, Kind::FinishExited, State::Backoff, {}},
    {State::Finishing, Kind::Timer, State::Finishing, {kKillFinish}},

    {State::Backoff, Kind::Timer, State::Starting, {kSpawn}},
    {State::Backoff, Kind::Stop, State::Down, {}},
};

const State kStates[] = {State::Down,     State::Waiting,  State::Starting,  State::Running,
                         State::Stopping, State::Draining, State::Finishing, State::Backoff};
const Kind kEvents[] = {Kind::Start,      Kind::DependenciesReady, Kind::Spawned, Kind::SpawnFailed,
                        Kind::MainExited, Kind::GroupEmpty,        Kind::FinishExited, Kind::Timer,
                        Kind::Ready,      Kind::Stop,              Kind::Restart};

const char* name_of(Kind kind) {
    switch (kind) {
        case Kind::Start: return "Start";
        case Kind::DependenciesReady: return "DependenciesReady";
        case Kind::Spawned: return "Spawned";
        case Kind::SpawnFailed: return "SpawnFailed";
        case Kind::MainExited: return "MainExited";
        case Kind::GroupEmpty: return "GroupEmpty";
        case Kind::FinishExited: return "FinishExited";
        case Kind::Timer: return "Timer";
        case Kind::Ready: return "Ready";
        case Kind::Stop: return "Stop";
        case Kind::Restart: return "Restart";
    }
    return "?";
}

std::string describe(const std::vector<Action>& actions) {
    std::string text = "[";
    for (const auto& action : actions)
        text += " kind=" + std::to_string(static_cast<int>(action.kind)) + "/sig=" + std::to_string(action.signal);
    return text + " ]";
}

TEST(ServiceMachineTable, EveryStateAndEventPair) {
    int pairs = 0;
    for (State from : kStates) {
        for (Kind kind : kEvents) {
            Row expected{from, kind, from, {}};
            for (const Row& row : kChanges)
                if (row.from == from && row.event == kind) expected = row;
            Driver d;
            enter(d, from);
            if (kind == Kind::Timer && d.machine.deadline()) d.clock.set(*d.machine.deadline());
            const auto actions = d.send(event_of(kind));
            EXPECT_EQ(d.machine.state(), expected.to)
                << to_string(from) << " + " << name_of(kind) << ": got " << to_string(d.machine.state());
            EXPECT_EQ(actions, expected.actions)
                << to_string(from) << " + " << name_of(kind) << ": got " << describe(actions);
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, 88);
}

// Every row of the table is a pair the machine really has (no typo hides one).
TEST(ServiceMachineTable, EveryListedChangeIsReachable) {
    for (const Row& row : kChanges) {
        Driver d;
        enter(d, row.from);
        if (row.event == Kind::Timer && d.machine.deadline()) d.clock.set(*d.machine.deadline());
        d.send(event_of(row.event));
        EXPECT_EQ(d.machine.state(), row.to) << to_string(row.from) << " + " << name_of(row.event);
    }
}

}  // namespace
