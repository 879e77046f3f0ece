// `schedule` and `schedule-overlap` files: parse_schedule, parse_every_duration
// and parse_schedule_overlap on the same bytes. An accepted cron expression's
// next run after a few fixed instants, in UTC and in Europe/Berlin (its POSIX
// rule, so no zone file is needed), is strictly later than the instant and
// within next_run's horizon, or there is none, and (but for a fixed-time job
// moved by DST) it falls on a local time the expression matches; the search
// is bounded (a hang is a libFuzzer timeout). An `@every` period is at least 1 s.
#include <chrono>

#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"
#include "tend/time/schedule.hpp"
#include "tend/time/next_run.hpp"
#include "tend/time/time_zone.hpp"

namespace {

const tend::time::TimeZone& berlin() {
    static const tend::time::TimeZone zone = *tend::time::TimeZone::from_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3");
    return zone;
}

void check_next_runs(const tend::time::CronExpression& cron) {
    using namespace std::chrono;
    // 2026-11-29 12:00:00 UTC, 2026-03-29 00:59:59 UTC (a second before
    // Berlin's jump forward), 2026-10-25 00:30:00 UTC (inside Berlin's fold),
    // 2099-12-31 23:59:59 UTC (the last year a year field may name).
    constexpr std::int64_t kInstants[] = {1795953600, 1774745999, 1792888200, 4102444799};
    // next_run.hpp: 30 years ahead (30 * 366 days), or to the end of 2099 with
    // a year field; plus a day for a zone's offset.
    constexpr std::int64_t kHorizon = 30LL * 366 * 86400 + 86400;
    constexpr std::int64_t kEndOf2099 = 4102444800 + 86400;
    const tend::time::TimeZone utc;
    for (const auto* zone : {&utc, &berlin()}) {
        for (const std::int64_t instant : kInstants) {
            const tend::time::UtcSeconds after{seconds{instant}};
            const auto next = tend::time::next_cron_run(cron, after, *zone);
            if (!next) continue;
            const std::int64_t at = next->time_since_epoch().count();
            tend::fuzz::require(at > instant, "the next run is strictly later");
            tend::fuzz::require(at <= std::max(instant + kHorizon, cron.years.all() ? 0 : kEndOf2099),
                                "the next run is within the horizon");
            // Outside the DST rule for fixed-time jobs, a run is at a local
            // time the expression matches.
            if (!cron.fixed_time) {
                const auto local = zone->to_local(*next);
                tend::fuzz::require(tend::time::next_local_match(cron, local, local + seconds{1}) == local,
                                    "the next run matches in local time");
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::time;
    using tend::config::parse_schedule_overlap;
    const auto text = tend::fuzz::as_text(data, size);
    if (const auto schedule = parse_schedule(text)) {
        if (const auto* cron = std::get_if<CronExpression>(&*schedule)) {
            tend::fuzz::require(cron->seconds.any() && cron->minutes.any() && cron->hours.any() &&
                                    cron->months.any() && cron->years.any(),
                                "every field matches something");
            tend::fuzz::require(!cron->months.test(0) && !cron->days_of_month.test(0), "no month or day 0");
            check_next_runs(*cron);
        } else {
            const auto& every = std::get<EverySchedule>(*schedule);
            tend::fuzz::require(every.period >= std::chrono::seconds(1), "@every is at least 1 s");
        }
    } else {
        tend::fuzz::require(!schedule.error().empty(), "a refusal has a reason");
    }
    if (const auto period = parse_every_duration(text)) {
        tend::fuzz::require(*period >= std::chrono::seconds(1), "a period is at least 1 s");
    }
    (void)parse_schedule_overlap(text);
    return 0;
}
