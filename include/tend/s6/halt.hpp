// Halting the container from inside it, as tend (PID 1) hears it: the halt
// signal the `halt` and `s6-svscanctl -t` applets (applets/halt.hpp) queue
// when the control socket is not reachable, and the exit code files
// s6-overlay scripts write.
//
// The signal carries the exit code as its value; it needs no writable path
// and works for root and for tend's own uid (the kernel's rule for signals;
// other uids cannot halt, as with s6's root-owned FIFOs).
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace tend::s6 {

// SIGRTMIN+3: systemd's "halt" too, so `kill -s RTMIN+3 1` means the same thing.
int halt_signal();

// sival_int for "halt, no code given".
inline constexpr int kNoHaltCode = -1;

// The code carried by a queued halt signal: nothing for a plain kill or
// kNoHaltCode; codes are 0..255.
std::optional<int> halt_code(const signalfd_siginfo& info);

// Exit code files s6-overlay scripts write: v3's, then v2's.
inline constexpr const char* kV3ExitCodeFile = "/run/s6-linux-init-container-results/exitcode";
inline constexpr const char* kV2ExitCodeFile = "/run/s6/env-stage3/S6_STAGE2_EXITED";

// A file's first line as an exit code 0..255, if it holds one. Pure.
std::optional<int> parse_exit_code(std::string_view content);

// The code those files give, v3 first.
std::optional<int> exit_code_from_files();
// Removed at start: Docker keeps /run across restarts.
void remove_exit_code_files();

}  // namespace tend::s6
