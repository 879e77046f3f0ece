// tend's s6-log: see include/tend/applets/s6_log.hpp for what it does and
// how it matches s6's. This file: the script parser, the line handling, the
// logdirs (open, append, rotate, prune) and the applet's read loop.
#include "tend/applets/s6_log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

namespace tend::applets::s6log {
namespace {

constexpr std::size_t kReadBuffer = 8192;   // s6-log's stdin buffer
constexpr std::size_t kMinimumSize = 4096;  // s6-log raises a smaller `s` to this
constexpr std::size_t kRotationMargin = 2000;  // see flush_logdirs
constexpr std::uint64_t kTaiOffset = 37;    // TAI - UTC since 2017-01-01

std::string errno_text(int error) { return std::strerror(error); }

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

template <typename T>
std::optional<T> number(std::string_view text) {
    T value{};
    if (text.empty()) return std::nullopt;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::expected<Script, std::string> parse_command_line(const std::vector<std::string>& args) {
    Script script;
    std::size_t i = 0;
    const std::string usage =
        "usage: s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -t lastlinetimeout ] [ -- ] "
        "logging_script";
    // Options, getopt style: clustered flags, a value attached or next.
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') break;
        for (std::size_t c = 1; c < arg.size(); ++c) {
            const char flag = arg[c];
            if (flag == 'b') script.options.blocking = true;
            else if (flag == 'p') script.options.protect = true;
            else if (flag == 'q') script.options.verbosity = 0;
            else if (flag == 'v') script.options.verbosity = 2;
            else if (flag == 'd' || flag == 'l' || flag == 't') {
                std::string value = arg.substr(c + 1);
                if (value.empty()) {
                    if (++i >= args.size()) return std::unexpected(usage);
                    value = args[i];
                }
                auto parsed = number<unsigned>(value);
                if (!parsed) return std::unexpected(usage);
                if (flag == 'd') script.options.notify_fd = static_cast<int>(*parsed);
                if (flag == 'l') script.options.line_limit = *parsed;
                // -t lastlinetimeout: tend's s6-log drops a partial last line at once, as s6-log does at EOF.
                break;
            } else {
                return std::unexpected(usage);
            }
        }
    }
    if (script.options.line_limit != 0 && script.options.line_limit < 48) script.options.line_limit = 48;

    bool tai = false, iso = false;
    unsigned archived = 10;
    std::size_t max_size = 99999;
    bool after_last_action = false;  // a selection since the last action
    for (; i < args.size(); ++i) {
        const std::string& d = args[i];
        // s6-log warns about selections (+ - f) after the last action, not about n s t T.
        if (d == "f" || (!d.empty() && (d[0] == '+' || d[0] == '-'))) after_last_action = true;
        auto refuse = [&] {
            return std::unexpected("directive " + d +
                                   " is not supported by tend's s6-log (it takes +regex -regex f nN sN t T 1 2 "
                                   "and logdirs)");
        };
        auto unrecognized = [&] { return std::unexpected("unrecognized directive: " + d); };
        if (d.empty()) return unrecognized();
        Directive directive;
        switch (d[0]) {
            case '+':
            case '-':
                directive.kind = d[0] == '+' ? Directive::Kind::Select : Directive::Kind::Deselect;
                directive.text = d.substr(1);
                script.directives.push_back(std::move(directive));
                continue;
            case 'f':
                if (d.size() != 1) return unrecognized();
                directive.kind = Directive::Kind::SelectUnacted;
                script.directives.push_back(std::move(directive));
                continue;
            case 'n': {
                auto value = number<unsigned>(std::string_view(d).substr(1));
                if (!value) return unrecognized();
                archived = *value;
                continue;
            }
            case 's': {
                auto value = number<std::size_t>(std::string_view(d).substr(1));
                if (!value) return unrecognized();
                max_size = std::max(*value, kMinimumSize);
                continue;
            }
            case 't':
            case 'T':
                if (d.size() != 1) return unrecognized();
                (d[0] == 't' ? tai : iso) = true;
                continue;
            case '1':
            case '2':
                if (d.size() != 1) return unrecognized();
                directive.kind = d[0] == '1' ? Directive::Kind::Stdout : Directive::Kind::Stderr;
                break;
            case '/':
            case '.':
                directive.kind = Directive::Kind::Logdir;
                directive.text = d;
                directive.archived = archived;
                directive.max_size = max_size;
                break;
            case 'S':
            case 'l':
            case 'r':
            case 'E':
            case 'e':
            case '^':
            case '!':
            case '?':
            case '=':
                return refuse();
            default:
                return unrecognized();
        }
        directive.tai64n = std::exchange(tai, false);
        directive.iso8601 = std::exchange(iso, false);
        script.directives.push_back(std::move(directive));
        after_last_action = false;
    }
    if (after_last_action) script.warnings.push_back("ignoring extraneous non-action directives");
    return script;
}

std::string tai64n_label(const timespec& when) {
    const std::uint64_t seconds = (std::uint64_t{1} << 62) + static_cast<std::uint64_t>(when.tv_sec) + kTaiOffset;
    char text[32];
    std::snprintf(text, sizeof text, "@%016llx%08lx", static_cast<unsigned long long>(seconds),
                  static_cast<unsigned long>(when.tv_nsec));
    return text;
}

std::string iso8601_stamp(const timespec& when) {
    struct tm local {};
    ::localtime_r(&when.tv_sec, &local);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%09ld", local.tm_year + 1900, local.tm_mon + 1,
                  local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, static_cast<long>(when.tv_nsec));
    return text;
}

// ---- logdirs ---------------------------------------------------------------

struct Logger::Logdir {
    std::string dir;
    unsigned archived = 10;
    std::size_t max_size = 99999;
    int lock_fd = -1;
    int current_fd = -1;
    std::size_t size = 0;
    std::string buffer;  // this read's lines, written at once

