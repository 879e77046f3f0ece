// `tend ctl ...` and `tend health`: a short-lived client of the control socket.
//
// The socket is found through, in order: the client's own --runtime-dir
// (then nothing else is tried), TEND_RUNTIME_DIR, the --runtime-dir on PID 1's
// command line (/proc/1/cmdline), /run/tend. Exit codes: 0 done, 1 refused,
// 2 usage, 3 control unreachable. `tend health` exits only 0 or 1 (Docker
// reserves 2), and says "control is off" when no socket is there.
#pragma once

#include "tend/config/options.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/control/protocol.hpp"

namespace tend::control {

// Why a request got no reply.
struct ClientError {
    bool no_socket = false;  // no socket file at any path tried: control is off (or tend is not running)
    bool denied = false;     // a socket was there but connect() said EACCES
    std::string message;     // "control unreachable; tried: ..." or what went wrong on the way
    bool untrusted = false;  // a dir or socket failed the runtime dir trust rule: control is off, said why
};

// Sends one request (`words`: command and arguments) and waits up to
// `timeout` for the reply. `runtime_dir`: the caller's own --runtime-dir, if
// any; otherwise the usual search. For other programs that speak to tend
// (the s6 `halt`/`s6-svc` applets), and for `tend ctl` itself.
std::expected<Reply, ClientError> request(const std::vector<std::string>& words,
                                          const std::optional<std::string>& runtime_dir,
                                          std::chrono::milliseconds timeout);

// Runs the client on its parsed command line (config::parse_command_line);
// returns the process exit code.
int run_client(const config::ClientCommandLine& command_line);

// Where to look for the socket, in order (pure: for tests). PID 1's command
// line is read with tend's own parser (config::parse_options), so it is
// understood exactly as PID 1 understood it.
std::vector<std::string> socket_dir_candidates(const std::optional<std::string>& own_runtime_dir,
                                               const std::optional<std::string>& env_runtime_dir,
                                               std::string_view pid1_cmdline);

}  // namespace tend::control
