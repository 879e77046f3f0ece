// The control commands against a fake tend: usage errors, replies, health.
#include <gtest/gtest.h>

#include "tend/control/commands.hpp"

using namespace tend::control;

namespace {

class FakeTarget : public ControlTarget {
public:
    std::vector<ServiceStatus> list;
    std::optional<std::string> reason;
    std::vector<std::string> calls;
    ActionResult next{true, ""};

    std::vector<ServiceStatus> services() const override { return list; }
    std::optional<std::string> not_running_reason() const override { return reason; }
    ActionResult start(const std::string& name) override { return record("start " + name); }
    ActionResult stop(const std::string& name) override { return record("stop " + name); }
    ActionResult restart(const std::string& name) override { return record("restart " + name); }
    ActionResult once(const std::string& name) override { return record("once " + name); }
    ActionResult signal(const std::string& name, int signo) override {
        return record("signal " + name + " " + std::to_string(signo));
    }
    void halt(int code, uid_t uid) override { calls.push_back("halt " + std::to_string(code) + " " + std::to_string(uid)); }
    void set_log_level(int verbosity) override { calls.push_back("log-level " + std::to_string(verbosity)); }

private:
    ActionResult record(std::string call) {
        calls.push_back(std::move(call));
        return next;
    }
};

ServiceStatus running(std::string name, pid_t pid = 10) {
    ServiceStatus s;
    s.name = std::move(name);
    s.state = "running";
    s.pid = pid;
    s.ready = true;
    s.uptime = Millis(1500);
    return s;
}

struct ControlCommands : ::testing::Test {
    FakeTarget target;
    CommandHandler handler{target};

    Reply run(std::vector<std::string> words, uid_t uid = 0) {
        Outcome outcome = handler.handle(Request{std::move(words)}, uid);
        EXPECT_TRUE(outcome.reply.has_value());
        return outcome.reply.value_or(Reply{99, ""});
    }
};

}  // namespace

TEST_F(ControlCommands, UnknownCommandAndBadArgumentsAreUsageErrors) {
    target.list = {running("web")};
    for (auto words : std::vector<std::vector<std::string>>{{"frobnicate"}, {"start"}, {"stop"}, {"restart"}, {"once"},
                                                            {"signal", "web"}, {"signal", "web", "NOPE"},
                                                            {"signal", "web", "HUP", "x"}, {"halt", "256"},
                                                            {"halt", "-1"}, {"halt", "1", "2"}, {"halt", "x"},
                                                            {"log-level"}, {"log-level", "5"}, {"status", "--yaml"},
                                                            {"wait-ready", "--timeout"}, {"wait-ready", "--timeout", "x"},
                                                            {"wait-ready", "--bogus"}, {"health", "x"}}) {
        Reply reply = run(words);
        EXPECT_EQ(reply.code, kUsage) << words.front() << ": " << reply.body;
        EXPECT_NE(reply.body.find("usage:"), std::string::npos);
    }
    EXPECT_TRUE(target.calls.empty());
}

TEST_F(ControlCommands, UnknownServiceNamesAreRefusedBeforeAnythingHappens) {
    target.list = {running("web")};
    Reply reply = run({"stop", "web", "nope"});
    EXPECT_EQ(reply.code, kRefused);
    EXPECT_NE(reply.body.find("no service named 'nope'"), std::string::npos);
    EXPECT_TRUE(target.calls.empty());
    EXPECT_EQ(run({"status", "nope"}).code, kRefused);
    EXPECT_EQ(run({"signal", "nope", "HUP"}).code, kRefused);
}

TEST_F(ControlCommands, ActionsReachTheTargetAndFailuresGiveCode1) {
    target.list = {running("web"), running("db")};
    target.next = {true, "ok"};
    Reply reply = run({"restart", "web", "db"});
    EXPECT_EQ(reply.code, kDone);
    EXPECT_EQ(target.calls, (std::vector<std::string>{"restart web", "restart db"}));
    EXPECT_EQ(reply.body, "ok\nok\n");
    target.calls.clear();
    EXPECT_EQ(run({"once", "db"}).code, kDone);  // s6-svc -O
    EXPECT_EQ(target.calls, (std::vector<std::string>{"once db"}));
    target.next = {false, "web is the primary service: use `tend ctl halt`"};
    reply = run({"stop", "web"});
    EXPECT_EQ(reply.code, kRefused);
    EXPECT_NE(reply.body.find("use `tend ctl halt`"), std::string::npos);
}

