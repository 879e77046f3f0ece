// What Init asks of s6-overlay, and all it gets back: the one header of s6/
// that core's Init includes.
//
// Init runs the stages (scripts, services, the CMD) and spawns every
// process; Overlay answers the s6-overlay questions on the way, and on a
// tree that is not s6-overlay's (options.s6_tree false, decided once by
// s6/tree.hpp while the options are parsed) every answer is the plain one:
// no runtime files, no s6-rc tree, no exit-code files. The questions, in the
// order a container's life asks them:
//   - start: the runtime files s6-overlay scripts expect (/command first on
//     PATH, /run/s6/container_environment, /run/s6/basedir/bin/halt, the
//     last life's exit-code files removed);
//   - after S6_STAGE2_HOOK: the container environment as the hook left it;
//   - the s6-rc tree (s6rc.hpp): the oneshots' `up` after cont-init.d, how
//     each script is read (a oneshot's is execline), its timeout, the
//     longruns as service dirs, the oneshots that wait for services and
//     whether what they wait for is ready, the `down` scripts at shutdown;
//   - a script's start: decided once from the file (script_plan.hpp, whose
//     ScriptStart Init keeps for a failed start's message);
//   - the halt signal of the `halt` applet, and at the end the exit code the
//     s6-overlay exit-code files give.
// `tend check` (core/check.cpp) asks through this header too: the s6-rc
// tree's findings instead of its log lines, and each script's start problem.
#pragma once

#include <sys/signalfd.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/process/environment.hpp"
#include "tend/s6/s6rc.hpp"
#include "tend/s6/script_plan.hpp"

namespace tend::s6 {

class Overlay {
public:
    explicit Overlay(bool s6_tree = false) : active_(s6_tree) {}
    bool active() const { return active_; }

    // ---- start-up and the container environment ----------------------------

    // The runtime files (see above); puts /command first on `default_path`
    // and on the container environment's PATH when /command exists. What
    // cannot be written is said at debug level: tend runs on without it.
    void prepare_runtime(process::Environment& container_env, std::string& default_path);
    // /run/s6/container_environment read back into `container_env` (after
    // S6_STAGE2_HOOK, which may write there); unchanged when it was never
    // written or cannot be read (warned).
    void reread_container_environment(process::Environment& container_env) const;

    // ---- halting from inside ------------------------------------------------

    // The `halt` applet's signal (SIGRTMIN+3), in every tree.
    static bool is_halt_signal(int signo);
    struct HaltRequest {
        std::optional<int> code;  // the code it carries, if any
        std::string reason;       // "halt with exit code 3 requested by pid 42 (uid 0)"
    };
    static HaltRequest halt_request(const signalfd_siginfo& info);
    // v3's exitcode file, else v2's S6_STAGE2_EXITED; nothing outside s6 trees.
    std::optional<int> exit_code_from_files() const;

    // ---- the s6-rc tree ---------------------------------------------------

    // Reads /etc/s6-overlay (s6 trees only; its warnings and errors are
    // logged) and appends the oneshots' `up` scripts to `scripts` (cont-init.d's).
    void append_oneshot_ups(std::vector<std::filesystem::path>& scripts);
    // At shutdown, to run before cont-finish.d: the `down` of every oneshot
    // whose `up` was started, newest first. `scripts_started`: scripts of the
    // cont-init list started; `late_started`: late oneshots started.
    std::vector<std::filesystem::path> down_scripts(std::size_t scripts_started, std::size_t late_started) const;
    // How a script of the cont-init/cont-finish lists is read: a oneshot's
    // `up`/`down` is execline (execlineb -P).
    ScriptRole script_role(const std::filesystem::path& script) const;
    // A oneshot's timeout-up (`up`: the script ran in cont-init) or
    // timeout-down: s6-rc kills the script after it.
    struct Deadline {
        std::chrono::milliseconds after;
        std::string reason;  // "timeout-up of 2s passed"
    };
    std::optional<Deadline> script_deadline(const std::filesystem::path& script, bool up) const;
    // The longruns as service dirs, with the dependencies s6-overlay gives
    // them (services.d's services for one that starts after legacy-services).
    struct LongrunDir {
        std::filesystem::path dir;
        std::vector<std::string> depends;
        std::string producer_for;  // s6-rc pipeline: the consumer, or empty
    };
    std::vector<LongrunDir> longrun_dirs(const std::filesystem::path& services_dir) const;
    // What services.d waits for: the `user` bundle's longruns.
    std::vector<std::string> user_longruns() const;
    // Oneshots that run once the services they wait for are ready, before the CMD.
    const std::vector<S6rcOneshot>& late_oneshots() const { return s6rc_.late_oneshots; }
    // A supervised service as a late oneshot's wait sees it.
    struct ServiceView {
        std::string_view name;
        std::filesystem::path dir;
        bool will_not_start = false;  // refused, or held down: never waited for
        bool ready = false;
    };
    // Met when each service it waits for is ready, or will never be.
    bool waits_met(const S6rcOneshot& oneshot, const std::vector<ServiceView>& services,
                   const std::filesystem::path& services_dir) const;

    // ---- tend check -----------------------------------------------------------

    // The s6-rc tree as start reads it (s6 trees only), reported instead of
    // logged: its errors, and each oneshot `up`/`down` that would not start
    // (script_start_problem, with `envp` and `default_path`), are problems;
    // its warnings are warnings. longrun_dirs() answers from it afterwards.
    struct Findings {
        std::vector<std::string> problems;  // each "FILE: what is wrong"
        std::vector<std::string> warnings;
    };
    Findings check_s6rc(const std::vector<std::string>& envp, const std::string& default_path);

    // ---- S6_STAGE2_HOOK -----------------------------------------------------

    // Its words as one line, for messages.
    static std::string hook_text(const std::vector<std::string>& words);

private:
    bool active_ = false;
    bool container_env_written_ = false;
    S6rcPlan s6rc_;
    std::size_t first_up_ = 0;  // index of the first oneshot `up` in the cont-init list
};

}  // namespace tend::s6
