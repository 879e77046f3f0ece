// Supervisor: what `tend ctl start|stop|restart|signal` do to one service.
#include <algorithm>

#include "tend/core/supervisor.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {

ServiceRecord* Supervisor::find_service(const std::string& name) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const ServiceRecord& r) { return r.name == name; });
    return it == services_.end() ? nullptr : &*it;
}

// Reasons no command can act on this service now.
std::optional<control::ActionResult> Supervisor::admin_refusal(const ServiceRecord* record,
                                                                 const std::string& name) const {
    if (!record) return control::ActionResult{false, "no service named '" + name + "'"};
    if (record->refused()) return control::ActionResult{false, name + ": refused: " + record->refusal};
    if (!record->machine) return control::ActionResult{false, name + ": not loaded"};
    if (stopping_all_) return control::ActionResult{false, name + ": tend is shutting down"};
    return std::nullopt;
}

control::ActionResult Supervisor::admin_start(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (scheduled(*record)) return admin_run_now(*record);
    record->admin_stopped = false;
    const ServiceState state = record->machine->state();
    if (state == ServiceState::Running || state == ServiceState::Starting)
        return {true, name + ": already running" + (record->life.pid > 0 ? " (pid " + std::to_string(record->life.pid) + ")" : "")};
    if (state == ServiceState::Waiting) return {true, name + ": already waiting for its dependencies"};
    if (state == ServiceState::Backoff) return {true, name + ": already restarting (backoff)"};
    log::info("service {}: start requested through control", name);
    // Down starts now; a service on its way down starts again once down.
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    if (after == ServiceState::Running) return {true, name + ": started (pid " + std::to_string(record->life.pid) + ")"};
    if (after == ServiceState::Waiting) return {true, name + ": waiting for its dependencies"};
    if (record->machine->restart_pending()) return {true, name + ": starts again once it has stopped"};
    return {true, name + ": " + to_string(after)};
}

control::ActionResult Supervisor::admin_stop(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (record->primary) return {false, name + " is the primary service: use `tend ctl halt` to stop the container"};
    if (scheduled(*record)) return admin_disarm(*record);
    record->admin_stopped = true;
    if (record->machine->idle()) return {true, name + ": already down; stays down until `tend ctl start`"};
    log::info("service {}: stop requested through control", name);
    dispatch(*record, {EventKind::Stop});
    std::string message = name + (record->machine->idle() ? ": stopped" : ": stopping");
    std::vector<std::string> running;
    for (std::size_t d : record->dependants)
        if (services_[d].machine && !services_[d].machine->idle()) running.push_back(services_[d].name);
    if (!running.empty()) {
        message += "; its dependants keep running: ";
        for (std::size_t i = 0; i < running.size(); ++i) message += (i ? ", " : "") + running[i];
    }
    return {true, message};
}

control::ActionResult Supervisor::admin_restart(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (record->primary) return {false, name + " is the primary service: its exit ends the container; use `tend ctl halt`"};
    if (scheduled(*record)) return admin_rearm(*record);
    record->admin_stopped = false;
    const ServiceState before = record->machine->state();
    if (before == ServiceState::Waiting) return {true, name + ": waiting for its dependencies"};
    if (before == ServiceState::Starting) return {true, name + ": starting"};
    log::info("service {}: restart requested through control", name);
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    if (before == ServiceState::Down) {
        if (after == ServiceState::Running) return {true, name + ": was down, started (pid " + std::to_string(record->life.pid) + ")"};
        if (after == ServiceState::Waiting) return {true, name + ": was down, waiting for its dependencies"};
    }
    return {true, name + ": restarting"};
}

