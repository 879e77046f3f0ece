// A service directory, parsed.
//
// Every setting of a service is a file in its directory (s6 style). This header
// describes the parsed, validated form; nothing here touches a process. Parsing
// happens once in the setup of each service start attempt, in the parent, so a
// broken file fails only that service and never reaches the event loop as an
// exception.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/config/paths_file.hpp"
#include "tend/time/schedule.hpp"
#include "tend/time/time_zone.hpp"
#include "tend/config/ready_when.hpp"

namespace tend::config {

enum class RestartPolicy { Always, OnFailure, Never };

// `schedule-overlap`: what a tick does while the previous run still runs.
enum class ScheduleOverlap {
    Skip,  // the tick is skipped and logged (default)
    Kill,  // the old run is stopped (down-signal, SIGKILL after timeout-kill), then the new one starts
    // Another run starts beside it: a crontab's jobs under `supercronic
    // -overlapping` only (Options::crontab_overlapping); no `schedule-overlap`
    // line names it.
    Parallel,
};
std::expected<ScheduleOverlap, std::string> parse_schedule_overlap(std::string_view line);


// One `limits` line: resource (RLIMIT_*), soft and hard values (RLIM_INFINITY
// for `unlimited`), and the name as written, for error messages.
struct ResourceLimit {
    int resource = 0;
    rlim_t soft = 0;
    rlim_t hard = 0;
    std::string name;

    bool operator==(const ResourceLimit&) const = default;
};

// One entry of `env/`: a value, or std::nullopt when the file was empty (unset).
struct EnvdirEntry {
    std::string name;
    std::optional<std::string> value;

    bool operator==(const EnvdirEntry&) const = default;
};

struct ServiceConfig {
    // The paths are kept as strings: the supervisor holds this for every
    // service for its whole life, and a std::filesystem::path also stores
    // each of its components (bench/README.md, memory per service).
    std::string name;                     // directory name
    std::string dir;                      // the service dir itself
    std::string run;                      // dir/run, checked: regular, executable
    std::optional<std::string> finish;    // dir/finish when present

    bool down = false;                    // `down` exists
    bool primary = false;                 // `primary` exists
    std::optional<std::string> user;      // `user`, trimmed, not yet resolved
    std::vector<EnvdirEntry> envdir;      // `env/`, sorted by name
    bool keep_env = false;                // `keep-env`
    std::optional<std::vector<std::string>> import_env;  // `import-env` names
    bool allow_new_privs = false;         // `allow-new-privs`
    std::optional<std::uint64_t> capabilities;  // `capabilities`: bit N = cap N
    // `paths`: Landlock rules, every PATH checked to exist; never with
    // allow-new-privs. `paths-required`: a kernel that cannot enforce all of
    // them refuses the start instead of running with what it can enforce.
    std::optional<PathsFile> paths;
    bool paths_required = false;
    std::vector<ResourceLimit> limits;    // `limits`
    std::string workdir;                  // `workdir` resolved against dir; default dir
    std::optional<mode_t> umask;          // `umask`
    std::optional<int> notification_fd;   // `notification-fd`, 3..1023
    std::optional<ReadyWhen> ready_when;  // `ready-when`; never with notification-fd
    std::vector<std::string> depends;     // `depends`
    RestartPolicy restart = RestartPolicy::Always;
    std::optional<std::chrono::milliseconds> timeout_kill;  // default: --services-grace
    std::chrono::milliseconds timeout_finish{5000};
    int down_signal = 15;                 // SIGTERM

    // `schedule`: run `run` on a schedule instead of keeping it up.
    std::optional<time::Schedule> schedule;
    std::string schedule_text;            // the line as written, for messages
    ScheduleOverlap schedule_overlap = ScheduleOverlap::Skip;  // `schedule-overlap`
    // A crontab job (--crontab): what runs instead of `run` (SHELL -c LINE),
    // and its crontab's CRON_TZ (null: the container's zone, as `schedule` files).
    std::vector<std::string> command;
    std::shared_ptr<const time::TimeZone> schedule_zone;

