// The `schedule` and `schedule-overlap` parsers: good lines give the exact
// bits, bad ones are refused with the field (or the construct) named.
#include <string>

#include <gtest/gtest.h>

#include "tend/config/service_config.hpp"
#include "tend/time/schedule.hpp"

namespace {

using namespace std::chrono_literals;
using tend::time::CronExpression;
using tend::time::EverySchedule;
using tend::time::parse_schedule;

CronExpression cron(std::string_view line) {
    auto parsed = parse_schedule(line);
    EXPECT_TRUE(parsed.has_value()) << line << ": " << (parsed ? "" : parsed.error());
    if (!parsed || !std::holds_alternative<CronExpression>(*parsed)) return {};
    return std::get<CronExpression>(*parsed);
}

std::string refusal(std::string_view line) {
    auto parsed = parse_schedule(line);
    EXPECT_FALSE(parsed.has_value()) << line << " was accepted";
    return parsed ? std::string() : parsed.error();
}

template <std::size_t N>
std::string bits(const std::bitset<N>& set) {
    std::string listed;
    for (std::size_t i = 0; i < N; ++i)
        if (set.test(i)) listed += (listed.empty() ? "" : ",") + std::to_string(i);
    return listed;
}

TEST(ScheduleParser, FiveFieldsWithListsRangesStepsAndNames) {
    CronExpression c = cron("*/15 2,14 1-10/3 jan-MAR,Dec mon-fri");
    EXPECT_EQ(bits(c.seconds), "0");
    EXPECT_EQ(bits(c.minutes), "0,15,30,45");
    EXPECT_EQ(bits(c.hours), "2,14");
    EXPECT_EQ(bits(c.days_of_month), "1,4,7,10");
    EXPECT_EQ(bits(c.months), "1,2,3,12");
    EXPECT_EQ(bits(c.days_of_week), "1,2,3,4,5");
    EXPECT_TRUE(c.years.all());
    EXPECT_TRUE(c.day_of_month_restricted);
    EXPECT_TRUE(c.day_of_week_restricted);
    EXPECT_FALSE(c.fixed_time);
}

TEST(ScheduleParser, StarFieldsAreUnrestrictedAndSevenIsSunday) {
    CronExpression c = cron("0 3 * * 7");
    EXPECT_EQ(bits(c.days_of_week), "0");
    EXPECT_FALSE(c.day_of_month_restricted);
    EXPECT_TRUE(c.day_of_week_restricted);
    EXPECT_TRUE(c.fixed_time);
    EXPECT_EQ(bits(cron("* * * * *").days_of_week), "0,1,2,3,4,5,6");
    EXPECT_EQ(bits(cron("* * * * 5-7").days_of_week), "0,5,6");
    EXPECT_EQ(bits(cron("* * * * sun,SAT").days_of_week), "0,6");
    EXPECT_EQ(bits(cron("5/20 * * * *").minutes), "5,25,45");
    // A stepped star picks days, so it takes part in the OR rule.
    EXPECT_TRUE(cron("0 0 */2 * *").day_of_month_restricted);
}

TEST(ScheduleParser, FixedTimeMeansNoStarInMinuteOrHour) {
    EXPECT_TRUE(cron("30 2 * * *").fixed_time);
    EXPECT_TRUE(cron("0,30 1-3 * * *").fixed_time);
    EXPECT_FALSE(cron("0 * * * *").fixed_time);
    EXPECT_FALSE(cron("*/5 2 * * *").fixed_time);
    EXPECT_TRUE(cron("* 30 2 * * *").fixed_time) << "the seconds field does not count";
}

TEST(ScheduleParser, SixFieldsAddALeadingSecondsField) {
    CronExpression c = cron("*/20 0 12 * * *");
    EXPECT_EQ(bits(c.seconds), "0,20,40");
    EXPECT_EQ(bits(c.minutes), "0");
    EXPECT_EQ(bits(c.hours), "12");
}

TEST(ScheduleParser, SevenFieldsEndWithAYear) {
    CronExpression c = cron("0 30 4 1 1 * 2027,2030-2031");
    EXPECT_EQ(c.years.count(), 3u);
    EXPECT_TRUE(c.years.test(2027 - tend::time::kFirstScheduleYear));
    EXPECT_TRUE(c.years.test(2031 - tend::time::kFirstScheduleYear));
    EXPECT_NE(refusal("0 0 0 1 1 * 2100").find("year: '2100' is out of range 1970-2099"), std::string::npos);
}

TEST(ScheduleParser, SixFieldsEndingInAYearPointToTheSevenFieldForm) {
    std::string why = refusal("0 4 1 1 * 2027");
    EXPECT_NE(why.find("looks like a year"), std::string::npos) << why;
    EXPECT_NE(why.find("7 fields"), std::string::npos) << why;
}

TEST(ScheduleParser, Shorthands) {
    EXPECT_EQ(cron("@yearly"), cron("0 0 1 1 *"));
    EXPECT_EQ(cron("@annually"), cron("0 0 1 1 *"));
    EXPECT_EQ(cron("@monthly"), cron("0 0 1 * *"));
    EXPECT_EQ(cron("@weekly"), cron("0 0 * * 0"));
    EXPECT_EQ(cron("@daily"), cron("0 0 * * *"));
    EXPECT_EQ(cron("@midnight"), cron("0 0 * * *"));
    EXPECT_EQ(cron("@hourly"), cron("0 * * * *"));
    EXPECT_NE(refusal("@fortnightly").find("unknown shorthand '@fortnightly'"), std::string::npos);
    EXPECT_NE(refusal("@daily 3").find("takes nothing after it"), std::string::npos);
}

TEST(ScheduleParser, EveryTakesADurationWithAUnit) {
    auto every = [](std::string_view line) {
        auto parsed = parse_schedule(line);
        EXPECT_TRUE(parsed && std::holds_alternative<EverySchedule>(*parsed)) << line;
        return parsed && std::holds_alternative<EverySchedule>(*parsed) ? std::get<EverySchedule>(*parsed).period
                                                                        : 0ms;
    };
    EXPECT_EQ(every("@every 90s"), 90s);
    EXPECT_EQ(every("@every 1h30m"), 90min);
    EXPECT_EQ(every("@every 2d"), 48h);
    EXPECT_EQ(every("@every 1500ms"), 1500ms);
    EXPECT_NE(refusal("@every 90").find("a unit is required"), std::string::npos);
    EXPECT_NE(refusal("@every 5w").find("unknown unit 'w'"), std::string::npos);
    EXPECT_NE(refusal("@every 500ms").find("minimum of 1s"), std::string::npos);
    EXPECT_NE(refusal("@every").find("one duration"), std::string::npos);
    EXPECT_NE(refusal("@every 400d").find("too long"), std::string::npos);
}

struct Refused {
    std::string line;
    std::string reason;  // a part of the message
};

class RefusedScheduleTest : public ::testing::TestWithParam<Refused> {};

TEST_P(RefusedScheduleTest, NamesTheProblem) {
    std::string why = refusal(GetParam().line);
    EXPECT_NE(why.find(GetParam().reason), std::string::npos) << GetParam().line << " -> " << why;
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, RefusedScheduleTest,
    ::testing::Values(
        Refused{"", "is empty"}, Refused{"* * * *", "found 4"}, Refused{"* * * * * * * *", "found 8"},
        Refused{"60 * * * *", "minute: '60' is out of range 0-59"},
        Refused{"* 24 * * *", "hour: '24' is out of range 0-23"},
        Refused{"* * 0 * *", "day-of-month: '0' is out of range 1-31"},
        Refused{"* * 32 * *", "day-of-month: '32' is out of range 1-31"},
        Refused{"* * * 13 *", "month: '13' is out of range 1-12"},
        Refused{"* * * * 8", "day-of-week: '8' is out of range 0-7"},
        Refused{"60 * * * * *", "second: '60' is out of range 0-59"},
        Refused{"* * * foo *", "month: unknown month name 'foo'"},
        Refused{"* * * * funday", "day-of-week: unknown day name 'funday'"},
        Refused{"mon * * * *", "minute: 'mon' is not a number"},
        Refused{"*/0 * * * *", "minute: step 0"}, Refused{"*/x * * * *", "minute: step 'x'"},
        Refused{"5-2 * * * *", "minute: range '5-2' goes backwards"},
        Refused{"1,,2 * * * *", "minute: empty item"}, Refused{"* * L * *", "day-of-month: 'L' (last day"},
        Refused{"* * 15W * *", "day-of-month: 'W' (nearest weekday"},
        Refused{"* * * * 5L", "day-of-week: 'L' (last day"},
        Refused{"* * * * 5#3", "day-of-week: '#' (nth weekday"},
        Refused{"* * ? * 1", "day-of-month: '?'"}, Refused{"@reboot", "@reboot is not supported"},
        Refused{"0 0 30 2 *", "day-of-month '30' never occurs in month '2'"},
        Refused{"0 0 31 4,6 *", "never occurs"}));

TEST(ScheduleParser, DayThatOnlySomeChosenMonthsHaveIsFine) {
    cron("0 0 31 1-12 *");
    cron("0 0 29 2 *");
    cron("0 0 30 2 mon") /* OR rule: every Monday of February */;
}

TEST(ScheduleOverlap, SkipOrKill) {
    EXPECT_EQ(tend::config::parse_schedule_overlap("skip"), tend::config::ScheduleOverlap::Skip);
    EXPECT_EQ(tend::config::parse_schedule_overlap("kill"), tend::config::ScheduleOverlap::Kill);
    auto bad = tend::config::parse_schedule_overlap("queue");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("skip or kill"), std::string::npos);
}

}  // namespace
