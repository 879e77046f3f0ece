// Jobs: the scheduled services (a `schedule` file, a crontab line), the
// Scheduler's timetable plus the policy of their runs, behind one interface.
//
// A scheduled service is an ordinary service record whose machine never
// restarts: each run is a Start of that machine, so a run gets exactly what
// a service start gets (user, env, capabilities, limits, workdir,
// no_new_privs, output pipes, finish, process-group cleanup). What differs is
// decided here, and only here:
//   - a tick is skipped when a dependency is not ready;
//   - a tick that comes while the last run is still going is skipped
//     (`schedule-overlap skip`), or the old run is stopped and the new one
//     starts once it is gone (`schedule-overlap kill`), or, for a crontab's
//     jobs under `supercronic -overlapping`, another run starts beside it;
//   - readiness means "armed" (ticks will run it);
//   - overlapping runs (the third case) are Jobs' own: the service's machine
//     has one run, so a run started beside it is tracked here, by pid (its
//     process group too), reaped through the Supervisor (overlapping_run_exited),
//     and stopped with the service's down-signal, SIGKILL after
//     timeout-kill, when the job is disarmed or tend shuts down;
//   - a run's end is logged with its code, duration and the next run, and
//     never stops anything else.
//
// Who calls whom: the Supervisor owns one Jobs and tells it what happens to
// a job's runs (run_exited, run_failed, run_over) and when time passes
// (on_timer); Jobs asks the Supervisor, through JobHost, about the service
// (dependencies, whether a run is going) and to start or stop a run. The
// Scheduler's own callbacks stay inside Jobs.
#pragma once

#include <sys/types.h>

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/service_config.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/scheduler.hpp"
#include "tend/process/environment.hpp"
#include "tend/sys/clock_step_watch.hpp"
#include "tend/sys/event_loop.hpp"

namespace tend::core {

// What Jobs needs from the Supervisor; services by index.
class JobHost {
public:
    // The run of a service as the supervisor sees it.
    struct RunState {
        bool idle = true;             // no main process, finish or leftovers
        bool stop_requested = false;  // a Stop is already under way
        pid_t pid = 0;                // the main process while it runs
    };
    virtual RunState run_state(std::size_t service) const = 0;
    // The first dependency of the service that is not ready, if any.
    virtual std::optional<std::string> unready_dependency(std::size_t service) const = 0;
    virtual bool shutting_down() const = 0;
    // Starts a run through the service's machine. False: it failed at once
    // (logged); a start queued behind the event being handled counts as
    // started.
    virtual bool start_run(std::size_t service) = 0;
    // Stops the run in progress (down-signal, SIGKILL after timeout-kill).
    virtual void stop_run(std::size_t service) = 0;
    // A job was armed or disarmed: readiness changed.
    virtual void readiness_changed() = 0;
    // Starts a run of the service beside the one in progress (a crontab
    // job: no finish, no readiness), with the same plan and output. Its pid,
    // which is also its process group; nullopt: it could not (logged).
    virtual std::optional<pid_t> start_overlapping_run(std::size_t service) = 0;
    // Sends `signo` to an overlapping run's process group.
    virtual void signal_overlapping_run(std::size_t service, pid_t pgid, int signo) = 0;

    virtual ~JobHost() = default;
};

// "next run 2026-03-29 03:00:00 CEST" (in the zone of the service's job) or
// "no next run": a next run as tend's log and `tend ctl`'s answers say it.
std::string describe_next_run(const Scheduler& scheduler, std::size_t service, std::optional<WallTime> at);

class Jobs {
public:
    // `wall`: the wall clock schedules are matched on; nullptr: the system's.
    Jobs(sys::EventLoop& loop, const Clock& clock, const WallClock* wall, JobHost& host);

    // ---- loading ---------------------------------------------------------
    // Registers the scheduled service with index `service` (not armed yet).
    // `timeout_kill`: how long an overlapping run has after its down-signal.
    void add(std::size_t service, const std::string& name, const config::ServiceConfig& config,
             Duration timeout_kill);
    // After every add: the zone (the container's TZ) and, for cron jobs, the
    // watch on wall-clock steps.
    void load(const process::Environment* container_env);
    bool empty() const { return scheduler_.empty(); }
    bool is_scheduled(std::size_t service) const { return scheduler_.is_scheduled(service); }

    // ---- arming ----------------------------------------------------------
    bool armed(std::size_t service) const { return scheduler_.armed(service); }
    void arm(std::size_t service) { scheduler_.arm_service(service); }
    // Every job disarmed without stopping a run (a crontab reload waits for
    // the runs); arm() arms each again.
    void hold() { scheduler_.hold_all(); }
    // Shutdown: every job disarmed for good; overlapping runs are stopped.
    void close();

    // ---- time ------------------------------------------------------------
    std::optional<TimePoint> next_deadline() const;
    void on_timer();

    // ---- what the Supervisor tells of a run --------------------------------
    // The main process ended (logged here, with the next run).
    void run_exited(std::size_t service, const ExitInfo& exit, Duration duration);
    // The run could not start (logged with its stage): that run is over.
    void run_failed(std::size_t service);
    // The run is over for good (main, leftovers and finish all gone): a run
    // waiting for it (`schedule-overlap kill`) starts now.
    void run_over(std::size_t service);
    // A reaped child that is an overlapping run: logged, forgotten; the
    // service's index. nullopt: not one of them.
    std::optional<std::size_t> overlapping_run_exited(pid_t pid, const ExitInfo& exit);
    // Overlapping runs still going (of one service; of all).
    std::size_t overlapping_runs(std::size_t service) const;
    bool overlapping_runs_going() const;
    // The pid of the service's overlapping run started last (0: none).
    pid_t newest_overlapping_run(std::size_t service) const;

    // ---- for `tend ctl` ----------------------------------------------------
    // The run in progress is being replaced (`schedule-overlap kill`).
    bool replacing(std::size_t service) const;
    Scheduler& scheduler() { return scheduler_; }
    const Scheduler& scheduler() const { return scheduler_; }

private:
    struct OverlappingRun {
        pid_t pid = 0;  // and its process group
        TimePoint started{};
        std::optional<TimePoint> kill_at;  // stopping: SIGKILL then
    };
    struct Job {
        std::string name;
        config::ScheduleOverlap overlap = config::ScheduleOverlap::Skip;
        int down_signal = 15;
        Duration timeout_kill{0};
        bool replace_pending = false;  // schedule-overlap kill: the old run is stopping
        std::vector<OverlappingRun> overlapping;
    };
    // The service's next run as its log lines say it (describe_next_run).
    std::string next_run_text(std::size_t service) const;
    // The Scheduler's start_run: starts a run of `service` or says why not.
    std::expected<void, std::string> start(std::size_t service, Trigger trigger);
    void stop(std::size_t service);
    void stop_overlapping_runs(std::size_t service, Job& job);
    void on_clock_step();
    Job* job(std::size_t service);
    const Job* job(std::size_t service) const;

    sys::EventLoop& loop_;
    const Clock& clock_;
    JobHost& host_;
    SystemWallClock system_wall_clock_;
    Scheduler scheduler_;
    std::vector<std::optional<Job>> jobs_;  // by service index
    std::optional<sys::ClockStepWatch> clock_step_watch_;
};

}  // namespace tend::core
