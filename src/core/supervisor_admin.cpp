// Supervisor: what `tend ctl start|stop|restart|once|signal` do to one
// service. Each command decides and acts, and answers with what happened as
// data (admin.hpp); the ControlBridge words it for the user. The log lines
// here are tend's own log, not the answer.
#include <algorithm>

#include "tend/core/supervisor.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {

ServiceRecord* Supervisor::find_service(const std::string& name) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const ServiceRecord& r) { return r.name == name; });
    return it == services_.end() ? nullptr : &*it;
}

// Reasons no command can act on this service now.
admin::Outcome Supervisor::admin_refusal(const ServiceRecord* record) const {
    if (!record) return {admin::Refusal::NoSuchService, {}};
    if (record->refused()) return {admin::Refusal::Refused, record->refusal};
    if (!record->machine) return {admin::Refusal::NotLoaded, {}};
    if (stopping_all_) return {admin::Refusal::ShuttingDown, {}};
    return {};
}

namespace {

// An outcome of `Command` that only says why nothing was done.
template <typename Command>
Command refused(admin::Outcome refusal) {
    Command outcome;
    static_cast<admin::Outcome&>(outcome) = std::move(refusal);
    return outcome;
}

template <typename Command>
Command refused(admin::Refusal refusal) {
    return refused<Command>(admin::Outcome{refusal, {}});
}

}  // namespace

admin::StartOutcome Supervisor::admin_start(const std::string& name) {
    using What = admin::StartOutcome::What;
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record); refusal.refused()) return refused<admin::StartOutcome>(std::move(refusal));
    if (scheduled(*record)) return admin_run_now(*record);
    record->admin_stopped = false;
    admin::StartOutcome outcome;
    const ServiceState state = record->machine->state();
    if (state == ServiceState::Running || state == ServiceState::Starting) {
        outcome.what = What::AlreadyRunning;
        outcome.pid = record->life.pid;
        return outcome;
    }
    if (state == ServiceState::Waiting) {
        outcome.what = What::AlreadyWaiting;
        return outcome;
    }
    if (state == ServiceState::Backoff) {
        outcome.what = What::AlreadyRestarting;
        return outcome;
    }
    log::info("service {}: start requested through control", name);
    // Down starts now; a service on its way down starts again once down.
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    if (after == ServiceState::Running) {
        outcome.what = What::Started;
        outcome.pid = record->life.pid;
    } else if (after == ServiceState::Waiting) {
        outcome.what = What::Waiting;
    } else if (record->machine->restart_pending()) {
        outcome.what = What::StartsOnceStopped;
    } else {
        outcome.what = What::InState;
        outcome.state = after;
    }
    return outcome;
}

admin::StopOutcome Supervisor::admin_stop(const std::string& name) {
    using What = admin::StopOutcome::What;
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record); refusal.refused()) return refused<admin::StopOutcome>(std::move(refusal));
    if (record->primary) return refused<admin::StopOutcome>(admin::Refusal::Primary);
    if (scheduled(*record)) return admin_disarm(*record);
    record->admin_stopped = true;
    admin::StopOutcome outcome;
    if (record->machine->idle()) {
        outcome.what = What::AlreadyDown;
        return outcome;
    }
    log::info("service {}: stop requested through control", name);
    dispatch(*record, {EventKind::Stop});
    outcome.what = record->machine->idle() ? What::Stopped : What::Stopping;
    for (std::size_t d : record->dependants)
        if (services_[d].machine && !services_[d].machine->idle()) outcome.dependants_running.push_back(services_[d].name);
    return outcome;
}

admin::RestartOutcome Supervisor::admin_restart(const std::string& name) {
    using What = admin::RestartOutcome::What;
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record); refusal.refused()) return refused<admin::RestartOutcome>(std::move(refusal));
    if (record->primary) return refused<admin::RestartOutcome>(admin::Refusal::Primary);
    if (scheduled(*record)) return admin_rearm(*record);
    record->admin_stopped = false;
    admin::RestartOutcome outcome;
    const ServiceState before = record->machine->state();
    if (before == ServiceState::Waiting) {
        outcome.what = What::Waiting;
        return outcome;
    }
    if (before == ServiceState::Starting) {
        outcome.what = What::Starting;
        return outcome;
    }
    log::info("service {}: restart requested through control", name);
    dispatch(*record, {EventKind::Restart, 0, false, dependencies_ready(*record)});
    const ServiceState after = record->machine->state();
    outcome.what = What::Restarting;
    if (before == ServiceState::Down && after == ServiceState::Running) {
        outcome.what = What::WasDownStarted;
        outcome.pid = record->life.pid;
    } else if (before == ServiceState::Down && after == ServiceState::Waiting) {
        outcome.what = What::WasDownWaiting;
    }
    return outcome;
}

