// Jobs: the Scheduler plus the policy of scheduled runs (see jobs.hpp).
#include "tend/core/jobs.hpp"

#include <sys/epoll.h>

#include <cstring>

#include "tend/config/service_config.hpp"
#include "tend/config/duration.hpp"
#include "tend/log/logger.hpp"
#include "tend/time/time_zone.hpp"

namespace tend::core {

Jobs::Jobs(sys::EventLoop& loop, const Clock& clock, const WallClock* wall, JobHost& host)
    : loop_(loop), host_(host), scheduler_(clock, wall ? *wall : system_wall_clock_) {
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

void Jobs::add(std::size_t service, const std::string& name, const config::ServiceConfig& config) {
    if (!config.schedule) return;
    scheduler_.add(service, name, *config.schedule, config.schedule_text, config.schedule_zone);
    if (jobs_.size() <= service) jobs_.resize(service + 1);
    jobs_[service] = Job{name, config.schedule_overlap, false};
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

std::string Jobs::next_run_text(std::size_t service) const {
    auto at = scheduler_.next_run(service);
    return at ? "next run " + scheduler_.format_local(service, *at) : std::string("no next run");
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
    const JobHost::RunState run = host_.run_state(service);
    if (!run.idle && !run.stop_requested) {
        log::info("service {}: stopping the run in progress (pid {})", j->name, run.pid);
        host_.stop_run(service);
    }
}

void Jobs::run_exited(std::size_t service, const ExitInfo& exit, Duration duration) {
    const Job* j = job(service);
    if (!j) return;
    scheduler_.run_ended(service, exit, duration);
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
