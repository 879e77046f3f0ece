// Init's s6-overlay compatibility: the runtime files s6-overlay scripts
// expect, halting from inside the container, and the exit code rules.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>

#include "tend/s6/container_env.hpp"
#include "tend/s6/halt.hpp"
#include "tend/config/duration.hpp"
#include "tend/core/init.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/find_in_path.hpp"

namespace tend::core {
namespace {

namespace fs = std::filesystem;

// A link to this binary at `link` (replacing an old link; never a file).
void link_to_self(const fs::path& link) {
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (error) return;
    fs::create_directories(link.parent_path(), error);
    if (error) {
        log::debug("s6-overlay: cannot create {}: {}", link.parent_path().string(), error.message());
        return;
    }
    if (fs::is_symlink(fs::symlink_status(link, error))) fs::remove(link, error);
    if (::symlink(self.c_str(), link.c_str()) != 0 && errno != EEXIST)
        log::debug("s6-overlay: cannot link {}: {}", link.string(), std::strerror(errno));
}

}  // namespace

void Init::setup_s6_runtime() {
    // s6-overlay v3 puts /command first on PATH: its scripts call applets by name.
    std::error_code exists_error;
    if (fs::is_directory("/command", exists_error)) {
        auto with_command = [](const std::string& path) {
            return (":" + path + ":").find(":/command:") == std::string::npos ? "/command:" + path : path;
        };
        if (auto path = container_env_.get("PATH")) container_env_.set("PATH", with_command(*path));
        options_.default_path = with_command(options_.default_path);
    }
    // Docker keeps /run across restarts: the last life's exit code must not count.
    s6::remove_exit_code_files();
    auto written = s6::write_container_environment(s6::kContainerEnvironmentDir, container_env_);
    if (!written) {
        log::debug("s6-overlay: not writing the container environment: {}", written.error());
        return;  // /run is not writable: nothing else goes there either
    }
    contenv_written_ = true;
    log::debug("s6-overlay: container environment written to {}", s6::kContainerEnvironmentDir);
    // /var/run is normally a link to /run; where it is a dir of its own, s6
    // paths under it (a v2 script's s6-svscanctl -t /var/run/s6/services) still resolve.
    std::error_code error;
    if (!fs::is_symlink(fs::symlink_status("/var/run", error)) && fs::is_directory("/var/run", error) &&
        !fs::exists(fs::symlink_status("/var/run/s6", error)))
        fs::create_directory_symlink("/run/s6", "/var/run/s6", error);
    // v3 scripts halt with /run/s6/basedir/bin/halt and set the code here.
    link_to_self("/run/s6/basedir/bin/halt");
    fs::create_directories(fs::path(s6::kV3ExitCodeFile).parent_path(), error);
}

void Init::refresh_container_environment() {
    if (!contenv_written_) return;
    auto env = s6::read_container_environment(s6::kContainerEnvironmentDir);
    if (!env) {
        log::warn("s6-overlay: cannot re-read the container environment, keeping tend's: {}", env.error());
        return;
    }
    container_env_ = std::move(*env);
}

void Init::on_halt_request(const signalfd_siginfo& info) {
    std::optional<int> code = s6::halt_code(info);
    std::string from = "pid " + std::to_string(info.ssi_pid) + " (uid " + std::to_string(info.ssi_uid) + ")";
    post(InitEvent::halt_request(code, code ? "halt with exit code " + std::to_string(*code) + " requested by " + from
                                            : "halt requested by " + from));
}

}  // namespace tend::core

