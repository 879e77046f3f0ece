#include "tend/core/init.hpp"

#include <dirent.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/log/logger.hpp"
#include "tend/sys/final_sweep.hpp"
#include "tend/process/owned_pipe.hpp"
#include "tend/sys/reaper.hpp"
#include "tend/sys/signals.hpp"
#include "tend/process/find_in_path.hpp"

namespace tend::core {
namespace {

// The CMD's executable, searched in the container's PATH like execvp would,
// but in the parent so the child only calls execve.
// Without PATH in the container env, the same --default-path services get.
std::optional<std::string> find_executable(const std::string& name, const process::Environment& env,
                                           const std::string& default_path) {
    return process::find_in_path(name, env.get("PATH").value_or(default_path));
}

std::string count_processes(std::size_t count) {
    return std::to_string(count) + (count == 1 ? " process" : " processes");
}

}  // namespace

namespace {

// Whether `dir` holds anything but dot entries (a missing dir holds nothing).
bool holds_entries(const std::filesystem::path& dir) {
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) return false;
    bool found = false;
    while (const dirent* entry = ::readdir(listing)) {
        if (entry->d_name[0] != '.') {
            found = true;
            break;
        }
    }
    ::closedir(listing);
    return found;
}

}  // namespace

std::expected<std::unique_ptr<Init>, std::string> Init::create(config::Options options, char** envp) {
    // Every service's pipes cost tend fds; its children get the old soft limit back.
    if (auto original = process::raise_own_nofile_limit())
        log::debug("open files: tend's soft limit raised from {} to {}; children keep {}", original->first,
                   original->second, original->first);
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
    init->s6_.prepare_runtime(init->container_env_, init->options_.default_path);
    init->loop_.on_failure([self](const sys::EventLoop::Failure& failure) { self->on_loop_failure(failure); });
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
    InitSettings settings;
    settings.forward_signals = options_.forward_signals;
    settings.stop_on_init_failure = options_.on_init_failure == config::InitFailure::Stop;
    settings.is_pid1 = is_pid1_;
    settings.services_grace = options_.services_grace;
    settings.finish_timeout = options_.finish_timeout;
    settings.kill_grace = options_.kill_grace;
    if (options_.wait_ready && !options_.command.empty()) settings.ready_timeout = options_.ready_timeout;
    settings.start_cmd_after_ready_timeout = options_.start_cmd_after_ready_timeout;
    sequence_ = InitSequence(settings);
    plain_ = !options_.s6_tree && options_.crontab.empty() && !holds_entries(options_.services_dir) &&
             !holds_entries(options_.cont_init_dir) && !holds_entries(options_.cont_finish_dir);
    if (!is_pid1_) {
        int error = sys::become_subreaper();
        if (error == 0)
            log::debug("not PID 1 (pid {}): became a child subreaper", ::getpid());
        else
            log::warn("not PID 1 and cannot become a child subreaper: {}; orphans will not be reaped",
                      std::strerror(error));
    }
    // Services' output goes through tend (pipes they own) unless
    // --inherit-output; tend's own lines then queue with their stderr lines,
    // so none lands inside a service's line.
    if (!options_.inherit_output) {
        router_ = std::make_unique<log::OutputRouter>(loop_, clock_, options_.log_prefix);
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
    supervisor_->on_primary_exit = [this](int code, const std::string& reason) { primary_exited(code, reason); };
    supervisor_->on_change = [this] {
        maybe_start_cmd();
        advance_shutdown();
        maybe_reload_crontab();
    };
}

Init::~Init() {  // router_ and log_fd_ go with us
    log::set_line_writer(nullptr, nullptr);
    log::set_output_fd(-1);
}

int Init::run() {
    // From here on everything runs inside the loop's guard (see EventLoop):
    // the first round lists the scripts and starts cont-init.
    loop_.defer([this] { start_stages(); });
    loop_.after_round([this] {
        if (!pending_.empty()) drain();  // left by an action that threw (the loop logged it)
        if (control_) control_->on_change();  // wait-ready requests look again
        rearm_timer();
    });
    unsigned failures_in_a_row = 0;  // of epoll_wait: the sequence escalates (kLoopFailuresBeforeShutdown)
    while (sequence_.phase() != Phase::Done) {
        auto result = loop_.run_once();
        if (result) {
            failures_in_a_row = 0;
            continue;
        }
        post(InitEvent::loop_failed(std::string("epoll_wait failed: ") + std::strerror(result.error()),
                                    ++failures_in_a_row));
    }
    control_.reset();  // the socket goes before tend does
    drain_output();  // tend's last line comes after what the services wrote
    if (options_.sync_disks) ::sync();
    // v3's exitcode file, else v2's S6_STAGE2_EXITED (after the halt's code).
    const std::optional<int> from_files = s6_.exit_code_from_files();
    const int code = sequence_.final_exit_code(from_files);
    say("exiting with code " + std::to_string(code));
    return code;
}

void Init::start_stages() {
    open_control();
    if (options_.watch_crontab) watch_crontab();
    // A shutdown signal already pending when the loop started was handled
    // before this: nothing of cont-init runs (S6_STAGE2_HOOK neither);
    // cont-finish does.
    if (sequence_.shutdown_requested()) {
        post({InitEventKind::ContInitDone});
        return;
    }
    if (start_stage2_hook()) return;  // S6_STAGE2_HOOK first: its exit lists the scripts
    list_cont_init_scripts();
    start_next_script();
}

// cont-init.d, then a v3 tree's oneshots: read only now, after S6_STAGE2_HOOK.
void Init::list_cont_init_scripts() {
    std::vector<std::string> warnings;
    scripts_ = config::list_scripts(options_.cont_init_dir, warnings, {.shebang_without_exec_bit = options_.s6_tree});
    for (const auto& warning : warnings) log::warn("{}", warning);
    next_script_ = 0;
    s6_.append_oneshot_ups(scripts_);  // s6-overlay v3: after cont-init.d
}

// A handler of the loop threw (EventLoop::guard caught it). Out of memory
// ends the container gracefully (exit code 1 unless one was set): going on
// without memory would fail every start. Anything else is logged and tend
// goes on.
void Init::on_loop_failure(const sys::EventLoop::Failure& failure) {
    if (failure.out_of_memory) {
        log::error("{} failed: out of memory; shutting down", failure.where);
        post({InitEventKind::OutOfMemory});
        return;
    }
    log::error("{} failed: {}; tend goes on", failure.where, failure.cause);
}

// Decided before the first signal can be read (the loop handles one that is
// already pending before it lists the scripts or loads the services).
bool Init::plain_init() const { return plain_; }

void Init::say(const std::string& message) const {
    if (plain_init())
        log::debug("{}", message);
    else
        log::info("{}", message);
}

// What services wrote and tend has not yet passed on gets --drain-timeout;
// what is left then is dropped, and said so.
void Init::drain_output() {
    // A logger reads its own pipe: what it left there (it was killed, or
    // stopped without reading to the end) is said, never silently lost.
    if (supervisor_)
        for (const auto& [logger, bytes] : supervisor_->unread_log_pipes())
            log::warn("service output dropped at exit: {} bytes never read by the logger {}", bytes, logger);
    if (!router_) return;
    auto result = router_->drain_all(options_.drain_timeout);
    // From here on tend's own lines go straight to stderr.
    log::set_line_writer(nullptr, nullptr);
    if (result.dropped.empty()) return;
    std::string what;
    for (const auto& [name, bytes] : result.dropped)
        what += fmt::format("{}{} bytes of {}", what.empty() ? "" : ", ", bytes, name);
    std::string why;
    if (result.out_of_time) why = fmt::format("--drain-timeout of {} ms reached", options_.drain_timeout.count());
    if (result.write_failed) why += std::string(why.empty() ? "" : "; ") + "tend's stdout or stderr is closed";
    log::warn("service output dropped at exit: {} ({})", what, why);
}

void Init::rearm_timer() {
    std::optional<TimePoint> deadline = supervisor_->next_deadline();
    std::optional<TimePoint> control_deadline = control_ ? control_->next_deadline() : std::nullopt;
    std::optional<TimePoint> output_deadline = router_ ? router_->next_deadline() : std::nullopt;
    for (const auto& candidate : {sequence_.next_deadline(), control_deadline, output_deadline, children_.next_deadline()})
        if (candidate && (!deadline || *candidate < *deadline)) deadline = candidate;
    loop_.set_timer(deadline);
}

// ---- signals and children ------------------------------------------------

void Init::on_signal() {
    while (auto info = sys::read_signal(signal_fd_.get())) {
        int signo = static_cast<int>(info->ssi_signo);
        if (s6::Overlay::is_halt_signal(signo)) {  // `halt` / `s6-svscanctl -t` from inside
            on_halt_request(*info);
            continue;
        }
        switch (signo) {
            case SIGCHLD:
                on_sigchld();
                break;
            case SIGTERM:
            case SIGINT:
            case SIGQUIT:
                post({InitEventKind::ShutdownSignal, signo, false, std::string(config::signal_name(signo)) + " received"});
                break;
            case SIGUSR2:
                if (!options_.crontab_reload_argv.empty()) {  // the supercronic applet
                    request_crontab_reload("SIGUSR2 received");
                    break;
                }
                [[fallthrough]];
            case SIGHUP:
            case SIGUSR1:
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
    reap();
    supervisor_->after_reap();
    advance_shutdown();
}

void Init::reap() {
    children_left_ = sys::reap_children([this](pid_t pid, int status) {
        if (children_.helper_reaped(pid, status)) return;
        // A child that reported a failed step never ran its program: its exit
        // (127) is the failure's, said as such.
        const std::optional<process::SpawnFailure> failure = children_.start_failure(pid);
        if (pid == cmd_pid_) {
            cmd_pid_ = 0;
            if (router_ && cmd_writer_) router_->writer_exited(*cmd_writer_);
            cmd_exited(status, failure);
            return;
        }
        if (pid == late_pid_) {
            late_oneshot_exited(failure ? failure->shell_code() << 8 : status);
            return;
        }
        if (pid == hook_pid_) {
            hook_pid_ = 0;
            if (failure) log::error("S6_STAGE2_HOOK: {}", failure->message());
            stage2_hook_exited(failure ? failure->shell_code() << 8 : status);
            return;
        }
        if (pid == script_pid_) {
            script_pid_ = 0;
            if (failure) {
                const auto& script = scripts_[next_script_ - 1];
                log::error("{}: {}", script.string(), s6::describe_spawn_failure(script_start_, *failure, false));
                script_exited(failure->shell_code() << 8);  // wait status of exit(126 or 127), as a shell
                return;
            }
            script_exited(status);
            return;
        }
        if (!supervisor_->on_child_exit(pid, status, failure)) log::trace("reaped orphan {}", pid);
    });
}

void Init::cmd_exited(int wait_status, const std::optional<process::SpawnFailure>& failure) {
    if (failure) {
        const std::string& name = options_.command.front();
        log::error("CMD {}: {}", name, failure->message());
        primary_exited(failure->shell_code(), "CMD " + name + " cannot start");
        return;
    }
    ExitInfo exit = exit_info(wait_status);
    primary_exited(exit.shell_code(), "CMD " + describe(exit));
}

void Init::on_timer() {
    children_.on_timer();
    supervisor_->on_timer();
    if (control_) control_->on_timer();
    if (router_) router_->on_timer();
    post({InitEventKind::Timer});
}

// ---- cont-init and cont-finish scripts ---------------------------------

void Init::start_next_script() {
    if (sequence_.phase() == Phase::ContInit) s6_.reread_container_environment(container_env_);  // what cont-init wrote there
    while (next_script_ < scripts_.size()) {
        const auto& script = scripts_[next_script_++];
        process::SpawnPlan plan;  // stdin stays tend's, as the CMD's
        plan.executable = script.string();
        plan.argv = {script.string()};
        plan.envp = container_env_.to_strings();
        plan.group = process::GroupMode::NewSession;
        // Read once, here (a FIFO is refused); s6-overlay shebangs and execline.
        script_start_ = s6::decide_script_start(script, s6_.script_role(script),
                                                    container_env_.get("PATH").value_or(options_.default_path));
        const s6::ScriptStart& start = script_start_;
        for (const auto& warning : start.warnings) log::warn("{}", warning);
        auto applied = s6::apply_script_start(start, plan, {}, std::nullopt, options_.default_path);
        if (!applied) {
            log::error("{}", applied.error());
            script_exited(126 << 8);  // a script that cannot run is a failed script
            return;
        }
        if (!*applied) {  // execline of comments only: execlineb exits 0
            log::info("{}: nothing to run (comments only)", script.string());
            if (sequence_.phase() == Phase::ContInit) cont_init_started_ = next_script_;
            post({InitEventKind::ScriptStarted, 0, false, script.string()});
            script_exited(0);
            return;
        }
        log::info("{}: running", script.string());
        auto pid = ops_.spawn(plan);
        if (!pid) {
            log::error("{}: {}", script.string(), s6::describe_spawn_failure(start, pid.error(), false));
            // A script that cannot run is a failed script: 126 like a shell.
            script_exited(126 << 8);  // wait status of exit(126)
            return;
        }
        script_pid_ = *pid;
        if (sequence_.phase() == Phase::ContInit) cont_init_started_ = next_script_;  // v3 oneshots: whose down runs
        post({InitEventKind::ScriptStarted, 0, false, script.string()});
        arm_s6rc_script_timeout();  // a v3 oneshot's timeout-up / timeout-down
        return;
    }
    // No script left.
    const Phase phase = sequence_.phase();
    if (phase == Phase::ContInit) post({InitEventKind::ContInitDone});
    else if (phase == Phase::ContFinish) post({InitEventKind::ContFinishDone});
}

void Init::script_exited(int wait_status) {
    const auto& script = scripts_[next_script_ - 1];
    ExitInfo exit = exit_info(wait_status);
    post(InitEvent::script_exited(script.string(), exit));
}

// ---- services and the CMD -------------------------------------------------

void Init::enter_running() {
    supervisor_->load(options_.services_dir, s6rc_services(), s6_.user_longruns());
    supervisor_->start_all();
    // The supercronic applet stays up with an empty crontab, as Supercronic
    // does: a reload may bring jobs.
    const bool nothing_to_wait_for = options_.command.empty() && !supervisor_->has_primary() &&
                                     supervisor_->size() == 0 && options_.crontab_reload_argv.empty();
    post({InitEventKind::ServicesStarted, 0, nothing_to_wait_for});
    maybe_start_cmd();
}

void Init::maybe_start_cmd() {
    maybe_run_late_oneshot();  // s6-overlay: user2 and what waits for services, before the CMD
    if (sequence_.phase() != Phase::Running || sequence_.cmd_started() || options_.command.empty()) return;
    if (supervisor_->starting() || late_oneshots_pending()) return;  // the CMD comes after every service's start
    if (options_.wait_ready && !supervisor_->all_ready()) return;
    post({InitEventKind::CmdStarting});  // answered with StartCmd, once
}

void Init::start_cmd() {
    const std::string& name = options_.command.front();
    auto executable = find_executable(name, container_env_, options_.default_path);
    if (!executable) {
        log::error("CMD {}: not found in PATH", name);
        primary_exited(127, "CMD " + name + " not found");
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
            primary_exited(126, "CMD cannot run as --cmd-user");
            return;
        }
        plan.identity = process::IdentityChange{credentials->uid, credentials->gid, credentials->groups};
        cmd_identity_ = plan.identity;
        plan.capabilities.manage = credentials->uid != 0;
        plan.capabilities.bounding_best_effort = true;
        plan.no_new_privs = true;
    }
    sys::UniqueFd output_write[2];  // closed after the spawn: the CMD's pipes end with it
    if (cmd_identity_) attach_cmd_output(plan, output_write);
    auto pid = ops_.spawn(plan);
    if (!pid) {
        log::error("CMD {}: {}", name, pid.error().message());
        primary_exited(pid.error().shell_code(),
                       "CMD " + name + " cannot start");
        return;
    }
    cmd_pid_ = *pid;
    log::debug("CMD {} started (pid {})", name, cmd_pid_);
}

// The CMD keeps tend's stdio (a terminal stays its terminal), except that a
// CMD running as another user could not reopen tend's pipes by path
// (/dev/stdout): each of stdout and stderr that is not a terminal becomes a
// pipe owned by that user, read like a service's (never prefixed).
void Init::attach_cmd_output(process::SpawnPlan& plan, sys::UniqueFd (&output_write)[2]) {
    if (!router_) return;  // --inherit-output
    for (int stream = 0; stream < 2; ++stream) {
        if (::isatty(stream + 1) == 1) continue;
        auto pipe = process::make_owned_pipe(cmd_identity_->uid, cmd_identity_->gid);
        if (!pipe) {
            log::warn("CMD: cannot create a {} pipe owned by uid {}: {}; it writes to tend's own",
                      stream == 0 ? "stdout" : "stderr", cmd_identity_->uid, pipe.error());
            continue;
        }
        if (!cmd_writer_) cmd_writer_ = router_->add_writer("the CMD", false);
        router_->add_source(*cmd_writer_, std::move(pipe->read), stream == 0 ? log::Stream::Out : log::Stream::Err);
        (stream == 0 ? plan.stdout_fd : plan.stderr_fd) = pipe->write.get();
        output_write[stream] = std::move(pipe->write);
    }
}

void Init::primary_exited(int code, const std::string& reason) {
    post({InitEventKind::PrimaryExited, code, false, reason});
}

// ---- control ----------------------------------------------------------------

void Init::open_control() {
    control_bridge_ = std::make_unique<ControlBridge>(*supervisor_, clock_);
    control_bridge_->tend_state = [this] { return control_state(); };
    control_bridge_->on_halt = [this](int code, uid_t uid) { halt(code, uid); };
    control_bridge_->on_log_level = [this](int verbosity) {
        options_.verbosity = verbosity;
        log::setup(verbosity, options_.log_format);
        log::info("log level set to {} through control", verbosity);
    };
    control_handler_ = std::make_unique<control::CommandHandler>(*control_bridge_);
    control::ServerSettings settings;
    settings.runtime_dir = options_.runtime_dir;
    settings.own_uid = ::getuid();
    if (options_.control_group) {
        // uid:group resolves the group (a name or a number) like a `user` file does.
        auto credentials = process::resolve_user(std::to_string(::getuid()) + ":" + *options_.control_group);
        if (!credentials) {
            log::error("--control-group: {}; control is off", credentials.error());
            return;
        }
        settings.group = credentials->gid;
    }
    auto server = control::ControlServer::open(loop_, clock_, *control_handler_, std::move(settings));
    if (!server) {
        log::info("control is off: {}", server.error());
        return;
    }
    control_ = std::move(*server);
    log::debug("control socket: {}", control_->socket_path().string());
}

std::optional<std::string> Init::control_state() const {
    switch (sequence_.phase()) {
        case Phase::ContInit: return std::string("tend is still running the cont-init scripts");
        case Phase::Running: return std::nullopt;
        default: return std::string("shutting down (") + to_string(sequence_.phase()) + ")";
    }
}

void Init::halt(int code, uid_t uid) {
    post({InitEventKind::Halt, code, false, {}, uid});  // the sequence decides (and says) the rest
}

// ---- the init sequence ---------------------------------------------------------

InitFacts Init::facts() const {
    InitFacts facts;
    facts.script_running = script_pid_ > 0;
    facts.cmd_running = cmd_pid_ > 0;
    facts.has_primary_service = supervisor_->has_primary();
    facts.primaries_down = supervisor_->primaries_down();
    facts.all_down = supervisor_->all_down();
    facts.children_left = children_left_;
    return facts;
}

void Init::post(InitEvent event) {
    pending_.push_back(std::move(event));
    drain();
}

// One event at a time to the sequence, its actions carried out, then
// Progress (with what Init sees after them) until the phase stays. Called
// from inside an action (draining_), it returns at once: the outer drain
// hands over what was posted meanwhile, in order.
void Init::drain() {
    if (draining_) return;
    draining_ = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }  // a failure in one action (the loop logs it) must not stop the next event
    } reset{draining_};
    do {
        if (!pending_.empty()) {
            const InitEvent event = std::move(pending_.front());
            pending_.pop_front();
            carry_out(sequence_.handle(event, facts(), clock_.now()));
        }
        for (;;) {
            const Phase before = sequence_.phase();
            carry_out(sequence_.handle({InitEventKind::Progress}, facts(), clock_.now()));
            if (sequence_.phase() == before) break;
        }
    } while (!pending_.empty());
}

