// What each control command does, apart from the socket: argument checks,
// usage errors, the status table and JSON, the health verdict. It talks to
// the running tend only through ControlTarget, so unit tests drive it with a
// fake and the server stays pure I/O.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/duration.hpp"
#include "tend/control/protocol.hpp"

namespace tend::control {

using Millis = std::chrono::milliseconds;

// A scheduled service's timetable (a `schedule` file), as `status` shows it.
// Times come formatted in the container's zone (the one the schedule is
// matched in) and as Unix milliseconds for JSON readers.
struct ScheduleView {
    std::string schedule;                   // as written: "*/15 * * * *", "@every 90s"
    bool armed = false;                     // ticks will run it
    std::optional<std::string> next_run;    // "2026-03-29 03:00:00 CEST"; none when disarmed
    std::optional<std::int64_t> next_run_unix_ms;
    std::optional<std::string> last_start;  // the last run's start
    std::optional<std::int64_t> last_start_unix_ms;
    std::optional<Millis> last_duration;    // of the last finished run
    unsigned runs = 0;                      // started runs
    unsigned skipped = 0;                   // ticks skipped (overlap, dependency not ready)
};

// A service's Landlock confinement (a `paths` file), as `status` shows it.
struct ConfinementView {
    int abi = 0;                          // the Landlock ABI used; 0: Landlock not available
    std::string rules;                    // "4 paths, 2 ports, scope signals"
    std::vector<std::string> unenforced;  // what this kernel cannot enforce; empty: enforced
};

// One service as `status` shows it. Filled by the supervisor.
struct ServiceStatus {
    std::string name;
    std::string state;                 // down, waiting, starting, running, ... or "refused"
    pid_t pid = 0;                     // 0: not running
    std::optional<Millis> uptime;      // while running
    unsigned restarts = 0;             // starts after the first
    bool ready = false;
    std::optional<std::string> last_exit;  // "exited 78", "killed by SIGKILL"
    bool last_exit_failed = false;
    std::optional<Millis> restart_in;  // in backoff
    std::string refusal;               // why it never starts
    bool primary = false;
    bool stopped = false;              // by `tend ctl stop`: stays down until `start`
    bool held_down = false;            // `down` file, or waits for a service that has one
    // Scheduled services only. For them `state` is "scheduled" between runs
    // while armed, `ready` means armed, and `last_exit` is the last run's.
    std::optional<ScheduleView> schedule;
    // Services with a `paths` file only.
    std::optional<ConfinementView> confinement;
};

// The outcome of start/stop/restart/signal on one service.
struct ActionResult {
    bool ok = true;
    std::string message;  // a line for the user, ok or not
};

class ControlTarget {
public:
    virtual ~ControlTarget() = default;
    virtual std::vector<ServiceStatus> services() const = 0;
    // Why tend as a whole is not healthy yet or any more (cont-init still
    // running, shutting down); nullopt while it runs normally.
    virtual std::optional<std::string> not_running_reason() const = 0;
    virtual ActionResult start(const std::string& name) = 0;
    virtual ActionResult stop(const std::string& name) = 0;
    virtual ActionResult restart(const std::string& name) = 0;
    virtual ActionResult signal(const std::string& name, int signo) = 0;
    virtual void halt(int code, uid_t peer_uid) = 0;
    virtual void set_log_level(int verbosity) = 0;
};

// A command that cannot answer yet (wait-ready) returns a Wait: the server
// keeps the connection, calls recheck() after every change, and timed_out()
// at the deadline.
struct Outcome {
    std::optional<Reply> reply;
    Millis wait_for{0};  // when !reply
};

inline constexpr Millis kDefaultWaitReadyTimeout{10'000};

class CommandHandler {
public:
    explicit CommandHandler(ControlTarget& target) : target_(target) {}

    Outcome handle(const Request& request, uid_t peer_uid);
    std::optional<Reply> recheck(const Request& request) const;
    Reply timed_out(const Request& request) const;

    // The health verdict: one line per reason, empty when healthy.
    std::vector<std::string> health_problems() const;

private:
    Reply status(const std::vector<std::string>& args) const;
    Reply act(const std::vector<std::string>& args);
    Reply signal(const std::vector<std::string>& args);
    Reply halt(const std::vector<std::string>& args, uid_t peer_uid);
    Reply log_level(const std::vector<std::string>& args);
    Outcome wait_ready(const Request& request);
    // wait-ready's names not ready yet (all services that should be up
    // when none are named); an error reply for unknown or refused names.
    std::expected<std::vector<std::string>, Reply> waiting_for(const Request& request) const;

    ControlTarget& target_;
};

// Parses `wait-ready [NAME...] [--timeout MS]` (and wait-up/wait-down's
// arguments, `--finished` included); pure, for the handler and tests.
struct WaitReadyArgs {
    std::vector<std::string> names;
    Millis timeout = kDefaultWaitReadyTimeout;
    bool finished = false;  // wait-down --finished: the finish script has run too (s6's D)
};
std::expected<WaitReadyArgs, std::string> parse_wait_ready(const std::vector<std::string>& args);

// "1.6 s", "250 ms", "3 min 5 s": durations for people (config/duration.hpp).
using config::human_duration;

}  // namespace tend::control
