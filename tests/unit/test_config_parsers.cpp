// The one-value parsers of a service dir, as tables of good and bad input.
#include <linux/capability.h>
#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tend/config/service_config.hpp"

namespace {

using namespace std::chrono_literals;
using tend::config::ResourceLimit;

constexpr std::uint64_t bit(int capability) { return std::uint64_t{1} << capability; }

// --- capabilities ------------------------------------------------------------

struct CapabilitiesCase {
    std::string text;
    std::uint64_t mask;
};

class GoodCapabilitiesTest : public ::testing::TestWithParam<CapabilitiesCase> {};

TEST_P(GoodCapabilitiesTest, Parses) {
    const auto mask = tend::config::parse_capabilities(GetParam().text);
    ASSERT_TRUE(mask.has_value()) << mask.error();
    EXPECT_EQ(*mask, GetParam().mask);
}

INSTANTIATE_TEST_SUITE_P(
    Capabilities, GoodCapabilitiesTest,
    ::testing::Values(
        CapabilitiesCase{"", 0}, CapabilitiesCase{"\n \n", 0}, CapabilitiesCase{"# none\n", 0},
        CapabilitiesCase{"CAP_NET_BIND_SERVICE", bit(CAP_NET_BIND_SERVICE)},
        CapabilitiesCase{"net_bind_service\n", bit(CAP_NET_BIND_SERVICE)},
        CapabilitiesCase{"Cap_Net_Bind_Service", bit(CAP_NET_BIND_SERVICE)},
        CapabilitiesCase{"cap_chown", bit(CAP_CHOWN)},
        CapabilitiesCase{"CAP_CHOWN,CAP_KILL", bit(CAP_CHOWN) | bit(CAP_KILL)},
        CapabilitiesCase{"chown , kill,,\tsetuid\r\nsetgid", bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_SETUID) |
                                                                     bit(CAP_SETGID)},
        CapabilitiesCase{"CAP_SYS_ADMIN\nCAP_SYS_ADMIN", bit(CAP_SYS_ADMIN)},
        CapabilitiesCase{"# web server\nCAP_NET_BIND_SERVICE\n", bit(CAP_NET_BIND_SERVICE)}));

struct BadTextCase {
    std::string text;
    std::string reason_part;
};

class BadCapabilitiesTest : public ::testing::TestWithParam<BadTextCase> {};

TEST_P(BadCapabilitiesTest, NamesTheProblem) {
    const auto mask = tend::config::parse_capabilities(GetParam().text);
    ASSERT_FALSE(mask.has_value()) << "mask " << *mask;
    EXPECT_NE(mask.error().find(GetParam().reason_part), std::string::npos) << mask.error();
}

INSTANTIATE_TEST_SUITE_P(
    Capabilities, BadCapabilitiesTest,
    ::testing::Values(BadTextCase{"CAP_FOO", "unknown capability 'CAP_FOO'"},
                      BadTextCase{"CAP_CHOWN bogus", "unknown capability 'bogus'"},
                      BadTextCase{"CAP_", "unknown capability 'CAP_'"},
                      BadTextCase{"12", "unknown capability '12'"},
                      BadTextCase{"CAP_CHOWN;CAP_KILL", "unknown capability 'CAP_CHOWN;CAP_KILL'"},
                      BadTextCase{"all", "unknown capability 'all'"}));

// --- limits -------------------------------------------------------------------

struct GoodLimitsCase {
    std::string text;
    std::vector<ResourceLimit> limits;
};

class GoodLimitsTest : public ::testing::TestWithParam<GoodLimitsCase> {};

TEST_P(GoodLimitsTest, Parses) {
    const auto limits = tend::config::parse_limits(GetParam().text);
    ASSERT_TRUE(limits.has_value()) << limits.error();
    EXPECT_EQ(*limits, GetParam().limits);
}

constexpr rlim_t kInf = RLIM_INFINITY;

