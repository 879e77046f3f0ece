// spdlog is the front (levels, the log_msg with its timestamp); the bytes are
// produced by render() and written by FdSink below, one write(2) per line,
// straight to fd 2. No async logger, no registry, no locks: PID 1 runs one
// thread, and a forked child that logs before exec must not find a mutex held
// by a thread that no longer exists.
#include "tend/log/logger.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include <unistd.h>

namespace tend::log {
namespace {

constexpr int kDefaultVerbosity = 2;
constexpr int kMaxVerbosity = 4;
constexpr int kStderrFd = 2;
// Where lines go: fd 2 until set_output_fd() gives a non-blocking one, or a
// LineWriter (the --log-prefix router) when one is set.
std::atomic<int> g_output_fd{kStderrFd};
LineWriter g_line_writer = nullptr;
void* g_line_writer_context = nullptr;
bool g_in_line_writer = false;  // a writer that logs must not recurse into itself

// Plain atomics, constant-initialised: logging works before setup() and even
// from other translation units' static initialisers.
std::atomic<int> g_verbosity{kDefaultVerbosity};
std::atomic<Format> g_format{Format::Text};

std::string_view level_name(Level level) {
    switch (level) {
        case Level::Error: return "error";
        case Level::Warn: return "warning";
        case Level::Info: return "info";
        case Level::Debug: return "debug";
        case Level::Trace: return "trace";
    }
    return "error";
}

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::Error: return spdlog::level::err;
        case Level::Warn: return spdlog::level::warn;
        case Level::Info: return spdlog::level::info;
        case Level::Debug: return spdlog::level::debug;
        case Level::Trace: return spdlog::level::trace;
    }
    return spdlog::level::err;
}

Level from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return Level::Trace;
        case spdlog::level::debug: return Level::Debug;
        case spdlog::level::info: return Level::Info;
        case spdlog::level::warn: return Level::Warn;
        default: return Level::Error;  // err, critical
    }
}

// Length of the well-formed UTF-8 sequence starting at text[0], or, when it
// is ill-formed, minus the length of its maximal ill-formed subpart (at least
// 1), which is replaced by one U+FFFD as Unicode recommends.
int utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;

    int length = 0;
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_low = 0xA0;   // overlong
        if (lead == 0xED) second_high = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_low = 0x90;   // overlong
        if (lead == 0xF4) second_high = 0x8F;  // above U+10FFFF
    } else {
        return -1;  // continuation byte as lead, C0, C1, F5..FF
    }

    for (int i = 1; i < length; ++i) {
        if (static_cast<std::size_t>(i) >= text.size()) return -i;
        const unsigned char low = i == 1 ? second_low : 0x80;
        const unsigned char high = i == 1 ? second_high : 0xBF;
        if (byte(i) < low || byte(i) > high) return -i;
    }
    return length;
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
    out += '"';
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text.front());
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            text.remove_prefix(1);
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
            text.remove_prefix(1);
        } else {
            const int length = utf8_sequence_length(text);
            if (length > 0) {
                out += text.substr(0, static_cast<std::size_t>(length));
                text.remove_prefix(static_cast<std::size_t>(length));
            } else {
                out += kReplacement;
                text.remove_prefix(static_cast<std::size_t>(-length));
            }
        }
    }
    out += '"';
}

// The text format's message: every byte a terminal or a log reader could act
// on is written as an escape, so a name or value tend prints (a service dir
// named "x\ntend: info: ...", an ESC sequence in a file) can neither forge a
// line nor drive the terminal. Control bytes become \n, \r, \t or \xNN;
// C1 controls (U+0080..U+009F) and bytes that are not UTF-8 become \xNN per
// byte; well-formed UTF-8 passes unchanged.
void append_text_escaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto append_hex = [&](unsigned char byte) {
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xF];
    };
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text.front());
        if (c == '\n' || c == '\r' || c == '\t') {
            out += '\\';
            out += c == '\n' ? 'n' : (c == '\r' ? 'r' : 't');
            text.remove_prefix(1);
        } else if (c < 0x20 || c == 0x7F) {
            append_hex(c);
            text.remove_prefix(1);
        } else {
            const int length = utf8_sequence_length(text);
            const bool c1_control = length == 2 && c == 0xC2 && static_cast<unsigned char>(text[1]) < 0xA0;
            const auto span = static_cast<std::size_t>(length > 0 ? length : -length);
            if (length > 0 && !c1_control) {
                out += text.substr(0, span);
            } else {
                for (std::size_t i = 0; i < span; ++i) append_hex(static_cast<unsigned char>(text[i]));
            }
            text.remove_prefix(span);
        }
    }
}

