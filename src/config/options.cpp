// The command line and its TEND_* twins, on CLI11.
//
// One table (kOptions) says everything about an option; the CLI11
// registrations, --help, the TEND_* twins, the suggestions and option_rows()
// are generated from it. A new option is one row.
//
// What CLI11 does: it knows the options (names, values, groups), parses the
// words it is given, reports the unknown ones, and formats --help and the
// subcommands' help (with a formatter of tend's own for the layout). What
// tend does around it, because a general-purpose parser cannot:
//   - the split: options end at `--` or at the first word that is not an
//     option, which starts the CMD (`tend --verbosity 3 php-fpm -F`). tend
//     finds that point itself (split_at_cmd) and hands CLI11 only the words
//     before it, so a mistyped option is an error with a suggestion and never
//     runs as the CMD, and the CMD's own options are never read as tend's;
//   - a value option followed by an option word is a forgotten value, not a
//     value (`--services-dir --as-me`);
//   - the messages: every mistake is one `tend: error:` line naming where the
//     value came from, as written (`--verbosity 7`, `--kill-grace=2d`,
//     `TEND_VERBOSITY=abc`), in the log format in effect;
//   - the TEND_* twins come from a map, not getenv, so the parser stays pure
//     (unit tests, and `tend ctl` reading PID 1's command line);
//   - an OptionLayer's values (s6-overlay's S6_*) go beneath the TEND_*
//     twins in the same parse: the layer is asked once, with the dirs the
//     command line and TEND_* give, so it can look there first.
// CLI11 is included by this file only: it carries <iostream>/<sstream> and
// namespace-scope validator objects that every including file would
// construct at start-up. `tend -- CMD` without options never builds an App.
#include "tend/config/options.hpp"

// CLI11 includes <iostream>, whose static std::ios_base::Init constructs the
// eight standard streams and the classic locale at start-up of every run
// (43,600 instructions, about a fifth of `tend -- CMD`), for std::cout and
// std::cerr that tend never lets CLI11 use (its only users are App::exit and
// the deprecated/retired option warnings, none of which tend calls). So the
// declarations <iostream> would give are made here and its guard set: no
// ios_base::Init. The locale is then built on first use, when a CLI11 App
// formats something: never on the path of `tend -- CMD`.
#include <istream>
#include <ostream>
#ifndef _GLIBCXX_IOSTREAM
#define _GLIBCXX_IOSTREAM 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
}  // namespace std
#endif

