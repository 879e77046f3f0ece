// Scheduled services in the supervisor, with a fake monotonic clock, a fake
// wall clock and a fake ProcessOps: ticks start `run`, overlaps are skipped
// or replaced, dependencies gate ticks, readiness means armed, `down` and
// disarm keep it from running, a clock step moves the deadline.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tend/core/control_bridge.hpp"
#include "fake_clock.hpp"
#include "supervisor_fixture.hpp"
#include "tend/core/supervisor.hpp"

using namespace tend;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

class ScheduledServiceTest : public test::SupervisorFixture {
protected:
    void SetUp() override {
        SupervisorFixture::SetUp();
        env.set("TZ", "UTC0");
        // 10:00:00.500 UTC: the next whole second is 500 ms away.
        wall.set(core::WallTime{sys_days{2026y / 1 / 5} + 10h + 500ms});
    }
    core::Supervisor& make() {
        auto with_fake_wall_clock = context();
        with_fake_wall_clock.wall_clock = &wall;
        auto& sup = load(with_fake_wall_clock);
        sup.start_all();
        return sup;
    }
    // Both clocks move together, then due deadlines are delivered.
    void advance(core::Duration by) {
        clock.advance(by);
        wall.advance(by);
        supervisor->on_timer();
    }
    void advance_to_deadline() {
        auto deadline = supervisor->next_deadline();
        ASSERT_TRUE(deadline);
        advance(std::chrono::ceil<core::Duration>(*deadline - clock.now()));
    }
    void exit_service(const std::string& name, int wait_status = 0) {
        SupervisorFixture::exit_service(name, wait_status);
    }
};

TEST_F(ScheduledServiceTest, ATickStartsRunAndNothingRunsBetweenTicks) {
    service("job", {{"schedule", "*/2 * * * * * *\n"}});
    auto& sup = make();
    EXPECT_TRUE(ops.spawned.empty()) << "a scheduled service does not start with the others";
    EXPECT_TRUE(sup.all_ready()) << "armed is ready";
    // 10:00:00.500 -> the next even second is 10:00:02, 1500 ms away.
    ASSERT_TRUE(sup.next_deadline());
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 1500ms);
    advance(1499ms);
    EXPECT_TRUE(ops.spawned.empty());
    advance(1ms);
    EXPECT_EQ(ops.count("job"), 1u);
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 2000ms);
    exit_service("job");
    EXPECT_TRUE(record("job").machine->idle()) << "a run that ended is not restarted";
    EXPECT_TRUE(sup.all_ready()) << "healthy between runs";
    advance_to_deadline();
    EXPECT_EQ(ops.count("job"), 2u);
}

TEST_F(ScheduledServiceTest, ARunGetsWhatAServiceGets) {
    service("job", {{"schedule", "@hourly\n"}, {"umask", "027\n"}, {"env/GREETING", "hi\n"}});
    make();
    advance_to_deadline();
    ASSERT_EQ(ops.count("job"), 1u);
    const auto& plan = ops.plans.at("job");
    EXPECT_TRUE(plan.no_new_privs);
    EXPECT_EQ(plan.umask, mode_t{027});
    EXPECT_NE(std::find(plan.envp.begin(), plan.envp.end(), "GREETING=hi"), plan.envp.end());
    EXPECT_NE(std::find(plan.envp.begin(), plan.envp.end(), "TEND_SERVICE=job"), plan.envp.end());
    EXPECT_EQ(plan.group, process::GroupMode::NewSession);
}

TEST_F(ScheduledServiceTest, OverlappingTickIsSkippedByDefault) {
    service("slow", {{"schedule", "* * * * * * *\n"}});
    auto& sup = make();
    advance_to_deadline();
    EXPECT_EQ(ops.count("slow"), 1u);
    advance_to_deadline();
    advance_to_deadline();
    EXPECT_EQ(ops.count("slow"), 1u) << "never two runs at once";
    EXPECT_TRUE(ops.signals.empty()) << "skip leaves the running one alone";
    auto status = sup.scheduler().status("slow");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->skipped, 2u);
    EXPECT_TRUE(status->running);
    exit_service("slow", 3 << 8);
    status = sup.scheduler().status("slow");
    EXPECT_FALSE(status->running);
    ASSERT_TRUE(status->last_exit);
    EXPECT_EQ(status->last_exit->code, 3);
    advance_to_deadline();
    EXPECT_EQ(ops.count("slow"), 2u);
}

