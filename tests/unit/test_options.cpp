// The command line and its TEND_* twins (pure parts: no process, no environ).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tend/config/options.hpp"
#include "tend/log/logger.hpp"

namespace {

using namespace std::chrono_literals;
using tend::config::CommandLine;
using tend::config::EnvironmentVariables;
using tend::config::Options;
using tend::config::parse_options;
using Args = std::vector<std::string>;

Options parse_ok(const Args& args, const EnvironmentVariables& env = {}) {
    auto parsed = parse_options(args, env);
    if (!parsed) {
        ADD_FAILURE() << "refused: " << parsed.error().message;
        return Options{};
    }
    EXPECT_EQ(parsed->action, CommandLine::Action::Run);
    return parsed->options;
}

std::string error_of(const Args& args, const EnvironmentVariables& env = {}) {
    auto parsed = parse_options(args, env);
    if (parsed) {
        ADD_FAILURE() << "accepted";
        return {};
    }
    return parsed.error().message;
}

// --- Where options end ------------------------------------------------------

TEST(CommandLine, NothingGivenGivesTheDocumentedDefaults) {
    const Options o = parse_ok({});
    EXPECT_EQ(o.services_dir, "/etc/services.d");
    EXPECT_EQ(o.cont_init_dir, "/etc/cont-init.d");
    EXPECT_EQ(o.cont_finish_dir, "/etc/cont-finish.d");
    EXPECT_EQ(o.runtime_dir, "/run/tend");
    EXPECT_EQ(o.services_grace, 3000ms);
    EXPECT_EQ(o.finish_timeout, 5000ms);
    EXPECT_EQ(o.kill_grace, 3000ms);
    EXPECT_EQ(o.drain_timeout, 5000ms);
    EXPECT_EQ(o.ready_timeout, std::nullopt);
    EXPECT_EQ(o.verbosity, 2);
    EXPECT_FALSE(o.inherit_output);
    EXPECT_TRUE(o.command.empty());
}

TEST(CommandLine, TheFirstWordThatIsNotAnOptionStartsTheCmd) {
    const Options o = parse_ok({"--verbosity", "3", "sh", "-c", "--not-tends", "--bogus"});
    EXPECT_EQ(o.verbosity, 3);
    EXPECT_EQ(o.command, (Args{"sh", "-c", "--not-tends", "--bogus"}));
}

TEST(CommandLine, DoubleDashEndsOptionsSoACmdMayStartWithADash) {
    EXPECT_EQ(parse_ok({"--", "--weird", "x"}).command, (Args{"--weird", "x"}));
    EXPECT_EQ(parse_ok({"--as-me", "--", "--", "y"}).command, (Args{"--", "y"}));
    EXPECT_EQ(parse_ok({"--"}).command, Args{});
    // A lone "-" is a word, not an option.
    EXPECT_EQ(parse_ok({"-"}).command, Args{"-"});
}

TEST(CommandLine, ValuesAsSeparateWordsOrAfterEquals) {
    const Options o = parse_ok({"--services-dir", "/srv/s", "--cont-init-dir=/srv/i", "--cmd-user=nobody:nogroup",
                                "--on-init-failure", "continue", "--log-format=JSON", "--control-group", "wheel"});
    EXPECT_EQ(o.services_dir, "/srv/s");
    EXPECT_EQ(o.cont_init_dir, "/srv/i");
    EXPECT_EQ(o.cmd_user, std::optional<std::string>("nobody:nogroup"));
    EXPECT_EQ(o.on_init_failure, tend::config::InitFailure::Continue);
    EXPECT_EQ(o.log_format, tend::log::Format::Json);
    EXPECT_EQ(o.control_group, std::optional<std::string>("wheel"));
}

TEST(CommandLine, RelativeDirectoriesBecomeAbsolute) {
    const Options o = parse_ok({"--services-dir", "rel/../svc"});
    EXPECT_TRUE(o.services_dir.is_absolute()) << o.services_dir;
    EXPECT_EQ(o.services_dir.filename(), "svc");
}

TEST(CommandLine, EveryDurationOptionTakesUnits) {
    const Options o = parse_ok({"--services-grace", "3s", "--finish-timeout=2m", "--kill-grace", "500ms",
                                "--drain-timeout", "1h", "--ready-timeout", "250"});
    EXPECT_EQ(o.services_grace, 3000ms);
    EXPECT_EQ(o.finish_timeout, 120000ms);
    EXPECT_EQ(o.kill_grace, 500ms);
    EXPECT_EQ(o.drain_timeout, 3600000ms);
    EXPECT_EQ(o.ready_timeout, std::optional<std::chrono::milliseconds>(250ms));
}

TEST(CommandLine, ZeroIsAcceptedExceptForTheReadyTimeout) {
    const Options o = parse_ok({"--services-grace", "0", "--finish-timeout", "0s", "--kill-grace", "0",
                                "--drain-timeout", "0ms"});
    EXPECT_EQ(o.services_grace, 0ms);
    EXPECT_EQ(o.finish_timeout, 0ms);
    EXPECT_EQ(o.kill_grace, 0ms);
    EXPECT_EQ(o.drain_timeout, 0ms);
    EXPECT_EQ(error_of({"--ready-timeout", "0"}),
              "--ready-timeout 0: 0 is not allowed here (leave it unset to wait forever)");
    EXPECT_EQ(error_of({}, {{"TEND_READY_TIMEOUT", "0s"}}),
              "TEND_READY_TIMEOUT=0s: 0 is not allowed here (leave it unset to wait forever)");
}

TEST(CommandLine, FlagsAndTheirValues) {
    Options o = parse_ok({"--as-me", "--forward-signals", "--wait-ready", "--log-prefix"});
    EXPECT_TRUE(o.as_me);
    EXPECT_TRUE(o.forward_signals);
    EXPECT_TRUE(o.wait_ready);
    EXPECT_TRUE(o.log_prefix);
    EXPECT_FALSE(o.inherit_output);
    EXPECT_TRUE(parse_ok({"--inherit-output"}).inherit_output);
    EXPECT_FALSE(parse_ok({}).require_landlock);
    EXPECT_TRUE(parse_ok({"--require-landlock"}).require_landlock);
    EXPECT_TRUE(parse_ok({}, {{"TEND_REQUIRE_LANDLOCK", "1"}}).require_landlock);
    o = parse_ok({"--as-me=no"},
                 {{"TEND_LOG_PREFIX", "true"}, {"TEND_INHERIT_OUTPUT", "Off"}, {"TEND_WAIT_READY", "0"}});
    EXPECT_FALSE(o.as_me);
    EXPECT_TRUE(o.log_prefix);
    EXPECT_FALSE(o.inherit_output);
    EXPECT_FALSE(o.wait_ready);
    EXPECT_TRUE(parse_ok({}, {{"TEND_INHERIT_OUTPUT", "ON"}, {"TEND_FORWARD_SIGNALS", "Yes"}}).inherit_output);
    EXPECT_EQ(error_of({}, {{"TEND_AS_ME", "maybe"}}),
              "TEND_AS_ME=maybe: not a yes/no value (1, true, yes, on or 0, false, no, off)");
}

TEST(CommandLine, TheRepeatedOptionsLastValueWins) {
    EXPECT_EQ(parse_ok({"--verbosity", "1", "--verbosity=4"}).verbosity, 4);
}

// --- The environment ---------------------------------------------------------

TEST(Environment, EveryOptionHasItsTwin) {
    const Options o = parse_ok({}, {{"TEND_SERVICES_DIR", "/a"},
                                    {"TEND_CONT_INIT_DIR", "/b"},
                                    {"TEND_CONT_FINISH_DIR", "/c"},
                                    {"TEND_RUNTIME_DIR", "/d"},
                                    {"TEND_ON_INIT_FAILURE", "continue"},
                                    {"TEND_FORWARD_SIGNALS", "1"},
                                    {"TEND_AS_ME", "yes"},
                                    {"TEND_CMD_USER", "1000:1000"},
                                    {"TEND_SERVICES_GRACE", "3s"},
                                    {"TEND_FINISH_TIMEOUT", "1m"},
                                    {"TEND_KILL_GRACE", "10"},
                                    {"TEND_DEFAULT_PATH", "/bin"},
                                    {"TEND_VERBOSITY", "4"},
                                    {"TEND_LOG_FORMAT", "json"},
                                    {"TEND_LOG_PREFIX", "1"},  // --inherit-output excludes it: see below
                                    {"TEND_INHERIT_OUTPUT", "0"},
                                    {"TEND_DRAIN_TIMEOUT", "2s"},
                                    {"TEND_WAIT_READY", "1"},
                                    {"TEND_READY_TIMEOUT", "1h"},
                                    {"TEND_CONTROL_GROUP", "ops"}});
    EXPECT_EQ(o.services_dir, "/a");
    EXPECT_EQ(o.cont_init_dir, "/b");
    EXPECT_EQ(o.cont_finish_dir, "/c");
    EXPECT_EQ(o.runtime_dir, "/d");
    EXPECT_EQ(o.on_init_failure, tend::config::InitFailure::Continue);
    EXPECT_TRUE(o.forward_signals);
    EXPECT_TRUE(o.as_me);
    EXPECT_EQ(o.cmd_user, std::optional<std::string>("1000:1000"));
    EXPECT_EQ(o.services_grace, 3000ms);
    EXPECT_EQ(o.finish_timeout, 60000ms);
    EXPECT_EQ(o.kill_grace, 10ms);
    EXPECT_EQ(o.default_path, "/bin");
    EXPECT_EQ(o.verbosity, 4);
    EXPECT_EQ(o.log_format, tend::log::Format::Json);
    EXPECT_TRUE(o.log_prefix);
    EXPECT_FALSE(o.inherit_output);
    EXPECT_EQ(o.drain_timeout, 2000ms);
    EXPECT_TRUE(o.wait_ready);
    EXPECT_EQ(o.ready_timeout, std::optional<std::chrono::milliseconds>(3600000ms));
    EXPECT_EQ(o.control_group, std::optional<std::string>("ops"));
}

TEST(Environment, TheCommandLineWinsAndHidesABadVariable) {
    EXPECT_EQ(parse_ok({"--verbosity", "1"}, {{"TEND_VERBOSITY", "3"}}).verbosity, 1);
    EXPECT_EQ(parse_ok({"--verbosity", "1"}, {{"TEND_VERBOSITY", "abc"}}).verbosity, 1);
}

TEST(Environment, AnEmptyVariableCountsAsUnset) {
    const Options o = parse_ok({}, {{"TEND_VERBOSITY", ""}, {"TEND_CMD_USER", ""}, {"TEND_SERVICES_DIR", ""}});
    EXPECT_EQ(o.verbosity, 2);
    EXPECT_EQ(o.cmd_user, std::nullopt);
    EXPECT_EQ(o.services_dir, "/etc/services.d");
}

TEST(Environment, OtherVariablesAreNotTends) {
    // TEND_SERVICE is what tend gives its services: a tend started by one must work.
    EXPECT_EQ(parse_ok({}, {{"TEND_SERVICE", "web"}, {"TEND_SOMETHING_ELSE", "x"}}).verbosity, 2);
}

// --- Mistakes: one message naming where the value came from -----------------

TEST(Mistakes, AnUnknownOptionIsNamedWithTheClosestKnownOne) {
    EXPECT_EQ(error_of({"--service-dir", "/srv/services", "--", "nginx"}),
              "unknown option --service-dir (did you mean --services-dir?)");
    EXPECT_EQ(error_of({"--verbose"}), "unknown option --verbose (did you mean --verbosity?)");
    EXPECT_EQ(error_of({"--as-me", "--wait-redy", "sh"}), "unknown option --wait-redy (did you mean --wait-ready?)");
    EXPECT_EQ(error_of({"--log-format=json", "--drain-timout=5s"}),
              "unknown option --drain-timout (did you mean --drain-timeout?)");
    EXPECT_EQ(error_of({"-services-dir", "/x"}), "unknown option -services-dir (did you mean --services-dir?)");
    EXPECT_EQ(error_of({"--bogus"}),
              "unknown option --bogus (see tend --help; a CMD that starts with '-' goes after --)");
    EXPECT_EQ(error_of({"-v"}), "unknown option -v (see tend --help; a CMD that starts with '-' goes after --)");
}

TEST(Mistakes, Suggestions) {
    using tend::config::closest_option;
    EXPECT_EQ(closest_option("service-dir"), std::optional<std::string>("services-dir"));
    EXPECT_EQ(closest_option("cont-init"), std::optional<std::string>("cont-init-dir"));
    EXPECT_EQ(closest_option("verison"), std::optional<std::string>("version"));
    EXPECT_EQ(closest_option("hepl"), std::optional<std::string>("help"));
    EXPECT_EQ(closest_option("verb"), std::optional<std::string>("verbosity"));
    EXPECT_EQ(closest_option("bogus"), std::nullopt);
    EXPECT_EQ(closest_option("x"), std::nullopt);
    // As close to two: no guess.
    EXPECT_EQ(closest_option("ver"), std::nullopt);
    EXPECT_EQ(closest_option("cont-dir"), std::nullopt);
}

TEST(Mistakes, ValuesNameTheirOptionOrVariable) {
    EXPECT_EQ(error_of({}, {{"TEND_VERBOSITY", "abc"}}), "TEND_VERBOSITY=abc: not a number (0..4)");
    EXPECT_EQ(error_of({"--verbosity", "7"}), "--verbosity 7: out of range (0..4)");
    EXPECT_EQ(error_of({"--verbosity=-1"}), "--verbosity=-1: not a number (0..4)");
    EXPECT_EQ(error_of({"--services-grace", "3x"}),
              "--services-grace 3x: not a duration; accepted forms: 3000 (milliseconds), 500ms, 3s, 2m, 1h; "
              "at most 24h");
    EXPECT_EQ(error_of({}, {{"TEND_SERVICES_GRACE", "3 s"}}),
              "TEND_SERVICES_GRACE=3 s: not a duration; accepted forms: 3000 (milliseconds), 500ms, 3s, 2m, 1h; "
              "at most 24h");
    EXPECT_EQ(error_of({"--kill-grace=25h"}), "--kill-grace=25h: more than 24h");
    EXPECT_EQ(error_of({}, {{"TEND_DRAIN_TIMEOUT", "soon"}}).substr(0, 35), "TEND_DRAIN_TIMEOUT=soon: not a dura");
    EXPECT_EQ(error_of({"--log-format", "yaml"}), "--log-format yaml: not text or json");
    EXPECT_EQ(error_of({}, {{"TEND_ON_INIT_FAILURE", "ignore"}}), "TEND_ON_INIT_FAILURE=ignore: not stop or continue");
    EXPECT_EQ(error_of({"--services-dir="}), "--services-dir=: empty: a directory is expected");
    EXPECT_EQ(error_of({"--cmd-user="}), "--cmd-user=: empty: a user is expected");
}

TEST(Mistakes, OptionsThatCannotGoTogether) {
    const std::string message =
        "--log-prefix needs the services' output to pass through tend; it cannot be combined with --inherit-output";
    EXPECT_EQ(error_of({"--log-prefix", "--inherit-output"}), message);
    EXPECT_EQ(error_of({"--inherit-output"}, {{"TEND_LOG_PREFIX", "1"}}), message);
    EXPECT_TRUE(parse_ok({"--inherit-output"}, {{"TEND_LOG_PREFIX", "0"}}).inherit_output);
}

TEST(Mistakes, AMissingValueIsNotTakenFromTheNextOption) {
    EXPECT_EQ(error_of({"--services-dir"}), "--services-dir needs a value (DIR)");
    EXPECT_EQ(error_of({"--services-dir", "--as-me"}), "--services-dir needs a value (DIR)");
    EXPECT_EQ(error_of({"--services-grace", "--", "sh"}), "--services-grace needs a value (DURATION)");
}

TEST(Mistakes, ControlCharactersStayOnOneLine) {
    EXPECT_EQ(error_of({}, {{"TEND_VERBOSITY", "1\n2"}}), "TEND_VERBOSITY=1\\x0a2: not a number (0..4)");
    EXPECT_EQ(error_of({"--bo\ngus"}).find('\n'), std::string::npos);
}

TEST(Mistakes, CommandLineMistakesComeBeforeEnvironmentOnes) {
    EXPECT_EQ(error_of({"--bogus"}, {{"TEND_VERBOSITY", "abc"}}).substr(0, 22), "unknown option --bogus");
}

TEST(Mistakes, TheErrorLineHasTheLogFormatInEffect) {
    using tend::config::error_format;
    using tend::log::Format;
    EXPECT_EQ(error_format({}, {}), Format::Text);
    EXPECT_EQ(error_format({"--log-format=json", "--bogus"}, {}), Format::Json);
    EXPECT_EQ(error_format({"--bogus", "--log-format", "JSON"}, {}), Format::Json);
    EXPECT_EQ(error_format({}, {{"TEND_LOG_FORMAT", "json"}}), Format::Json);
    EXPECT_EQ(error_format({"--log-format", "text"}, {{"TEND_LOG_FORMAT", "json"}}), Format::Text);
    // After the CMD starts, --log-format is the CMD's.
    EXPECT_EQ(error_format({"sh", "--log-format=json"}, {}), Format::Text);
    EXPECT_EQ(error_format({"--", "--log-format=json"}, {}), Format::Text);

    auto json = parse_options({"--bogus"}, {{"TEND_LOG_FORMAT", "json"}});
    ASSERT_FALSE(json.has_value());
    EXPECT_EQ(json.error().format, Format::Json);
    const std::string line = tend::log::render(tend::log::Level::Error, json.error().message, json.error().format);
    EXPECT_TRUE(line.starts_with("{\"time\":\"")) << line;
    EXPECT_NE(line.find(R"("level":"error","source":"tend","message":"unknown option --bogus)"), std::string::npos)
        << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);

    auto text = parse_options({"--verbosity", "9"}, {});
    ASSERT_FALSE(text.has_value());
    EXPECT_EQ(tend::log::render(tend::log::Level::Error, text.error().message, text.error().format), "tend: error: --verbosity 9: out of range (0..4)");
}

// --- Help and version ---------------------------------------------------------

TEST(HelpAndVersion, AreActionsThatIgnoreTheRestAndABrokenEnvironment) {
    for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"--as-me", "--help", "--bogus"}}) {
        auto parsed = parse_options(args, {{"TEND_VERBOSITY", "abc"}});
        ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
        EXPECT_EQ(parsed->action, CommandLine::Action::Help);
    }
    auto version = parse_options({"--version"}, {});
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(version->action, CommandLine::Action::Version);
    // A mistake before it is still a mistake; after the CMD it is the CMD's.
    EXPECT_EQ(error_of({"--bogus", "--help"}).substr(0, 22), "unknown option --bogus");
    EXPECT_EQ(parse_ok({"sh", "--help"}).command, (Args{"sh", "--help"}));
    EXPECT_EQ(error_of({"--help=yes"}), "--help takes no value");
}

