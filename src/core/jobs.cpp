// Jobs: the Scheduler plus the policy of scheduled runs (see jobs.hpp).
#include "tend/core/jobs.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

#include "tend/config/service_config.hpp"
#include "tend/config/duration.hpp"
#include "tend/log/logger.hpp"
#include "tend/time/time_zone.hpp"

namespace tend::core {

Jobs::Jobs(sys::EventLoop& loop, const Clock& clock, const WallClock* wall, JobHost& host)
    : loop_(loop), clock_(clock), host_(host), scheduler_(clock, wall ? *wall : system_wall_clock_) {
    scheduler_.start_run = [this](std::size_t service, Trigger trigger) { return start(service, trigger); };
    scheduler_.stop_run = [this](std::size_t service) { stop(service); };
    // Armed or disarmed changes readiness: dependants and --wait-ready care.
    scheduler_.on_armed_change = [this] { host_.readiness_changed(); };
}

Jobs::Job* Jobs::job(std::size_t service) {
    return service < jobs_.size() && jobs_[service] ? &*jobs_[service] : nullptr;
}

const Jobs::Job* Jobs::job(std::size_t service) const {
    return service < jobs_.size() && jobs_[service] ? &*jobs_[service] : nullptr;
}

void Jobs::add(std::size_t service, const std::string& name, const config::ServiceConfig& config,
               Duration timeout_kill) {
    if (!config.schedule) return;
    scheduler_.add(service, name, *config.schedule, config.schedule_text, config.schedule_zone);
    if (jobs_.size() <= service) jobs_.resize(service + 1);
    jobs_[service] = Job{name, config.schedule_overlap, config.down_signal, timeout_kill, false, {}};
}

void Jobs::load(const process::Environment* container_env) {
    if (scheduler_.empty()) return;
    // The zone matches cron lines; for `@every` it only shows times in messages.
    std::optional<std::string> tz = container_env ? container_env->get("TZ") : std::nullopt;
    time::LoadedTimeZone loaded = time::load_time_zone(tz ? std::optional<std::string_view>(*tz) : std::nullopt);
    if (loaded.problem) log::warn("schedules: {}", *loaded.problem);
    log::info("schedules use the time zone {}", loaded.source);
    scheduler_.set_zone(std::move(loaded.zone));

    if (!scheduler_.has_wall_clock_jobs()) return;  // @every runs on the monotonic clock alone

    auto watch = sys::ClockStepWatch::create();
    if (!watch) {
        log::warn("schedules: cannot watch the wall clock for steps ({}); after a clock change, runs happen at "
                  "the old times until each job's next tick",
                  std::strerror(watch.error()));
        return;
    }
    clock_step_watch_.emplace(std::move(*watch));
    auto added = loop_.add(clock_step_watch_->fd(), EPOLLIN, [this](std::uint32_t) { on_clock_step(); });
    if (!added) {
        log::warn("schedules: cannot watch the wall clock for steps: {}", std::strerror(added.error()));
        clock_step_watch_.reset();
    }
}

void Jobs::on_clock_step() {
    if (!clock_step_watch_ || !clock_step_watch_->consume()) return;
    log::info("the wall clock was set: schedules recomputed");
    scheduler_.clock_changed();
}

std::string describe_next_run(const Scheduler& scheduler, std::size_t service, std::optional<WallTime> at) {
    return at ? "next run " + scheduler.format_local(service, *at) : std::string("no next run");
}

std::string Jobs::next_run_text(std::size_t service) const {
    return describe_next_run(scheduler_, service, scheduler_.next_run(service));
}

bool Jobs::replacing(std::size_t service) const {
    const Job* j = job(service);
    return j && j->replace_pending;
}

std::expected<void, std::string> Jobs::start(std::size_t service, Trigger trigger) {
    Job* j = job(service);
    if (!j || host_.shutting_down()) return std::unexpected(std::string("tend is shutting down"));
    const char* what = trigger == Trigger::Manual ? "start" : "tick";

    if (auto dependency = host_.unready_dependency(service)) {
        std::string why = "dependency '" + *dependency + "' is not ready";
        scheduler_.run_skipped(service);
        log::warn("service {}: {} skipped: {}; {}", j->name, what, why, next_run_text(service));
        return std::unexpected(why);
    }

    const JobHost::RunState run = host_.run_state(service);
    if (!run.idle) {
        std::string running = run.pid > 0 ? "the previous run (pid " + std::to_string(run.pid) + ")"
                                          : "the previous run's finish or leftover processes";
        if (j->overlap == config::ScheduleOverlap::Parallel) {
            // Supercronic says "overlapping jobs: job is still running since ...".
            log::warn("service {}: {} is still running at the {}: starting another run beside it (-overlapping)",
                      j->name, running, what);
            auto pid = host_.start_overlapping_run(service);
            if (!pid) return std::unexpected(std::string("could not be started (see tend's log)"));
            j->overlapping.push_back({*pid, clock_.now(), std::nullopt});
            scheduler_.run_started(service);
            return {};
        }
        if (j->overlap == config::ScheduleOverlap::Kill) {
            log::warn("service {}: {} is still running at the {}: stopping it (schedule-overlap kill)", j->name,
                      running, what);
            j->replace_pending = true;
            if (!run.stop_requested) host_.stop_run(service);
            return {};
        }
        scheduler_.run_skipped(service);
        log::warn("service {}: {} skipped: {} is still running (schedule-overlap skip); {}", j->name, what, running,
                  next_run_text(service));
        return std::unexpected(running + " is still running");
    }

    scheduler_.run_started(service);
    if (!host_.start_run(service)) return std::unexpected(std::string("could not be started (see tend's log)"));
    return {};
}

void Jobs::stop(std::size_t service) {
    Job* j = job(service);
    if (!j) return;
    j->replace_pending = false;
    stop_overlapping_runs(service, *j);
    const JobHost::RunState run = host_.run_state(service);
    if (!run.idle && !run.stop_requested) {
        log::info("service {}: stopping the run in progress (pid {})", j->name, run.pid);
        host_.stop_run(service);
    }
}

void Jobs::run_exited(std::size_t service, const ExitInfo& exit, Duration duration) {
    const Job* j = job(service);
    if (!j) return;
    scheduler_.run_ended(service, exit, duration, !j->overlapping.empty());
    const std::string next = next_run_text(service);
    if (exit.code != 0)
        log::warn("service {}: run {} after {}; {}", j->name, describe(exit), config::human_duration(duration), next);
    else
        log::info("service {}: run succeeded after {}; {}", j->name, config::human_duration(duration), next);
}

void Jobs::run_failed(std::size_t service) {
    if (!job(service)) return;
    scheduler_.run_ended(service, ExitInfo{126, 0}, Duration{0});
}

void Jobs::run_over(std::size_t service) {
    Job* j = job(service);
    if (!j || !j->replace_pending) return;
    j->replace_pending = false;
    if (host_.shutting_down() || !scheduler_.armed(service)) return;
    (void)start(service, Trigger::Tick);
}

}  // namespace tend::core

