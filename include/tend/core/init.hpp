// tend as an init: the stages of docs/behaviour.md around one event loop. Which phase
// comes next, every timeout and the exit code are decided by InitSequence
// (init_sequence.hpp, pure); Init owns the processes and carries out its
// actions.
//
// Phases:
//   ContInit          cont-init scripts, one at a time, as tend's user
//   Running           services supervised; the CMD runs (after --wait-ready)
//   StoppingPrimary   the CMD got the shutdown signal, primary services their
//                     down-signal; SIGKILL after --services-grace
//   StoppingServices  services stop in reverse dependency order
//   ContFinish        cont-finish scripts, each bounded by --finish-timeout
//   KillAll           SIGTERM to everything left (kill(-1) only as PID 1;
//                     a helper per uid tend may not signal, see final_sweep);
//                     after --kill-grace PID 1 exits (the namespace ends
//                     with it), a subreaper SIGKILLs and waits once more
//   Done              exit with the primary's code
//
// Setup (before run()) may fail loudly and exit. From run() on, everything runs
// inside the event loop, whose guard catches what a handler throws: errors are
// logged with their cause and the loop goes on; out of memory starts a
// graceful shutdown (on_loop_failure).
// Each phase ends as soon as there is nothing left to wait for.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <deque>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/config/options.hpp"
#include "tend/control/commands.hpp"
#include "tend/control/server.hpp"
#include "tend/core/control_bridge.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/init_sequence.hpp"
#include "tend/core/process_ops.hpp"
#include "tend/core/supervisor.hpp"
#include "tend/log/output_router.hpp"
#include "tend/process/environment.hpp"
#include "tend/s6/overlay.hpp"
#include "tend/sys/event_loop.hpp"

namespace tend::core {

class Init {
public:
    // Setup phase: signal fd, event loop, environment snapshot. Returns an
    // error message when tend cannot run at all.
    static std::expected<std::unique_ptr<Init>, std::string> create(config::Options options, char** envp);

    ~Init();

    // Runs every stage and returns tend's exit code.
    int run();

    // `tend ctl halt [CODE]`: graceful shutdown, then exit with `code`
    // (even when a CMD or primary ends otherwise, as s6-overlay's halt).
    void halt(int code, uid_t uid);

private:
    Init(config::Options options, sys::EventLoop loop, sys::UniqueFd signal_fd, process::Environment container_env);

    void start_stages();
    void on_loop_failure(const sys::EventLoop::Failure& failure);
    void on_signal();
    void on_sigchld();
    // Reaps every exited child: uid helpers, the CMD, scripts, services.
    void reap();
    void on_timer();
    void rearm_timer();

    void start_next_script();
    void script_exited(int wait_status);
    void cmd_exited(int wait_status, const std::optional<process::SpawnFailure>& failure);
    void enter_running();
    void maybe_start_cmd();
    void start_cmd();
    void attach_cmd_output(process::SpawnPlan& plan, sys::UniqueFd (&output_write)[2]);
    void drain_output();
    // `reason` completes "shutting down: ..." (e.g. "CMD exited with code 3").
    void primary_exited(int code, const std::string& reason);
    // The phases and the exit code are decided by sequence_ (InitSequence,
    // pure): post() queues an event for it; drain() hands the queue over one
    // event at a time, carries out its actions (which may post more) and then
    // sends Progress until the phase stays. An event posted from inside an
    // action waits for its turn: the sequence is never re-entered.
    void post(InitEvent event);
    void drain();
    void carry_out(const std::vector<InitAction>& actions);
    InitFacts facts() const;
    void advance_shutdown();
    void final_sweep(int signo);
    void on_kill_grace_end();
    // tend used like tini (no service, no script at all): the lines about
    // why it stops and its exit code are debug, so it prints nothing.
    bool plain_init() const;
    void say(const std::string& message) const;  // info, or debug when plain_init()
    void open_control();
    std::optional<std::string> control_state() const;

    config::Options options_;
    sys::EventLoop loop_;
    sys::UniqueFd signal_fd_;
    sys::UniqueFd log_fd_;  // non-blocking view of stderr for tend's own messages
    process::Environment container_env_;
    MonotonicClock clock_;
    process::ChildWatch children_{loop_, clock_};  // every child tend starts, watched from the loop
    SystemProcessOps ops_{children_};
    std::unique_ptr<log::OutputRouter> router_;
    std::unique_ptr<Supervisor> supervisor_;
    bool is_pid1_ = false;

    InitSequence sequence_{InitSettings{}};
    std::deque<InitEvent> pending_;  // posted, not yet handed to sequence_
    bool draining_ = false;
    std::vector<std::filesystem::path> scripts_;  // of the current script phase
    std::size_t next_script_ = 0;
    pid_t script_pid_ = 0;

    pid_t cmd_pid_ = 0;
    std::optional<process::IdentityChange> cmd_identity_;  // with --cmd-user
    const process::IdentityChange* cmd_owner() const { return cmd_identity_ ? &*cmd_identity_ : nullptr; }
    std::optional<log::OutputRouter::WriterId> cmd_writer_;  // with --cmd-user and stdio not a terminal
    bool children_left_ = true;
    std::size_t unsignalled_ = 0;  // processes of the last sweep no helper could reach
    std::size_t sweep_helpers_ = 0;  // helpers of the last sweep not reaped yet
    std::size_t sweep_helper_processes_ = 0;  // the processes those helpers are to signal
    bool plain_ = false;           // no service, no script, no crontab: see plain_init()

    // s6-overlay (s6/overlay.hpp answers; init_s6.cpp runs what it adds:
    // S6_STAGE2_HOOK and the oneshots that wait for services).
    s6::Overlay s6_{options_.s6_tree};
    void on_halt_request(const signalfd_siginfo& info);
    void list_cont_init_scripts();
    bool start_stage2_hook();               // S6_STAGE2_HOOK: true when it runs
    void stage2_hook_exited(int wait_status);
    pid_t hook_pid_ = 0;
    s6::ScriptStart script_start_;  // of the script running now, for a failed start's message
    bool late_oneshots_pending() const;
    void maybe_run_late_oneshot();
    void late_oneshot_exited(int wait_status);
    void late_oneshot_finished(const s6::S6rcOneshot& oneshot, const ExitInfo& exit);
    pid_t late_pid_ = 0;
    std::size_t next_late_ = 0;  // late oneshots started
    bool late_oneshot_halted_ = false;  // one failed with S6_BEHAVIOUR_IF_STAGE2_FAILS=2
    std::vector<Supervisor::ExtraServiceDir> s6rc_services() const;  // v3 longruns
    void arm_s6rc_script_timeout();  // after a script started: its timeout-up/-down
    std::size_t cont_init_started_ = 0;  // cont-init scripts (oneshots included) started
    // The supercronic applet's reload (init_crontab.cpp): SIGUSR2 or, with
    // watch_crontab, a change of the file. tend executes itself again once
    // no job runs, so the new crontab starts from a clean slate.
    void request_crontab_reload(std::string_view why);
    void maybe_reload_crontab();
    void watch_crontab();
    void on_crontab_changed();
    bool reload_pending_ = false;
    sys::UniqueFd crontab_watch_;  // inotify, with watch_crontab

    // Control socket; declared last so it closes (and its socket file goes)
    // before the supervisor it reports on.
    std::unique_ptr<ControlBridge> control_bridge_;
    std::unique_ptr<control::CommandHandler> control_handler_;
    std::unique_ptr<control::ControlServer> control_;
};

}  // namespace tend::core