TEST_F(ScheduledServiceTest, OverlapKillStopsTheOldRunThenStartsTheNewOne) {
    service("slow", {{"schedule", "* * * * * * *\n"}, {"schedule-overlap", "kill\n"}, {"down-signal", "SIGINT\n"}});
    make();
    advance_to_deadline();
    const pid_t first = ops.pids.at("slow");
    advance_to_deadline();
    EXPECT_EQ(ops.count("slow"), 1u) << "the new run waits for the old one to be gone";
    ASSERT_FALSE(ops.signals.empty());
    EXPECT_EQ(ops.signals.front(), (std::pair<pid_t, int>{first, SIGINT}));
    exit_service("slow", SIGINT);
    EXPECT_EQ(ops.count("slow"), 2u) << "replaced as soon as the old run ended";
    EXPECT_NE(ops.pids.at("slow"), first);
}

TEST_F(ScheduledServiceTest, ATickWhoseDependencyIsNotReadyIsSkipped) {
    service("db", {{"notification-fd", "3\n"}});
    service("backup", {{"schedule", "* * * * * * *\n"}, {"depends", "db\n"}});
    auto& sup = make();
    advance_to_deadline();
    EXPECT_EQ(ops.count("backup"), 0u);
    EXPECT_EQ(sup.scheduler().status("backup")->skipped, 1u);
    ASSERT_EQ(::write(ops.notify_fds.at("db"), "\n", 1), 1);
    ASSERT_TRUE(loop->run_once());
    advance_to_deadline();
    EXPECT_EQ(ops.count("backup"), 1u);
}

TEST_F(ScheduledServiceTest, ADependantOfAScheduledServiceStartsOnceItIsArmed) {
    service("cron", {{"schedule", "@daily\n"}});
    service("app", {{"depends", "cron\n"}});
    make();
    EXPECT_EQ(ops.count("app"), 1u);
}

TEST_F(ScheduledServiceTest, DownKeepsItDisarmedUntilStartedByHand) {
    service("job", {{"schedule", "* * * * * * *\n"}, {"down", ""}});
    auto& sup = make();
    EXPECT_FALSE(sup.next_deadline());
    EXPECT_FALSE(sup.scheduler().status("job")->armed);
    auto started = sup.scheduler().run_now("job");
    ASSERT_TRUE(started) << started.error();
    EXPECT_EQ(ops.count("job"), 1u) << "tend ctl start runs it now";
    EXPECT_TRUE(sup.scheduler().status("job")->armed) << "and arms it";
    auto again = sup.scheduler().run_now("job");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().find("still running"), std::string::npos) << again.error();
    EXPECT_FALSE(sup.scheduler().run_now("nope"));
}

TEST_F(ScheduledServiceTest, DisarmStopsTheTicks) {
    service("job", {{"schedule", "* * * * * * *\n"}});
    auto& sup = make();
    EXPECT_TRUE(sup.scheduler().disarm("job"));
    EXPECT_FALSE(sup.next_deadline());
    EXPECT_FALSE(sup.all_ready()) << "a disarmed job is not up";
    advance(10s);
    EXPECT_EQ(ops.count("job"), 0u);
}

TEST_F(ScheduledServiceTest, DisarmStopsARunInProgress) {
    service("job", {{"schedule", "* * * * * * *\n"}, {"down-signal", "SIGHUP\n"}});
    auto& sup = make();
    advance_to_deadline();
    ASSERT_EQ(ops.count("job"), 1u);
    EXPECT_TRUE(sup.scheduler().disarm("job"));
    ASSERT_FALSE(ops.signals.empty());
    EXPECT_EQ(ops.signals.front(), (std::pair<pid_t, int>{ops.pids.at("job"), SIGHUP}));
    exit_service("job", SIGHUP);
    advance(5s);
    EXPECT_EQ(ops.count("job"), 1u);
    EXPECT_FALSE(sup.scheduler().status("job")->armed);
}

TEST_F(ScheduledServiceTest, ShutdownDisarmsAndStopsARunningJob) {
    service("job", {{"schedule", "* * * * * * *\n"}});
    auto& sup = make();
    advance_to_deadline();
    sup.stop_primaries();
    sup.stop_all();
    EXPECT_FALSE(sup.scheduler().next_deadline()) << "no tick during shutdown";
    EXPECT_FALSE(ops.signals.empty());
    exit_service("job", SIGTERM);
    EXPECT_TRUE(sup.all_down());
    EXPECT_FALSE(sup.scheduler().run_now("job"));
}