    // Non-fatal findings (e.g. both keep-env and import-env), each a full
    // message naming the file.
    std::vector<std::string> warnings;
};

// A fatal problem with one service dir. `message()` is "<file>: <reason>".
struct ConfigError {
    std::filesystem::path file;
    std::string reason;

    std::string message() const { return file.string() + ": " + reason; }
};

// Parse and validate one service dir. Never throws.
// The dir has a `primary` file (any kind, even a dangling symlink). Read
// here only, by the parser and by the supervisor before parsing: a primary
// whose dir is broken must still end the container.
bool has_primary_file(const std::filesystem::path& dir);

std::expected<ServiceConfig, ConfigError> parse_service_dir(const std::filesystem::path& dir);

// s6-overlay trees: s6-overlay makes its scripts executable at boot, so a
// `run`/`finish` (or cont-init script) with no execute bit but a `#!` line is
// accepted with a warning and started through that line (s6/script_plan).
struct ScriptRules {
    bool shebang_without_exec_bit = false;
};
std::expected<ServiceConfig, ConfigError> parse_service_dir(const std::filesystem::path& dir, ScriptRules rules);
// Every problem of one service dir, not only the first (`tend check`): the
// same steps, each run even after another one failed.
std::vector<ConfigError> service_dir_problems(const std::filesystem::path& dir, ScriptRules rules = {});

// True when a regular file starts with "#!" (read in the parent, pure I/O).
bool starts_with_shebang(const std::filesystem::path& file);

// The service dirs of a services dir, sorted by name. Hidden entries and
// anything that is not a directory are skipped as expected (a README): each
// is described in `skipped`, for debug logging. What is worth a warning (an
// unreadable services dir, a dangling symlink) goes to `problems`. A missing
// services dir gives an empty list and no message.
std::vector<std::filesystem::path> list_service_dirs(const std::filesystem::path& services_dir,
                                                     std::vector<std::string>& skipped,
                                                     std::vector<std::string>& problems);

// Executable regular files of a cont-init / cont-finish dir in byte order of
// name. Hidden and non-executable entries are skipped with a message in
// `warnings`. A missing dir gives an empty list.
std::vector<std::filesystem::path> list_scripts(const std::filesystem::path& dir,
                                                std::vector<std::string>& warnings);
std::vector<std::filesystem::path> list_scripts(const std::filesystem::path& dir, std::vector<std::string>& warnings,
                                                ScriptRules rules);

// Parsers for single files, exposed for unit tests. Errors are reasons
// without the path.
// `capabilities`: names separated by blanks, commas or newlines; case and the
// CAP_ prefix optional; bit N of the result = capability N (libcap-ng names).
std::expected<std::uint64_t, std::string> parse_capabilities(std::string_view text);
// `limits`: a line each, `NAME VALUE` or `NAME SOFT:HARD`; K/M/G = 1024 powers;
// `unlimited`/`infinity`. Names: nofile nproc core as fsize memlock stack cpu.
std::expected<std::vector<ResourceLimit>, std::string> parse_limits(std::string_view text);
// `umask`: octal, 3 or 4 digits.
std::expected<mode_t, std::string> parse_umask(std::string_view text);

// Signal names: "SIGTERM", "TERM", "term", "15". Returns nullopt if unknown.
std::optional<int> parse_signal(std::string_view text);
// "SIGTERM" for 15, "SIG15" style fallback for unnamed numbers.
std::string signal_name(int signo);

// A service name (a `depends` line, a `tend ctl` argument): non-empty, at most
// 255 bytes, no '/', not starting with '.', no control bytes.
bool is_valid_service_name(std::string_view name);
// Syntax of a `user` value: `name`, `name:group`, `uid` or `uid:gid`. Names
// are [A-Za-z0-9._-], may end with '$', never start with '-'; numbers are
// decimal below 4294967295. Existence is not checked (resolve_user does).
std::expected<void, std::string> check_user_syntax(std::string_view spec);

}  // namespace tend::config
