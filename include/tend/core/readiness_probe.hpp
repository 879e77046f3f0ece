// Readiness by probing (`ready-when`), for daemons that cannot write to a
// notification fd.
//
// A probe exists only while its service is starting: from the spawn until the
// first success, or until the service stops being Running. It is driven by the
// supervisor's timer (the one timerfd: next_deadline() feeds Init::rearm_timer,
// on_timer() lands here), so once the service is ready, or gone, tend makes no
// wakeup for it. Attempts never block the loop: sockets are non-blocking and a
// TCP connect in progress is watched in epoll for EPOLLOUT.
//
// Each attempt runs with tend's fsuid/fsgid set to the service's uid/gid, so a
// 0660 socket of the service's user is reachable although tend (root without
// CAP_DAC_OVERRIDE under --cap-drop ALL) could not open it as itself.
//
// For `socket` and `file`, an inotify watch on the parent directory (while
// starting only) makes an extra attempt as soon as the name appears or
// changes. It never replaces the timer: a socket appears at bind(), before
// listen(), so the event can only say "try now", and the directory may not
// exist yet (the watch is retried with each timed attempt).
#pragma once

#include <sys/types.h>

#include <ctime>
#include <functional>
#include <optional>
#include <string>

#include "tend/config/ready_when.hpp"
#include "tend/core/clock.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::core {

// When to try: 10 ms after the start, then after 20, 40, ... ms, at most 1 s
// apart. Pure, so unit tests check every delay with a FakeClock.
class ProbeSchedule {
public:
    static constexpr Duration kFirstDelay{10};
    static constexpr Duration kMaxDelay{1000};

    void start(TimePoint now);
    void stop();
    bool active() const { return next_.has_value(); }
    std::optional<TimePoint> deadline() const { return next_; }
    bool due(TimePoint now) const { return next_ && *next_ <= now; }
    // An attempt was made at `now` (and did not succeed): the next one after
    // twice the last delay, capped.
    void attempted(TimePoint now);
    Duration delay() const { return delay_; }

private:
    std::optional<TimePoint> next_;
    Duration delay_{kFirstDelay};
};

// The identity a probe runs as: the service's uid and gid (nullopt: tend's own).
struct ProbeIdentity {
    uid_t uid;
    gid_t gid;
};

class ReadinessProbe {
public:
    // `on_ready` is called once per start, from the event loop, as the probe's
    // last act (the callee may stop or destroy nothing but may call stop()).
    ReadinessProbe(sys::EventLoop& loop, std::string service, config::ReadyWhen condition,
                   std::optional<ProbeIdentity> identity, std::function<void()> on_ready);
    ~ReadinessProbe();
    ReadinessProbe(const ReadinessProbe&) = delete;
    ReadinessProbe& operator=(const ReadinessProbe&) = delete;

    // The clock that stamps files (ctime), for start().
    static timespec file_clock_now();

    // The service was just spawned: forget the previous life, start probing.
    // `spawned_at` is file_clock_now() read *before* the spawn, so that a
    // file the service writes at once counts however fast it is.
    void start(TimePoint now, timespec spawned_at);
    // The service is ready or no longer running: no more attempts or wakeups.
    void stop();
    bool active() const { return schedule_.active(); }
    std::optional<TimePoint> deadline() const { return schedule_.deadline(); }
    // A TCP connect is in progress, watched in epoll.
    bool connecting() const { return pending_.valid(); }
    // The parent directory is watched with inotify.
    bool watching() const { return watch_.valid(); }
    // Attempts when due (called by the supervisor's on_timer).
    void on_timer(TimePoint now);

    const config::ReadyWhen& condition() const { return condition_; }

private:
    enum class Outcome { Ready, NotYet, Pending };

    Outcome attempt();
    void watch_directory();
    void on_directory_event();
    void stop_watching();
    Outcome attempt_connect();
    Outcome check_file();
    void on_connect_done();
    void abandon_pending();
    void not_yet(int error);
    void succeed();

    sys::EventLoop& loop_;
    std::string service_;
    config::ReadyWhen condition_;
    std::optional<ProbeIdentity> identity_;
    std::function<void()> on_ready_;
    ProbeSchedule schedule_;
    timespec spawned_at_{};          // file_clock_now() before this life's spawn
    sys::UniqueFd pending_;          // a TCP connect in progress
    TimePoint pending_since_{};
    int last_error_ = -1;            // errno of the last failed attempt, to log changes only
    sys::UniqueFd watch_;            // inotify on the parent directory of the path
    std::string watched_name_;       // the path's last component, as inotify names it
};

}  // namespace tend::core