TEST_F(ControlCommands, SignalNamesAndNumbers) {
    target.list = {running("web")};
    EXPECT_EQ(run({"signal", "web", "SIGHUP"}).code, kDone);
    EXPECT_EQ(run({"signal", "web", "usr1"}).code, kDone);
    EXPECT_EQ(run({"signal", "web", "9"}).code, kDone);
    EXPECT_EQ(target.calls, (std::vector<std::string>{"signal web 1", "signal web 10", "signal web 9"}));
}

TEST_F(ControlCommands, HaltDefaultsToZeroAndNamesThePeer) {
    EXPECT_EQ(run({"halt"}, 1000).code, kDone);
    EXPECT_EQ(run({"halt", "7"}).code, kDone);
    EXPECT_EQ(target.calls, (std::vector<std::string>{"halt 0 1000", "halt 7 0"}));
}

TEST_F(ControlCommands, HaltDuringShutdownSaysSoAndChangesNothing) {
    target.reason = "shutting down (stopping services)";
    Reply reply = run({"halt", "3"});
    EXPECT_EQ(reply.code, kRefused);
    EXPECT_NE(reply.body.find("already shutting down"), std::string::npos) << reply.body;
    EXPECT_TRUE(target.calls.empty());
}

TEST_F(ControlCommands, LogLevel) {
    EXPECT_EQ(run({"log-level", "3"}).code, kDone);
    EXPECT_EQ(target.calls, (std::vector<std::string>{"log-level 3"}));
}

TEST_F(ControlCommands, StatusTableAndJson) {
    ServiceStatus crashing;
    crashing.name = "php-fpm";
    crashing.state = "backoff";
    crashing.restarts = 4;
    crashing.last_exit = "exited 78";
    crashing.last_exit_failed = true;
    crashing.restart_in = Millis(1600);
    target.list = {running("nginx", 42), crashing};
    Reply table = run({"status"});
    EXPECT_EQ(table.code, kDone);
    EXPECT_NE(table.body.find("NAME"), std::string::npos);
    EXPECT_NE(table.body.find("nginx    running  42   1.5 s"), std::string::npos) << table.body;
    EXPECT_NE(table.body.find("exited 78, restart in 1.6 s"), std::string::npos) << table.body;
    Reply json = run({"status", "--json", "php-fpm"});
    EXPECT_EQ(json.body,
              "{\"services\":[{\"name\":\"php-fpm\",\"state\":\"backoff\",\"pid\":null,\"uptime_ms\":null,"
              "\"restarts\":4,\"ready\":false,\"last_exit\":\"exited 78\",\"restart_in_ms\":1600,\"primary\":false,"
              "\"stopped\":false,\"refusal\":null,\"schedule\":null,\"confinement\":null}]}\n");
}

TEST_F(ControlCommands, StatusShowsEachServicesConfinement) {
    ServiceStatus web = running("web", 42);
    web.confinement = ConfinementView{7, "5 paths, 1 port, scope signals", {}};
    ServiceStatus old = running("old", 43);
    old.confinement = ConfinementView{3, "2 paths, 0 ports", {"TCP bind and connect (Landlock ABI 4, Linux 6.7)",
                                                             "device ioctl (Landlock ABI 5, Linux 6.10)"}};
    target.list = {web, old, running("plain", 44)};
    Reply table = run({"status"});
    EXPECT_EQ(table.code, kDone);
    EXPECT_NE(table.body.find("\nCONFINED  LANDLOCK  RULES                           ENFORCED\n"
                              "web       ABI 7     5 paths, 1 port, scope signals  yes\n"
                              "old       ABI 3     2 paths, 0 ports                degraded: not TCP bind and "
                              "connect (Landlock ABI 4, Linux 6.7), device ioctl (Landlock ABI 5, Linux 6.10)\n"),
              std::string::npos)
        << table.body;
    EXPECT_EQ(table.body.find("plain     "), std::string::npos) << "an unconfined service has no row";
    Reply json = run({"status", "--json", "old"});
    EXPECT_NE(json.body.find("\"confinement\":{\"landlock_abi\":3,\"rules\":\"2 paths, 0 ports\",\"enforced\":false,"
                             "\"unenforced\":[\"TCP bind and connect (Landlock ABI 4, Linux 6.7)\",\"device ioctl "
                             "(Landlock ABI 5, Linux 6.10)\"]}"),
              std::string::npos)
        << json.body;
}