TEST(HelpAndVersion, HelpHasOneUsageLineGroupsTwinsAndPlainDefaults) {
    const std::string help = tend::config::help_text();
    EXPECT_TRUE(help.starts_with("Usage: tend [OPTIONS] [--] [CMD [ARGS...]]\n"));
    std::size_t usage_lines = 0;
    for (std::size_t at = help.find("Usage"); at != std::string::npos; at = help.find("Usage", at + 1)) ++usage_lines;
    EXPECT_EQ(usage_lines, 1u);
    for (const char* group : {"\nDirectories:\n", "\nStart-up:\n", "\nShutdown timing:\n", "\nLogging:\n",
                              "\nControl socket:\n"}) {
        EXPECT_NE(help.find(group), std::string::npos) << group;
    }
    for (const char* name :
         {"services-dir", "cont-init-dir", "cont-finish-dir", "runtime-dir", "on-init-failure", "forward-signals",
          "as-me", "cmd-user", "services-grace", "finish-timeout", "kill-grace", "default-path", "verbosity",
          "log-format", "log-prefix", "inherit-output", "drain-timeout", "wait-ready", "ready-timeout",
          "control-group", "require-landlock"}) {
        EXPECT_NE(help.find("  --" + std::string(name)), std::string::npos) << name;
        std::string twin = "TEND_";
        for (const char* c = name; *c != '\0'; ++c) twin += *c == '-' ? '_' : static_cast<char>(*c - 'a' + 'A');
        EXPECT_NE(help.find(twin + "\n"), std::string::npos) << twin;
    }
    // Descriptions are wrapped: read them as one line each.
    std::string flowing = help;
    for (std::size_t at = flowing.find("\n      "); at != std::string::npos; at = flowing.find("\n      ", at)) {
        flowing.replace(at, 7, " ");
    }
    EXPECT_NE(flowing.find("TEND_SERVICES_GRACE Default timeout-kill of services"), std::string::npos)
        << flowing;
    EXPECT_NE(flowing.find("at shutdown. Default: 3 s; 0 = no limit.\n"), std::string::npos) << flowing;
    EXPECT_NE(flowing.find("every process left. Default: 3 s; 0 = at once.\n"), std::string::npos) << flowing;
    EXPECT_NE(flowing.find("to be written. Default: 5 s; 0 = at once.\n"), std::string::npos) << flowing;
    EXPECT_NE(flowing.find("Default: none (wait forever).\n"), std::string::npos) << flowing;
    EXPECT_NE(flowing.find("Default: /etc/services.d.\n"), std::string::npos) << flowing;
    EXPECT_NE(help.find("500ms, 3s, 2m, 1h"), std::string::npos);
    EXPECT_EQ(help.find("INT in ["), std::string::npos);
    EXPECT_EQ(help.find("86400000"), std::string::npos);
}

