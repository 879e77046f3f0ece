// Next-run computation (see next_run.hpp).
//
// The search walks the zone's periods of constant UTC offset forward from
// `after`. Inside one period local time is UTC plus a constant, so the naive
// match on local time gives the instant directly; a period's start is where
// DST gaps and folds are decided.
#include "tend/time/next_run.hpp"

namespace tend::time {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr int kHorizonYears = 30;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
    using namespace std::chrono;
    return sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}}
        .time_since_epoch()
        .count();
}

constexpr unsigned kDaysInMonth[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

unsigned days_in_month(int year, unsigned month) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDaysInMonth[month];
}

// 0 = Sunday.
unsigned weekday_of(std::int64_t days) { return static_cast<unsigned>(((days % 7) + 7 + 4) % 7); }  // 1970-01-01: Thursday

// The weekday (Monday..Friday) nearest to `day`, within the month: a Saturday
// moves to Friday (to Monday the 3rd when it is the 1st), a Sunday to Monday
// (to Friday when it is the last day). `weekday` is that of `day`.
unsigned nearest_weekday(unsigned day, unsigned weekday, unsigned last_day) {
    if (weekday == 6) return day > 1 ? day - 1 : day + 2;
    if (weekday == 0) return day < last_day ? day + 1 : day - 2;
    return day;
}

// Whether the day `days` (since the epoch; the `day_of_month` of a month of
// `last_day` days) is a day the expression runs on.
bool day_matches(const CronExpression& cron, std::int64_t days, unsigned day_of_month, unsigned last_day) {
    if (!cron.day_of_month_restricted && !cron.day_of_week_restricted) return true;
    const unsigned weekday = weekday_of(days);
    if (cron.day_of_month_restricted) {
        if (cron.days_of_month.test(day_of_month)) return true;
        if (cron.last_day_of_month && day_of_month == last_day) return true;
        const std::int64_t first_days = days - (day_of_month - 1);
        if (cron.last_weekday_of_month &&
            nearest_weekday(last_day, weekday_of(first_days + last_day - 1), last_day) == day_of_month)
            return true;
        if (cron.nearest_weekdays.any()) {
            // Only days N-2..N+2 can move onto this one.
            for (unsigned n = day_of_month > 2 ? day_of_month - 2 : 1; n <= std::min(day_of_month + 2, last_day); ++n)
                if (cron.nearest_weekdays.test(n) &&
                    nearest_weekday(n, weekday_of(first_days + n - 1), last_day) == day_of_month)
                    return true;
        }
    }
    if (cron.day_of_week_restricted) {
        if (cron.days_of_week.test(weekday)) return true;
        if (cron.last_days_of_week.test(weekday) && day_of_month + 7 > last_day) return true;
        if (cron.nth_days_of_week.test((day_of_month - 1) / 7 * 7 + weekday)) return true;
    }
    return false;
}

// The lowest set bit at or above `from`, or -1.
template <std::size_t N>
int next_bit(const std::bitset<N>& bits, int from) {
    for (int i = from; i < static_cast<int>(N); ++i)
        if (bits.test(static_cast<std::size_t>(i))) return i;
    return -1;
}

}  // namespace

