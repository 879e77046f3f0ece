// Init's s6-overlay compatibility: the runtime files s6-overlay scripts
// expect, halting from inside the container, and the exit code rules.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tend/compat/container_env.hpp"
#include "tend/compat/halt.hpp"
#include "tend/config/duration.hpp"
#include "tend/core/init.hpp"
#include "tend/log/logger.hpp"

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
    compat::remove_exit_code_files();
    auto written = compat::write_container_environment(compat::kContainerEnvironmentDir, container_env_);
    if (!written) {
        log::debug("s6-overlay: not writing the container environment: {}", written.error());
        return;  // /run is not writable: nothing else goes there either
    }
    contenv_written_ = true;
    log::debug("s6-overlay: container environment written to {}", compat::kContainerEnvironmentDir);
    // /var/run is normally a link to /run; where it is a dir of its own, s6
    // paths under it (seed 002's s6-svscanctl -t /var/run/s6/services) still resolve.
    std::error_code error;
    if (!fs::is_symlink(fs::symlink_status("/var/run", error)) && fs::is_directory("/var/run", error) &&
        !fs::exists(fs::symlink_status("/var/run/s6", error)))
        fs::create_directory_symlink("/run/s6", "/var/run/s6", error);
    // v3 scripts halt with /run/s6/basedir/bin/halt and set the code here.
    link_to_self("/run/s6/basedir/bin/halt");
    fs::create_directories(fs::path(compat::kV3ExitCodeFile).parent_path(), error);
}

void Init::refresh_container_environment() {
    if (!contenv_written_) return;
    auto env = compat::read_container_environment(compat::kContainerEnvironmentDir);
    if (!env) {
        log::warn("s6-overlay: cannot re-read the container environment, keeping tend's: {}", env.error());
        return;
    }
    container_env_ = std::move(*env);
}

void Init::on_halt_request(const signalfd_siginfo& info) {
    std::optional<int> code = compat::halt_code(info);
    std::string from = "pid " + std::to_string(info.ssi_pid) + " (uid " + std::to_string(info.ssi_uid) + ")";
    record_halt(code);
    begin_shutdown(SIGTERM, code ? "halt with exit code " + std::to_string(*code) + " requested by " + from
                                 : "halt requested by " + from);
}

// A halt decides the exit code (final_exit_code); the first one remembers
// what the primary had already said.
void Init::record_halt(std::optional<int> code) {
    if (!halted_) {
        halted_ = true;
        code_before_halt_ = exit_code_;
    }
    if (code) halt_code_ = code;
}

// The code given to halt, else v3's exitcode file, else v2's
// S6_STAGE2_EXITED, else the primary's status, else 0.
int Init::final_exit_code() const {
    if (options_.sync_disks) ::sync();
    if (halt_code_) return *halt_code_;
    if (options_.s6_tree)
        if (auto from_file = compat::exit_code_from_files()) return *from_file;
    if (halted_) return code_before_halt_.value_or(0);
    return exit_code_.value_or(0);
}

}  // namespace tend::core

namespace tend::core {

// s6-overlay v3: oneshots run like cont-init scripts, after cont-init.d.
void Init::append_s6rc_up_scripts() {
    if (!options_.s6_tree) return;
    s6rc_ = config::load_s6rc();
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
    for (std::size_t i = s6rc_.oneshots.size(); i-- > 0;)
        if (s6rc_first_up_ + i < cont_init_started_ && !s6rc_.oneshots[i].down.empty())
            downs.push_back(s6rc_.oneshots[i].down);
    scripts_.insert(scripts_.begin(), downs.begin(), downs.end());
}

// s6-rc kills a oneshot's up or down that outlives timeout-up/timeout-down;
// the deadline is the phase's own (cont-finish keeps --finish-timeout when
// that comes first).
void Init::arm_s6rc_script_timeout() {
    s6rc_timeout_armed_.reset();
    if (!s6rc_.present || next_script_ == 0) return;
    const std::filesystem::path& script = scripts_[next_script_ - 1];
    for (const auto& oneshot : s6rc_.oneshots) {
        const bool up = phase_ == Phase::ContInit && script == oneshot.up;
        const bool down = phase_ == Phase::ContFinish && !oneshot.down.empty() && script == oneshot.down;
        if (!up && !down) continue;
        const auto& limit = up ? oneshot.timeout_up : oneshot.timeout_down;
        if (!limit) return;
        const TimePoint deadline = clock_.now() + *limit;
        if (phase_deadline_ && *phase_deadline_ <= deadline) return;
        phase_deadline_ = deadline;
        s6rc_timeout_armed_ = std::string(up ? "timeout-up" : "timeout-down") + " of " +
                              config::describe_duration(*limit) + " passed";
        return;
    }
}

std::string Init::overdue_script_text(std::string_view fallback) const {
    return s6rc_timeout_armed_ ? *s6rc_timeout_armed_ : std::string(fallback);
}

std::vector<Supervisor::ExtraServiceDir> Init::s6rc_services() const {
    std::vector<Supervisor::ExtraServiceDir> out;
    for (const auto& longrun : s6rc_.longruns) out.push_back({longrun.dir, longrun.depends});
    return out;
}

}  // namespace tend::core