TEST_F(ScheduledServiceTest, AWallClockStepRecomputesTheDeadline) {
    service("job", {{"schedule", "0 11 * * *\n"}});
    auto& sup = make();
    // 10:00:00.500 -> 11:00:00.
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 3599500ms);
    wall.advance(30min);  // the clock is set forward; monotonic time did not move
    sup.scheduler().clock_changed();
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 1799500ms);
    auto status = sup.scheduler().status("job");
    ASSERT_TRUE(status->next_run);
    EXPECT_EQ(*status->next_run, core::WallTime{sys_days{2026y / 1 / 5} + 11h});
}

TEST_F(ScheduledServiceTest, AClockStepBackAfterAFixedTimeRunDoesNotRunItAgainForTheSameInstant) {
    service("job", {{"schedule", "0 11 * * *\n"}});
    auto& sup = make();
    advance_to_deadline();  // 11:00:00: the run
    ASSERT_EQ(ops.count("job"), 1u);
    exit_service("job");
    advance(2s);
    wall.advance(-20s);  // NTP sets the clock back 20 s: 10:59:42
    sup.scheduler().clock_changed();
    auto status = sup.scheduler().status("job");
    ASSERT_TRUE(status->next_run);
    EXPECT_EQ(*status->next_run, core::WallTime{sys_days{2026y / 1 / 6} + 11h}) << "tomorrow, not 11:00:00 again";
    advance(30s);  // past 11:00:00 on the stepped clock
    EXPECT_EQ(ops.count("job"), 1u);
}

TEST_F(ScheduledServiceTest, AClockCorrectionOfHoursFollowsTheNewTime) {
    service("job", {{"schedule", "0 11 * * *\n"}});
    auto& sup = make();
    advance_to_deadline();
    exit_service("job");
    wall.advance(-5h);  // a wrong clock corrected: 06:00, the job's 11:00 is still ahead today
    sup.scheduler().clock_changed();
    auto status = sup.scheduler().status("job");
    ASSERT_TRUE(status->next_run);
    EXPECT_EQ(*status->next_run, core::WallTime{sys_days{2026y / 1 / 5} + 11h});
}

TEST_F(ScheduledServiceTest, AWildcardJobFollowsTheWallClockBack) {
    service("job", {{"schedule", "* * * * *\n"}});
    auto& sup = make();
    advance_to_deadline();  // 10:01:00
    exit_service("job");
    wall.advance(-20s);
    sup.scheduler().clock_changed();
    auto status = sup.scheduler().status("job");
    ASSERT_TRUE(status->next_run);
    EXPECT_EQ(*status->next_run, core::WallTime{sys_days{2026y / 1 / 5} + 10h + 1min});
}

TEST_F(ScheduledServiceTest, MissedTicksAreNotCaughtUp) {
    service("job", {{"schedule", "* * * * * * *\n"}});
    auto& sup = make();
    advance(10500ms);  // ten ticks late in one go
    EXPECT_EQ(ops.count("job"), 1u);
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 1000ms);
}

// A crontab's CRON_TZ is its jobs' zone; schedule files keep the container's
// (TZ=UTC0 here). 10:00:00.5 UTC is 19:00:00.5 in Tokyo.
TEST_F(ScheduledServiceTest, CronTzIsTheZoneOfTheCrontabsJobsOnly) {
    if (!fs::exists("/usr/share/zoneinfo/Asia/Tokyo")) GTEST_FAIL() << "tzdata is not installed";
    service("utc-job", {{"schedule", "0 20 * * *\n"}});
    options.crontab = root / ".crontab";  // hidden: not a service dir
    std::ofstream(options.crontab) << "CRON_TZ=Asia/Tokyo\n0 20 * * * echo tokyo\n";
    make();
    const auto at = [&](const std::string& name) {
        const auto& services = supervisor->services();
        for (std::size_t i = 0; i < services.size(); ++i)
            if (services[i].name == name) return supervisor->scheduler().next_run(i);
        return std::optional<core::WallTime>();
    };
    ASSERT_TRUE(at("crontab-0"));
    ASSERT_TRUE(at("utc-job"));
    EXPECT_EQ(*at("crontab-0"), core::WallTime{sys_days{2026y / 1 / 5} + 11h}) << "20:00 in Tokyo";
    EXPECT_EQ(*at("utc-job"), core::WallTime{sys_days{2026y / 1 / 5} + 20h}) << "20:00 in UTC";
    EXPECT_EQ(supervisor->scheduler().format_local(supervisor->services().size() - 1, *at("crontab-0")),
              "2026-01-05 20:00:00 JST");
}