// Moves through the shutdown phases as soon as each has nothing left to wait
// for (inside a drain, that drain's Progress does it).
void Init::advance_shutdown() { drain(); }

void Init::carry_out(const std::vector<InitAction>& actions) {
    for (const auto& action : actions) {
        switch (action.kind) {
            case InitActionKind::Say:
                say(action.text);
                break;
            case InitActionKind::Log:
                switch (action.level) {
                    case 0: log::debug("{}", action.text); break;
                    case 1: log::info("{}", action.text); break;
                    case 2: log::warn("{}", action.text); break;
                    default: log::error("{}", action.text); break;
                }
                break;
            case InitActionKind::RunNextScript:
                start_next_script();
                break;
            case InitActionKind::SkipScripts:
                next_script_ = scripts_.size();
                break;
            case InitActionKind::StartServices:
                enter_running();
                break;
            case InitActionKind::RunContFinish: {
                std::vector<std::string> warnings;
                scripts_ = config::list_scripts(options_.cont_finish_dir, warnings,
                                                {.shebang_without_exec_bit = options_.s6_tree});
                for (const auto& warning : warnings) log::warn("{}", warning);
                {  // s6-overlay v3: the started oneshots' down scripts first
                    auto downs = s6_.down_scripts(cont_init_started_, next_late_);
                    scripts_.insert(scripts_.begin(), downs.begin(), downs.end());
                }
                next_script_ = 0;
                start_next_script();
                break;
            }
            case InitActionKind::SignalScript:
                if (script_pid_ > 0) ops_.signal_group(script_pid_, action.signal, nullptr);
                break;
            case InitActionKind::KillScript:
                if (script_pid_ > 0) {
                    log::warn("{}: {}, sending SIGKILL", scripts_[next_script_ - 1].string(), action.text);
                    ops_.signal_group(script_pid_, SIGKILL, nullptr);
                }
                break;
            case InitActionKind::StartCmd:
                start_cmd();
                break;
            case InitActionKind::SignalCmd:
            case InitActionKind::KillCmd:
                if (cmd_pid_ > 0) ops_.signal_group(cmd_pid_, action.signal, cmd_owner());
                break;
            case InitActionKind::ForwardSignal:
                log::info("forwarding {} to the primary", config::signal_name(action.signal));
                if (cmd_pid_ > 0) ops_.signal_group(cmd_pid_, action.signal, cmd_owner());
                supervisor_->signal_primaries(action.signal);
                break;
            case InitActionKind::StopPrimaries:
                supervisor_->stop_primaries();
                break;
            case InitActionKind::StopAll:
                supervisor_->stop_all();
                break;
            case InitActionKind::ReportNotReady: {
                std::string names;
                for (const auto& name : supervisor_->not_ready()) names += (names.empty() ? "" : ", ") + name;
                log::error("--ready-timeout: services not ready: {}; not starting the CMD", names);
                break;
            }
            case InitActionKind::StartCmdAnyway: {
                std::string names;
                for (const auto& name : supervisor_->not_ready()) names += (names.empty() ? "" : ", ") + name;
                log::warn("--ready-timeout: services not ready: {}; starting the CMD anyway "
                          "(S6_BEHAVIOUR_IF_STAGE2_FAILS is below 2)", names);
                start_cmd();
                break;
            }
            case InitActionKind::FinalSweep:
                final_sweep(action.signal);
                reap();
                break;
            case InitActionKind::CountLeft:
                on_kill_grace_end();
                break;
        }
    }
}