TEST(HelpAndVersion, VersionSaysLinkingAndBuildType) {
    const std::string version = tend::config::version_text();
    EXPECT_TRUE(version.starts_with(std::string("tend ") + TEND_VERSION + " (")) << version;
    EXPECT_TRUE(version.find("static binary") != std::string::npos ||
                version.find("dynamically linked") != std::string::npos)
        << version;
    EXPECT_TRUE(version.ends_with(" build)")) << version;
    EXPECT_EQ(version.find("unknown"), std::string::npos) << "CMake passes the build type: " << version;
}

// The architecture the compiler built for, by the names of Debian and OCI
// images; in a cross build (arm64 under qemu-user) too.
TEST(HelpAndVersion, VersionSaysTheArchitecture) {
#if defined(__x86_64__)
    constexpr std::string_view expected = " (amd64, ";
#elif defined(__aarch64__)
    constexpr std::string_view expected = " (arm64, ";
#else
    constexpr std::string_view expected = " (";
#endif
    const std::string version = tend::config::version_text();
    EXPECT_NE(version.find(expected), std::string::npos) << version;
}

}  // namespace

TEST(VariablesWithPrefixes, KeepsOnlyNamedPrefixesAndWholeVariables) {
    std::vector<std::string> texts{"TEND_VERBOSITY=3", "PATH=/bin", "S6_KEEP_ENV=1", "TE", "TEND_NO_EQUALS",
                                   "XTEND_X=1", "S6_=empty-name-tail", "TEND_EMPTY="};
    std::vector<char*> envp;
    for (auto& text : texts) envp.push_back(text.data());
    envp.push_back(nullptr);
    const auto only_tend = tend::config::variables_with_prefixes(envp.data(), {"TEND_"});
    EXPECT_EQ(only_tend, (tend::config::EnvironmentVariables{{"TEND_VERBOSITY", "3"}, {"TEND_EMPTY", ""}}));
    const auto both = tend::config::variables_with_prefixes(envp.data(), {"S6_", "TEND_"});
    EXPECT_EQ(both, (tend::config::EnvironmentVariables{
                        {"TEND_VERBOSITY", "3"}, {"S6_KEEP_ENV", "1"}, {"S6_", "empty-name-tail"}, {"TEND_EMPTY", ""}}));
    EXPECT_TRUE(tend::config::variables_with_prefixes(nullptr, {"TEND_"}).empty());
}

