// When a cron expression runs next: a pure function of the expression, the
// current instant and the zone.
//
// Times are matched on the local wall clock of the zone. Around DST changes
// tend does what cronie does:
//   - a job at a fixed time of day (no `*` in its minute and hour fields)
//     whose time is skipped by a jump forward runs once, at the first moment
//     after the gap; when a jump back repeats its time, it runs only the first
//     time;
//   - any other job follows the wall clock: times in a gap do not exist, and
//     repeated times run again (`*/15 * * * *` keeps running every 15 minutes
//     of local time through both changes).
#pragma once

#include <optional>

#include "tend/time/schedule.hpp"
#include "tend/time/time_zone.hpp"

namespace tend::time {

// The first run strictly after `after`, or nullopt when there is none in the
// next 30 years (with a year field: none up to the end of 2099).
std::optional<UtcSeconds> next_cron_run(const CronExpression& cron, UtcSeconds after,
                                        const TimeZone& zone);

// The first local wall-clock time at or after `from` and before `limit` that
// matches every field (the naive cron match, no zone involved).
std::optional<LocalSeconds> next_local_match(const CronExpression& cron, LocalSeconds from,
                                             LocalSeconds limit);

}  // namespace tend::time
