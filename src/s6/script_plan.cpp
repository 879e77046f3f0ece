#include "tend/s6/script_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/s6/applet_names.hpp"
#include "tend/s6/keep_env.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/find_in_path.hpp"

namespace tend::s6 {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxScriptBytes = 64 * 1024;

std::optional<std::string> value_in(const std::vector<std::string>& envp, std::string_view name) {
    for (const auto& entry : envp)
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
            return entry.substr(name.size() + 1);
    return std::nullopt;
}

bool trusted_owner(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

// Every directory from `dir` up to / owned by root or tend's euid and not
// writable by group or others unless sticky: no other uid can swap what is
// below. Empty when so, else what is wrong.
std::string untrusted_directory(fs::path dir) {
    for (int depth = 0; depth < 64; ++depth) {
        struct stat status {};
        if (::lstat(dir.c_str(), &status) != 0) return dir.string() + ": " + std::strerror(errno);
        if (!trusted_owner(status.st_uid)) return dir.string() + " is owned by uid " + std::to_string(status.st_uid);
        if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (status.st_mode & S_ISVTX) == 0)
            return dir.string() + " is writable by group or others";
        if (dir == dir.root_path() || !dir.has_parent_path()) return {};
        dir = dir.parent_path();
    }
    return {};
}

// Why a with-contenv shebang read from this file must not grant the
// container environment, or empty when it may.
std::string untrusted_script(const fs::path& script, int fd, const struct stat& status) {
    if (!trusted_owner(status.st_uid))
        return "it is owned by uid " + std::to_string(status.st_uid);
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "it is writable by group or others";
    std::error_code error;
    fs::path parent = fs::absolute(script, error).parent_path();
    fs::path dir = fs::canonical(parent, error);
    if (error) return "its directory cannot be resolved: " + error.message();
    if (auto why = untrusted_directory(dir); !why.empty()) return why;
    // The file itself, when `script` is a symlink: where it really lives.
    fs::path real = fs::read_symlink("/proc/self/fd/" + std::to_string(fd), error);
    if (error) return "its real path cannot be read: " + error.message();
    return untrusted_directory(real.parent_path());
}

std::optional<std::string> find_execlineb(const std::optional<Shebang>& shebang, const std::string& path) {
    if (shebang && classify_interpreter(shebang->interpreter) == InterpreterKind::Execlineb &&
        ::access(shebang->interpreter.c_str(), X_OK) == 0)
        return shebang->interpreter;
    return process::find_in_path("execlineb", "/command:" + path);
}

// A program name as execvp would find it in `path`, except that an applet
// name is this binary. Unfound: nothing.
std::optional<std::string> resolve_program(const std::string& name, const std::string& path) {
    if (name.find('/') != std::string::npos) return name;
    if (applet_for(name)) return own_executable();
    return process::find_in_path(name, path);
}

void set_variable(std::vector<std::string>& envp, const std::string& name, const std::optional<std::string>& value) {
    const std::string prefix = name + "=";
    std::erase_if(envp, [&](const std::string& entry) { return entry.starts_with(prefix); });
    if (value) envp.push_back(prefix + *value);
}

// A program an execline script names that has no execute bit but a #! line
// (linuxserver.io's `up` names scripts the image may not have made
// executable; s6-overlay chmods them at boot): that line. Read without
// blocking, regular files only.
std::optional<Shebang> shebang_of_unexecutable(const std::string& program) {
    int fd = ::open(program.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return std::nullopt;
    struct stat status {};
    std::optional<Shebang> shebang;
    if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && (status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
        char head[512];
        ssize_t n = ::read(fd, head, sizeof head);
        if (n > 0) shebang = parse_shebang(std::string_view(head, static_cast<std::size_t>(n)));
    }
    ::close(fd);
    return shebang;
}

}  // namespace

const std::string& own_executable() {
    static const std::string self = [] {
        char buffer[4096];
        ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
        if (n <= 0) return std::string("/proc/self/exe");
        return std::string(buffer, static_cast<std::size_t>(n));
    }();
    return self;
}

ScriptStart decide_script_start(const fs::path& script, ScriptRole role, const std::string& path) {
    ScriptStart start;
    start.script = script.string();
    start.role = role;
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    int fd = ::open(start.script.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return start;  // exec reports what is wrong, naming the file
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        start.how = ScriptStart::How::Refused;
        start.refusal = start.script + ": not a regular file (" +
                        (S_ISFIFO(status.st_mode) ? "a FIFO" : S_ISDIR(status.st_mode) ? "a directory" : "a device or socket") +
                        "); refused";
        return start;
    }
    std::string content(kMaxScriptBytes, '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::read(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    content.resize(done);
    start.shebang = parse_shebang(content);
    // Only a with-contenv shebang needs to know who may change the file.
    const bool contenv_shebang =
        role == ScriptRole::Service && start.shebang &&
        classify_interpreter(start.shebang->interpreter) == InterpreterKind::WithContenv;
    const std::string untrusted = contenv_shebang ? untrusted_script(script, fd, status) : std::string();
    ::close(fd);
    const bool executable_bit = (status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;

    auto as_execline = [&](ExeclinebOptions options, std::vector<std::string> execlineb_args) {
        start.how = ScriptStart::How::Execline;
        auto plan = std::make_shared<ExeclinePlan>(ExeclinePlan{parse_execline(content), options,
                                                                 find_execlineb(start.shebang, path).value_or(""),
                                                                 std::move(execlineb_args)});
        start.execline = plan;
        ExeclineDecision decision = carry_out_execline(plan->words, options, start.script, {}, {});
        if (!decision.exec && plan->execlineb.empty()) {
            start.how = ScriptStart::How::Refused;
            start.refusal = start.script + ": uses " + decision.needs_execlineb +
                            ", which only execlineb can run, and there is none " +
                            (start.shebang ? "at " + start.shebang->interpreter + ", " : std::string()) +
                            "in /command or on PATH";
        }
    };

    if (role == ScriptRole::Oneshot) {
        as_execline({ExeclinebOptions::Positional::None, 0, {}}, {"-P"});
        return start;
    }
    if (!start.shebang) return start;
    switch (classify_interpreter(start.shebang->interpreter)) {
        case InterpreterKind::WithContenv:
            if (start.shebang->words.empty()) return start;  // exec reports it
            start.how = ScriptStart::How::Interpreter;
            start.command = start.shebang->words;
            start.container_env = untrusted.empty();
            if (!untrusted.empty())
                start.warnings.push_back(start.script + ": with-contenv shebang not honoured (" + untrusted +
                                         ", so another uid could change it); it runs with the service's own "
                                         "environment, without the container's");
            return start;
        case InterpreterKind::Execlineb: {
            std::vector<std::string> args;
            if (start.shebang->argument) args.push_back(*start.shebang->argument);
            std::string error;
            auto options = parse_execlineb_options(args, &error);
            if (!options) {
                if (find_execlineb(start.shebang, path)) return start;  // execlineb says what is wrong
                start.how = ScriptStart::How::Refused;
                start.refusal = start.script + ": execlineb option: " + error;
                return start;
            }
            as_execline(*options, std::move(args));
            return start;
        }
        case InterpreterKind::Other:
            if (!executable_bit) {
                // What the kernel does with `#!INTERPRETER [ARGUMENT]`; s6-overlay
                // chmods such scripts at boot.
                start.how = ScriptStart::How::Interpreter;
                start.command = {start.shebang->interpreter};
                if (start.shebang->argument) start.command.push_back(*start.shebang->argument);
            }
            return start;
    }
    return start;
}

std::expected<bool, std::string> apply_script_start(const ScriptStart& start, process::SpawnPlan& plan,
                                                    const std::vector<std::string>& args,
                                                    const std::optional<std::vector<std::string>>& contenv_envp,
                                                    const std::string& default_path) {
    auto with_args = [&](std::vector<std::string> argv) {
        argv.push_back(start.script);
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    };
    switch (start.how) {
        case ScriptStart::How::Refused: return std::unexpected(start.refusal);
        case ScriptStart::How::Exec:
            plan.executable = start.script;
            plan.argv = with_args({});
            return true;
        case ScriptStart::How::Interpreter: {
            if (start.container_env && contenv_envp &&
                !keep_env_requested(value_in(plan.envp, "S6_KEEP_ENV").value_or("").c_str()))
                plan.envp = *contenv_envp;
            const std::string path = value_in(plan.envp, "PATH").value_or(default_path);
            plan.argv = with_args(start.command);
            plan.executable = resolve_program(start.command.front(), path).value_or(start.command.front());
            return true;
        }
        case ScriptStart::How::Execline: break;
    }
    const ExeclinePlan& execline = *start.execline;
    ExeclineDecision decision = carry_out_execline(execline.words, execline.options, start.script, args, plan.envp);
    std::string path = "/command:" + value_in(plan.envp, "PATH").value_or(default_path);
    if (start.role == ScriptRole::Oneshot) path += ":/etc/s6-overlay/scripts";
    if (decision.exec) {
        if (decision.exec->argv.empty()) return false;  // comments only: done, successfully
        auto program = resolve_program(decision.exec->argv.front(), path);
        // A program only execlineb's own PATH has (Debian puts execline's
        // programs in /usr/lib/execline/bin): let execlineb look.
        if (program || execline.execlineb.empty()) {
            plan.executable = program.value_or(decision.exec->argv.front());  // unfound: exec names it
            plan.argv = std::move(decision.exec->argv);
            for (const auto& [name, value] : decision.exec->env) set_variable(plan.envp, name, value);
            if (auto shebang = program ? shebang_of_unexecutable(*program) : std::nullopt) {
                log::warn("{}: not executable; run through its #! line (s6-overlay makes it executable at boot; "
                          "chmod +x it in the image)",
                          *program);
                std::vector<std::string> argv{shebang->interpreter};
                if (shebang->argument) argv.push_back(*shebang->argument);
                argv.push_back(*program);
                argv.insert(argv.end(), plan.argv.begin() + 1, plan.argv.end());
                plan.executable = shebang->interpreter;
                plan.argv = std::move(argv);
            }
            return true;
        }
    } else if (execline.execlineb.empty()) {
        return std::unexpected(start.script + ": uses " + decision.needs_execlineb +
                               ", which only execlineb can run, and there is none in /command or on PATH");
    }
    plan.executable = execline.execlineb;
    std::vector<std::string> argv{execline.execlineb};
    argv.insert(argv.end(), execline.execlineb_args.begin(), execline.execlineb_args.end());
    plan.argv = with_args(std::move(argv));
    return true;
}

std::string describe_spawn_failure(const ScriptStart& start, const process::SpawnFailure& failure, bool name_script) {
    if (failure.stage != process::SpawnStage::Exec || failure.error != ENOENT) return failure.message();
    // The script's interpreter exists, but is a script whose own interpreter
    // does not (Debian's /usr/bin/execlineb wrapper without its binary): the
    // process layer named that one.
    if (!failure.reason.empty() && failure.detail != start.script) return failure.message();
    const std::string prefix = name_script ? fs::path(start.script).filename().string() + ": " : "";
    switch (start.how) {
        case ScriptStart::How::Execline:
            if (start.execline && !start.execline->words.argv.empty())
                return prefix + "program " + start.execline->words.argv.front() + " not found";
            return failure.message();
        case ScriptStart::How::Interpreter:
            return prefix + "interpreter " + start.command.front() + " not found";
        case ScriptStart::How::Exec:
            if (start.shebang) return prefix + "interpreter " + start.shebang->interpreter + " not found";
            return failure.message();
        case ScriptStart::How::Refused:
            return start.refusal;
    }
    return failure.message();
}

}  // namespace tend::s6

namespace tend::s6 {
namespace {

// What execve would say about `file` as a program: nothing when it would run.
std::optional<std::string> exec_problem(const std::string& file) {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) return std::string(std::strerror(errno));
    if (!S_ISREG(status.st_mode)) return std::string("not a regular file");
    if (::access(file.c_str(), X_OK) != 0) return std::string("not executable");
    return std::nullopt;
}

}  // namespace

std::optional<std::string> script_start_problem(const std::filesystem::path& script, ScriptRole role,
                                                const std::vector<std::string>& envp,
                                                const std::string& default_path) {
    // The decision and plan a start makes (decide_script_start and
    // apply_script_start, as at load and start), then what exec would find
    // at its end: the program, or the kernel's #! line.
    std::string path = default_path;
    for (const auto& entry : envp)
        if (entry.starts_with("PATH=")) path = entry.substr(5);
    const ScriptStart start = decide_script_start(script, role, path);
    if (start.how == ScriptStart::How::Refused) {
        // The refusal names the file; the caller does too.
        const std::string named = script.string() + ": ";
        return start.refusal.starts_with(named) ? start.refusal.substr(named.size()) : start.refusal;
    }
    process::SpawnPlan plan;
    plan.executable = script.string();
    plan.argv = {plan.executable};
    plan.envp = envp;
    auto applied = apply_script_start(start, plan, {}, std::nullopt, default_path);
    if (!applied) return applied.error();
    if (!*applied) return std::nullopt;  // an execline file of comments: does nothing, succeeds
    if (plan.executable.find('/') == std::string::npos)
        return describe_spawn_failure(start, {process::SpawnStage::Exec, ENOENT, {}, {}}, false);
    if (plan.executable != script.string()) {
        if (auto problem = exec_problem(plan.executable)) return plan.executable + ": " + *problem;
        return std::nullopt;
    }
    if (auto problem = exec_problem(plan.executable)) return *problem;
    if (!start.shebang) return std::nullopt;  // a binary, or a script the shell runs
    const std::string& interpreter = start.shebang->interpreter;
    if (::access(interpreter.c_str(), F_OK) != 0 && errno == ENOENT)
        return describe_spawn_failure(start, {process::SpawnStage::Exec, ENOENT, {}, {}}, false);
    if (auto problem = exec_problem(interpreter)) return "interpreter " + interpreter + ": " + *problem;
    return std::nullopt;
}

}  // namespace tend::s6
