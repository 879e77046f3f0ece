// A scheduled service's `schedule` and `schedule-overlap` files, parsed.
//
// `schedule` is one line, either a cron expression or a shorthand:
//   5 fields  minute hour day-of-month month day-of-week
//   6 fields  second + the 5
//   7 fields  second + the 5 + year (Supercronic's form)
//   @yearly @annually @monthly @weekly @daily @midnight @hourly
//   @every DURATION   (`@every 90s`, `@every 1h30m`; on the monotonic clock)
// Each field takes `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n` and
// `a/n`, comma lists; month and day-of-week also take names (jan..dec,
// sun..sat, any case); day-of-week 7 is Sunday as well as 0.
//
// Pure: no clock, no zone. When a run is due is time/next_run.hpp's business.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <variant>

namespace tend::time {

// The oldest and newest year a 7-field expression may name (Supercronic's range).
inline constexpr int kFirstScheduleYear = 1970;
inline constexpr int kLastScheduleYear = 2099;

struct CronExpression {
    std::bitset<60> seconds;        // bit N = second N; a 5-field line has only bit 0
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days_of_month;  // bits 1..31
    std::bitset<13> months;         // bits 1..12
    std::bitset<7> days_of_week;    // bit 0 = Sunday
    // 7-field form: bit (year - kFirstScheduleYear); all set without a year field.
    std::bitset<kLastScheduleYear - kFirstScheduleYear + 1> years;

    // The cron OR rule: when both day fields are restricted (not `*`), a day
    // matches if either does; otherwise both must (the `*` one always does).
    bool day_of_month_restricted = false;
    bool day_of_week_restricted = false;
    // Neither the minute nor the hour field contains `*`: a job at a fixed
    // time of day, which runs once when DST skips or repeats that time
    // (cronie); the others follow the wall clock.
    bool fixed_time = false;

    bool operator==(const CronExpression&) const = default;
};

// `@every DURATION`: runs every `period`, the first time one period after it
// is armed, on the monotonic clock (a wall-clock step or DST does not move it).
struct EverySchedule {
    std::chrono::milliseconds period{0};

    bool operator==(const EverySchedule&) const = default;
};

using Schedule = std::variant<CronExpression, EverySchedule>;

// A `schedule` line (the first meaningful line of the file, trimmed). Errors
// are reasons without the path, naming the field: "day-of-month: 32 is out of
// range 1-31".
std::expected<Schedule, std::string> parse_schedule(std::string_view line);

// The duration of `@every`: one or more <integer><unit> groups, units ms, s,
// m, h, d (`90s`, `1h30m`); a unit is required; at least 1 s. Deliberately
// not config::parse_duration (duration.hpp), which reads timeouts: that one
// takes a bare number as milliseconds (s6's convention, wrong for a period
// people write as `@every 90`), one unit group only, and caps at 24 h, while
// a schedule needs `@every 7d` and combined units as Supercronic and Go's
// time.ParseDuration accept them (`1h30m`), so crontab lines carry over.
std::expected<std::chrono::milliseconds, std::string> parse_every_duration(std::string_view text);

}  // namespace tend::time