namespace tend::core {

// s6-overlay v3: oneshots run like cont-init scripts, after cont-init.d.
void Init::append_s6rc_up_scripts() {
    if (!options_.s6_tree) return;
    s6rc_ = s6::load_s6rc();
    if (!s6rc_.present) return;
    for (const auto& warning : s6rc_.warnings) log::warn("{}", warning);
    for (const auto& error : s6rc_.errors) log::error("{}", error);
    log::debug("s6-overlay v3: {} oneshot(s), {} longrun(s) from /etc/s6-overlay", s6rc_.oneshots.size(),
               s6rc_.longruns.size());
    s6rc_first_up_ = scripts_.size();
    for (const auto& oneshot : s6rc_.oneshots) scripts_.push_back(oneshot.up);
}

void Init::prepend_s6rc_down_scripts() {
    // Only oneshots whose `up` was started are brought down, newest first.
    std::vector<std::filesystem::path> downs;
    for (std::size_t i = next_late_; i-- > 0;)
        if (!s6rc_.late_oneshots[i].down.empty()) downs.push_back(s6rc_.late_oneshots[i].down);
    for (std::size_t i = s6rc_.oneshots.size(); i-- > 0;)
        if (s6rc_first_up_ + i < cont_init_started_ && !s6rc_.oneshots[i].down.empty())
            downs.push_back(s6rc_.oneshots[i].down);
    scripts_.insert(scripts_.begin(), downs.begin(), downs.end());
}

// S6_STAGE2_HOOK, as s6-overlay's rc.init runs it: as root (tend's user),
// with the container environment, after /run/s6/container_environment is
// written and before the s6-rc tree and services.d are read, so what it adds
// there starts and what it writes into the container environment is what
// later with-contenv scripts see. A failure is a failed cont-init script:
// S6_BEHAVIOUR_IF_STAGE2_FAILS 2 stops, 0 and 1 go on with a warning.
bool Init::start_stage2_hook() {
    if (!options_.s6_tree || options_.s6_stage2_hook.empty()) return false;
    const std::vector<std::string>& words = options_.s6_stage2_hook;
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
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
    refresh_container_environment();  // what the hook wrote there
    list_cont_init_scripts();
    std::string text;
    for (const auto& word : options_.s6_stage2_hook) text += (text.empty() ? "" : " ") + word;
    const ExitInfo exit = exit_info(wait_status);
    if (exit.code == 0 && exit.signal == 0) log::debug("S6_STAGE2_HOOK {}: exited 0", text);
    // The sequence decides as for a cont-init script, then runs the first one.
    post(InitEvent::script_exited("S6_STAGE2_HOOK " + text, exit));
}

s6::ScriptRole Init::script_role(const std::filesystem::path& script) const {
    for (const auto& oneshot : s6rc_.late_oneshots)
        if (!oneshot.down.empty() && script == oneshot.down) return s6::ScriptRole::Oneshot;
    for (const auto& oneshot : s6rc_.oneshots)
        if (script == oneshot.up || (!oneshot.down.empty() && script == oneshot.down)) return s6::ScriptRole::Oneshot;
    return s6::ScriptRole::ContInit;
}

// s6-rc kills a oneshot's up or down that outlives timeout-up/timeout-down;
// the deadline is the phase's own (cont-finish keeps --finish-timeout when
// that comes first).
void Init::arm_s6rc_script_timeout() {
    if (!s6rc_.present || next_script_ == 0) return;
    const std::filesystem::path& script = scripts_[next_script_ - 1];
    for (const auto& oneshot : s6rc_.oneshots) {
        const bool up = sequence_.phase() == Phase::ContInit && script == oneshot.up;
        const bool down = sequence_.phase() == Phase::ContFinish && !oneshot.down.empty() && script == oneshot.down;
        if (!up && !down) continue;
        const auto& limit = up ? oneshot.timeout_up : oneshot.timeout_down;
        if (!limit) return;
        post({InitEventKind::ScriptDeadline, 0, false,
              std::string(up ? "timeout-up" : "timeout-down") + " of " + config::describe_duration(*limit) + " passed",
              0, clock_.now() + *limit});
        return;
    }
}

std::vector<Supervisor::ExtraServiceDir> Init::s6rc_services() const {
    std::vector<Supervisor::ExtraServiceDir> out;
    std::vector<std::string> legacy;  // services.d's names: what legacy-services means
    {
        std::vector<std::string> said_by_the_supervisor;
        for (const auto& dir : config::list_service_dirs(options_.services_dir, said_by_the_supervisor,
                                                         said_by_the_supervisor))
            legacy.push_back(dir.filename().string());
    }
    for (const auto& longrun : s6rc_.longruns) {
        auto depends = longrun.depends;
        if (longrun.after_legacy_services)
            for (const auto& name : legacy)
                if (name != longrun.name) depends.push_back(name);
        out.push_back({longrun.dir, std::move(depends), longrun.producer_for});
    }
    return out;
}

// s6-overlay's legacy-services depends on `user`: services.d's services
// start once the user bundle's longruns are ready.
std::vector<std::string> Init::s6rc_user_longruns() const {
    std::vector<std::string> names;
    for (const auto& longrun : s6rc_.longruns)
        if (!longrun.after_legacy_services) names.push_back(longrun.name);
    return names;
}

// ---- oneshots that wait for services ----------------------------------------

// Met when the service is ready, or will never be: refused, or held `down`.
bool Init::s6rc_waits_met(const s6::S6rcOneshot& oneshot) const {
    const std::filesystem::path legacy_dir = options_.services_dir;
    for (const auto& record : supervisor_->services()) {
        const bool legacy = oneshot.after_legacy_services && std::filesystem::path(record.dir).parent_path() == legacy_dir;
        const bool named = std::find(oneshot.after_services.begin(), oneshot.after_services.end(), record.name) !=
                           oneshot.after_services.end();
        if (!legacy && !named) continue;
        if (record.refused() || !record.machine || record.config->down || supervisor_->held_down(record)) continue;
        if (!record.machine->ready()) return false;
    }
    return true;
}

bool Init::late_oneshots_pending() const {
    return late_pid_ > 0 || next_late_ < s6rc_.late_oneshots.size();
}

// The next one, once the services have started and what it waits for is ready.
void Init::maybe_run_late_oneshot() {
    while (late_pid_ == 0 && next_late_ < s6rc_.late_oneshots.size() && !late_oneshot_halted_) {
        if (sequence_.phase() != Phase::Running || supervisor_->starting()) return;
        const s6::S6rcOneshot& oneshot = s6rc_.late_oneshots[next_late_];
        if (!s6rc_waits_met(oneshot)) return;
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
    late_oneshot_finished(s6rc_.late_oneshots[next_late_ - 1], exit_info(wait_status));
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
