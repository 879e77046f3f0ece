// The life cycle of one service, as a pure state machine.
//
// States:
//   Down       not running and not wanted (down file, stopped, or done for good)
//   Waiting    wanted, waiting for its dependencies to be ready
//   Starting   spawn requested; the supervisor answers Spawned or SpawnFailed
//   Running    main process alive; `ready()` tells whether it said so
//   Stopping   down-signal sent to the process group, waiting for main to exit
//   Draining   main exited, the rest of its process group got the down-signal;
//              waiting for the group to empty (SIGKILL after timeout-kill)
//   Finishing  the finish script runs (SIGKILL after timeout-finish)
//   Backoff    waiting for the restart delay
//
// handle(event, now) returns the actions the supervisor must carry out; the
// machine itself makes no system call and reads no clock, so unit tests drive
// it with a fake clock and check every delay exactly. Each (state, event)
// pair not listed in handle() is ignored on purpose: e.g. a Stop in Down.
#pragma once

#include <optional>
#include <vector>

#include "tend/config/service_config.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/restart_policy.hpp"

namespace tend::core {

enum class ServiceState { Down, Waiting, Starting, Running, Stopping, Draining, Finishing, Backoff };
const char* to_string(ServiceState state);

enum class EventKind {
    Start,              // wanted: start when dependencies_ready, else wait
    DependenciesReady,  // every dependency is ready now
    Spawned,            // the spawn action produced a running process
    SpawnFailed,        // the spawn action failed before exec
    MainExited,         // the main process was reaped (wait_status, group_empty)
    GroupEmpty,         // nothing is left of the service's process group
    FinishExited,       // the finish script was reaped
    Timer,              // the machine's deadline passed
    Ready,              // the service wrote its readiness newline
    Stop,               // not wanted any more (shutdown, ctl stop)
    Restart,            // tend ctl restart/start: stop if running, then start again at once
};

struct Event {
    EventKind kind;
    int wait_status = 0;       // MainExited
    bool group_empty = false;  // MainExited: nothing else left in the group
    bool dependencies_ready = true;  // Start, and Timer in Backoff
};

enum class ActionKind {
    Spawn,        // start the main process
    SignalGroup,  // send `signal` to the process group (down-signal, then SIGCONT)
    KillGroup,    // SIGKILL the process group
    RunFinish,    // run finish with (exit.code, exit.signal)
    KillFinish,   // SIGKILL the finish script's group
};

struct Action {
    ActionKind kind;
    int signal = 0;
    ExitInfo exit{};

    bool operator==(const Action& other) const {
        return kind == other.kind && signal == other.signal && exit.code == other.exit.code &&
               exit.signal == other.exit.signal;
    }
};

struct ServiceSettings {
    config::RestartPolicy restart = config::RestartPolicy::Always;
    bool has_finish = false;
    bool has_notification_fd = false;  // ready only when it says so
    bool has_ready_probe = false;      // `ready-when`: ready only when its probe succeeds
    int down_signal = 15;
    Duration timeout_kill{3000};    // 0: never SIGKILL (s6)
    Duration timeout_finish{5000};  // 0: finish may run forever (s6)
    BackoffSettings backoff{};
};

class ServiceMachine {
public:
    explicit ServiceMachine(ServiceSettings settings) : settings_(settings), backoff_(settings.backoff) {}

    std::vector<Action> handle(const Event& event, TimePoint now);

    ServiceState state() const { return state_; }
    bool ready() const { return state_ == ServiceState::Running && ready_; }
    // Down and not coming back by itself (restart policy said no, or stopped).
    bool idle() const { return state_ == ServiceState::Down; }
    bool stop_requested() const { return stop_requested_; }
    // A Restart arrived while it was on its way down: it starts again once down.
    bool restart_pending() const { return restart_pending_; }
    std::optional<TimePoint> deadline() const { return deadline_; }
    // The end of the last life, kept across restarts (for `tend ctl status`).
    std::optional<ExitInfo> last_exit() const { return last_exit_; }
    unsigned starts() const { return starts_; }
    TimePoint started_at() const { return started_at_; }

private:
    void begin_stop(std::vector<Action>& actions, TimePoint now);
    void after_group_gone(std::vector<Action>& actions, TimePoint now);
    void decide_restart(bool failed, Duration uptime, TimePoint now);
    void spawn(std::vector<Action>& actions);
    static std::optional<TimePoint> after(Duration timeout, TimePoint now);

    ServiceSettings settings_;
    RestartBackoff backoff_;
    ServiceState state_ = ServiceState::Down;
    bool ready_ = false;
    bool stop_requested_ = false;
    bool restart_pending_ = false;
    bool kill_sent_ = false;
    std::optional<TimePoint> deadline_;
    std::optional<ExitInfo> this_life_exit_;  // of the life now ending: finish and restart; none when it never ran
    std::optional<ExitInfo> last_exit_;
    TimePoint started_at_{};
    unsigned starts_ = 0;
};

}  // namespace tend::core