#include <CLI/CLI.hpp>

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
const std::array<OptionSpec, 22> kOptions{{
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
    {"require-landlock", "", Group::StartUp,
     "a service whose paths file this kernel's Landlock cannot fully enforce is refused, not run best effort",
     &Options::require_landlock, nullptr, nullptr},
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


namespace {

std::string_view group_title(Group group) {
    for (const auto& [each, title] : kGroupTitles)
        if (each == group) return title;
    return "Other";
}

// "services grace" -> "Services grace": --help's sentences start upper case,
// the table's (and option_rows') lower case, to read inside a sentence too.
std::string sentence_case(std::string_view text) {
    std::string out(text);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

std::string default_words(const OptionSpec& spec) {
    const Options defaults;
    return spec.describe_default != nullptr ? spec.describe_default(defaults) : std::string("off");
}

// The subcommands, for --help (each parses its own words: parse_client,
// parse_compat, and check with tend's options).
struct Subcommand {
    std::string_view name;
    std::string_view synopsis;  // after "tend "
    std::string_view summary;
};
constexpr std::array<Subcommand, 4> kSubcommands{{
    {"ctl", "ctl COMMAND [ARGS...]",
     "talk to the running tend: status, start, stop, restart, signal, halt, wait-ready ... (tend ctl --help)"},
    {"health", "health", "exit 0 when every service that should be up is up and ready (for a HEALTHCHECK)"},
    {"check", "check [OPTIONS]",
     "validate everything tend would read at start; every problem as FILE: what is wrong; exit 1 if any "
     "(for a Dockerfile RUN)"},
    {"compat", "compat install [ROOT]",
     "links for the s6-overlay commands with-contenv, printcontenv, s6-setuidgid, s6-envuidgid, "
     "s6-applyuidgid, halt, s6-svscanctl, s6-svc, s6-svwait, s6-svok, s6-rc, s6-log, s6-svstat, "
     "s6-notifyoncheck, logutil-service, logutil-newfifo, cd, and for supercronic: tend run by those names"},
}};

// --- The split: what CLI11 gets ------------------------------------------

struct Split {
    std::vector<std::string> words;      // for CLI11; a value option and its value are two words
    std::vector<std::string> spellings;  // each known option as written ("--verbosity 7", "--kill-grace=2d"), in order
    std::vector<std::string> command;    // the CMD and its arguments
    CommandLine::Action action = CommandLine::Action::Run;
    // A mistake that ended the split (a forgotten value, `--help=x`). An
    // unknown option before it is reported first, as it comes first.
    std::optional<std::string> stop_error;
};

Split split_at_cmd(const std::vector<std::string>& args) {
    Split split;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (word == "--") {
            ++i;
            break;
        }
        if (!is_option_word(word)) break;  // the CMD starts here

        const std::size_t equals = word.find('=');
        const std::string_view written = std::string_view(word).substr(0, equals);
        const bool has_inline_value = equals != std::string::npos;
        const std::string_view name = written.starts_with("--") ? written.substr(2) : std::string_view{};

        // --help and --version need nothing after them to be right.
        if (written == "-h" || name == "help" || name == "version") {
            if (has_inline_value) split.stop_error = std::string(written) + " takes no value";
            else split.action = name == "version" ? CommandLine::Action::Version : CommandLine::Action::Help;
            return split;
        }
        const OptionSpec* spec = name.empty() ? nullptr : find_option(name);
        if (spec == nullptr || spec->flag != nullptr) {
            split.words.push_back(word);  // unknown ones too: CLI11 reports them
            if (spec != nullptr) split.spellings.push_back(word);
            continue;
        }
        // A value option: its value is the next word, or after '=' (may be
        // empty, which CLI11 would refuse in its own words: handed as a word).
        if (has_inline_value) {
            split.words.push_back("--" + std::string(spec->name));
            split.words.push_back(word.substr(equals + 1));
            split.spellings.push_back(word);
        } else if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
            // An option word after a value option is a forgotten value, not a value.
            split.stop_error =
                "--" + std::string(spec->name) + " needs a value (" + std::string(spec->value_name) + ")";
            return split;
        } else {
            split.words.push_back(word);
            split.words.push_back(args[++i]);
            split.spellings.push_back(word + " " + args[i]);
        }
    }
    split.command.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())), args.end());
    return split;
}

// --- CLI11 ----------------------------------------------------------------

// The values CLI11 parsed, applied as they come (trigger_on_parse: in the
// order they were written; the last of a repeated option wins).
struct ParseState {
    Options& options;
    const Split& split;
    std::size_t next_spelling = 0;
    std::vector<const OptionSpec*> on_command_line;
    std::optional<std::string> first_error;

    void take(const OptionSpec& spec, const CLI::results_t& results) {
        // CLI11 calls back once per known option word, in order: the n-th
        // call is the n-th spelling the split kept.
        std::string source = next_spelling < split.spellings.size() ? split.spellings[next_spelling]
                                                                      : "--" + std::string(spec.name);
        ++next_spelling;
        on_command_line.push_back(&spec);
        if (first_error) return;
        const Setting setting{&spec, results.empty() ? std::string("1") : results.back(), source};
        if (auto applied = apply(options, setting); !applied)
            first_error = printable(setting.source) + ": " + applied.error();
    }
};

