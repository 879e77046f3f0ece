// Next-run computation: DST changes of a European and an American zone, leap
// days, the 31st of short months, the OR rule, and a fake-clock year.
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "tend/time/schedule.hpp"
#include "tend/time/next_run.hpp"

namespace {

using namespace std::chrono;
using tend::time::TimeZone;
using tend::time::UtcSeconds;

UtcSeconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

tend::time::CronExpression cron(std::string_view line) {
    auto parsed = tend::time::parse_schedule(line);
    EXPECT_TRUE(parsed && std::holds_alternative<tend::time::CronExpression>(*parsed)) << line;
    return parsed ? std::get<tend::time::CronExpression>(*parsed) : tend::time::CronExpression{};
}

TimeZone zone(const std::string& name) {
    auto loaded = tend::time::load_time_zone(name);
    EXPECT_FALSE(loaded.problem) << *loaded.problem;
    return loaded.zone;
}

// The first `count` runs strictly after `after`.
std::vector<UtcSeconds> runs(std::string_view line, UtcSeconds after, const TimeZone& tz, int count) {
    auto expression = cron(line);
    std::vector<UtcSeconds> result;
    for (int i = 0; i < count; ++i) {
        auto next = tend::time::next_cron_run(expression, after, tz);
        if (!next) break;
        result.push_back(*next);
        after = *next;
    }
    return result;
}

#define REQUIRE_ZONE(name)                                                                   \
    if (!std::filesystem::exists(std::string("/usr/share/zoneinfo/") + (name)))             \
    GTEST_FAIL() << "tzdata is not installed (CI installs it: .ci/packages)"

TEST(NextRun, SecondsMinutesAndStrictlyAfter) {
    TimeZone utc;
    EXPECT_EQ(runs("*/15 * * * * * *", at(2026, 1, 1, 10, 0, 7), utc, 2),
              (std::vector{at(2026, 1, 1, 10, 0, 15), at(2026, 1, 1, 10, 0, 30)}));
    EXPECT_EQ(runs("0 * * * *", at(2026, 1, 1, 10), utc, 1), (std::vector{at(2026, 1, 1, 11)}));
    EXPECT_EQ(runs("59 23 31 12 *", at(2026, 6, 1), utc, 1), (std::vector{at(2026, 12, 31, 23, 59)}));
}

TEST(NextRun, LastDayNearestWeekdayAndNthWeekday) {
    TimeZone utc;
    // L: Feb 2028 has 29 days.
    EXPECT_EQ(runs("0 0 L * *", at(2028, 2, 1), utc, 2), (std::vector{at(2028, 2, 29), at(2028, 3, 31)}));
    // LW: May 31st 2026 is a Sunday, so the 29th (Friday).
    EXPECT_EQ(runs("0 0 LW 5 *", at(2026, 1, 1), utc, 1), (std::vector{at(2026, 5, 29)}));
    // 1W: Aug 1st 2026 is a Saturday: Monday the 3rd (the month is not left).
    EXPECT_EQ(runs("0 0 1W 8 *", at(2026, 1, 1), utc, 1), (std::vector{at(2026, 8, 3)}));
    // 15W: Nov 15th 2026 is a Sunday: Monday the 16th.
    EXPECT_EQ(runs("0 0 15W 11 *", at(2026, 1, 1), utc, 1), (std::vector{at(2026, 11, 16)}));
    // 5L: the last Friday; 6#5: the fifth Saturday, when a month has one.
    EXPECT_EQ(runs("0 0 * 1 5L", at(2026, 1, 1), utc, 1), (std::vector{at(2026, 1, 30)}));
    EXPECT_EQ(runs("0 0 * * 6#5", at(2026, 1, 1), utc, 2), (std::vector{at(2026, 1, 31), at(2026, 5, 30)}));
    // Both day fields restricted: either matches (Friday the 13th or any 13th or any Friday).
    EXPECT_EQ(runs("0 0 13 2 fri", at(2026, 2, 1), utc, 3),
              (std::vector{at(2026, 2, 6), at(2026, 2, 13), at(2026, 2, 20)}));
}

TEST(NextRun, LeapDayOnlyInLeapYears) {
    TimeZone utc;
    EXPECT_EQ(runs("0 0 29 2 *", at(2026, 1, 1), utc, 3),
              (std::vector{at(2028, 2, 29), at(2032, 2, 29), at(2036, 2, 29)}));
    // 2100 is not a leap year: the 7-field form shows the search stops at the field's end.
    EXPECT_EQ(runs("0 0 0 29 2 * 2096-2099", at(2090, 1, 1), utc, 3), (std::vector{at(2096, 2, 29)}));
}

TEST(NextRun, ThirtyFirstSkipsShortMonths) {
    TimeZone utc;
    EXPECT_EQ(runs("0 12 31 * *", at(2026, 1, 31, 13), utc, 4),
              (std::vector{at(2026, 3, 31, 12), at(2026, 5, 31, 12), at(2026, 7, 31, 12), at(2026, 8, 31, 12)}));
    EXPECT_EQ(runs("0 0 30 * *", at(2026, 1, 30, 1), utc, 1), (std::vector{at(2026, 3, 30)}));
}

TEST(NextRun, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
    TimeZone utc;
    // The 13th or any Friday (2026-02-06 is a Friday, the 13th of March a Friday too).
    EXPECT_EQ(runs("0 0 13 * 5", at(2026, 2, 1), utc, 4),
              (std::vector{at(2026, 2, 6), at(2026, 2, 13), at(2026, 2, 20), at(2026, 2, 27)}));
    // Only the 13th when day-of-week is `*`; only Fridays when day-of-month is.
    EXPECT_EQ(runs("0 0 13 * *", at(2026, 2, 1), utc, 1), (std::vector{at(2026, 2, 13)}));
    EXPECT_EQ(runs("0 0 * * fri", at(2026, 2, 7), utc, 1), (std::vector{at(2026, 2, 13)}));
}

TEST(NextRun, YearFieldAndNeverAgain) {
    TimeZone utc;
    EXPECT_EQ(runs("0 0 0 1 1 * 2030", at(2026, 1, 1), utc, 2), (std::vector{at(2030, 1, 1)}));
    EXPECT_TRUE(runs("0 0 0 1 1 * 2020", at(2026, 1, 1), utc, 1).empty());
    EXPECT_EQ(runs("0 0 0 1 1 * 2099", at(2026, 1, 1), utc, 1), (std::vector{at(2099, 1, 1)}))
        << "a year field is searched to its end, past the 30-year horizon";
}

TEST(NextRun, BerlinSpringForwardFixedTimeRunsOnceAtTheEndOfTheGap) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:30 does not exist.
    EXPECT_EQ(runs("30 2 * * *", at(2026, 3, 28, 12), berlin, 3),
              (std::vector{at(2026, 3, 29, 1), at(2026, 3, 30, 0, 30), at(2026, 3, 31, 0, 30)}));
    // Two skipped times of one job: still one run.
    EXPECT_EQ(runs("0,30 2 * * *", at(2026, 3, 29, 0), berlin, 2),
              (std::vector{at(2026, 3, 29, 1), at(2026, 3, 30, 0)}));
    // A time after the gap is not moved.
    EXPECT_EQ(runs("30 3 * * *", at(2026, 3, 29, 0), berlin, 1), (std::vector{at(2026, 3, 29, 1, 30)}));
}

