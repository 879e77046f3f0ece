// The services of the services dir: loading, starting in dependency order,
// supervising, stopping in reverse dependency order.
//
// Each service is a ServiceMachine plus the process facts the machine does
// not know (pids, pipes, resolved credentials). The supervisor turns kernel
// facts into machine events and machine actions into system calls through
// ProcessOps. It runs entirely inside the event loop, so nothing here may
// throw or exit: a service that cannot be configured is "refused" and logged
// once, with its path and the reason; the others run.
//
// Glossary (one name per idea; the code uses these and no others):
//
//   service record   ServiceRecord, one per service dir, for tend's whole
//                    life. Its parts have four lifetimes, in this order:
//                    what it is (the parsed config, read once at load, and
//                    ResolvedService: credentials, identity, environment,
//                    capability plan, confinement, how run/finish start,
//                    resolved from it at load); its place among the others
//                    (dependencies, loggers); its state (the machine, across
//                    lives, and ServiceLife: pid, pgid, finish pid, valid for
//                    one life); its I/O (ServiceIo: output pipes, log pipe,
//                    notification pipe, probe), made at load and kept.
//   refused          could not be configured (a file, an identity, a
//                    dependency); never starts; `refusal` says why, and
//                    `tend ctl status` shows it as refused, not as down.
//   life             one run of the main process, from spawn to the exit of
//                    its whole process group (and finish, if any).
//   last exit        how the last life's main process ended (ExitInfo),
//                    kept across restarts; worded by describe(ExitInfo).
//   held down        the service has a `down` file, or waits (directly or
//                    through others) for one that has: not started by
//                    start_all, not counted by all_ready.
//   overlapping run  a crontab job's run started beside the one in progress
//                    (supercronic -overlapping): the machine has one run,
//                    so Jobs tracks these by pid; all_down waits for them.
//   primary          its end ends the container (a `primary` file without a
//                    CMD); Init hears of it through on_primary_exit.
//   scheduled        a `schedule` file (or a crontab line): a job of Jobs
//                    (jobs.hpp), which decides each run (ticks, overlap,
//                    dependencies) and asks the Supervisor, its JobHost,
//                    to start or stop it; down between runs.
//
// The queue (dinit's discipline): every machine event goes through
// dispatch() -> post() -> drain(). drain() hands one event at a time to its
// service's machine and carries out the actions it returns; an action that
// causes another event (a failed spawn) posts it, and the same drain handles
// it next, so no machine is re-entered and the stack never grows with the
// number of services. Who posts: the reaper (on_child_exit, after_reap), the
// timer (on_timer), readiness (notification pipe, probe), start_all and
// `tend ctl` (admin_*), Jobs' runs (start_run, stop_run). Who dispatches to Init: nobody
// directly. Init hears of changes and of a primary's end through notices,
// delivered by the event loop after the current handler (notify()), so its
// reaction never runs inside the supervisor's own work.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tend/s6/overlay.hpp"
#include "tend/config/options.hpp"
#include "tend/config/service_config.hpp"
#include "tend/core/admin.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/process_ops.hpp"
#include "tend/core/jobs.hpp"
#include "tend/core/scheduler.hpp"
#include "tend/core/readiness_probe.hpp"
#include "tend/core/service_io.hpp"
#include "tend/core/service_machine.hpp"
#include "tend/core/service_set.hpp"
#include "tend/log/output_router.hpp"
#include "tend/process/credentials.hpp"
#include "tend/process/environment.hpp"
#include "tend/process/identity_plan.hpp"
#include "tend/process/landlock.hpp"
#include "tend/process/spawn.hpp"
#include "tend/sys/clock_step_watch.hpp"
#include "tend/sys/event_loop.hpp"

