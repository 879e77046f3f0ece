// Parsing one service directory (see service_config.hpp).
//
// Each file is read through read_small_file (bounded, FIFO-safe) and checked
// as text, so every failure becomes one ConfigError naming the exact file.
// Files are independent, so the order below is only the order in which
// errors are found; the first error stops the parse because the service will
// not start anyway.
#include "tend/config/service_config.hpp"
#include "tend/config/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "tend/config/duration.hpp"
#include "tend/config/envdir.hpp"
#include "tend/config/file_reader.hpp"

namespace tend::config {
namespace {

using Path = std::filesystem::path;

constexpr std::uint64_t kMaxId = 4294967294ULL;  // (uid_t)-1 means "no change" to setresuid
constexpr int kMinNotificationFd = 3;             // 0..2 are stdio
constexpr int kMaxNotificationFd = 1023;




// A user or group name as shadow-utils accepts it (plus '$' for Samba machine accounts).
bool is_valid_account_name(std::string_view name) {
    if (name.empty() || name.size() > 256 || name.front() == '-') return false;
    if (name.back() == '$') name.remove_suffix(1);
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' ||
               c == '-';
    });
}

std::expected<void, std::string> check_account_part(std::string_view part, std::string_view what) {
    if (part.empty()) return std::unexpected("empty " + std::string(what));
    if (all_digits(part)) {
        std::uint64_t value = 0;
        for (char c : part) {
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
            if (value > kMaxId) {
                return std::unexpected(std::string(what) + " " + in_quotes(part) + " is out of range (max " +
                                       std::to_string(kMaxId) + ")");
            }
        }
        return {};
    }
    if (!is_valid_account_name(part)) {
        return std::unexpected(std::string(what) + " " + in_quotes(part) +
                               " is not a valid name (letters, digits, '.', '_', '-', optional trailing '$', "
                               "no leading '-')");
    }
    return {};
}

// stat() failure reasons: a dangling symlink is named as such because `ls`
// shows the file, and "No such file or directory" would then be confusing.
std::string stat_failure_reason(const Path& file, int error) {
    struct stat link_status {};
    if (error == ENOENT && ::lstat(file.c_str(), &link_status) == 0 && S_ISLNK(link_status.st_mode)) {
        return "dangling symbolic link (its target does not exist)";
    }
    return std::strerror(error);
}

class ServiceDirParser {
public:
    ServiceDirParser(const Path& dir, ScriptRules rules) : dir_(dir), rules_(rules) {}

    std::expected<ServiceConfig, ConfigError> parse() {
        std::vector<ConfigError> problems = run_steps(false);
        if (!problems.empty()) return std::unexpected(std::move(problems.front()));
        return std::move(config_);
    }

    // Each step is independent: a start stops at the first error, `tend
    // check` (every_problem) runs them all.
    std::vector<ConfigError> run_steps(bool every_problem) {
        if (auto ok = check_dir(); !ok) return {ok.error()};
        config_.dir = dir_.string();
        std::vector<ConfigError> problems;
        for (auto step : {&ServiceDirParser::parse_scripts, &ServiceDirParser::parse_presence_files,
                          &ServiceDirParser::parse_user, &ServiceDirParser::parse_environment,
                          &ServiceDirParser::parse_privileges, &ServiceDirParser::parse_confinement,
                          &ServiceDirParser::parse_limits_file,
                          &ServiceDirParser::parse_umask_file, &ServiceDirParser::parse_workdir_file,
                          &ServiceDirParser::parse_supervision, &ServiceDirParser::parse_depends_file,
                          &ServiceDirParser::parse_restart_file, &ServiceDirParser::parse_timeout_kill_file,
                          &ServiceDirParser::parse_timeout_finish_file, &ServiceDirParser::parse_down_signal_file,
                          &ServiceDirParser::parse_schedule_files}) {
            if (auto ok = (this->*step)(); !ok) {
                problems.push_back(ok.error());
                if (!every_problem) break;
            }
        }
        return problems;
    }

private:
    using Step = std::expected<void, ConfigError>;

