// Command line and TEND_* environment options.
//
// Every option has an environment twin TEND_<NAME> (upper case, '-' -> '_'),
// so a Dockerfile can configure tend with ENV. The command line wins over the
// environment.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tend/log/logger.hpp"

namespace tend::config {

enum class InitFailure { Stop, Continue };

struct Options {
    std::filesystem::path services_dir = "/etc/services.d";
    std::filesystem::path cont_init_dir = "/etc/cont-init.d";
    std::filesystem::path cont_finish_dir = "/etc/cont-finish.d";
    std::filesystem::path runtime_dir = "/run/tend";
    InitFailure on_init_failure = InitFailure::Stop;
    bool forward_signals = false;
    bool as_me = false;                   // local testing: never switch user
    std::optional<std::string> cmd_user;  // run the CMD as this user
    std::chrono::milliseconds services_grace{3000};
    std::chrono::milliseconds finish_timeout{5000};
    std::chrono::milliseconds kill_grace{3000};
    std::string default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int verbosity = 2;
    log::Format log_format = log::Format::Text;
    bool log_prefix = false;
    bool inherit_output = false;          // services share tend's stdout/stderr (no pipes)
    std::chrono::milliseconds drain_timeout{5000};  // output left at exit: how long to write it out
    bool wait_ready = false;
    std::optional<std::chrono::milliseconds> ready_timeout;
    std::optional<std::string> control_group;
    std::vector<std::string> command;     // CMD and its args
};

// What main should do after parsing.
struct ParsedCommandLine {
    enum class Kind { Run, Exit } kind = Kind::Run;
    int exit_code = 0;  // for Kind::Exit (--help, --version, usage error)
    Options options;
};

// Parses argv and the TEND_* variables of `environ`. Prints --help/--version
// output or usage errors itself.
ParsedCommandLine parse_command_line(int argc, char** argv);

}  // namespace tend::config