namespace tend::core {

struct SupervisorContext {
    const config::Options* options = nullptr;
    const process::Environment* container_env = nullptr;
    process::Credentials own_credentials;
    bool cmd_given = false;      // with a CMD, `primary` files are ignored
    log::OutputRouter* router = nullptr;  // null with --inherit-output
    const WallClock* wall_clock = nullptr;  // for schedules; nullptr: the system's
    // The kernel's Landlock as tests want it seen; nullopt: asked once, when
    // the first service with a `paths` file is loaded.
    std::optional<process::LandlockSupport> landlock;
};

// How every start of a service is made, resolved in the parent at load
// from its config and never changed after: no start reads a file again.
struct ResolvedService {
    process::Credentials credentials;
    std::optional<process::IdentityChange> identity;
    // Shared between services whose environment is the same (the usual
    // case: the container's environment plus PATH), so 1000 services hold
    // one copy of it, not 1000 (bench/README.md, memory per service).
    std::shared_ptr<const std::vector<std::string>> envp;
    process::CapabilityPlan capabilities;
    // `paths`: the Landlock ruleset every start, finish and scheduled run of
    // the service is confined by (process/landlock.hpp).
    std::optional<process::Confinement> confinement;
    // How run and finish start (s6/script_plan.hpp). finish_start is null
    // without a finish script, which most services have not: a pointer, not
    // an optional, so they do not carry an empty ScriptStart (392 bytes).
    s6::ScriptStart run_start;
    std::unique_ptr<const s6::ScriptStart> finish_start;
};

// The processes of one life, from its spawn to the end of its group.
struct ServiceLife {
    pid_t pid = 0;         // main process while it runs
    pid_t pgid = 0;        // its process group, kept until the group is gone
    pid_t finish_pid = 0;  // finish script while it runs
    timespec spawned_at{};  // file clock before the spawn, for `ready-when file`
};

// One per service, for tend's whole life; its parts in the order of their
// lifetimes (see the glossary above).
struct ServiceRecord {
    // What the service is: read at load, never changed after.
    std::string name;
    std::string dir;  // a string, not a path: see config::ServiceConfig
    std::optional<config::ServiceConfig> config;
    std::string refusal;  // why it never starts (config error, dependency problem)
    bool primary = false;
    ResolvedService resolved;

    // Its place among the others, fixed at load. The dependencies are
    // views of the Supervisor's ServiceSet (service_set.hpp), which owns
    // them; valid for tend's life.
    std::span<const std::size_t> dependencies;  // indices
    std::span<const std::size_t> dependants;
    // Loggers (a v2 `log/` dir, an s6-rc pipeline): a producer's stdout is
    // the pipe its logger reads as stdin (ServiceIo's log pipe, held by the
    // logger's record). The producer depends on its logger, so the logger
    // starts first and is stopped after it (it drains).
    std::optional<std::size_t> logger;   // index of the service reading our stdout
    std::vector<std::size_t> producers;  // services whose stdout we read

    // Its state across lives.
    std::unique_ptr<ServiceMachine> machine;
    bool admin_stopped = false;  // `tend ctl stop`: stays down until `start`
    ServiceLife life;  // the current life's processes

    // Its fds with tend (output pipes, log pipe, readiness), made at load for
    // every configured service, at a fixed address (service_io.hpp).
    std::unique_ptr<ServiceIo> io;

    bool refused() const { return !refusal.empty(); }
};

class Supervisor : private JobHost {
public:
    Supervisor(sys::EventLoop& loop, const Clock& clock, ProcessOps& ops, SupervisorContext context);

    // Reads and checks every service dir. Never fails as a whole. `extra`:
    // service dirs from elsewhere (s6-overlay v3 longruns) with their
    // dependencies given instead of read from a `depends` file.
    struct ExtraServiceDir {
        std::filesystem::path dir;
        std::vector<std::string> depends;
        // s6-rc `producer-for`: the service whose stdin is this one's stdout.
        std::string producer_for = {};
    };
    // `services_dir_after`: names every service of services_dir also
    // depends on (s6-overlay: services.d starts after the `user` bundle).
    void load(const std::filesystem::path& services_dir, const std::vector<ExtraServiceDir>& extra = {},
              const std::vector<std::string>& services_dir_after = {});
    // Starts every service without a `down` file, respecting dependencies:
    // the first batch now, the rest from the event loop (see start_batch).
    void start_all();
    // start_all() has services left to start.
    bool starting() const { return next_to_start_ != kNothingToStart; }