namespace {

// A cron job between runs: armed, its last run failed.
ServiceStatus scheduled_job(std::string name) {
    ServiceStatus s;
    s.name = std::move(name);
    s.state = "scheduled";
    s.ready = true;
    s.last_exit = "exited 3";
    s.last_exit_failed = true;
    ScheduleView view;
    view.schedule = "*/15 * * * *";
    view.armed = true;
    view.next_run = "2026-03-29 03:15:00 CEST";
    view.next_run_unix_ms = 1774746900000;
    view.last_start = "2026-03-29 03:00:00 CEST";
    view.last_start_unix_ms = 1774746000000;
    view.last_duration = Millis(1020);
    view.runs = 7;
    view.skipped = 2;
    s.schedule = view;
    return s;
}

}  // namespace

TEST_F(ControlCommands, StatusShowsAScheduledJobsTimetable) {
    target.list = {running("nginx", 42), scheduled_job("cron")};
    Reply table = run({"status"});
    EXPECT_EQ(table.code, kDone);
    EXPECT_EQ(table.body,
              "NAME   STATE      PID  UPTIME  RESTARTS  READY  LAST EXIT\n"
              "nginx  running    42   1.5 s   0         yes    -\n"
              "cron   scheduled  -    -       0         yes    exited 3\n"
              "\n"
              "JOB   SCHEDULE      LAST RUN                  DURATION  LAST EXIT  NEXT RUN                  RUNS  SKIPPED\n"
              "cron  */15 * * * *  2026-03-29 03:00:00 CEST  1.0 s     exited 3   2026-03-29 03:15:00 CEST  7     2\n");

    // Without scheduled services shown, no timetable.
    EXPECT_EQ(run({"status", "nginx"}).body.find("JOB"), std::string::npos);

    Reply json = run({"status", "--json", "cron"});
    EXPECT_EQ(json.body,
              "{\"services\":[{\"name\":\"cron\",\"state\":\"scheduled\",\"pid\":null,\"uptime_ms\":null,"
              "\"restarts\":0,\"ready\":true,\"last_exit\":\"exited 3\",\"restart_in_ms\":null,\"primary\":false,"
              "\"stopped\":false,\"refusal\":null,\"schedule\":{\"schedule\":\"*/15 * * * *\",\"armed\":true,"
              "\"next_run\":\"2026-03-29 03:15:00 CEST\",\"next_run_unix_ms\":1774746900000,"
              "\"last_start\":\"2026-03-29 03:00:00 CEST\",\"last_start_unix_ms\":1774746000000,"
              "\"last_duration_ms\":1020,\"runs\":7,\"skipped\":2},\"confinement\":null}]}\n");
}

TEST_F(ControlCommands, StatusOfADisarmedJobWithNoRunsYet) {
    ServiceStatus job;
    job.name = "backup";
    job.state = "down";
    job.stopped = true;
    ScheduleView view;
    view.schedule = "@every 1h";
    job.schedule = view;
    target.list = {job};
    Reply table = run({"status"});
    EXPECT_NE(table.body.find("backup  stopped  -    -       0         no     -"), std::string::npos) << table.body;
    EXPECT_NE(table.body.find("backup  @every 1h  -         -         -          disarmed (tend ctl stop)  0     0"),
              std::string::npos)
        << table.body;
    Reply json = run({"status", "--json"});
    EXPECT_NE(json.body.find("\"armed\":false,\"next_run\":null,\"next_run_unix_ms\":null,\"last_start\":null,"
                             "\"last_start_unix_ms\":null,\"last_duration_ms\":null,\"runs\":0,\"skipped\":0"),
              std::string::npos)
        << json.body;
}

