#include "tend/core/supervisor.hpp"

#include <signal.h>
#include <linux/capability.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "tend/s6/overlay.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/capabilities.hpp"

namespace tend::core {
namespace {

const process::IdentityChange* owner(const ServiceRecord& record) {
    return record.resolved.identity ? &*record.resolved.identity : nullptr;
}

}  // namespace

Supervisor::Supervisor(sys::EventLoop& loop, const Clock& clock, ProcessOps& ops, SupervisorContext context)
    : loop_(loop), clock_(clock), ops_(ops), context_(std::move(context)) {
    JobHost& host = *this;  // a private base: converted here, where it is accessible
    jobs_ = std::make_unique<Jobs>(loop_, clock_, context_.wall_clock, host);
}

void Supervisor::load(const std::filesystem::path& services_dir, const std::vector<ExtraServiceDir>& extra,
                      const std::vector<std::string>& services_dir_after) {
    // tend's own capabilities, read once for every service's checks.
    tend_privileges_ = process::TendPrivileges::current(context_.own_credentials);
    std::vector<std::string> skipped;
    std::vector<std::string> problems;
    auto dirs = config::list_service_dirs(services_dir, skipped, problems);
    for (const auto& note : skipped) log::debug("{}", note);
    for (const auto& problem : problems) log::warn("{}", problem);
    // v2 loggers: services.d/NAME/log is a service of its own, NAME-log,
    // reading NAME's stdout (s6-svscan's NAME/log). Pipes: (producer, logger).
    std::vector<std::pair<std::string, std::string>> pipes;
    std::map<std::filesystem::path, std::string> logger_names;
    {
        std::vector<std::filesystem::path> logger_dirs;
        for (const auto& dir : dirs) {
            std::error_code ignored;
            const auto log_dir = dir / "log";
            if (!std::filesystem::is_directory(log_dir, ignored)) continue;
            const std::string name = dir.filename().string() + "-log";
            if (std::any_of(dirs.begin(), dirs.end(), [&](const auto& d) { return d.filename() == name; })) {
                log::warn("{}: not run as {}'s logger: a service named {} exists already", log_dir.string(),
                          dir.filename().string(), name);
                continue;
            }
            logger_dirs.push_back(log_dir);
            logger_names[log_dir] = name;
            pipes.emplace_back(dir.filename().string(), name);
        }
        dirs.insert(dirs.end(), logger_dirs.begin(), logger_dirs.end());
    }
    std::map<std::string, const ExtraServiceDir*> extra_by_name;
    for (const auto& more : extra) {
        std::string name = more.dir.filename().string();
        auto named = [&](const std::filesystem::path& d) {
            auto logger = logger_names.find(d);
            return (logger != logger_names.end() ? logger->second : d.filename().string()) == name;
        };
        if (std::any_of(dirs.begin(), dirs.end(), named)) {
            log::warn("{}: a service named {} is also in {}; that one runs", more.dir.string(), name,
                      services_dir.string());
            continue;
        }
        dirs.push_back(more.dir);
        extra_by_name[name] = &more;
        if (!more.producer_for.empty()) pipes.emplace_back(name, more.producer_for);
    }
    services_.reserve(dirs.size());
    for (const auto& dir : dirs) {
        ServiceRecord record;
        record.dir = dir.string();
        const auto logger_name = logger_names.find(dir);
        record.name = logger_name != logger_names.end() ? logger_name->second : dir.filename().string();
        // Decided before parsing: a primary whose dir is broken must still end
        // the container instead of leaving it running without its purpose.
        if (config::has_primary_file(dir)) {
            if (context_.cmd_given)
                log::debug("service {}: `primary` ignored: a CMD was given", record.name);
            else
                record.primary = true;
        }
        auto parsed = config::parse_service_dir(dir, {.shebang_without_exec_bit = context_.options->s6_tree});
        if (!parsed) {
            record.refusal = parsed.error().message();
        } else {
            record.config = std::move(*parsed);
            record.config->name = record.name;  // a logger's dir is `log`: TEND_SERVICE is NAME-log
            if (auto it = extra_by_name.find(record.name); it != extra_by_name.end())
                record.config->depends = it->second->depends;
            if (context_.options->s6_keep_env) record.config->keep_env = true;  // S6_KEEP_ENV
            for (const auto& warning : record.config->warnings) log::warn("service {}: {}", record.name, warning);
            prepare(record);
        }
        services_.push_back(std::move(record));
    }
    // Ordering only: a service of services_dir_after that is refused does
    // not hold services_dir's back. The names are looked up once, not once
    // per service (quadratic with thousands of services).
    std::vector<std::string> after;
    for (const auto& name : services_dir_after)
        for (const auto& other : services_)
            if (other.name == name && !other.refused()) after.push_back(name);
    for (auto& record : services_) {
        if (record.refused() || extra_by_name.contains(record.name)) continue;
        for (const auto& name : after)
            if (name != record.name) record.config->depends.push_back(name);
    }
    link_loggers(pipes);
    load_crontab();
    // Each configured service's I/O, at a fixed address for the event loop's
    // callbacks; made now that every record has its index.
    for (std::size_t index = 0; index < services_.size(); ++index) {
        ServiceRecord& record = services_[index];
        if (record.machine)
            record.io = std::make_unique<ServiceIo>(loop_, context_.router, record.name, pipe_owner(record),
                                                    [this, index] { dispatch(services_[index], {EventKind::Ready}); });
    }
    resolve_dependencies();
    for (auto& record : services_) {
        if (record.refused()) log::error("service {}: not started: {}", record.name, record.refusal);
    }
    load_schedules();
    log::debug("{} service(s) in {}", services_.size(), services_dir.string());
}

// Everything a start needs that does not change between starts: credentials,
// environment, capability plan. Failures refuse the service.
void Supervisor::prepare(ServiceRecord& record) {
    const config::ServiceConfig& cfg = *record.config;
    const config::Options& options = *context_.options;

    process::IdentityRequest request;
    request.user = cfg.user;
    request.as_me = options.as_me;
    request.limits = cfg.limits;
    request.capabilities = cfg.capabilities;
    request.allow_new_privs = cfg.allow_new_privs;
    auto plan = process::plan_identity(request, tend_privileges_);
    if (!plan) {
        record.refusal = (std::filesystem::path(cfg.dir) / plan.error().file).string() + ": " + plan.error().reason;
        return;
    }
    if (plan->note) {
        if (plan->note->info)
            log::info("service {}: {}", record.name, plan->note->text);
        else
            log::debug("service {}: {}", record.name, plan->note->text);
    }
    record.resolved.credentials = std::move(plan->credentials);
    record.resolved.identity = std::move(plan->identity);
    record.resolved.capabilities = plan->capabilities;

    prepare_confinement(record);
    if (record.refused()) return;

    process::EnvironmentInputs inputs{context_.container_env, options.default_path, &record.resolved.credentials};
    record.resolved.envp = shared_environment(process::build_service_environment(cfg, inputs).to_strings());

    // run and finish are read here, once; a FIFO or device is refused.
    std::string path = options.default_path;
    for (const auto& entry : *record.resolved.envp)
        if (entry.starts_with("PATH=")) path = entry.substr(5);
    record.resolved.run_start = s6::decide_script_start(cfg.run, s6::ScriptRole::Service, path);
    if (cfg.finish)
        record.resolved.finish_start =
            std::make_unique<const s6::ScriptStart>(s6::decide_script_start(*cfg.finish, s6::ScriptRole::Service, path));
    const s6::ScriptStart* starts[] = {&record.resolved.run_start, record.resolved.finish_start.get()};
    for (const s6::ScriptStart* start : starts) {
        if (start == nullptr) continue;
        for (const auto& warning : start->warnings) log::warn("service {}: {}", record.name, warning);
        if (start->how == s6::ScriptStart::How::Refused) {
            record.refusal = start->refusal;
            return;
        }
    }

    ServiceSettings settings;
    // A scheduled job runs once per tick: its ticks start it, never a restart.
    settings.restart = record.primary || cfg.schedule ? config::RestartPolicy::Never : cfg.restart;
    settings.has_finish = cfg.finish.has_value();
    settings.has_notification_fd = cfg.notification_fd.has_value();
    settings.has_ready_probe = cfg.ready_when.has_value();
    settings.down_signal = cfg.down_signal;
    settings.timeout_kill = cfg.timeout_kill.value_or(options.services_grace);
    settings.timeout_finish = cfg.timeout_finish;
    record.machine = std::make_unique<ServiceMachine>(settings);
}

void Supervisor::prepare_confinement(ServiceRecord& record) {
    const config::ServiceConfig& cfg = *record.config;
    if (!cfg.paths) return;
    if (!landlock_) landlock_ = context_.landlock ? *context_.landlock : process::probe_landlock();
    const std::string paths_file = (std::filesystem::path(cfg.dir) / "paths").string();
    auto built = process::build_confinement(*cfg.paths, *landlock_);
    if (!built) {
        record.refusal = paths_file + ": " + built.error();
        return;
    }
    if (!built->enforced()) {
        std::string missing;
        for (const auto& what : built->unenforced) missing += (missing.empty() ? "" : ", ") + what;
        if (cfg.paths_required || context_.options->require_landlock) {
            const std::string why = cfg.paths_required
                                        ? (std::filesystem::path(cfg.dir) / "paths-required").string() + " exists"
                                        : std::string("--require-landlock was given");
            record.refusal = paths_file + ": this kernel cannot enforce " + missing + "; " + why +
                             ", so the service does not start without all of it";
            return;
        }
        log::warn("service {}: {}: this kernel cannot enforce {}; the service runs with the rest (best effort: a "
                  "paths-required file or --require-landlock refuses the start instead)",
                  record.name, paths_file, missing);
    } else {
        log::debug("service {}: confined by {} ({}), Landlock ABI {}", record.name, paths_file, built->rules,
                   built->abi);
    }
    record.resolved.confinement = std::move(*built);
}

std::string Supervisor::spawn_failure_text(const ServiceRecord& record, const s6::ScriptStart& start,
                                           const std::string& script, const process::SpawnFailure& failure,
                                           bool name_script) const {
    std::string text = s6::describe_spawn_failure(start, failure, name_script);
    // Landlock answers EACCES for an exec it denies: the usual first mistake
    // in a paths file is a run file, or its #! interpreter, without an exec rule.
    if (record.resolved.confinement && record.resolved.confinement->ruleset && failure.stage == process::SpawnStage::Exec &&
        failure.error == EACCES)
        text += " (" + (std::filesystem::path(record.config->dir) / "paths").string() + " confines it: is " + script +
                ", and its #! interpreter, under an exec rule?)";
    return text;
}

std::shared_ptr<const std::vector<std::string>> Supervisor::shared_environment(std::vector<std::string> envp) {
    std::size_t hash = envp.size();
    for (const auto& entry : envp) hash = hash * 31 + std::hash<std::string>{}(entry);
    for (const auto& [known_hash, known] : environments_)
        if (known_hash == hash && *known == envp) return known;
    envp.shrink_to_fit();
    environments_.emplace_back(hash, std::make_shared<const std::vector<std::string>>(std::move(envp)));
    return environments_.back().second;
}

// The dependencies are the ServiceSet's (service_set.hpp): resolved here
// once, the refusals it finds given to the records.
void Supervisor::resolve_dependencies() {
    std::vector<ServiceSet::Service> services;
    std::vector<std::string> refusals;
    services.reserve(services_.size());
    refusals.reserve(services_.size());
    for (auto& record : services_) {
        ServiceSet::Service service{record.name, record.dir, {}, record.config && record.config->down};
        if (record.config) service.depends = record.config->depends;
        services.push_back(service);
        refusals.push_back(std::move(record.refusal));
    }
    service_set_ = ServiceSet::resolve(services, refusals);
    for (std::size_t i = 0; i < services_.size(); ++i) {
        ServiceRecord& record = services_[i];
        record.refusal = std::move(refusals[i]);
        record.dependencies = service_set_.dependencies(i);
        record.dependants = service_set_.dependants(i);
    }
}

bool Supervisor::dependencies_ready(const ServiceRecord& record) const {
    return std::all_of(record.dependencies.begin(), record.dependencies.end(),
                       [&](std::size_t dep) { return services_[dep].machine && service_ready(services_[dep]); });
}

void Supervisor::start_all() {
    next_to_start_ = 0;
    start_batch();
}

// Start-up is cut into batches, each run from the event loop after the
// events pending by then: a SIGTERM during the start of a thousand services
// is handled after one batch, not after every spawn (shutdown empties what
// is left to start).
void Supervisor::start_batch() {
    std::size_t started = 0;
    while (next_to_start_ < services_.size() && started < kStartBatch) {
        auto& record = services_[next_to_start_++];
        if (record.refused()) {
            // A primary that cannot exist ends the container, as a CMD that cannot run would.
            if (record.primary) primary_exited(126, "primary service " + record.name + " is refused");
            continue;
        }
        if (record.config->down) {
            log::debug("service {}: has a down file, not started", record.name);
            continue;
        }
        if (scheduled(record)) continue;  // armed below: its ticks start it
        dispatch(record, {EventKind::Start, 0, false, dependencies_ready(record)});
        ++started;
    }
    if (next_to_start_ < services_.size()) {
        loop_.defer([this] { start_batch(); });
        return;
    }
    if (next_to_start_ == services_.size()) {
        next_to_start_ = kNothingToStart;
        arm_schedules();
        // Loading and starting left free chunks all over the heap (parsed
        // files, directory listings, spawn plans): give their pages back to
        // the kernel once, so they do not stay in tend's RSS for its whole
        // life. Cheap, and once per start_all.
        ::malloc_trim(0);
        notify({Notice::Kind::Changed, 0, {}});  // the CMD may wait for the last start
    }
}

// Posts DependenciesReady to every waiting service whose dependencies are ready.
void Supervisor::start_waiting() {
    if (stopping_all_) return;
    for (auto& record : services_) {
        if (record.machine && record.machine->state() == ServiceState::Waiting && dependencies_ready(record))
            post(record, {EventKind::DependenciesReady});
    }
}

// Events go through one queue. dispatch() posts and drains; an event posted
// while the queue drains (a spawn's outcome, a stop that a service's exit
// makes possible) waits its turn instead of running inside the event that
// caused it, so no event is handled inside another.
void Supervisor::dispatch(ServiceRecord& record, const Event& event) {
    post(record, event);
    drain();
}

void Supervisor::post(ServiceRecord& record, const Event& event) {
    pending_.push_back({static_cast<std::size_t>(&record - services_.data()), event});
}

// Handles queued events until none is left. After a change: waiting services
// whose dependencies became ready start, and the shutdown goes on; Init hears
// of the change once, from the loop (notify), never from inside an event.
void Supervisor::drain() {
    if (draining_) return;
    draining_ = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }  // a failure in one event (the loop logs it) must not stop the next
    } reset{draining_};
    bool any_change = false;
    for (;;) {
        while (!pending_.empty()) {
            const auto [index, event] = pending_.front();
            pending_.pop_front();
            if (handle_event(services_[index], event)) changed_ = true;
        }
        if (!changed_) break;
        changed_ = false;
        any_change = true;
        start_waiting();
        if (stopping_all_) continue_shutdown();
        if (pending_.empty()) break;
    }
    if (any_change) notify({Notice::Kind::Changed, 0, {}});
}

