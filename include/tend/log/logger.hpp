// tend's own messages: `tend: <level>: <message>` on stderr, or one JSON
// object a line with --log-format=json. Backed by spdlog; only logger.cpp
// includes spdlog, everything else formats with fmt and calls these.
//
// Logging never throws: a failed write of a log line is dropped, because PID 1
// must not die because its stderr went away.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <string_view>

#include "tend/config/log_format.hpp"

namespace tend::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };
using Format = config::LogFormat;

// verbosity 0..4: 0 errors only, 1 +warnings, 2 +info (default), 3 +debug, 4 +trace.
void setup(int verbosity, Format format);
bool enabled(Level level);
// Sends lines to `fd` instead of 2 (a non-blocking duplicate of stderr, so a
// stuck reader of tend's stderr drops log lines instead of stopping PID 1);
// a negative fd goes back to 2. The caller keeps `fd` open.
void set_output_fd(int fd);
// Hands every rendered line (with its newline) to `writer` instead of an fd:
// with --log-prefix the router queues tend's lines with the services' stderr
// lines, so a partial pipe write can never put one inside another. A writer
// that logs gets its own line written to the fd. nullptr restores the fd.
using LineWriter = void (*)(void* context, std::string_view line);
void set_line_writer(LineWriter writer, void* context);
void write(Level level, std::string_view message) noexcept;

// Renders one message as it would be written (without the newline); pure, for tests.
std::string render(Level level, std::string_view message, Format format);
// Same, with the JSON "time" taken from `time` instead of the clock.
std::string render(Level level, std::string_view message, Format format,
                   std::chrono::system_clock::time_point time);

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) noexcept {
    try { write(Level::Error, fmt::format(f, std::forward<Args>(args)...)); } catch (...) {}
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (!enabled(Level::Warn)) return;
    try { write(Level::Warn, fmt::format(f, std::forward<Args>(args)...)); } catch (...) {}
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (!enabled(Level::Info)) return;
    try { write(Level::Info, fmt::format(f, std::forward<Args>(args)...)); } catch (...) {}
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (!enabled(Level::Debug)) return;
    try { write(Level::Debug, fmt::format(f, std::forward<Args>(args)...)); } catch (...) {}
}
template <typename... Args>
void trace(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (!enabled(Level::Trace)) return;
    try { write(Level::Trace, fmt::format(f, std::forward<Args>(args)...)); } catch (...) {}
}

}  // namespace tend::log