    Path file(std::string_view name) const { return dir_ / name; }

    static std::unexpected<ConfigError> fail(const Path& file, std::string reason) {
        return std::unexpected(ConfigError{file, std::move(reason)});
    }

    Step check_dir() {
        struct stat status {};
        if (::stat(dir_.c_str(), &status) != 0) return fail(dir_, stat_failure_reason(dir_, errno));
        if (!S_ISDIR(status.st_mode)) return fail(dir_, "is not a directory");

        // "svc/" has an empty filename; "." and ".." name nothing useful.
        Path named = dir_;
        if (!named.has_filename()) named = named.parent_path();
        if (named.filename() == "." || named.filename() == "..") {
            std::error_code error;
            const Path absolute = std::filesystem::absolute(named, error).lexically_normal();
            if (!error) named = absolute.has_filename() ? absolute : absolute.parent_path();
        }
        config_.name = named.filename().string();
        if (!is_valid_service_name(config_.name)) {
            return fail(dir_, in_quotes(config_.name) + " is not a valid service name");
        }
        return {};
    }

    // Whether a presence file exists (any type: its content is ignored).
    std::expected<bool, ConfigError> exists(std::string_view name) const {
        const Path path = file(name);
        struct stat status {};
        if (::lstat(path.c_str(), &status) == 0) return true;
        if (errno == ENOENT) return false;
        return fail(path, std::strerror(errno));
    }

    // Content of an optional text file: nullopt when absent.
    std::expected<std::optional<std::string>, ConfigError> read_text(std::string_view name) const {
        const auto present = exists(name);
        if (!present) return std::unexpected(present.error());
        if (!*present) return std::optional<std::string>{};
        const Path path = file(name);
        auto content = read_small_file(path);
        if (!content) return fail(path, content.error());
        if (auto text = check_text(*content); !text) return fail(path, text.error());
        return std::optional<std::string>{std::move(*content)};
    }

    // First meaningful line of an optional one-value file; an existing file
    // without one is an error, since an empty setting is never intended.
    std::expected<std::optional<std::string>, ConfigError> read_value(std::string_view name,
                                                                      std::string_view expected) const {
        auto content = read_text(name);
        if (!content || !*content) return content;
        std::string value = first_line(**content);
        if (value.empty()) return fail(file(name), "is empty: expected " + std::string(expected));
        return std::optional<std::string>{std::move(value)};
    }

    // `run` and `finish`: regular files with an execute bit (after symlinks).
    std::expected<Path, ConfigError> check_script(std::string_view name) {
        const Path path = file(name);
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            const int error = errno;
            if (error == ENOENT && name == "run") {
                struct stat link_status {};
                if (::lstat(path.c_str(), &link_status) != 0) {
                    return fail(path, "missing: every service needs an executable run file");
                }
            }
            return fail(path, stat_failure_reason(path, error));
        }
        if (S_ISDIR(status.st_mode)) return fail(path, "is a directory");
        if (!S_ISREG(status.st_mode)) return fail(path, "is not a regular file");
        if ((status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
            if (rules_.shebang_without_exec_bit && starts_with_shebang(path)) {
                config_.warnings.push_back(path.string() +
                                           ": not executable; started through its #! line (s6-overlay makes it "
                                           "executable at boot; chmod +x it in the image)");
                return path;
            }
            return fail(path, "not executable (no execute permission bit set)");
        }
        return path;
    }

    Step parse_scripts() {
        auto run = check_script("run");
        if (!run) return std::unexpected(run.error());
        config_.run = run->string();

        const auto has_finish = exists("finish");
        if (!has_finish) return std::unexpected(has_finish.error());
        if (*has_finish) {
            auto finish = check_script("finish");
            if (!finish) return std::unexpected(finish.error());
            config_.finish = finish->string();
        }
        return {};
    }