// One event of one service's machine, and the actions it asks for. True when
// the service's state or readiness changed.
bool Supervisor::handle_event(ServiceRecord& record, const Event& event) {
    const ServiceState before = record.machine->state();
    const bool was_ready = record.machine->ready();
    auto actions = record.machine->handle(event, clock_.now());
    for (const auto& action : actions) execute(record, action);
    const ServiceState after = record.machine->state();
    if (before != after) log::debug("service {}: {} -> {}", record.name, to_string(before), to_string(after));
    if (after == ServiceState::Down && before != ServiceState::Down) record.life.pgid = 0;
    // A probe runs only while the service is starting: once it is ready, or
    // no longer running, it makes no more attempts and no more wakeups.
    if (after != ServiceState::Running || record.machine->ready()) record.io->stop_probe();
    // `ready-when`: probed from the spawn on, as this life's own (a socket or
    // file of the previous life never counts).
    if (event.kind == EventKind::Spawned && record.config->ready_when && record.machine->state() == ServiceState::Running &&
        !record.machine->ready()) {
        std::optional<ProbeIdentity> identity;
        if (record.resolved.identity) identity = ProbeIdentity{record.resolved.identity->uid, record.resolved.identity->gid};
        record.io->start_probe(*record.config->ready_when, identity, clock_.now(), record.life.spawned_at);
    }
    if (event.kind == EventKind::SpawnFailed && scheduled(record)) jobs_->run_failed(record_index(record));
    const bool changed = before != after || was_ready != record.machine->ready();
    if (after == ServiceState::Down && before != ServiceState::Down && scheduled(record))
        jobs_->run_over(record_index(record));
    return changed;
}

