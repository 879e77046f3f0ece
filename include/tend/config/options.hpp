// Command line and TEND_* environment options, and the subcommands.
//
// Every option has an environment twin TEND_<NAME> (upper case, '-' -> '_'),
// so a Dockerfile can configure tend with ENV. The command line wins over the
// environment, and the environment over an OptionLayer's values (s6-overlay's
// S6_*, given by s6/tree.hpp): one parse reads all three. One table of options
// (options.cpp) is read by everything: the CLI11 registrations, --help, the
// TEND_* twins, the did-you-mean suggestions, and option_rows() below, which
// documentation generators print.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/config/log_format.hpp"

namespace tend::config {

enum class InitFailure { Stop, Continue };

struct Options {
    std::filesystem::path services_dir = "/etc/services.d";
    std::filesystem::path cont_init_dir = "/etc/cont-init.d";
    std::filesystem::path cont_finish_dir = "/etc/cont-finish.d";
    std::filesystem::path runtime_dir = "/run/tend";
    std::filesystem::path crontab;        // --crontab: a Supercronic/Vixie crontab; empty: none
    InitFailure on_init_failure = InitFailure::Stop;
    bool forward_signals = false;
    bool as_me = false;                   // local testing: never switch user
    bool require_landlock = false;        // a `paths` this kernel cannot fully enforce refuses the service
    std::optional<std::string> cmd_user;  // run the CMD as this user
    std::chrono::milliseconds services_grace{3000};
    std::chrono::milliseconds finish_timeout{5000};
    std::chrono::milliseconds kill_grace{3000};
    std::string default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int verbosity = 2;
    LogFormat log_format = LogFormat::Text;
    bool log_prefix = false;
    bool inherit_output = false;          // services share tend's stdout/stderr (no pipes)
    std::chrono::milliseconds drain_timeout{5000};  // output left at exit: how long to write it out
    bool wait_ready = false;
    std::optional<std::chrono::milliseconds> ready_timeout;
    std::optional<std::string> control_group;
    std::vector<std::string> command;     // CMD and its args
    // s6-overlay compatibility: set by s6's option layer (s6/tree.hpp) only
    // when an s6 tree is detected.
    bool s6_tree = false;
    bool s6_keep_env = false;                    // S6_KEEP_ENV: every service keep-env
    bool sync_disks = false;                     // S6_SYNC_DISKS: sync() before exit
    bool start_cmd_after_ready_timeout = false;  // S6_BEHAVIOUR_IF_STAGE2_FAILS < 2
    std::vector<std::string> s6_stage2_hook;     // S6_STAGE2_HOOK: program and arguments
    // The supercronic applet (applets/run_supercronic.cpp), never set by an option:
    // SIGUSR2 (and with watch_crontab a change of the file) reloads the
    // crontab by executing tend again with these words once no job runs.
    std::vector<std::string> crontab_reload_argv;
    bool watch_crontab = false;
    // -overlapping: a crontab job due while its last run still runs starts
    // another run (ScheduleOverlap::Parallel) instead of skipping the tick.
    bool crontab_overlapping = false;
};

// What main should do after parsing.
struct UsageError;
class OptionLayer;

// `tend ctl ...` / `tend health`: the client's words, parsed here so that
// every command line of the binary goes through the same parser.
struct ClientCommandLine {
    bool health = false;
    std::optional<std::string> runtime_dir;  // --runtime-dir given to the client
    std::vector<std::string> words;          // the request: "status", "web", "--json" ...
};

struct ParsedCommandLine {
    // Run: tend as an init with `options`. Exit: done (help, version, usage
    // error). Client, Check, CompatInstall: the subcommand of that name.
    enum class Kind { Run, Exit, Client, Check, CompatInstall } kind = Kind::Run;
    int exit_code = 0;  // for Kind::Exit (--help, --version, usage error)
    Options options;
    // Kind::Exit on a usage error: the caller prints it as one `tend: error:`
    // line in the format in effect (log::render; config does not log).
    std::optional<std::string> usage_error;
    LogFormat usage_error_format = LogFormat::Text;
    ClientCommandLine client;                  // Kind::Client
    std::filesystem::path compat_root = "/";   // Kind::CompatInstall
};

// Parses argv and the TEND_* variables of `environ`: tend's own command line,
// or a subcommand when argv[1] names one (ctl, health, check, compat). Prints
// --help/--version to stdout; a usage error (exit code 2; 1 for `tend health`,
// whose callers only look at 0 or not) is returned for the caller to print.
// `tend check` gets `options` as `tend` with the same options and
// environment would (its CMD is refused: check starts nothing). `layer`:
// values beneath the TEND_* variables (OptionLayer below), asked only when
// tend's or check's options are parsed.
ParsedCommandLine parse_command_line(int argc, char** argv, OptionLayer* layer = nullptr);

// One row of the option table, for documentation generators (docs/
// configuration.md, the man page): what --help shows, as data.
struct OptionRow {
    std::string name;           // "services-dir" (the option is --services-dir)
    std::string environment;    // "TEND_SERVICES_DIR"
    std::string value_name;     // "DIR"; empty for a flag (1/true/yes/on or 0/false/no/off)
    std::string group;          // "Directories", "Start-up" ... in --help's order
    std::string help;           // one sentence, lower case start, no final period
    std::string default_value;  // as --help words it: "/etc/services.d", "3 s; 0 = no limit", "off"
};
std::vector<OptionRow> option_rows();

// --- The pure parts, for tests --------------------------------------------

// A command-line or TEND_* mistake. `message` names where the value came from
// (`--verbosity 7: ...`, `TEND_VERBOSITY=abc: ...`); `format` is the log format
// in effect, so the error line matches tend's other lines.
struct UsageError {
    std::string message;
    LogFormat format = LogFormat::Text;
};

struct CommandLine {
    enum class Action { Run, Help, Version } action = Action::Run;
    Options options;
};

// Only variables starting with TEND_ are looked at.
using EnvironmentVariables = std::map<std::string, std::string, std::less<>>;

// Option values from a source below the TEND_* variables, filled by a layer
// above config (s6/ gives s6-overlay's S6_* variables this way: config knows
// nothing of s6). The one parse asks it once, after the command line and the
// TEND_* variables are read without error, with the options they give over
// the defaults (the dirs it may look in), and applies each value it returns
// to an option neither of them set. The precedence is therefore
// defaults < layer < TEND_* < command line. It is never asked for --help,
// --version or a usage error found before it.
class OptionLayer {
public:
    struct Value {
        std::string variable;  // the option's TEND_* twin: "TEND_KILL_GRACE"
        std::string value;     // as that variable would hold it
        std::string source;    // how it was written, for an error: "S6_KILL_GRACETIME=100"
    };
    virtual ~OptionLayer() = default;
    virtual std::vector<Value> values(const Options& so_far) = 0;
    // Last step of the parse, once every value is applied: what the layer
    // sets that no option does (Options' s6 fields; the CMD's first words).
    virtual void complete(Options& options) = 0;
};

// The variables of `envp` whose names start with one of `prefixes` (TEND_,
// S6_). Each entry is checked against the prefixes before anything else is
// done with it: a Kubernetes pod's environment has hundreds of other entries.
EnvironmentVariables variables_with_prefixes(char** envp, std::initializer_list<std::string_view> prefixes);

// args: argv without argv[0]. Options end at `--` or at the first word that
// is not an option (the CMD); an unknown option before that is an error. The
// command line wins over the environment, which wins over `layer`'s values; a
// variable set to "" counts as unset.
std::expected<CommandLine, UsageError> parse_options(const std::vector<std::string>& args,
                                                     const EnvironmentVariables& environment,
                                                     OptionLayer* layer = nullptr);

// The known option closest to a mistyped one ("service-dir" -> "services-dir";
// names without the leading dashes), or nothing when none is close or two are.
std::optional<std::string> closest_option(std::string_view unknown);

// The log format a usage error is written in: --log-format on the command line
// (before the CMD), else TEND_LOG_FORMAT; text when neither says json.
LogFormat error_format(const std::vector<std::string>& args, const EnvironmentVariables& environment);

std::string help_text();
// `tend check --help`. (ctl, health and compat print theirs while parsing.)
std::string check_help_text();
// "tend 0.1.0 (static binary, RelWithDebInfo build)"
std::string version_text();

}  // namespace tend::config