    Step parse_presence_files() {
        struct Flag {
            std::string_view name;
            bool ServiceConfig::*field;
        };
        config_.primary = has_primary_file(dir_);
        for (const Flag flag : {Flag{"down", &ServiceConfig::down}, Flag{"keep-env", &ServiceConfig::keep_env},
                                Flag{"allow-new-privs", &ServiceConfig::allow_new_privs}}) {
            const auto present = exists(flag.name);
            if (!present) return std::unexpected(present.error());
            config_.*flag.field = *present;
        }
        return {};
    }

    Step parse_user() {
        auto user = read_value("user", "name, name:group, uid or uid:gid");
        if (!user) return std::unexpected(user.error());
        if (!*user) return {};
        if (auto syntax = check_user_syntax(**user); !syntax) return fail(file("user"), syntax.error());
        config_.user = std::move(*user);
        return {};
    }

    Step parse_environment() {
        auto envdir = read_envdir(file("env"));
        if (!envdir) return std::unexpected(envdir.error());
        config_.envdir = std::move(*envdir);

        const auto has_import = exists("import-env");
        if (!has_import) return std::unexpected(has_import.error());
        if (!*has_import) return {};
        if (config_.keep_env) {
            // keep-env wins; import-env is not even read (docs/service-directory.md).
            config_.warnings.push_back(file("import-env").string() + ": ignored because " +
                                       file("keep-env").string() + " exists (keep-env wins)");
            return {};
        }
        auto content = read_text("import-env");
        if (!content) return std::unexpected(content.error());
        std::vector<std::string> names = meaningful_lines(**content);
        for (const std::string& name : names) {
            if (name.find('=') != std::string::npos) {
                return fail(file("import-env"), "variable name " + in_quotes(name) + " contains '='");
            }
        }
        config_.import_env = std::move(names);
        return {};
    }

    Step parse_privileges() {
        auto capabilities = read_text("capabilities");
        if (!capabilities) return std::unexpected(capabilities.error());
        if (*capabilities) {
            const auto mask = parse_capabilities(**capabilities);
            if (!mask) return fail(file("capabilities"), mask.error());
            config_.capabilities = *mask;
        }
        return {};
    }

    // `paths` and `paths-required` (docs/confinement.md). Landlock takes
    // effect only under no_new_privs, so `allow-new-privs` beside `paths` is
    // a contradiction, refused by naming both files.
    Step parse_confinement() {
        const auto required = exists("paths-required");
        if (!required) return std::unexpected(required.error());
        auto content = read_text("paths");
        if (!content) return std::unexpected(content.error());
        if (!*content) {
            if (*required)
                config_.warnings.push_back(file("paths-required").string() + ": ignored: there is no " +
                                           file("paths").string());
            return {};
        }
        if (config_.allow_new_privs)
            return fail(file("paths"), "cannot be combined with " + file("allow-new-privs").string() +
                                           ": Landlock confines only a process with no_new_privs; remove one of "
                                           "the two");
        auto parsed = load_paths_file(**content);
        if (!parsed) return fail(file("paths"), joined(file("paths"), parsed.error()));
        config_.paths = std::move(*parsed);
        config_.paths_required = *required;
        return {};
    }

    // Every problem of a file, one message, each naming the file (the first
    // gets it from ConfigError::message): "line 2: ...; FILE: line 5: ...".
    static std::string joined(const std::filesystem::path& file, const std::vector<std::string>& problems) {
        std::string text;
        for (const auto& problem : problems) {
            if (!text.empty()) text += "; " + file.string() + ": ";
            text += problem;
        }
        return text;
    }

    Step parse_limits_file() {
        auto limits = read_text("limits");
        if (!limits) return std::unexpected(limits.error());
        if (*limits) {
            auto parsed = parse_limits(**limits);
            if (!parsed) return fail(file("limits"), parsed.error());
            config_.limits = std::move(*parsed);
        }
        return {};
    }

    Step parse_umask_file() {
        auto umask = read_value("umask", "3 or 4 octal digits");
        if (!umask) return std::unexpected(umask.error());
        if (*umask) {
            const auto parsed = parse_umask(**umask);
            if (!parsed) return fail(file("umask"), parsed.error());
            config_.umask = *parsed;
        }
        return {};
    }

