// `tend ctl ...` and `tend health`: a short-lived client of the control socket.
//
// The socket is found through, in order: the client's own --runtime-dir
// (then nothing else is tried), TEND_RUNTIME_DIR, the --runtime-dir on PID 1's
// command line (/proc/1/cmdline), /run/tend. Exit codes: 0 done, 1 refused,
// 2 usage, 3 control unreachable. `tend health` exits only 0 or 1 (Docker
// reserves 2), and says "control is off" when no socket is there.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::control {

// True when argv names a client subcommand (argv[1] is "ctl" or "health").
bool is_client_command(int argc, char** argv);
// Runs the client; returns the process exit code.
int run_client(int argc, char** argv);

// Where to look for the socket, in order (pure: for tests).
std::vector<std::string> socket_dir_candidates(const std::optional<std::string>& own_runtime_dir,
                                               const std::optional<std::string>& env_runtime_dir,
                                               std::string_view pid1_cmdline);

}  // namespace tend::control
