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
std::optional<Supervisor::AdminResult> Supervisor::admin_refusal(const ServiceRecord* record,
                                                                 const std::string& name) const {
    if (!record) return AdminResult{false, "no service named '" + name + "'"};
    if (record->refused()) return AdminResult{false, name + ": refused: " + record->refusal};
    if (!record->machine) return AdminResult{false, name + ": not loaded"};
    if (stopping_all_) return AdminResult{false, name + ": tend is shutting down"};
    return std::nullopt;
}

Supervisor::AdminResult Supervisor::admin_start(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    record->admin_stopped = false;
    const ServiceState state = record->machine->state();
    if (state == ServiceState::Running || state == ServiceState::Starting)
        return {true, name + ": already running" + (record->pid > 0 ? " (pid " + std::to_string(record->pid) + ")" : "")};
    if (state == ServiceState::Waiting) return {true, name + ": already waiting for its dependencies"};
    if (state == ServiceState::Backoff) return {true, name + ": already restarting (backoff)"};
    log::info("service {}: start requested through control", name);
    // Down starts now; a service on its way down starts again once down.
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    if (after == ServiceState::Running) return {true, name + ": started (pid " + std::to_string(record->pid) + ")"};
    if (after == ServiceState::Waiting) return {true, name + ": waiting for its dependencies"};
    if (record->machine->restart_pending()) return {true, name + ": starts again once it has stopped"};
    return {true, name + ": " + to_string(after)};
}

Supervisor::AdminResult Supervisor::admin_stop(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (record->primary) return {false, name + " is the primary service: use `tend ctl halt` to stop the container"};
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

Supervisor::AdminResult Supervisor::admin_restart(const std::string& name) {
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record, name)) return *refusal;
    if (record->primary) return {false, name + " is the primary service: its exit ends the container; use `tend ctl halt`"};
    record->admin_stopped = false;
    const ServiceState before = record->machine->state();
    if (before == ServiceState::Waiting) return {true, name + ": waiting for its dependencies"};
    if (before == ServiceState::Starting) return {true, name + ": starting"};
    log::info("service {}: restart requested through control", name);
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    if (before == ServiceState::Down) {
        if (after == ServiceState::Running) return {true, name + ": was down, started (pid " + std::to_string(record->pid) + ")"};
        if (after == ServiceState::Waiting) return {true, name + ": was down, waiting for its dependencies"};
    }
    return {true, name + ": restarting"};
}

Supervisor::AdminResult Supervisor::admin_signal(const std::string& name, int signo) {
    ServiceRecord* record = find_service(name);
    if (!record) return {false, "no service named '" + name + "'"};
    if (record->refused()) return {false, name + ": refused: " + record->refusal};
    if (record->pgid <= 0 || !record->machine || record->machine->state() == ServiceState::Down)
        return {false, name + ": not running"};
    log::info("service {}: sending {} to its process group {} (tend ctl signal)", name, config::signal_name(signo),
              record->pgid);
    ops_.signal_group(record->pgid, signo, record->identity ? &*record->identity : nullptr);
    return {true, "sent " + config::signal_name(signo) + " to " + name + " (process group " +
                      std::to_string(record->pgid) + ")"};
}

}  // namespace tend::core