// The rows of the table as CLI11 options. `state` null: for --help, every
// row; else only the rows the split found on the command line: CLI11 checks
// each new option's names against every earlier one, and twenty options cost
// 300,000 instructions at every start with options, where the three of a
// typical ENTRYPOINT cost a tenth of that. A row not registered is not
// needed: its name is not among the words CLI11 gets (an unknown word is
// still an unknown word).
void register_options(CLI::App& app, ParseState* state) {
    for (const OptionSpec& spec : settings()) {
        if (state != nullptr) {
            const bool written = std::ranges::any_of(state->split.words, [&](std::string_view word) {
                if (!word.starts_with("--")) return false;
                word.remove_prefix(2);
                return word.starts_with(spec.name) && (word.size() == spec.name.size() || word[spec.name.size()] == '=');
            });
            if (!written) continue;
        }
        CLI::callback_t callback = [state, &spec](const CLI::results_t& results) {
            if (state != nullptr) state->take(spec, results);
            return true;
        };
        // A parse needs no help text, value name or group: only --help shows them.
        CLI::Option* option =
            app.add_option("--" + std::string(spec.name), callback, state != nullptr ? std::string() : std::string(spec.help));
        // No default_str: CLI11 would hand it to a flag written without a value.
        if (spec.flag != nullptr) option->type_size(0)->expected(0);
        else if (state == nullptr) option->type_name(std::string(spec.value_name));
        if (state == nullptr) option->group(std::string(group_title(spec.group)));
        option->trigger_on_parse();
    }
}

// tend's layout of CLI11's help: one usage line, each option with its
// TEND_* twin, then its sentence and default on indented lines.
class HelpFormatter : public CLI::Formatter {
public:
    HelpFormatter(std::string usage, std::string description)
        : usage_(std::move(usage)), description_(std::move(description)) {}

    std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode mode) const override {
        std::string out = "Usage: " + usage_ + "\n";
        if (!description_.empty()) out += "\n" + description_;
        for (const std::string& group : app->get_groups()) {
            auto options = app->get_options([&](const CLI::Option* option) {
                return option->get_group() == group && option->nonpositional();
            });
            if (!group.empty() && !options.empty()) out += make_group(group, false, options);
        }
        out += make_subcommands(app, mode);
        out += make_footer(app);
        return out;
    }

    std::string make_group(std::string group, bool, std::vector<const CLI::Option*> options) const override {
        std::string out = "\n" + group + ":\n";
        for (const CLI::Option* option : options) out += make_option(option, false);
        return out;
    }

    std::string make_option(const CLI::Option* option, bool) const override {
        std::string head = "  ";
        for (const std::string& name : option->get_snames()) head += "-" + name + ", ";
        for (const std::string& name : option->get_lnames()) head += "--" + name + ", ";
        if (head.size() > 2) head.resize(head.size() - 2);
        if (option->get_positional()) head += option->get_name(true, false);
        if (option->get_type_size() != 0 && !option->get_type_name().empty()) head += " " + option->get_type_name();
        const OptionSpec* spec =
            option->get_lnames().empty() ? nullptr : find_option(option->get_lnames().front());
        if (spec == nullptr) return padded(head) + option->get_description() + "\n";
        return padded(head) + environment_name(spec->name) + "\n" +
               wrapped(sentence_case(spec->help) + ". Default: " + default_words(*spec) + ".", 6, 80);
    }

    // One line naming every subcommand (and the applets `compat install`
    // links), then a sentence about each.
    std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode) const override {
        const auto subs = app->get_subcommands({});
        if (subs.empty()) return {};
        std::string line = "\nSubcommands:";
        std::string sentences;
        for (const CLI::App* sub : subs) {
            const Subcommand* known = nullptr;
            for (const Subcommand& each : kSubcommands)
                if (each.name == sub->get_name()) known = &each;
            const std::string synopsis = known != nullptr ? std::string(known->synopsis) : sub->get_name();
            line += " tend " + synopsis;
            if (sub->get_name() == "compat") line += " (" + sub->get_description() + ")";
            line += ",";
            if (sub->get_name() != "compat") sentences += make_subcommand(sub);
        }
        line.back() = ';';
        return line + " `tend -- ctl` runs a program of that name.\n" + sentences;
    }

    std::string make_subcommand(const CLI::App* sub) const override {
        std::string synopsis = sub->get_name();
        for (const Subcommand& each : kSubcommands)
            if (each.name == sub->get_name()) synopsis = each.synopsis;
        return "  tend " + synopsis + "\n" + wrapped(sentence_case(sub->get_description()) + ".", 6, 80);
    }

    std::string make_footer(const CLI::App* app) const override {
        return app->get_footer().empty() ? std::string() : "\n" + app->get_footer() + "\n";
    }