// --- A layer beneath the TEND_* variables (s6-overlay's S6_* is one) ----------

// Gives fixed values and records what the parse asked of it.
class RecordingLayer : public tend::config::OptionLayer {
public:
    std::vector<Value> given;
    int asked = 0;
    int completed = 0;
    std::filesystem::path services_dir_seen;
    tend::config::InitFailure on_init_failure_seen{};

    std::vector<Value> values(const Options& so_far) override {
        ++asked;
        services_dir_seen = so_far.services_dir;
        on_init_failure_seen = so_far.on_init_failure;
        return given;
    }
    void complete(Options& options) override {
        ++completed;
        options.s6_tree = true;
    }
};

TEST(OptionLayer, ItsValuesGoBeneathTendVariablesAndTheCommandLineInOneParse) {
    RecordingLayer layer;
    layer.given = {{"TEND_KILL_GRACE", "100", "S6_KILL_GRACETIME=100"},
                   {"TEND_SERVICES_GRACE", "200", "S6_SERVICES_GRACETIME=200"},
                   {"TEND_FINISH_TIMEOUT", "300", "S6_KILL_FINISH_MAXTIME=300"},
                   {"TEND_ON_INIT_FAILURE", "continue", "S6_BEHAVIOUR_IF_STAGE2_FAILS=(unset, 0)"}};
    auto parsed = parse_options({"--services-grace", "5s", "--services-dir=/srv/services"},
                                {{"TEND_FINISH_TIMEOUT", "2s"}, {"TEND_CONT_INIT_DIR", "/srv/init"}}, &layer);
    ASSERT_TRUE(parsed) << parsed.error().message;
    const Options& options = parsed->options;
    EXPECT_EQ(options.kill_grace, 100ms) << "the layer's over the default";
    EXPECT_EQ(options.finish_timeout, 2s) << "TEND_* over the layer";
    EXPECT_EQ(options.services_grace, 5s) << "the command line over both";
    EXPECT_EQ(options.on_init_failure, tend::config::InitFailure::Continue);
    EXPECT_EQ(layer.asked, 1);
    EXPECT_EQ(layer.completed, 1);
    EXPECT_TRUE(options.s6_tree) << "complete() is the parse's last step";
    EXPECT_EQ(layer.services_dir_seen, "/srv/services") << "the layer looks where the command line says";
    EXPECT_EQ(layer.on_init_failure_seen, tend::config::InitFailure::Stop) << "asked before its own values";

    auto flag_wins = parse_options({"--on-init-failure=stop"}, {}, &layer);
    ASSERT_TRUE(flag_wins);
    EXPECT_EQ(flag_wins->options.on_init_failure, tend::config::InitFailure::Stop);
    auto twin_wins = parse_options({}, {{"TEND_ON_INIT_FAILURE", "stop"}}, &layer);
    ASSERT_TRUE(twin_wins);
    EXPECT_EQ(twin_wins->options.on_init_failure, tend::config::InitFailure::Stop);
    // A TEND_* variable set to "" counts as unset: the layer's value stands.
    auto empty_twin = parse_options({}, {{"TEND_KILL_GRACE", ""}}, &layer);
    ASSERT_TRUE(empty_twin);
    EXPECT_EQ(empty_twin->options.kill_grace, 100ms);
}