TEST_F(ScheduledServiceTest, EveryRunsOnTheMonotonicClock) {
    service("job", {{"schedule", "@every 90s\n"}});
    auto& sup = make();
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 90s);
    wall.advance(1h);
    sup.scheduler().clock_changed();
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 90s) << "a wall-clock step does not move @every";
    advance(90s);
    EXPECT_EQ(ops.count("job"), 1u);
    EXPECT_EQ(*sup.next_deadline() - clock.now(), 90s);
}

TEST_F(ScheduledServiceTest, ConflictingFilesRefuseTheService) {
    service("a", {{"schedule", "@daily\n"}, {"restart", "never\n"}});
    service("b", {{"schedule", "@daily\n"}, {"notification-fd", "3\n"}});
    service("c", {{"schedule", "@daily\n"}, {"ready-when", "file /tmp/x\n"}});
    service("d", {{"schedule", "61 * * * *\n"}});
    service("e", {{"schedule", "@daily\n"}, {"schedule-overlap", "queue\n"}});
    auto& sup = make();
    EXPECT_NE(record("a").refusal.find("/a/schedule: cannot be combined with " + (root / "a" / "restart").string()),
              std::string::npos)
        << record("a").refusal;
    EXPECT_NE(record("b").refusal.find("notification-fd"), std::string::npos) << record("b").refusal;
    EXPECT_NE(record("c").refusal.find("ready-when"), std::string::npos) << record("c").refusal;
    EXPECT_NE(record("d").refusal.find("/d/schedule: minute: '61' is not a minute"), std::string::npos)
        << record("d").refusal;
    EXPECT_NE(record("e").refusal.find("/e/schedule-overlap: unknown value 'queue'"), std::string::npos)
        << record("e").refusal;
    EXPECT_TRUE(ops.spawned.empty());
    EXPECT_TRUE(sup.scheduler().empty());
}

TEST_F(ScheduledServiceTest, PrimaryWithScheduleIsRefused) {
    service("p", {{"schedule", "@daily\n"}, {"primary", ""}});
    auto parsed = config::parse_service_dir(root / "p");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message().find("cannot be combined with " + (root / "p" / "primary").string()),
              std::string::npos)
        << parsed.error().message();
}

}  // namespace

// ---- tend ctl on scheduled services (Supervisor::admin_*, ControlBridge) ----

namespace {

const control::ServiceStatus& status_of(const std::vector<control::ServiceStatus>& list, const std::string& name) {
    for (const auto& s : list)
        if (s.name == name) return s;
    throw std::runtime_error("no status for " + name);
}

}  // namespace

TEST_F(ScheduledServiceTest, CtlStartRunsAJobNowAndStatusShowsTheRun) {
    service("job", {{"schedule", "* * * * *\n"}});
    auto& sup = make();
    core::ControlBridge bridge(sup, clock);
    {
        const auto s = status_of(bridge.services(), "job");
        EXPECT_EQ(s.state, "scheduled");
        EXPECT_TRUE(s.ready) << "armed is ready";
        ASSERT_TRUE(s.schedule);
        EXPECT_EQ(s.schedule->schedule, "* * * * *");
        EXPECT_TRUE(s.schedule->armed);
        EXPECT_EQ(s.schedule->next_run, "2026-01-05 10:01:00 UTC");
        EXPECT_FALSE(s.schedule->last_start);
        EXPECT_FALSE(s.last_exit);
    }
    auto started = ctl().start("job");
    EXPECT_TRUE(started.ok) << started.message;
    EXPECT_NE(started.message.find("job: run started (pid " + std::to_string(ops.pids.at("job")) + ")"),
              std::string::npos)
        << started.message;
    EXPECT_EQ(ops.count("job"), 1u) << "at once, not at the next tick";
    {
        const auto s = status_of(bridge.services(), "job");
        EXPECT_EQ(s.state, "running");
        EXPECT_EQ(s.pid, ops.pids.at("job"));
        EXPECT_EQ(s.schedule->runs, 1u);
        EXPECT_EQ(s.schedule->last_start, "2026-01-05 10:00:00 UTC");
    }
    advance(1500ms);
    exit_service("job", 3 << 8);
    {
        const auto s = status_of(bridge.services(), "job");
        EXPECT_EQ(s.state, "scheduled");
        EXPECT_TRUE(s.ready) << "a failed run does not make it unready";
        EXPECT_EQ(s.last_exit, "exited with code 3");
        EXPECT_TRUE(s.last_exit_failed);
        EXPECT_EQ(s.schedule->last_duration, milliseconds(1500));
        EXPECT_EQ(s.restarts, 0u);
        EXPECT_EQ(s.schedule->next_run, "2026-01-05 10:01:00 UTC") << "start does not move the schedule";
        EXPECT_EQ(s.schedule->next_run_unix_ms,
                  duration_cast<milliseconds>((sys_days{2026y / 1 / 5} + 10h + 1min).time_since_epoch()).count());
    }
}

