// The command line and its TEND_* twins, parsed by hand: every mistake must
// be one `tend: error:` line that names where the value came from and what
// would have worked, and an unknown option must never become the CMD. A
// general-purpose library words its messages itself and cannot say either.
#include "tend/config/options.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "tend/config/duration.hpp"

#ifndef TEND_BUILD_TYPE
#define TEND_BUILD_TYPE "unknown"
#endif
#ifndef TEND_STATIC
#define TEND_STATIC 0
#endif

extern char** environ;

namespace tend::config {
namespace {

using namespace std::chrono_literals;

enum class Group { Directories, StartUp, ShutdownTiming, Logging, Control };

constexpr std::array<std::pair<Group, std::string_view>, 5> kGroupTitles{{
    {Group::Directories, "Directories"},
    {Group::StartUp, "Start-up"},
    {Group::ShutdownTiming, "Shutdown timing"},
    {Group::Logging, "Logging"},
    {Group::Control, "Control socket"},
}};

// Sets one option from its text; an error is the reason only (the caller
// prefixes where the value came from).
using Apply = std::expected<void, std::string> (*)(Options&, std::string_view);
using DescribeDefault = std::string (*)(const Options&);

struct OptionSpec {
    std::string_view name;        // without "--"
    std::string_view value_name;  // "" for a flag
    Group group;
    std::string_view help;
    bool Options::* flag = nullptr;  // set for flags
    Apply apply = nullptr;           // set for options with a value
    DescribeDefault describe_default = nullptr;
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::expected<void, std::string> set_path(std::filesystem::path& target, std::string_view value) {
    if (value.empty()) return std::unexpected(std::string("empty: a directory is expected"));
    target = std::filesystem::path(value);
    return {};
}

std::expected<void, std::string> set_word(std::optional<std::string>& target, std::string_view value,
                                          std::string_view what) {
    if (value.empty()) return std::unexpected("empty: " + std::string(what) + " is expected");
    target = std::string(value);
    return {};
}

// Durations: see duration.hpp. 0 is no limit or "at once" depending on the
// option (init.cpp reads it); only --ready-timeout refuses it, because giving
// up before anything could be ready is never what was meant.
std::expected<std::chrono::milliseconds, std::string> duration_value(std::string_view value, bool zero_allowed) {
    auto parsed = parse_duration(value);
    if (!parsed) return std::unexpected(parsed.error());
    if (!zero_allowed && *parsed == 0ms) {
        return std::unexpected(std::string("0 is not allowed here (leave it unset to wait forever)"));
    }
    return *parsed;
}

std::expected<void, std::string> set_duration(std::chrono::milliseconds& target, std::string_view value) {
    auto parsed = duration_value(value, true);
    if (!parsed) return std::unexpected(parsed.error());
    target = *parsed;
    return {};
}

std::expected<bool, std::string> flag_value(std::string_view value) {
    const std::string word = lower(value);
    if (word == "1" || word == "true" || word == "yes" || word == "on") return true;
    if (word == "0" || word == "false" || word == "no" || word == "off") return false;
    return std::unexpected(std::string("not a yes/no value (1, true, yes, on or 0, false, no, off)"));
}

std::string words_for(std::chrono::milliseconds duration, std::string_view zero_means) {
    return describe_duration(duration) + "; 0 = " + std::string(zero_means);
}

// The table every part reads: parsing, --help, suggestions, TEND_* names.
const std::array<OptionSpec, 21> kOptions{{
    // Directories
    {"services-dir", "DIR", Group::Directories, "directory of service dirs", nullptr,
     [](Options& o, std::string_view v) { return set_path(o.services_dir, v); },
     [](const Options& o) { return o.services_dir.string(); }},
    {"cont-init-dir", "DIR", Group::Directories, "scripts run one by one before the services", nullptr,
     [](Options& o, std::string_view v) { return set_path(o.cont_init_dir, v); },
     [](const Options& o) { return o.cont_init_dir.string(); }},
    {"cont-finish-dir", "DIR", Group::Directories, "scripts run after the services stopped", nullptr,
     [](Options& o, std::string_view v) { return set_path(o.cont_finish_dir, v); },
     [](const Options& o) { return o.cont_finish_dir.string(); }},
    {"crontab", "FILE", Group::Directories, "a Supercronic/Vixie crontab whose jobs run beside the services",
     nullptr, [](Options& o, std::string_view v) { return set_path(o.crontab, v); },
     [](const Options& o) { return o.crontab.empty() ? std::string("none") : o.crontab.string(); }},
    // Start-up
    {"on-init-failure", "stop|continue", Group::StartUp,
     "a failing cont-init script ends the boot (stop) or is only reported (continue)", nullptr,
     [](Options& o, std::string_view v) -> std::expected<void, std::string> {
         const std::string word = lower(v);
         if (word == "stop") o.on_init_failure = InitFailure::Stop;
         else if (word == "continue") o.on_init_failure = InitFailure::Continue;
         else return std::unexpected(std::string("not stop or continue"));
         return {};
     },
     [](const Options& o) {
         return std::string(o.on_init_failure == InitFailure::Stop ? "stop" : "continue");
     }},
    {"cmd-user", "USER", Group::StartUp, "run the CMD as this user (name, name:group, uid or uid:gid)", nullptr,
     [](Options& o, std::string_view v) { return set_word(o.cmd_user, v, "a user"); },
     [](const Options&) { return std::string("tend's own user"); }},
    {"as-me", "", Group::StartUp, "local testing: ignore `user` files, run everything as tend's user",
     &Options::as_me, nullptr, nullptr},
    {"forward-signals", "", Group::StartUp,
     "SIGTERM/SIGINT/SIGQUIT go to the CMD; the shutdown starts when it exits", &Options::forward_signals,
     nullptr, nullptr},
    {"wait-ready", "", Group::StartUp, "start the CMD only when every started service is ready",
     &Options::wait_ready, nullptr, nullptr},
    {"ready-timeout", "DURATION", Group::StartUp, "with --wait-ready: give up after this long, shut down, exit 1",
     nullptr,
     [](Options& o, std::string_view v) -> std::expected<void, std::string> {
         auto parsed = duration_value(v, false);
         if (!parsed) return std::unexpected(parsed.error());
         o.ready_timeout = *parsed;
         return {};
     },
     [](const Options&) { return std::string("none (wait forever)"); }},
    {"default-path", "PATH", Group::StartUp,
     "PATH of services with a cleared environment, and the CMD's lookup when the container has no PATH", nullptr,
     [](Options& o, std::string_view v) -> std::expected<void, std::string> {
         if (v.empty()) return std::unexpected(std::string("empty: a PATH is expected"));
         o.default_path = std::string(v);
         return {};
     },
     [](const Options& o) { return o.default_path; }},
    // Shutdown timing
    {"services-grace", "DURATION", Group::ShutdownTiming,
     "default timeout-kill of services, and the CMD's time to exit at shutdown", nullptr,
     [](Options& o, std::string_view v) { return set_duration(o.services_grace, v); },
     [](const Options& o) { return words_for(o.services_grace, "no limit"); }},
    {"finish-timeout", "DURATION", Group::ShutdownTiming, "time limit of each cont-finish script", nullptr,
     [](Options& o, std::string_view v) { return set_duration(o.finish_timeout, v); },
     [](const Options& o) { return words_for(o.finish_timeout, "no limit"); }},
    {"kill-grace", "DURATION", Group::ShutdownTiming,
     "between the final SIGTERM and SIGKILL to every process left", nullptr,
     [](Options& o, std::string_view v) { return set_duration(o.kill_grace, v); },
     [](const Options& o) { return words_for(o.kill_grace, "at once"); }},
    {"drain-timeout", "DURATION", Group::ShutdownTiming,
     "at exit, how long buffered service output may take to be written", nullptr,
     [](Options& o, std::string_view v) { return set_duration(o.drain_timeout, v); },
     [](const Options& o) { return words_for(o.drain_timeout, "at once"); }},
    // Logging
    {"verbosity", "0..4", Group::Logging, "0 errors, 1 +warnings, 2 +info, 3 +debug, 4 +trace", nullptr,
     [](Options& o, std::string_view v) -> std::expected<void, std::string> {
         const bool digits = !v.empty() && v.size() <= 9 &&
                             std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
         if (!digits) return std::unexpected(std::string("not a number (0..4)"));
         const int level = std::stoi(std::string(v));
         if (level > 4) return std::unexpected(std::string("out of range (0..4)"));
         o.verbosity = level;
         return {};
     },
     [](const Options& o) { return std::to_string(o.verbosity); }},
    {"log-format", "text|json", Group::Logging, "format of tend's own messages", nullptr,
     [](Options& o, std::string_view v) -> std::expected<void, std::string> {
         const std::string word = lower(v);
         if (word == "text") o.log_format = LogFormat::Text;
         else if (word == "json") o.log_format = LogFormat::Json;
         else return std::unexpected(std::string("not text or json"));
         return {};
     },
     [](const Options& o) { return std::string(o.log_format == LogFormat::Text ? "text" : "json"); }},
    {"log-prefix", "", Group::Logging, "prefix each service output line with its name", &Options::log_prefix,
     nullptr, nullptr},
    {"inherit-output", "", Group::Logging,
     "services write straight to tend's stdout/stderr instead of pipes tend reads", &Options::inherit_output,
     nullptr, nullptr},
    // Control socket
    {"runtime-dir", "DIR", Group::Control, "directory of the control socket", nullptr,
     [](Options& o, std::string_view v) { return set_path(o.runtime_dir, v); },
     [](const Options& o) { return o.runtime_dir.string(); }},
    {"control-group", "GROUP", Group::Control, "group that may use the control socket besides root", nullptr,
     [](Options& o, std::string_view v) { return set_word(o.control_group, v, "a group"); },
     [](const Options&) { return std::string("none"); }},
}};

// --help and --version are not settings: no TEND_* twin, not in the table above.
constexpr std::array<std::string_view, 2> kActionNames{"help", "version"};

std::span<const OptionSpec> settings() { return kOptions; }

const OptionSpec* find_option(std::string_view name) {
    for (const OptionSpec& spec : settings()) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

std::string environment_name(std::string_view name) {
    std::string out = "TEND_";
    for (char c : name) out += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

// A value shown in a message stays on one line: control characters become \xNN.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// One value from one place, before it is applied.
struct Setting {
    const OptionSpec* spec;
    std::string value;
    std::string source;  // "--verbosity 7", "--verbosity=7", "TEND_VERBOSITY=7"
};

std::expected<void, std::string> apply(Options& options, const Setting& setting) {
    if (setting.spec->flag != nullptr) {
        auto on = flag_value(setting.value);
        if (!on) return std::unexpected(on.error());
        options.*(setting.spec->flag) = *on;
        return {};
    }
    return setting.spec->apply(options, setting.value);
}

// Options that are each valid but not together: checked once all are set,
// wherever each came from.
std::optional<std::string> combination_error(const Options& options) {
    // tend cannot prefix lines it never sees.
    if (options.log_prefix && options.inherit_output) {
        return "--log-prefix needs the services' output to pass through tend; "
               "it cannot be combined with --inherit-output";
    }
    return std::nullopt;
}

bool is_option_word(std::string_view word) { return word.size() > 1 && word.front() == '-'; }

// Words of `text` on lines of at most `width` columns, each indented; a word
// longer than a line (a PATH) gets a line of its own.
std::string wrapped(std::string_view text, std::size_t indent, std::size_t width) {
    std::string out;
    std::size_t column = 0;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
        if (word.empty()) continue;
        if (column > 0 && column + 1 + word.size() > width) {
            out += '\n';
            column = 0;
        }
        if (column == 0) {
            out.append(indent, ' ');
            column = indent;
        } else {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
    }
    out += '\n';
    return out;
}

}  // namespace

std::optional<std::string> closest_option(std::string_view unknown) {
    std::vector<std::string_view> names;
    for (const OptionSpec& spec : settings()) names.push_back(spec.name);
    names.insert(names.end(), kActionNames.begin(), kActionNames.end());

    // Nearest by edit distance, within a budget that grows with the length,
    // so "verbsity" finds verbosity but "x" does not find every short name.
    const std::size_t budget = unknown.size() >= 8 ? 3 : unknown.size() >= 5 ? 2 : 1;
    std::size_t best = budget + 1;
    std::vector<std::string_view> nearest;
    for (std::string_view name : names) {
        const std::size_t distance = edit_distance(unknown, name);
        if (distance < best) {
            best = distance;
            nearest = {name};
        } else if (distance == best) {
            nearest.push_back(name);
        }
    }
    if (nearest.size() == 1) return std::string(nearest.front());
    if (!nearest.empty()) return std::nullopt;  // two as close: a guess would mislead

    // Else a long shared start ("verbose" -> verbosity), when only one has it.
    std::string_view match;
    for (std::string_view name : names) {
        const auto mismatch = std::mismatch(unknown.begin(), unknown.end(), name.begin(), name.end());
        const auto shared = static_cast<std::size_t>(mismatch.first - unknown.begin());
        if (shared >= 5 || (shared >= 3 && shared == unknown.size())) {
            if (!match.empty()) return std::nullopt;
            match = name;
        }
    }
    if (!match.empty()) return std::string(match);
    return std::nullopt;
}

LogFormat error_format(const std::vector<std::string>& args, const EnvironmentVariables& environment) {
    std::optional<std::string> written;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view word = args[i];
        if (word == "--" || !is_option_word(word)) break;
        if (word.starts_with("--log-format=")) written = std::string(word.substr(13));
        else if (word == "--log-format" && i + 1 < args.size()) written = args[i + 1];
    }
    if (!written) {
        const auto it = environment.find("TEND_LOG_FORMAT");
        if (it != environment.end() && !it->second.empty()) written = it->second;
    }
    return written && lower(*written) == "json" ? LogFormat::Json : LogFormat::Text;
}

std::expected<CommandLine, UsageError> parse_options(const std::vector<std::string>& args,
                                                     const EnvironmentVariables& environment) {
    CommandLine result;
    Options& options = result.options;
    const LogFormat format = error_format(args, environment);
    auto error = [format](std::string message) { return std::unexpected(UsageError{std::move(message), format}); };

    // 1. The command line, up to `--` or the CMD.
    std::vector<Setting> from_command_line;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string_view word = args[i];
        if (word == "--") {
            ++i;
            break;
        }
        if (!is_option_word(word)) break;  // the CMD starts here

        const std::size_t equals = word.find('=');
        const std::string_view written = word.substr(0, equals);
        // "--name=value": the value is part of the word (may be empty).
        const bool has_inline_value = equals != std::string_view::npos;
        const std::string_view inline_value = has_inline_value ? word.substr(equals + 1) : std::string_view{};
        const std::string_view name = written.starts_with("--") ? written.substr(2) : std::string_view{};

        if (written == "-h" || name == "help" || name == "version") {
            if (has_inline_value) return error(std::string(written) + " takes no value");
            result.action = name == "version" ? CommandLine::Action::Version : CommandLine::Action::Help;
            return result;  // neither needs the rest to be right
        }
        const OptionSpec* spec = name.empty() ? nullptr : find_option(name);
        if (spec == nullptr) {
            std::string message = "unknown option " + printable(written);
            std::string_view bare = written;
            while (bare.starts_with('-')) bare.remove_prefix(1);
            if (auto suggestion = closest_option(bare)) message += " (did you mean --" + *suggestion + "?)";
            else message += " (see tend --help; a CMD that starts with '-' goes after --)";
            return error(std::move(message));
        }

        Setting setting{spec, {}, {}};
        if (spec->flag != nullptr) {
            setting.value = has_inline_value ? std::string(inline_value) : "1";
            setting.source = std::string(word);
        } else if (has_inline_value) {
            setting.value = std::string(inline_value);
            setting.source = std::string(word);
        } else {
            // An option word after a value option is a forgotten value, not a value.
            if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
                return error("--" + std::string(spec->name) + " needs a value (" + std::string(spec->value_name) +
                             ")");
            }
            setting.value = args[++i];
            setting.source = "--" + std::string(spec->name) + " " + args[i];
        }
        from_command_line.push_back(std::move(setting));
    }
    options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())), args.end());

    // 2. TEND_* twins of options the command line did not set, then the
    // command line in order (the last of a repeated option wins).
    std::vector<Setting> settings_in_order;
    for (const OptionSpec& spec : settings()) {
        const bool on_command_line = std::any_of(from_command_line.begin(), from_command_line.end(),
                                                 [&](const Setting& s) { return s.spec == &spec; });
        if (on_command_line) continue;
        const std::string variable = environment_name(spec.name);
        const auto it = environment.find(variable);
        if (it == environment.end() || it->second.empty()) continue;
        settings_in_order.push_back({&spec, it->second, variable + "=" + it->second});
    }
    settings_in_order.insert(settings_in_order.end(), std::make_move_iterator(from_command_line.begin()),
                             std::make_move_iterator(from_command_line.end()));
    for (const Setting& setting : settings_in_order) {
        if (auto applied = apply(options, setting); !applied) {
            return error(printable(setting.source) + ": " + applied.error());
        }
    }

    if (auto conflict = combination_error(options)) return error(std::move(*conflict));

    // Services chdir to their own dir before exec, so every path must be absolute.
    for (auto* dir : {&options.services_dir, &options.cont_init_dir, &options.cont_finish_dir, &options.runtime_dir}) {
        std::error_code ignored;
        auto absolute = std::filesystem::absolute(*dir, ignored);
        if (!ignored) *dir = absolute.lexically_normal();
    }
    return result;
}