TEST(NextRun, BerlinSpringForwardWildcardFollowsTheWallClock) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    EXPECT_EQ(runs("*/30 * * * *", at(2026, 3, 29, 0, 10), berlin, 3),
              (std::vector{at(2026, 3, 29, 0, 30), at(2026, 3, 29, 1), at(2026, 3, 29, 1, 30)}));
    // 02:xx does not exist: an hourly job has no run for it.
    EXPECT_EQ(runs("15 * * * *", at(2026, 3, 29, 0), berlin, 2),
              (std::vector{at(2026, 3, 29, 0, 15), at(2026, 3, 29, 1, 15)}));
}

TEST(NextRun, BerlinFallBackFixedTimeRunsOnlyTheFirstTime) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice.
    EXPECT_EQ(runs("30 2 * * *", at(2026, 10, 24, 12), berlin, 2),
              (std::vector{at(2026, 10, 25, 0, 30), at(2026, 10, 26, 1, 30)}));
    // Asked from inside the repeated hour, it still does not run again.
    EXPECT_EQ(runs("30 2 * * *", at(2026, 10, 25, 1, 10), berlin, 1), (std::vector{at(2026, 10, 26, 1, 30)}));
}

TEST(NextRun, BerlinFallBackWildcardRunsInBothHours) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    EXPECT_EQ(runs("*/30 * * * *", at(2026, 10, 24, 23, 59), berlin, 5),
              (std::vector{at(2026, 10, 25, 0), at(2026, 10, 25, 0, 30), at(2026, 10, 25, 1),
                           at(2026, 10, 25, 1, 30), at(2026, 10, 25, 2)}));
}