namespace tend::core {

void Jobs::stop_overlapping_runs(std::size_t service, Job& j) {
    for (OverlappingRun& run : j.overlapping) {
        if (run.kill_at) continue;
        log::info("service {}: stopping its overlapping run (pid {})", j.name, run.pid);
        host_.signal_overlapping_run(service, run.pid, j.down_signal);
        run.kill_at = clock_.now() + j.timeout_kill;
    }
}

void Jobs::close() {
    scheduler_.disarm_all();
    for (std::size_t service = 0; service < jobs_.size(); ++service)
        if (jobs_[service]) stop_overlapping_runs(service, *jobs_[service]);
}

std::optional<TimePoint> Jobs::next_deadline() const {
    std::optional<TimePoint> earliest = scheduler_.next_deadline();
    for (const auto& j : jobs_) {
        if (!j) continue;
        for (const OverlappingRun& run : j->overlapping)
            if (run.kill_at && (!earliest || *run.kill_at < *earliest)) earliest = run.kill_at;
    }
    return earliest;
}

void Jobs::on_timer() {
    const TimePoint now = clock_.now();
    for (std::size_t service = 0; service < jobs_.size(); ++service) {
        if (!jobs_[service]) continue;
        for (OverlappingRun& run : jobs_[service]->overlapping) {
            if (!run.kill_at || *run.kill_at > now) continue;
            log::warn("service {}: overlapping run (pid {}) still running after timeout-kill, sending SIGKILL",
                      jobs_[service]->name, run.pid);
            host_.signal_overlapping_run(service, run.pid, 9);
            run.kill_at.reset();  // once: its exit is reaped as any other
        }
    }
    scheduler_.on_timer();
}

pid_t Jobs::newest_overlapping_run(std::size_t service) const {
    if (service >= jobs_.size() || !jobs_[service] || jobs_[service]->overlapping.empty()) return 0;
    return jobs_[service]->overlapping.back().pid;
}

std::optional<std::size_t> Jobs::overlapping_run_exited(pid_t pid, const ExitInfo& exit) {
    for (std::size_t service = 0; service < jobs_.size(); ++service) {
        if (!jobs_[service]) continue;
        Job& j = *jobs_[service];
        auto it = std::find_if(j.overlapping.begin(), j.overlapping.end(),
                               [&](const OverlappingRun& run) { return run.pid == pid; });
        if (it == j.overlapping.end()) continue;
        const auto duration = std::chrono::floor<Duration>(clock_.now() - it->started);
        j.overlapping.erase(it);
        // The status says "running" while any run of the job is.
        scheduler_.run_ended(service, exit, duration, !host_.run_state(service).idle || !j.overlapping.empty());
        const std::string next = next_run_text(service);
        if (exit.code != 0)
            log::warn("service {}: overlapping run (pid {}) {} after {}; {}", j.name, pid, describe(exit),
                      config::human_duration(duration), next);
        else
            log::info("service {}: overlapping run (pid {}) succeeded after {}; {}", j.name, pid,
                      config::human_duration(duration), next);
        return service;
    }
    return std::nullopt;
}

std::size_t Jobs::overlapping_runs(std::size_t service) const {
    const Job* j = job(service);
    return j ? j->overlapping.size() : 0;
}

bool Jobs::overlapping_runs_going() const {
    return std::any_of(jobs_.begin(), jobs_.end(), [](const auto& j) { return j && !j->overlapping.empty(); });
}

}  // namespace tend::core
