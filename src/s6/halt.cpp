// The halt signal and the exit code files: what tend (PID 1) reads when a
// script or the `halt` applet asks to stop the container.
#include "tend/s6/halt.hpp"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <string_view>

#include "tend/config/file_reader.hpp"

namespace tend::s6 {
namespace {

// Files are read with read_small_file, not std::ifstream: streams pull
// std::locale and all its facets into the static binary (bench/README.md,
// binary size).
constexpr std::size_t kMaxReadBytes = 1 << 20;

}  // namespace

int halt_signal() { return SIGRTMIN + 3; }

std::optional<int> halt_code(const signalfd_siginfo& info) {
    if (info.ssi_code != SI_QUEUE) return std::nullopt;
    int code = info.ssi_int;
    if (code < 0 || code > 255) return std::nullopt;
    return code;
}

std::optional<int> parse_exit_code(std::string_view content) {
    auto newline = content.find('\n');
    if (newline != std::string_view::npos) content = content.substr(0, newline);
    while (!content.empty() && (content.back() == ' ' || content.back() == '\t' || content.back() == '\r'))
        content.remove_suffix(1);
    if (content.empty() || content.size() > 3) return std::nullopt;
    int value = 0;
    auto [end, error] = std::from_chars(content.data(), content.data() + content.size(), value);
    if (error != std::errc{} || end != content.data() + content.size() || value < 0 || value > 255)
        return std::nullopt;
    return value;
}

std::optional<int> exit_code_from_files() {
    for (const char* path : {kV3ExitCodeFile, kV2ExitCodeFile}) {
        auto content = config::read_small_file(path, kMaxReadBytes);
        if (!content) continue;
        if (auto code = parse_exit_code(*content)) return code;
    }
    return std::nullopt;
}

void remove_exit_code_files() {
    for (const char* path : {kV3ExitCodeFile, kV2ExitCodeFile}) ::unlink(path);
}

}  // namespace tend::s6