TEST_F(ScheduledServiceTest, CtlStartWhileARunGoesIsRefusedWithTheReason) {
    service("job", {{"schedule", "* * * * *\n"}});
    auto& sup = make();
    ASSERT_TRUE(ctl().start("job").ok);
    auto again = ctl().start("job");
    EXPECT_FALSE(again.ok);
    EXPECT_NE(again.message.find("job: not run: the previous run (pid " + std::to_string(ops.pids.at("job")) +
                                 ") is still running; next run 2026-01-05 10:01:00 UTC"),
              std::string::npos)
        << again.message;
    EXPECT_EQ(ops.count("job"), 1u);
    core::ControlBridge bridge(sup, clock);
    EXPECT_EQ(status_of(bridge.services(), "job").schedule->skipped, 1u);
}

TEST_F(ScheduledServiceTest, CtlStopDisarmsStopsTheRunAndRestartRearms) {
    service("job", {{"schedule", "* * * * *\n"}});
    auto& sup = make();
    core::ControlBridge bridge(sup, clock);
    ASSERT_TRUE(ctl().start("job").ok);
    auto stopped = ctl().stop("job");
    EXPECT_TRUE(stopped.ok) << stopped.message;
    EXPECT_NE(stopped.message.find("job: disarmed, no runs until `tend ctl start` or `restart`; stopping its run"),
              std::string::npos)
        << stopped.message;
    ASSERT_FALSE(ops.signals.empty());
    EXPECT_EQ(ops.signals.front(), (std::pair<pid_t, int>{ops.pids.at("job"), SIGTERM}));
    exit_service("job", SIGTERM);
    {
        const auto s = status_of(bridge.services(), "job");
        EXPECT_EQ(s.state, "down");
        EXPECT_TRUE(s.stopped);
        EXPECT_FALSE(s.ready);
        EXPECT_FALSE(s.schedule->armed);
        EXPECT_FALSE(s.schedule->next_run);
        EXPECT_EQ(s.last_exit, "killed by SIGTERM");
    }
    advance(5min);
    EXPECT_EQ(ops.count("job"), 1u) << "no runs while disarmed";

    auto rearmed = ctl().restart("job");
    EXPECT_TRUE(rearmed.ok) << rearmed.message;
    EXPECT_NE(rearmed.message.find("job: re-armed, next run 2026-01-05 10:06:00 UTC"), std::string::npos)
        << rearmed.message;
    EXPECT_EQ(ops.count("job"), 1u) << "restart does not run it at once";
    {
        const auto s = status_of(bridge.services(), "job");
        EXPECT_EQ(s.state, "scheduled");
        EXPECT_FALSE(s.stopped);
        EXPECT_TRUE(s.schedule->armed);
    }
    advance_to_deadline();
    EXPECT_EQ(ops.count("job"), 2u) << "the next tick runs it";
}

TEST_F(ScheduledServiceTest, CtlRestartDuringARunStopsItAndKeepsTheSchedule) {
    service("job", {{"schedule", "* * * * *\n"}});
    auto& sup = make();
    advance_to_deadline();
    ASSERT_EQ(ops.count("job"), 1u);
    auto restarted = ctl().restart("job");
    EXPECT_TRUE(restarted.ok) << restarted.message;
    EXPECT_NE(restarted.message.find("its run in progress is stopping"), std::string::npos) << restarted.message;
    ASSERT_FALSE(ops.signals.empty());
    exit_service("job", SIGTERM);
    EXPECT_TRUE(sup.scheduler().status("job")->armed);
    EXPECT_EQ(ops.count("job"), 1u);
    advance_to_deadline();
    EXPECT_EQ(ops.count("job"), 2u);
}

