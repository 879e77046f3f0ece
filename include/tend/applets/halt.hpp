// The `halt` and `s6-svscanctl -t` applets: halting the container from inside it.
//
// Through the control socket when it is reachable; else the halt signal
// (s6/halt.hpp) queued to tend with the exit code as its value.
#pragma once

#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace tend::applets {

// `halt [CODE]`: CODE must be 0..255. Pure.
std::expected<std::optional<int>, std::string> parse_halt_args(const std::vector<std::string>& args);

// s6-svscanctl [ -t ] DIR: true when it asks to terminate (halt); without
// a command letter it does nothing, as s6's does. The error is the message
// (usage, or the letter tend does not support). Pure.
std::expected<bool, std::string> parse_svscanctl_args(const std::vector<std::string>& args);

// Asks tend to halt with control's `halt CODE` (without a code: the exit
// code files' code, else none). Returns nothing when control is unreachable
// or does not accept this uid (the caller then queues the signal), an error
// message when tend answered no.
std::optional<std::expected<void, std::string>> halt_through_control(std::optional<int> code);

// The pid of the tend that runs us: the nearest ancestor (then PID 1) whose
// executable is this very binary. Never another program: SIGRTMIN+3 would
// halt a host's systemd.
std::expected<pid_t, std::string> find_tend();

}  // namespace tend::applets
