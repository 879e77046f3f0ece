// The Supervisor's side of scheduled services (a `schedule` file).
//
// A scheduled service is an ordinary ServiceRecord whose machine never
// restarts: each tick of the Scheduler sends it a Start, so a run gets
// exactly what a service start gets (user, env, capabilities, limits, workdir,
// no_new_privs, output pipes, finish, process-group cleanup). What differs is
// decided here: a tick is skipped when a dependency is not ready or the last
// run is still going (or, with `schedule-overlap kill`, the old run is stopped
// and the new one starts once it is gone); readiness means "armed"; a run's
// end is logged with its code and duration and never stops anything else.
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

#include "tend/core/supervisor.hpp"
#include "tend/config/crontab_file.hpp"
#include "tend/time/time_zone.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {
bool Supervisor::service_ready(const ServiceRecord& record) const {
    if (scheduled(record))
        return scheduler_->armed(static_cast<std::size_t>(&record - services_.data()));
    return record.machine->ready();
}

void Supervisor::load_schedules() {
    replace_pending_.assign(services_.size(), false);
    for (std::size_t i = 0; i < services_.size(); ++i) {
        const ServiceRecord& record = services_[i];
        if (record.refused() || !scheduled(record)) continue;
        scheduler_->add(i, record.name, *record.config->schedule, record.config->schedule_text,
                        record.config->schedule_zone);
    }
    if (scheduler_->empty()) return;
    scheduler_->start_run = [this](std::size_t index, Trigger trigger) {
        return start_scheduled_run(index, trigger);
    };
    scheduler_->stop_run = [this](std::size_t index) {
        ServiceRecord& record = services_[index];
        replace_pending_[index] = false;
        if (record.machine && !record.machine->idle() && !record.machine->stop_requested()) {
            log::info("service {}: stopping the run in progress (pid {})", record.name, record.pid);
            dispatch(record, {EventKind::Stop});
        }
    };
    // Armed or disarmed changes readiness: dependants and --wait-ready care.
    scheduler_->on_armed_change = [this] {
        changed_ = true;
        drain();
    };
    // The zone matches cron lines; for `@every` it only shows times in messages.
    std::optional<std::string> tz = context_.container_env ? context_.container_env->get("TZ") : std::nullopt;
    time::LoadedTimeZone loaded = time::load_time_zone(tz ? std::optional<std::string_view>(*tz) : std::nullopt);
    if (loaded.problem) log::warn("schedules: {}", *loaded.problem);
    log::info("schedules use the time zone {}", loaded.source);
    scheduler_->set_zone(std::move(loaded.zone));

    if (!scheduler_->has_wall_clock_jobs()) return;  // @every runs on the monotonic clock alone

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

// --crontab: each job line becomes a scheduled ServiceRecord named
// crontab-<position>, run as `SHELL -c LINE` as tend's user (or --cmd-user),
// with the container environment and the crontab's variables, overlap
// skipped, its schedule in the crontab's CRON_TZ (else the container's zone).
// A crontab that cannot be read or has a bad line runs none of its jobs.
void Supervisor::load_crontab() {
    const std::filesystem::path& file = context_.options->crontab;
    if (file.empty()) return;
    std::optional<std::string> zoneinfo = context_.container_env ? context_.container_env->get("ZONEINFO") : std::nullopt;
    auto loaded = config::load_crontab_file(file, zoneinfo ? std::optional<std::string_view>(*zoneinfo) : std::nullopt);
    if (!loaded) {
        for (const auto& problem : loaded.error()) log::error("{}", problem);
        log::error("{}: no crontab job runs", file.string());
        return;
    }
    const time::Crontab* crontab = &loaded->crontab;
    if (!crontab->cron_tz.empty())
        log::info("{}: schedules use CRON_TZ={}", file.string(), crontab->cron_tz.back().name);
    for (const auto& job : crontab->jobs) {
        ServiceRecord record;
        record.name = "crontab-" + std::to_string(job.position);
        if (std::any_of(services_.begin(), services_.end(), [&](const ServiceRecord& r) { return r.name == record.name; })) {
            log::warn("{}: job {} not run: a service is named {}", file.string(), job.position, record.name);
            continue;
        }
        record.dir = file.parent_path().string();
        config::ServiceConfig cfg;
        cfg.name = record.name;
        cfg.dir = record.dir;
        cfg.run = crontab->shell;
        cfg.command = {crontab->shell, "-c", job.command};
        cfg.keep_env = true;
        for (const auto& [key, value] : crontab->variables) {
            std::erase_if(cfg.envdir, [&](const config::EnvdirEntry& e) { return e.name == key; });
            cfg.envdir.push_back({key, value});
        }
        cfg.user = context_.options->cmd_user;
        cfg.workdir = "/";
        cfg.restart = config::RestartPolicy::Never;
        cfg.schedule = job.cron;
        cfg.schedule_text = job.schedule;
        cfg.schedule_zone = loaded->zone;
        log::info("{}: job {} (line {}): '{}' runs {}", file.string(), job.position, job.line, job.schedule,
                  job.command);
        record.config = std::move(cfg);
        prepare(record);
        services_.push_back(std::move(record));
    }
}

void Supervisor::hold_schedules() { scheduler_->hold_all(); }

bool Supervisor::scheduled_runs_going() const {
    return std::any_of(services_.begin(), services_.end(), [](const ServiceRecord& record) {
        return scheduled(record) && record.machine && !record.machine->idle();
    });
}

void Supervisor::on_clock_step() {
    if (!clock_step_watch_ || !clock_step_watch_->consume()) return;
    log::info("the wall clock was set: schedules recomputed");
    scheduler_->clock_changed();
}

void Supervisor::arm_schedules() {
    for (std::size_t i = 0; i < services_.size(); ++i) {
        const ServiceRecord& record = services_[i];
        if (record.refused() || !scheduled(record) || record.config->down) continue;
        scheduler_->arm_service(i);
    }
}

std::expected<void, std::string> Supervisor::start_scheduled_run(std::size_t index, Trigger trigger) {
    ServiceRecord& record = services_[index];
    const char* what = trigger == Trigger::Manual ? "start" : "tick";
    auto next = [&] {
        auto at = scheduler_->next_run(index);
        return at ? "next run " + scheduler_->format_local(index, *at) : std::string("no next run");
    };
    if (stopping_all_ || !record.machine) return std::unexpected(std::string("tend is shutting down"));

    for (std::size_t dep : record.dependencies) {
        if (service_ready(services_[dep])) continue;
        std::string why = "dependency '" + services_[dep].name + "' is not ready";
        scheduler_->run_skipped(index);
        log::warn("service {}: {} skipped: {}; {}", record.name, what, why, next());
        return std::unexpected(why);
    }

    if (!record.machine->idle()) {
        std::string running = record.pid > 0 ? "the previous run (pid " + std::to_string(record.pid) + ")"
                                             : "the previous run's finish or leftover processes";
        if (record.config->schedule_overlap == config::ScheduleOverlap::Kill) {
            log::warn("service {}: {} is still running at the {}: stopping it (schedule-overlap kill)", record.name,
                      running, what);
            replace_pending_[index] = true;
            if (!record.machine->stop_requested()) dispatch(record, {EventKind::Stop});
            return {};
        }
        scheduler_->run_skipped(index);
        log::warn("service {}: {} skipped: {} is still running (schedule-overlap skip); {}", record.name, what,
                  running, next());
        return std::unexpected(running + " is still running");
    }

    scheduler_->run_started(index);
    dispatch(record, {EventKind::Start, 0, false, true});
    // A failed spawn ended the run already (handle_event). Inside a drain (the
    // replacement of a killed run) the start is queued and nobody waits for
    // this answer.
    if (!draining_ && record.machine->idle())
        return std::unexpected(std::string("could not be started (see tend's log)"));
    return {};
}

void Supervisor::scheduled_run_exited(ServiceRecord& record, const ExitInfo& exit) {
    const std::size_t index = static_cast<std::size_t>(&record - services_.data());
    const auto duration = std::chrono::floor<Duration>(clock_.now() - record.machine->started_at());
    scheduler_->run_ended(index, exit, duration);
    auto at = scheduler_->next_run(index);
    const std::string next = at ? "next run " + scheduler_->format_local(index, *at) : std::string("no next run");
    if (exit.code != 0)
        log::warn("service {}: run {} after {}; {}", record.name, describe(exit), config::human_duration(duration),
                  next);
    else
        log::info("service {}: run succeeded after {}; {}", record.name, config::human_duration(duration), next);
}

// The run is over for good (main, leftovers and finish all gone).
void Supervisor::scheduled_run_over(ServiceRecord& record) {
    const std::size_t index = static_cast<std::size_t>(&record - services_.data());
    if (index >= replace_pending_.size() || !replace_pending_[index]) return;
    replace_pending_[index] = false;
    if (stopping_all_ || !scheduler_->armed(index)) return;
    (void)start_scheduled_run(index, Trigger::Tick);
}

}  // namespace tend::core
