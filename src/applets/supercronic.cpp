#include "tend/applets/supercronic.hpp"

#include <array>
#include <optional>

namespace tend::applets {
namespace {

// strconv.ParseBool
std::optional<bool> go_bool(std::string_view text) {
    for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"})
        if (text == yes) return true;
    for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"})
        if (text == no) return false;
    return std::nullopt;
}

struct Refused {
    std::string_view name;
    std::string_view why;
};
// Supercronic's flags with a value, all about services tend does not talk to.
constexpr std::array kRefused{
    Refused{"sentry-dsn", "tend does not report to Sentry"},
    Refused{"sentryDsn", "tend does not report to Sentry"},
    Refused{"sentry-environment", "tend does not report to Sentry"},
    Refused{"sentry-release", "tend does not report to Sentry"},
    Refused{"prometheus-listen-address",
            "tend serves no Prometheus metrics (`tend ctl status --json` shows each job's last run and next run)"},
};

bool* bool_flag(SupercronicCommandLine& line, std::string_view name, bool& test, bool& version) {
    if (name == "test") return &test;
    if (name == "version") return &version;
    if (name == "overlapping") return &line.overlapping;
    if (name == "json") return &line.json;
    if (name == "split-logs") return &line.split_logs;
    if (name == "passthrough-logs") return &line.passthrough_logs;
    if (name == "quiet") return &line.quiet;
    if (name == "debug") return &line.debug;
    if (name == "inotify") return &line.inotify;
    if (name == "no-reap") return &line.no_reap;
    return nullptr;
}

SupercronicCommandLine usage_error(std::string message) {
    SupercronicCommandLine line;
    line.action = SupercronicCommandLine::Action::UsageError;
    line.error = std::move(message);
    return line;
}

}  // namespace

SupercronicCommandLine parse_supercronic_args(const std::vector<std::string>& args) {
    SupercronicCommandLine line;
    bool test = false;
    bool version = false;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '-') break;  // the crontab (or "-")
        std::string_view flag = std::string_view(arg).substr(1);
        if (flag == "-") {  // "--": the flags end
            ++i;
            break;
        }
        if (flag.front() == '-') flag.remove_prefix(1);
        if (flag.empty() || flag.front() == '-' || flag.front() == '=') return usage_error("bad flag syntax: " + arg);
        std::string_view name = flag;
        std::optional<std::string_view> value;
        if (auto equals = flag.find('='); equals != std::string_view::npos) {
            name = flag.substr(0, equals);
            value = flag.substr(equals + 1);
        }
        if (name == "help" || name == "h") {
            line.action = SupercronicCommandLine::Action::Help;
            return line;
        }
        if (bool* target = bool_flag(line, name, test, version)) {
            if (!value) {
                *target = true;
                continue;
            }
            auto parsed = go_bool(*value);
            if (!parsed)
                return usage_error("invalid boolean value \"" + std::string(*value) + "\" for -" + std::string(name));
            *target = *parsed;
            continue;
        }
        for (const Refused& refused : kRefused)
            if (refused.name == name)
                return usage_error("-" + std::string(name) + " is not supported: " + std::string(refused.why) +
                                   "; remove the flag");
        return usage_error("flag provided but not defined: -" + std::string(name));
    }
    if (version) {
        line.action = SupercronicCommandLine::Action::Version;
        return line;
    }
    const std::size_t left = args.size() - i;
    if (left != 1)
        return usage_error(left == 0 ? std::string("a crontab is expected")
                                     : "one crontab is expected, not " + std::to_string(left) + " words (flags go "
                                       "before the crontab)");
    line.crontab = args[i];
    if (test) line.action = SupercronicCommandLine::Action::Test;
    return line;
}

std::string supercronic_usage() {
    return "Usage: supercronic [OPTIONS] CRONTAB\n"
           "\n"
           "tend's supercronic applet: Supercronic's command line, run by tend (see docs/migrating-from-supercronic.md).\n"
           "\n"
           "  -test               check the crontab, run nothing (every bad line named, exit 1)\n"
           "  -json               log as JSON lines\n"
           "  -quiet              log warnings and errors only (wins over -debug)\n"
           "  -debug              log debug messages too\n"
           "  -passthrough-logs   job output as the job wrote it (without it: each line prefixed with the job's name)\n"
           "  -split-logs         accepted: job stdout goes to stdout, job stderr to stderr either way\n"
           "  -inotify            reload the crontab when the file changes (as SIGUSR2)\n"
           "  -overlapping        a job still running at its next tick gets another run beside it\n"
           "  -no-reap            accepted: as PID 1 tend always reaps\n"
           "  -version            print the version and exit\n"
           "  -sentry-dsn, -sentryDsn, -sentry-environment, -sentry-release, -prometheus-listen-address\n"
           "                      refused: tend has no Sentry or Prometheus client\n"
           "\n"
           "SIGUSR2 reloads the crontab once the running jobs have finished.\n";
}

}  // namespace tend::applets