    // A reaped child: returns false when it is none of ours. `failure`: the
    // child reported a failed step and never ran its program (its exit is
    // taken as a shell's 126 or 127).
    bool on_child_exit(pid_t pid, int wait_status, const std::optional<process::SpawnFailure>& failure = std::nullopt);
    // After a batch of reaps: notices process groups that emptied.
    void after_reap();
    // Delivers due deadlines.
    void on_timer();
    std::optional<TimePoint> next_deadline() const;

    // Shutdown: stops the primary services first, then the rest in reverse
    // dependency order as their dependants reach Down.
    void stop_primaries();
    bool primaries_down() const;
    void stop_all();
    bool all_down() const;

    bool has_primary() const;
    void signal_primaries(int signo);
    // Every started service is running and ready. Not started: refused
    // services, `down` ones and those waiting for a `down` dependency.
    bool all_ready() const;
    // Names of services that should be up but are not ready, for messages.
    std::vector<std::string> not_ready() const;

    // tend ctl, by service name: each acts and says what it did, or why it
    // did nothing, as data (admin.hpp); the ControlBridge words the answer.
    admin::StartOutcome admin_start(const std::string& name);
    admin::StopOutcome admin_stop(const std::string& name);
    admin::RestartOutcome admin_restart(const std::string& name);
    admin::OnceOutcome admin_once(const std::string& name);
    admin::SignalOutcome admin_signal(const std::string& name, int signo);
    // Held down: the service has a `down` file, or waits (directly or
    // through others) for a service that has one (ServiceSet).
    bool held_down(const ServiceRecord& record) const;
    // Every scheduled job disarmed without stopping a run (a crontab reload
    // waits for the runs), and armed again (a reload that could not happen).
    void hold_schedules();
    void release_schedules() { arm_schedules(); }
    bool scheduled_runs_going() const;
    // Scheduled services (a `schedule` file): status, run now, disarm, for `tend ctl`.
    Scheduler& scheduler() { return jobs_->scheduler(); }
    const Scheduler& scheduler() const { return jobs_->scheduler(); }
    const Jobs& jobs() const { return *jobs_; }

    // Loggers whose pipe still holds bytes, with how many (at exit).
    std::vector<std::pair<std::string, std::size_t>> unread_log_pipes() const;

    std::size_t size() const { return services_.size(); }
    const std::vector<ServiceRecord>& services() const { return services_; }

