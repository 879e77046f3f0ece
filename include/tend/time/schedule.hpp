// A `schedule` line, parsed: Supercronic's cron language (its cronexpr), so
// a crontab line carries over with the meaning it had there.
//
//   5 fields  minute hour day-of-month month day-of-week
//   6 fields  the 5 + year
//   7 fields  second + the 5 + year
//   @yearly @annually @monthly @weekly @daily @hourly   (exactly so, lower case)
//   @every DURATION   (tend's own: `@every 90s`, `@every 1h30m`; monotonic clock)
//
// A field is a comma list (empty items are ignored) of `*` or `?` (every
// value), `N`, `A-B`, `*/S`, `N/S` (N to the end), `A-B/S`; numbers have one or
// two digits (`05`), a year four; months and days of week also take names,
// three letters or full (`jan`, `january`, `fri`, `friday`), any case; day of
// week 7 is Sunday. Day of month also takes `L` (last day), `LW` (last weekday)
// and `NW` (the weekday nearest day N, within the month); day of week `NL`
// (the last such weekday of the month) and `N#K` (the K-th, 1..5). When both
// day fields are restricted (no `*` or `?` in them), a day matches if either
// does; otherwise the restricted one decides.
//
// Where Supercronic's parser accepts something it then mishandles, tend
// differs, deliberately (docs/scheduled-services.md lists it; the conformance
// table marks each such row):
//   - `01`..`06` as a day of week mean Monday..Saturday (Supercronic: Sunday);
//   - a day-of-week range from 0 to 7 (`0-7`) is refused like every other
//     range ending at 7 (Supercronic: Sunday only);
//   - a stepped range that goes backwards (`20-10/5`) is refused (Supercronic
//     accepts it and crashes at the first tick, or never runs it);
//   - a day of month that no chosen month has (`0 0 30 2 *`) is refused
//     (Supercronic accepts it and never runs it).
//
// Pure: no clock, no zone. When a run is due is time/next_run.hpp's business.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace tend::time {

// The oldest and newest year a year field may name (Supercronic's range).
inline constexpr int kFirstScheduleYear = 1970;
inline constexpr int kLastScheduleYear = 2099;

struct CronExpression {
    std::bitset<60> seconds;        // bit N = second N; without a seconds field only bit 0
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<13> months;         // bits 1..12
    // bit (year - kFirstScheduleYear); all set without a year field.
    std::bitset<kLastScheduleYear - kFirstScheduleYear + 1> years;

    // Day of month: plain days (bits 1..31), `L`, `LW`, and `NW` (bit N).
    std::bitset<32> days_of_month;
    std::bitset<32> nearest_weekdays;
    // Day of week: plain days (bit 0 = Sunday), `NL` (bit N), `N#K` (bit (K-1)*7+N).
    std::bitset<7> days_of_week;
    std::bitset<7> last_days_of_week;
    std::bitset<35> nth_days_of_week;

    bool last_day_of_month = false;       // `L` or `LW` in the day-of-month field
    bool last_weekday_of_month = false;   // `LW`

    // A day field is restricted unless one of its items is `*` or `?`. When
    // both are, a day matches if either does (POSIX); when one is, it decides.
    bool day_of_month_restricted = false;
    bool day_of_week_restricted = false;
    // Neither the minute nor the hour field contains `*` or `?`: a job at a
    // fixed time of day, which runs once when DST skips or repeats that time
    // (cronie); the others follow the wall clock.
    bool fixed_time = false;
    // Five flags would leave three bytes of tail padding, and libc++ 16 (the
    // fuzz build's) keeps std::expected's has-value flag in a value's tail
    // padding, which copying the value overwrites (LLVM issue 68552): every
    // parsed expression then reads as an error. These bytes fill the padding.
    bool unused_padding_[3] = {};

    bool operator==(const CronExpression&) const = default;
};
static_assert(std::has_unique_object_representations_v<CronExpression>,
              "CronExpression must have no padding (see unused_padding_)");

// `@every DURATION`: runs every `period`, the first time one period after it
// is armed, on the monotonic clock (a wall-clock step or DST does not move it).
struct EverySchedule {
    std::chrono::milliseconds period{0};

    bool operator==(const EverySchedule&) const = default;
};

using Schedule = std::variant<CronExpression, EverySchedule>;

// A `schedule` line (the first meaningful line of the file, trimmed). Errors
// are reasons without the path, naming the field: "day-of-month: '32' is not
// a day of month (1-31, L, LW, NW)".
std::expected<Schedule, std::string> parse_schedule(std::string_view line);

// A cron expression alone, as a crontab line's schedule part is read: 5, 6 or
// 7 fields or one of the @ shorthands; `@every` is not part of it (Supercronic
// has no @every).
std::expected<CronExpression, std::string> parse_cron_expression(std::string_view text);

// The duration of `@every`: one or more <integer><unit> groups, units ms, s,
// m, h, d (`90s`, `1h30m`); a unit is required; at least 1 s. Deliberately
// not config::parse_duration (duration.hpp), which reads timeouts: that one
// takes a bare number as milliseconds (s6's convention, wrong for a period
// people write as `@every 90`), one unit group only, and caps at 24 h, while
// a schedule needs `@every 7d` and combined units as Go's
// time.ParseDuration accepts them (`1h30m`).
std::expected<std::chrono::milliseconds, std::string> parse_every_duration(std::string_view text);

}  // namespace tend::time