// Init hears from the supervisor through this queue, delivered by the event
// loop after the current handler: Init's reaction (stopping everything when
// the primary exited) never runs inside the supervisor's own work.
void Supervisor::notify(Notice notice) {
    if (notice.kind == Notice::Kind::Changed && !notices_.empty() && notices_.back().kind == Notice::Kind::Changed)
        return;
    notices_.push_back(std::move(notice));
    if (delivery_scheduled_) return;
    delivery_scheduled_ = true;
    loop_.defer([this] { deliver_notices(); });
}

void Supervisor::deliver_notices() {
    delivery_scheduled_ = false;
    std::vector<Notice> notices;
    notices.swap(notices_);
    for (const auto& notice : notices) {
        if (notice.kind == Notice::Kind::PrimaryExited) {
            if (on_primary_exit) on_primary_exit(notice.code, notice.reason);
        } else if (on_change) {
            on_change();
        }
    }
}

void Supervisor::primary_exited(int code, std::string reason) {
    notify({Notice::Kind::PrimaryExited, code, std::move(reason)});
}

void Supervisor::execute(ServiceRecord& record, const Action& action) {
    switch (action.kind) {
        case ActionKind::Spawn:
            spawn_main(record);
            break;
        case ActionKind::SignalGroup:
            ops_.signal_group(record.life.pgid, action.signal, owner(record));
            break;
        case ActionKind::KillGroup:
            log::warn("service {}: still running after timeout-kill, sending SIGKILL", record.name);
            ops_.signal_group(record.life.pgid, SIGKILL, owner(record));
            break;
        case ActionKind::RunFinish:
            spawn_finish(record, action.exit);
            break;
        case ActionKind::KillFinish:
            log::warn("service {}: finish still running after timeout-finish, sending SIGKILL", record.name);
            if (record.life.finish_pid > 0) ops_.signal_group(record.life.finish_pid, SIGKILL, owner(record));
            break;
    }
}