    // Called when a primary service's main process ended (exit code as the
    // shell reports it) or it could not be started; `reason` says which, for
    // "shutting down: <reason>" (e.g. "primary service php-fpm exited with code 3").
    // Both are called from the event loop (a deferred task), never from
    // inside the supervisor's own event handling: see notify().
    std::function<void(int code, const std::string& reason)> on_primary_exit;
    // Called after any service changed state (readiness, up, down).
    std::function<void()> on_change;

private:
    void prepare(ServiceRecord& record);
    // `paths`: builds the record's confinement, warns about what this kernel
    // cannot enforce, or refuses the service (paths-required, --require-landlock).
    void prepare_confinement(ServiceRecord& record);
    // The spawn failure as logged, with a hint when Landlock may be the cause.
    std::string spawn_failure_text(const ServiceRecord& record, const s6::ScriptStart& start,
                                   const std::string& script, const process::SpawnFailure& failure,
                                   bool name_script = true) const;
    // The ServiceSet of the loaded services: dependencies, their refusals.
    void resolve_dependencies();
    // The stored environment equal to `envp`, stored first if new.
    std::shared_ptr<const std::vector<std::string>> shared_environment(std::vector<std::string> envp);
    // The event queue (see drain()): dispatch posts and drains.
    void dispatch(ServiceRecord& record, const Event& event);
    void post(ServiceRecord& record, const Event& event);
    void drain();
    bool handle_event(ServiceRecord& record, const Event& event);
    // What Init hears, in order, from the event loop.
    struct Notice {
        enum class Kind { Changed, PrimaryExited } kind;
        int code = 0;
        std::string reason;
    };
    void notify(Notice notice);
    void deliver_notices();
    void primary_exited(int code, std::string reason);
    void execute(ServiceRecord& record, const Action& action);
    void spawn_main(ServiceRecord& record);
    void spawn_finish(ServiceRecord& record, const ExitInfo& exit);
    process::SpawnPlan base_plan(const ServiceRecord& record) const;
    std::optional<std::vector<std::string>> container_envp(const ServiceRecord& record,
                                                           const s6::ScriptStart& start) const;
    // Loggers: v2 `NAME/log` dirs become services named NAME-log; links
    // each producer to its logger (see ServiceRecord::logger).
    void link_loggers(const std::vector<std::pair<std::string, std::string>>& pipes);
    // The service's output pipes on the plan's fd 1 and 2, then the logger
    // pipe on its fd 0 (a logger, `with_stdin`) and fd 1 (a producer); false
    // when one cannot be made (logged). `run_ends`: an overlapping run's own
    // output pipes instead of the service's, their write ends put there to
    // close once the child is spawned (ServiceIo::attach_run_output).
    bool attach_pipes(ServiceRecord& record, process::SpawnPlan& plan, bool with_stdin,
                      std::vector<sys::UniqueFd>* run_ends = nullptr);
    // Who the service's pipes belong to: the user it runs as.
    static ServiceIo::Owner pipe_owner(const ServiceRecord& record);
    bool dependencies_ready(const ServiceRecord& record) const;
    void start_waiting();
    void start_batch();
    void continue_shutdown();
    ServiceRecord* find_service(const std::string& name);
    // Why no command can act on the service now (refused() false: none).
    admin::Outcome admin_refusal(const ServiceRecord* record) const;
    // `tend ctl start|stop|restart` of a scheduled service (supervisor_admin.cpp).
    admin::StartOutcome admin_run_now(ServiceRecord& record);
    admin::StopOutcome admin_disarm(ServiceRecord& record);
    admin::RestartOutcome admin_rearm(ServiceRecord& record);

    // Scheduled services (supervisor_schedule.cpp): Jobs decides, the
    // Supervisor answers it as its JobHost.
    static bool scheduled(const ServiceRecord& record) { return record.config && record.config->schedule; }
    std::size_t record_index(const ServiceRecord& record) const {
        return static_cast<std::size_t>(&record - services_.data());
    }
    bool service_ready(const ServiceRecord& record) const;
    void load_schedules();
    void load_crontab();
    void arm_schedules();
    RunState run_state(std::size_t service) const override;
    std::optional<std::string> unready_dependency(std::size_t service) const override;
    bool shutting_down() const override;
    bool start_run(std::size_t service) override;
    void stop_run(std::size_t service) override;
    void readiness_changed() override;
    std::optional<pid_t> start_overlapping_run(std::size_t service) override;
    void signal_overlapping_run(std::size_t service, pid_t pgid, int signo) override;

    sys::EventLoop& loop_;
    const Clock& clock_;
    ProcessOps& ops_;
    SupervisorContext context_;
    std::vector<ServiceRecord> services_;
    // The distinct service environments, for sharing (see ServiceRecord::envp).
    // Each with a hash of its strings, so that 1000 different ones are not
    // compared string by string.
    std::vector<std::pair<std::size_t, std::shared_ptr<const std::vector<std::string>>>> environments_;
    process::TendPrivileges tend_privileges_;  // what plan_identity weighs each service's files against
    std::optional<process::LandlockSupport> landlock_;  // asked at the first `paths`
    bool stopping_all_ = false;
    static constexpr std::size_t kStartBatch = 16;  // spawns between two looks at the event loop
    static constexpr std::size_t kNothingToStart = static_cast<std::size_t>(-1);
    std::size_t next_to_start_ = kNothingToStart;  // start_all()'s next service
    ServiceSet service_set_;  // the dependencies, resolved at load
    struct PendingEvent {
        std::size_t service;
        Event event;
    };
    std::deque<PendingEvent> pending_;
    bool draining_ = false;
    bool changed_ = false;  // a state or readiness changed since drain() last looked
    std::vector<Notice> notices_;
    bool delivery_scheduled_ = false;

    std::unique_ptr<Jobs> jobs_;  // the scheduled services
};

}  // namespace tend::core