    ~Logdir() {
        if (current_fd >= 0) ::close(current_fd);
        if (lock_fd >= 0) ::close(lock_fd);
    }
    std::string path(std::string_view name) const { return dir + "/" + std::string(name); }

    std::expected<void, std::string> open_current() {
        current_fd = ::open(path("current").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (current_fd < 0) return std::unexpected(path("current") + ": cannot open: " + errno_text(errno));
        struct stat st {};
        if (::fstat(current_fd, &st) != 0) return std::unexpected(path("current") + ": " + errno_text(errno));
        ::fchmod(current_fd, 0644);  // not finalised while written
        size = static_cast<std::size_t>(st.st_size);
        return {};
    }

    // Archived files beyond `archived`, oldest first (TAI64N names sort by time).
    void prune() {
        std::vector<std::string> names;
        if (DIR* d = ::opendir(dir.c_str())) {
            while (const dirent* entry = ::readdir(d)) {
                std::string_view name = entry->d_name;
                if (name.size() == 27 && name[0] == '@' && (name.ends_with(".s") || name.ends_with(".u")))
                    names.emplace_back(name);
            }
            ::closedir(d);
        }
        std::sort(names.begin(), names.end());
        for (std::size_t i = 0; i + archived < names.size(); ++i) ::unlink(path(names[i]).c_str());
    }

    std::expected<void, std::string> finalise_current() {
        if (current_fd < 0) return {};
        ::fsync(current_fd);
        ::fchmod(current_fd, 0744);
        ::close(current_fd);
        current_fd = -1;
        return {};
    }

    std::expected<void, std::string> rotate(const timespec& now) {
        finalise_current();
        const std::string archived_name = path(tai64n_label(now) + ".s");
        if (::rename(path("current").c_str(), archived_name.c_str()) != 0)
            return std::unexpected(path("current") + ": cannot rename to " + archived_name + ": " + errno_text(errno));
        prune();
        return open_current();
    }

    std::expected<void, std::string> open(const timespec& now) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return std::unexpected(dir + ": cannot create the logdir: " + errno_text(errno));
        lock_fd = ::open(path("lock").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd < 0) return std::unexpected(path("lock") + ": cannot open: " + errno_text(errno));
        if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
            return std::unexpected(dir + ": cannot lock (another s6-log writes there?): " + errno_text(errno));
        const int state = ::open(path("state").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (state >= 0) ::close(state);
        // A current that was not finalised (its writer died) is archived as
        // unfinished, `@...u`, as s6-log does; a finalised one is appended to.
        struct stat st {};
        if (::stat(path("current").c_str(), &st) == 0 && (st.st_mode & S_IXUSR) == 0 && st.st_size > 0) {
            const std::string unfinished = path(tai64n_label(now) + ".u");
            if (::rename(path("current").c_str(), unfinished.c_str()) != 0)
                return std::unexpected(path("current") + ": cannot rename to " + unfinished + ": " +
                                       errno_text(errno));
            prune();
        }
        return open_current();
    }
};

// ---- the logger ------------------------------------------------------------

Logger::Logger(Script script, RealClock clock, Sink out, Sink err)
    : script_(std::move(script)), clock_(std::move(clock)), out_(std::move(out)), err_(std::move(err)) {}

Logger::~Logger() = default;

std::expected<void, std::string> Logger::open() {
    const timespec now = clock_();
    for (const Directive& d : script_.directives) {
        if (d.kind == Directive::Kind::Select || d.kind == Directive::Kind::Deselect) {
            auto* compiled = new regex_t;
            const int error = ::regcomp(compiled, d.text.c_str(), REG_EXTENDED | REG_NOSUB);
            if (error != 0) {
                char message[256];
                ::regerror(error, compiled, message, sizeof message);
                delete compiled;
                return std::unexpected("invalid regex " + d.text + ": " + message);
            }
            regexes_.emplace_back(compiled, [](void* p) {
                ::regfree(static_cast<regex_t*>(p));
                delete static_cast<regex_t*>(p);
            });
        } else if (d.kind == Directive::Kind::Logdir) {
            auto logdir = std::make_unique<Logdir>();
            logdir->dir = d.text;
            logdir->archived = d.archived;
            logdir->max_size = d.max_size;
            if (auto opened = logdir->open(now); !opened) return std::unexpected(opened.error());
            logdirs_.push_back(std::move(logdir));
        }
    }
    return {};
}

// At most 8192 bytes waiting, as s6-log's buffer: on the same reads, the
// same lines and the same logdir writes. A longer -l lets a line grow.
std::size_t Logger::room() const { return pending_.size() < kReadBuffer ? kReadBuffer - pending_.size() : kReadBuffer; }

void Logger::handle_line(std::string_view line, const timespec& now) {
    bool selected = true;
    bool acted = false;
    std::size_t regex = 0;
    std::size_t logdir = 0;
    for (const Directive& d : script_.directives) {
        switch (d.kind) {
            case Directive::Kind::Select:
            case Directive::Kind::Deselect: {
                const std::string text(line);  // regexec wants a NUL-terminated string
                const bool match = ::regexec(static_cast<regex_t*>(regexes_[regex++].get()), text.c_str(), 0,
                                             nullptr, 0) == 0;
                if (match) selected = d.kind == Directive::Kind::Select;
                continue;
            }
            case Directive::Kind::SelectUnacted:
                selected = !acted;
                continue;
            default:
                break;
        }
        std::string* buffer = d.kind == Directive::Kind::Stdout   ? &out_buffer_
                              : d.kind == Directive::Kind::Stderr ? &err_buffer_
                                                                  : &logdirs_[logdir]->buffer;
        if (d.kind == Directive::Kind::Logdir) ++logdir;
        if (!selected) continue;
        acted = true;
        if (d.kind == Directive::Kind::Stderr) *buffer += "s6-log: alert: ";  // `2` lines are s6-log's alerts
        if (d.tai64n) *buffer += tai64n_label(now) + ' ';
        if (d.iso8601) *buffer += iso8601_stamp(now) + "  ";
        buffer->append(line);
        buffer->push_back('\n');
    }
}

std::expected<void, std::string> Logger::flush_logdirs() {
    if (!out_buffer_.empty()) out_(std::exchange(out_buffer_, {}));
    if (!err_buffer_.empty()) err_(std::exchange(err_buffer_, {}));
    std::string problem;
    for (auto& logdir : logdirs_) {
        if (logdir->buffer.empty()) continue;
        if (logdir->current_fd < 0) {
            if (auto reopened = logdir->open_current(); !reopened) {
                problem = reopened.error();
                continue;  // kept: written with the next read
            }
        }
        if (!write_all(logdir->current_fd, logdir->buffer)) {
            problem = logdir->path("current") + ": cannot write: " + errno_text(errno);
            continue;
        }
        logdir->size += logdir->buffer.size();
        logdir->buffer.clear();
        // s6-log's rule, measured: it rotates once fewer than 2000 bytes
        // of room are left below `s` (s4096: at 2096 bytes).
        if (logdir->size + kRotationMargin >= logdir->max_size) {
            if (auto rotated = logdir->rotate(clock_()); !rotated) problem = rotated.error();
        }
    }
    if (!problem.empty()) return std::unexpected(problem);
    return {};
}

std::expected<void, std::string> Logger::feed(std::string_view bytes) {
    pending_.append(bytes);
    const timespec now = clock_();
    const std::size_t limit = script_.options.line_limit;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t newline = pending_.find('\n', pos);
        const std::size_t length = (newline == std::string::npos ? pending_.size() : newline) - pos;
        if (limit != 0 && length >= limit && !(newline != std::string::npos && length == limit)) {
            handle_line(std::string_view(pending_).substr(pos, limit), now);
            pos += limit;
            continue;
        }
        if (newline == std::string::npos) break;
        handle_line(std::string_view(pending_).substr(pos, length), now);
        pos = newline + 1;
    }
    pending_.erase(0, pos);
    return flush_logdirs();
}

void Logger::finish() {
    pending_.clear();  // s6-log drops a last line without its newline
    (void)flush_logdirs();
    for (auto& logdir : logdirs_) logdir->finalise_current();
}

// ---- the applet ------------------------------------------------------------

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto script = parse_command_line(args);
    if (!script) {
        std::fprintf(stderr, "s6-log: %s%s\n", script.error().starts_with("usage") ? "" : "fatal: ",
                     script.error().c_str());
        return 100;
    }
    const Options options = script->options;
    for (const auto& warning : script->warnings) std::fprintf(stderr, "s6-log: warning: %s\n", warning.c_str());