// What a with-contenv script gets: keep-env plus tend's layers 2 and 3
// (env/, HOME/USER/LOGNAME, TEND_SERVICE stay; docs/service-directory.md), from the container
// environment as it is now (cont-init may have added to it).
std::optional<std::vector<std::string>> Supervisor::container_envp(const ServiceRecord& record,
                                                                   const s6::ScriptStart& start) const {
    if (!start.container_env) return std::nullopt;
    config::ServiceConfig keep = *record.config;
    keep.keep_env = true;
    return process::build_service_environment(keep, {context_.container_env, context_.options->default_path,
                                                     &record.resolved.credentials})
        .to_strings();
}

process::SpawnPlan Supervisor::base_plan(const ServiceRecord& record) const {
    const config::ServiceConfig& cfg = *record.config;
    process::SpawnPlan plan;
    if (record.resolved.envp) plan.envp = *record.resolved.envp;
    plan.group = process::GroupMode::NewSession;
    plan.limits = cfg.limits;
    plan.umask = cfg.umask;
    plan.workdir = cfg.workdir;
    plan.identity = record.resolved.identity;
    plan.capabilities = record.resolved.capabilities;
    plan.no_new_privs = !cfg.allow_new_privs;
    if (record.resolved.confinement && record.resolved.confinement->ruleset) plan.landlock_ruleset_fd = record.resolved.confinement->ruleset.get();
    plan.stdin_null = true;  // tend's stdin (a terminal) is the CMD's, never a service's
    return plan;
}

