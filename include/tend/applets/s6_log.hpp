// The `s6-log` applet: s6's logger, for the `log/run` scripts and s6-rc
// pipeline consumers of s6-overlay images, so they keep working once
// s6-overlay's own binaries are gone.
//
// s6-log reads lines on stdin and runs each through a logging script, a list
// of directives given as arguments:
//   selection  `+regex` selects the line if it matches (POSIX extended, not
//              anchored), `-regex` deselects it, `f` selects it only when no
//              action took it yet. A line starts selected; the state carries
//              on from one action to the next, as s6-log's does.
//   control    `nN` archived files kept (default 10), `sN` size at which
//              `current` rotates (default 99999, at least 4096): both hold
//              for every later logdir; `t` (TAI64N label) and `T` (ISO 8601
//              local time) prefix the lines of the next action only.
//   action     `1` stdout, `2` stderr (as s6-log's alerts: "s6-log: alert: "
//              before the line), a logdir (starts with `/` or `.`).
// What tend does not do (`S`, `l`, `r`, `E`, `^`, `!processor`, `=file`
// ...) is refused naming the directive, exit 100, as s6-log refuses what it
// does not know.
//
// A logdir holds `current` (0644 while written, 0744 once finalised),
// `lock`, `state` and archived files `@<TAI64N>.s` named by the time of the
// rotation. Selected lines are appended to `current`; after a write that
// leaves it less than 2000 bytes below `s` (s6-log's rule, found by
// running it), it is finalised and renamed, and archived
// files beyond `n` are removed, oldest first. Lines are taken in reads of at
// most 8192 bytes (a longer line comes out in 8192-byte pieces, s6-log's
// default -l), each logdir written once per read: on the same input read
// the same way, the files are s6-log's (tests/data/s6-log/ holds what
// Debian's s6-log answered).
//
// Pure parts (parsing, line handling, rotation) take a clock so tests use a
// fake one; the logdirs are real directories.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tend::applets::s6log {

struct Directive {
    enum class Kind { Select, Deselect, SelectUnacted, Stdout, Stderr, Logdir } kind = Kind::Stdout;
    std::string text;  // the regex, or the logdir
    // Actions: the prefixes of their lines; logdirs: their limits.
    bool tai64n = false;
    bool iso8601 = false;
    unsigned archived = 10;
    std::size_t max_size = 99999;
};

struct Options {
    bool blocking = false;   // -b: accepted (tend's s6-log always writes before it reads on)
    bool protect = false;    // -p: SIGTERM does not stop it (SIGHUP and EOF still do)
    int notify_fd = -1;      // -d: a newline there once the logdirs are ready
    std::size_t line_limit = 8192;  // -l: 0 = none
    int verbosity = 1;       // -q / -v
};

struct Script {
    Options options;
    std::vector<Directive> directives;
    // What s6-log warns about and goes on ("ignoring extraneous non-action
    // directives" after the last action).
    std::vector<std::string> warnings;
};

// argv without argv[0]. Errors are s6-log's: "unrecognized directive: Z",
// or which directive or option tend does not support.
std::expected<Script, std::string> parse_command_line(const std::vector<std::string>& args);

// "@4000000069b2c3d41234abcd": TAI64N of a realtime clock reading (TAI is
// UTC + 37 s since 2017, as s6's skalibs counts it).
std::string tai64n_label(const timespec& when);
// "2026-12-07 00:17:19.700959215" in local time.
std::string iso8601_stamp(const timespec& when);

using RealClock = std::function<timespec()>;

// The line handling and the logdirs of one script.
class Logger {
public:
    // `out`/`err`: where `1` and `2` lines go (whole buffers, in order).
    using Sink = std::function<void(std::string_view)>;
    Logger(Script script, RealClock clock, Sink out, Sink err);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Compiles the regexes, creates, locks and opens the logdirs. A failure
    // names the logdir or regex and what went wrong.
    std::expected<void, std::string> open();
    // Bytes as read from stdin: every complete line (and every line_limit
    // piece of a longer one) goes through the script; the rest waits.
    // Errors writing a logdir are returned (s6-log would retry; the caller
    // says so and goes on).
    std::expected<void, std::string> feed(std::string_view bytes);
    // End of input: a partial last line is dropped (as s6-log drops it);
    // every `current` is finalised (0744).
    void finish();
    // How many bytes a read may add now (8192 less what waits).
    std::size_t room() const;

private:
    struct Logdir;
    void handle_line(std::string_view line, const timespec& now);
    std::expected<void, std::string> flush_logdirs();

    Script script_;
    RealClock clock_;
    Sink out_;
    Sink err_;
    std::vector<std::unique_ptr<void, void (*)(void*)>> regexes_;  // regex_t per selection directive
    std::vector<std::unique_ptr<Logdir>> logdirs_;                 // per logdir directive, in order
    std::string pending_;  // a partial line
    std::string out_buffer_, err_buffer_;
};

// The applet (args without argv[0]).
int main(int argc, char** argv);

}  // namespace tend::applets::s6log
