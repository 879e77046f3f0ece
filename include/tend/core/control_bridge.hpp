// The running tend as the control commands see it: the supervisor's services
// and Init's halt, behind control::ControlTarget.
#pragma once

#include <functional>

#include "tend/control/commands.hpp"
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
    control::ActionResult start(const std::string& name) override { return supervisor_.admin_start(name); }
    control::ActionResult stop(const std::string& name) override { return supervisor_.admin_stop(name); }
    control::ActionResult restart(const std::string& name) override { return supervisor_.admin_restart(name); }
    control::ActionResult once(const std::string& name) override { return supervisor_.admin_once(name); }
    control::ActionResult signal(const std::string& name, int signo) override {
        return supervisor_.admin_signal(name, signo);
    }
    void halt(int code, uid_t uid) override {
        if (on_halt) on_halt(code, uid);
    }
    void set_log_level(int verbosity) override {
        if (on_log_level) on_log_level(verbosity);
    }

private:
    void describe_schedule(std::size_t service, const ScheduleStatus& schedule, control::ServiceStatus& s) const;

    Supervisor& supervisor_;
    const Clock& clock_;
};

}  // namespace tend::core