TEST(NextRun, NewYorkBothChanges) {
    REQUIRE_ZONE("America/New_York");
    TimeZone ny = zone("America/New_York");
    // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
    EXPECT_EQ(runs("30 2 * * *", at(2026, 3, 7, 12), ny, 2), (std::vector{at(2026, 3, 8, 7), at(2026, 3, 9, 6, 30)}));
    EXPECT_EQ(runs("*/30 * * * *", at(2026, 3, 8, 6, 10), ny, 2), (std::vector{at(2026, 3, 8, 6, 30), at(2026, 3, 8, 7)}));
    // 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:30 happens twice.
    EXPECT_EQ(runs("30 1 * * *", at(2026, 10, 31, 12), ny, 2),
              (std::vector{at(2026, 11, 1, 5, 30), at(2026, 11, 2, 6, 30)}));
    EXPECT_EQ(runs("30 * * * *", at(2026, 11, 1, 5), ny, 3),
              (std::vector{at(2026, 11, 1, 5, 30), at(2026, 11, 1, 6, 30), at(2026, 11, 1, 7, 30)}));
}

// A fake-clock year of `0 3 * * 1-5` in Berlin: one run per weekday, each at
// 03:00 local, through both DST changes.
TEST(NextRun, AYearOfWeekdayMornings) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    auto expression = cron("0 3 * * 1-5");
    int weekdays = 0;
    for (sys_days d = sys_days{2026y / 1 / 1}; d < sys_days{2027y / 1 / 1}; d += days{1}) {
        unsigned wd = weekday{d}.c_encoding();
        if (wd >= 1 && wd <= 5) ++weekdays;
    }
    int count = 0;
    UtcSeconds now = at(2025, 12, 31, 23);
    while (auto next = tend::time::next_cron_run(expression, now, berlin)) {
        if (*next >= at(2026, 12, 31, 23)) break;
        auto local = berlin.to_local(*next);
        auto local_day = floor<days>(local);
        EXPECT_EQ(local - local_day, hours{3}) << next->time_since_epoch().count();
        unsigned wd = weekday{sys_days{local_day.time_since_epoch()}}.c_encoding();
        EXPECT_TRUE(wd >= 1 && wd <= 5);
        ++count;
        now = *next;
    }
    EXPECT_EQ(count, weekdays);
    EXPECT_EQ(weekdays, 261);
}

// Corrupt zone files are refused or give some zone, never a crash or a hang.
TEST(NextRun, EveryByteFlipOfAZoneFileIsHandled) {
    REQUIRE_ZONE("Europe/Berlin");
    std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty());
    int accepted = 0;
    auto expression = cron("30 2 * * *");
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string broken = bytes;
        broken[i] = static_cast<char>(broken[i] ^ 0x5a);
        auto zone = TimeZone::from_tzif(broken, "broken");
        if (!zone) continue;
        ++accepted;
        (void)tend::time::next_cron_run(expression, at(2026, 3, 28), *zone);
        (void)zone->from_local(tend::time::LocalSeconds{at(2026, 10, 25, 2, 30).time_since_epoch()});
    }
    EXPECT_GT(accepted, 0) << "flips in the skipped 32-bit block or in abbreviations still load";
}

TEST(NextRun, PosixRuleZoneWorksWithoutFiles) {
    auto cet = TimeZone::from_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3");
    ASSERT_TRUE(cet);
    EXPECT_EQ(runs("30 2 * * *", at(2026, 3, 28, 12), *cet, 2), (std::vector{at(2026, 3, 29, 1), at(2026, 3, 30, 0, 30)}));
}

}  // namespace
