// The Supervisor's side of scheduled services: the crontab's jobs become
// service records, and the Supervisor answers Jobs (jobs.hpp) as its
// JobHost. The policy of runs (skip, kill, dependencies, logging) is Jobs'.
#include <algorithm>

#include "tend/core/supervisor.hpp"
#include "tend/config/crontab_file.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {
bool Supervisor::service_ready(const ServiceRecord& record) const {
    if (scheduled(record)) return jobs_->armed(record_index(record));
    return record.machine->ready();
}

void Supervisor::load_schedules() {
    for (std::size_t i = 0; i < services_.size(); ++i) {
        const ServiceRecord& record = services_[i];
        if (record.refused() || !scheduled(record)) continue;
        jobs_->add(i, record.name, *record.config,
                   record.config->timeout_kill.value_or(context_.options->services_grace));
    }
    jobs_->load(context_.container_env);
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
        if (context_.options->crontab_overlapping) cfg.schedule_overlap = config::ScheduleOverlap::Parallel;
        log::info("{}: job {} (line {}): '{}' runs {}", file.string(), job.position, job.line, job.schedule,
                  job.command);
        record.config = std::move(cfg);
        prepare(record);
        services_.push_back(std::move(record));
    }
}

void Supervisor::hold_schedules() { jobs_->hold(); }

bool Supervisor::scheduled_runs_going() const {
    return std::any_of(services_.begin(), services_.end(), [](const ServiceRecord& record) {
        return scheduled(record) && record.machine && !record.machine->idle();
    }) || jobs_->overlapping_runs_going();
}

void Supervisor::arm_schedules() {
    for (std::size_t i = 0; i < services_.size(); ++i) {
        const ServiceRecord& record = services_[i];
        if (record.refused() || !scheduled(record) || record.config->down) continue;
        jobs_->arm(i);
    }
}

// ---- JobHost ---------------------------------------------------------------

JobHost::RunState Supervisor::run_state(std::size_t service) const {
    const ServiceRecord& record = services_[service];
    if (!record.machine) return {};
    return {record.machine->idle(), record.machine->stop_requested(), record.life.pid};
}

std::optional<std::string> Supervisor::unready_dependency(std::size_t service) const {
    for (std::size_t dep : services_[service].dependencies)
        if (!service_ready(services_[dep])) return services_[dep].name;
    return std::nullopt;
}

bool Supervisor::shutting_down() const { return stopping_all_; }

bool Supervisor::start_run(std::size_t service) {
    ServiceRecord& record = services_[service];
    if (!record.machine) return false;
    dispatch(record, {EventKind::Start, 0, false, true});
    // A failed spawn ended the run already (handle_event). Inside a drain (the
    // replacement of a killed run) the start is queued and nobody waits for
    // this answer.
    return draining_ || !record.machine->idle();
}

void Supervisor::stop_run(std::size_t service) { dispatch(services_[service], {EventKind::Stop}); }

// A crontab job's run beside the one in progress (supercronic -overlapping):
// the plan of its main run, on the same output pipes; no finish, no
// readiness (a crontab job has neither). Its end is logged by Jobs.
std::optional<pid_t> Supervisor::start_overlapping_run(std::size_t service) {
    ServiceRecord& record = services_[service];
    const config::ServiceConfig& cfg = *record.config;
    process::SpawnPlan plan = base_plan(record);
    plan.executable = cfg.command.empty() ? cfg.run : cfg.command.front();
    plan.argv = cfg.command.empty() ? std::vector<std::string>{cfg.run} : cfg.command;
    std::vector<sys::UniqueFd> run_ends;  // closed here once the child has them
    if (!attach_pipes(record, plan, true, &run_ends)) return std::nullopt;
    auto pid = ops_.spawn(plan);
    run_ends.clear();
    if (!pid) {
        log::error("service {}: {}", record.name, spawn_failure_text(record, record.resolved.run_start, cfg.run, pid.error()));
        return std::nullopt;
    }
    log::info("service {}: started an overlapping run (pid {})", record.name, *pid);
    return *pid;
}

void Supervisor::signal_overlapping_run(std::size_t service, pid_t pgid, int signo) {
    const ServiceRecord& record = services_[service];
    ops_.signal_group(pgid, signo, record.resolved.identity ? &*record.resolved.identity : nullptr);
}

void Supervisor::readiness_changed() {
    changed_ = true;
    drain();
}

}  // namespace tend::core
