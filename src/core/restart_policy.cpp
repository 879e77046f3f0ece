#include "tend/core/restart_policy.hpp"

#include <sys/wait.h>

#include <algorithm>

namespace tend::core {

std::string describe(const ExitInfo& exit) {
    if (exit.signal != 0) return "killed by " + config::signal_name(exit.signal);
    return "exited with code " + std::to_string(exit.code);
}

Duration RestartBackoff::next_delay(Duration uptime) {
    if (uptime >= settings_.reset_after) next_ = settings_.initial;
    Duration delay = next_;
    next_ = std::min(next_ * 2, settings_.maximum);
    return delay;
}

bool should_restart(config::RestartPolicy policy, bool failed) {
    switch (policy) {
        case config::RestartPolicy::Always: return true;
        case config::RestartPolicy::OnFailure: return failed;
        case config::RestartPolicy::Never: return false;
    }
    return false;
}

ExitInfo exit_info(int wait_status) {
    if (WIFSIGNALED(wait_status)) return {256, WTERMSIG(wait_status)};
    if (WIFEXITED(wait_status)) return {WEXITSTATUS(wait_status), 0};
    return {256, 0};
}

}  // namespace tend::core
