#include "tend/core/supervisor.hpp"

#include <signal.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "tend/s6/script_plan.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/capabilities.hpp"
#include "tend/process/owned_pipe.hpp"

namespace tend::core {
namespace {

const process::IdentityChange* owner(const ServiceRecord& record) {
    return record.identity ? &*record.identity : nullptr;
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
    record.credentials = std::move(plan->credentials);
    record.identity = std::move(plan->identity);
    record.capabilities = plan->capabilities;

    prepare_confinement(record);
    if (record.refused()) return;

    process::EnvironmentInputs inputs{context_.container_env, options.default_path, &record.credentials};
    record.envp = shared_environment(process::build_service_environment(cfg, inputs).to_strings());

    // run and finish are read here, once; a FIFO or device is refused.
    std::string path = options.default_path;
    for (const auto& entry : *record.envp)
        if (entry.starts_with("PATH=")) path = entry.substr(5);
    record.run_start = s6::decide_script_start(cfg.run, s6::ScriptRole::Service, path);
    if (cfg.finish) record.finish_start = s6::decide_script_start(*cfg.finish, s6::ScriptRole::Service, path);
    for (const s6::ScriptStart* start : {&record.run_start, record.finish_start ? &*record.finish_start : nullptr}) {
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
    record.confinement = std::move(*built);
}

std::string Supervisor::spawn_failure_text(const ServiceRecord& record, const s6::ScriptStart& start,
                                           const std::string& script, const process::SpawnFailure& failure,
                                           bool name_script) const {
    std::string text = s6::describe_spawn_failure(start, failure, name_script);
    // Landlock answers EACCES for an exec it denies: the usual first mistake
    // in a paths file is a run file, or its #! interpreter, without an exec rule.
    if (record.confinement && record.confinement->ruleset && failure.stage == process::SpawnStage::Exec &&
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
    if (after == ServiceState::Down && before != ServiceState::Down) record.pgid = 0;
    // A probe runs only while the service is starting: once it is ready, or
    // no longer running, it makes no more attempts and no more wakeups.
    if (record.probe && record.probe->active() && (after != ServiceState::Running || record.machine->ready()))
        record.probe->stop();
    if (event.kind == EventKind::Spawned && record.config->ready_when) start_probe(record, record.spawned_at);
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
            ops_.signal_group(record.pgid, action.signal, owner(record));
            break;
        case ActionKind::KillGroup:
            log::warn("service {}: still running after timeout-kill, sending SIGKILL", record.name);
            ops_.signal_group(record.pgid, SIGKILL, owner(record));
            break;
        case ActionKind::RunFinish:
            spawn_finish(record, action.exit);
            break;
        case ActionKind::KillFinish:
            log::warn("service {}: finish still running after timeout-finish, sending SIGKILL", record.name);
            if (record.finish_pid > 0) ops_.signal_group(record.finish_pid, SIGKILL, owner(record));
            break;
    }
}

// What a with-contenv script gets: keep-env plus tend's layers 2 and 3
// (env/, HOME/USER/LOGNAME, TEND_SERVICE stay; SPEC), from the container
// environment as it is now (cont-init may have added to it).
std::optional<std::vector<std::string>> Supervisor::container_envp(const ServiceRecord& record,
                                                                   const s6::ScriptStart& start) const {
    if (!start.container_env) return std::nullopt;
    config::ServiceConfig keep = *record.config;
    keep.keep_env = true;
    return process::build_service_environment(keep, {context_.container_env, context_.options->default_path,
                                                     &record.credentials})
        .to_strings();
}

process::SpawnPlan Supervisor::base_plan(const ServiceRecord& record) const {
    const config::ServiceConfig& cfg = *record.config;
    process::SpawnPlan plan;
    if (record.envp) plan.envp = *record.envp;
    plan.group = process::GroupMode::NewSession;
    plan.limits = cfg.limits;
    plan.umask = cfg.umask;
    plan.workdir = cfg.workdir;
    plan.identity = record.identity;
    plan.capabilities = record.capabilities;
    plan.no_new_privs = !cfg.allow_new_privs;
    if (record.confinement && record.confinement->ruleset) plan.landlock_ruleset_fd = record.confinement->ruleset.get();
    plan.stdin_null = true;  // tend's stdin (a terminal) is the CMD's, never a service's
    return plan;
}

// A stdout and a stderr pipe per service, made once and owned by the
// service's user (created under its fsuid/fsgid), so it can reopen
// /dev/stdout and /proc/self/fd/2. False when they cannot be made.
bool Supervisor::attach_output(ServiceRecord& record, process::SpawnPlan& plan) {
    if (!context_.router) return true;  // --inherit-output: tend's own fds
    if (!record.output_writer) {
        const uid_t uid = record.identity ? record.identity->uid : ::geteuid();
        const gid_t gid = record.identity ? record.identity->gid : ::getegid();
        sys::UniqueFd read_ends[2];
        for (int stream = 0; stream < 2; ++stream) {
            auto pipe = process::make_owned_pipe(uid, gid);
            if (!pipe) {
                log::error("service {}: cannot create its {} pipe: {}", record.name,
                           stream == 0 ? "stdout" : "stderr", pipe.error());
                record.output_write[0].reset();
                return false;
            }
            read_ends[stream] = std::move(pipe->read);
            record.output_write[stream] = std::move(pipe->write);
        }
        record.output_writer = context_.router->add_writer(record.name);
        context_.router->add_source(*record.output_writer, std::move(read_ends[0]), log::Stream::Out);
        context_.router->add_source(*record.output_writer, std::move(read_ends[1]), log::Stream::Err);
    }
    plan.stdout_fd = record.output_write[0].get();
    plan.stderr_fd = record.output_write[1].get();
    return true;
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

// The pipe of a logger, owned by its (first) producer's user, so that the
// producer can reopen /dev/stdout as its own output pipe lets it. Both ends
// stay with tend for its whole life, above fd 2 (the child replaces 0..2).
bool Supervisor::make_log_pipe(ServiceRecord& logger) {
    const ServiceRecord& owner_record = logger.producers.empty() ? logger : services_[logger.producers.front()];
    const uid_t uid = owner_record.identity ? owner_record.identity->uid : ::geteuid();
    const gid_t gid = owner_record.identity ? owner_record.identity->gid : ::getegid();
    auto pipe = process::make_owned_pipe(uid, gid);
    if (!pipe) {
        log::error("service {}: cannot create the pipe it reads its producer's output from: {}", logger.name,
                   pipe.error());
        return false;
    }
    // The read end also keeps off the logger's notification-fd number (s6-log
    // -d3 with notification-fd 3), which the child fills before its stdin.
    const int taken = logger.config && logger.config->notification_fd ? *logger.config->notification_fd : -1;
    for (sys::UniqueFd* end : {&pipe->read, &pipe->write}) {
        if (end->get() >= 3 && !(end == &pipe->read && end->get() == taken)) continue;
        const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, taken >= 3 ? taken + 1 : 3);
        if (moved < 0) {
            log::error("service {}: cannot move its log pipe above fd 2: {}", logger.name, std::strerror(errno));
            return false;
        }
        *end = sys::UniqueFd(moved);
    }
    logger.log_pipe_read = std::move(pipe->read);
    logger.log_pipe_write = std::move(pipe->write);
    return true;
}

bool Supervisor::attach_log_pipe(ServiceRecord& record, process::SpawnPlan& plan, bool with_stdin) {
    if (record.logger) {
        ServiceRecord& logger = services_[*record.logger];
        if (!logger.log_pipe_write && !make_log_pipe(logger)) return false;
        plan.stdout_fd = logger.log_pipe_write.get();
    }
    if (with_stdin && !record.producers.empty()) {
        if (!record.log_pipe_read && !make_log_pipe(record)) return false;
        plan.stdin_fd = record.log_pipe_read.get();
    }
    return true;
}

std::vector<std::pair<std::string, std::size_t>> Supervisor::unread_log_pipes() const {
    std::vector<std::pair<std::string, std::size_t>> unread;
    for (const auto& record : services_) {
        int bytes = 0;
        if (record.log_pipe_read && ::ioctl(record.log_pipe_read.get(), FIONREAD, &bytes) == 0 && bytes > 0)
            unread.emplace_back(record.name, static_cast<std::size_t>(bytes));
    }
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
        auto applied = s6::apply_script_start(record.run_start, plan, {}, container_envp(record, record.run_start),
                                                  context_.options->default_path);
        if (!applied || !*applied) {
            log::error("service {}: {}", record.name, applied ? cfg.run + ": does nothing (no command)" : applied.error());
            dispatch(record, {EventKind::SpawnFailed});
            if (record.primary) primary_exited(126, "primary service " + record.name + " cannot start");
            return;
        }
    }

    std::vector<sys::UniqueFd> child_ends;  // closed in the parent after spawn
    if (!attach_output(record, plan) || !attach_log_pipe(record, plan, true)) {
        dispatch(record, {EventKind::SpawnFailed});
        if (record.primary) primary_exited(126, "primary service " + record.name + " cannot get its output pipes");
        return;
    }
    sys::UniqueFd notification_read;
    if (cfg.notification_fd) {
        auto pipe = sys::make_pipe();
        if (!pipe) {
            log::error("service {}: cannot create notification pipe: {}", record.name, std::strerror(pipe.error()));
            dispatch(record, {EventKind::SpawnFailed});
            return;
        }
        sys::set_nonblocking(pipe->read.get());
        plan.notification_fd_number = *cfg.notification_fd;
        plan.notification_fd = pipe->write.get();
        notification_read = std::move(pipe->read);
        child_ends.push_back(std::move(pipe->write));
    }

    auto pid = ops_.spawn(plan);
    child_ends.clear();
    if (!pid) {
        log::error("service {}: {}", record.name, spawn_failure_text(record, record.run_start, cfg.run, pid.error()));
        dispatch(record, {EventKind::SpawnFailed});
        if (record.primary)
            primary_exited(pid.error().shell_code(),
                            "primary service " + record.name + " cannot start");
        return;
    }
    record.pid = *pid;
    record.pgid = *pid;
    log::info("service {}: started (pid {})", record.name, *pid);
    if (notification_read) watch_notification(record, std::move(notification_read));
    record.spawned_at = spawned_at;  // a `ready-when` probe starts from here (handle_event)
    dispatch(record, {EventKind::Spawned});
}

// `ready-when`: probed from now on, as this life's own: a socket or file of
// the previous life never counts.
void Supervisor::start_probe(ServiceRecord& record, timespec spawned_at) {
    if (record.machine->state() != ServiceState::Running || record.machine->ready()) return;
    if (!record.probe) {
        std::optional<ProbeIdentity> identity;
        if (record.identity) identity = ProbeIdentity{record.identity->uid, record.identity->gid};
        const std::size_t index = static_cast<std::size_t>(&record - services_.data());
        record.probe = std::make_unique<ReadinessProbe>(loop_, record.name, *record.config->ready_when, identity,
                                                        [this, index] { on_probe_ready(index); });
    }
    record.probe->start(clock_.now(), spawned_at);
}

void Supervisor::on_probe_ready(std::size_t index) {
    ServiceRecord& record = services_[index];
    log::info("service {}: ready ({})", record.name, config::describe(record.probe->condition()));
    dispatch(record, {EventKind::Ready});
}

void Supervisor::watch_notification(ServiceRecord& record, sys::UniqueFd read_end) {
    if (record.notification) loop_.remove(record.notification.get());
    record.notification = std::move(read_end);
    record.notification_bytes = 0;
    std::size_t index = static_cast<std::size_t>(&record - services_.data());
    auto added = loop_.add(record.notification.get(), EPOLLIN, [this, index](std::uint32_t) { on_notification(index); });
    if (!added) log::error("service {}: cannot watch notification-fd: {}", record.name, std::strerror(added.error()));
}

// s6 readiness: only a newline makes the service ready; EOF without one never does.
// The work is bounded: a few reads per wakeup (the fd stays readable, so the
// loop comes back after the other events), and after kNotificationLimit bytes
// without a newline tend stops reading. The fd stays open until the service
// exits, so a flooding writer blocks on the full pipe instead of dying of SIGPIPE.
void Supervisor::on_notification(std::size_t index) {
    ServiceRecord& record = services_[index];
    char buffer[512];
    for (int reads = 0; reads < kNotificationReadsPerWakeup; ++reads) {
        ssize_t n = ::read(record.notification.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        bool newline = n > 0 && std::memchr(buffer, '\n', static_cast<std::size_t>(n)) != nullptr;
        if (n > 0 && !newline) {
            record.notification_bytes += static_cast<std::size_t>(n);
            if (record.notification_bytes < kNotificationLimit) continue;
            log::warn("service {}: notification-fd: {} bytes without a newline; no longer read, so it cannot "
                      "make the service ready",
                      record.name, record.notification_bytes);
            loop_.remove(record.notification.get());
            return;
        }
        loop_.remove(record.notification.get());
        record.notification.reset();
        if (newline) {
            log::info("service {}: ready", record.name);
            dispatch(record, {EventKind::Ready});
        }
        return;
    }
}

void Supervisor::spawn_finish(ServiceRecord& record, const ExitInfo& exit) {
    process::SpawnPlan plan = base_plan(record);
    auto applied = s6::apply_script_start(*record.finish_start, plan,
                                              {std::to_string(exit.code), std::to_string(exit.signal)},
                                              container_envp(record, *record.finish_start),
                                              context_.options->default_path);
    if (!applied || !*applied) {  // an execline finish of comments only: done at once
        if (!applied) log::error("service {}: finish: {}", record.name, applied.error());
        dispatch(record, {EventKind::FinishExited});
        return;
    }
    attach_output(record, plan);  // without its pipes, finish writes to tend's own
    attach_log_pipe(record, plan, false);  // a producer's finish writes to its logger, as under s6
    auto pid = ops_.spawn(plan);
    if (!pid) {
        log::error("service {}: finish: {}", record.name, spawn_failure_text(record, *record.finish_start, *record.config->finish, pid.error(), false));
        dispatch(record, {EventKind::FinishExited});
        return;
    }
    record.finish_pid = *pid;
}

bool Supervisor::on_child_exit(pid_t pid, int wait_status, const std::optional<process::SpawnFailure>& failure) {
    for (auto& record : services_) {
        if (!record.machine) continue;
        if (record.pid == pid) {
            record.pid = 0;
            // A run that could not start ends as a shell's would (126, or 127
            // when something was not found); s6-supervise's child exits so too,
            // and finish sees that code.
            if (failure) {
                log::error("service {}: {}", record.name, spawn_failure_text(record, record.run_start, record.config->run, *failure));
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
            if (context_.router && record.output_writer) context_.router->writer_exited(*record.output_writer);
            bool group_empty = !ops_.group_alive(record.pgid);
            if (record.notification) {
                loop_.remove(record.notification.get());
                record.notification.reset();
            }
            dispatch(record, {EventKind::MainExited, wait_status, group_empty});
            if (record.primary) {
                primary_exited(exit.shell_code(),
                               "primary service " + record.name + " " + (failure ? "cannot start" : describe(exit)));
            }
            return true;
        }
        if (record.finish_pid == pid) {
            record.finish_pid = 0;
            if (failure && record.config->finish)
                log::error("service {}: finish: {}", record.name,
                           spawn_failure_text(record, *record.finish_start, *record.config->finish, *failure, false));
            if (context_.router && record.output_writer) context_.router->writer_exited(*record.output_writer);
            dispatch(record, {EventKind::FinishExited});
            return true;
        }
    }
    if (failure) wait_status = failure->shell_code() << 8;
    if (auto service = jobs_->overlapping_run_exited(pid, exit_info(wait_status))) {
        ServiceRecord& record = services_[*service];
        if (failure)
            log::error("service {}: {}", record.name,
                       spawn_failure_text(record, record.run_start, record.config->run, *failure));
        if (context_.router && record.output_writer) context_.router->writer_exited(*record.output_writer);
        changed_ = true;  // all_down may be true now
        drain();
        return true;
    }
    return false;
}

void Supervisor::after_reap() {
    for (auto& record : services_) {
        if (record.machine && record.machine->state() == ServiceState::Draining && !ops_.group_alive(record.pgid))
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
        if (record.probe) record.probe->on_timer(now);
    }
}

std::optional<TimePoint> Supervisor::next_deadline() const {
    std::optional<TimePoint> earliest;
    for (const auto& record : services_) {
        if (!record.machine) continue;
        for (auto deadline : {record.machine->deadline(),
                              record.probe ? record.probe->deadline() : std::optional<TimePoint>{}})
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
        if (record.primary && record.pid > 0) ops_.signal_group(record.pgid, signo, owner(record));
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
