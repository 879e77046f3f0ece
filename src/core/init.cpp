#include "tend/core/init.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/compat/halt.hpp"
#include "tend/compat/script_plan.hpp"
#include "tend/log/logger.hpp"
#include "tend/sys/reaper.hpp"
#include "tend/sys/signals.hpp"

namespace tend::core {
namespace {

// The CMD's executable, searched in the container's PATH like execvp would,
// but in the parent so the child only calls execve.
// Without PATH in the container env, the same --default-path services get.
std::optional<std::string> find_executable(const std::string& name, const process::Environment& env,
                                           const std::string& default_path) {
    if (name.find('/') != std::string::npos) return name;
    std::string path = env.get("PATH").value_or(default_path);
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace

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

std::expected<std::unique_ptr<Init>, std::string> Init::create(config::Options options, char** envp) {
    auto loop = sys::EventLoop::create();
    if (!loop) return std::unexpected(std::string("cannot create the event loop: ") + std::strerror(loop.error()));
    auto signal_fd = sys::open_signalfd();
    if (!signal_fd) return std::unexpected(std::string("cannot create the signalfd: ") + std::strerror(signal_fd.error()));
    auto init = std::unique_ptr<Init>(new Init(std::move(options), std::move(*loop), std::move(*signal_fd),
                                               process::Environment::from_environ(envp)));
    int sfd = init->signal_fd_.get();
    Init* self = init.get();
    auto added = init->loop_.add(sfd, EPOLLIN, [self](std::uint32_t) { self->on_signal(); });
    if (!added) return std::unexpected(std::string("cannot watch the signalfd: ") + std::strerror(added.error()));
    init->loop_.on_timer([self] { self->on_timer(); });
    if (init->options_.s6_tree) init->setup_s6_runtime();
    // From here on a stuck reader of stderr costs log lines, never the loop.
    init->log_fd_ = sys::open_nonblocking_output(2);
    if (init->log_fd_) log::set_output_fd(init->log_fd_.get());
    return init;
}

Init::Init(config::Options options, sys::EventLoop loop, sys::UniqueFd signal_fd, process::Environment container_env)
    : options_(std::move(options)),
      loop_(std::move(loop)),
      signal_fd_(std::move(signal_fd)),
      container_env_(std::move(container_env)) {
    is_pid1_ = ::getpid() == 1;
    if (!is_pid1_) {
        int error = sys::become_subreaper();
        if (error == 0)
            log::debug("not PID 1 (pid {}): became a child subreaper", ::getpid());
        else
            log::warn("not PID 1 and cannot become a child subreaper: {}; orphans will not be reaped",
                      std::strerror(error));
    }
    if (options_.log_prefix) {
        router_ = std::make_unique<log::OutputRouter>(loop_);
        log::set_line_writer(
            [](void* router, std::string_view line) { static_cast<log::OutputRouter*>(router)->write_own_line(line); },
            router_.get());
    }
    SupervisorContext context;
    context.options = &options_;
    context.container_env = &container_env_;
    context.own_credentials = process::current_credentials();
    context.cmd_given = !options_.command.empty();
    context.router = router_.get();
    supervisor_ = std::make_unique<Supervisor>(loop_, clock_, ops_, std::move(context));
    supervisor_->on_primary_exit = [this](int code) { primary_exited(code); };
    supervisor_->on_change = [this] {
        maybe_start_cmd();
        advance_shutdown();
    };
}

Init::~Init() {  // router_ and log_fd_ go with us
    log::set_line_writer(nullptr, nullptr);
    log::set_output_fd(-1);
}

int Init::run() {
    std::vector<std::string> warnings;
    scripts_ = config::list_scripts(options_.cont_init_dir, warnings);
    for (const auto& warning : warnings) log::warn("{}", warning);
    append_s6rc_up_scripts();
    phase_ = Phase::ContInit;
    start_next_script();

    while (phase_ != Phase::Done) {
        rearm_timer();
        auto result = loop_.run_once();
        if (!result) log::error("event loop: epoll_wait failed: {}", std::strerror(result.error()));
    }
    if (router_) router_->drain_all(static_cast<int>(options_.kill_grace.count()));
    return final_exit_code();
}

void Init::rearm_timer() {
    std::optional<TimePoint> deadline = supervisor_->next_deadline();
    for (const auto& candidate : {phase_deadline_, ready_deadline_})
        if (candidate && (!deadline || *candidate < *deadline)) deadline = candidate;
    loop_.set_timer(deadline);
}

// ---- signals and children ------------------------------------------------

void Init::on_signal() {
    while (auto info = sys::read_signal(signal_fd_.get())) {
        int signo = static_cast<int>(info->ssi_signo);
        if (signo == compat::halt_signal()) {  // `halt` / `s6-svscanctl -t` from inside
            on_halt_request(*info);
            continue;
        }
        switch (signo) {
            case SIGCHLD:
                on_sigchld();
                break;
            case SIGTERM:
            case SIGINT:
            case SIGQUIT: {
                bool primary_running = phase_ == Phase::Running && (cmd_pid_ > 0 || supervisor_->has_primary());
                if (options_.forward_signals && primary_running) {
                    log::info("forwarding {} to the primary", config::signal_name(signo));
                    if (cmd_pid_ > 0) ops_.signal_group(cmd_pid_, signo, cmd_owner());
                    supervisor_->signal_primaries(signo);
                } else {
                    begin_shutdown(signo);
                }
                break;
            }
            case SIGHUP:
            case SIGUSR1:
            case SIGUSR2:
            case SIGWINCH:
                if (cmd_pid_ > 0) ops_.signal_group(cmd_pid_, signo, cmd_owner());
                supervisor_->signal_primaries(signo);
                break;
            default:
                log::debug("ignoring {}", config::signal_name(signo));
                break;
        }
    }
}

void Init::on_sigchld() {
    children_left_ = sys::reap_children([this](pid_t pid, int status) {
        if (pid == cmd_pid_) {
            cmd_pid_ = 0;
            ExitInfo exit = exit_info(status);
            if (exit.signal != 0)
                log::info("CMD killed by {}", config::signal_name(exit.signal));
            else
                log::info("CMD exited with code {}", exit.code);
            primary_exited(exit.shell_code());
            return;
        }
        if (pid == script_pid_) {
            script_pid_ = 0;
            script_exited(status);
            return;
        }
        if (!supervisor_->on_child_exit(pid, status)) log::trace("reaped orphan {}", pid);
    });
    supervisor_->after_reap();
    advance_shutdown();
}

void Init::on_timer() {
    TimePoint now = clock_.now();
    supervisor_->on_timer();
    if (ready_deadline_ && *ready_deadline_ <= now) {
        ready_deadline_.reset();
        if (!cmd_started_ && phase_ == Phase::Running) {
            std::string names;
            for (const auto& name : supervisor_->not_ready()) names += (names.empty() ? "" : ", ") + name;
            if (options_.start_cmd_after_ready_timeout) {  // s6-overlay: S6_BEHAVIOUR_IF_STAGE2_FAILS < 2
                log::warn("--ready-timeout: services not ready: {}; starting the CMD anyway "
                          "(S6_BEHAVIOUR_IF_STAGE2_FAILS is below 2)", names);
                start_cmd();
            } else {
                log::error("--ready-timeout: services not ready: {}; not starting the CMD", names);
                if (!exit_code_) exit_code_ = 1;
                begin_shutdown(SIGTERM);
            }
        }
    }
    if (phase_deadline_ && *phase_deadline_ <= now) {
        phase_deadline_.reset();
        switch (phase_) {
            case Phase::StoppingPrimary:
                if (cmd_pid_ > 0) {
                    log::warn("CMD still running after --services-grace, sending SIGKILL");
                    ops_.signal_group(cmd_pid_, SIGKILL, cmd_owner());
                }
                break;
            case Phase::ContFinish:
                if (script_pid_ > 0) {
                    log::warn("{}: still running after --finish-timeout, sending SIGKILL",
                              scripts_[next_script_ - 1].string());
                    ops_.signal_group(script_pid_, SIGKILL, nullptr);
                }
                break;
            case Phase::KillAll:
                if (!sigkill_sent_) {
                    log::warn("processes left after --kill-grace, sending SIGKILL");
                    sys::signal_everything(SIGKILL, is_pid1_);
                    sigkill_sent_ = true;
                    phase_deadline_ = clock_.now() + options_.kill_grace;
                } else {
                    log::error("processes survived SIGKILL; exiting anyway");
                    enter_phase(Phase::Done);
                }
                break;
            default:
                break;
        }
    }
    advance_shutdown();
}

// ---- cont-init and cont-finish scripts ---------------------------------

void Init::start_next_script() {
    if (phase_ == Phase::ContInit) refresh_container_environment();  // what cont-init wrote there
    while (next_script_ < scripts_.size()) {
        const auto& script = scripts_[next_script_++];
        process::SpawnPlan plan;
        plan.executable = script.string();
        plan.argv = {script.string()};
        plan.envp = container_env_.to_strings();
        plan.group = process::GroupMode::NewSession;
        compat::adapt_script_plan(plan, std::nullopt, options_.default_path);  // s6-overlay shebangs
        log::info("{}: running", script.string());
        auto pid = ops_.spawn(plan);
        if (!pid) {
            log::error("{}: {}", script.string(), compat::describe_spawn_failure(script, pid.error(), false));
            // A script that cannot run is a failed script: 126 like a shell.
            script_exited(126 << 8);  // wait status of exit(126)
            return;
        }
        script_pid_ = *pid;
        if (phase_ == Phase::ContInit) cont_init_started_ = next_script_;  // v3 oneshots: whose down runs
        if (phase_ == Phase::ContFinish) phase_deadline_ = clock_.now() + options_.finish_timeout;
        return;
    }
    // No script left.
    if (phase_ == Phase::ContInit) {
        if (shutdown_requested_) {
            enter_phase(Phase::ContFinish);
        } else {
            enter_running();
        }
    } else if (phase_ == Phase::ContFinish) {
        enter_phase(Phase::KillAll);
    }
}

void Init::script_exited(int wait_status) {
    const auto& script = scripts_[next_script_ - 1];
    ExitInfo exit = exit_info(wait_status);
    if (phase_ == Phase::ContFinish) {
        phase_deadline_.reset();
        if (exit.code != 0) log::warn("{}: exited with {}", script.string(), exit.shell_code());
        start_next_script();
        return;
    }
    if (exit.code != 0 && !shutdown_requested_) {
        if (options_.on_init_failure == config::InitFailure::Stop) {
            log::error("{}: exited with {}; stopping (--on-init-failure=stop)", script.string(), exit.shell_code());
            exit_code_ = exit.shell_code();
            shutdown_requested_ = true;
            next_script_ = scripts_.size();
        } else {
            log::warn("{}: exited with {}; continuing (--on-init-failure=continue)", script.string(),
                      exit.shell_code());
        }
    }
    if (shutdown_requested_) next_script_ = scripts_.size();
    start_next_script();
}

// ---- services and the CMD -------------------------------------------------

void Init::enter_running() {
    enter_phase(Phase::Running);
    supervisor_->load(options_.services_dir, s6rc_services());
    supervisor_->start_all();
    if (phase_ != Phase::Running) return;  // a refused primary already ended it
    if (options_.command.empty() && !supervisor_->has_primary() && supervisor_->size() == 0) {
        log::info("no CMD, no primary and no service: nothing to wait for");
        begin_shutdown(SIGTERM);
        return;
    }
    if (options_.wait_ready && options_.ready_timeout && !options_.command.empty())
        ready_deadline_ = clock_.now() + *options_.ready_timeout;
    maybe_start_cmd();
}

void Init::maybe_start_cmd() {
    if (phase_ != Phase::Running || cmd_started_ || options_.command.empty()) return;
    if (options_.wait_ready && !supervisor_->all_ready()) return;
    ready_deadline_.reset();
    start_cmd();
}

void Init::start_cmd() {
    cmd_started_ = true;
    const std::string& name = options_.command.front();
    auto executable = find_executable(name, container_env_, options_.default_path);
    if (!executable) {
        log::error("CMD {}: not found in PATH", name);
        primary_exited(127);
        return;
    }
    process::SpawnPlan plan;
    plan.executable = *executable;
    plan.argv = options_.command;
    plan.envp = container_env_.to_strings();
    plan.group = process::GroupMode::NewProcessGroup;
    plan.take_terminal = ::isatty(0) == 1;
    if (options_.cmd_user && !options_.as_me) {
        auto credentials = process::resolve_user(*options_.cmd_user);
        if (!credentials) {
            log::error("--cmd-user: {}", credentials.error());
            primary_exited(126);
            return;
        }
        plan.identity = process::IdentityChange{credentials->uid, credentials->gid, credentials->groups, true};
        cmd_identity_ = plan.identity;
        plan.capabilities.manage = credentials->uid != 0;
        plan.capabilities.bounding_best_effort = true;
        plan.no_new_privs = true;
    }
    auto pid = ops_.spawn(plan);
    if (!pid) {
        log::error("CMD {}: {}", name, pid.error().message());
        primary_exited(pid.error().stage == process::SpawnStage::Exec && pid.error().error == ENOENT ? 127 : 126);
        return;
    }
    cmd_pid_ = *pid;
    log::debug("CMD {} started (pid {})", name, cmd_pid_);
}

void Init::primary_exited(int code) {
    if (primary_done_) return;
    primary_done_ = true;
    if (!exit_code_) exit_code_ = code;
    begin_shutdown(SIGTERM);
}

// ---- shutdown ----------------------------------------------------------------

void Init::begin_shutdown(int signo) {
    if (phase_ != Phase::Running && phase_ != Phase::ContInit) {
        log::debug("already shutting down ({})", to_string(phase_));
        return;
    }
    shutdown_requested_ = true;
    if (phase_ == Phase::ContInit) {
        log::info("received {} during cont-init: stopping", config::signal_name(signo));
        if (script_pid_ > 0) ops_.signal_group(script_pid_, signo, nullptr);
        return;  // the script's exit moves on to cont-finish
    }
    log::info("shutting down");
    enter_phase(Phase::StoppingPrimary);
    if (cmd_pid_ > 0) {
        ops_.signal_group(cmd_pid_, signo, cmd_owner());
        phase_deadline_ = clock_.now() + options_.services_grace;
    }
    supervisor_->stop_primaries();
    advance_shutdown();
}

// Moves through the shutdown phases as soon as each has nothing left to wait for.
void Init::advance_shutdown() {
    for (;;) {
        Phase before = phase_;
        switch (phase_) {
            case Phase::StoppingPrimary:
                if (cmd_pid_ == 0 && supervisor_->primaries_down()) {
                    phase_deadline_.reset();
                    enter_phase(Phase::StoppingServices);
                    supervisor_->stop_all();
                }
                break;
            case Phase::StoppingServices:
                if (supervisor_->all_down()) enter_phase(Phase::ContFinish);
                break;
            case Phase::KillAll:
                if (!children_left_) enter_phase(Phase::Done);
                break;
            default:
                break;
        }
        if (phase_ == before) return;
    }
}

void Init::enter_phase(Phase phase) {
    if (phase == phase_) return;
    log::debug("phase: {} -> {}", to_string(phase_), to_string(phase));
    phase_ = phase;
    switch (phase) {
        case Phase::ContFinish: {
            std::vector<std::string> warnings;
            scripts_ = config::list_scripts(options_.cont_finish_dir, warnings);
            for (const auto& warning : warnings) log::warn("{}", warning);
            prepend_s6rc_down_scripts();
            next_script_ = 0;
            start_next_script();
            break;
        }
        case Phase::KillAll: {
            // Whatever escaped its process group (daemons, orphans) ends here.
            sys::signal_everything(SIGTERM, is_pid1_);
            sys::signal_everything(SIGCONT, is_pid1_);
            children_left_ = sys::reap_children([](pid_t, int) {});
            phase_deadline_ = clock_.now() + options_.kill_grace;
            if (!children_left_) enter_phase(Phase::Done);
            break;
        }
        default:
            break;
    }
}

}  // namespace tend::core
