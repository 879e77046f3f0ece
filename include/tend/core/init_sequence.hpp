// The stages of docs/behaviour.md as a pure machine: events in, actions out, no system
// call and no clock (the caller passes `now`), like ServiceMachine.
//
// Phases:
//   ContInit          cont-init scripts, one at a time
//   Running           services supervised; the CMD runs (after --wait-ready)
//   StoppingPrimary   the CMD got the shutdown signal, primary services their
//                     down-signal; SIGKILL to the CMD after --services-grace
//   StoppingServices  services stop in reverse dependency order
//   ContFinish        cont-finish scripts, each bounded by --finish-timeout
//   KillAll           SIGTERM to everything left; after --kill-grace PID 1
//                     exits, a subreaper SIGKILLs and waits once more
//   Done              exit with final_exit_code()
//
// The exit code is decided here and only here: the primary's status, a
// failed cont-init script, out of memory, --ready-timeout, and both kinds of
// halt (Halt from `tend ctl halt`, HaltRequest from inside the container);
// Init only reads s6-overlay's exit-code files at the end and hands them to
// final_exit_code().
//
// Init (init.cpp) owns the processes, the scripts and the supervisor: it
// turns what happens into events, posts them to its queue (one event is
// handled at a time, never from inside another's actions), tells the machine
// what it sees (InitFacts) and carries out the actions in order. Messages are
// actions too, so the unit tests read every line a phase change says.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tend/core/clock.hpp"
#include "tend/core/restart_policy.hpp"

namespace tend::core {

enum class Phase { ContInit, Running, StoppingPrimary, StoppingServices, ContFinish, KillAll, Done };
const char* to_string(Phase phase);

struct InitSettings {
    bool forward_signals = false;      // --forward-signals
    bool stop_on_init_failure = true;  // --on-init-failure=stop
    bool is_pid1 = true;
    Duration services_grace{5000};
    Duration finish_timeout{5000};
    Duration kill_grace{5000};
    std::optional<Duration> ready_timeout;  // --ready-timeout, with --wait-ready and a CMD
    bool start_cmd_after_ready_timeout = false;  // start the CMD anyway instead of shutting down
};

// What Init sees when it sends an event.
struct InitFacts {
    bool script_running = false;
    bool cmd_running = false;
    bool has_primary_service = false;
    bool primaries_down = true;  // every primary service is down
    bool all_down = true;        // every service is down
    bool children_left = true;   // tend still has a child
};

enum class InitEventKind {
    ContInitDone,     // no cont-init script left to run
    ContFinishDone,   // no cont-finish script left to run
    ScriptStarted,    // a cont-init or cont-finish script runs (`name`)
    ScriptExited,     // it ended: `code` as a shell says it, `failed` when not 0; `exit` how
    ServicesStarted,  // Running: services loaded and started; `failed` = nothing to wait for
    CmdStarting,      // the CMD may start now: answered once with StartCmd
    ShutdownSignal,   // SIGTERM, SIGINT or SIGQUIT (`code` = the signal)
    PrimaryExited,    // the CMD or a primary service ended (`code`, `reason`)
    Halt,             // tend ctl halt `code` from uid `uid` (nothing once shutting down)
    HaltRequest,      // a halt from inside the container (s6-overlay's halt, a failed
                      // oneshot): `reason`; its exit code, if any, in `halt_code`.
                      // Counts during a shutdown too, as s6-overlay's does.
    OutOfMemory,      // the event loop ran out of memory
    Shutdown,         // shut down for `reason` with signal `code` (a halt request, ...)
    ScriptDeadline,   // the running script must end by `at` (kept when earlier than the phase's;
                      // `reason` is what the kill then says, "timeout-up of 2 s passed")
    Timer,            // a deadline may have passed
    KillGraceOver,    // KillAll's deadline: `code` processes left, `uid` of them never signalled
    Progress,         // something Init waits for may have changed (a child, a service)
    LoopFailed,       // the event loop's wait failed (`reason`), `failures_in_a_row` times
};

struct InitEvent {
    // Written as {kind, code, failed, reason, uid, at} with the tail left out.
    InitEvent(InitEventKind kind_, int code_ = 0, bool failed_ = false, std::string reason_ = {},
              unsigned long uid_ = 0, std::optional<TimePoint> at_ = std::nullopt)
        : kind(kind_), code(code_), failed(failed_), reason(std::move(reason_)), uid(uid_), at(at_) {}

    InitEventKind kind;
    int code = 0;
    bool failed = false;
    std::string reason;  // PrimaryExited, Shutdown; the script's name for Script*
    unsigned long uid = 0;
    std::optional<TimePoint> at;  // ScriptDeadline
    std::optional<int> halt_code;  // HaltRequest
    std::optional<ExitInfo> exit;  // ScriptExited (without it, `code` is the exit code)
    unsigned failures_in_a_row = 0;  // LoopFailed