INSTANTIATE_TEST_SUITE_P(
    Limits, GoodLimitsTest,
    ::testing::Values(
        GoodLimitsCase{"", {}}, GoodLimitsCase{"# nothing\n\n", {}},
        GoodLimitsCase{"nofile 1024", {{RLIMIT_NOFILE, 1024, 1024, "nofile"}}},
        GoodLimitsCase{"nofile 1024:4096\n", {{RLIMIT_NOFILE, 1024, 4096, "nofile"}}},
        GoodLimitsCase{"  NOFILE\t 8K ", {{RLIMIT_NOFILE, 8192, 8192, "nofile"}}},
        GoodLimitsCase{"as 2g", {{RLIMIT_AS, 2ULL << 30, 2ULL << 30, "as"}}},
        GoodLimitsCase{"memlock 64M:unlimited", {{RLIMIT_MEMLOCK, 64ULL << 20, kInf, "memlock"}}},
        GoodLimitsCase{"core unlimited", {{RLIMIT_CORE, kInf, kInf, "core"}}},
        GoodLimitsCase{"core infinity:INFINITY", {{RLIMIT_CORE, kInf, kInf, "core"}}},
        GoodLimitsCase{"core 0", {{RLIMIT_CORE, 0, 0, "core"}}},
        GoodLimitsCase{"fsize 5:5", {{RLIMIT_FSIZE, 5, 5, "fsize"}}},
        GoodLimitsCase{"# comment\nnproc 100\nstack 8M\ncpu 60:120\n",
                       {{RLIMIT_NPROC, 100, 100, "nproc"},
                        {RLIMIT_STACK, 8ULL << 20, 8ULL << 20, "stack"},
                        {RLIMIT_CPU, 60, 120, "cpu"}}},
        // Largest finite value: one below RLIM_INFINITY.
        GoodLimitsCase{"fsize 18446744073709551614", {{RLIMIT_FSIZE, kInf - 1, kInf - 1, "fsize"}}}));

class BadLimitsTest : public ::testing::TestWithParam<BadTextCase> {};

TEST_P(BadLimitsTest, NamesTheProblem) {
    const auto limits = tend::config::parse_limits(GetParam().text);
    ASSERT_FALSE(limits.has_value());
    EXPECT_NE(limits.error().find(GetParam().reason_part), std::string::npos) << limits.error();
}

INSTANTIATE_TEST_SUITE_P(
    Limits, BadLimitsTest,
    ::testing::Values(
        BadTextCase{"foo 1", "line 1: unknown limit 'foo'"},
        BadTextCase{"# c\n\nrss 1", "line 3: unknown limit 'rss'"},
        BadTextCase{"nofile", "line 1: expected 'NAME VALUE'"},
        BadTextCase{"nofile 1 2", "expected 'NAME VALUE' or 'NAME SOFT:HARD'"},
        BadTextCase{"nofile=1024", "expected 'NAME VALUE'"},
        BadTextCase{"nofile abc", "nofile: value 'abc' is not a number"},
        BadTextCase{"nofile -1", "value '-1' is not a number"},
        BadTextCase{"nofile 1.5K", "value '1.5K' is not a number"},
        BadTextCase{"nofile 0x10", "value '0x10' is not a number"},
        BadTextCase{"nofile K", "value 'K' has no number"},
        BadTextCase{"nofile 10T", "value '10T' is not a number"},
        BadTextCase{"nofile 10:", "nofile hard: empty value"},
        BadTextCase{":10", "expected 'NAME VALUE'"},
        BadTextCase{"nofile :10", "nofile soft: empty value"},
        BadTextCase{"nofile 1:2:3", "nofile hard: value '2:3'"},
        BadTextCase{"nofile 10:5", "nofile: soft value '10' is above hard value '5'"},
        BadTextCase{"nofile unlimited:5", "soft value 'unlimited' is above hard value '5'"},
        BadTextCase{"fsize 18446744073709551615", "value '18446744073709551615' is too large"},
        BadTextCase{"fsize 99999999999999999999999", "value '99999999999999999999999' is too large"},
        BadTextCase{"fsize 17179869184G", "value '17179869184G' is too large"},
        BadTextCase{"nofile 1\nNOFILE 2", "line 2: limit 'nofile' is set twice"}));

// --- umask ----------------------------------------------------------------------

TEST(UmaskParser, AcceptsThreeOrFourOctalDigits) {
    const std::vector<std::pair<std::string, mode_t>> good = {
        {"022", 022}, {"0022", 022}, {"000", 0}, {"777", 0777}, {"0777", 0777}, {"027\n", 027}, {" 007 ", 07}};
    for (const auto& [text, mask] : good) {
        const auto parsed = tend::config::parse_umask(text);
        ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error();
        EXPECT_EQ(*parsed, mask) << text;
    }
}

TEST(UmaskParser, RejectsEverythingElse) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "is not 3 or 4 octal digits"},     {"22", "is not 3 or 4 octal digits"},
        {"00022", "is not 3 or 4 octal digits"}, {"089", "'089' is not 3 or 4 octal digits"},
        {"-022", "is not 3 or 4 octal digits"},  {"0o22", "is not 3 or 4 octal digits"},
        {"u=rwx", "is not 3 or 4 octal digits"}, {"1022", "'1022' is above 0777"},
        {"7777", "is above 0777"}};
    for (const auto& [text, reason] : bad) {
        const auto parsed = tend::config::parse_umask(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_NE(parsed.error().find(reason), std::string::npos) << text << ": " << parsed.error();
    }
}

// --- signals ------------------------------------------------------------------------

