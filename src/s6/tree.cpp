#include "tend/s6/tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "tend/s6/shebang.hpp"
#include "tend/s6/variables.hpp"
#include "tend/log/logger.hpp"

namespace tend::s6 {
namespace {

namespace fs = std::filesystem;

bool s6_shebang(const fs::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    char buffer[256];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    if (n <= 0) return false;
    auto shebang = parse_shebang(std::string_view(buffer, static_cast<std::size_t>(n)));
    return shebang && classify_interpreter(shebang->interpreter) != InterpreterKind::Other;
}

bool non_empty_dir(const fs::path& dir) {
    std::error_code error;
    return fs::is_directory(dir, error) && !fs::is_empty(dir, error) && !error;
}

}  // namespace

S6TreeDetection detect_s6_tree(const config::Options& options, const config::EnvironmentVariables& variables,
                               const fs::path& root) {
    S6TreeDetection out;
    auto found = [&](std::string reason) {
        if (!out.detected) out.reason = std::move(reason);
        out.detected = true;
    };
    for (const auto& [name, value] : variables)
        if (name.starts_with("S6_") && !value.empty()) {
            found(name + " is set");
            break;
        }
    std::error_code error;
    if (fs::exists(root / "etc/s6-overlay", error)) found((root / "etc/s6-overlay").string() + " exists");
    if (fs::exists(root / "etc/fix-attrs.d", error)) {
        found((root / "etc/fix-attrs.d").string() + " exists");
        if (non_empty_dir(root / "etc/fix-attrs.d"))
            out.warnings.push_back((root / "etc/fix-attrs.d").string() +
                                   ": fix-attrs is not supported by tend and is not run; set ownership and modes "
                                   "in the Dockerfile or a cont-init script");
    }
    for (const fs::path& dir : {options.cont_init_dir, options.cont_finish_dir}) {
        for (const auto& entry : fs::directory_iterator(dir, error)) {
            if (!out.detected && s6_shebang(entry.path())) found(entry.path().string() + " has an s6-overlay shebang");
        }
    }
    for (const auto& entry : fs::directory_iterator(options.services_dir, error)) {
        std::error_code ignored;
        if (!entry.is_directory(ignored)) continue;
        for (const char* script : {"run", "finish"})
            if (!out.detected && s6_shebang(entry.path() / script))
                found((entry.path() / script).string() + " has an s6-overlay shebang");
    }
    return out;
}

S6Messages apply_s6_overlay(config::ParsedCommandLine& parsed, int argc, char** argv, char** envp) {
    S6Messages messages;
    config::EnvironmentVariables variables = config::variables_with_prefixes(envp, {"S6_", "TEND_"});
    auto detection = detect_s6_tree(parsed.options, variables);
    if (!detection.detected) return messages;
    messages.debug.push_back("s6-overlay tree detected: " + detection.reason);
    auto mapping = map_s6_variables(variables);
    for (auto& [name, value] : mapping.tend_variables) variables.emplace(name, value);
    // Parse again with the mapped variables underneath the TEND_* ones and the flags.
    config::EnvironmentVariables tend_only;
    for (auto& [name, value] : variables)
        if (name.starts_with("TEND_")) tend_only.emplace(name, value);
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    auto reparsed = config::parse_options(args, tend_only);
    if (!reparsed) {
        std::fprintf(stderr, "%s\n",
                     log::render(log::Level::Error, reparsed.error().message, reparsed.error().format).c_str());
        parsed.kind = config::ParsedCommandLine::Kind::Exit;
        parsed.exit_code = 2;
        return messages;
    }
    parsed.options = std::move(reparsed->options);
    parsed.options.s6_tree = true;
    parsed.options.s6_keep_env = mapping.keep_env;
    parsed.options.sync_disks = mapping.sync_disks;
    parsed.options.start_cmd_after_ready_timeout = mapping.start_cmd_after_ready_timeout;
    parsed.options.s6_stage2_hook = mapping.stage2_hook;
    if (!parsed.options.command.empty() && !mapping.cmd_arg0.empty())
        parsed.options.command.insert(parsed.options.command.begin(), mapping.cmd_arg0.begin(), mapping.cmd_arg0.end());
    for (auto& note : mapping.debug_notes) messages.debug.push_back(std::move(note));
    for (auto& warning : mapping.warnings) messages.warnings.push_back(std::move(warning));
    for (auto& warning : detection.warnings) messages.warnings.push_back(std::move(warning));
    return messages;
}

}  // namespace tend::s6