private:
    static std::string padded(std::string head) {
        head.append(head.size() < 36 ? 36 - head.size() : 1, ' ');
        return head;
    }

    std::string usage_;
    std::string description_;
};

constexpr std::string_view kTendDescription =
    "A minimal container init and process supervisor. Options end at -- or at the\n"
    "first word that is not an option, which starts the CMD. Each option can also be\n"
    "set with the environment variable shown next to it; the command line wins.\n"
    "A flag's variable takes 1/true/yes/on or 0/false/no/off. A DURATION is a number\n"
    "of milliseconds (3000) or an integer with one unit: 500ms, 3s, 2m, 1h (at most 24h).\n";

constexpr std::string_view kCheckDescription =
    "Reads everything tend would read at start with the same options and TEND_*\n"
    "variables (service dirs and every file in them, cont-init and cont-finish\n"
    "scripts, s6-overlay trees, users and groups, capabilities, limits, schedules,\n"
    "ready-when targets), prints every problem as `FILE: what is wrong` and exits 1\n"
    "if there is one, 0 and silent if not. Starts nothing, writes nothing: for a\n"
    "Dockerfile RUN [\"/sbin/tend\", \"check\"].\n";

constexpr std::string_view kClientFooter =
    "Commands: status [NAME...] [--json], start|stop|restart|once NAME..., signal NAME SIG,\n"
    "          halt [CODE], wait-ready [NAME...] [--timeout MS], log-level 0..4,\n"
    "          wait-up NAME... [--timeout MS], wait-down NAME... [--finished] [--timeout MS]\n"
    "The socket: --runtime-dir, else TEND_RUNTIME_DIR, else PID 1's --runtime-dir, else /run/tend.\n"
    "Exit codes: 0 done, 1 refused, 2 usage, 3 control unreachable (health: 0 healthy, else 1).";


// CLI11's public constructor gives every App a `-h,--help` flag, and making
// an option trims its names with std::isspace(c, std::locale()), which sets
// up the classic locale: a third of what `tend --services-dir D -- CMD`
// executes at start-up. tend finds --help in its own split, so its Apps are
// made with CLI11's protected constructor, which adds no flag.
class AppWithoutHelpFlag : public CLI::App {
public:
    AppWithoutHelpFlag() : CLI::App("", "tend", nullptr) {}
};

// Every App of tend: no CLI11 help flag (--help is found by the split, or
// set per subcommand), its messages replaced by tend's.
std::unique_ptr<CLI::App> make_app(std::string usage, std::string_view description) {
    std::unique_ptr<CLI::App> app = std::make_unique<AppWithoutHelpFlag>();
    app->formatter(std::make_shared<HelpFormatter>(std::move(usage), std::string(description)));
    return app;
}

CLI::App* add_subcommand(CLI::App& app, std::string_view name, std::string usage, std::string_view description) {
    std::string summary;
    for (const Subcommand& each : kSubcommands)
        if (each.name == name) summary = each.summary;
    CLI::App* sub = app.add_subcommand(std::string(name), summary);
    sub->formatter(std::make_shared<HelpFormatter>(std::move(usage), std::string(description)));
    return sub;
}

// "unknown option --service-dir (did you mean --services-dir?)": the word
// CLI11 did not know, as written, with the closest known name.
std::string unknown_option_message(const std::vector<std::string>& remaining, const std::vector<std::string>& words) {
    std::string written = remaining.empty() ? std::string("?") : remaining.front();
    for (const std::string& word : words) {
        if (!remaining.empty() && word.starts_with(remaining.front())) {
            written = word;
            break;
        }
    }
    written = written.substr(0, written.find('='));
    std::string message = "unknown option " + printable(written);
    std::string_view bare = written;
    while (bare.starts_with('-')) bare.remove_prefix(1);
    if (auto suggestion = closest_option(bare)) message += " (did you mean --" + *suggestion + "?)";
    else message += " (see tend --help; a CMD that starts with '-' goes after --)";
    return message;
}