    Step parse_workdir_file() {
        // Absolute, so a later chdir of tend or a relative --services-dir
        // cannot change its meaning; not normalised, because ".." after a
        // symlink means something else to the kernel than to a lexer.
        auto workdir = read_value("workdir", "a directory path");
        if (!workdir) return std::unexpected(workdir.error());
        const Path relative_to_dir = *workdir ? dir_ / Path(**workdir) : dir_;
        std::error_code error;
        config_.workdir = std::filesystem::absolute(relative_to_dir, error).string();
        if (error) config_.workdir = relative_to_dir.string();
        return {};
    }

    // notification-fd and ready-when: one flag, two files that exclude each other.
    Step parse_supervision() {
        auto fd = read_value("notification-fd", "a file descriptor number, 3 to 1023");
        if (!fd) return std::unexpected(fd.error());
        if (*fd) {
            const std::string& text = **fd;
            int number = -1;
            if (all_digits(text) && text.size() <= 4) {
                number = 0;
                for (char c : text) number = number * 10 + (c - '0');
            }
            if (number < kMinNotificationFd || number > kMaxNotificationFd) {
                return fail(file("notification-fd"),
                            in_quotes(text) + " is not a file descriptor number from 3 to 1023");
            }
            config_.notification_fd = number;
        }

        auto ready_when = read_text("ready-when");
        if (!ready_when) return std::unexpected(ready_when.error());
        if (*ready_when) {
            auto parsed = parse_ready_when(**ready_when);
            if (!parsed) return fail(file("ready-when"), parsed.error());
            // Two sources of truth for one flag: which one wins would be a guess.
            if (config_.notification_fd) {
                return fail(file("ready-when"), "cannot be used together with " + file("notification-fd").string() +
                                                    ": keep one of the two");
            }
            config_.ready_when = std::move(*parsed);
        }
        return {};
    }

    Step parse_depends_file() {
        auto depends = read_text("depends");
        if (!depends) return std::unexpected(depends.error());
        if (*depends) {
            for (std::string& name : meaningful_lines(**depends)) {
                if (!is_valid_service_name(name)) {
                    return fail(file("depends"), in_quotes(name) + " is not a valid service name");
                }
                // A repeated line adds nothing; keep the first.
                if (std::find(config_.depends.begin(), config_.depends.end(), name) == config_.depends.end()) {
                    config_.depends.push_back(std::move(name));
                }
            }
        }
        return {};
    }

    Step parse_restart_file() {
        auto restart = read_value("restart", "always, on-failure or never");
        if (!restart) return std::unexpected(restart.error());
        if (*restart) {
            if (**restart == "always") config_.restart = RestartPolicy::Always;
            else if (**restart == "on-failure") config_.restart = RestartPolicy::OnFailure;
            else if (**restart == "never") config_.restart = RestartPolicy::Never;
            else return fail(file("restart"), "unknown policy " + in_quotes(**restart) + " (always, on-failure or never)");
        }
        return {};
    }

    Step parse_timeout_kill_file() {
        auto timeout_kill = read_value("timeout-kill", "a duration (3000 = milliseconds, 500ms, 3s, 2m, 1h)");
        if (!timeout_kill) return std::unexpected(timeout_kill.error());
        if (*timeout_kill) {
            const auto ms = parse_duration(**timeout_kill);
            if (!ms) return fail(file("timeout-kill"), in_quotes(**timeout_kill) + ": " + ms.error());
            config_.timeout_kill = *ms;
        }
        return {};
    }

    Step parse_timeout_finish_file() {
        auto timeout_finish = read_value("timeout-finish", "a duration (3000 = milliseconds, 500ms, 3s, 2m, 1h)");
        if (!timeout_finish) return std::unexpected(timeout_finish.error());
        if (*timeout_finish) {
            const auto ms = parse_duration(**timeout_finish);
            if (!ms) return fail(file("timeout-finish"), in_quotes(**timeout_finish) + ": " + ms.error());
            config_.timeout_finish = *ms;
        }
        return {};
    }