void Supervisor::link_loggers(const std::vector<std::pair<std::string, std::string>>& pipes) {
    auto index_of = [&](const std::string& name) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < services_.size(); ++i)
            if (services_[i].name == name) return i;
        return std::nullopt;
    };
    for (const auto& [producer_name, logger_name] : pipes) {
        const auto producer = index_of(producer_name);
        const auto logger = index_of(logger_name);
        if (!producer || services_[*producer].refused()) continue;  // said already, or a v3 error
        ServiceRecord& record = services_[*producer];
        if (!logger) {
            log::warn("service {}: its output goes to tend: no service named '{}' reads it", producer_name, logger_name);
            continue;
        }
        if (services_[*logger].refused()) {
            log::warn("service {}: its logger {} is refused; its output goes to tend", producer_name, logger_name);
            continue;
        }
        if (*logger == *producer) {
            log::warn("service {}: it cannot be its own logger; its output goes to tend", producer_name);
            continue;
        }
        if (record.logger) {
            if (*record.logger != *logger)
                log::warn("service {}: has a logger already ({}); {} is not given its output", producer_name,
                          services_[*record.logger].name, logger_name);
            continue;
        }
        record.logger = *logger;
        services_[*logger].producers.push_back(*producer);
        // The logger starts first and stops last, as with s6-rc: a producer
        // depends on its consumer.
        auto& depends = record.config->depends;
        if (std::find(depends.begin(), depends.end(), logger_name) == depends.end()) depends.push_back(logger_name);
        log::debug("service {}: its stdout goes to {}", producer_name, logger_name);
    }
}

