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
    EXPECT_EQ(bits(cron("* * * * 5-6,7").days_of_week), "0,5,6");
    EXPECT_EQ(bits(cron("* * * * friday,Saturday").days_of_week), "5,6");
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
    EXPECT_FALSE(cron("? 2 * * *").fixed_time);
    EXPECT_TRUE(cron("* 30 2 * * * *").fixed_time) << "the seconds field does not count";
}

TEST(ScheduleParser, SixFieldsAreTheFiveAndAYear) {
    // Supercronic's meaning: `0 0 28 02 * *` is February 28th, every year.
    CronExpression c = cron("0 0 28 02 * *");
    EXPECT_EQ(bits(c.seconds), "0");
    EXPECT_EQ(bits(c.days_of_month), "28");
    EXPECT_EQ(bits(c.months), "2");
    EXPECT_TRUE(c.years.all());
    EXPECT_EQ(cron("*/5 * * * * *"), cron("*/5 * * * *")) << "every 5 minutes, not seconds";
    EXPECT_EQ(cron("0 4 1 1 * 2027").years.count(), 1u);
}

TEST(ScheduleParser, SevenFieldsAddALeadingSecondsField) {
    CronExpression c = cron("*/20 0 12 * * * *");
    EXPECT_EQ(bits(c.seconds), "0,20,40");
    EXPECT_EQ(bits(c.minutes), "0");
    EXPECT_EQ(bits(c.hours), "12");
}

TEST(ScheduleParser, QuartzDaysLastNearestWeekdayNth) {
    CronExpression l = cron("0 0 L * *");
    EXPECT_TRUE(l.last_day_of_month);
    EXPECT_TRUE(l.day_of_month_restricted);
    EXPECT_TRUE(cron("0 0 lw * *").last_weekday_of_month);
    EXPECT_EQ(bits(cron("0 0 15W,1w * *").nearest_weekdays), "1,15");
    EXPECT_EQ(bits(cron("0 0 * * 5L,fril").last_days_of_week), "5");
    EXPECT_EQ(bits(cron("0 0 * * 6#5,mon#1").nth_days_of_week), "1,34");
    EXPECT_FALSE(cron("0 0 ? * 1").day_of_month_restricted);
    EXPECT_FALSE(cron("0 0 *,5 * 1").day_of_month_restricted) << "a `*` item makes the field unrestricted";
}

TEST(ScheduleParser, SevenFieldsEndWithAYear) {
    CronExpression c = cron("0 30 4 1 1 * 2027,2030-2031");
    EXPECT_EQ(c.years.count(), 3u);
    EXPECT_TRUE(c.years.test(2027 - tend::time::kFirstScheduleYear));
    EXPECT_TRUE(c.years.test(2031 - tend::time::kFirstScheduleYear));
    EXPECT_NE(refusal("0 0 0 1 1 * 2100").find("year: '2100' is not a year (1970-2099)"), std::string::npos);
}

TEST(ScheduleParser, Shorthands) {
    EXPECT_EQ(cron("@yearly"), cron("0 0 1 1 *"));
    EXPECT_EQ(cron("@annually"), cron("0 0 1 1 *"));
    EXPECT_EQ(cron("@monthly"), cron("0 0 1 * *"));
    EXPECT_EQ(cron("@weekly"), cron("0 0 * * 0"));
    EXPECT_EQ(cron("@daily"), cron("0 0 * * *"));
    EXPECT_EQ(cron("@hourly"), cron("0 * * * *"));
    EXPECT_NE(refusal("@fortnightly").find("unknown shorthand '@fortnightly'"), std::string::npos);
    EXPECT_NE(refusal("@daily 3").find("takes nothing after it"), std::string::npos);
    // Supercronic knows neither @midnight nor upper case.
    EXPECT_NE(refusal("@midnight").find("unknown shorthand"), std::string::npos);
    EXPECT_NE(refusal("@Daily").find("unknown shorthand"), std::string::npos);
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
        Refused{"60 * * * *", "minute: '60' is not a minute (0-59)"},
        Refused{"* 24 * * *", "hour: '24' is not an hour (0-23)"},
        Refused{"* * 0 * *", "day-of-month: '0' is not a day of month"},
        Refused{"* * 32 * *", "day-of-month: '32' is not a day of month"},
        Refused{"* * * 13 *", "month: '13' is not a month"},
        Refused{"* * * * 8", "day-of-week: '8' is not a day of week"},
        Refused{"60 * * * * * *", "second: '60' is not a second (0-59)"},
        Refused{"* * * foo *", "month: 'foo' is not a month"},
        Refused{"* * * * funday", "day-of-week: 'funday' is not a day of week"},
        Refused{"mon * * * *", "minute: 'mon' is not a minute"},
        Refused{"005 * * * *", "minute: '005' is not a minute"},
        Refused{"*/0 * * * *", "minute: step '0' in '*/0' is not 1-59"},
        Refused{"*/x * * * *", "minute: step 'x'"}, Refused{"*/60 * * * *", "minute: step '60'"},
        Refused{"* * * * */7", "day-of-week: step '7' in '*/7' is not 1-6"},
        Refused{"5-2 * * * *", "minute: range '5-2' goes backwards"},
        Refused{"20-10/5 * * * *", "minute: range '20-10/5' goes backwards"},
        Refused{"* * * * 1-7", "day-of-week: range '1-7' ends at 7"},
        Refused{", * * * *", "minute: no value"}, Refused{"* * LL * *", "day-of-month: 'LL' is not a day of month"},
        Refused{"* * 15W/2 * *", "day-of-month: '15W/2'"}, Refused{"* * * * 5#6", "day-of-week: '5#6': the week after '#' is 1-5"},
        Refused{"* * * L *", "month: 'L' is not a month"}, Refused{"* * * * * 2100", "year: '2100' is not a year"},
        Refused{"* * * * * 70", "year: '70' is not a year"}, Refused{"?/2 * * * *", "minute: '?/2'"},
        Refused{"@reboot", "@reboot is not supported"},
        Refused{"0 0 30 2 *", "day-of-month '30' never occurs in month '2'"},
        Refused{"0 0 31 4,6 *", "never occurs"}));

TEST(ScheduleParser, SupercronicsLeniencies) {
    EXPECT_EQ(bits(cron("1,,2 * * * *").minutes), "1,2") << "empty list items are ignored";
    EXPECT_EQ(bits(cron("05 * * * *").minutes), "5");
    EXPECT_EQ(bits(cron("? * * * *").minutes).size(), bits(cron("* * * * *").minutes).size());
    EXPECT_EQ(bits(cron("* * * JANUARY,Feb *").months), "1,2");
}

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