// RFC 3339, UTC, milliseconds: 2024-05-01T12:34:56.789Z
void append_timestamp(std::string& out, std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto in_ms = floor<milliseconds>(time);
    const auto in_s = floor<seconds>(in_ms);
    const auto millis = (in_ms - in_s).count();
    const std::time_t seconds_since_epoch = system_clock::to_time_t(in_s);
    std::tm utc{};
    if (gmtime_r(&seconds_since_epoch, &utc) == nullptr) {
        out += "1970-01-01T00:00:00.000Z";
        return;
    }
    out += fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       millis);
}

// Writes the whole line with as few write(2) calls as the kernel allows (one,
// unless it takes only part). EINTR is retried; anything else (EAGAIN on a
// full non-blocking stderr, EPIPE, EBADF) drops the rest of the line.
void write_line(int fd, std::string_view line) noexcept {
    bool socket = true;  // until the kernel says otherwise: send() never blocks a socket
    while (!line.empty()) {
        ssize_t written = -1;
        if (socket) {
            written = ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (written < 0 && errno == ENOTSOCK) {
                socket = false;
                continue;
            }
        } else {
            written = ::write(fd, line.data(), line.size());
        }
        if (written > 0) {
            line.remove_prefix(static_cast<std::size_t>(written));
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else {
            return;
        }
    }
}

class FdSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        try {
            std::string line = render(from_spdlog(msg.level),
                                      std::string_view(msg.payload.data(), msg.payload.size()),
                                      g_format.load(std::memory_order_relaxed), msg.time);
            line += '\n';
            if (g_line_writer != nullptr && !g_in_line_writer) {
                g_in_line_writer = true;
                g_line_writer(g_line_writer_context, line);
                g_in_line_writer = false;
            } else {
                write_line(g_output_fd.load(std::memory_order_relaxed), line);
            }
        } catch (...) {
            // Out of memory while formatting: the line is lost, tend goes on.
        }
    }
    void flush_() override {}  // nothing is buffered
};

// Leaked on purpose: logging must keep working during static destruction
// (atexit handlers, destructors of other globals).
spdlog::logger& instance() {
    static spdlog::logger* const logger = [] {
        auto* created = new spdlog::logger("tend", std::make_shared<FdSink>());
        // Filtering is done by enabled() on one atomic, before any formatting;
        // spdlog passes everything it is given.
        created->set_level(spdlog::level::trace);
        created->flush_on(spdlog::level::off);
        created->set_error_handler([](const std::string&) {});
        return created;
    }();
    return *logger;
}

}  // namespace

void setup(int verbosity, Format format) {
    const int clamped = verbosity < 0 ? 0 : (verbosity > kMaxVerbosity ? kMaxVerbosity : verbosity);
    g_verbosity.store(clamped, std::memory_order_relaxed);
    g_format.store(format, std::memory_order_relaxed);
}

void set_line_writer(LineWriter writer, void* context) {
    g_line_writer = writer;
    g_line_writer_context = context;
}

void set_output_fd(int fd) { g_output_fd.store(fd < 0 ? kStderrFd : fd, std::memory_order_relaxed); }

bool enabled(Level level) {
    return static_cast<int>(level) <= g_verbosity.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) noexcept {
    if (!enabled(level)) return;
    // Callers often log and then look at errno; do not disturb it.
    const int saved_errno = errno;
    try {
        instance().log(to_spdlog(level), spdlog::string_view_t(message.data(), message.size()));
    } catch (...) {
    }
    errno = saved_errno;
}

std::string render(Level level, std::string_view message, Format format,
                   std::chrono::system_clock::time_point time) {
    std::string out;
    if (format == Format::Text) {
        const std::string_view name = level_name(level);
        out.reserve(8 + name.size() + message.size());
        out += "tend: ";
        out += name;
        out += ": ";
        append_text_escaped(out, message);
        return out;
    }
    out.reserve(80 + message.size() + message.size() / 8);
    out += R"({"time":")";
    append_timestamp(out, time);
    out += R"(","level":")";
    out += level_name(level);
    out += R"(","source":"tend","message":)";
    append_json_string(out, message);
    out += '}';
    return out;
}

std::string render(Level level, std::string_view message, Format format) {
    return render(level, message, format, std::chrono::system_clock::now());
}

}  // namespace tend::log