ServiceIo::Owner Supervisor::pipe_owner(const ServiceRecord& record) {
    const auto& identity = record.resolved.identity;
    return {identity ? identity->uid : ::geteuid(), identity ? identity->gid : ::getegid()};
}

// The logger's pipe is owned by its first producer's user, so that the
// producer can reopen /dev/stdout as its own output pipe lets it.
bool Supervisor::attach_pipes(ServiceRecord& record, process::SpawnPlan& plan, bool with_stdin,
                              std::vector<sys::UniqueFd>* run_ends) {
    bool attached = run_ends ? record.io->attach_run_output(plan, *run_ends) : record.io->attach_output(plan);
    auto log_pipe_owner = [&](const ServiceRecord& logger) {
        return pipe_owner(logger.producers.empty() ? logger : services_[logger.producers.front()]);
    };
    auto notification_fd = [](const ServiceRecord& logger) {
        return logger.config ? logger.config->notification_fd : std::nullopt;
    };
    if (record.logger) {
        ServiceRecord& logger = services_[*record.logger];
        attached = logger.io->attach_log_stdout(plan, log_pipe_owner(logger), notification_fd(logger)) && attached;
    }
    if (with_stdin && !record.producers.empty())
        attached = record.io->attach_log_stdin(plan, log_pipe_owner(record), notification_fd(record)) && attached;
    return attached;
}

std::vector<std::pair<std::string, std::size_t>> Supervisor::unread_log_pipes() const {
    std::vector<std::pair<std::string, std::size_t>> unread;
    for (const auto& record : services_)
        if (std::size_t bytes = record.io ? record.io->unread_log_bytes() : 0; bytes > 0)
            unread.emplace_back(record.name, bytes);
    return unread;
}

