#include "tend/compat/script_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/compat/applets.hpp"
#include "tend/compat/s6_keep_env.hpp"
#include "tend/compat/shebang.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/find_in_path.hpp"

namespace tend::compat {
namespace {

constexpr std::size_t kMaxScriptBytes = 64 * 1024;

std::optional<std::string> read_head(const std::string& path, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string content(limit, '\0');
    std::size_t done = 0;
    while (done < limit) {
        ssize_t n = ::read(fd, content.data() + done, limit - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    content.resize(done);
    return content;
}

std::optional<std::string> value_in(const std::vector<std::string>& envp, std::string_view name) {
    for (const auto& entry : envp)
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
            return entry.substr(name.size() + 1);
    return std::nullopt;
}

std::optional<std::string> own_executable() {
    char buffer[4096];
    ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
}

// A program name as execvp would find it in `path`, except that an applet
// name is this binary. Unfound: the name, so exec fails with ENOENT and the
// message names it.
std::string resolve_program(const std::string& name, const std::string& path) {
    if (name.find('/') != std::string::npos) return name;
    // s6-overlay puts /command first on PATH: its `halt` wins over a distro's
    // /sbin/halt (systemctl), and tend's applets take that place.
    if (applet_for(name))
        if (auto self = own_executable()) return *self;
    return process::find_in_path(name, path).value_or(name);
}

// A regular file with no execute bit: exec would say EACCES.
bool lacks_execute_bit(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
           (status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0;
}

// What the kernel does with `#!INTERPRETER [ARGUMENT]`, for a script it will
// not exec itself (no execute bit; s6-overlay chmods such scripts at boot).
void exec_through_shebang(process::SpawnPlan& plan, const Shebang& shebang) {
    std::vector<std::string> argv{shebang.interpreter};
    if (shebang.argument) argv.push_back(*shebang.argument);
    argv.push_back(plan.executable);
    for (std::size_t i = 1; i < plan.argv.size(); ++i) argv.push_back(plan.argv[i]);
    plan.executable = shebang.interpreter;
    plan.argv = std::move(argv);
}

bool is_oneshot_script(const std::filesystem::path& file) {
    auto name = file.filename();
    if (name != "up" && name != "down") return false;
    auto type = read_head((file.parent_path() / "type").string(), 64);
    return type && type->starts_with("oneshot");
}

// s6-rc runs a oneshot's up/down with `execlineb -P`. One plain command is
// exec'd directly; anything else needs execlineb from /command or PATH. A
// missing execlineb leaves the bare name, so exec fails with ENOENT and
// describe_spawn_failure explains.
void adapt_oneshot_plan(process::SpawnPlan& plan, const std::string& content, const std::string& default_path) {
    std::string path = "/command:" + value_in(plan.envp, "PATH").value_or(default_path) + ":/etc/s6-overlay/scripts";
    auto words = split_execline(content);
    if (!words.error && words.simple && !words.words.empty()) {
        plan.executable = resolve_program(words.words.front(), path);
        plan.argv = std::move(words.words);
        // linuxserver.io's `up` names a script under s6-rc.d that the image
        // may not have made executable.
        if (lacks_execute_bit(plan.executable)) {
            auto head = read_head(plan.executable, 512);
            if (auto shebang = head ? parse_shebang(*head) : std::nullopt) {
                log::warn("{}: not executable; run through its #! line (s6-overlay makes it executable at boot; "
                          "chmod +x it in the image)",
                          plan.executable);
                adapt_script_plan(plan, std::nullopt, default_path);
                if (plan.executable == plan.argv.front() && lacks_execute_bit(plan.executable))
                    exec_through_shebang(plan, *shebang);
            }
        }
        return;
    }
    std::string script = plan.executable;
    plan.executable = resolve_program("execlineb", path);
    plan.argv = {"execlineb", "-P", script};
}

}  // namespace

void adapt_script_plan(process::SpawnPlan& plan, const std::optional<std::vector<std::string>>& contenv_envp,
                       const std::string& default_path) {
    auto head = read_head(plan.executable, kMaxScriptBytes);
    if (!head) return;
    if (is_oneshot_script(plan.executable)) return adapt_oneshot_plan(plan, *head, default_path);
    auto shebang = parse_shebang(*head);
    if (!shebang) return;
    const std::string script = plan.executable;
    switch (classify_interpreter(shebang->interpreter)) {
        case InterpreterKind::Other:
            if (lacks_execute_bit(script)) exec_through_shebang(plan, *shebang);
            return;
        case InterpreterKind::WithContenv: {
            if (shebang->words.empty()) return;  // exec reports it
            const bool keep = keep_env_requested(value_in(plan.envp, "S6_KEEP_ENV").value_or("").c_str());
            if (!keep && contenv_envp) plan.envp = *contenv_envp;
            std::vector<std::string> argv = shebang->words;
            argv.push_back(script);
            for (std::size_t i = 1; i < plan.argv.size(); ++i) argv.push_back(plan.argv[i]);
            plan.executable = resolve_program(argv.front(), value_in(plan.envp, "PATH").value_or(default_path));
            plan.argv = std::move(argv);
            return;
        }
        case InterpreterKind::Execlineb: {
            if (::access(shebang->interpreter.c_str(), X_OK) == 0) {  // the real one
                if (lacks_execute_bit(script)) exec_through_shebang(plan, *shebang);
                return;
            }
            auto words = split_execline(after_first_line(*head));
            if (words.error || !words.simple || words.words.empty()) return;  // exec reports it
            plan.executable =
                resolve_program(words.words.front(), value_in(plan.envp, "PATH").value_or(default_path));
            plan.argv = std::move(words.words);
            return;
        }
    }
}

void adapt_service_script(process::SpawnPlan& plan, const config::ServiceConfig& service,
                          const process::EnvironmentInputs& inputs) {
    // Built only for with-contenv scripts: cheap enough per start, and it
    // sees a container environment refreshed after cont-init.
    auto head = read_head(plan.executable, 512);
    if (!head) return;
    auto shebang = parse_shebang(*head);
    if (!shebang) return;
    std::optional<std::vector<std::string>> contenv;
    if (classify_interpreter(shebang->interpreter) == InterpreterKind::WithContenv) {
        config::ServiceConfig keep = service;
        keep.keep_env = true;
        contenv = process::build_service_environment(keep, inputs).to_strings();
    }
    adapt_script_plan(plan, contenv, inputs.default_path);
}

std::string describe_spawn_failure(const std::filesystem::path& script, const process::SpawnFailure& failure,
                                   bool name_script) {
    if (failure.stage != process::SpawnStage::Exec || failure.error != ENOENT) return failure.message();
    // The script's interpreter exists, but is a script whose own interpreter
    // does not (Debian's /usr/bin/execlineb wrapper without its binary): the
    // process layer named that one.
    if (!failure.reason.empty() && failure.detail != script.string()) return failure.message();
    auto head = read_head(script.string(), kMaxScriptBytes);
    if (!head) return failure.message();
    std::string prefix = name_script ? script.filename().string() + ": " : "";
    if (is_oneshot_script(script)) {
        auto words = split_execline(*head);
        if (!words.error && words.simple && !words.words.empty())
            return prefix + "program " + words.words.front() + " not found";
        return prefix + "needs execlineb (it uses braces or $, or has a quoting error), which is in neither "
                        "/command nor PATH";
    }
    auto shebang = parse_shebang(*head);
    if (!shebang) return failure.message();
    std::string missing = shebang->interpreter;
    std::string hint;
    switch (classify_interpreter(shebang->interpreter)) {
        case InterpreterKind::WithContenv:
            if (!shebang->words.empty()) missing = shebang->words.front();
            break;
        case InterpreterKind::Execlineb: {
            auto words = split_execline(after_first_line(*head));
            if (words.error)
                hint = " (and tend cannot run the script itself: " + *words.error + ")";
            else if (!words.simple)
                hint = " (tend runs execline scripts itself only when they are one command without braces or $)";
            else if (!words.words.empty())
                missing = words.words.front();
            break;
        }
        case InterpreterKind::Other:
            break;
    }
    if (missing != shebang->interpreter && classify_interpreter(shebang->interpreter) == InterpreterKind::Execlineb)
        return prefix + "program " + missing + " not found";
    return prefix + "interpreter " + missing + " not found" + hint;
}

}  // namespace tend::compat

namespace tend::compat {
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

std::optional<std::string> script_start_problem(const std::filesystem::path& script,
                                                const std::vector<std::string>& envp,
                                                const std::string& default_path) {
    // The plan a start would make (adapt_script_plan, as at start), then
    // what exec would find at its end: the program, or the kernel's #! line.
    process::SpawnPlan plan;
    plan.executable = script.string();
    plan.argv = {plan.executable};
    plan.envp = envp;
    adapt_script_plan(plan, envp, default_path);
    if (plan.executable != script.string()) {
        if (plan.executable.find('/') == std::string::npos)
            return describe_spawn_failure(script, {process::SpawnStage::Exec, ENOENT, {}}, false);
        if (auto problem = exec_problem(plan.executable)) return plan.executable + ": " + *problem;
        return std::nullopt;
    }
    if (auto problem = exec_problem(plan.executable)) return *problem;
    auto head = read_head(plan.executable, 512);
    auto shebang = head ? parse_shebang(*head) : std::nullopt;
    if (!shebang) return std::nullopt;  // a binary, or a script the shell runs
    if (::access(shebang->interpreter.c_str(), F_OK) != 0 && errno == ENOENT)
        return describe_spawn_failure(script, {process::SpawnStage::Exec, ENOENT, {}}, false);
    if (auto problem = exec_problem(shebang->interpreter))
        return "interpreter " + shebang->interpreter + ": " + *problem;
    return std::nullopt;
}

}  // namespace tend::compat