// Parses `words` (in order) with `app`; a mistake as tend words it.
std::optional<std::string> run_cli11(CLI::App& app, const std::vector<std::string>& words,
                                     const std::vector<std::string>& as_written) {
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ExtrasError&) {
        return unknown_option_message(app.remaining(true), as_written);
    } catch (const CLI::ParseError& error) {
        return printable(error.what());
    }
    return std::nullopt;
}

// "/etc/services.d" is; "services.d", "/etc//x", "/a/./b", "/a/../b" are not.
bool is_absolute_and_normal(std::string_view path) {
    if (!path.starts_with('/')) return false;
    if (path.find("//") != std::string_view::npos || path.find("/./") != std::string_view::npos ||
        path.find("/../") != std::string_view::npos)
        return false;
    return !path.ends_with("/.") && !path.ends_with("/..");
}

enum class Parser { Tend, Check };

// Services chdir to their own dir before exec, so every path must be absolute.
void make_dirs_absolute(Options& options) {
    for (auto* dir : {&options.services_dir, &options.cont_init_dir, &options.cont_finish_dir, &options.runtime_dir}) {
        if (is_absolute_and_normal(dir->native())) continue;  // the usual case: nothing to build
        std::error_code ignored;
        auto absolute = std::filesystem::absolute(*dir, ignored);
        if (!ignored) *dir = absolute.lexically_normal();
    }
}

std::expected<CommandLine, UsageError> parse_with(Parser parser, const std::vector<std::string>& args,
                                                  const EnvironmentVariables& environment, OptionLayer* layer) {
    CommandLine result;
    Options& options = result.options;
    const LogFormat format = error_format(args, environment);
    auto error = [format](std::string message) { return std::unexpected(UsageError{std::move(message), format}); };

    // 1. The command line, up to `--` or the CMD: CLI11, when there is any
    // (`tend -- CMD` builds no App).
    const Split split = split_at_cmd(args);
    ParseState state{options, split, 0, {}, {}};
    if (!split.words.empty()) {
        auto app = make_app({}, {});
        CLI::App* target = app.get();
        std::vector<std::string> words = split.words;
        if (parser == Parser::Check) {
            target = add_subcommand(*app, "check", {}, {});
            words.insert(words.begin(), "check");
        }
        register_options(*target, &state);
        if (auto mistake = run_cli11(*app, words, split.words)) return error(std::move(*mistake));
    }
    if (split.stop_error) return error(*split.stop_error);
    if (split.action != CommandLine::Action::Run) {
        result.action = split.action;
        return result;  // help and version ignore the rest, and a broken environment
    }
    if (state.first_error) return error(std::move(*state.first_error));
    options.command = split.command;

    // 2. TEND_* twins of the options the command line did not set; a
    // variable set to "" counts as unset.
    // Most containers set none: then no variable name is built (start-up).
    const auto first_twin = environment.lower_bound(std::string_view("TEND_"));
    const bool any_twin = first_twin != environment.end() && first_twin->first.starts_with("TEND_");
    std::vector<const OptionSpec*> from_environment;
    for (const OptionSpec& spec : any_twin ? settings() : std::span<const OptionSpec>{}) {
        if (std::ranges::find(state.on_command_line, &spec) != state.on_command_line.end()) continue;
        const std::string variable = environment_name(spec.name);
        const auto it = environment.find(variable);
        if (it == environment.end() || it->second.empty()) continue;
        const Setting setting{&spec, it->second, variable + "=" + it->second};
        if (auto applied = apply(options, setting); !applied)
            return error(printable(setting.source) + ": " + applied.error());
        from_environment.push_back(&spec);
    }

    // 3. The layer's values (OptionLayer), beneath both: asked once, with
    // the dirs the command line and TEND_* give.
    if (layer != nullptr) {
        make_dirs_absolute(options);
        for (const OptionLayer::Value& value : layer->values(options)) {
            const OptionSpec* spec = nullptr;
            for (const OptionSpec& each : settings())
                if (environment_name(each.name) == value.variable) spec = &each;
            if (spec == nullptr || value.value.empty()) continue;
            if (std::ranges::find(state.on_command_line, spec) != state.on_command_line.end()) continue;
            if (std::ranges::find(from_environment, spec) != from_environment.end()) continue;
            const Setting setting{spec, value.value, value.source};
            if (auto applied = apply(options, setting); !applied)
                return error(printable(setting.source) + ": " + applied.error());
        }
    }

    if (auto conflict = combination_error(options)) return error(std::move(*conflict));
    // Refused before the layer completes the options: the CMD named is the one written.
    if (parser == Parser::Check && !options.command.empty())
        return std::unexpected(UsageError{"check starts nothing and takes no CMD: '" + printable(options.command.front()) +
                                              "' (see tend check --help)",
                                          options.log_format});

    make_dirs_absolute(options);
    if (layer != nullptr) layer->complete(options);
    return result;
}