std::string help_text() {
    const Options defaults;
    std::string out =
        "Usage: tend [OPTIONS] [--] [CMD [ARGS...]]\n"
        "\n"
        "A minimal container init and process supervisor. Options end at -- or at the\n"
        "first word that is not an option, which starts the CMD. Each option can also be\n"
        "set with the environment variable shown next to it; the command line wins.\n"
        "A flag's variable takes 1/true/yes/on or 0/false/no/off. A DURATION is a number\n"
        "of milliseconds (3000) or an integer with one unit: 500ms, 3s, 2m, 1h (at most 24h).\n";
    for (const auto& [group, title] : kGroupTitles) {
        out += "\n";
        out += title;
        out += ":\n";
        for (const OptionSpec& spec : settings()) {
            if (spec.group != group) continue;
            std::string head = "  --" + std::string(spec.name);
            if (!spec.value_name.empty()) head += " " + std::string(spec.value_name);
            out += head;
            out += std::string(head.size() < 36 ? 36 - head.size() : 1, ' ');
            out += environment_name(spec.name);
            out += "\n";
            const std::string default_words =
                spec.describe_default != nullptr ? spec.describe_default(defaults) : std::string("off");
            std::string sentence(spec.help);
            if (!sentence.empty() && sentence[0] >= 'a' && sentence[0] <= 'z') {
                sentence[0] = static_cast<char>(sentence[0] - 'a' + 'A');
            }
            out += wrapped(sentence + ". Default: " + default_words + ".", 6, 80);
        }
    }
    out +=
        "\n"
        "Other:\n"
        "  -h, --help                        this text\n"
        "  --version                         version, linking and build type\n"
        "\n"
        "Subcommands: tend ctl ..., tend health, tend compat install [ROOT] (links for the s6-overlay applets with-contenv, printcontenv, s6-setuidgid, s6-envuidgid, s6-applyuidgid, halt, s6-svscanctl, s6-svc, s6-svwait, s6-svok: tend run by those names); `tend -- ctl` runs a program of that name.\n";
    return out;
}