std::optional<LocalSeconds> next_local_match(const CronExpression& cron, LocalSeconds from,
                                             LocalSeconds limit) {
    using namespace std::chrono;
    const bool any_year = cron.years.all();
    std::int64_t t = from.time_since_epoch().count();
    const std::int64_t end = limit.time_since_epoch().count();
    while (t < end) {
        const std::int64_t days = floor_div(t, kDay);
        const std::int64_t second_of_day = t - days * kDay;
        const year_month_day date{sys_days{std::chrono::days{days}}};
        const int year = static_cast<int>(date.year());
        const unsigned month = static_cast<unsigned>(date.month());
        const unsigned day = static_cast<unsigned>(date.day());
        if (!any_year) {
            if (year > kLastScheduleYear) return std::nullopt;
            if (year < kFirstScheduleYear ||
                !cron.years.test(static_cast<std::size_t>(year - kFirstScheduleYear))) {
                t = days_from_civil(year + 1, 1, 1) * kDay;
                continue;
            }
        }
        if (!cron.months.test(month)) {
            t = (month == 12 ? days_from_civil(year + 1, 1, 1) : days_from_civil(year, month + 1, 1)) * kDay;
            continue;
        }
        if (!day_matches(cron, days, day, days_in_month(year, month))) {
            t = (days + 1) * kDay;
            continue;
        }
        const int hour = static_cast<int>(second_of_day / 3600);
        const int minute = static_cast<int>(second_of_day / 60 % 60);
        const int second = static_cast<int>(second_of_day % 60);
        const int next_hour = next_bit(cron.hours, hour);
        if (next_hour < 0) {
            t = (days + 1) * kDay;
            continue;
        }
        if (next_hour != hour) {
            t = days * kDay + next_hour * 3600;
            continue;
        }
        const int next_minute = next_bit(cron.minutes, minute);
        if (next_minute < 0) {
            t = days * kDay + (hour + 1) * 3600;
            continue;
        }
        if (next_minute != minute) {
            t = days * kDay + hour * 3600 + next_minute * 60;
            continue;
        }
        const int next_second = next_bit(cron.seconds, second);
        if (next_second < 0) {
            t = days * kDay + hour * 3600 + (minute + 1) * 60;
            continue;
        }
        return LocalSeconds{seconds{days * kDay + hour * 3600 + minute * 60 + next_second}};
    }
    return std::nullopt;
}

std::optional<UtcSeconds> next_cron_run(const CronExpression& cron, UtcSeconds after,
                                        const TimeZone& zone) {
    using std::chrono::seconds;
    const std::int64_t after_s = after.time_since_epoch().count();
    // 30 years ahead, or to the end of the year field's range when it has one.
    std::int64_t horizon_s = after_s + kHorizonYears * 366 * kDay;
    if (!cron.years.all()) horizon_s = std::max(horizon_s, days_from_civil(kLastScheduleYear + 1, 1, 1) * kDay);
    const LocalSeconds horizon{seconds{horizon_s}};
    // Nothing ever matches again (a past year): answer without walking periods.
    if (!next_local_match(cron, LocalSeconds{seconds{after_s - 2 * kDay}}, horizon)) return std::nullopt;

    std::int64_t start = after_s + 1;
    for (int guard = 0; guard < 4 * 366 * (kLastScheduleYear - kFirstScheduleYear + kHorizonYears);
         ++guard) {
        const ZonePeriod period = zone.period_at(UtcSeconds{seconds{start}});
        const std::int64_t begin = period.begin.time_since_epoch().count();
        const std::int64_t end = period.end.time_since_epoch().count();
        const std::int64_t offset = period.offset;
        const std::int64_t previous = period.previous_offset;

        // A jump forward at `begin` skipped local [begin+previous, begin+offset):
        // a fixed-time job due in there runs once, right at the jump.
        if (cron.fixed_time && start == begin && offset > previous &&
            next_local_match(cron, LocalSeconds{seconds{begin + previous}}, LocalSeconds{seconds{begin + offset}}))
            return period.begin;

        std::int64_t local_from = std::max(start, begin) + offset;
        // A jump back at `begin` repeats local [begin+offset, begin+previous):
        // a fixed-time job ran there already, before the jump.
        if (cron.fixed_time && offset < previous) local_from = std::max(local_from, begin + previous);
        const std::int64_t local_end = std::min<std::int64_t>(end + offset, horizon.time_since_epoch().count());
        if (auto match = next_local_match(cron, LocalSeconds{seconds{local_from}}, LocalSeconds{seconds{local_end}}))
            return UtcSeconds{seconds{match->time_since_epoch().count() - offset}};
        if (end + offset >= horizon.time_since_epoch().count()) return std::nullopt;
        start = end;
    }
    return std::nullopt;
}

}  // namespace tend::time
