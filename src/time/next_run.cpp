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

bool day_matches(const CronExpression& cron, std::int64_t days, unsigned day_of_month) {
    const auto weekday = static_cast<std::size_t>(((days % 7) + 7 + 4) % 7);  // 1970-01-01: Thursday
    const bool dom = cron.days_of_month.test(day_of_month);
    const bool dow = cron.days_of_week.test(weekday);
    if (cron.day_of_month_restricted && cron.day_of_week_restricted) return dom || dow;
    return dom && dow;
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
        if (!day_matches(cron, days, day)) {
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
