// Halting the container from inside it: the `halt` and `s6-svscanctl -t`
// applets, and what tend (PID 1) does with their request.
//
// Through the control socket when it is reachable; else a real-time signal
// queued to tend with the exit code as its value, which needs no writable
// path and works for root and for tend's own uid (the kernel's rule for
// signals; other uids cannot halt, as with s6's root-owned FIFOs).
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace tend::compat {

// SIGRTMIN+3: systemd's "halt" too, so `kill -s RTMIN+3 1` means the same thing.
int halt_signal();

// sival_int for "halt, no code given".
inline constexpr int kNoHaltCode = -1;

// The code carried by a queued halt signal: nothing for a plain kill or
// kNoHaltCode; codes are 0..255.
std::optional<int> halt_code(const signalfd_siginfo& info);

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

// Exit code files s6-overlay scripts write: v3's, then v2's.
inline constexpr const char* kV3ExitCodeFile = "/run/s6-linux-init-container-results/exitcode";
inline constexpr const char* kV2ExitCodeFile = "/run/s6/env-stage3/S6_STAGE2_EXITED";

// A file's first line as an exit code 0..255, if it holds one. Pure.
std::optional<int> parse_exit_code(std::string_view content);

// The code those files give, v3 first.
std::optional<int> exit_code_from_files();
// Removed at start: Docker keeps /run across restarts.
void remove_exit_code_files();

}  // namespace tend::compat
