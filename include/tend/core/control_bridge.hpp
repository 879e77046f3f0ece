// The running tend as the control commands see it: the supervisor's services
// and Init's halt, behind control::ControlTarget.
//
// It owns every word `tend ctl` answers about services: the status rows
// (services()) and the one line each of start, stop, restart, once and signal
// prints. The Supervisor acts and says what it did as data (admin.hpp); the
// answer() functions word it, and are tested from outcomes alone.
#pragma once

#include <functional>

#include "tend/control/commands.hpp"
#include "tend/core/admin.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/supervisor.hpp"

namespace tend::core {

class ControlBridge final : public control::ControlTarget {
public:
    ControlBridge(Supervisor& supervisor, const Clock& clock) : supervisor_(supervisor), clock_(clock) {}

    std::function<std::optional<std::string>()> tend_state;  // Init: why not simply running
    std::function<void(int code, uid_t uid)> on_halt;
    std::function<void(int verbosity)> on_log_level;

    std::vector<control::ServiceStatus> services() const override;
    std::optional<std::string> not_running_reason() const override { return tend_state ? tend_state() : std::nullopt; }
    control::ActionResult start(const std::string& name) override {
        return answer(name, supervisor_.admin_start(name), supervisor_.scheduler());
    }
    control::ActionResult stop(const std::string& name) override { return answer(name, supervisor_.admin_stop(name)); }
    control::ActionResult restart(const std::string& name) override {
        return answer(name, supervisor_.admin_restart(name), supervisor_.scheduler());
    }
    control::ActionResult once(const std::string& name) override { return answer(name, supervisor_.admin_once(name)); }
    control::ActionResult signal(const std::string& name, int signo) override {
        return answer(name, supervisor_.admin_signal(name, signo));
    }
    void halt(int code, uid_t uid) override {
        if (on_halt) on_halt(code, uid);
    }
    void set_log_level(int verbosity) override {
        if (on_log_level) on_log_level(verbosity);
    }

    // The line `tend ctl` prints for what the Supervisor did to service
    // `name`; ok is false when the service or tend said no. `scheduler`
    // words a scheduled service's next run in the zone of its job.
    static control::ActionResult answer(const std::string& name, const admin::StartOutcome& outcome,
                                        const Scheduler& scheduler);
    static control::ActionResult answer(const std::string& name, const admin::StopOutcome& outcome);
    static control::ActionResult answer(const std::string& name, const admin::RestartOutcome& outcome,
                                        const Scheduler& scheduler);
    static control::ActionResult answer(const std::string& name, const admin::OnceOutcome& outcome);
    static control::ActionResult answer(const std::string& name, const admin::SignalOutcome& outcome);

private:
    void describe_schedule(std::size_t service, const ScheduleStatus& schedule, control::ServiceStatus& s) const;

    Supervisor& supervisor_;
    const Clock& clock_;
};

}  // namespace tend::core
