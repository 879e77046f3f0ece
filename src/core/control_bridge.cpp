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
        const ServiceMachine& machine = *record.machine;
        s.state = to_string(machine.state());
        s.held_down = supervisor_.held_by_down_file(record);
        s.ready = machine.ready();
        if (machine.state() == ServiceState::Running || machine.state() == ServiceState::Stopping) {
            s.pid = record.pid;
            s.uptime = now - machine.started_at();
        }
        s.restarts = machine.starts() > 0 ? machine.starts() - 1 : 0;
        if (auto exit = machine.latest_exit()) {
            s.last_exit = exit->signal != 0 ? "killed by " + config::signal_name(exit->signal)
                                            : "exited " + std::to_string(exit->code);
            s.last_exit_failed = exit->failed();
        }
        if (machine.state() == ServiceState::Backoff && machine.deadline())
            s.restart_in = *machine.deadline() > now ? *machine.deadline() - now : Duration{0};
        list.push_back(std::move(s));
    }
    return list;
}

}  // namespace tend::core