void Supervisor::spawn_main(ServiceRecord& record) {
    const config::ServiceConfig& cfg = *record.config;
    const timespec spawned_at = ReadinessProbe::file_clock_now();  // for `ready-when file`
    process::SpawnPlan plan = base_plan(record);
    if (!cfg.command.empty()) {  // a crontab job
        plan.executable = cfg.command.front();
        plan.argv = cfg.command;
    } else {
        auto applied = s6::apply_script_start(record.resolved.run_start, plan, {}, container_envp(record, record.resolved.run_start),
                                                  context_.options->default_path);
        if (!applied || !*applied) {
            log::error("service {}: {}", record.name, applied ? cfg.run + ": does nothing (no command)" : applied.error());
            dispatch(record, {EventKind::SpawnFailed});
            if (record.primary) primary_exited(126, "primary service " + record.name + " cannot start");
            return;
        }
    }

    std::vector<sys::UniqueFd> child_ends;  // closed in the parent after spawn
    if (!attach_pipes(record, plan, true)) {
        dispatch(record, {EventKind::SpawnFailed});
        if (record.primary) primary_exited(126, "primary service " + record.name + " cannot get its output pipes");
        return;
    }
    if (cfg.notification_fd) {
        sys::UniqueFd write_end = record.io->open_notification(plan, *cfg.notification_fd);
        if (!write_end) {
            dispatch(record, {EventKind::SpawnFailed});
            return;
        }
        child_ends.push_back(std::move(write_end));
    }

    auto pid = ops_.spawn(plan);
    child_ends.clear();
    if (!pid) {
        log::error("service {}: {}", record.name, spawn_failure_text(record, record.resolved.run_start, cfg.run, pid.error()));
        record.io->close_notification();
        dispatch(record, {EventKind::SpawnFailed});
        if (record.primary)
            primary_exited(pid.error().shell_code(),
                            "primary service " + record.name + " cannot start");
        return;
    }
    record.life.pid = *pid;
    record.life.pgid = *pid;
    log::info("service {}: started (pid {})", record.name, *pid);
    record.io->watch_notification();
    record.life.spawned_at = spawned_at;  // a `ready-when` probe starts from here (handle_event)
    dispatch(record, {EventKind::Spawned});
}

void Supervisor::spawn_finish(ServiceRecord& record, const ExitInfo& exit) {
    process::SpawnPlan plan = base_plan(record);
    auto applied = s6::apply_script_start(*record.resolved.finish_start, plan,
                                              {std::to_string(exit.code), std::to_string(exit.signal)},
                                              container_envp(record, *record.resolved.finish_start),
                                              context_.options->default_path);
    if (!applied || !*applied) {  // an execline finish of comments only: done at once
        if (!applied) log::error("service {}: finish: {}", record.name, applied.error());
        dispatch(record, {EventKind::FinishExited});
        return;
    }
    // Without its pipes, finish writes to tend's own; a producer's finish
    // writes to its logger, as under s6.
    attach_pipes(record, plan, false);
    auto pid = ops_.spawn(plan);
    if (!pid) {
        log::error("service {}: finish: {}", record.name, spawn_failure_text(record, *record.resolved.finish_start, *record.config->finish, pid.error(), false));
        dispatch(record, {EventKind::FinishExited});
        return;
    }
    record.life.finish_pid = *pid;
}

bool Supervisor::on_child_exit(pid_t pid, int wait_status, const std::optional<process::SpawnFailure>& failure) {
    for (auto& record : services_) {
        if (!record.machine) continue;
        if (record.life.pid == pid) {
            record.life.pid = 0;
            // A run that could not start ends as a shell's would (126, or 127
            // when something was not found); s6-supervise's child exits so too,
            // and finish sees that code.
            if (failure) {
                log::error("service {}: {}", record.name, spawn_failure_text(record, record.resolved.run_start, record.config->run, *failure));
                wait_status = failure->shell_code() << 8;
            }
            ExitInfo exit = exit_info(wait_status);
            // A primary's end is said once, by Init ("shutting down: primary
            // service X exited with code N", or "primary service X killed by
            // SIGTERM" during a shutdown), not here as well.
            if (scheduled(record)) {
                jobs_->run_exited(record_index(record), exit,
                                  std::chrono::floor<Duration>(clock_.now() - record.machine->started_at()));
            } else if (!record.primary && !failure) {  // a failure was said above
                log::info("service {}: {}", record.name, describe(exit));
            }
            record.io->writer_exited();
            bool group_empty = !ops_.group_alive(record.life.pgid);
            record.io->close_notification();
            dispatch(record, {EventKind::MainExited, wait_status, group_empty});
            if (record.primary) {
                primary_exited(exit.shell_code(),
                               "primary service " + record.name + " " + (failure ? "cannot start" : describe(exit)));
            }
            return true;
        }
        if (record.life.finish_pid == pid) {
            record.life.finish_pid = 0;
            if (failure && record.config->finish)
                log::error("service {}: finish: {}", record.name,
                           spawn_failure_text(record, *record.resolved.finish_start, *record.config->finish, *failure, false));
            record.io->writer_exited();
            dispatch(record, {EventKind::FinishExited});
            return true;
        }
    }
    if (failure) wait_status = failure->shell_code() << 8;
    if (auto service = jobs_->overlapping_run_exited(pid, exit_info(wait_status))) {
        ServiceRecord& record = services_[*service];
        if (failure)
            log::error("service {}: {}", record.name,
                       spawn_failure_text(record, record.resolved.run_start, record.config->run, *failure));
        // Its output pipes were its own: they end at their end of file, and
        // the run in progress keeps its partial line.
        changed_ = true;  // all_down may be true now
        drain();
        return true;
    }
    return false;
}

