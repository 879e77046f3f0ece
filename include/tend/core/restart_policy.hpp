// Restart backoff (docs/service-directory.md): first restart after 100 ms, doubling up to 30 s;
// back to 100 ms once the service stayed up 10 s. Pure; time comes in as the
// uptime of the life that just ended.
#pragma once

#include "tend/config/service_config.hpp"
#include "tend/core/clock.hpp"

namespace tend::core {

struct BackoffSettings {
    Duration initial{100};
    Duration maximum{30'000};
    Duration reset_after{10'000};
};

class RestartBackoff {
public:
    explicit RestartBackoff(BackoffSettings settings = {}) : settings_(settings), next_(settings.initial) {}

    // The delay before the next start, given how long the last life lasted.
    Duration next_delay(Duration uptime);
    void reset() { next_ = settings_.initial; }

private:
    BackoffSettings settings_;
    Duration next_;
};

// Whether a life that ended with `wait_status` (waitpid encoding) is restarted.
// A start that failed before exec counts as a failure.
bool should_restart(config::RestartPolicy policy, bool failed);

// waitpid status -> (exit code, signal) as finish scripts get them:
// (code, 0) for a normal exit, (256, N) when killed by signal N.
struct ExitInfo {
    int code = 0;
    int signal = 0;
    bool failed() const { return code != 0; }
    // tini/shell convention: the code, or 128+N for signal N.
    int shell_code() const { return signal != 0 ? 128 + signal : code; }
};
ExitInfo exit_info(int wait_status);
// How every message words an exit: "exited with code 3", "killed by SIGKILL"
// (the log, shutdown reasons, `tend ctl status`).
std::string describe(const ExitInfo& exit);

}  // namespace tend::core