TEST(OptionLayer, NotAskedForHelpVersionOrAMistakeFoundBeforeIt) {
    RecordingLayer layer;
    EXPECT_TRUE(parse_options({"--help"}, {}, &layer));
    EXPECT_TRUE(parse_options({"--version"}, {}, &layer));
    EXPECT_FALSE(parse_options({"--verbosity", "9"}, {}, &layer));
    EXPECT_FALSE(parse_options({}, {{"TEND_VERBOSITY", "abc"}}, &layer));
    EXPECT_EQ(layer.asked, 0);
    EXPECT_EQ(layer.completed, 0);
}

TEST(OptionLayer, AWrongValueIsNamedAsTheLayerWroteIt) {
    RecordingLayer layer;
    layer.given = {{"TEND_VERBOSITY", "9", "S6_VERBOSITY=9"}};
    auto parsed = parse_options({}, {}, &layer);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message, "S6_VERBOSITY=9: out of range (0..4)");
    EXPECT_EQ(layer.completed, 0);
}

// --- The table, for documentation generators ------------------------------

TEST(OptionRows, EveryRowIsInTheHelpWithItsTwinAndDefault) {
    const std::string help = tend::config::help_text();
    const auto rows = tend::config::option_rows();
    ASSERT_GE(rows.size(), 20u);
    std::size_t option_lines = 0;
    for (std::size_t at = help.find("\n  --"); at != std::string::npos; at = help.find("\n  --", at + 1)) ++option_lines;
    EXPECT_EQ(option_lines, rows.size() + 1) << "every row, and --version";  // -h, --help starts with -h
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        std::string head = "  --" + row.name + (row.value_name.empty() ? "" : " " + row.value_name);
        EXPECT_NE(help.find(head + std::string(36 - head.size(), ' ') + row.environment + "\n"), std::string::npos);
        EXPECT_NE(help.find("\n" + row.group + ":\n"), std::string::npos);
        EXPECT_FALSE(row.help.empty());
        EXPECT_FALSE(row.default_value.empty());
    }
    EXPECT_EQ(rows.front().name, "services-dir");
    EXPECT_EQ(rows.front().environment, "TEND_SERVICES_DIR");
    EXPECT_EQ(rows.front().default_value, "/etc/services.d");
}