std::string version_text() {
    return std::string("tend ") + TEND_VERSION + " (" + (TEND_STATIC ? "static binary" : "dynamically linked") +
           ", " + TEND_BUILD_TYPE + " build)";
}

EnvironmentVariables variables_with_prefixes(char** envp, std::initializer_list<std::string_view> prefixes) {
    EnvironmentVariables variables;
    for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
        // strncmp stops at the entry's NUL: no strlen of entries that do not match.
        const bool wanted = std::ranges::any_of(
            prefixes, [&](std::string_view prefix) { return std::strncmp(*entry, prefix.data(), prefix.size()) == 0; });
        if (!wanted) continue;
        const std::string_view text = *entry;
        const auto equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return variables;
}

ParsedCommandLine parse_command_line(int argc, char** argv) {
    ParsedCommandLine result;
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    const EnvironmentVariables environment = variables_with_prefixes(environ, {"TEND_"});

    auto parsed = parse_options(args, environment);
    if (!parsed) {
        result.usage_error = parsed.error().message;
        result.usage_error_format = parsed.error().format;
        result.kind = ParsedCommandLine::Kind::Exit;
        result.exit_code = 2;
        return result;
    }
    switch (parsed->action) {
        case CommandLine::Action::Help:
            std::fputs(help_text().c_str(), stdout);
            result.kind = ParsedCommandLine::Kind::Exit;
            return result;
        case CommandLine::Action::Version:
            std::printf("%s\n", version_text().c_str());
            result.kind = ParsedCommandLine::Kind::Exit;
            return result;
        case CommandLine::Action::Run:
            break;
    }
    result.options = std::move(parsed->options);
    return result;
}

}  // namespace tend::config
