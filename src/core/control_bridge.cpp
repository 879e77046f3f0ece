// ControlBridge: the status rows and the answers of `tend ctl` (see
// control_bridge.hpp). Every line a user reads about a service comes from
// here; the Supervisor only says what it did (admin.hpp).
#include "tend/core/control_bridge.hpp"

#include <string_view>

#include "tend/config/service_config.hpp"

namespace tend::core {

// ---- start, stop, restart, once, signal ------------------------------------

namespace {

using admin::Refusal;
using admin::RunInProgress;

control::ActionResult yes(std::string message) { return {true, std::move(message)}; }
control::ActionResult no(std::string message) { return {false, std::move(message)}; }

std::string pid_in_parentheses(pid_t pid) { return "(pid " + std::to_string(pid) + ")"; }

// Why nothing was done. `as_primary`: what the command would do to the
// primary service, after "NAME is the primary service: ".
control::ActionResult refusal(const std::string& name, const admin::Outcome& outcome, std::string_view as_primary = {}) {
    switch (outcome.refusal) {
        case Refusal::NoSuchService: return no("no service named '" + name + "'");
        case Refusal::Refused: return no(name + ": refused: " + outcome.refusal_reason);
        case Refusal::NotLoaded: return no(name + ": not loaded");
        case Refusal::ShuttingDown: return no(name + ": tend is shutting down");
        case Refusal::Primary: return no(name + " is the primary service: " + std::string(as_primary));
        case Refusal::Scheduled: return no(name + " is a scheduled service: use `tend ctl stop` to disarm it");
        case Refusal::NotRunning: return no(name + ": not running");
        case Refusal::None: break;
    }
    return no(name + ": not done");  // not reached: callers ask only for a refusal
}

}  // namespace

control::ActionResult ControlBridge::answer(const std::string& name, const admin::StartOutcome& outcome,
                                            const Scheduler& scheduler) {
    using What = admin::StartOutcome::What;
    if (outcome.refused()) return refusal(name, outcome);
    const auto next = [&] { return describe_next_run(scheduler, outcome.next.service, outcome.next.at); };
    switch (outcome.what) {
        case What::AlreadyRunning:
            return yes(name + ": already running" + (outcome.pid > 0 ? " " + pid_in_parentheses(outcome.pid) : ""));
        case What::AlreadyWaiting: return yes(name + ": already waiting for its dependencies");
        case What::AlreadyRestarting: return yes(name + ": already restarting (backoff)");
        case What::Started: return yes(name + ": started " + pid_in_parentheses(outcome.pid));
        case What::Waiting: return yes(name + ": waiting for its dependencies");
        case What::StartsOnceStopped: return yes(name + ": starts again once it has stopped");
        case What::InState: break;
        case What::RunStarted: return yes(name + ": run started " + pid_in_parentheses(outcome.pid) + "; " + next());
        case What::RunStartedBeside:
            return yes(name + ": run started beside the one in progress " + pid_in_parentheses(outcome.pid) + "; " +
                       next());
        case What::RunReplacing: return yes(name + ": the run in progress is stopped, a new one starts once it is gone");
        case What::RunNotStarted: return no(name + ": not run: " + outcome.not_run_reason + "; " + next());
    }
    return yes(name + ": " + to_string(outcome.state));
}

control::ActionResult ControlBridge::answer(const std::string& name, const admin::StopOutcome& outcome) {
    using What = admin::StopOutcome::What;
    if (outcome.refused()) return refusal(name, outcome, "use `tend ctl halt` to stop the container");
    switch (outcome.what) {
        case What::AlreadyDown: return yes(name + ": already down; stays down until `tend ctl start`");
        case What::Disarmed: {
            std::string message = name + ": disarmed, no runs until `tend ctl start` or `restart`";
            if (outcome.run == RunInProgress::Stopped) message += "; its run was stopped";
            if (outcome.run == RunInProgress::Stopping)
                message += "; stopping its run in progress" +
                           (outcome.pid > 0 ? " " + pid_in_parentheses(outcome.pid) : std::string());
            return yes(std::move(message));
        }
        case What::Stopped:
        case What::Stopping: break;
    }
    std::string message = name + (outcome.what == What::Stopped ? ": stopped" : ": stopping");
    for (std::size_t i = 0; i < outcome.dependants_running.size(); ++i)
        message += (i ? ", " : "; its dependants keep running: ") + outcome.dependants_running[i];
    return yes(std::move(message));
}

control::ActionResult ControlBridge::answer(const std::string& name, const admin::RestartOutcome& outcome,
                                            const Scheduler& scheduler) {
    using What = admin::RestartOutcome::What;
    if (outcome.refused()) return refusal(name, outcome, "its exit ends the container; use `tend ctl halt`");
    switch (outcome.what) {
        case What::Waiting: return yes(name + ": waiting for its dependencies");
        case What::Starting: return yes(name + ": starting");
        case What::WasDownStarted: return yes(name + ": was down, started " + pid_in_parentheses(outcome.pid));
        case What::WasDownWaiting: return yes(name + ": was down, waiting for its dependencies");
        case What::Restarting: break;
        case What::Rearmed: {
            std::string message =
                name + ": re-armed, " + describe_next_run(scheduler, outcome.next.service, outcome.next.at);
            if (outcome.run != RunInProgress::None)
                message += std::string("; its run in progress ") +
                           (outcome.run == RunInProgress::Stopped ? "was stopped" : "is stopping");
            return yes(std::move(message));
        }
    }
    return yes(name + ": restarting");
}

control::ActionResult ControlBridge::answer(const std::string& name, const admin::OnceOutcome& outcome) {
    if (outcome.refused()) return refusal(name, outcome, "its exit ends the container already");
    if (outcome.what == admin::OnceOutcome::What::Down) return yes(name + ": down; stays down until `tend ctl start`");
    return yes(name + ": runs on, and stays down once it exits until `tend ctl start`");
}

control::ActionResult ControlBridge::answer(const std::string& name, const admin::SignalOutcome& outcome) {
    if (outcome.refused()) return refusal(name, outcome);
    return yes("sent " + config::signal_name(outcome.signo) + " to " + name + " (process group " +
               std::to_string(outcome.pgid) + ")");
}

// ---- status ----------------------------------------------------------------

std::vector<control::ServiceStatus> ControlBridge::services() const {
    std::vector<control::ServiceStatus> list;
    const TimePoint now = clock_.now();
    for (const auto& record : supervisor_.services()) {
        control::ServiceStatus s;
        s.name = record.name;
        s.primary = record.primary;
        s.stopped = record.admin_stopped;
        if (record.refused() || !record.machine) {
            s.state = "refused";
            s.refusal = record.refused() ? record.refusal : "not loaded";
            list.push_back(std::move(s));
            continue;
        }
        if (record.resolved.confinement)
            s.confinement = control::ConfinementView{record.resolved.confinement->abi, record.resolved.confinement->rules,
                                                     record.resolved.confinement->unenforced};
        const ServiceMachine& machine = *record.machine;
        s.state = to_string(machine.state());
        s.held_down = supervisor_.held_down(record);
        s.ready = machine.ready();
        if (machine.state() == ServiceState::Running || machine.state() == ServiceState::Stopping) {
            s.pid = record.life.pid;
            s.uptime = std::chrono::floor<Duration>(now - machine.started_at());
        }
        s.restarts = machine.starts() > 0 ? machine.starts() - 1 : 0;
        if (auto exit = machine.last_exit()) {
            s.last_exit = describe(*exit);
            s.last_exit_failed = exit->failed();
        }
        if (machine.state() == ServiceState::Backoff && machine.deadline())
            s.restart_in = *machine.deadline() > now ? std::chrono::ceil<Duration>(*machine.deadline() - now) : Duration{0};
        if (auto schedule = supervisor_.scheduler().status(record.name)) describe_schedule(static_cast<std::size_t>(&record - supervisor_.services().data()), *schedule, s);
        list.push_back(std::move(s));
    }
    return list;
}

// A scheduled service between runs is "scheduled" (armed) or down; it is
// ready while armed; its last exit and the restarts column are its runs'.
void ControlBridge::describe_schedule(std::size_t service, const ScheduleStatus& schedule, control::ServiceStatus& s) const {
    const Scheduler& scheduler = supervisor_.scheduler();
    control::ScheduleView view;
    view.schedule = schedule.schedule;
    view.armed = schedule.armed;
    if (schedule.next_run) {
        view.next_run = scheduler.format_local(service, *schedule.next_run);
        view.next_run_unix_ms = schedule.next_run->time_since_epoch().count();
    }
    if (schedule.last_start) {
        view.last_start = scheduler.format_local(service, *schedule.last_start);
        view.last_start_unix_ms = schedule.last_start->time_since_epoch().count();
    }
    view.last_duration = schedule.last_duration;
    view.runs = schedule.runs;
    view.skipped = schedule.skipped;
    s.schedule = std::move(view);

    s.ready = schedule.armed;
    s.restarts = 0;  // runs are counted in schedule.runs
    if (s.state == to_string(ServiceState::Down) && schedule.armed) s.state = "scheduled";
    s.last_exit.reset();
    s.last_exit_failed = false;
    if (schedule.last_exit) {
        s.last_exit = describe(*schedule.last_exit);
        s.last_exit_failed = schedule.last_exit->failed();
    }
}

}  // namespace tend::core
