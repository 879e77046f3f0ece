// s6-notifyoncheck: readiness for a daemon that cannot tell it, by polling a
// check command (./data/check, or -c's execline command line) until it
// succeeds, then writing the newline to the service's notification fd.
//
// As s6's: the process forks; the parent closes the notification fd and
// execs into the daemon (so the daemon keeps the service's pid), the child
// polls. Under tend the child watches the daemon through a pidfd instead of
// s6-supervise's event fifodir: when the daemon dies the checker stops too.
// It is not PID 1: sleeping between checks is its whole job.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace tend::applets {

struct NotifyOnCheck {
    bool doublefork = false;                      // -d: the checker is the daemon's grandchild
    std::optional<int> notification_fd;          // -3 FD; else ./notification-fd
    std::chrono::milliseconds initial_sleep{10};  // -s
    std::chrono::milliseconds global_timeout{0};  // -T: 0 = no limit
    std::chrono::milliseconds local_timeout{0};   // -t: each check; 0 = no limit
    std::chrono::milliseconds waiting_time{1000}; // -w: between checks
    unsigned tries = 7;                           // -n: 0 = no limit
    std::optional<std::string> check;             // -c: an execline command line
    std::size_t program_index = 0;                // the daemon's argv starts here
};

// args without argv[0]. The error names the option. Pure.
std::expected<NotifyOnCheck, std::string> parse_notifyoncheck(const std::vector<std::string>& args);

// The check's argv: ./data/check, or -c's words as `execlineb -Pc` reads
// them (run by tend itself), or `execlineb -Pc LINE` when the line has a
// block only execline's programs can run. The error names the construct. Pure.
std::expected<std::vector<std::string>, std::string> notifyoncheck_check_argv(const NotifyOnCheck& options);

}  // namespace tend::applets