// A scheduled service is healthy once armed, between and during runs, and
// whatever its last run did; disarmed by `tend ctl stop` it is a reason; a
// `down` file keeps it disarmed and out of the verdict.
TEST_F(ControlCommands, HealthOfScheduledServices) {
    ServiceStatus failed_last_run = scheduled_job("cron");
    ServiceStatus running_now = scheduled_job("report");
    running_now.state = "running";
    running_now.pid = 77;
    target.list = {failed_last_run, running_now};
    Reply healthy = run({"health"});
    EXPECT_EQ(healthy.code, kDone) << healthy.body;
    EXPECT_EQ(healthy.body, "");

    ServiceStatus down_file = scheduled_job("nightly");
    down_file.state = "down";
    down_file.ready = false;
    down_file.held_down = true;
    down_file.schedule->armed = false;
    target.list = {failed_last_run, down_file};
    EXPECT_EQ(run({"health"}).code, kDone);

    ServiceStatus disarmed = scheduled_job("backup");
    disarmed.state = "down";
    disarmed.ready = false;
    disarmed.stopped = true;
    disarmed.schedule->armed = false;
    ServiceStatus not_armed = scheduled_job("sync");
    not_armed.state = "down";
    not_armed.ready = false;
    not_armed.schedule->armed = false;
    target.list = {failed_last_run, disarmed, not_armed};
    Reply sick = run({"health"});
    EXPECT_EQ(sick.code, kRefused);
    EXPECT_EQ(sick.body, "backup: disarmed (tend ctl stop)\nsync: scheduled, not armed\n");
}

TEST_F(ControlCommands, WaitReadyCountsAnArmedJobAsReady) {
    target.list = {scheduled_job("cron")};
    Reply named = run({"wait-ready", "cron", "--timeout", "0"});
    EXPECT_EQ(named.code, kDone) << named.body;
    Reply all = run({"wait-ready", "--timeout", "0"});
    EXPECT_EQ(all.code, kDone) << all.body;
    target.list.front().schedule->armed = false;
    target.list.front().ready = false;
    target.list.front().state = "down";
    EXPECT_EQ(run({"wait-ready", "cron", "--timeout", "0"}).code, kRefused);
}

TEST_F(ControlCommands, JsonEscapesNames) {
    ServiceStatus odd = running("a\"b\\c\x01");
    target.list = {odd};
    Reply json = run({"status", "--json"});
    EXPECT_NE(json.body.find("\"a\\\"b\\\\c\\u0001\""), std::string::npos) << json.body;
}

TEST_F(ControlCommands, HealthIsZeroWhenEverythingThatShouldBeUpIsReady) {
    ServiceStatus down_file;
    down_file.name = "optional";
    down_file.state = "down";
    down_file.held_down = true;
    ServiceStatus finished;
    finished.name = "oneshot";
    finished.state = "down";
    finished.last_exit = "exited 0";
    target.list = {running("web"), down_file, finished};
    Reply reply = run({"health"});
    EXPECT_EQ(reply.code, kDone) << reply.body;
    EXPECT_EQ(reply.body, "");
}

TEST_F(ControlCommands, HealthNamesEachReason) {
    ServiceStatus crashing;
    crashing.name = "php-fpm";
    crashing.state = "backoff";
    crashing.last_exit = "exited 78";
    crashing.last_exit_failed = true;
    crashing.restart_in = Millis(1600);
    ServiceStatus stopped;
    stopped.name = "cron";
    stopped.state = "down";
    stopped.stopped = true;
    ServiceStatus refused;
    refused.name = "bad";
    refused.state = "refused";
    refused.refusal = "unknown user 'www'";
    ServiceStatus unready = running("slow");
    unready.ready = false;
    target.list = {running("web"), crashing, stopped, refused, unready};
    Reply reply = run({"health"});
    EXPECT_EQ(reply.code, kRefused);
    EXPECT_EQ(reply.body,
              "php-fpm: backoff, exited 78, restart in 1.6 s\n"
              "cron: stopped (tend ctl stop)\n"
              "bad: refused: unknown user 'www'\n"
              "slow: running, not ready yet\n");
}

