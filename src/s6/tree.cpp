#include "tend/s6/tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "tend/s6/shebang.hpp"

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

S6OptionLayer::S6OptionLayer(char** envp, fs::path root) : envp_(envp), root_(std::move(root)) {}

S6OptionLayer::S6OptionLayer(config::EnvironmentVariables variables, fs::path root)
    : variables_(std::move(variables)), root_(std::move(root)) {}

std::vector<config::OptionLayer::Value> S6OptionLayer::values(const config::Options& so_far) {
    if (!variables_) variables_ = config::variables_with_prefixes(envp_, {"S6_", "TEND_"});
    messages_ = {};
    detection_ = detect_s6_tree(so_far, *variables_, root_);
    if (!detection_.detected) return {};
    messages_.debug.push_back("s6-overlay tree detected: " + detection_.reason);
    mapping_ = map_s6_variables(*variables_);
    std::vector<Value> out;
    for (const auto& [variable, value] : mapping_.tend_variables) {
        auto source = mapping_.sources.find(variable);
        out.push_back({variable, value, source != mapping_.sources.end() ? source->second : variable + "=" + value});
    }
    return out;
}

void S6OptionLayer::complete(config::Options& options) {
    if (!detection_.detected) return;
    options.s6_tree = true;
    options.s6_keep_env = mapping_.keep_env;
    options.sync_disks = mapping_.sync_disks;
    options.start_cmd_after_ready_timeout = mapping_.start_cmd_after_ready_timeout;
    options.s6_stage2_hook = mapping_.stage2_hook;
    if (!options.command.empty() && !mapping_.cmd_arg0.empty())
        options.command.insert(options.command.begin(), mapping_.cmd_arg0.begin(), mapping_.cmd_arg0.end());
    for (auto& note : mapping_.debug_notes) messages_.debug.push_back(std::move(note));
    for (auto& warning : mapping_.warnings) messages_.warnings.push_back(std::move(warning));
    for (auto& warning : detection_.warnings) messages_.warnings.push_back(std::move(warning));
}

}  // namespace tend::s6