    Step parse_down_signal_file() {
        auto down_signal = read_value("down-signal", "a signal name such as SIGTERM");
        if (!down_signal) return std::unexpected(down_signal.error());
        if (*down_signal) {
            const auto signo = parse_signal(**down_signal);
            if (!signo) return fail(file("down-signal"), "unknown signal " + in_quotes(**down_signal));
            config_.down_signal = *signo;
        }
        return {};
    }

    // `schedule` and `schedule-overlap`. A scheduled job is started by its
    // ticks, not kept up, so the files about keeping a service up or about
    // when it is up make no sense beside it: refused by name, not ignored.
    Step parse_schedule_files() {
        auto line = read_value("schedule", "a cron expression or @daily, @every 1h, ...");
        if (!line) return std::unexpected(line.error());
        auto overlap = read_value("schedule-overlap", "skip or kill");
        if (!overlap) return std::unexpected(overlap.error());
        if (!*line) {
            if (*overlap)
                config_.warnings.push_back(file("schedule-overlap").string() + ": ignored: there is no " +
                                           file("schedule").string());
            return {};
        }
        for (std::string_view conflicting : {"primary", "restart", "notification-fd", "ready-when"}) {
            const auto present = exists(conflicting);
            if (!present) return std::unexpected(present.error());
            if (*present)
                return fail(file("schedule"), "cannot be combined with " + file(conflicting).string() +
                                                  " (a scheduled job runs at its ticks and is never kept up, "
                                                  "restarted or waited for)");
        }
        auto parsed = time::parse_schedule(**line);
        if (!parsed) return fail(file("schedule"), parsed.error());
        config_.schedule = std::move(*parsed);
        config_.schedule_text = **line;
        if (*overlap) {
            auto mode = parse_schedule_overlap(**overlap);
            if (!mode) return fail(file("schedule-overlap"), mode.error());
            config_.schedule_overlap = *mode;
        }
        return {};
    }

    Path dir_;
    ScriptRules rules_;
    ServiceConfig config_;
};

}  // namespace

bool is_valid_service_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    return std::none_of(name.begin(), name.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return c == '/' || byte < 0x20 || byte == 0x7f;
    });
}

std::expected<void, std::string> check_user_syntax(std::string_view spec) {
    if (spec.empty()) return std::unexpected(std::string("empty: expected name, name:group, uid or uid:gid"));
    const auto colon = spec.find(':');
    if (colon == std::string_view::npos) return check_account_part(spec, "user");
    if (spec.find(':', colon + 1) != std::string_view::npos) {
        return std::unexpected(in_quotes(spec) + " has more than one ':' (expected name:group or uid:gid)");
    }
    if (auto user = check_account_part(spec.substr(0, colon), "user"); !user) return user;
    return check_account_part(spec.substr(colon + 1), "group");
}

bool has_primary_file(const std::filesystem::path& dir) {
    std::error_code ignored;
    return std::filesystem::exists(std::filesystem::symlink_status(dir / "primary", ignored));
}

std::expected<ServiceConfig, ConfigError> parse_service_dir(const std::filesystem::path& dir) {
    return parse_service_dir(dir, ScriptRules{});
}

bool starts_with_shebang(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    char head[2] = {};
    ssize_t n = ::read(fd, head, sizeof head);
    ::close(fd);
    return n == 2 && head[0] == '#' && head[1] == '!';
}

std::expected<ServiceConfig, ConfigError> parse_service_dir(const std::filesystem::path& dir, ScriptRules rules) {
    return ServiceDirParser(dir, rules).parse();
}

std::vector<ConfigError> service_dir_problems(const std::filesystem::path& dir, ScriptRules rules) {
    return ServiceDirParser(dir, rules).run_steps(true);
}

std::expected<ScheduleOverlap, std::string> parse_schedule_overlap(std::string_view line) {
    if (line == "skip") return ScheduleOverlap::Skip;
    if (line == "kill") return ScheduleOverlap::Kill;
    return std::unexpected("unknown value " + in_quotes(line) + " (skip or kill)");
}

}  // namespace tend::config