// --- The subcommands: the first word only --------------------------------------

tend::config::ParsedCommandLine parse_words(std::vector<std::string> words) {
    words.insert(words.begin(), "tend");
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    return tend::config::parse_command_line(static_cast<int>(words.size()), argv.data());
}

TEST(Subcommands, TheClientsOptionStandsAnywhereAndTheRestIsTheRequest) {
    using Kind = tend::config::ParsedCommandLine::Kind;
    auto status = parse_words({"ctl", "status", "--runtime-dir", "/x", "--json"});
    ASSERT_EQ(status.kind, Kind::Client) << status.usage_error.value_or("");
    EXPECT_EQ(status.client.runtime_dir, std::optional<std::string>("/x"));
    EXPECT_EQ(status.client.words, (Args{"status", "--json"}));
    EXPECT_FALSE(status.client.health);

    auto wait = parse_words({"ctl", "--runtime-dir=/y", "wait-down", "web", "--finished", "--timeout", "500"});
    ASSERT_EQ(wait.kind, Kind::Client);
    EXPECT_EQ(wait.client.runtime_dir, std::optional<std::string>("/y"));
    EXPECT_EQ(wait.client.words, (Args{"wait-down", "web", "--finished", "--timeout", "500"}));

    auto health = parse_words({"health"});
    ASSERT_EQ(health.kind, Kind::Client);
    EXPECT_TRUE(health.client.health);
    EXPECT_EQ(health.client.words, Args{"health"});
    EXPECT_EQ(health.client.runtime_dir, std::nullopt);
}