// The whole tree, for help: tend's options, --help/--version, the subcommands.
std::unique_ptr<CLI::App> help_app() {
    auto app = make_app("tend [OPTIONS] [--] [CMD [ARGS...]]", kTendDescription);
    register_options(*app, nullptr);
    app->add_flag("-h,--help")->description("this text")->group("Other");
    app->add_flag("--version")->description("version, linking and build type")->group("Other");
    for (const Subcommand& each : kSubcommands) app->add_subcommand(std::string(each.name), std::string(each.summary));
    app->footer("Documentation: man 8 tend, and docs/ in tend's source (start at docs/README.md).");
    return app;
}

ParsedCommandLine exit_with(int code) {
    ParsedCommandLine result;
    result.kind = ParsedCommandLine::Kind::Exit;
    result.exit_code = code;
    return result;
}

ParsedCommandLine usage_error(std::string message, LogFormat format, int code = 2) {
    ParsedCommandLine result = exit_with(code);
    result.usage_error = std::move(message);
    result.usage_error_format = format;
    return result;
}

// `tend ctl [--runtime-dir DIR] COMMAND [ARGS...]`, `tend health [--runtime-dir DIR]`.
// The client's own option may stand anywhere (`tend ctl status --runtime-dir
// /x` too): no command takes an argument spelled like it. The rest are the
// request's words, checked by the server's own parser (control/commands).
ParsedCommandLine parse_client(const std::vector<std::string>& args) {
    const bool health = args.front() == "health";
    const int usage_code = health ? 1 : 2;  // health: 0 healthy, anything else not
    auto app = make_app({}, {});
    CLI::App* sub = add_subcommand(*app, args.front(),
                                   health ? "tend health [--runtime-dir DIR]"
                                          : "tend ctl [--runtime-dir DIR] COMMAND [ARGS...]",
                                   {});
    sub->set_help_flag("-h,--help", "this text");
    sub->allow_extras();
    sub->footer(std::string(kClientFooter));
    std::string runtime_dir;
    CLI::Option* dir_option = sub->add_option("--runtime-dir", runtime_dir, "directory of the control socket")->type_name("DIR");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::fputs(sub->help().c_str(), stdout);
        return exit_with(0);
    } catch (const CLI::ArgumentMismatch&) {
        return usage_error("--runtime-dir needs a value (DIR)", LogFormat::Text, usage_code);
    } catch (const CLI::ParseError& error) {
        return usage_error(printable(error.what()), LogFormat::Text, usage_code);
    }
    ParsedCommandLine result;
    result.kind = ParsedCommandLine::Kind::Client;
    result.client.health = health;
    if (dir_option->count() > 0) result.client.runtime_dir = runtime_dir;
    std::vector<std::string> rest = sub->remaining();
    if (health) {
        if (!rest.empty()) return usage_error("health: unexpected argument '" + printable(rest.front()) + "'",
                                              LogFormat::Text, usage_code);
        result.client.words = {"health"};
    } else {
        if (rest.empty()) return usage_error("ctl needs a command (see tend ctl --help)", LogFormat::Text, usage_code);
        result.client.words = std::move(rest);
    }
    return result;
}

