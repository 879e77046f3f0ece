// Durations: a bare number is milliseconds (s6), or an integer with one
// lowercase unit; at most 24 h; anything else names the accepted forms.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "tend/config/duration.hpp"

namespace {

using namespace std::chrono_literals;
using tend::config::describe_duration;
using tend::config::parse_duration;

TEST(Duration, BareNumberIsMillisecondsAndUnitsWork) {
    const std::vector<std::pair<std::string, std::chrono::milliseconds>> good = {
        {"0", 0ms},         {"1", 1ms},       {"3000", 3000ms},  {"007", 7ms},       {"500ms", 500ms},
        {"0ms", 0ms},       {"3s", 3000ms},   {"0s", 0ms},       {"2m", 120000ms},   {"1h", 3600000ms},
        {"24h", 86400000ms}, {"1440m", 86400000ms}, {"86400s", 86400000ms}, {"86400000", 86400000ms},
        {"86400000ms", 86400000ms}};
    for (const auto& [text, value] : good) {
        const auto parsed = parse_duration(text);
        ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error();
        EXPECT_EQ(*parsed, value) << text;
    }
}

TEST(Duration, AnythingElseIsRefusedWithTheAcceptedForms) {
    const std::vector<std::string> bad = {"",    "3x",   "s",    "ms",  "-1",   "+5",   "1.5s", "1e3",
                                          "3 s", " 3s", "3s ",  "3S",  "3Ms",  "3sec", "1h30m", "3ss",
                                          "0x10", "3mss", "h1",  "5 ",  "\t5", "3\n"};
    for (const std::string& text : bad) {
        const auto parsed = parse_duration(text);
        ASSERT_FALSE(parsed.has_value()) << "'" << text << "' was accepted";
        EXPECT_NE(parsed.error().find("accepted forms: 3000 (milliseconds), 500ms, 3s, 2m, 1h; at most 24h"),
                  std::string::npos)
            << text << ": " << parsed.error();
    }
    EXPECT_EQ(parse_duration("").error().substr(0, 5), "empty");
    EXPECT_EQ(parse_duration("3x").error().substr(0, 14), "not a duration");
}

TEST(Duration, MoreThanADayIsRefusedWithoutOverflow) {
    for (const std::string text : {"25h", "1441m", "86401s", "86400001", "86400001ms",
                                   "99999999999999999999999999h", "99999999999999999999999999"}) {
        const auto parsed = parse_duration(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_EQ(parsed.error(), "more than 24h") << text;
    }
}

TEST(Duration, DescribedInTheLargestExactUnit) {
    EXPECT_EQ(describe_duration(0ms), "0");
    EXPECT_EQ(describe_duration(250ms), "250 ms");
    EXPECT_EQ(describe_duration(1500ms), "1500 ms");
    EXPECT_EQ(describe_duration(3000ms), "3 s");
    EXPECT_EQ(describe_duration(90s), "90 s");
    EXPECT_EQ(describe_duration(2min), "2 min");
    EXPECT_EQ(describe_duration(24h), "24 h");
}

}  // namespace
