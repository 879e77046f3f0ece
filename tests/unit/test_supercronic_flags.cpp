// The supercronic applet's command line, read as Go's flag package reads
// Supercronic's: single or double dash, -x=v, booleans as strconv.ParseBool,
// flags before the one crontab; Sentry and Prometheus flags and unknown flags
// refused by name.
#include <gtest/gtest.h>

#include "tend/applets/applets.hpp"
#include "tend/applets/supercronic.hpp"

namespace {

using tend::applets::parse_supercronic_args;
using Action = tend::applets::SupercronicCommandLine::Action;

TEST(SupercronicFlags, EveryFlagInEveryGoSpelling) {
    auto line = parse_supercronic_args({"-json", "--quiet", "-debug=true", "--split-logs=1", "-passthrough-logs=T",
                                        "-inotify", "-no-reap", "-overlapping", "/etc/crontab"});
    ASSERT_EQ(line.action, Action::Run) << line.error;
    EXPECT_EQ(line.crontab, "/etc/crontab");
    EXPECT_TRUE(line.json && line.quiet && line.debug && line.split_logs && line.passthrough_logs && line.inotify &&
                line.no_reap && line.overlapping);
    auto off = parse_supercronic_args({"-json=false", "--inotify=0", "-debug=F", "crontab"});
    ASSERT_EQ(off.action, Action::Run) << off.error;
    EXPECT_FALSE(off.json || off.inotify || off.debug);
    EXPECT_EQ(parse_supercronic_args({"-test", "crontab"}).action, Action::Test);
    EXPECT_EQ(parse_supercronic_args({"--test", "crontab"}).action, Action::Test);
    EXPECT_EQ(parse_supercronic_args({"-test=false", "crontab"}).action, Action::Run);
    EXPECT_EQ(parse_supercronic_args({"-version"}).action, Action::Version) << "no crontab needed";
    EXPECT_EQ(parse_supercronic_args({"-h"}).action, Action::Help);
    EXPECT_EQ(parse_supercronic_args({"--help"}).action, Action::Help);
}

TEST(SupercronicFlags, FlagsEndAtTheCrontabOrAtDoubleDash) {
    auto dashed = parse_supercronic_args({"-json", "--", "-weird-name"});
    ASSERT_EQ(dashed.action, Action::Run) << dashed.error;
    EXPECT_EQ(dashed.crontab, "-weird-name");
    auto stdin_name = parse_supercronic_args({"-"});
    EXPECT_EQ(stdin_name.crontab, "-") << "a lone dash is a word, as in Go";
    auto after = parse_supercronic_args({"crontab", "-json"});
    EXPECT_EQ(after.action, Action::UsageError) << "a flag after the crontab is a second word";
    EXPECT_NE(after.error.find("one crontab is expected, not 2 words"), std::string::npos) << after.error;
    auto none = parse_supercronic_args({"-json"});
    EXPECT_EQ(none.action, Action::UsageError);
    EXPECT_EQ(none.error, "a crontab is expected");
}

TEST(SupercronicFlags, RefusedAndUnknownFlagsAreNamed) {
    for (const char* flag : {"-sentry-dsn=https://x@sentry.io/1", "--sentry-dsn", "-sentryDsn=x", "-sentry-environment=prod",
                             "-sentry-release=1", "-prometheus-listen-address=0.0.0.0:9746",
                             "--prometheus-listen-address"}) {
        auto line = parse_supercronic_args({flag, "crontab"});
        EXPECT_EQ(line.action, Action::UsageError) << flag;
        std::string name = std::string(flag).substr(std::string(flag).starts_with("--") ? 2 : 1);
        name = name.substr(0, name.find('='));
        EXPECT_TRUE(line.error.starts_with("-" + name + " is not supported: ")) << line.error;
    }
    auto unknown = parse_supercronic_args({"-frobnicate", "crontab"});
    EXPECT_EQ(unknown.action, Action::UsageError);
    EXPECT_EQ(unknown.error, "flag provided but not defined: -frobnicate");
    auto bad_bool = parse_supercronic_args({"-json=maybe", "crontab"});
    EXPECT_EQ(bad_bool.error, "invalid boolean value \"maybe\" for -json");
    EXPECT_EQ(parse_supercronic_args({"---json", "crontab"}).error, "bad flag syntax: ---json");
    EXPECT_EQ(parse_supercronic_args({"-=x", "crontab"}).error, "bad flag syntax: -=x");
}

TEST(SupercronicFlags, TheAppletIsChosenByArgv0AndInstalled) {
    EXPECT_EQ(tend::s6::applet_for("/usr/local/bin/supercronic"), tend::s6::Applet::Supercronic);
    bool listed = false;
    for (auto name : tend::s6::applet_names()) listed = listed || name == "supercronic";
    EXPECT_TRUE(listed) << "tend compat install links it";
}

}  // namespace
