#include "tend/core/scheduler.hpp"

#include <algorithm>

#include "tend/time/next_run.hpp"
#include "tend/log/logger.hpp"

namespace tend::core {
namespace {

using std::chrono::ceil;
using std::chrono::floor;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

Scheduler::Scheduler(const Clock& monotonic, const WallClock& wall) : monotonic_(monotonic), wall_(wall) {}

void Scheduler::add(std::size_t service, std::string name, time::Schedule schedule, std::string text,
                    std::shared_ptr<const time::TimeZone> zone) {
    Job job;
    job.zone = std::move(zone);
    job.service = service;
    job.name = std::move(name);
    job.text = std::move(text);
    job.schedule = std::move(schedule);
    job.status.name = job.name;
    job.status.schedule = job.text;
    jobs_.push_back(std::move(job));
}

bool Scheduler::has_wall_clock_jobs() const {
    return std::any_of(jobs_.begin(), jobs_.end(),
                       [](const Job& job) { return std::holds_alternative<time::CronExpression>(job.schedule); });
}

Scheduler::Job* Scheduler::find_service(std::size_t service) {
    for (auto& job : jobs_)
        if (job.service == service) return &job;
    return nullptr;
}
const Scheduler::Job* Scheduler::find_service(std::size_t service) const {
    return const_cast<Scheduler*>(this)->find_service(service);
}
Scheduler::Job* Scheduler::find_name(std::string_view name) {
    for (auto& job : jobs_)
        if (job.name == name) return &job;
    return nullptr;
}
const Scheduler::Job* Scheduler::find_name(std::string_view name) const {
    return const_cast<Scheduler*>(this)->find_name(name);
}

void Scheduler::schedule_next(Job& job, TimePoint mono_now, WallTime wall_now, std::optional<UtcSeconds> after) {
    if (const auto* every = std::get_if<time::EverySchedule>(&job.schedule)) {
        job.tick.reset();
        // One period after the last deadline; missed periods are skipped.
        TimePoint next = job.deadline ? *job.deadline + every->period : mono_now + every->period;
        if (next <= mono_now) next += every->period * ((mono_now - next) / every->period + 1);
        job.deadline = next;
        return;
    }
    const auto& cron = std::get<time::CronExpression>(job.schedule);
    const UtcSeconds now_seconds = floor<seconds>(wall_now);
    const UtcSeconds from = after ? std::max(*after, now_seconds) : now_seconds;
    job.tick = time::next_cron_run(cron, from, zone_of(job));
    if (!job.tick) {
        job.deadline.reset();
        log::warn("service {}: schedule '{}' has no run in the future", job.name, job.text);
        return;
    }
    // Rounded up, so the timer never fires before the wall-clock second.
    job.deadline = mono_now + ceil<milliseconds>(*job.tick - wall_now);
}

void Scheduler::set_armed(Job& job, bool armed) {
    if (job.armed == armed || (armed && closed_)) return;
    job.armed = armed;
    if (armed) {
        job.deadline.reset();
        schedule_next(job, monotonic_.now(), wall_.now(), std::nullopt);
        if (auto next = next_run(job.service))
            log::info("service {}: scheduled '{}', next run {}", job.name, job.text, format_local(job.service, *next));
    } else {
        job.deadline.reset();
        job.tick.reset();
        log::debug("service {}: schedule disarmed", job.name);
    }
    if (on_armed_change) on_armed_change();
}

bool Scheduler::armed(std::size_t service) const {
    const Job* job = find_service(service);
    return job && job->armed;
}

void Scheduler::arm_service(std::size_t service) {
    if (Job* job = find_service(service)) set_armed(*job, true);
}

void Scheduler::hold_all() {
    for (auto& job : jobs_) set_armed(job, false);
}

void Scheduler::disarm_all() {
    closed_ = true;
    for (auto& job : jobs_) {
        job.armed = false;
        job.deadline.reset();
        job.tick.reset();
    }
}

std::optional<TimePoint> Scheduler::next_deadline() const {
    std::optional<TimePoint> earliest;
    for (const auto& job : jobs_)
        if (job.armed && job.deadline && (!earliest || *job.deadline < *earliest)) earliest = job.deadline;
    return earliest;
}

void Scheduler::on_timer() {
    const TimePoint mono_now = monotonic_.now();
    const WallTime wall_now = wall_.now();
    std::vector<std::size_t> due;
    for (auto& job : jobs_) {
        if (!job.armed || !job.deadline || *job.deadline > mono_now) continue;
        due.push_back(job.service);
        if (job.tick) job.last_tick = job.tick;
        // The next tick first, so messages about this one can name it.
        schedule_next(job, mono_now, wall_now, job.tick);
    }
    for (std::size_t service : due) {
        const Job* job = find_service(service);
        if (!job || !job->armed || !start_run) continue;  // disarmed by an earlier start in this batch
        (void)start_run(service, Trigger::Tick);
    }
}

void Scheduler::clock_changed() {
    const TimePoint mono_now = monotonic_.now();
    const WallTime wall_now = wall_.now();
    for (auto& job : jobs_) {
        const auto* cron = std::get_if<time::CronExpression>(&job.schedule);
        if (!job.armed || !cron) continue;
        // A fixed-time job that ran at 03:00:00, with the clock set back 20 s:
        // its next run is after 03:00:00 again, not 03:00:00 a second time.
        std::optional<UtcSeconds> after;
        const UtcSeconds now_seconds = floor<seconds>(wall_now);
        if (cron->fixed_time && job.last_tick && now_seconds < *job.last_tick &&
            *job.last_tick - now_seconds < kClockCorrection)
            after = job.last_tick;
        schedule_next(job, mono_now, wall_now, after);
    }
}

void Scheduler::run_started(std::size_t service) {
    if (Job* job = find_service(service)) {
        job->status.running = true;
        job->status.last_start = wall_.now();
        ++job->status.runs;
    }
}

void Scheduler::run_skipped(std::size_t service) {
    if (Job* job = find_service(service)) ++job->status.skipped;
}

void Scheduler::run_ended(std::size_t service, ExitInfo exit, Duration duration, bool others_running) {
    if (Job* job = find_service(service)) {
        job->status.running = others_running;
        job->status.last_exit = exit;
        job->status.last_duration = duration;
    }
}

std::string Scheduler::format_local(std::size_t service, WallTime time) const {
    const Job* job = find_service(service);
    const UtcSeconds instant = floor<seconds>(time);
    const time::ZonePeriod period = (job ? zone_of(*job) : zone_).period_at(instant);
    const std::int64_t local = instant.time_since_epoch().count() + period.offset;
    const std::int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    const std::int64_t second_of_day = local - days * 86400;
    const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60, period.abbreviation);
}

std::optional<WallTime> Scheduler::next_run(std::size_t service) const {
    const Job* job = find_service(service);
    if (!job || !job->armed || !job->deadline) return std::nullopt;
    if (job->tick) return WallTime{*job->tick};
    return wall_.now() + std::chrono::floor<std::chrono::milliseconds>(*job->deadline - monotonic_.now());
}

ScheduleStatus Scheduler::snapshot(const Job& job) const {
    ScheduleStatus status = job.status;
    status.armed = job.armed;
    status.next_run = next_run(job.service);
    return status;
}

std::optional<ScheduleStatus> Scheduler::status(std::string_view name) const {
    const Job* job = find_name(name);
    if (!job) return std::nullopt;
    return snapshot(*job);
}

std::vector<ScheduleStatus> Scheduler::statuses() const {
    std::vector<ScheduleStatus> all;
    for (const auto& job : jobs_) all.push_back(snapshot(job));
    return all;
}

std::expected<void, std::string> Scheduler::run_now(std::string_view name) {
    Job* job = find_name(name);
    if (!job) return std::unexpected("no scheduled service named '" + std::string(name) + "'");
    if (!start_run || closed_) return std::unexpected(std::string("tend is shutting down"));
    set_armed(*job, true);
    return start_run(job->service, Trigger::Manual);
}

bool Scheduler::disarm(std::string_view name) {
    Job* job = find_name(name);
    if (!job) return false;
    set_armed(*job, false);
    if (stop_run) stop_run(job->service);
    return true;
}

bool Scheduler::arm(std::string_view name) {
    Job* job = find_name(name);
    if (!job || closed_) return false;
    set_armed(*job, true);
    return true;
}

}  // namespace tend::core