TEST(Subcommands, ClientMistakesAreUsageErrorsHealthsExitOne) {
    auto bare = parse_words({"ctl"});
    EXPECT_EQ(bare.exit_code, 2);
    EXPECT_EQ(bare.usage_error, std::optional<std::string>("ctl needs a command (see tend ctl --help)"));
    auto no_dir = parse_words({"ctl", "status", "--runtime-dir"});
    EXPECT_EQ(no_dir.exit_code, 2);
    EXPECT_EQ(no_dir.usage_error, std::optional<std::string>("--runtime-dir needs a value (DIR)"));
    auto health = parse_words({"health", "now"});
    EXPECT_EQ(health.exit_code, 1) << "Docker reserves 2";
    EXPECT_EQ(health.usage_error, std::optional<std::string>("health: unexpected argument 'now'"));
}

TEST(Subcommands, CompatInstallTakesAnOptionalRoot) {
    using Kind = tend::config::ParsedCommandLine::Kind;
    auto root = parse_words({"compat", "install", "/image"});
    ASSERT_EQ(root.kind, Kind::CompatInstall);
    EXPECT_EQ(root.compat_root, "/image");
    EXPECT_EQ(parse_words({"compat", "install"}).compat_root, "/");
    for (const Args& wrong : {Args{"compat"}, Args{"compat", "uninstall"}, Args{"compat", "install", "/a", "/b"}}) {
        auto parsed = parse_words(wrong);
        EXPECT_EQ(parsed.kind, Kind::Exit);
        EXPECT_EQ(parsed.exit_code, 2);
        EXPECT_EQ(parsed.usage_error, std::optional<std::string>("usage: tend compat install [ROOT]"));
    }
}

