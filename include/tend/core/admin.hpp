// What the Supervisor did with a `tend ctl start|stop|restart|once|signal`,
// as data.
//
// The Supervisor decides and acts (supervisor_admin.cpp); the ControlBridge
// words the one line the user reads (control_bridge.cpp). So every answer of
// `tend ctl` has one home, the Supervisor builds no text for the client, and
// the answers can be tested from outcomes alone. One struct per command:
// what happened (`what`), and the facts its answer names (a pid, the
// dependants still running, a scheduled service's next run).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tend/core/service_machine.hpp"
#include "tend/time/wall_clock.hpp"

namespace tend::core::admin {

// Why a command did nothing to the service.
enum class Refusal {
    None,
    NoSuchService,
    Refused,       // the service could not be configured: Outcome::refusal_reason says why
    NotLoaded,
    ShuttingDown,  // tend is stopping everything
    Primary,       // stop, restart, once: the primary service's end ends the container
    Scheduled,     // once: a scheduled service is disarmed with `stop`
    NotRunning,    // signal: no process group to send it to
};

// What the answers to every command share: whether the service was refused.
struct Outcome {
    Refusal refusal = Refusal::None;
    std::string refusal_reason;  // Refusal::Refused: the service's own refusal
    bool refused() const { return refusal != Refusal::None; }
};

// A scheduled service's next run, as it was once the command was carried out.
struct NextRun {
    std::size_t service = 0;         // the service's index: its times are shown in its job's zone
    std::optional<time::WallTime> at;  // nullopt: no next run
};

// What became of a scheduled service's run in progress (stop, restart).
enum class RunInProgress { None, Stopped, Stopping };

// `start`: a service starts; a scheduled one runs now.
struct StartOutcome : Outcome {
    enum class What {
        AlreadyRunning,     // pid: its main process, 0 while it has none
        AlreadyWaiting,     // for its dependencies
        AlreadyRestarting,  // in backoff
        Started,            // pid
        Waiting,            // for its dependencies
        StartsOnceStopped,  // it was on its way down
        InState,            // none of these: `state` is where it is
        RunStarted,         // scheduled: pid, next
        RunStartedBeside,   // scheduled, -overlapping: pid of the new run beside the one in progress, next
        RunReplacing,       // scheduled, schedule-overlap kill: the run in progress is stopped first
        RunNotStarted,      // scheduled: not_run_reason, next
    };
    What what = What::InState;
    pid_t pid = 0;
    ServiceState state = ServiceState::Down;
    std::string not_run_reason;
    NextRun next;
};

// `stop`: a service stops and stays down; a scheduled one is disarmed.
struct StopOutcome : Outcome {
    enum class What {
        AlreadyDown,
        Stopped,   // at once
        Stopping,  // its down-signal was sent
        Disarmed,  // scheduled: run says what became of a run in progress (pid: its main process)
    };
    What what = What::AlreadyDown;
    std::vector<std::string> dependants_running;  // Stopped, Stopping
    RunInProgress run = RunInProgress::None;
    pid_t pid = 0;
};

// `restart`: a service gets a new process; a scheduled one is re-armed.
struct RestartOutcome : Outcome {
    enum class What {
        Waiting,         // it waits for its dependencies: nothing done
        Starting,        // it is starting: nothing done
        WasDownStarted,  // pid
        WasDownWaiting,  // for its dependencies
        Restarting,
        Rearmed,         // scheduled: next, and run (what became of a run in progress)
    };
    What what = What::Restarting;
    pid_t pid = 0;
    RunInProgress run = RunInProgress::None;
    NextRun next;
};

// `once` (s6-svc -O): no restart after the current run.
struct OnceOutcome : Outcome {
    enum class What {
        Down,    // it was down, and stays down
        RunsOn,  // its run goes on; it stays down once it exits
    };
    What what = What::Down;
};

// `signal`: sent to the service's process group.
struct SignalOutcome : Outcome {
    int signo = 0;
    pid_t pgid = 0;
};

}  // namespace tend::core::admin
