// The timetable of the scheduled services (a `schedule` file).
//
// The scheduler knows when each job is due and what its runs did; it starts
// nothing itself. When a tick is due (or `tend ctl start` asks), it calls
// `start_run`, which Jobs sets (jobs.hpp): Jobs checks dependencies and
// overlap and starts `run` through the Supervisor and the service's
// ServiceMachine, so a job runs with everything a service gets.
//
// Time: cron jobs are due at instants of the wall clock (UTC, matched in the
// container's zone by next_cron_run); `@every` jobs on the monotonic clock.
// Both become one monotonic deadline each, and next_deadline() (the earliest)
// feeds the event loop's one timerfd, so tend sleeps from tick to tick. A
// monotonic deadline for a wall-clock instant stays right until the wall
// clock is stepped; clock_changed() recomputes them then (the Supervisor
// learns of steps from a ClockStepWatch).
//
// Missed ticks (tend was busy, the machine slept, the clock jumped forward)
// are not caught up: after a tick the next one is computed from now.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/core/clock.hpp"
#include "tend/core/restart_policy.hpp"
#include "tend/time/schedule.hpp"
#include "tend/time/time_zone.hpp"
#include "tend/time/wall_clock.hpp"

namespace tend::core {

using time::FakeWallClock;
using time::SystemWallClock;
using time::UtcSeconds;
using time::WallClock;
using time::WallTime;

// What `tend ctl status` shows for a scheduled service.
struct ScheduleStatus {
    std::string name;
    std::string schedule;  // as written in the file
    bool armed = false;    // ticks will run it (not `down`, not stopped, not shutting down)
    bool running = false;  // a run is in progress
    std::optional<WallTime> next_run;
    std::optional<WallTime> last_start;
    std::optional<ExitInfo> last_exit;
    std::optional<Duration> last_duration;
    unsigned runs = 0;     // started runs
    unsigned skipped = 0;  // ticks skipped (overlap, dependency not ready)
};

enum class Trigger { Tick, Manual };

class Scheduler {
public:
    Scheduler(const Clock& monotonic, const WallClock& wall);

    // The zone cron expressions are matched in (default UTC), unless a job
    // has its own (a crontab's CRON_TZ).
    void set_zone(time::TimeZone zone) { zone_ = std::move(zone); }
    const time::TimeZone& zone() const { return zone_; }

    // Registers the scheduled service with index `service` (not armed yet).
    // `zone`: the job's own zone; null: the scheduler's.
    void add(std::size_t service, std::string name, time::Schedule schedule, std::string text,
             std::shared_ptr<const time::TimeZone> zone = nullptr);
    bool empty() const { return jobs_.empty(); }
    bool has_wall_clock_jobs() const;

    // ---- for `tend ctl` --------------------------------------------------
    std::optional<ScheduleStatus> status(std::string_view name) const;
    std::vector<ScheduleStatus> statuses() const;
    // `tend ctl start NAME`: arms the job if it was not, and runs it now.
    // The error is the reason it did not start (unknown, already running, a
    // dependency not ready, shutting down).
    std::expected<void, std::string> run_now(std::string_view name);
    // `tend ctl stop NAME`: no more ticks until armed again, and a run in
    // progress is stopped (down-signal, SIGKILL after timeout-kill) through
    // `stop_run`. False: unknown name.
    bool disarm(std::string_view name);
    bool arm(std::string_view name);

    // ---- for the Supervisor ------------------------------------------------
    // Called for each due tick and for run_now: starts a run or says why not.
    std::function<std::expected<void, std::string>(std::size_t service, Trigger trigger)> start_run;
    // Called by disarm(): stop the run in progress, if any.
    std::function<void(std::size_t service)> stop_run;
    // Called when a job's readiness (armed or not) changed.
    std::function<void()> on_armed_change;

    bool is_scheduled(std::size_t service) const { return find_service(service) != nullptr; }
    bool armed(std::size_t service) const;
    void arm_service(std::size_t service);
    // Every job disarmed, runs in progress left alone (arm_service arms again).
    void hold_all();
    // Shutdown: every job disarmed for good (arm and run_now refuse after it).
    void disarm_all();
    std::optional<TimePoint> next_deadline() const;
    // Runs every job whose deadline has passed (through start_run).
    void on_timer();
    // The wall clock was stepped: recompute every cron job's deadline. As
    // cronie does, a fixed-time job (no `*` in minute and hour) is not run
    // twice for the same instant when the clock goes back less than
    // kClockCorrection; a longer step back is a correction of a wrong clock,
    // and the schedule simply follows the new time (so do wildcard jobs).
    void clock_changed();
    static constexpr std::chrono::hours kClockCorrection{3};
    void run_started(std::size_t service);
    void run_skipped(std::size_t service);
    // `others_running`: another run of the job goes on (supercronic
    // -overlapping), so the job still shows as running.
    void run_ended(std::size_t service, ExitInfo exit, Duration duration, bool others_running = false);
    // The wall-clock time of the next run, for messages.
    std::optional<WallTime> next_run(std::size_t service) const;
    // "2026-03-29 03:00:00 CEST": a wall time in the zone of the service's
    // job (the scheduler's for any other service), for messages.
    std::string format_local(std::size_t service, WallTime time) const;

private:
    struct Job {
        std::size_t service = 0;
        std::string name;
        std::string text;
        time::Schedule schedule;
        std::shared_ptr<const time::TimeZone> zone;  // null: zone_
        bool armed = false;
        std::optional<TimePoint> deadline;   // monotonic; none: no future run
        std::optional<UtcSeconds> tick;      // cron: the wall-clock instant of the deadline
        std::optional<UtcSeconds> last_tick; // cron: the instant of the last tick that came due
        ScheduleStatus status;
    };

    Job* find_service(std::size_t service);
    const Job* find_service(std::size_t service) const;
    Job* find_name(std::string_view name);
    const Job* find_name(std::string_view name) const;
    // Computes the next deadline of `job` strictly after `after` (cron: a wall
    // instant; @every: counted from the monotonic `base`).
    void schedule_next(Job& job, TimePoint mono_now, WallTime wall_now, std::optional<UtcSeconds> after);
    void set_armed(Job& job, bool armed);
    ScheduleStatus snapshot(const Job& job) const;
    const time::TimeZone& zone_of(const Job& job) const { return job.zone ? *job.zone : zone_; }

    const Clock& monotonic_;
    const WallClock& wall_;
    time::TimeZone zone_;
    std::vector<Job> jobs_;
    bool closed_ = false;
};

}  // namespace tend::core