TEST(Subcommands, CheckTakesTendsOptionsAndNoCmd) {
    using Kind = tend::config::ParsedCommandLine::Kind;
    auto check = parse_words({"check", "--services-dir", "/srv/s", "--as-me"});
    ASSERT_EQ(check.kind, Kind::Check) << check.usage_error.value_or("");
    EXPECT_EQ(check.options.services_dir, "/srv/s");
    EXPECT_TRUE(check.options.as_me);
    auto cmd = parse_words({"check", "--as-me", "php-fpm"});
    EXPECT_EQ(cmd.exit_code, 2);
    EXPECT_EQ(cmd.usage_error,
              std::optional<std::string>("check starts nothing and takes no CMD: 'php-fpm' (see tend check --help)"));
    auto typo = parse_words({"check", "--service-dir", "/x"});
    EXPECT_EQ(typo.usage_error, std::optional<std::string>("unknown option --service-dir (did you mean --services-dir?)"));
    // After `--`, or after the CMD, a subcommand name is a program.
    EXPECT_EQ(parse_words({"--", "check"}).options.command, Args{"check"});
    EXPECT_EQ(parse_words({"--as-me", "ctl"}).options.command, Args{"ctl"});
    EXPECT_EQ(parse_words({"--as-me", "ctl"}).kind, Kind::Run);
}