void Supervisor::after_reap() {
    for (auto& record : services_) {
        if (record.machine && record.machine->state() == ServiceState::Draining && !ops_.group_alive(record.life.pgid))
            dispatch(record, {EventKind::GroupEmpty});
    }
}

void Supervisor::on_timer() {
    TimePoint now = clock_.now();
    for (auto& record : services_) {
        if (record.machine && record.machine->deadline() && *record.machine->deadline() <= now)
            dispatch(record, {EventKind::Timer, 0, false, dependencies_ready(record)});
    }
    jobs_->on_timer();
    for (auto& record : services_) {
        if (record.io) record.io->on_timer(now);
    }
}

std::optional<TimePoint> Supervisor::next_deadline() const {
    std::optional<TimePoint> earliest;
    for (const auto& record : services_) {
        if (!record.machine) continue;
        for (auto deadline : {record.machine->deadline(),
                              record.io->probe_deadline()})
            if (deadline && (!earliest || *deadline < *earliest)) earliest = deadline;
    }
    if (auto tick = jobs_->next_deadline(); tick && (!earliest || *tick < *earliest)) earliest = tick;
    return earliest;
}

void Supervisor::stop_primaries() {
    jobs_->close();  // shutdown has begun: no new runs
    next_to_start_ = kNothingToStart;  // nor new starts
    for (auto& record : services_)
        if (record.primary && record.machine) dispatch(record, {EventKind::Stop});
}

bool Supervisor::primaries_down() const {
    return std::all_of(services_.begin(), services_.end(), [](const ServiceRecord& r) {
        return !r.primary || !r.machine || r.machine->idle();
    });
}

void Supervisor::stop_all() {
    jobs_->close();
    next_to_start_ = kNothingToStart;
    stopping_all_ = true;
    changed_ = true;  // drain() goes on with the shutdown
    drain();
}

// A service is stopped once every dependant of it is down, so php-fpm is
// still there while nginx drains its last requests. Called by drain() after
// each change, so each stop that became possible is posted once.
void Supervisor::continue_shutdown() {
    for (auto& record : services_) {
        // Down services (never started, or done for good) need no stop.
        if (!record.machine || record.machine->stop_requested() || record.machine->idle()) continue;
        bool dependants_down = std::all_of(record.dependants.begin(), record.dependants.end(), [&](std::size_t d) {
            return !services_[d].machine || services_[d].machine->idle();
        });
        if (dependants_down) post(record, {EventKind::Stop});
    }
}

bool Supervisor::all_down() const {
    return std::all_of(services_.begin(), services_.end(),
                       [](const ServiceRecord& r) { return !r.machine || r.machine->idle(); }) &&
           !jobs_->overlapping_runs_going();
}

bool Supervisor::has_primary() const {
    return std::any_of(services_.begin(), services_.end(), [](const ServiceRecord& r) {
        return r.primary;
    });
}

void Supervisor::signal_primaries(int signo) {
    for (auto& record : services_)
        if (record.primary && record.life.pid > 0) ops_.signal_group(record.life.pgid, signo, owner(record));
}

// A service that waits, directly or through others, for a `down` service is
// not "started": it must not hold back --wait-ready forever (ServiceSet).
bool Supervisor::held_down(const ServiceRecord& record) const {
    return service_set_.held_down(static_cast<std::size_t>(&record - services_.data()));
}

std::vector<std::string> Supervisor::not_ready() const {
    std::vector<std::string> names;
    for (const auto& record : services_) {
        if (record.refused() || !record.machine || held_down(record)) continue;
        if (!service_ready(record)) names.push_back(record.name);
    }
    return names;
}

bool Supervisor::all_ready() const { return not_ready().empty(); }

}  // namespace tend::core