TEST_F(ControlCommands, HealthDuringContInitOrShutdownIsOne) {
    target.reason = "tend is still running the cont-init scripts";
    Reply reply = run({"health"});
    EXPECT_EQ(reply.code, kRefused);
    EXPECT_EQ(reply.body, "tend is still running the cont-init scripts\n");
}

TEST_F(ControlCommands, WaitReadyAnswersAtOnceWhenReady) {
    target.list = {running("web")};
    Reply reply = run({"wait-ready", "web"});
    EXPECT_EQ(reply.code, kDone);
}

TEST_F(ControlCommands, WaitReadyWaitsThenAnswersOnRecheckOrTimeout) {
    ServiceStatus starting = running("db");
    starting.ready = false;
    target.list = {running("web"), starting};
    Request request{{"wait-ready", "--timeout", "1500"}};
    Outcome outcome = handler.handle(request, 0);
    ASSERT_FALSE(outcome.reply);
    EXPECT_EQ(outcome.wait_for, Millis(1500));
    EXPECT_FALSE(handler.recheck(request));
    Reply late = handler.timed_out(request);
    EXPECT_EQ(late.code, kRefused);
    EXPECT_NE(late.body.find("db: running, not ready yet"), std::string::npos) << late.body;
    target.list[1].ready = true;
    auto reply = handler.recheck(request);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, kDone);
}

TEST_F(ControlCommands, WaitReadyRefusesRefusedAndUnknownNamesAndEndsAtShutdown) {
    ServiceStatus refused;
    refused.name = "bad";
    refused.state = "refused";
    refused.refusal = "no run file";
    target.list = {refused};
    EXPECT_EQ(run({"wait-ready", "bad"}).code, kRefused);
    EXPECT_EQ(run({"wait-ready", "nope"}).code, kRefused);
    ServiceStatus waiting = running("db");
    waiting.ready = false;
    target.list = {waiting};
    Request request{{"wait-ready"}};
    ASSERT_FALSE(handler.handle(request, 0).reply);
    target.reason = "shutting down (stopping services)";
    auto reply = handler.recheck(request);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, kRefused);
}

TEST(WaitReadyArgs, DefaultsAndForms) {
    auto plain = parse_wait_ready({});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->timeout, kDefaultWaitReadyTimeout);
    auto full = parse_wait_ready({"a", "--timeout=250", "b"});
    ASSERT_TRUE(full);
    EXPECT_EQ(full->names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(full->timeout, Millis(250));
}