// supercronic -overlapping (Options::crontab_overlapping): a crontab job due
// while its last run still runs gets another run beside it; each run's end is
// its own; the job shows running while any run is; the stop reaches every
// run, SIGKILL after timeout-kill, and tend is not down before all are gone.
// The fake spawns name a crontab job "bin" (its executable is /bin/sh).
TEST_F(ScheduledServiceTest, CrontabJobWithOverlappingStartsAnotherRunBesideTheOneInProgress) {
    options.crontab = root / ".crontab";  // hidden: not a service dir
    options.crontab_overlapping = true;
    std::ofstream(options.crontab) << "* * * * * * * sleep 3\n";
    auto& sup = make();
    advance_to_deadline();
    ASSERT_EQ(ops.count("bin"), 1u);
    const pid_t first = ops.pids.at("bin");
    advance_to_deadline();
    ASSERT_EQ(ops.count("bin"), 2u) << "the tick starts a second run while the first runs";
    const pid_t second = ops.pids.at("bin");
    EXPECT_NE(second, first);
    EXPECT_EQ(ops.plans.at("bin").argv, (std::vector<std::string>{"/bin/sh", "-c", "sleep 3"}))
        << "the same command as the job's runs";
    auto status = sup.scheduler().status("crontab-0");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->runs, 2u);
    EXPECT_EQ(status->skipped, 0u);

    // The second run ends first: the job still runs (the first).
    ops.alive.erase(second);
    EXPECT_TRUE(sup.on_child_exit(second, 4 << 8)) << "an overlapping run is tend's child, reaped";
    status = sup.scheduler().status("crontab-0");
    EXPECT_TRUE(status->running);
    ASSERT_TRUE(status->last_exit);
    EXPECT_EQ(status->last_exit->code, 4);
    EXPECT_TRUE(sup.scheduled_runs_going());

    advance_to_deadline();
    ASSERT_EQ(ops.count("bin"), 3u);
    const pid_t third = ops.pids.at("bin");
    ASSERT_TRUE(ops.signals.empty());

    // `tend ctl start` now: another run beside the first, and the answer names it.
    auto started = ctl().start("crontab-0");
    ASSERT_TRUE(started.ok) << started.message;
    ASSERT_EQ(ops.count("bin"), 4u);
    const pid_t fourth = ops.pids.at("bin");
    EXPECT_NE(started.message.find("run started beside the one in progress (pid " + std::to_string(fourth) + ")"),
              std::string::npos)
        << started.message;
    ops.alive.erase(fourth);
    EXPECT_TRUE(sup.on_child_exit(fourth, 0));

    sup.stop_all();
    EXPECT_NE(std::find(ops.signals.begin(), ops.signals.end(), std::pair<pid_t, int>{first, SIGTERM}),
              ops.signals.end()) << "the run of the job's machine is stopped";
    EXPECT_NE(std::find(ops.signals.begin(), ops.signals.end(), std::pair<pid_t, int>{third, SIGTERM}),
              ops.signals.end()) << "and so is the overlapping one";
    ASSERT_TRUE(sup.next_deadline());
    advance_to_deadline();  // timeout-kill
    EXPECT_NE(std::find(ops.signals.begin(), ops.signals.end(), std::pair<pid_t, int>{third, SIGKILL}),
              ops.signals.end());
    ops.alive.erase(first);
    EXPECT_TRUE(sup.on_child_exit(first, SIGKILL));
    EXPECT_TRUE(record("crontab-0").machine->idle());
    EXPECT_FALSE(sup.all_down()) << "an overlapping run is still there";
    ops.alive.erase(third);
    EXPECT_TRUE(sup.on_child_exit(third, SIGKILL));
    EXPECT_TRUE(sup.all_down());
    EXPECT_FALSE(sup.scheduled_runs_going());
}

// Without -overlapping a crontab job never has two runs: the tick is skipped
// and logged, as Supercronic does by default.
TEST_F(ScheduledServiceTest, CrontabJobWithoutOverlappingSkipsTheTick) {
    options.crontab = root / ".crontab";
    std::ofstream(options.crontab) << "* * * * * * * sleep 3\n";
    auto& sup = make();
    advance_to_deadline();
    advance_to_deadline();
    EXPECT_EQ(ops.count("bin"), 1u);
    EXPECT_EQ(sup.scheduler().status("crontab-0")->skipped, 1u);
}
