#include "tend/core/control_bridge.hpp"

#include "tend/config/service_config.hpp"

namespace tend::core {

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
