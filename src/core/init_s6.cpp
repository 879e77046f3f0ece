// Init's part that runs what s6-overlay adds to its stages: S6_STAGE2_HOOK
// before cont-init.d, and the s6-rc oneshots that wait for services (after
// the services are ready, before the CMD). The s6-overlay answers (the
// runtime files, the s6-rc tree, the halt signal) are s6::Overlay's
// (s6/overlay.hpp); here are only the spawns and the events Init posts.
#include <algorithm>
#include <filesystem>

#include "tend/core/init.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/find_in_path.hpp"

namespace tend::core {

void Init::on_halt_request(const signalfd_siginfo& info) {
    auto request = s6::Overlay::halt_request(info);
    post(InitEvent::halt_request(request.code, std::move(request.reason)));
}

// S6_STAGE2_HOOK, as s6-overlay's rc.init runs it: as root (tend's user),
// with the container environment, after /run/s6/container_environment is
// written and before the s6-rc tree and services.d are read, so what it adds
// there starts and what it writes into the container environment is what
// later with-contenv scripts see. A failure is a failed cont-init script:
// S6_BEHAVIOUR_IF_STAGE2_FAILS 2 stops, 0 and 1 go on with a warning.
bool Init::start_stage2_hook() {
    if (!s6_.active() || options_.s6_stage2_hook.empty()) return false;
    const std::vector<std::string>& words = options_.s6_stage2_hook;
    const std::string text = s6::Overlay::hook_text(words);
    process::SpawnPlan plan;
    plan.argv = words;
    plan.envp = container_env_.to_strings();
    plan.group = process::GroupMode::NewSession;
    auto executable = words.front().find('/') != std::string::npos
                          ? std::optional<std::string>(words.front())
                          : process::find_in_path(words.front(), container_env_.get("PATH").value_or(options_.default_path));
    if (!executable) {
        log::error("S6_STAGE2_HOOK {}: {} not found in PATH", text, words.front());
        stage2_hook_exited(127 << 8);
        return true;
    }
    plan.executable = *executable;
    log::info("S6_STAGE2_HOOK {}: running", text);
    auto pid = ops_.spawn(plan);
    if (!pid) {
        log::error("S6_STAGE2_HOOK {}: {}", text, pid.error().message());
        stage2_hook_exited(pid.error().shell_code() << 8);
        return true;
    }
    hook_pid_ = *pid;
    return true;
}

void Init::stage2_hook_exited(int wait_status) {
    s6_.reread_container_environment(container_env_);  // what the hook wrote there
    list_cont_init_scripts();
    const std::string text = s6::Overlay::hook_text(options_.s6_stage2_hook);
    const ExitInfo exit = exit_info(wait_status);
    if (exit.code == 0 && exit.signal == 0) log::debug("S6_STAGE2_HOOK {}: exited 0", text);
    // The sequence decides as for a cont-init script, then runs the first one.
    post(InitEvent::script_exited("S6_STAGE2_HOOK " + text, exit));
}

// s6-rc kills a oneshot's up or down that outlives timeout-up/timeout-down;
// the deadline is the phase's own (cont-finish keeps --finish-timeout when
// that comes first).
void Init::arm_s6rc_script_timeout() {
    if (next_script_ == 0) return;
    const Phase phase = sequence_.phase();
    if (phase != Phase::ContInit && phase != Phase::ContFinish) return;
    auto deadline = s6_.script_deadline(scripts_[next_script_ - 1], phase == Phase::ContInit);
    if (!deadline) return;
    post({InitEventKind::ScriptDeadline, 0, false, std::move(deadline->reason), 0, clock_.now() + deadline->after});
}

std::vector<Supervisor::ExtraServiceDir> Init::s6rc_services() const {
    std::vector<Supervisor::ExtraServiceDir> out;
    for (auto& longrun : s6_.longrun_dirs(options_.services_dir))
        out.push_back({std::move(longrun.dir), std::move(longrun.depends), std::move(longrun.producer_for)});
    return out;
}

// ---- oneshots that wait for services ----------------------------------------

bool Init::late_oneshots_pending() const {
    return late_pid_ > 0 || next_late_ < s6_.late_oneshots().size();
}

// The next one, once the services have started and what it waits for is ready.
void Init::maybe_run_late_oneshot() {
    while (late_pid_ == 0 && next_late_ < s6_.late_oneshots().size() && !late_oneshot_halted_) {
        if (sequence_.phase() != Phase::Running || supervisor_->starting()) return;
        const s6::S6rcOneshot& oneshot = s6_.late_oneshots()[next_late_];
        std::vector<s6::Overlay::ServiceView> services;
        for (const auto& record : supervisor_->services())
            services.push_back({.name = record.name,
                                .dir = record.dir,
                                .will_not_start = record.refused() || !record.machine || record.config->down ||
                                                  supervisor_->held_down(record),
                                .ready = record.machine && record.machine->ready()});
        if (!s6_.waits_met(oneshot, services, options_.services_dir)) return;
        ++next_late_;
        process::SpawnPlan plan;
        plan.envp = container_env_.to_strings();
        plan.group = process::GroupMode::NewSession;
        const s6::ScriptStart start = s6::decide_script_start(
            oneshot.up, s6::ScriptRole::Oneshot, container_env_.get("PATH").value_or(options_.default_path));
        auto applied = s6::apply_script_start(start, plan, {}, std::nullopt, options_.default_path);
        if (!applied) {
            log::error("{}", applied.error());
            late_oneshot_finished(oneshot, ExitInfo{126, 0});
            continue;
        }
        if (!*applied) {
            log::info("{}: nothing to run (comments only)", oneshot.up.string());
            continue;
        }
        log::info("{}: running (after the services it waits for)", oneshot.up.string());
        auto pid = ops_.spawn(plan);
        if (!pid) {
            log::error("{}: {}", oneshot.up.string(), s6::describe_spawn_failure(start, pid.error(), false));
            late_oneshot_finished(oneshot, ExitInfo{pid.error().shell_code(), 0});
            continue;
        }
        late_pid_ = *pid;
    }
}

void Init::late_oneshot_exited(int wait_status) {
    late_pid_ = 0;
    late_oneshot_finished(s6_.late_oneshots()[next_late_ - 1], exit_info(wait_status));
    maybe_start_cmd();
}

// A failure follows S6_BEHAVIOUR_IF_STAGE2_FAILS, as s6-rc's would.
void Init::late_oneshot_finished(const s6::S6rcOneshot& oneshot, const ExitInfo& exit) {
    if (!exit.failed()) return;
    const int code = exit.shell_code();
    const std::string what = oneshot.up.string() + ": " + describe(exit);
    if (options_.on_init_failure == config::InitFailure::Stop) {
        log::error("{}; stopping (S6_BEHAVIOUR_IF_STAGE2_FAILS=2)", what);
        late_oneshot_halted_ = true;  // no further one starts while the halt waits in the queue
        post(InitEvent::halt_request(code, what));
        return;
    }
    log::warn("{}; continuing", what);
}

}  // namespace tend::core