// s6-svc -O: the run in progress goes on, and when it ends the service stays
// down until `start` (status shows it stopped at once: s6's "want down").
control::ActionResult Supervisor::admin_once(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (record->primary) return {false, name + " is the primary service: its exit ends the container already"};
    if (scheduled(*record)) return {false, name + " is a scheduled service: use `tend ctl stop` to disarm it"};
    record->admin_stopped = true;
    log::info("service {}: no restart after its current run, requested through control", name);
    dispatch(*record, {EventKind::Once});
    if (record->machine->idle()) return {true, name + ": down; stays down until `tend ctl start`"};
    return {true, name + ": runs on, and stays down once it exits until `tend ctl start`"};
}

// ---- scheduled services: start runs now, stop disarms, restart re-arms ----

// `start`: arms the job (after `stop` or a `down` file) and runs it now; a
// run that cannot start (one still going under `schedule-overlap skip`, a
// dependency not ready) answers 1 with the reason, the job stays armed.
control::ActionResult Supervisor::admin_run_now(ServiceRecord& record) {
    const auto index = static_cast<std::size_t>(&record - services_.data());
    log::info("service {}: run requested through control", record.name);
    record.admin_stopped = false;
    const std::size_t overlapping_before = jobs_->overlapping_runs(index);
    auto started = jobs_->scheduler().run_now(record.name);
    if (!started) return {false, record.name + ": not run: " + started.error() + "; " + jobs_->next_run_text(index)};
    if (jobs_->replacing(index))
        return {true, record.name + ": the run in progress is stopped, a new one starts once it is gone"};
    if (jobs_->overlapping_runs(index) > overlapping_before)  // -overlapping: beside the run in progress
        return {true, record.name + ": run started beside the one in progress (pid " +
                          std::to_string(jobs_->newest_overlapping_run(index)) + "); " + jobs_->next_run_text(index)};
    return {true, record.name + ": run started (pid " + std::to_string(record.life.pid) + "); " + jobs_->next_run_text(index)};
}

// `stop`: no more ticks until `start` or `restart`; a run in progress is
// stopped (down-signal, SIGKILL after timeout-kill).
control::ActionResult Supervisor::admin_disarm(ServiceRecord& record) {
    log::info("service {}: disarmed through control", record.name);
    const bool was_running = !record.machine->idle();
    const pid_t pid = record.life.pid;
    record.admin_stopped = true;
    jobs_->scheduler().disarm(record.name);
    std::string message = record.name + ": disarmed, no runs until `tend ctl start` or `restart`";
    if (was_running)
        message += record.machine->idle() ? "; its run was stopped"
                                          : "; stopping its run in progress" +
                                                (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string());
    return {true, message};
}

// `restart`: as `stop` then arming again: a run in progress is stopped and
// the next run is the schedule's next tick, counted from now (an `@every`
// period starts anew); nothing runs at once (that is `start`).
control::ActionResult Supervisor::admin_rearm(ServiceRecord& record) {
    const auto index = static_cast<std::size_t>(&record - services_.data());
    log::info("service {}: re-armed through control", record.name);
    const bool was_running = !record.machine->idle();
    record.admin_stopped = false;
    jobs_->scheduler().disarm(record.name);
    jobs_->scheduler().arm(record.name);
    std::string message = record.name + ": re-armed, " + jobs_->next_run_text(index);
    if (was_running) message += "; its run in progress " + std::string(record.machine->idle() ? "was stopped" : "is stopping");
    return {true, message};
}

control::ActionResult Supervisor::admin_signal(const std::string& name, int signo) {
    ServiceRecord* record = find_service(name);
    if (!record) return {false, "no service named '" + name + "'"};
    if (record->refused()) return {false, name + ": refused: " + record->refusal};
    if (record->life.pgid <= 0 || !record->machine || record->machine->state() == ServiceState::Down)
        return {false, name + ": not running"};
    log::info("service {}: sending {} to its process group {} (tend ctl signal)", name, config::signal_name(signo),
              record->life.pgid);
    ops_.signal_group(record->life.pgid, signo, record->resolved.identity ? &*record->resolved.identity : nullptr);
    return {true, "sent " + config::signal_name(signo) + " to " + name + " (process group " +
                      std::to_string(record->life.pgid) + ")"};
}

}  // namespace tend::core