// s6-svc -O: the run in progress goes on, and when it ends the service stays
// down until `start` (status shows it stopped at once: s6's "want down").
admin::OnceOutcome Supervisor::admin_once(const std::string& name) {
    using What = admin::OnceOutcome::What;
    ServiceRecord* record = find_service(name);
    if (auto refusal = admin_refusal(record); refusal.refused()) return refused<admin::OnceOutcome>(std::move(refusal));
    if (record->primary) return refused<admin::OnceOutcome>(admin::Refusal::Primary);
    if (scheduled(*record)) return refused<admin::OnceOutcome>(admin::Refusal::Scheduled);
    record->admin_stopped = true;
    log::info("service {}: no restart after its current run, requested through control", name);
    dispatch(*record, {EventKind::Once});
    admin::OnceOutcome outcome;
    outcome.what = record->machine->idle() ? What::Down : What::RunsOn;
    return outcome;
}

// ---- scheduled services: start runs now, stop disarms, restart re-arms ----

// `start`: arms the job (after `stop` or a `down` file) and runs it now; a
// run that cannot start (one still going under `schedule-overlap skip`, a
// dependency not ready) answers 1 with the reason, the job stays armed.
admin::StartOutcome Supervisor::admin_run_now(ServiceRecord& record) {
    using What = admin::StartOutcome::What;
    const std::size_t index = record_index(record);
    log::info("service {}: run requested through control", record.name);
    record.admin_stopped = false;
    const std::size_t overlapping_before = jobs_->overlapping_runs(index);
    auto started = jobs_->scheduler().run_now(record.name);
    admin::StartOutcome outcome;
    outcome.next = {index, jobs_->scheduler().next_run(index)};
    if (!started) {
        outcome.what = What::RunNotStarted;
        outcome.not_run_reason = started.error();
    } else if (jobs_->replacing(index)) {
        outcome.what = What::RunReplacing;
    } else if (jobs_->overlapping_runs(index) > overlapping_before) {  // -overlapping: beside the run in progress
        outcome.what = What::RunStartedBeside;
        outcome.pid = jobs_->newest_overlapping_run(index);
    } else {
        outcome.what = What::RunStarted;
        outcome.pid = record.life.pid;
    }
    return outcome;
}

// `stop`: no more ticks until `start` or `restart`; a run in progress is
// stopped (down-signal, SIGKILL after timeout-kill).
admin::StopOutcome Supervisor::admin_disarm(ServiceRecord& record) {
    log::info("service {}: disarmed through control", record.name);
    const bool was_running = !record.machine->idle();
    admin::StopOutcome outcome;
    outcome.what = admin::StopOutcome::What::Disarmed;
    outcome.pid = record.life.pid;
    record.admin_stopped = true;
    jobs_->scheduler().disarm(record.name);
    if (was_running)
        outcome.run = record.machine->idle() ? admin::RunInProgress::Stopped : admin::RunInProgress::Stopping;
    return outcome;
}

// `restart`: as `stop` then arming again: a run in progress is stopped and
// the next run is the schedule's next tick, counted from now (an `@every`
// period starts anew); nothing runs at once (that is `start`).
admin::RestartOutcome Supervisor::admin_rearm(ServiceRecord& record) {
    const std::size_t index = record_index(record);
    log::info("service {}: re-armed through control", record.name);
    const bool was_running = !record.machine->idle();
    record.admin_stopped = false;
    jobs_->scheduler().disarm(record.name);
    jobs_->scheduler().arm(record.name);
    admin::RestartOutcome outcome;
    outcome.what = admin::RestartOutcome::What::Rearmed;
    outcome.next = {index, jobs_->scheduler().next_run(index)};
    if (was_running)
        outcome.run = record.machine->idle() ? admin::RunInProgress::Stopped : admin::RunInProgress::Stopping;
    return outcome;
}

admin::SignalOutcome Supervisor::admin_signal(const std::string& name, int signo) {
    ServiceRecord* record = find_service(name);
    if (!record) return refused<admin::SignalOutcome>(admin::Refusal::NoSuchService);
    if (record->refused()) return refused<admin::SignalOutcome>(admin::Outcome{admin::Refusal::Refused, record->refusal});
    if (record->life.pgid <= 0 || !record->machine || record->machine->state() == ServiceState::Down)
        return refused<admin::SignalOutcome>(admin::Refusal::NotRunning);
    log::info("service {}: sending {} to its process group {} (tend ctl signal)", name, config::signal_name(signo),
              record->life.pgid);
    ops_.signal_group(record->life.pgid, signo, record->resolved.identity ? &*record->resolved.identity : nullptr);
    admin::SignalOutcome outcome;
    outcome.signo = signo;
    outcome.pgid = record->life.pgid;
    return outcome;
}

}  // namespace tend::core
