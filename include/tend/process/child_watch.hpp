// The children tend starts, watched from the event loop: tend never waits
// for one in a system call (the never-wait rule, src/process/spawn.cpp).
//
// - spawn(): starts a child (process::spawn) and watches its status pipe.
//   When the pipe says the program was exec'd, the pipe is closed; when it
//   reports a failed step, the failure is kept until the child is reaped,
//   and start_failure(pid) hands it over then. A child reaped before its
//   pipe was read (both arrive in one round) is settled at the reap: it has
//   exited, so whatever it wrote is in the pipe.
// - starting(pid) / when_started(pid, action): a new child leaves tend's
//   process group for its own session a moment after spawn() returned, and
//   then drops every signal pending for it (see spawn.cpp). A signal sent to
//   its group before the setsid finds no group (ESRCH); one that reaches it
//   before the drop is dropped. So a signal for a child still starting waits
//   for its exec (the pipe's EOF): when_started runs the action then. A start
//   that fails drops the actions (the child exits).
// - act_as(): a helper acting as a uid (uid_helper.hpp), reaped by the same
//   reaper as every child and bounded by a deadline: past it, the helper is
//   SIGKILLed (its real uid is tend's, so that is always allowed) and its
//   caller hears ETIMEDOUT, which it says loudly, counting the signals as
//   not delivered.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tend/process/spawn.hpp"
#include "tend/process/uid_helper.hpp"
#include "tend/sys/clock.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::process {

class ChildWatch {
public:
    // How long a uid helper may take to send a few signals.
    static constexpr sys::Duration kHelperDeadline{2000};

    ChildWatch(sys::EventLoop& loop, const sys::Clock& clock) : loop_(loop), clock_(clock) {}
    ~ChildWatch();
    ChildWatch(const ChildWatch&) = delete;
    ChildWatch& operator=(const ChildWatch&) = delete;

    std::expected<pid_t, SpawnFailure> spawn(const SpawnPlan& plan);
    // Called for every reaped pid: the failed step the child reported if it
    // never ran its program, else nullopt (also for pids spawn() did not start).
    std::optional<SpawnFailure> start_failure(pid_t pid);
    // True from spawn() until the child's pipe said it exec'd or failed.
    bool starting(pid_t pid) const;
    // Runs `action` from the event loop once `pid` has exec'd (at once if it
    // is not starting); dropped if its start fails.
    void when_started(pid_t pid, std::function<void()> action);

    // `done(error)`: 0 when the helper switched and signalled; the errno of
    // its switch; ETIMEDOUT past the deadline; or the fork's errno (then
    // called at once).
    using HelperDone = std::function<void(int error)>;
    void act_as(uid_t uid, gid_t gid, std::vector<UidSignal> signals, HelperDone done);
    // Called for every reaped pid: true when it was a helper (done was called).
    bool helper_reaped(pid_t pid, int wait_status);
    std::size_t helpers_running() const { return helpers_.size(); }

    std::optional<sys::TimePoint> next_deadline() const;
    void on_timer();

private:
    struct Pending {
        sys::UniqueFd status;  // open until the pipe said exec'd or failed
        FailureContext context;
        std::optional<SpawnFailure> failure;
        std::vector<std::function<void()>> when_started;
    };
    struct Helper {
        sys::TimePoint deadline;
        HelperDone done;
        bool killed = false;
    };
    void on_status(pid_t pid);
    // Reads the pipe once; true when it is settled (and closed).
    bool settle(pid_t pid, Pending& pending);

    sys::EventLoop& loop_;
    const sys::Clock& clock_;
    std::map<pid_t, Pending> starts_;
    std::map<pid_t, Helper> helpers_;
};

}  // namespace tend::process