TEST(HumanDuration, ReadableUnits) {
    EXPECT_EQ(human_duration(Millis(250)), "250 ms");
    EXPECT_EQ(human_duration(Millis(1600)), "1.6 s");
    EXPECT_EQ(human_duration(Millis(185'000)), "3 min 5 s");
    EXPECT_EQ(human_duration(Millis(7'500'000)), "2 h 5 min");
}

TEST_F(ControlCommands, WaitReadyDuringContInitWaitsForTheServicesToLoad) {
    target.reason = "tend is still running the cont-init scripts";
    Request request{{"wait-ready", "web"}};
    ASSERT_FALSE(handler.handle(request, 0).reply);  // no "no service named" yet
    Reply late = handler.timed_out(request);
    EXPECT_EQ(late.code, kRefused);
    EXPECT_NE(late.body.find("cont-init"), std::string::npos) << late.body;
    target.reason.reset();
    target.list = {running("web")};
    auto reply = handler.recheck(request);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, kDone);
}

TEST_F(ControlCommands, WaitReadyForEverythingSkipsStoppedServices) {
    ServiceStatus stopped;
    stopped.name = "cron";
    stopped.state = "down";
    stopped.stopped = true;
    target.list = {running("web"), stopped};
    EXPECT_EQ(run({"wait-ready"}).code, kDone);
    EXPECT_EQ(run({"wait-ready", "cron", "--timeout", "0"}).code, kRefused);
}

// wait-up / wait-down: what s6-svc -wu/-wd and s6-svwait ask for.
TEST_F(ControlCommands, WaitUpIgnoresReadinessAndWaitsForTheProcess) {
    ServiceStatus web = running("web");
    web.ready = false;
    web.state = "starting";
    web.pid = 0;
    target.list = {web};
    Request request{{"wait-up", "web", "--timeout", "500"}};
    Outcome outcome = handler.handle(request, 0);
    ASSERT_FALSE(outcome.reply);
    EXPECT_EQ(outcome.wait_for, Millis(500));
    EXPECT_FALSE(handler.recheck(request));
    Reply late = handler.timed_out(request);
    EXPECT_EQ(late.code, kRefused);
    EXPECT_NE(late.body.find("not up:\n  web: starting"), std::string::npos) << late.body;
    target.list[0].state = "running";  // not ready, still up
    auto reply = handler.recheck(request);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, kDone);
    EXPECT_EQ(reply->body, "up\n");
}

TEST_F(ControlCommands, WaitDownIsTheMainProcessGoneOrWithFinishedTheFinishDone) {
    target.list = {running("web")};
    Request down{{"wait-down", "web"}};
    ASSERT_FALSE(handler.handle(down, 0).reply);
    target.list[0].state = "stopping";
    EXPECT_FALSE(handler.recheck(down));
    for (const char* state : {"draining", "finishing"}) {
        target.list[0].state = state;
        auto reply = handler.recheck(down);
        ASSERT_TRUE(reply) << state;
        EXPECT_EQ(reply->code, kDone);
    }
    EXPECT_EQ(run({"wait-ready", "--finished"}).code, kUsage);
    EXPECT_EQ(run({"wait-up", "web", "--finished"}).code, kUsage);
}

TEST_F(ControlCommands, WaitDownFinishedWaitsUntilTheFinishHasRunAndSurvivesShutdown) {
    target.list = {running("web")};
    Request request{{"wait-down", "web", "--finished"}};
    Outcome outcome = handler.handle(request, 0);
    ASSERT_FALSE(outcome.reply);
    EXPECT_EQ(outcome.wait_for, kDefaultWaitReadyTimeout);
    target.reason = "shutting down (stopping services)";
    for (const char* state : {"stopping", "draining", "finishing"}) {
        target.list[0].state = state;
        EXPECT_FALSE(handler.recheck(request)) << state;
    }
    target.list[0].state = "down";
    auto reply = handler.recheck(request);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->code, kDone);
    EXPECT_EQ(reply->body, "down\n");
    // A wait for up ends with the shutdown.
    target.list[0].state = "backoff";
    Request up{{"wait-up", "web"}};
    EXPECT_EQ(run(up.words).code, kRefused);
}

TEST_F(ControlCommands, WaitUpAndDownNeedNamesThatExist) {
    ServiceStatus refused;
    refused.name = "bad";
    refused.state = "refused";
    refused.refusal = "no run file";
    target.list = {running("web"), refused};
    for (const char* command : {"wait-up", "wait-down"}) {
        EXPECT_EQ(run({command}).code, kUsage) << command;
        EXPECT_EQ(run({command, "web", "--timeout", "x"}).code, kUsage) << command;
        Reply unknown = run({command, "nope"});
        EXPECT_EQ(unknown.code, kRefused) << command;
        EXPECT_NE(unknown.body.find("no service named 'nope'"), std::string::npos);
    }
    EXPECT_EQ(run({"wait-up", "bad"}).code, kRefused) << "a refused service never comes up";
    Reply down = run({"wait-down", "bad"});
    EXPECT_EQ(down.code, kDone) << "a refused service is down";
    EXPECT_EQ(run({"wait-down", "web", "--timeout", "0"}).code, kRefused);
}

TEST(ControlProtocol, WaitUpAndDownRoundTrip) {
    auto line = encode_request({"wait-down", "my app", "--timeout", "100"});
    ASSERT_TRUE(line);
    auto request = parse_request(*line);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->words, (std::vector<std::string>{"wait-down", "my app", "--timeout", "100"}));
}