TEST(SignalParser, AcceptsNamesWithOrWithoutPrefixInAnyCaseAndNumbers) {
    const std::vector<std::pair<std::string, int>> good = {
        {"SIGTERM", SIGTERM}, {"TERM", SIGTERM},   {"term", SIGTERM},   {"SigTerm", SIGTERM},
        {"15", SIGTERM},      {"SIGQUIT", SIGQUIT}, {"quit", SIGQUIT},  {"SIGKILL", SIGKILL},
        {"9", SIGKILL},       {"1", 1},             {"64", 64},         {"SIG34", 34},
        {"SIGIOT", SIGABRT},  {"SIGPOLL", SIGIO},   {"SIGCLD", SIGCHLD}};
    for (const auto& [text, signo] : good) {
        EXPECT_EQ(tend::config::parse_signal(text), std::optional<int>(signo)) << text;
    }
}

TEST(SignalParser, KnowsEveryRequiredName) {
    const std::vector<std::pair<std::string, int>> names = {
        {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},     {"ABRT", SIGABRT},
        {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
        {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},     {"CHLD", SIGCHLD},   {"CONT", SIGCONT},
        {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
        {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS},       {"TRAP", SIGTRAP},   {"BUS", SIGBUS}};
    for (const auto& [name, signo] : names) {
        EXPECT_EQ(tend::config::parse_signal(name), std::optional<int>(signo)) << name;
        EXPECT_EQ(tend::config::parse_signal("SIG" + name), std::optional<int>(signo)) << name;
        EXPECT_EQ(tend::config::signal_name(signo), "SIG" + name);
    }
}

TEST(SignalParser, RejectsUnknownNamesAndNumbersOutOfRange) {
    for (const std::string text : {"", "SIG", "SIGFOO", "FOO", "0", "65", "100", "-15", "+15", "15x", " 15",
                                   "SIGTERM ", "SIG_TERM", "SIGSIGTERM", "SIG0", "SIG65", "RTMIN"}) {
        EXPECT_EQ(tend::config::parse_signal(text), std::nullopt) << "'" << text << "'";
    }
}

TEST(SignalParser, NameRoundTripsForEveryNumber) {
    EXPECT_EQ(tend::config::signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(tend::config::signal_name(SIGABRT), "SIGABRT");  // canonical, not SIGIOT
    EXPECT_EQ(tend::config::signal_name(SIGCHLD), "SIGCHLD");  // not SIGCLD
    EXPECT_EQ(tend::config::signal_name(40), "SIG40");
    for (int signo = 1; signo <= 64; ++signo) {
        EXPECT_EQ(tend::config::parse_signal(tend::config::signal_name(signo)), std::optional<int>(signo)) << signo;
    }
}

// --- user syntax and service names --------------------------------------------------

TEST(UserSyntax, AcceptsNamesIdsAndPairs) {
    for (const std::string spec : {"www-data", "nginx", "app_user", "a.b", "WORKSTATION$", "_apt", "1000",
                                   "0", "1000:1000", "www-data:www-data", "www:1000", "1000:web",
                                   "4294967294", "0:4294967294"}) {
        const auto result = tend::config::check_user_syntax(spec);
        EXPECT_TRUE(result.has_value()) << spec << ": " << result.error();
    }
}

TEST(UserSyntax, RejectsMalformedSpecs) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "empty"},
        {":", "empty user"},
        {"www:", "empty group"},
        {":www", "empty user"},
        {"a:b:c", "'a:b:c' has more than one ':'"},
        {"-rf", "user '-rf' is not a valid name"},
        {"www:-g", "group '-g' is not a valid name"},
        {"www data", "user 'www data' is not a valid name"},
        {"root;id", "is not a valid name"},
        {"$", "user '$' is not a valid name"},
        {"a$b", "is not a valid name"},
        {"caf\xc3\xa9", "is not a valid name"},
        {"4294967295", "user '4294967295' is out of range"},
        {"0:99999999999999999999999", "group '99999999999999999999999' is out of range"},
        {std::string(257, 'a'), "is not a valid name"}};
    for (const auto& [spec, reason] : bad) {
        const auto result = tend::config::check_user_syntax(spec);
        ASSERT_FALSE(result.has_value()) << spec;
        EXPECT_NE(result.error().find(reason), std::string::npos) << spec << ": " << result.error();
    }
}

TEST(ServiceName, Validity) {
    for (const std::string name : {"web", "php-fpm", "a", "nginx.1", "with space", "x_y", "UPPER"}) {
        EXPECT_TRUE(tend::config::is_valid_service_name(name)) << name;
    }
    for (const std::string& name : std::vector<std::string>{"", ".", "..", ".hidden", "a/b", "/", "new\nline",
                                                            "tab\tname", std::string(256, 'x')}) {
        EXPECT_FALSE(tend::config::is_valid_service_name(name)) << name;
    }
    EXPECT_TRUE(tend::config::is_valid_service_name(std::string(255, 'x')));
}

}  // namespace