// kill(-1) (or the descendants' pids) first, then one helper per uid that
// tend could not signal itself, acting as that uid (process/uid_helper.hpp)
// and reaped by the loop like every child; tend never waits for one. What no
// helper reached (it could not switch, or missed its deadline, or was still
// running when --kill-grace ended) is counted, so later messages never claim
// a signal that was not delivered.
void Init::final_sweep(int signo) {
    std::vector<int> signals{signo};
    if (signo != SIGKILL) signals.push_back(SIGCONT);  // a stopped process must see its SIGTERM
    sys::SweepReport report = sys::sweep(signals, is_pid1_);
    unsignalled_ = 0;
    for (const auto& refused : report.refused) {
        std::vector<process::UidSignal> kills;
        for (int s : signals) {
            if (is_pid1_) {
                kills.push_back({-1, s});  // as this uid: every process of it but PID 1 and the helper
            } else {
                for (pid_t pid : refused.pids) kills.push_back({pid, s});
            }
        }
        const uid_t uid = refused.uid;
        const std::size_t processes = refused.pids.size();
        ++sweep_helpers_;
        sweep_helper_processes_ += processes;
        // kill() looks at uids only: the helper's gid stays.
        children_.act_as(uid, static_cast<gid_t>(-1), std::move(kills), [this, signo, uid, processes](int error) {
            --sweep_helpers_;
            sweep_helper_processes_ -= processes;
            if (error == 0) {
                log::debug("sent {} to {} of uid {} from a helper acting as that uid", config::signal_name(signo),
                           count_processes(processes), uid);
                return;
            }
            unsignalled_ += processes;
            if (error == ETIMEDOUT)
                log::error("the helper sending {} to {} of uid {} did not finish within {} ms: something stalls "
                           "it; tend killed it and goes on",
                           config::signal_name(signo), count_processes(processes), uid,
                           process::ChildWatch::kHelperDeadline.count());
            else
                log::warn("cannot send {} to {} of uid {}: tend may not signal them and cannot act as uid {}: {}",
                          config::signal_name(signo), count_processes(processes), uid, uid, std::strerror(error));
        });
    }
}

// --kill-grace is over: what is left is counted for the sequence, which
// decides (PID 1 exits, a subreaper SIGKILLs once and waits again).
void Init::on_kill_grace_end() {
    reap();
    const std::size_t left = sys::remaining_processes(is_pid1_).size();
    // A helper still running has not delivered its signals yet.
    post({InitEventKind::KillGraceOver, static_cast<int>(left), false, {}, unsignalled_ + sweep_helper_processes_});
}

}  // namespace tend::core
