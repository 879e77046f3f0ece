#include "tend/core/service_machine.hpp"

#include <signal.h>

namespace tend::core {

const char* to_string(ServiceState state) {
    switch (state) {
        case ServiceState::Down: return "down";
        case ServiceState::Waiting: return "waiting";
        case ServiceState::Starting: return "starting";
        case ServiceState::Running: return "running";
        case ServiceState::Stopping: return "stopping";
        case ServiceState::Draining: return "draining";
        case ServiceState::Finishing: return "finishing";
        case ServiceState::Backoff: return "backoff";
    }
    return "unknown";
}

// s6: a timeout of 0 means no timeout at all.
std::optional<TimePoint> ServiceMachine::after(Duration timeout, TimePoint now) {
    if (timeout.count() == 0) return std::nullopt;
    return now + timeout;
}

void ServiceMachine::spawn(std::vector<Action>& actions) {
    state_ = ServiceState::Starting;
    deadline_.reset();
    actions.push_back({ActionKind::Spawn});
}

// Down-signal then SIGCONT (a stopped process could not act on it), and
// SIGKILL at the deadline.
void ServiceMachine::begin_stop(std::vector<Action>& actions, TimePoint now) {
    actions.push_back({ActionKind::SignalGroup, settings_.down_signal});
    actions.push_back({ActionKind::SignalGroup, SIGCONT});
    kill_sent_ = false;
    deadline_ = after(settings_.timeout_kill, now);
}

// Main process and its group are gone: finish script, then restart or rest.
void ServiceMachine::after_group_gone(std::vector<Action>& actions, TimePoint now) {
    if (settings_.has_finish && this_life_exit_) {
        state_ = ServiceState::Finishing;
        kill_sent_ = false;
        deadline_ = after(settings_.timeout_finish, now);
        actions.push_back({ActionKind::RunFinish, 0, *this_life_exit_});
        return;
    }
    decide_restart(this_life_exit_ ? this_life_exit_->failed() : true, std::chrono::floor<Duration>(now - started_at_), now);
}

void ServiceMachine::decide_restart(bool failed, Duration uptime, TimePoint now) {
    if (restart_pending_) {
        // tend ctl restart: no backoff delay, but through Backoff so the
        // Timer event checks the dependencies as for any restart.
        restart_pending_ = false;
        stop_requested_ = false;
        state_ = ServiceState::Backoff;
        deadline_ = now;
        return;
    }
    if (stop_requested_ || !should_restart(settings_.restart, failed)) {
        state_ = ServiceState::Down;
        deadline_.reset();
        return;
    }
    state_ = ServiceState::Backoff;
    deadline_ = now + backoff_.next_delay(uptime);
}

std::vector<Action> ServiceMachine::handle(const Event& event, TimePoint now) {
    std::vector<Action> actions;
    switch (event.kind) {
        case EventKind::Start:
            if (state_ != ServiceState::Down) break;
            stop_requested_ = false;
            backoff_.reset();
            if (event.dependencies_ready) {
                spawn(actions);
            } else {
                state_ = ServiceState::Waiting;
            }
            break;

        case EventKind::DependenciesReady:
            if (state_ == ServiceState::Waiting) spawn(actions);
            break;

        case EventKind::Spawned:
            if (state_ != ServiceState::Starting) break;
            state_ = ServiceState::Running;
            ready_ = !settings_.has_notification_fd && !settings_.has_ready_probe;
            started_at_ = now;
            ++starts_;
            this_life_exit_.reset();
            break;

        case EventKind::SpawnFailed:
            if (state_ != ServiceState::Starting) break;
            ready_ = false;
            this_life_exit_.reset();  // no life ended, so no finish script
            started_at_ = now;
            decide_restart(true, Duration{0}, now);
            break;

        case EventKind::MainExited:
            if (state_ != ServiceState::Running && state_ != ServiceState::Stopping) break;
            ready_ = false;
            this_life_exit_ = exit_info(event.wait_status);
            last_exit_ = this_life_exit_;
            if (event.group_empty) {
                deadline_.reset();
                after_group_gone(actions, now);
            } else if (state_ == ServiceState::Running) {
                // Leftovers of this life must not run beside the next one.
                state_ = ServiceState::Draining;
                begin_stop(actions, now);
            } else {
                // Stopping already: a member forked after the first signal
                // never got it, so the rest of the group gets it again; the
                // Stopping deadline stays.
                state_ = ServiceState::Draining;
                actions.push_back({ActionKind::SignalGroup, settings_.down_signal});
                actions.push_back({ActionKind::SignalGroup, SIGCONT});
            }
            break;

        case EventKind::GroupEmpty:
            if (state_ != ServiceState::Draining) break;
            deadline_.reset();
            after_group_gone(actions, now);
            break;

        case EventKind::FinishExited:
            if (state_ != ServiceState::Finishing) break;
            deadline_.reset();
            decide_restart(this_life_exit_ ? this_life_exit_->failed() : true, std::chrono::floor<Duration>(now - started_at_), now);
            break;

        case EventKind::Ready:
            if (state_ == ServiceState::Running) ready_ = true;
            break;

        case EventKind::Timer:
            if (!deadline_ || now < *deadline_) break;
            switch (state_) {
                case ServiceState::Backoff:
                    if (event.dependencies_ready) {
                        spawn(actions);
                    } else {
                        // A dependency went down meanwhile: wait for it again.
                        state_ = ServiceState::Waiting;
                        deadline_.reset();
                    }
                    break;
                case ServiceState::Stopping:
                case ServiceState::Draining:
                    if (!kill_sent_) {
                        actions.push_back({ActionKind::KillGroup});
                        kill_sent_ = true;
                        deadline_ = after(settings_.timeout_kill, now);
                    } else {
                        // SIGKILL did not empty the group (uninterruptible sleep,
                        // or a member we cannot see die): stop waiting for it.
                        deadline_.reset();
                        if (state_ == ServiceState::Draining) after_group_gone(actions, now);
                    }
                    break;
                case ServiceState::Finishing:
                    if (!kill_sent_) {
                        actions.push_back({ActionKind::KillFinish});
                        kill_sent_ = true;
                    }
                    deadline_.reset();  // its exit will come; SIGKILL cannot be ignored
                    break;
                default:
                    deadline_.reset();
                    break;
            }
            break;

        case EventKind::Restart:
            switch (state_) {
                case ServiceState::Down:
                    stop_requested_ = false;
                    backoff_.reset();
                    if (event.dependencies_ready) {
                        spawn(actions);
                    } else {
                        state_ = ServiceState::Waiting;
                    }
                    break;
                case ServiceState::Running:
                    restart_pending_ = true;
                    state_ = ServiceState::Stopping;
                    ready_ = false;
                    begin_stop(actions, now);
                    break;
                case ServiceState::Stopping:
                case ServiceState::Draining:
                case ServiceState::Finishing:
                    restart_pending_ = true;  // once down, up again
                    break;
                case ServiceState::Backoff:
                    deadline_ = now;  // no more waiting: the Timer event starts it
                    break;
                default:
                    break;  // Waiting, Starting: on its way up already
            }
            break;

        case EventKind::Stop:
            stop_requested_ = true;
            restart_pending_ = false;
            switch (state_) {
                case ServiceState::Waiting:
                case ServiceState::Backoff:
                    state_ = ServiceState::Down;
                    deadline_.reset();
                    break;
                case ServiceState::Running:
                    state_ = ServiceState::Stopping;
                    ready_ = false;
                    begin_stop(actions, now);
                    break;
                default:
                    break;  // Stopping/Draining/Finishing end in Down by themselves
            }
            break;
    }
    return actions;
}

}  // namespace tend::core
