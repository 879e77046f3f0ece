// How tend starts a script of an s6 tree, decided once from the file.
//
// A service's `run` and `finish`, a cont-init script and a oneshot's
// `up`/`down` are read by PID 1 exactly once (when the service is loaded, or
// when the script is about to run): opened O_NONBLOCK, checked with fstat to
// be a regular file (a FIFO or device is refused, naming the file), at most
// 64 KiB read. What a start does is then fixed in a ScriptStart; no start
// opens the file again, so a service that replaces its own script later
// (a FIFO, a new shebang) changes nothing tend does.
//
// The decisions, by what the file is:
//  - a with-contenv shebang (`#!/usr/bin/with-contenv bash`): tend execs the
//    rest of the line itself with the script's path and, as with-contenv
//    does, the container environment. That environment is granted only from
//    a file no one but root (or tend's own uid) can change: the file owned
//    by root or tend's euid and not writable by group or others, and every
//    directory above it (of its path and of the file it resolves to) owned
//    by root or tend's euid and not writable by group or others unless
//    sticky. Otherwise the script runs with the service's own environment
//    and a warning says why;
//  - execline (a oneshot's up/down, read as `execlineb -P`; an execlineb
//    shebang, read with its options): tend carries it out itself when it
//    can build exactly execlineb's argv and environment (execline.hpp), and
//    a command word naming one of tend's applets runs tend's own applet
//    (this binary with that argv[0]), never a same-named program on PATH.
//    Otherwise a real execlineb runs it (the shebang's, else /command's,
//    else PATH's); with none, the script is refused naming the construct;
//  - any other shebang on a file without an execute bit: run through it;
//  - anything else: exec'd as it is.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tend/s6/execline.hpp"
#include "tend/s6/shebang.hpp"
#include "tend/process/spawn.hpp"

namespace tend::s6 {

enum class ScriptRole {
    Service,   // run or finish
    ContInit,  // cont-init.d / cont-finish.d
    Oneshot,   // s6-rc up/down: execline, run as `execlineb -P`
};

// An execline script's start: what tend carries out, or hands to a real
// execlineb.
struct ExeclinePlan {
    ExeclineScript words;
    ExeclinebOptions options;
    std::string execlineb;                    // a real execlineb for what tend cannot do exactly, or empty
    std::vector<std::string> execlineb_args;  // its options (from the shebang)
};

struct ScriptStart {
    enum class How {
        Exec,         // exec the file itself
        Interpreter,  // exec `command` + script + args (a #! tend runs)
        Execline,     // tend carries the execline out (or hands it to `execlineb`)
        Refused,
    };
    How how = How::Exec;
    std::string script;
    ScriptRole role = ScriptRole::Service;
    std::vector<std::string> command;       // Interpreter: the words before the script
    bool container_env = false;             // a with-contenv shebang from a trusted file
    // Execline only, behind a pointer: every service keeps its ScriptStart,
    // and most are not execline.
    std::shared_ptr<const ExeclinePlan> execline;
    std::string refusal;                    // Refused: the whole message (names the file)
    std::vector<std::string> warnings;      // said once, at load
    std::optional<Shebang> shebang;         // for messages after a failed exec
};

// Reads `script` once (see above) and decides. `path` is the PATH used to
// look for execlineb. Never throws.
ScriptStart decide_script_start(const std::filesystem::path& script, ScriptRole role, const std::string& path);

// The plan for one start: plan.envp is the environment the script gets
// without with-contenv; `args` follow the script (a finish's exit code and
// signal); `contenv_envp` is what a granted with-contenv gives. Pure apart
// from looking programs up on PATH (stat, never open). Returns false when
// the script does nothing (an execline file of comments): the caller treats
// it as an immediate success. An error names the script and the cause.
std::expected<bool, std::string> apply_script_start(const ScriptStart& start, process::SpawnPlan& plan,
                                                    const std::vector<std::string>& args,
                                                    const std::optional<std::vector<std::string>>& contenv_envp,
                                                    const std::string& default_path);

// This binary, for running an applet: resolved once.
const std::string& own_executable();

// The message for a failed start: "run: interpreter /usr/bin/foo not found"
// when exec said ENOENT and the script's shebang names a missing
// interpreter (the script's name first when name_script), else
// failure.message(). From what was read at load: the file is not read again.
std::string describe_spawn_failure(const ScriptStart& start, const process::SpawnFailure& failure,
                                   bool name_script = true);

// `tend check`: why `script` (a cont-init/cont-finish script, a run or
// finish) would not start, found without starting it: the plan a start makes
// (decide_script_start, apply_script_start), then what exec would find at its end (the program, or
// the interpreter of the kernel's #! line). Nothing when it would start.
std::optional<std::string> script_start_problem(const std::filesystem::path& script, ScriptRole role,
                                                const std::vector<std::string>& envp,
                                                const std::string& default_path);

}  // namespace tend::s6