    // SIGTERM and SIGHUP through a signalfd, so that a signal between two
    // reads is never missed.
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    ::sigprocmask(SIG_BLOCK, &stops, nullptr);
    const int signals = ::signalfd(-1, &stops, SFD_CLOEXEC);

    auto sink = [](int fd) { return [fd](std::string_view bytes) { write_all(fd, bytes); }; };
    Logger logger(std::move(*script), [] {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        return now;
    }, sink(1), sink(2));
    if (auto opened = logger.open(); !opened) {
        std::fprintf(stderr, "s6-log: fatal: %s\n", opened.error().c_str());
        return 111;
    }
    if (options.notify_fd >= 0) {
        write_all(options.notify_fd, "\n");
        ::close(options.notify_fd);
    }

    std::string buffer(kReadBuffer, '\0');
    auto read_some = [&]() -> ssize_t {
        ssize_t n;
        do {
            n = ::read(0, buffer.data(), logger.room());
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            if (auto fed = logger.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !fed)
                std::fprintf(stderr, "s6-log: warning: %s\n", fed.error().c_str());
        }
        return n;
    };
    for (;;) {
        pollfd fds[2] = {{0, POLLIN, 0}, {signals, POLLIN, 0}};
        if (::poll(fds, signals >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (signals >= 0 && (fds[1].revents & POLLIN)) {
            signalfd_siginfo info{};
            if (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info) &&
                (info.ssi_signo == SIGHUP || !options.protect)) {
                // Stopping: what is in the pipe now is logged first (the
                // producer was stopped before its logger), without waiting
                // for more. poll, not O_NONBLOCK: the pipe's open file
                // description is shared with tend and the next logger.
                for (;;) {
                    pollfd in{0, POLLIN, 0};
                    if (::poll(&in, 1, 0) <= 0 || !(in.revents & POLLIN)) break;
                    if (read_some() <= 0) break;
                }
                break;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (read_some() <= 0) break;  // EOF or a read error: done
        }
    }
    logger.finish();
    return 0;
}

}  // namespace tend::applets::s6log
