// What Init asks of s6-overlay (overlay.hpp): the runtime files, the halt
// signal and exit-code files, and the s6-rc tree's answers.
#include "tend/s6/overlay.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tend/config/duration.hpp"
#include "tend/config/service_config.hpp"
#include "tend/log/logger.hpp"
#include "tend/s6/container_env.hpp"
#include "tend/s6/halt.hpp"

namespace tend::s6 {
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

// ---- start-up and the container environment --------------------------------

void Overlay::prepare_runtime(process::Environment& container_env, std::string& default_path) {
    if (!active_) return;
    // s6-overlay v3 puts /command first on PATH: its scripts call applets by name.
    std::error_code exists_error;
    if (fs::is_directory("/command", exists_error)) {
        auto with_command = [](const std::string& path) {
            return (":" + path + ":").find(":/command:") == std::string::npos ? "/command:" + path : path;
        };
        if (auto path = container_env.get("PATH")) container_env.set("PATH", with_command(*path));
        default_path = with_command(default_path);
    }
    // Docker keeps /run across restarts: the last life's exit code must not count.
    remove_exit_code_files();
    auto written = write_container_environment(kContainerEnvironmentDir, container_env);
    if (!written) {
        log::debug("s6-overlay: not writing the container environment: {}", written.error());
        return;  // /run is not writable: nothing else goes there either
    }
    container_env_written_ = true;
    log::debug("s6-overlay: container environment written to {}", kContainerEnvironmentDir);
    // /var/run is normally a link to /run; where it is a dir of its own, s6
    // paths under it (a v2 script's s6-svscanctl -t /var/run/s6/services) still resolve.
    std::error_code error;
    if (!fs::is_symlink(fs::symlink_status("/var/run", error)) && fs::is_directory("/var/run", error) &&
        !fs::exists(fs::symlink_status("/var/run/s6", error)))
        fs::create_directory_symlink("/run/s6", "/var/run/s6", error);
    // v3 scripts halt with /run/s6/basedir/bin/halt and set the code here.
    link_to_self("/run/s6/basedir/bin/halt");
    fs::create_directories(fs::path(kV3ExitCodeFile).parent_path(), error);
}

void Overlay::reread_container_environment(process::Environment& container_env) const {
    if (!container_env_written_) return;
    auto env = read_container_environment(kContainerEnvironmentDir);
    if (!env) {
        log::warn("s6-overlay: cannot re-read the container environment, keeping tend's: {}", env.error());
        return;
    }
    container_env = std::move(*env);
}

// ---- halting from inside ----------------------------------------------------

bool Overlay::is_halt_signal(int signo) { return signo == halt_signal(); }

Overlay::HaltRequest Overlay::halt_request(const signalfd_siginfo& info) {
    std::optional<int> code = halt_code(info);
    std::string from = "pid " + std::to_string(info.ssi_pid) + " (uid " + std::to_string(info.ssi_uid) + ")";
    return {code, code ? "halt with exit code " + std::to_string(*code) + " requested by " + from
                       : "halt requested by " + from};
}

std::optional<int> Overlay::exit_code_from_files() const {
    if (!active_) return std::nullopt;
    return s6::exit_code_from_files();
}

// ---- the s6-rc tree -----------------------------------------------------------

// s6-overlay v3: oneshots run like cont-init scripts, after cont-init.d.
void Overlay::append_oneshot_ups(std::vector<fs::path>& scripts) {
    if (!active_) return;
    s6rc_ = load_s6rc();
    if (!s6rc_.present) return;
    for (const auto& warning : s6rc_.warnings) log::warn("{}", warning);
    for (const auto& error : s6rc_.errors) log::error("{}", error);
    log::debug("s6-overlay v3: {} oneshot(s), {} longrun(s) from /etc/s6-overlay", s6rc_.oneshots.size(),
               s6rc_.longruns.size());
    first_up_ = scripts.size();
    for (const auto& oneshot : s6rc_.oneshots) scripts.push_back(oneshot.up);
}

std::vector<fs::path> Overlay::down_scripts(std::size_t scripts_started, std::size_t late_started) const {
    // Only oneshots whose `up` was started are brought down, newest first.
    std::vector<fs::path> downs;
    for (std::size_t i = std::min(late_started, s6rc_.late_oneshots.size()); i-- > 0;)
        if (!s6rc_.late_oneshots[i].down.empty()) downs.push_back(s6rc_.late_oneshots[i].down);
    for (std::size_t i = s6rc_.oneshots.size(); i-- > 0;)
        if (first_up_ + i < scripts_started && !s6rc_.oneshots[i].down.empty()) downs.push_back(s6rc_.oneshots[i].down);
    return downs;
}

ScriptRole Overlay::script_role(const fs::path& script) const {
    for (const auto& oneshot : s6rc_.late_oneshots)
        if (!oneshot.down.empty() && script == oneshot.down) return ScriptRole::Oneshot;
    for (const auto& oneshot : s6rc_.oneshots)
        if (script == oneshot.up || (!oneshot.down.empty() && script == oneshot.down)) return ScriptRole::Oneshot;
    return ScriptRole::ContInit;
}

// s6-rc kills a oneshot's up or down that outlives timeout-up/timeout-down.
std::optional<Overlay::Deadline> Overlay::script_deadline(const fs::path& script, bool up) const {
    if (!s6rc_.present) return std::nullopt;
    for (const auto& oneshot : s6rc_.oneshots) {
        const bool is_up = up && script == oneshot.up;
        const bool is_down = !up && !oneshot.down.empty() && script == oneshot.down;
        if (!is_up && !is_down) continue;
        const auto& limit = is_up ? oneshot.timeout_up : oneshot.timeout_down;
        if (!limit) return std::nullopt;
        return Deadline{*limit, std::string(is_up ? "timeout-up" : "timeout-down") + " of " +
                                    config::describe_duration(*limit) + " passed"};
    }
    return std::nullopt;
}

std::vector<Overlay::LongrunDir> Overlay::longrun_dirs(const fs::path& services_dir) const {
    std::vector<LongrunDir> out;
    if (s6rc_.longruns.empty()) return out;
    std::vector<std::string> legacy;  // services.d's names: what legacy-services means
    {
        std::vector<std::string> said_by_the_supervisor;
        for (const auto& dir : config::list_service_dirs(services_dir, said_by_the_supervisor, said_by_the_supervisor))
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
std::vector<std::string> Overlay::user_longruns() const {
    std::vector<std::string> names;
    for (const auto& longrun : s6rc_.longruns)
        if (!longrun.after_legacy_services) names.push_back(longrun.name);
    return names;
}

bool Overlay::waits_met(const S6rcOneshot& oneshot, const std::vector<ServiceView>& services,
                        const fs::path& services_dir) const {
    for (const ServiceView& service : services) {
        const bool legacy = oneshot.after_legacy_services && service.dir.parent_path() == services_dir;
        const bool named = std::find(oneshot.after_services.begin(), oneshot.after_services.end(), service.name) !=
                           oneshot.after_services.end();
        if (!legacy && !named) continue;
        if (service.will_not_start) continue;
        if (!service.ready) return false;
    }
    return true;
}

// ---- tend check ------------------------------------------------------------------

Overlay::Findings Overlay::check_s6rc(const std::vector<std::string>& envp, const std::string& default_path) {
    Findings findings;
    if (!active_) return findings;
    s6rc_ = load_s6rc();
    if (!s6rc_.present) return findings;
    findings.problems = s6rc_.errors;
    findings.warnings = s6rc_.warnings;
    // Its oneshots run like cont-init scripts (execline: execlineb -P): those
    // after cont-init.d and the late ones, which wait for services first.
    for (const auto* oneshots : {&s6rc_.oneshots, &s6rc_.late_oneshots})
        for (const auto& oneshot : *oneshots)
            for (const fs::path& script : {oneshot.up, oneshot.down}) {
                if (script.empty()) continue;
                if (auto problem = script_start_problem(script, ScriptRole::Oneshot, envp, default_path))
                    findings.problems.push_back(script.string() + ": " + *problem);
            }
    return findings;
}

// ---- S6_STAGE2_HOOK -------------------------------------------------------------

std::string Overlay::hook_text(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

}  // namespace tend::s6