// `tend compat install [ROOT]`.
ParsedCommandLine parse_compat(const std::vector<std::string>& args) {
    auto app = make_app({}, {});
    CLI::App* compat = add_subcommand(*app, "compat", "tend compat install [ROOT]", {});
    compat->set_help_flag("-h,--help", "this text");
    compat->require_subcommand(1);
    CLI::App* install = compat->add_subcommand(
        "install", "symlinks named like the s6-overlay commands, to this binary, in ROOT/command and ROOT/usr/bin");
    std::string root = "/";
    install->add_option("ROOT", root, "the image's root (default /)");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::fputs(compat->help().c_str(), stdout);
        return exit_with(0);
    } catch (const CLI::ParseError&) {
        return usage_error("usage: tend compat install [ROOT]", LogFormat::Text);
    }
    ParsedCommandLine result;
    result.kind = ParsedCommandLine::Kind::CompatInstall;
    result.compat_root = root;
    return result;
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

std::expected<CommandLine, UsageError> parse_options(const std::vector<std::string>& args,
                                                     const EnvironmentVariables& environment, OptionLayer* layer) {
    return parse_with(Parser::Tend, args, environment, layer);
}

std::vector<OptionRow> option_rows() {
    std::vector<OptionRow> rows;
    for (const OptionSpec& spec : settings()) {
        rows.push_back({std::string(spec.name), environment_name(spec.name), std::string(spec.value_name),
                        std::string(group_title(spec.group)), std::string(spec.help), default_words(spec)});
    }
    return rows;
}

std::string help_text() { return help_app()->help(); }

std::string check_help_text() {
    auto app = make_app({}, {});
    CLI::App* check = add_subcommand(*app, "check", "tend check [OPTIONS]", kCheckDescription);
    register_options(*check, nullptr);
    check->add_flag("-h,--help")->description("this text")->group("Other");
    check->footer("The options are tend's own: give check those the container will run with.");
    return check->help();
}

std::string version_text() {
    return std::string("tend ") + TEND_VERSION + " (" TEND_ARCH ", " +
           (TEND_STATIC ? "static binary" : "dynamically linked") + ", " + TEND_BUILD_TYPE + " build)";
}

ParsedCommandLine parse_command_line(int argc, char** argv, OptionLayer* layer) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    // A subcommand is only ever the first word: `tend -- ctl` runs a program.
    if (!args.empty() && (args.front() == "ctl" || args.front() == "health")) return parse_client(args);
    if (!args.empty() && args.front() == "compat") return parse_compat(args);

    const bool check = !args.empty() && args.front() == "check";
    if (check) args.erase(args.begin());
    const EnvironmentVariables environment = variables_with_prefixes(environ, {"TEND_"});
    auto parsed = parse_with(check ? Parser::Check : Parser::Tend, args, environment, layer);
    if (!parsed) return usage_error(std::move(parsed.error().message), parsed.error().format);
    switch (parsed->action) {
        case CommandLine::Action::Help:
            std::fputs((check ? check_help_text() : help_text()).c_str(), stdout);
            return exit_with(0);
        case CommandLine::Action::Version:
            std::printf("%s\n", version_text().c_str());
            return exit_with(0);
        case CommandLine::Action::Run:
            break;
    }
    // Moved in, not assigned over a default: no second set of default paths.
    return ParsedCommandLine{.kind = check ? ParsedCommandLine::Kind::Check : ParsedCommandLine::Kind::Run,
                             .exit_code = 0,
                             .options = std::move(parsed->options),
                             .usage_error = std::nullopt,
                             .usage_error_format = LogFormat::Text,
                             .client = {},
                             .compat_root = "/"};
}

}  // namespace tend::config