    static InitEvent halt_request(std::optional<int> code, std::string reason) {
        InitEvent event(InitEventKind::HaltRequest, 0, false, std::move(reason));
        event.halt_code = code;
        return event;
    }
    static InitEvent script_exited(std::string name, const ExitInfo& exit) {
        InitEvent event(InitEventKind::ScriptExited, exit.shell_code(), exit.code != 0, std::move(name));
        event.exit = exit;
        return event;
    }
    static InitEvent loop_failed(std::string what, unsigned in_a_row) {
        InitEvent event(InitEventKind::LoopFailed, 0, false, std::move(what));
        event.failures_in_a_row = in_a_row;
        return event;
    }
};

// A wait of the event loop that fails (EBADF, EINVAL: nothing a retry
// mends) is logged; failing this many times in a row it starts the shutdown
// (exit code 1 unless one was decided), and failing still after the second
// count tend exits with the decided code: without a working loop the shutdown
// cannot wait for anything, and retrying forever would spin at 100 % CPU.
inline constexpr unsigned kLoopFailuresBeforeShutdown = 3;
inline constexpr unsigned kLoopFailuresBeforeExit = 10;

enum class InitActionKind {
    Say,             // `text` at info level, or debug when tend is used like tini
    Log,             // `text` at `level` (0 debug, 1 info, 2 warn, 3 error)
    RunNextScript,   // start the next script of the phase, or report *Done
    SkipScripts,     // cont-init: no further script runs
    StartServices,   // enter Running: load and start the services, then ServicesStarted
    RunContFinish,   // list the cont-finish scripts and run the first
    SignalScript,    // `signal` to the running script's group
    KillScript,      // SIGKILL to the running script's group; `text` says why
    StartCmd,        // spawn the CMD (once, after CmdStarting)
    SignalCmd,       // `signal` to the CMD's group
    KillCmd,         // SIGKILL to the CMD's group
    ForwardSignal,   // `signal` to the CMD and the primary services
    StopPrimaries,   // Supervisor::stop_primaries
    StopAll,         // Supervisor::stop_all
    ReportNotReady,  // log the services that are not ready (--ready-timeout)
    StartCmdAnyway,  // --ready-timeout with start_cmd_after_ready_timeout: warn and start the CMD
    FinalSweep,      // `signal` to everything left (kill(-1) or the descendants)
    CountLeft,       // KillAll's deadline: count what is left, answer KillGraceOver
};

struct InitAction {
    InitActionKind kind;
    int signal = 0;
    int level = 0;
    std::string text;

    bool operator==(const InitAction&) const = default;
};

class InitSequence {
public:
    explicit InitSequence(InitSettings settings) : settings_(settings) {}

    std::vector<InitAction> handle(const InitEvent& event, const InitFacts& facts, TimePoint now);

    Phase phase() const { return phase_; }
    bool shutdown_requested() const { return shutdown_requested_; }
    bool cmd_started() const { return cmd_started_; }
    // The exit code decided so far: a halt's code, else (after a halt
    // without one) the primary's from before the halt, else the primary's,
    // a failed cont-init script's or 1 for out of memory or --ready-timeout.
    std::optional<int> decided_exit_code() const;
    // What tend exits with: a halt's code, else s6-overlay's exit-code file
    // (`from_files`, read by Init), else decided_exit_code(), else 0.
    int final_exit_code(std::optional<int> from_files) const;
    int exit_code() const { return final_exit_code(std::nullopt); }
    // The earliest of the phase's and --ready-timeout's deadlines.
    std::optional<TimePoint> next_deadline() const;

private:
    void record_halt(std::optional<int> code);
    void begin_shutdown(int signo, const std::string& reason, const InitFacts& facts, TimePoint now);
    void advance(const InitFacts& facts, TimePoint now);
    void enter_phase(Phase phase, TimePoint now);
    void on_timer(const InitFacts& facts, TimePoint now);
    void say(std::string text) { actions_.push_back({InitActionKind::Say, 0, 1, std::move(text)}); }
    void log(int level, std::string text) { actions_.push_back({InitActionKind::Log, 0, level, std::move(text)}); }
    void act(InitActionKind kind, int signal = 0) { actions_.push_back({kind, signal, 0, {}}); }
    void kill_script(const std::optional<std::string>& reason, const char* option);

    InitSettings settings_;
    Phase phase_ = Phase::ContInit;
    bool shutdown_requested_ = false;
    bool primary_done_ = false;
    bool cmd_started_ = false;
    bool sigkill_sent_ = false;
    std::optional<int> exit_code_;
    bool halted_ = false;
    std::optional<int> halt_code_;         // the code given to a halt
    std::optional<int> code_before_halt_;  // decided before the first halt
    std::optional<std::string> script_deadline_reason_;  // while a ScriptDeadline is the phase's deadline
    std::optional<TimePoint> phase_deadline_;
    std::optional<TimePoint> ready_deadline_;
    std::vector<InitAction> actions_;  // of the event being handled
};

}  // namespace tend::core
