#include "tend/core/init_sequence.hpp"

#include <signal.h>

#include <algorithm>

namespace tend::core {

const char* to_string(Phase phase) {
    switch (phase) {
        case Phase::ContInit: return "cont-init";
        case Phase::Running: return "running";
        case Phase::StoppingPrimary: return "stopping the primary";
        case Phase::StoppingServices: return "stopping services";
        case Phase::ContFinish: return "cont-finish";
        case Phase::KillAll: return "killing the rest";
        case Phase::Done: return "done";
    }
    return "unknown";
}

namespace {
constexpr int kDebug = 0;
constexpr int kWarn = 2;
constexpr int kError = 3;

std::string count_processes(long count) {
    return std::to_string(count) + (count == 1 ? " process" : " processes");
}
}  // namespace

std::optional<int> InitSequence::decided_exit_code() const {
    if (halt_code_) return halt_code_;
    if (halted_) return code_before_halt_;
    return exit_code_;
}

int InitSequence::final_exit_code(std::optional<int> from_files) const {
    if (halt_code_) return *halt_code_;
    if (from_files) return *from_files;
    return decided_exit_code().value_or(0);
}

// A halt decides the exit code; the first one remembers what the primary had
// already said (a halt without a code exits with that, or 0).
void InitSequence::record_halt(std::optional<int> code) {
    if (!halted_) {
        halted_ = true;
        code_before_halt_ = exit_code_;
    }
    if (code) halt_code_ = code;
}

std::optional<TimePoint> InitSequence::next_deadline() const {
    if (phase_deadline_ && ready_deadline_) return std::min(*phase_deadline_, *ready_deadline_);
    return phase_deadline_ ? phase_deadline_ : ready_deadline_;
}

std::vector<InitAction> InitSequence::handle(const InitEvent& event, const InitFacts& facts, TimePoint now) {
    actions_.clear();
    switch (event.kind) {
        case InitEventKind::ContInitDone:
            if (phase_ != Phase::ContInit) break;
            if (shutdown_requested_) {
                enter_phase(Phase::ContFinish, now);
            } else {
                enter_phase(Phase::Running, now);
                act(InitActionKind::StartServices);
            }
            break;

        case InitEventKind::ContFinishDone:
            if (phase_ == Phase::ContFinish) enter_phase(Phase::KillAll, now);
            break;

        case InitEventKind::ScriptStarted:
            script_deadline_reason_.reset();
            if (phase_ == Phase::ContFinish) phase_deadline_ = now + settings_.finish_timeout;
            break;

        case InitEventKind::ScriptExited: {
            const std::string ended = event.reason + ": " + describe(event.exit.value_or(ExitInfo{event.code, 0}));
            phase_deadline_.reset();  // --services-grace (cont-init) or --finish-timeout
            script_deadline_reason_.reset();
            if (phase_ == Phase::ContFinish) {
                if (event.failed) log(kWarn, ended);
                act(InitActionKind::RunNextScript);
                break;
            }
            if (phase_ != Phase::ContInit) break;
            if (event.failed && !shutdown_requested_) {
                if (settings_.stop_on_init_failure) {
                    log(kError, ended + "; stopping (--on-init-failure=stop)");
                    exit_code_ = event.code;
                    shutdown_requested_ = true;
                } else {
                    log(kWarn, ended + "; continuing (--on-init-failure=continue)");
                }
            }
            if (shutdown_requested_) act(InitActionKind::SkipScripts);
            act(InitActionKind::RunNextScript);
            break;
        }

        case InitEventKind::ServicesStarted:
            if (phase_ != Phase::Running) break;  // a refused primary already ended it
            if (event.failed) {
                begin_shutdown(SIGTERM, "nothing to wait for (no CMD and no service)", facts, now);
                break;
            }
            if (settings_.ready_timeout) ready_deadline_ = now + *settings_.ready_timeout;
            break;

        case InitEventKind::CmdStarting:
            if (cmd_started_ || phase_ != Phase::Running) break;  // asked twice, or too late
            cmd_started_ = true;
            ready_deadline_.reset();
            act(InitActionKind::StartCmd);
            break;

        case InitEventKind::ShutdownSignal: {
            const bool primary_running =
                phase_ == Phase::Running && (facts.cmd_running || facts.has_primary_service);
            if (settings_.forward_signals && primary_running)
                act(InitActionKind::ForwardSignal, event.code);
            else
                begin_shutdown(event.code, event.reason, facts, now);
            break;
        }

        case InitEventKind::PrimaryExited:
            if (primary_done_) break;
            primary_done_ = true;
            if (!exit_code_) exit_code_ = event.code;
            if (shutdown_requested_) {
                say(event.reason);  // the CMD ending on the shutdown's signal
                break;
            }
            begin_shutdown(SIGTERM, event.reason, facts, now);
            break;

        case InitEventKind::Halt:
            if (shutdown_requested_ || (phase_ != Phase::Running && phase_ != Phase::ContInit)) {
                log(kDebug, "tend ctl halt from uid " + std::to_string(event.uid) + ": already shutting down");
                break;
            }
            record_halt(event.code);  // wins over the primary's status, as with s6-overlay's halt
            begin_shutdown(SIGTERM, "tend ctl halt from uid " + std::to_string(event.uid), facts, now);
            break;

        case InitEventKind::HaltRequest:
            record_halt(event.halt_code);
            begin_shutdown(SIGTERM, event.reason, facts, now);
            break;

        case InitEventKind::LoopFailed:
            log(kError, "event loop: " + event.reason);
            if (event.failures_in_a_row == kLoopFailuresBeforeShutdown) {
                if (!exit_code_) exit_code_ = 1;
                begin_shutdown(SIGTERM, "the event loop keeps failing (" + event.reason + ")", facts, now);
            } else if (event.failures_in_a_row >= kLoopFailuresBeforeExit && phase_ != Phase::Done) {
                log(kError, "the event loop failed " + std::to_string(event.failures_in_a_row) +
                                " times in a row; exiting without waiting for the rest of the shutdown");
                if (phase_ != Phase::KillAll) act(InitActionKind::FinalSweep, SIGTERM);
                enter_phase(Phase::Done, now);
            }
            break;

        case InitEventKind::OutOfMemory:
            if (!exit_code_) exit_code_ = 1;
            begin_shutdown(SIGTERM, "out of memory", facts, now);
            break;

        case InitEventKind::Shutdown:
            begin_shutdown(event.code, event.reason, facts, now);
            break;

        case InitEventKind::ScriptDeadline:
            if (event.at && (!phase_deadline_ || *event.at < *phase_deadline_)) {
                phase_deadline_ = event.at;
                if (!event.reason.empty()) script_deadline_reason_ = event.reason;
            }
            break;

        case InitEventKind::Timer:
            on_timer(facts, now);
            break;

        case InitEventKind::KillGraceOver: {
            if (phase_ != Phase::KillAll) break;
            const long left = event.code;
            const auto grace_ms = std::to_string(settings_.kill_grace.count());
            if (settings_.is_pid1) {
                // As PID 1 tend just exits: the kernel kills every process of
                // the namespace with it, no signal (and no capability) needed.
                if (left > 0)
                    log(kWarn, count_processes(left) + " left after --kill-grace (" + grace_ms +
                                   " ms); exiting, which ends them with the PID namespace");
                enter_phase(Phase::Done, now);
                break;
            }
            if (left == 0) {
                enter_phase(Phase::Done, now);
                break;
            }
            if (!sigkill_sent_) {
                log(kWarn, count_processes(left) + " left after --kill-grace (" + grace_ms + " ms), sending SIGKILL");
                act(InitActionKind::FinalSweep, SIGKILL);
                sigkill_sent_ = true;
                phase_deadline_ = now + settings_.kill_grace;
                break;
            }
            if (event.uid == 0)
                log(kError, count_processes(left) + " still running " + grace_ms + " ms after SIGKILL; exiting anyway");
            else
                log(kError, count_processes(left) + " still running, " + std::to_string(event.uid) +
                                " of them never signalled (see above); exiting anyway");
            enter_phase(Phase::Done, now);
            break;
        }

        case InitEventKind::Progress:
            break;  // below
    }
    if (event.kind == InitEventKind::Progress) advance(facts, now);
    std::vector<InitAction> out;
    out.swap(actions_);
    return out;
}

void InitSequence::on_timer(const InitFacts& facts, TimePoint now) {
    if (ready_deadline_ && *ready_deadline_ <= now) {
        ready_deadline_.reset();
        if (!cmd_started_ && phase_ == Phase::Running && settings_.start_cmd_after_ready_timeout) {
            cmd_started_ = true;
            act(InitActionKind::StartCmdAnyway);
        } else if (!cmd_started_ && phase_ == Phase::Running) {
            act(InitActionKind::ReportNotReady);
            if (!exit_code_) exit_code_ = 1;
            begin_shutdown(SIGTERM, "services not ready after --ready-timeout", facts, now);
        }
    }
    if (!phase_deadline_ || *phase_deadline_ > now) return;
    phase_deadline_.reset();
    const auto script_reason = std::move(script_deadline_reason_);
    script_deadline_reason_.reset();
    switch (phase_) {
        case Phase::ContInit:
            if (facts.script_running) kill_script(script_reason, "--services-grace");
            break;
        case Phase::StoppingPrimary:
            if (facts.cmd_running) {
                log(kWarn, "CMD still running after --services-grace, sending SIGKILL");
                act(InitActionKind::KillCmd, SIGKILL);
            }
            break;
        case Phase::ContFinish:
            if (facts.script_running) kill_script(script_reason, "--finish-timeout");
            break;
        case Phase::KillAll:
            act(InitActionKind::CountLeft);
            break;
        default:
            break;
    }
}

// The running script outlived its deadline: the script's own (s6-rc's
// timeout-up) when that one came first, else the phase's option.
void InitSequence::kill_script(const std::optional<std::string>& reason, const char* option) {
    actions_.push_back({InitActionKind::KillScript, SIGKILL, 0,
                        reason ? *reason : std::string("still running after ") + option});
}

void InitSequence::begin_shutdown(int signo, const std::string& reason, const InitFacts& facts, TimePoint now) {
    if (phase_ != Phase::Running && phase_ != Phase::ContInit) {
        log(kDebug, std::string("already shutting down (") + to_string(phase_) + "): " + reason);
        return;
    }
    if (phase_ == Phase::ContInit) {
        // No script running here means none has started yet (the next one
        // starts in the same round the last one ended): say so, rather than
        // name a cont-init the image may not even have.
        if (!shutdown_requested_)
            say("shutting down: " + reason + (facts.script_running ? " during cont-init" : " before the services started"));
        shutdown_requested_ = true;
        if (facts.script_running) {
            act(InitActionKind::SignalScript, signo);
            // A script that ignores the signal gets SIGKILL, as a service would.
            if (!phase_deadline_ && settings_.services_grace.count() > 0)
                phase_deadline_ = now + settings_.services_grace;
        }
        return;  // the script's exit moves on to cont-finish
    }
    shutdown_requested_ = true;
    say("shutting down: " + reason);
    enter_phase(Phase::StoppingPrimary, now);
    if (facts.cmd_running) {
        act(InitActionKind::SignalCmd, signo);
        phase_deadline_ = now + settings_.services_grace;
    }
    act(InitActionKind::StopPrimaries);
}

// Moves on as soon as a phase has nothing left to wait for. Only on Progress,
// which Init sends after carrying out an event's actions, so the facts are
// never older than the actions (Init repeats it until the phase stays).
void InitSequence::advance(const InitFacts& facts, TimePoint now) {
    switch (phase_) {
        case Phase::StoppingPrimary:
            if (!facts.cmd_running && facts.primaries_down) {
                phase_deadline_.reset();
                enter_phase(Phase::StoppingServices, now);
                act(InitActionKind::StopAll);
            }
            break;
        case Phase::StoppingServices:
            if (facts.all_down) enter_phase(Phase::ContFinish, now);
            break;
        case Phase::KillAll:
            if (!facts.children_left) enter_phase(Phase::Done, now);
            break;
        default:
            break;
    }
}

void InitSequence::enter_phase(Phase phase, TimePoint now) {
    if (phase == phase_) return;
    log(kDebug, std::string("phase: ") + to_string(phase_) + " -> " + to_string(phase));
    phase_ = phase;
    switch (phase) {
        case Phase::ContFinish:
            act(InitActionKind::RunContFinish);
            break;
        case Phase::KillAll:
            // Whatever escaped its process group (daemons, orphans) ends here.
            act(InitActionKind::FinalSweep, SIGTERM);
            phase_deadline_ = now + settings_.kill_grace;
            break;
        default:
            break;
    }
}

}  // namespace tend::core
