// s6-overlay v3's logging helpers, as tend applets (its own scripts are
// execline; these do what they do):
//   logutil-newfifo [-m MODE] [-o OWNER] FIFO: replace FIFO by a new named
//     pipe with MODE (octal, default 0600) owned by OWNER's uid and gid
//     (default root), for a logger to read;
//   logutil-service [-f FIFO] LOGDIR: run `s6-log -b -- $S6_LOGGING_SCRIPT
//     LOGDIR` (the script from the container environment, default
//     `n20 s1000000 T`) as nobody (65534:65534 when /etc/passwd has none)
//     with an empty environment, reading FIFO when given, else its stdin.
// s6-log itself is looked up as a program (/command first, then PATH).
#pragma once

#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::applets {

struct NewFifo {
    mode_t mode = 0600;
    std::string owner = "root";
    std::string path;
};
// args without argv[0]. Pure.
std::expected<NewFifo, std::string> parse_logutil_newfifo(const std::vector<std::string>& args);

struct LogutilService {
    std::optional<std::string> fifo;  // -f
    std::string logdir;
};
// args without argv[0]. Pure.
std::expected<LogutilService, std::string> parse_logutil_service(const std::vector<std::string>& args);

// S6_LOGGING_SCRIPT's directives: split on blanks, empty words dropped; the
// default when unset. Pure.
std::vector<std::string> logging_script_words(const std::optional<std::string>& value);

// s6-log's argv for logutil-service. Pure.
std::vector<std::string> logutil_service_argv(const std::string& s6_log, const std::vector<std::string>& script,
                                              const std::string& logdir);

}  // namespace tend::applets
